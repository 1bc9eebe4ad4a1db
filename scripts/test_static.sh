#!/usr/bin/env bash
# The self-contained build (docs/build.md), kept out of scripts/test.sh because
# linking LLVM statically adds a build of its own (build-static/):
#  1. scripts/build_gpu_bundle.sh: libkite with KITE_STATIC_LLVM=ON, checked by
#     scripts/check_self_contained.py, installed into dist/gpu-bundle;
#  2. ctest in build-static: GoogleTest against the static libkite, lit on
#     kite-opt (which keeps the shared LLVM);
#  3. kite._C built from the bundle alone with LLVM's folder hidden, for each
#     Python given in KITE_TEST_PYTHONS (default: python3), and the PTX,
#     compile and kernel tests run with it, the kernels on Vulkan, and the
#     CUDA runtime's tests against the fake driver.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build_gpu_bundle.sh
echo "== build-static: tools and tests"
cmake --build build-static -j"${KITE_BUILD_JOBS:-2}"
export PATH="$(llvm-config-22 --bindir 2>/dev/null || echo /usr/lib/llvm-22/bin):$PATH"
ctest --test-dir build-static --output-on-failure

HIDE=1
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || HIDE=0
for python in ${KITE_TEST_PYTHONS:-python3}; do
  echo "== kite._C from dist/gpu-bundle for $python (LLVM hidden: $HIDE)"
  PYTHON=$python PYBIND11_DIR=$PWD/dist/gpu-bundle/pybind11/share/cmake/pybind11 \
    KITE_HIDE_LLVM=$HIDE KITE_TEST_DEVICE=vulkan:0 \
    KITE_FAKE_CUDA_LIBRARY=$PWD/build-static/lib/libkite_fake_cuda.so \
    bash scripts/test_binding_standalone.sh dist/gpu-bundle \
      test/python/test_ptx_emitter.py test/python/test_compile.py test/python/test_kernels.py \
      test/python/test_compile_cuda.py test/python/test_cuda_runtime.py
done
