"""What Kite's and Triton's code for the same kernels executes, counted by
cuda-sim (docs/cuda-sim.md, "Counters"): vector add, row softmax, fp16
layer norm (forward) and the fp16 matmul of Triton's tutorials, each written
for Triton (test/python/triton_kernels/tutorials.py) and line for line for
Kite (below), run on cuda-sim:sm_80 with the same grid, block sizes, warp
counts and stages, both results checked against numpy. Kite's fp16 matmul runs
`dot` on mma.sync m16n8k16 with plain shared loads (its accumulator through
shared memory after every dot; no ldmatrix or cp.async yet); Triton's uses
mma.sync, ldmatrix and cp.async. Kite compiles without memory checks, as for a GPU (the
simulator's guard pages still catch a wild access). Counts are per thread,
summed over the launch. Needs Triton (pip install triton; it compiles for
sm_80 without a GPU). With --record, the table goes to benchmarks/results/.

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

import kite  # noqa: E402
import kite.language as kl  # noqa: E402


@kite.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) + kl.load(y_ptr + offs, mask=mask),
             mask=mask)


@kite.jit
def softmax_kernel(out_ptr, in_ptr, in_stride, out_stride, n_rows, n_cols, BLOCK: kl.constexpr):
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    x = kl.load(in_ptr + row * in_stride + cols, mask=cols < n_cols, other=-float("inf"))
    x = x - kl.max(x, axis=0)
    num = kl.exp(x)
    kl.store(out_ptr + row * out_stride + cols, num / kl.sum(num, axis=0), mask=cols < n_cols)


@kite.jit
def layer_norm_kernel(x_ptr, y_ptr, w_ptr, b_ptr, stride, n, eps, BLOCK: kl.constexpr):
    row = kl.program_id(0)
    x_ptr += row * stride
    y_ptr += row * stride
    mean = kl.zeros([BLOCK], dtype=kl.float32)
    for off in range(0, n, BLOCK):
        cols = off + kl.arange(0, BLOCK)
        mean += kl.load(x_ptr + cols, mask=cols < n, other=0.).to(kl.float32)
    mean = kl.sum(mean, axis=0) / n
    var = kl.zeros([BLOCK], dtype=kl.float32)
    for off in range(0, n, BLOCK):
        cols = off + kl.arange(0, BLOCK)
        x = kl.load(x_ptr + cols, mask=cols < n, other=0.).to(kl.float32)
        x = kl.where(cols < n, x - mean, 0.)
        var += x * x
    rstd = 1 / kl.sqrt(kl.sum(var, axis=0) / n + eps)
    for off in range(0, n, BLOCK):
        cols = off + kl.arange(0, BLOCK)
        mask = cols < n
        w = kl.load(w_ptr + cols, mask=mask)
        b = kl.load(b_ptr + cols, mask=mask)
        x = kl.load(x_ptr + cols, mask=mask, other=0.).to(kl.float32)
        kl.store(y_ptr + cols, ((x - mean) * rstd * w + b).to(kl.float16), mask=mask)


@kite.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn,
                  stride_cm, stride_cn, BLOCK_SIZE_M: kl.constexpr, BLOCK_SIZE_N: kl.constexpr,
                  BLOCK_SIZE_K: kl.constexpr, GROUP_SIZE_M: kl.constexpr):
    pid = kl.program_id(axis=0)
    num_pid_m = kl.cdiv(M, BLOCK_SIZE_M)
    num_pid_n = kl.cdiv(N, BLOCK_SIZE_N)
    num_pid_in_group = GROUP_SIZE_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_SIZE_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_SIZE_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    offs_am = (pid_m * BLOCK_SIZE_M + kl.arange(0, BLOCK_SIZE_M)) % M
    offs_bn = (pid_n * BLOCK_SIZE_N + kl.arange(0, BLOCK_SIZE_N)) % N
    offs_k = kl.arange(0, BLOCK_SIZE_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
    accumulator = kl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BLOCK_SIZE_K)):
        a = kl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0.0)
        b = kl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0.0)
        accumulator = kl.dot(a, b, accumulator)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        b_ptrs += BLOCK_SIZE_K * stride_bk
    c = accumulator.to(kl.float16)
    offs_cm = pid_m * BLOCK_SIZE_M + kl.arange(0, BLOCK_SIZE_M)
    offs_cn = pid_n * BLOCK_SIZE_N + kl.arange(0, BLOCK_SIZE_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
    kl.store(c_ptrs, c, mask=c_mask)


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
    tests = os.path.join(ROOT, "test", "python")
    if tests not in sys.path:
        sys.path.insert(0, tests)
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
