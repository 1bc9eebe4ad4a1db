"""Quantized GEMMs with their narrow operand decoded at the mma fragments
or staged at 16 bits (the `fuse_dequantize` option), in the same run,
without a GPU: W4A16 (int4 weights packed along K, an f16 scale per 128 of
K and column) and W8A16 (int8 weights, an f32 scale per column) at several
tile shapes, and the MXFP4/MXFP8 `dot_scaled` cases of
tensor_core_compare.py, each compiled for sm_80 (MXFP8: sm_89) with
`fuse_dequantize` False (staged), True (the default policy: decoded at the
fragments where no other warp decodes the same elements) and "always".

Per kernel and mode: registers and spills (ptxas), shared memory, the K
loop's PTX instructions per K tile and its ldmatrix (ptx_kloop.py), and on
cuda-sim (sm_80; MXFP8: sm_90) the executed instructions of one CTA and the
result against numpy.

    PYTHONPATH=python python3 benchmarks/fused_dequantize.py [--record] [--no-sim]
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
sys.path.insert(0, HERE)

import kite  # noqa: E402
import kite.language as kl  # noqa: E402
from kite import ptxas  # noqa: E402

import ptx_kloop  # noqa: E402
import quantized_cases  # noqa: E402
import tensor_core_compare  # noqa: E402

MODES = (False, True, "always")
K = 512


@kite.kernel
def w4a16_matmul(x_ptr, w_ptr, s_ptr, c_ptr, M, N, K, GROUP: kl.constexpr,
                 BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    rh = kl.arange(0, BK // 2)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        x = kl.load(x_ptr + rm[:, None] * K + (k * BK + rk)[None, :])
        packed = kl.load(w_ptr + (k * (BK // 2) + rh)[:, None] * N + rn[None, :])
        s = kl.load(s_ptr + ((k * BK) // GROUP) * N + rn[None, :])
        acc = kl.dot(x, kl.dequantize(kl.unpack_int4(packed, axis=0), s), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


@kite.kernel
def w8a16_matmul(x_ptr, w_ptr, s_ptr, c_ptr, M, N, K,
                 BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    s = kl.load(s_ptr + rn)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        x = kl.load(x_ptr + rm[:, None] * K + (k * BK + rk)[None, :])
        w = kl.load(w_ptr + (k * BK + rk)[:, None] * N + rn[None, :])
        acc = kl.dot(x, (w.to(kl.float32) * s[None, :]).to(kl.float16), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


def weight_only_problem(bits: int, BM: int, BN: int, rng):
    """(args, numpy reference) of one CTA: x [BM, K] f16 @ w [K, BN]."""
    M, N = BM, BN
    x = rng.standard_normal((M, K)).astype(np.float16)
    if bits == 4:
        w = rng.integers(-8, 8, (K, N)).astype(np.int8)
        u = w.astype(np.uint8) & 0xF
        packed = (u[0::2] | (u[1::2] << 4)).view(np.int8)
        s = (rng.random((K // 128, N)) / 10 + 0.01).astype(np.float16)
        wd = (w.astype(np.float32) * np.repeat(s, 128, axis=0).astype(np.float32))
        args = [x, packed, s, np.zeros((M, N), np.float32), M, N, K]
    else:
        w = rng.integers(-128, 128, (K, N)).astype(np.int8)
        s = (rng.random(N) / 100 + 1e-3).astype(np.float32)
        wd = w.astype(np.float32) * s[None, :]
        args = [x, w, s, np.zeros((M, N), np.float32), M, N, K]
    return args, x.astype(np.float64) @ wd.astype(np.float16).astype(np.float64)


class WeightOnly:
    def __init__(self, bits, BM, BN, BK, num_warps):
        self.bits, self.num_warps = bits, num_warps
        self.meta = dict(BM=BM, BN=BN, BK=BK, **({"GROUP": 128} if bits == 4 else {}))
        self.name = f"W{bits}A16 {BM}x{BN}x{BK}, {num_warps} warps"
        self.kernel = w4a16_matmul if bits == 4 else w8a16_matmul
        self.arch, self.sim = "sm_80", "cuda-sim:sm_80"

    def problem(self, rng):
        args, ref = weight_only_problem(self.bits, self.meta["BM"], self.meta["BN"], rng)
        return args, (1, 1), 3, ref

    def tensors(self, args, device):
        return [kite.from_numpy(a, device=device) if isinstance(a, np.ndarray) else a
                for a in args]

    def compile_meta(self):
        return dict(self.meta, num_warps=self.num_warps, num_stages=3)

    def macs_per_k_step(self):
        return self.meta["BM"] * self.meta["BN"] * self.meta["BK"]


class BlockScaled:
    """A dot_scaled case of tensor_core_compare (one 128x128 CTA)."""

    def __init__(self, case):
        self.case, self.name, self.num_warps = case, case.name, case.num_warps
        self.kernel = case.kernel_of("kite")
        self.arch = f"sm_{case.arch}" if getattr(case, "arch", None) else "sm_80"
        self.sim = case.sim or "cuda-sim:sm_80"

    def problem(self, rng):
        args, _types, grid, output, ref = tensor_core_compare.problem(self.case, rng)
        return args, grid, output, ref

    def tensors(self, args, device):
        return tensor_core_compare.kite_args(self.case, args, device)

    def compile_meta(self):
        return dict(self.case.meta, num_warps=self.num_warps, num_stages=self.case.num_stages)

    def macs_per_k_step(self):
        return self.case.macs_per_k_step()


def cases():
    weight_only = [WeightOnly(4, 16, 128, 64, 4), WeightOnly(4, 16, 256, 128, 4),
                   WeightOnly(4, 64, 128, 64, 4), WeightOnly(4, 128, 128, 64, 8),
                   WeightOnly(4, 128, 64, 64, 8), WeightOnly(8, 16, 128, 64, 4),
                   WeightOnly(8, 128, 128, 64, 8)]
    scaled = [BlockScaled(c) for c in tensor_core_compare.cases()
              if c.kernel == "block_scaled_matmul_kernel"
              and (("MXFP4" in c.name) or ("on sm_89" in c.name))]
    return weight_only + scaled


def measure(case, mode, simulate: bool, rng_seed=0) -> dict:
    args, grid, output, ref = case.problem(np.random.default_rng(rng_seed))
    meta = dict(case.compile_meta(), fuse_dequantize=mode)
    compiled = case.kernel.compile(*case.tensors(args, case.sim), target=f"cuda:{case.arch}",
                                   **meta)
    ptx = compiled.asm["ptx"]
    usage = ptxas.assemble(ptx, case.arch, compiled.metadata.name).metadata()
    loop = ptx_kloop.k_loop_profile(ptx)
    steps = (loop["k_loop_warp_macs"] * case.num_warps / case.macs_per_k_step()
             if loop.get("k_loop_warp_macs") else None)
    row = {"regs": usage["n_regs"], "spills": usage["n_spills"],
           "shared": compiled.metadata.shared,
           "k_step": round(loop["k_loop_instructions"] / steps) if steps else None,
           "ldmatrix": ptx_kloop.static_counts(ptx)["ldmatrix"]}
    if simulate:
        tensors = case.tensors(args, case.sim)
        case.kernel[grid](*tensors, **meta)
        row["dyn"] = kite.sim.statistics(case.sim)["instructions"] / np.prod(grid)
        out = tensors[output].numpy().astype(np.float64)
        error = float(np.max(np.abs(out - ref)))
        # The dot_scaled cases' own bound (their fp16 output); the
        # weight-only ones: f32 sums of exact products.
        bound = (quantized_cases.tolerance(case.case) if isinstance(case, BlockScaled)
                 else 1e-5)
        row["numerics"] = ("matches numpy" if error <= bound * max(1.0, np.abs(ref).max())
                           else f"WRONG (max error {error:.3g})")
    return row


def table(results, simulate: bool) -> list:
    head = ["kernel", "fuse_dequantize", "regs", "spill B", "shared B", "K-step instrs",
            "ldmatrix"] + (["dyn instrs/CTA", "numerics"] if simulate else [])
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for case, mode, row in results:
        cells = [f"{case.name} ({case.arch})", repr(mode), row["regs"], row["spills"],
                 row["shared"], row["k_step"], row["ldmatrix"]]
        if simulate:
            cells += [f"{row['dyn']:.0f}", row["numerics"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", nargs="?", const="fused-dequantize-sm_80", metavar="FILE",
                        help="write the table to benchmarks/results/FILE-<date>.md")
    parser.add_argument("--only", action="append", help="cases whose name contains this text")
    parser.add_argument("--no-sim", action="store_true", help="static numbers only")
    options = parser.parse_args(argv)
    os.environ.setdefault("KITE_MEMORY_CHECKS", "0")  # as compiled for a GPU
    started = time.perf_counter()
    results = []
    for case in cases():
        if options.only and not any(o in case.name for o in options.only):
            continue
        for mode in MODES:
            results.append((case, mode, measure(case, mode, not options.no_sim)))
            print(f"{case.name} {mode!r}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    args = " ".join(sys.argv[1:] if argv is None else argv)
    lines = [f"# Decoded at the fragments or staged: quantized GEMMs, {datetime.date.today()}",
             "", f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores, no GPU. "
             f"ptxas: {ptxas.version()}. Command: `PYTHONPATH=python python3 "
             f"benchmarks/fused_dequantize.py {args}`. One CTA, K = {K} (weight-only) or 256 "
             "(dot_scaled); *K-step instrs*: the K loop's PTX instructions per K tile "
             "(ptx_kloop.py); *dyn instrs/CTA*: cuda-sim's executed instructions of one "
             "CTA (cuda-sim has no sm_89: the MXFP8 rows' count and result are of the same "
             "kernel compiled for sm_90, run on cuda-sim:sm_90).", ""]
    lines += table(results, not options.no_sim)
    lines += ["", f"Whole run: {time.perf_counter() - started:.0f} s."]
    text = "\n".join(lines) + "\n"
    print(text)
    if options.record:
        path = os.path.join(HERE, "results", f"{options.record}-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
