#!/usr/bin/env bash
# Builds a self-contained libkite (KITE_STATIC_LLVM=ON, in build-static/) and
# assembles dist/gpu-bundle/: what a GPU machine with Python, CMake and a C++
# compiler, but no LLVM, pybind11 or network, needs to build kite._C
# (docs/build.md):
#   lib/libkite.so.xz   libkite, stripped and xz-compressed
#   include/kite/       the public headers
#   lib/cmake/Kite/     KiteConfig.cmake (target kite::kite)
#   pybind11/           pybind11's headers and CMake package
#   wheels/             pytest and what it needs (pure Python), for the tests
#   build_binding.sh    builds kite._C there, into python/kite
# Carry dist/gpu-bundle with the work tree; on the GPU machine:
#   bash dist/gpu-bundle/build_binding.sh
#   PYTHONPATH=python python3 -c 'import kite; print(kite._C.version())'
# KITE_BUNDLE_XZ=0 leaves libkite uncompressed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD=${KITE_STATIC_BUILD_DIR:-build-static}
BUNDLE=${KITE_BUNDLE_DIR:-dist/gpu-bundle}
LLVM_PREFIX=$(llvm-config-22 --prefix 2>/dev/null || echo /usr/lib/llvm-22)

# No kite._C in this build: the tree's python/kite keeps the one of build/
# (the bundle's binding is built by build_binding.sh, or in a test by
# scripts/test_binding_standalone.sh).
echo "== cmake: KITE_STATIC_LLVM=ON in $BUILD"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKITE_STATIC_LLVM=ON \
  -DKITE_BUILD_PYTHON=OFF -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
  -DLLVM_DIR="$LLVM_PREFIX/lib/cmake/llvm" >/dev/null
cmake --build "$BUILD" -j"${KITE_BUILD_JOBS:-2}" --target kite

echo "== install into $BUNDLE"
rm -rf "$BUNDLE"
cmake --install "$BUILD" --prefix "$BUNDLE" --strip
$PY scripts/check_self_contained.py "$BUNDLE/lib/libkite.so"

PYBIND11=$($PY -c 'import os, pybind11; print(os.path.dirname(pybind11.__file__))')
echo "== pybind11 $($PY -m pybind11 --version) from $PYBIND11"
mkdir -p "$BUNDLE/pybind11"
cp -r "$PYBIND11/include" "$PYBIND11/share" "$BUNDLE/pybind11/"
find "$BUNDLE/pybind11" -name __pycache__ -prune -exec rm -rf {} +
cp scripts/gpu_bundle/build_binding.sh "$BUNDLE/"
# The GPU machine may lack pytest and has no network: bring it, as wheels
# that scripts/gpu_session.sh installs (or puts on sys.path) there.
$PY -m pip download --quiet --only-binary :all: --no-deps -d "$BUNDLE/wheels" \
  pytest pluggy iniconfig packaging

if [ "${KITE_BUNDLE_XZ:-1}" != 0 ]; then
  xz -T"${KITE_BUILD_JOBS:-2}" "$BUNDLE/lib/libkite.so"
fi
echo "== $BUNDLE: $(du -sh --apparent-size "$BUNDLE" | cut -f1)"
ls -l "$BUNDLE/lib"
