#!/usr/bin/env bash
# Builds kite._C as a project of its own (python/src) against an installed
# libkite, the way a machine without LLVM does (docs/build.md), and runs
# pytest files with that module:
#   scripts/test_binding_standalone.sh <kite-prefix> [pytest args...]
# <kite-prefix> is a `cmake --install` of Kite (lib/cmake/Kite inside) or a
# GPU bundle. The module goes into a copy of python/kite under
# build-binding-test/, so the tree's own kite._C is left alone.
#   PYTHON          the interpreter (default python3)
#   PYBIND11_DIR    pybind11's CMake package (default: PYTHON's pybind11)
#   KITE_HIDE_LLVM  1: configure, build and test with LLVM's folder hidden
#                   (a private mount namespace; needs root and unshare), to
#                   show that nothing of LLVM or MLIR is used
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=$(cd "$1" && pwd); shift
PY=$(command -v "${PYTHON:-python3}")
LLVM_PREFIX=${KITE_LLVM_PREFIX:-/usr/lib/llvm-22}
WORK=$PWD/build-binding-test

if [ "${KITE_HIDE_LLVM:-0}" = 1 ] && [ -z "${KITE_LLVM_HIDDEN:-}" ]; then
  mkdir -p "$WORK/empty"
  echo "== hiding $LLVM_PREFIX"
  exec unshare -m bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' _ \
    "$WORK/empty" "$LLVM_PREFIX" env KITE_LLVM_HIDDEN=1 bash "$0" "$PREFIX" "$@"
fi
if [ -n "${KITE_LLVM_HIDDEN:-}" ] && [ -n "$(ls -A "$LLVM_PREFIX")" ]; then
  echo "test_binding_standalone.sh: $LLVM_PREFIX is still visible" >&2
  exit 1
fi
# No LLVM on the search paths: only the installed package is found.
PATH=$(tr ':' '\n' <<<"$PATH" | grep -v llvm | paste -sd:)
unset CMAKE_PREFIX_PATH LD_LIBRARY_PATH

# libkite may be compressed (a GPU bundle); unpack a private copy of the prefix.
if [ -f "$PREFIX/lib/libkite.so.xz" ] && [ ! -f "$PREFIX/lib/libkite.so" ]; then
  rm -rf "$WORK/prefix" && cp -r "$PREFIX" "$WORK/prefix"
  xz -d "$WORK/prefix/lib/libkite.so.xz"
  PREFIX=$WORK/prefix
fi
PYBIND11_DIR=${PYBIND11_DIR:-$("$PY" -m pybind11 --cmakedir)}

rm -rf "$WORK/build" "$WORK/python"
mkdir -p "$WORK/python"
cp -r python/kite "$WORK/python/kite"
rm -f "$WORK"/python/kite/_C*.so "$WORK"/python/kite/libkite.so*
echo "== cmake: python/src against $PREFIX (pybind11 from $PYBIND11_DIR)"
cmake -S python/src -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DKite_DIR="$PREFIX/lib/cmake/Kite" -Dpybind11_DIR="$PYBIND11_DIR" \
  -DPython3_EXECUTABLE="$PY" -DKITE_PACKAGE_DIR="$WORK/python/kite"
if grep -E "$LLVM_PREFIX|MLIR_DIR|LLVM_DIR" "$WORK/build/CMakeCache.txt"; then
  echo "test_binding_standalone.sh: the binding's configuration uses LLVM/MLIR" >&2
  exit 1
fi
cmake --build "$WORK/build" -j"${KITE_BUILD_JOBS:-2}"

MODULE=$(ls "$WORK"/python/kite/_C*.so)
echo "== $(basename "$MODULE"): ldd"
ldd "$MODULE" | tee "$WORK/ldd.txt"
if grep -q "not found" "$WORK/ldd.txt"; then
  echo "test_binding_standalone.sh: unresolved libraries" >&2
  exit 1
fi
if grep -q "Kite_STATIC_LLVM ON" "$PREFIX/lib/cmake/Kite/KiteConfig.cmake" &&
   grep -qE "libLLVM|libMLIR" "$WORK/ldd.txt"; then
  echo "test_binding_standalone.sh: a static libkite, yet LLVM is loaded" >&2
  exit 1
fi
export PYTHONPATH=$WORK/python
"$PY" -c 'import sys, kite._C as c
assert c.__file__.startswith(sys.argv[1]), c.__file__
print("kite._C", c.version(), "build", c.build_id())' "$WORK/python"
echo "== pytest with the standalone kite._C"
"$PY" -m pytest -q "$@"
