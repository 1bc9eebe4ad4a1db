#!/usr/bin/env bash
# Sets up a fresh machine, builds Kite, and runs all three test tiers:
# lit + FileCheck on kite-opt, GoogleTest on the C++ API, pytest on the Python
# frontend — and the numerics tier again on the first Vulkan device (lavapipe
# on CPU-only machines) for num_warps 1, 2, 4 and 8, and compiled for
# cuda:sm_80 and cuda:sm_90 (ptxas checks the PTX), and run on cuda-sim, the
# simulator that executes the NVIDIA code on the CPU; and kite._C built as a
# project of its own against `cmake --install build` (docs/build.md). The
# self-contained KITE_STATIC_LLVM build has its own script: test_static.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$(llvm-config-22 --bindir 2>/dev/null || echo /usr/lib/llvm-22/bin):$PATH"
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
# The numerics tier: the test files that also run on each device.
NUMERICS=$(cat scripts/numerics_tier.txt)
echo "== ctest: lit and GoogleTest"
ctest --test-dir build --output-on-failure
echo "== pytest"
$PY -m pytest test/python -q
VULKAN=$($PY -c "import kite; print(next((d for d in kite.devices() if d.startswith('vulkan:')), ''))")
if [ -z "$VULKAN" ]; then
  echo "== no Vulkan device: the numerics tier ran on the interpreter only" >&2
  exit 1
fi
for warps in 1 2 4 8; do
  echo "== pytest numerics on $VULKAN, num_warps=$warps"
  KITE_TEST_DEVICE=$VULKAN KITE_TEST_NUM_WARPS=$warps \
    $PY -m pytest $NUMERICS -q
done
# The NVIDIA backend with no GPU: every kernel the numerics tier launches is
# also compiled for sm_80 and sm_90, and ptxas takes it with no spills.
for arch in sm_80 sm_90; do
  echo "== pytest numerics, each kernel also compiled for cuda:$arch"
  KITE_TEST_COMPILE_FOR=cuda:$arch \
    $PY -m pytest $NUMERICS -q
done
# The NVIDIA backend's code executed: the numerics tier on cuda-sim
# (docs/cuda-sim.md), sm_80 and sm_90 at 4, 1 and 8 warps.
for run in sm_80:4 sm_80:1 sm_80:8 sm_90:4 sm_90:1 sm_90:8; do
  arch=${run%:*} warps=${run#*:}
  echo "== pytest numerics on cuda-sim:$arch, num_warps=$warps"
  KITE_TEST_DEVICE=cuda-sim:$arch KITE_TEST_NUM_WARPS=$warps \
    $PY -m pytest $NUMERICS -q
done
echo "== kite._C as a project of its own, against an installed libkite"
rm -rf build/kite-install
cmake --install build --prefix build/kite-install >/dev/null
bash scripts/test_binding_standalone.sh build/kite-install test/python/test_compile.py
