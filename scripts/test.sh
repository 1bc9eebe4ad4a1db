#!/usr/bin/env bash
# Sets up a fresh machine, builds Kite, and runs all three test tiers:
# lit + FileCheck on kite-opt, GoogleTest on the C++ API, pytest on the Python
# frontend; then the numerics tier (scripts/numerics_tier.txt) again on each
# backend: on the first Vulkan device (lavapipe on CPU-only machines), and on
# cuda-sim, the simulator that executes the NVIDIA backend's code on the CPU,
# with every kernel also compiled for the same architecture as on a GPU
# (ptxas checks the PTX: no spills); and kite._C built as a project of its
# own against `cmake --install build` (docs/build.md). The self-contained
# KITE_STATIC_LLVM build has its own script: test_static.sh.
#
# What runs at which warp count (docs/testing.md says why): the whole tier at the
# default 4 warps on every backend, at 1 and 8 warps on cuda-sim:sm_80, and
# at 8 warps (two warpgroups of Hopper's wgmma) on cuda-sim:sm_90a;
# on Vulkan, whose lavapipe compiles each shader on the CPU (the slow part of
# CI), the files whose code depends on the warp count (scripts/warps_tier.txt)
# run again at 8 warps. pytest runs on every core (KITE_TEST_JOBS=N sets the
# number of workers) and names its ten slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$(llvm-config-22 --bindir 2>/dev/null || echo /usr/lib/llvm-22/bin):$PATH"
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
PYTEST=("$PY" -m pytest -q -p no:cacheprovider -n "${KITE_TEST_JOBS:-auto}" --durations=10)
NUMERICS=$(cat scripts/numerics_tier.txt)
WARPS_TIER=$(grep -v "^#" scripts/warps_tier.txt)
START=$SECONDS
tier() {  # tier NAME COMMAND...: runs one tier and says how long it took
  local name=$1 began=$SECONDS; shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - began)) s (tests so far: $((SECONDS - START)) s)"
}
tier "ctest: lit and GoogleTest" ctest --test-dir build --output-on-failure
tier "pytest" "${PYTEST[@]}" test/python
VULKAN=$($PY -c "import kite; print(next((d for d in kite.devices() if d.startswith('vulkan:')), ''))")
if [ -z "$VULKAN" ]; then
  echo "== no Vulkan device: the numerics tier ran on the interpreter only" >&2
  exit 1
fi
tier "numerics on $VULKAN, num_warps=4" \
  env KITE_TEST_DEVICE=$VULKAN KITE_TEST_NUM_WARPS=4 "${PYTEST[@]}" $NUMERICS
tier "warp-count files on $VULKAN, num_warps=8" \
  env KITE_TEST_DEVICE=$VULKAN KITE_TEST_NUM_WARPS=8 "${PYTEST[@]}" $WARPS_TIER
# The NVIDIA backend with no GPU: each kernel executed on cuda-sim (which
# compiles it with memory checks, docs/cuda-sim.md) and, at 4 warps, also
# compiled for the same architecture as for a GPU: ptxas takes it with no
# spills.
for run in sm_80:4 sm_90:4 sm_90a:4 sm_90a:8 sm_80:1 sm_80:8; do
  arch=${run%:*} warps=${run#*:}
  compile_for=""; [ "$warps" = 4 ] && compile_for=cuda:$arch
  tier "numerics on cuda-sim:$arch, num_warps=$warps${compile_for:+, also compiled for $compile_for}" \
    env KITE_TEST_DEVICE=cuda-sim:$arch KITE_TEST_NUM_WARPS=$warps KITE_TEST_COMPILE_FOR=$compile_for \
    "${PYTEST[@]}" $NUMERICS
done
echo "== kite._C as a project of its own, against an installed libkite"
rm -rf build/kite-install
cmake --install build --prefix build/kite-install >/dev/null
bash scripts/test_binding_standalone.sh build/kite-install test/python/test_compile.py
echo "== examples/cpp (the JIT and kite-compile) against the installed Kite"
bash scripts/test_cpp_example.sh build/kite-install
tier "a new user's wheel: built, tagged by auditwheel, run in a fresh venv" \
  bash scripts/test_wheel.sh
echo "== all tiers passed in $((SECONDS - START)) s"
