#!/usr/bin/env bash
# examples/cpp built against an installed Kite (the prefix given), as a C++
# user builds it: find_package(Kite), kite-compile at build time (PTX, and
# SPIR-V for this machine's first Vulkan device), then run on that device
# (results checked against the host) and on the fake CUDA driver of the
# tests when it was built (launches recorded, not run).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=$(cd "$1" && pwd)
WORK=$PWD/build-cpp-example
VULKAN=$(PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH} ${PYTHON:-python3} -c "import kite; print(next((d for d in kite.devices() if d.startswith('vulkan:')), ''))")
rm -rf "$WORK"
cmake -S examples/cpp -B "$WORK" -G Ninja -DKite_DIR="$PREFIX/lib/cmake/Kite" \
  -DKITE_AOT_VULKAN="$VULKAN" >/dev/null
cmake --build "$WORK"
if [ -n "$VULKAN" ]; then
  "$WORK/kite_example" "$VULKAN" | tee "$WORK/vulkan.out"
  grep -q "JIT: 0 of 5000 wrong" "$WORK/vulkan.out"
  grep -q "AOT: 0 of 5000 wrong" "$WORK/vulkan.out"
fi
FAKE=$PWD/build/lib/libkite_fake_cuda.so
if [ -f "$FAKE" ]; then
  KITE_LIBCUDA=$FAKE "$WORK/kite_example" cuda:0 fake | tee "$WORK/cuda.out"
  grep -q "JIT (cuda:sm_90a): launched" "$WORK/cuda.out"
  grep -q "AOT (cuda:sm_90a): launched" "$WORK/cuda.out"
fi
echo "== examples/cpp built against $PREFIX and ran"
