"""Kite next to Triton on tensor-core kernels, without a GPU: Triton's
tutorial matmul (fp16 -> fp32, int8 -> int32, fp8 e4m3 -> fp32) and a
flash-attention forward (head dims 64 and 128, causal and not), one kernel
text for both compilers (tensor_core_kernels.py), the same meta-parameters.

Per kernel and compiler, statically (PTX, the same ptxas for both): mma by
shape and types, ldmatrix, cp.async, the cp.async.wait_group depths, the
K loop's instructions and the pipeline depth (ptx_kloop.py defines both),
all PTX instructions, registers, spill stores and loads, shared memory.
Dynamically, on cuda-sim:sm_80 at a grid of one or two CTAs: the executed
instructions per CTA (the simulator's `instructions` counter, summed over
the CTA's threads; docs/cuda-sim.md), and Kite's result against numpy.
Then the criteria of the tensor-core work, PASS or FAIL each: mma used,
K-step instructions <= Triton's, pipeline depth = num_stages, registers
<= 1.1x Triton's, no spills, dynamic instructions <= 1.1x Triton's.

The quantized cases (quantized_cases.py): MXFP8 and MXFP4 `dot_scaled`
in the style of Triton's block-scaled matmul tutorial, and W8A8 (Kite's
`kl.dequantize` kernel, and Triton's int8 tutorial matmul with the rescale
written by hand, which both compile). Triton accepts fp8e4nv only from
sm_89: the fp8 rows compile both for sm_89 (in place of sm_80). cuda-sim
has no sm_89: Kite's fp8 result is checked on cuda-sim:sm_90 (its count
shown, not compared) and Triton's sm_89 code is not run. Needs Triton 3.9
and ptxas.

    PYTHONPATH=python python3 benchmarks/tensor_core_compare.py [--record [FILE]] [--only NAME]...
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "test", "python")]
SIM = "cuda-sim:sm_80"
HOPPER_SIM = "cuda-sim:sm_90a"

import kite  # noqa: E402
import kite.language as kl  # noqa: E402
from kite import ptxas  # noqa: E402

import ptx_kloop  # noqa: E402
import quantized_cases  # noqa: E402
import quantized_kernels  # noqa: E402
from tensor_core_report import (CRITERIA, criteria, definitions, eight_bit,  # noqa: E402,F401
                                table)
import tensor_core_kernels  # noqa: E402

# Triton assembles with the ptxas this comparison uses (its PTX version
# follows that ptxas; its own newer one writes PTX that an older ptxas rejects).
if ptxas.find():
    for knob in ("TRITON_PTXAS_PATH", "TRITON_PTXAS_BLACKWELL_PATH"):
        os.environ.setdefault(knob, ptxas.find())

TRITON_TYPES = {"float16": "*fp16", "int8": "*i8", "int32": "*i32", "float8e4nv": "*fp8e4nv"}
KERNEL_FILES = {"tensor_core_kernels": tensor_core_kernels, "quantized_kernels": quantized_kernels}


@dataclasses.dataclass
class Case:
    name: str
    kernel: str                 # Kite's kernel: "matmul_kernel", "attention_kernel", ...
    dtype: str                  # operands: float16, int8, float8e4nv (uint8: MX bytes)
    meta: dict                  # constexprs
    num_stages: int = 3
    num_warps: int = 8
    arch: int = 80              # the "sm_80" table's architecture for this case
    # Where Kite's result is checked and counted (None: nowhere); Triton's
    # code runs there too when it was compiled for that architecture.
    sim: str = SIM
    module: str = "tensor_core_kernels"  # the file of the kernels
    triton_kernel: str = None   # Triton's kernel, where it is not Kite's
    tables: tuple = ("sm_80", "sm_90")
    # Tables where Triton refuses the kernel (the refusal is the result,
    # not a broken comparison).
    triton_refuses: tuple = ()

    def kernel_of(self, compiler: str):
        name = self.triton_kernel if compiler == "triton" and self.triton_kernel else self.kernel
        return getattr(KERNEL_FILES[self.module].load(compiler), name)

    def macs_per_k_step(self) -> int:
        """A CTA's multiply-accumulates per K tile (matmul) or per key block
        (attention: Q·Kᵀ and P·V)."""
        m = self.meta
        if "BLOCK_SIZE_K" in m:
            return m["BLOCK_SIZE_M"] * m["BLOCK_SIZE_N"] * m["BLOCK_SIZE_K"]
        return 2 * m["BLOCK_M"] * m["BLOCK_N"] * m["HEAD_DIM"]


def k_step_instructions(case: Case, side: dict):
    """The K loop's instructions per K step: an iteration covers
    (its multiply-accumulates / a K step's) K steps."""
    if side.get("k_loop_instructions") is None or not side["k_loop_warp_macs"]:
        return None
    steps = side["k_loop_warp_macs"] * case.num_warps / case.macs_per_k_step()
    return round(side["k_loop_instructions"] / steps)


def matmul(dtype, block_k, stages=3, block_n=128, **kw) -> Case:
    meta = dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=block_n, BLOCK_SIZE_K=block_k, GROUP_SIZE_M=8,
                INT_ACC=dtype == "int8")
    return Case(f"matmul {dtype} 128x{block_n}x{block_k}, {stages} stages", "matmul_kernel",
                dtype, meta, num_stages=stages, **kw)


def attention(head_dim, causal) -> Case:
    meta = dict(HEAD_DIM=head_dim, BLOCK_M=128, BLOCK_N=64, CAUSAL=causal)
    return Case(f"attention d={head_dim}{' causal' if causal else ''}", "attention_kernel",
                "float16", meta)


def cases() -> list:
    fp8 = dict(arch=89, sim="cuda-sim:sm_90")
    return ([matmul("float16", 32, s) for s in (3, 1, 2, 4)]
            + [matmul("int8", 32), matmul("int8", 64),
               matmul("float8e4nv", 32, **fp8), matmul("float8e4nv", 64, **fp8)]
            + [attention(d, c) for d in (64, 128) for c in (False, True)]
            # Hopper's shapes (the wgmma issue): sm_90a only.
            + [matmul(dtype, 64, stages, block_n, tables=("sm_90",),
                      **(dict(arch=89, sim="cuda-sim:sm_90") if dtype != "float16" else {}))
               for dtype in ("float16", "float8e4nv") for block_n in (128, 256)
               for stages in (3, 4)]
            # Triton's persistent matmul (one program over 2 tiles on cuda-sim).
            + [Case("persistent matmul float16 128x128x64, 3 stages", "matmul_kernel_persistent",
                    "float16", dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=128, BLOCK_SIZE_K=64,
                                    GROUP_SIZE_M=8, NUM_SMS=1), tables=("sm_90",))]
            # Host tensor descriptors: TMA in both compilers.
            + [Case(f"descriptor matmul float16 128x{n}x64, 3 stages", "descriptor_matmul_kernel",
                    "float16", dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=n, BLOCK_SIZE_K=64),
                    tables=("sm_90",)) for n in (128, 256)]
            + quantized_cases.cases(lambda **fields: Case(**fields)))


def problem(case: Case, rng) -> tuple:
    """(args, Triton signature types (1: a constexpr 1), grid, output index,
    reference) of a small problem: one CTA for the matmul, two for attention."""
    if case.module == quantized_cases.MODULE:
        return quantized_cases.problem(case, rng)
    if case.kernel == "descriptor_matmul_kernel":
        # One tile; ("desc", array, block) becomes a TensorDescriptor (kite_args).
        bm, bn, bk = (case.meta[f"BLOCK_SIZE_{d}"] for d in "MNK")
        M, N, K = bm, bn, 256
        a = (rng.standard_normal((M, K)) / 4).astype(np.float32)
        b = (rng.standard_normal((K, N)) / 4).astype(np.float32)
        c = np.zeros((M, N), np.float16)
        args = [("desc", a, [bm, bk]), ("desc", b, [bk, bn]), ("desc", c, [bm, bn]), K]
        types = [f"tensordesc<fp16[{bm}, {bk}]>", f"tensordesc<fp16[{bk}, {bn}]>",
                 f"tensordesc<fp16[{bm}, {bn}]>", "i32"]
        return args, types, (1, 1), 2, a @ b
    if case.kernel.startswith("matmul_kernel"):
        # One tile; the persistent kernel's one program takes two.
        M = 256 if case.kernel == "matmul_kernel_persistent" else 128
        N, K = case.meta["BLOCK_SIZE_N"], 256
        if case.dtype == "int8":
            a = rng.integers(-8, 8, (M, K)).astype(np.int8)
            b = rng.integers(-8, 8, (K, N)).astype(np.int8)
            c = np.zeros((M, N), np.int32)
        else:
            a = (rng.standard_normal((M, K)) / 4).astype(np.float32)
            b = (rng.standard_normal((K, N)) / 4).astype(np.float32)
            c = np.zeros((M, N), np.float16)
        args = [a, b, c, M, N, K, K, 1, N, 1, N, 1]
        ptr = TRITON_TYPES[case.dtype]
        types = [ptr, ptr, TRITON_TYPES[c.dtype.name], "i32", "i32", "i32", "i32", 1, "i32", 1,
                 "i32", 1]
        return args, types, (1,), 2, None
    d, n_ctx, heads = case.meta["HEAD_DIM"], 256, 1
    q, k, v = (rng.standard_normal((3, heads, n_ctx, d)) / 2).astype(np.float16)
    args = [q, k, v, np.zeros_like(q), n_ctx * d, d, n_ctx, d ** -0.5]
    return args, ["*fp16"] * 4 + ["i32", "i32", "i32", "fp32"], (n_ctx // 128, heads), 3, None


def reference(case: Case, args) -> np.ndarray:
    if case.kernel.startswith("matmul_kernel"):
        a, b = args[0], args[1]
        if case.dtype == "int8":
            return a.astype(np.int32) @ b.astype(np.int32)
        return a.astype(np.float32) @ b.astype(np.float32)
    q, k, v = (x.astype(np.float32) for x in args[:3])
    s = q @ k.transpose(0, 2, 1) * args[7]
    if case.meta["CAUSAL"]:
        n = s.shape[-1]
        s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def kite_args(case: Case, args, device: str) -> list:
    out = []
    for i, a in enumerate(args):
        if isinstance(a, tuple) and a[0] == "desc":
            (tensor,) = kite_args(case, [a[1]], device) if i < 2 else [
                kite.from_numpy(a[1], device=device)]
            out.append(kite.TensorDescriptor.from_tensor(tensor, a[2]))
        elif not isinstance(a, np.ndarray):
            out.append(a)
        elif a.dtype == np.float32 and i < 2:  # matmul operands in the case's dtype
            out.append(kite.from_numpy(a, device=device, dtype=getattr(kl, case.dtype)))
        else:
            out.append(kite.from_numpy(a, device=device))
    return out


def first_line(error: Exception) -> str:
    """The error's first line; for Triton's "at L:C:" (its source excerpt
    follows, the message last), the location and the last line."""
    text = str(error).strip().splitlines()
    head = text[0] if text else ""
    if re.fullmatch(r"at \d+:\d+:", head) and len(text) > 1:
        head = f"{head} {text[-1].strip()}"
    return f"{type(error).__name__}: {head}"[:160]


def assembled(ptx: str, arch: str, name: str) -> dict:
    """What ``ptxas -v`` reports of ``ptx``; an error when it made no cubin."""
    usage = ptxas.assemble(ptx, arch, name).metadata()
    if usage["ptxas_note"]:
        raise RuntimeError(usage["ptxas_note"])
    return usage


def kite_static(case: Case, args, arch: str) -> dict:
    tensors = kite_args(case, args, SIM)
    kernel = case.kernel_of("kite")
    compiled = kernel.compile(*tensors, target=f"cuda:{arch}", num_warps=case.num_warps,
                              num_stages=case.num_stages, **case.meta)
    ptx = compiled.asm["ptx"]
    usage = assembled(ptx, arch, compiled.metadata.name)
    return dict(usage, shared=compiled.metadata.shared, **ptx_kloop.static_counts(ptx),
                **ptx_kloop.k_loop_profile(ptx))


def triton_compile(case: Case, args, types, arch: int):
    from triton_kernels import tutorials
    kernel = case.kernel_of("triton")
    signature, constexprs, divisible = {}, dict(case.meta), []
    for name, arg, kind in zip(kernel.arg_names, args, types):
        if kind == 1:
            constexprs[name] = 1  # a stride of 1, as Triton's launcher specialises it
            continue
        signature[name] = kind
        if isinstance(arg, np.ndarray) or (isinstance(arg, int) and arg % 16 == 0):
            divisible.append(name)
    return tutorials.compile_for(kernel, signature, constexprs, arch=arch,
                                 num_warps=case.num_warps, num_stages=case.num_stages,
                                 divisible=divisible)


def triton_static(compiled, arch: str) -> dict:
    ptx = compiled.asm["ptx"]
    # Triton writes sm_90a for sm_90; the same ptxas assembles it.
    usage = assembled(ptx, arch + ("a" if arch == "sm_90" else ""), compiled.name)
    return dict(usage, shared=compiled.metadata.shared, **ptx_kloop.static_counts(ptx),
                **ptx_kloop.k_loop_profile(ptx))


def kite_simulate(case: Case, args, grid, output: int, ref) -> dict:
    tensors = kite_args(case, args, case.sim)
    kernel = case.kernel_of("kite")
    kernel[grid](*tensors, num_warps=case.num_warps, num_stages=case.num_stages, **case.meta)
    stats = kite.sim.statistics(case.sim)
    out = tensors[output]
    out = (out.base if isinstance(out, kite.TensorDescriptor) else out).numpy()
    if ref is None:
        ref = reference(case, [t.numpy() if isinstance(t, kite.Tensor) else t for t in tensors])
    tolerance = (quantized_cases.tolerance(case) if case.module == quantized_cases.MODULE
                 else 0 if case.dtype == "int8" else 2e-2)
    error = float(np.max(np.abs(out.astype(np.float64) - ref)))
    ok = error <= tolerance * max(1.0, float(np.max(np.abs(ref))))
    return {"instructions": stats["instructions"] / np.prod(grid),
            "numerics": "matches numpy" if ok else f"WRONG (max error {error:.3g})"}


def triton_simulate(compiled, case: Case, args, types, grid) -> dict:
    device = HOPPER_SIM if case.sim == HOPPER_SIM else SIM
    runtime = [t for t, kind in zip(kite_args(case, args, device), types) if kind != 1]
    kite.sim.launch_triton(compiled, grid, *runtime, device=device)
    return {"instructions": kite.sim.statistics(device)["instructions"] / np.prod(grid)}


def attempt(function, *args) -> dict:
    """``function``'s result, or what went wrong (its first line)."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - every failure is a table entry
        return {"error": first_line(error)}


def compare(case: Case, arch: str, simulate: bool, rng=None) -> dict:
    """Kite's and Triton's numbers for ``case`` compiled for ``arch`` (the
    case's own architecture replaces sm_80), and on cuda-sim when asked."""
    args, types, grid, output, ref = problem(case, rng or np.random.default_rng(0))
    if arch == "sm_80":
        arch = f"sm_{case.arch}"
    # Hopper: both compilers for sm_90a, where wgmma is (Triton writes sm_90a
    # for sm_90 itself).
    kite_row = attempt(kite_static, case, args, "sm_90a" if arch == "sm_90" else arch)
    compiled = attempt(triton_compile, case, args, types, int(arch[3:]))
    triton_row = (compiled if isinstance(compiled, dict)
                  else attempt(triton_static, compiled, arch))
    for side in (kite_row, triton_row):
        if "error" not in side:
            side["k_step_instructions"] = k_step_instructions(case, side)
    if "error" in triton_row and arch in case.triton_refuses:
        triton_row["refused"] = True
    if simulate and arch == "sm_90":
        # Both compilers' sm_90a code (wgmma) on cuda-sim:sm_90a.
        case = dataclasses.replace(case, sim=HOPPER_SIM)
        kite_row["sim"] = attempt(kite_simulate, case, args, grid, output, ref)
        if not isinstance(compiled, dict):
            triton_row["sim"] = attempt(triton_simulate, compiled, case, args, types, grid)
    elif simulate and case.sim:
        kite_row["sim"] = attempt(kite_simulate, case, args, grid, output, ref)
        if case.sim.endswith(f"sm_{case.arch}") and not isinstance(compiled, dict):
            triton_row["sim"] = attempt(triton_simulate, compiled, case, args, types, grid)
    return {"case": case, "arch": arch, "kite": kite_row, "triton": triton_row}


def command(argv) -> str:
    """The command line's options as the results file shows them."""
    return " ".join(f"'{a}'" if " " in a else a for a in (sys.argv[1:] if argv is None else argv))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", nargs="?", const="tensor-cores-sm_80", metavar="FILE",
                        help="write the tables to benchmarks/results/FILE-<date>.md "
                        "(FILE: tensor-cores-sm_80 unless named)")
    parser.add_argument("--only", action="append",
                        help="cases whose name contains this text (repeat for several)")
    parser.add_argument("--no-sim", action="store_true", help="static numbers only")
    options = parser.parse_args(argv)
    os.environ.setdefault("KITE_MEMORY_CHECKS", "0")  # as compiled for a GPU
    import triton
    started = time.perf_counter()
    chosen = [c for c in cases() if not options.only or any(o in c.name for o in options.only)]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    lines = [f"# Kite vs Triton {triton.__version__}: tensor-core kernels, {datetime.date.today()}",
             "", f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores, no GPU. "
             f"ptxas: {ptxas.version()} ({ptxas.find()}), for both compilers. Command: "
             f"`PYTHONPATH=python python3 benchmarks/tensor_core_compare.py {command(argv)}`.",
             ""] + definitions(any(c.module == quantized_cases.MODULE for c in chosen))
    failures = 0
    for arch, simulate in (("sm_80", not options.no_sim), ("sm_90", not options.no_sim)):
        rows = []
        for case in (c for c in chosen if arch in c.tables):
            row = compare(case, arch, simulate)
            rows.append(row)
            print(f"{arch} {case.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        sim = HOPPER_SIM if arch == "sm_90" else SIM
        lines += [f"## {arch}" + (" (both compilers' sm_90a code)" if arch == "sm_90" else "")
                  + (f" ({sim} for the dynamic counts)" if simulate else " (static only)"),
                  ""] + table(rows, simulate) + [""]
        failures += sum("error" in r["triton"] and not r["triton"].get("refused") for r in rows)
    lines.append(f"Whole run: {time.perf_counter() - started:.0f} s (compilations included, "
                 "unless Kite's and Triton's caches held them; about 2 minutes without).")
    text = "\n".join(lines) + "\n"
    print(text)
    if options.record:
        path = os.path.join(HERE, "results", f"{options.record}-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("recorded in", os.path.relpath(path, ROOT))
    return 1 if failures else 0  # Kite's failures are results; Triton's break the comparison


if __name__ == "__main__":
    sys.exit(main())
