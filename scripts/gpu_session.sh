#!/usr/bin/env bash
# Everything of issue 4 that needs an NVIDIA GPU, in one command, on a machine
# with Python, PyTorch, Triton, CMake and a C++ compiler but no LLVM and no
# network (the device tool's machine). Carry dist/gpu-bundle (made here by
# scripts/build_gpu_bundle.sh) with the work tree, then from the repo root:
#   bash scripts/gpu_session.sh            # all of it
#   KITE_GPU_STEPS="tests" bash scripts/gpu_session.sh
# Steps (KITE_GPU_STEPS, default "tests numerics bench"):
#   tests     the CUDA runtime's tests on the real driver (test_cuda_runtime.py)
#   numerics  the numerics tier on cuda:0 for num_warps in KITE_GPU_WARPS (1 2 4 8)
#   bench     benchmarks/gpu_benchmarks.py (KITE_BENCH_ARGS, e.g. --quick)
# Logs, and the benchmark's results, go to $OUT (default benchmarks/results).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-benchmarks/results}
STEPS=${KITE_GPU_STEPS:-tests numerics bench}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
export KITE_CACHE_DIR=${KITE_CACHE_DIR:-$(mktemp -d)}

bash dist/gpu-bundle/build_binding.sh || exit 1
if ! $PY -c 'import pytest' 2>/dev/null; then
  $PY -m pip install --quiet --no-index --find-links dist/gpu-bundle/wheels pytest 2>/dev/null ||
    export PYTHONPATH="$PYTHONPATH:$(ls dist/gpu-bundle/wheels/*.whl | tr '\n' ':')"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
$PY -c 'import kite; print("kite devices:", kite.devices())'

status=0
run() {  # run <log name> <command...>: tee into $OUT/<log name>.log
  local name=$1; shift
  echo "== $name: $*"
  "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || { echo "== $name failed ($rc)"; status=1; }
}
for step in $STEPS; do
  case $step in
    tests)
      run cuda-runtime $PY -m pytest test/python/test_cuda_runtime.py -q -rs ;;
    numerics)
      for warps in ${KITE_GPU_WARPS:-1 2 4 8}; do
        run "numerics-cuda0-w$warps" env KITE_TEST_DEVICE=cuda:0 KITE_TEST_NUM_WARPS="$warps" \
          $PY -m pytest $(cat scripts/numerics_tier.txt) -q --maxfail=60 -rf
      done ;;
    bench)
      # shellcheck disable=SC2086
      run benchmarks $PY benchmarks/gpu_benchmarks.py --out "$OUT" ${KITE_BENCH_ARGS:-} ;;
    *) echo "unknown step '$step'" >&2; status=1 ;;
  esac
done
exit $status
