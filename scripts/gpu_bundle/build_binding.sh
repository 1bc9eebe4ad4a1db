#!/usr/bin/env bash
# Builds kite._C on a machine without LLVM, MLIR, pybind11 or network, against
# the self-contained libkite of this bundle (made by scripts/build_gpu_bundle.sh;
# docs/build.md). Needs python3 with its headers, CMake >= 3.20 and a C++17
# compiler (Ninja if present). The module and a copy of libkite go into the
# Kite source tree's python/kite, so that afterwards
#   PYTHONPATH=python python3 -c 'import kite; print(kite._C.version())'
# works from the tree. The bundle sits in the tree as dist/gpu-bundle;
# elsewhere, set KITE_SOURCE_DIR to the tree. PYTHON picks the interpreter.
set -euo pipefail
BUNDLE=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(cd "${KITE_SOURCE_DIR:-$BUNDLE/../..}" && pwd)
PY=$(command -v "${PYTHON:-python3}")
BUILD=${KITE_BINDING_BUILD_DIR:-$SOURCE/build-binding}

if [ ! -f "$SOURCE/python/src/CMakeLists.txt" ]; then
  echo "build_binding.sh: no Kite source tree at $SOURCE (set KITE_SOURCE_DIR)" >&2
  exit 1
fi
# libkite travels xz-compressed; Python's lzma unpacks it (no xz tool needed).
if [ ! -f "$BUNDLE/lib/libkite.so" ]; then
  echo "== unpacking lib/libkite.so.xz"
  "$PY" -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$BUNDLE/lib/libkite.so.xz" "$BUNDLE/lib/libkite.so"
fi

GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
echo "== cmake: python/src against $BUNDLE with $PY"
cmake -S "$SOURCE/python/src" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DKite_DIR="$BUNDLE/lib/cmake/Kite" \
  -Dpybind11_DIR="$BUNDLE/pybind11/share/cmake/pybind11" \
  -DPython3_EXECUTABLE="$PY" -DKITE_PACKAGE_DIR="$SOURCE/python/kite"
cmake --build "$BUILD" -j"${KITE_BUILD_JOBS:-4}"
PYTHONPATH="$SOURCE/python" "$PY" -c \
  'import kite, kite._C as c; print("kite._C", c.version(), "from", c.__file__)'
