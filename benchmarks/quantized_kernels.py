"""The quantized kernels of benchmarks/tensor_core_compare.py, with
Triton's names, loaded for either compiler by kernel_text.load():

- `block_scaled_matmul_kernel`: Triton's block-scaled matmul tutorial
  simplified to pointers (no TMA descriptors, no preshuffled scales): MX
  operands (e4m3 bytes, or e2m1 packed two to a byte along K), B stored
  [N, K] and transposed as the tutorial does, e8m0 scales [M, K/32] and
  [N, K/32], `tl.dot_scaled`. Both compilers compile this same text.
- `int8_scaled_matmul_kernel`: Triton's tutorial matmul on int8 with an
  int32 accumulator and the W8A8 rescale written by hand after the loop
  (per-row scales of A, per-column scales of B), the way a Triton user
  writes W8A8. Both compilers compile it.
- `w8a8_dequantize_kernel`: the same GEMM as a Kite user writes it, the
  dot of `kl.dequantize`d operands (kite-quantize-dot turns it into the
  int8 dot and one rescale after the loop). Triton has no dequantize, so
  only Kite compiles it; it is compared with Triton's compilation of
  `int8_scaled_matmul_kernel`.

Their shared prologue (tile, rows and columns; the int8 kernels' operand
pointers) and epilogue (the masked store of C) are `@triton.jit` helpers,
which both compilers inline, so the compiled kernels are those of the
inline texts.
"""
from __future__ import annotations

import kernel_text

if globals().get("COMPILER") == "kite":  # set by kernel_text.load()
    import kite as triton
    import kite.language as tl
else:
    import triton
    import triton.language as tl


@triton.jit
def _tile(M, N, BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
          GROUP_SIZE_M: tl.constexpr):
    # The tutorial's grouped ordering of the output tiles.
    pid = tl.program_id(axis=0)
    num_pid_m = tl.cdiv(M, BLOCK_SIZE_M)
    num_pid_n = tl.cdiv(N, BLOCK_SIZE_N)
    num_pid_in_group = GROUP_SIZE_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_SIZE_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_SIZE_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    # As the tutorial says: with these, the offsets' `% M` and `% N` keep
    # their runs of consecutive elements (Kite's AxisInfo needs a dividend
    # known to be non-negative), so that the loads stay vectorized.
    tl.assume(pid_m >= 0)
    tl.assume(pid_n >= 0)
    return pid_m, pid_n


@triton.jit
def _tile_rows_and_columns(M, N, BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
                           GROUP_SIZE_M: tl.constexpr):
    # The prologue: this program's tile, and its rows of A and columns of B
    # (wrapped into range, as the tutorial does, so that loads need no mask).
    pid_m, pid_n = _tile(M, N, BLOCK_SIZE_M, BLOCK_SIZE_N, GROUP_SIZE_M)
    offs_am = (pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)) % M
    offs_bn = (pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)) % N
    return pid_m, pid_n, offs_am, offs_bn


@triton.jit
def _int8_operand_pointers(a_ptr, b_ptr, offs_am, offs_bn, stride_am, stride_ak, stride_bk,
                           stride_bn, BLOCK_SIZE_K: tl.constexpr):
    # The first K tile of A [M, K] and of B [K, N], as in the tutorial matmul.
    offs_k = tl.arange(0, BLOCK_SIZE_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
    return offs_k, a_ptrs, b_ptrs


@triton.jit
def _store_tile(c_ptr, c, pid_m, pid_n, M, N, stride_cm, stride_cn,
                BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr):
    # The epilogue: the tile in C's element type, stored masked to [M, N].
    c = c.to(c_ptr.dtype.element_ty)
    offs_cm = pid_m * BLOCK_SIZE_M + tl.arange(0, BLOCK_SIZE_M)
    offs_cn = pid_n * BLOCK_SIZE_N + tl.arange(0, BLOCK_SIZE_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, c, mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


@triton.jit
def block_scaled_matmul_kernel(a_ptr, a_scale_ptr, b_ptr, b_scale_ptr, c_ptr, M, N, K,
                               stride_am, stride_ak, stride_bn, stride_bk, stride_cm, stride_cn,
                               BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
                               BLOCK_SIZE_K: tl.constexpr, GROUP_SIZE_M: tl.constexpr,
                               ELEM_PER_BYTE: tl.constexpr, FORMAT: tl.constexpr):
    VEC_SIZE: tl.constexpr = 32  # K elements per e8m0 scale
    pid_m, pid_n, offs_am, offs_bn = _tile_rows_and_columns(M, N, BLOCK_SIZE_M, BLOCK_SIZE_N,
                                                            GROUP_SIZE_M)
    offs_k = tl.arange(0, BLOCK_SIZE_K // ELEM_PER_BYTE)
    offs_s = tl.arange(0, BLOCK_SIZE_K // VEC_SIZE)
    a_ptrs = a_ptr + offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_bn[:, None] * stride_bn + offs_k[None, :] * stride_bk
    a_scale_ptrs = a_scale_ptr + offs_am[:, None] * (K // VEC_SIZE) + offs_s[None, :]
    b_scale_ptrs = b_scale_ptr + offs_bn[:, None] * (K // VEC_SIZE) + offs_s[None, :]
    accumulator = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
        a = tl.load(a_ptrs)
        b = tl.load(b_ptrs)
        scale_a = tl.load(a_scale_ptrs)
        scale_b = tl.load(b_scale_ptrs)
        accumulator = tl.dot_scaled(a, scale_a, FORMAT, b.T, scale_b, FORMAT, accumulator)
        a_ptrs += (BLOCK_SIZE_K // ELEM_PER_BYTE) * stride_ak
        b_ptrs += (BLOCK_SIZE_K // ELEM_PER_BYTE) * stride_bk
        a_scale_ptrs += BLOCK_SIZE_K // VEC_SIZE
        b_scale_ptrs += BLOCK_SIZE_K // VEC_SIZE
    _store_tile(c_ptr, accumulator, pid_m, pid_n, M, N, stride_cm, stride_cn, BLOCK_SIZE_M,
                BLOCK_SIZE_N)


@triton.jit
def int8_scaled_matmul_kernel(a_ptr, b_ptr, a_scale_ptr, b_scale_ptr, c_ptr, M, N, K,
                              stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                              BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
                              BLOCK_SIZE_K: tl.constexpr, GROUP_SIZE_M: tl.constexpr):
    pid_m, pid_n, offs_am, offs_bn = _tile_rows_and_columns(M, N, BLOCK_SIZE_M, BLOCK_SIZE_N,
                                                            GROUP_SIZE_M)
    offs_k, a_ptrs, b_ptrs = _int8_operand_pointers(a_ptr, b_ptr, offs_am, offs_bn, stride_am,
                                                    stride_ak, stride_bk, stride_bn, BLOCK_SIZE_K)
    accumulator = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.int32)
    for k in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0)
        accumulator = tl.dot(a, b, accumulator)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        b_ptrs += BLOCK_SIZE_K * stride_bk
    # W8A8's rescale, by hand: one per row of A times one per column of B.
    scale_a = tl.load(a_scale_ptr + offs_am)
    scale_b = tl.load(b_scale_ptr + offs_bn)
    c = accumulator.to(tl.float32) * scale_a[:, None] * scale_b[None, :]
    _store_tile(c_ptr, c, pid_m, pid_n, M, N, stride_cm, stride_cn, BLOCK_SIZE_M, BLOCK_SIZE_N)


@triton.jit
def w8a8_dequantize_kernel(a_ptr, b_ptr, a_scale_ptr, b_scale_ptr, c_ptr, M, N, K,
                           stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                           BLOCK_SIZE_M: tl.constexpr, BLOCK_SIZE_N: tl.constexpr,
                           BLOCK_SIZE_K: tl.constexpr, GROUP_SIZE_M: tl.constexpr):
    pid_m, pid_n, offs_am, offs_bn = _tile_rows_and_columns(M, N, BLOCK_SIZE_M, BLOCK_SIZE_N,
                                                            GROUP_SIZE_M)
    offs_k, a_ptrs, b_ptrs = _int8_operand_pointers(a_ptr, b_ptr, offs_am, offs_bn, stride_am,
                                                    stride_ak, stride_bk, stride_bn, BLOCK_SIZE_K)
    scale_a = tl.load(a_scale_ptr + offs_am)[:, None]  # [BLOCK_SIZE_M, 1]: per row
    scale_b = tl.load(b_scale_ptr + offs_bn)[None, :]  # [1, BLOCK_SIZE_N]: per column
    accumulator = tl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_SIZE_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0)
        accumulator = tl.dot(tl.dequantize(a, scale_a), tl.dequantize(b, scale_b), accumulator)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        b_ptrs += BLOCK_SIZE_K * stride_bk
    _store_tile(c_ptr, accumulator, pid_m, pid_n, M, N, stride_cm, stride_cn, BLOCK_SIZE_M,
                BLOCK_SIZE_N)


def load(compiler: str):
    """This file's kernels compiled by `compiler` ("kite" or "triton")."""
    return kernel_text.load(__file__, compiler)
