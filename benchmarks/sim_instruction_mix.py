"""What Kite's and Triton's code for the same kernels executes, counted by
cuda-sim (docs/cuda-sim.md, "Counters"): vector add, row softmax, fp16
layer norm (forward) and the fp16 matmul of Triton's tutorials, written
once with Triton's names (test/python/triton_kernels/tutorials.py) and
compiled by each (Kite's through benchmarks/kernel_text.py), run on
cuda-sim:sm_80 with the same grid, block sizes, warp counts and stages,
both results checked against numpy. Kite's fp16 matmul runs `dot` on
mma.sync m16n8k16 with plain shared loads (its accumulator through shared
memory after every dot; no ldmatrix or cp.async yet); Triton's uses
mma.sync, ldmatrix and cp.async. Kite compiles without memory checks, as
for a GPU (the simulator's guard pages still catch a wild access). Counts
are per thread, summed over the launch. Needs Triton (pip install triton;
it compiles for sm_80 without a GPU). With --record, the table goes to
benchmarks/results/.

    PYTHONPATH=python python3 benchmarks/sim_instruction_mix.py [--record]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEVICE = "cuda-sim:sm_80"
WIDTHS = (8, 16, 32, 64, 128)

sys.path[:0] = [HERE, os.path.join(ROOT, "test", "python")]

import kite  # noqa: E402
import kernel_text  # noqa: E402

# Triton's tutorial kernels, compiled by Kite.
_KITE = kernel_text.load(os.path.join(ROOT, "test", "python", "triton_kernels", "tutorials.py"),
                         "kite")
add_kernel, softmax_kernel = _KITE.add_kernel, _KITE.softmax_kernel
layer_norm_kernel, matmul_kernel = _KITE.layer_norm_kernel, _KITE.matmul_kernel


class Case:
    """One kernel: its arguments (numpy arrays for tensors, the output
    last among them filled by the kernel), constexprs, grid and reference."""

    def __init__(self, name, kite_kernel, triton_name, args, types, constexprs, grid, output,
                 reference, tolerance, num_warps=4, num_stages=3):
        self.__dict__.update(locals())
        del self.__dict__["self"]


def cases(rng) -> list:
    n = 1 << 16
    x, y = rng.random((2, n), dtype=np.float32)
    add = Case("vector add, f32, 2^16", add_kernel, "add_kernel",
               [x, y, np.empty_like(x), n], ["*fp32", "*fp32", "*fp32", "i32"],
               {"BLOCK": 1024}, (n // 1024,), 2, lambda: x + y, 0)

    rows, cols = 128, 1000
    s = rng.standard_normal((rows, cols)).astype(np.float32)
    e = np.exp(s - s.max(1, keepdims=True))
    softmax = Case(f"row softmax, f32, {rows}x{cols}", softmax_kernel, "softmax_kernel",
                   [np.empty_like(s), s, cols, cols, rows, cols],
                   ["*fp32", "*fp32", "i32", "i32", "i32", "i32"], {"BLOCK": 1024}, (rows,), 0,
                   lambda: e / e.sum(1, keepdims=True), 1e-5)

    rows, cols = 64, 1500
    h = rng.standard_normal((rows, cols)).astype(np.float16)
    w, b = rng.standard_normal((2, cols)).astype(np.float16)

    def layer_norm():
        x32 = h.astype(np.float32)
        return ((x32 - x32.mean(1, keepdims=True)) / np.sqrt(x32.var(1, keepdims=True) + 1e-5)
                * w.astype(np.float32) + b.astype(np.float32))
    norm = Case(f"layer norm, f16, {rows}x{cols}", layer_norm_kernel, "layer_norm_kernel",
                [h, np.empty_like(h), w, b, cols, cols, 1e-5],
                ["*fp16", "*fp16", "*fp16", "*fp16", "i32", "i32", "fp32"], {"BLOCK": 512},
                (rows,), 1, layer_norm, 1e-2)

    M, N, K = 128, 192, 128
    A = rng.standard_normal((M, K)).astype(np.float16)
    B = rng.standard_normal((K, N)).astype(np.float16)
    blocks = {"BLOCK_SIZE_M": 64, "BLOCK_SIZE_N": 64, "BLOCK_SIZE_K": 32, "GROUP_SIZE_M": 8}
    # Strides of 1 are constexprs, as Triton's launcher specialises them.
    matmul = Case(f"matmul, f16, {M}x{N}x{K}", matmul_kernel, "matmul_kernel",
                  [A, B, np.empty((M, N), np.float16), M, N, K, K, 1, N, 1, N, 1],
                  ["*fp16", "*fp16", "*fp16", "i32", "i32", "i32", "i32", 1, "i32", 1, "i32", 1],
                  blocks, ((M // 64) * (N // 64),), 2,
                  lambda: A.astype(np.float32) @ B.astype(np.float32), 2e-2)
    return [add, softmax, norm, matmul]


def run_kite(case) -> tuple:
    args = [kite.from_numpy(a, device=DEVICE) if isinstance(a, np.ndarray) else a
            for a in case.args]
    case.kite_kernel[case.grid](*args, **case.constexprs, num_warps=case.num_warps,
                                num_stages=case.num_stages)
    return args[case.output].numpy(), kite.sim.statistics(DEVICE)


def run_triton(case) -> tuple:
    from triton_kernels import tutorials
    kernel = getattr(tutorials, case.triton_name)
    signature, constexprs, runtime = {}, dict(case.constexprs), []
    for name, arg, kind in zip(kernel.arg_names, case.args, case.types):
        if kind == 1:
            constexprs[name] = 1
            continue
        signature[name] = kind
        runtime.append(kite.from_numpy(arg, device=DEVICE) if isinstance(arg, np.ndarray)
                       else arg)
    # What Triton's launcher specialises: 16-byte aligned pointers and
    # integers that are multiples of 16.
    divisible = [name for name, arg in zip(kernel.arg_names, case.args)
                 if name in signature and (isinstance(arg, np.ndarray)
                                           or (isinstance(arg, int) and arg % 16 == 0))]
    compiled = tutorials.compile_for(kernel, signature, constexprs, num_warps=case.num_warps,
                                     num_stages=case.num_stages, divisible=divisible)
    kite.sim.launch_triton(compiled, case.grid, *runtime, device=DEVICE)
    output = [a for a in runtime if not isinstance(a, (int, float))]
    tensors = [i for i, a in enumerate(case.args) if isinstance(a, np.ndarray)]
    return output[tensors.index(case.output)].numpy(), kite.sim.statistics(DEVICE)


def check(result, case) -> str:
    ref = case.reference()
    try:
        np.testing.assert_allclose(result.astype(np.float32), ref, rtol=case.tolerance,
                                   atol=case.tolerance)
        return "matches numpy"
    except AssertionError as error:
        return "WRONG: " + str(error).strip().splitlines()[-1]


def by_width(s, kind) -> str:
    parts = [f"{w}b×{s[f'{kind}_{w}']}" for w in WIDTHS if s[f"{kind}_{w}"]]
    return " ".join(parts) or "0"


def mma(s) -> str:
    parts = [f"{k[4:]}×{v}" for k, v in s.items() if k.startswith("mma_") and v]
    return " ".join(parts) or "0"


ROWS = [
    ("global bytes loaded", lambda s: s["global_load_bytes"]),
    ("global bytes stored", lambda s: s["global_store_bytes"]),
    ("global loads by width", lambda s: by_width(s, "global_loads")),
    ("global stores by width", lambda s: by_width(s, "global_stores")),
    ("shared bytes loaded (instrs)", lambda s: f"{s['shared_load_bytes']} ({s['shared_loads']})"),
    ("shared bytes stored (instrs)",
     lambda s: f"{s['shared_store_bytes']} ({s['shared_stores']})"),
    ("local bytes loaded / stored", lambda s: f"{s['local_load_bytes']} / {s['local_store_bytes']}"),
    ("barriers", lambda s: s["barriers"]),
    ("shuffles", lambda s: s["shuffles"]),
    ("atomics", lambda s: s["atomics"]),
    ("mma by shape", mma),
    ("ldmatrix", lambda s: s["ldmatrix"]),
    ("cp.async (bytes)", lambda s: f"{s['cp_async']} ({s['cp_async_bytes']})"),
    ("float ops", lambda s: s["float_ops"]),
    ("int ops", lambda s: s["int_ops"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    os.environ["KITE_MEMORY_CHECKS"] = "0"  # as compiled for a GPU
    import triton
    started = time.perf_counter()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    lines = [f"# Kite vs Triton {triton.__version__}: instruction mix on {DEVICE}, "
             f"{datetime.date.today()}", "",
             f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores (no GPU: cuda-sim runs "
             f"the NVPTX IR on the host). Command: `PYTHONPATH=python python3 "
             f"benchmarks/sim_instruction_mix.py --record`.",
             "Counts are per thread, summed over the launch (docs/cuda-sim.md, \"Counters\"). "
             "Kite without memory checks; Triton's global loads and stores are its inline "
             "PTX, its cp.async reads count in the global bytes loaded, not by width.", ""]
    failures = 0
    for case in cases(np.random.default_rng(0)):
        k_out, k = run_kite(case)
        t_out, t = run_triton(case)
        k_check, t_check = check(k_out, case), check(t_out, case)
        failures += (not k_check.startswith("matches")) + (not t_check.startswith("matches"))
        lines += [f"## {case.name}", "",
                  f"grid {case.grid[0]}, num_warps {case.num_warps}, "
                  + ", ".join(f"{k}={v}" for k, v in case.constexprs.items()) + ".", "",
                  "| counter | Kite | Triton |", "| --- | --- | --- |",
                  f"| result | {k_check} | {t_check} |"]
        lines += [f"| {name} | {f(k)} | {f(t)} |" for name, f in ROWS]
        lines.append("")
    lines.append(f"Whole run: {time.perf_counter() - started:.0f} s (compilations included, "
                 f"unless Kite's and Triton's caches held them).")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        path = os.path.join(HERE, "results", f"sim-instruction-mix-sm_80-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("recorded in", os.path.relpath(path, ROOT))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
