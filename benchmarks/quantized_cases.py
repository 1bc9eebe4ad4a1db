"""The quantized cases of benchmarks/tensor_core_compare.py: their
problems (inputs built with ml_dtypes, as test/python/test_dot_scaled.py
and test_quantized_gemm.py build them) and numpy references.

- MXFP8 and MXFP4 `dot_scaled` (quantized_kernels.block_scaled_matmul_kernel,
  one text for both compilers). Triton 3.9 refuses e4m3 before sm_89 ("type
  fp8e4nv not supported in this architecture"): the MXFP8 case's Triton
  side on sm_80 is that refusal, and a second MXFP8 case compiles both for
  sm_89: cuda-sim has no sm_89, so Kite's result is checked on
  cuda-sim:sm_90, and Triton's sm_89 code (its `cvt.rn.f16x2.e4m3x2`,
  which the simulator does not implement) is not run.
- W8A8, per-row and per-column scales: Kite's dequantize kernel and Kite's
  compilation of Triton's text, each next to Triton's compilation of its
  int8 tutorial matmul with the rescale written by hand.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

MODULE = "quantized_kernels"
M, N, K = 128, 128, 256  # one CTA of 128x128
GROUP = 32               # K elements per e8m0 scale


def _mx_operand(fmt: str, rows: int, rng) -> tuple:
    """(the stored uint8 [rows, K or K/2], float32 values [rows, K]): K
    along axis 1, e2m1 packed two to a byte along K, the first in the low
    nibble."""
    if fmt == "e2m1":
        codes = rng.integers(0, 16, (rows, K)).astype(np.uint8)
        return (codes[:, 0::2] | (codes[:, 1::2] << 4),
                codes.view(ml_dtypes.float4_e2m1fn).astype(np.float32))
    values = (rng.standard_normal((rows, K)) * 2).astype(ml_dtypes.float8_e4m3fn)
    return values.view(np.uint8), values.astype(np.float32)


def _e8m0(scales: np.ndarray) -> np.ndarray:
    """uint8 exponents as float32 factors, repeated over their 32 of K."""
    return np.repeat(scales.view(ml_dtypes.float8_e8m0fnu).astype(np.float32), GROUP, axis=1)


def mx_problem(case, rng) -> tuple:
    fmt = case.meta["FORMAT"]
    a, av = _mx_operand(fmt, M, rng)
    b, bv = _mx_operand(fmt, N, rng)  # stored [N, K]: the kernel takes b.T
    # Scales 2^-3 .. 2^2: the products stay well inside the fp16 output.
    sa = rng.integers(124, 130, (M, K // GROUP)).astype(np.uint8)
    sb = rng.integers(124, 130, (N, K // GROUP)).astype(np.uint8)
    c = np.zeros((M, N), np.float16)
    args = [a, sa, b, sb, c, M, N, K, a.shape[1], 1, b.shape[1], 1, N, 1]
    types = ["*u8"] * 4 + ["*fp16"] + ["i32", "i32", "i32", "i32", 1, "i32", 1, "i32", 1]
    reference = (av * _e8m0(sa)).astype(np.float64) @ (bv * _e8m0(sb)).astype(np.float64).T
    return args, types, (1,), 4, reference


def w8a8_problem(case, rng) -> tuple:
    a = rng.integers(-128, 128, (M, K)).astype(np.int8)
    b = rng.integers(-128, 128, (K, N)).astype(np.int8)
    sa = (rng.random(M) / 100 + 1e-3).astype(np.float32)
    sb = (rng.random(N) / 100 + 1e-3).astype(np.float32)
    c = np.zeros((M, N), np.float32)
    args = [a, b, sa, sb, c, M, N, K, K, 1, N, 1, N, 1]
    types = ["*i8", "*i8", "*fp32", "*fp32", "*fp32"] + ["i32", "i32", "i32", "i32", 1, "i32",
                                                          1, "i32", 1]
    reference = (a.astype(np.float64) @ b.astype(np.float64)) * sa[:, None] * sb[None, :]
    return args, types, (1,), 4, reference


def problem(case, rng) -> tuple:
    """(args, Triton signature types (1: a constexpr 1), grid, output index,
    numpy reference)."""
    if case.kernel == "block_scaled_matmul_kernel":
        return mx_problem(case, rng)
    return w8a8_problem(case, rng)


def tolerance(case) -> float:
    """Kite's largest error / the reference's largest value: MX products
    are exact in bf16 and the sums f32, then the fp16 output rounds
    (2^-11); W8A8's int32 sum is exact, times two f32 scales."""
    return 1e-3 if case.kernel == "block_scaled_matmul_kernel" else 1e-6


def cases(make) -> list:
    """The quantized cases, made by tensor_core_compare's Case(**fields)."""
    def mx(fmt, block_k, **kw):
        label = {"e4m3": "MXFP8 e4m3", "e2m1": "MXFP4 e2m1"}[fmt]
        meta = dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=128, BLOCK_SIZE_K=block_k, GROUP_SIZE_M=8,
                    ELEM_PER_BYTE=2 if fmt == "e2m1" else 1, FORMAT=fmt)
        return make(name=f"dot_scaled {label} 128x128x{block_k}" + kw.pop("suffix", ""),
                    kernel="block_scaled_matmul_kernel", dtype="uint8", meta=meta,
                    module=MODULE, **kw)

    def w8a8(block_k, kite_kernel, label):
        meta = dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=128, BLOCK_SIZE_K=block_k, GROUP_SIZE_M=8)
        return make(name=f"W8A8 {label} 128x128x{block_k}", kernel=kite_kernel,
                    triton_kernel="int8_scaled_matmul_kernel", dtype="int8", meta=meta,
                    module=MODULE)
    sm89 = dict(arch=89, sim="cuda-sim:sm_90", tables=("sm_80",), suffix=" on sm_89")
    return ([mx("e4m3", 64, triton_refuses=("sm_80",)), mx("e4m3", 128, triton_refuses=("sm_80",)),
             mx("e4m3", 64, **sm89), mx("e4m3", 128, **sm89),
             mx("e2m1", 64), mx("e2m1", 128)]
            + [w8a8(bk, "w8a8_dequantize_kernel", "kl.dequantize (Kite) vs hand-written "
                    "rescale (Triton)") for bk in (32, 64)]
            + [w8a8(bk, "int8_scaled_matmul_kernel", "hand-written rescale, both")
               for bk in (32, 64)])
