"""The FMA dot (docs/lowering.md, "Dot"): each thread accumulates its tile of
the result from the rows of a and columns of b it reads once per k, a
staged transposed and b row-major in workgroup memory; where every lane of
a warp needs the same rows (or columns), lane l reads the l-th of each
threads-per-warp of them and shuffles share them. Shapes from 16 to 128, K
blocks of 1 to 64 with masked tails, every operand type, any num_warps
(KITE_TEST_NUM_WARPS); on Vulkan and NVIDIA without tensor cores."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import NUM_WARPS, run


@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr, BLOCK_K: kl.constexpr,
                  DTYPE: kl.constexpr, ACC: kl.constexpr):
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    offs_m = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    offs_k = kl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :] * stride_bn
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    for k in range(0, kl.cdiv(K, BLOCK_K)):
        a = kl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k * BLOCK_K),
                    other=0)
        b = kl.load(b_ptrs, mask=(offs_k[:, None] < K - k * BLOCK_K) & (offs_n[None, :] < N),
                    other=0)
        acc += kl.dot(a.to(DTYPE), b.to(DTYPE))
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn
    kl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


_TYPES = {
    "float32": (kl.float32, kl.float32),
    "int8": (kl.int8, kl.int32),
    "float16": (kl.float16, kl.float32),
    "bfloat16": (kl.bfloat16, kl.float32),
    "float8e4nv": (kl.float8e4nv, kl.float32),
}


def _matmul(name, M, N, K, BM, BN, BK, **options):
    """C = A @ B by the kernel, checked exactly: small integers, whose
    products and sums every operand and accumulator type holds exactly."""
    dtype, acc = _TYPES[name]
    rng = np.random.default_rng(M * 10007 + N * 101 + K)
    a = rng.integers(-4, 5, (M, K)).astype(np.float32)
    b = rng.integers(-4, 5, (K, N)).astype(np.float32)
    c = np.zeros((M, N), np.int32 if name == "int8" else np.float32)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    # At most 64 elements of c, a and b each a thread of 32 lanes: one warp
    # holding 64x64 blocks spills on sm_80 (its 64-bit pointers too).
    warps = NUM_WARPS
    while warps * 2048 < BM * BN + BM * BK + BK * BN:
        warps *= 2
    options.setdefault("num_warps", warps)
    out = run(matmul_kernel, grid, a, b, c, M, N, K, K, 1, N, 1, N, 1,
              BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, DTYPE=dtype, ACC=acc, **options)[2]
    np.testing.assert_array_equal(out, (a @ b).astype(out.dtype))


# Blocks from 16 to 128, square and not; K = 24, 40 and 48 leave a masked
# tail of a block.
@pytest.mark.parametrize("BM, BN, BK, K", [
    (16, 16, 16, 16), (16, 16, 16, 24), (32, 32, 32, 40), (64, 64, 32, 64),
    (128, 16, 16, 48), (16, 128, 16, 32), (64, 32, 64, 64), (128, 64, 16, 16),
])
def test_fp32_matmul_blocks(BM, BN, BK, K):
    _matmul("float32", 2 * BM - 3, 2 * BN - 5, K, BM, BN, BK)


# K blocks smaller than 16, K not a multiple of them.
@pytest.mark.parametrize("BK", [1, 2, 8])
def test_small_k_blocks(BK):
    _matmul("float32", 32, 32, 3 * BK + 1 if BK > 1 else 5, 32, 32, BK)


@pytest.mark.parametrize("name", ["int8", "float16", "bfloat16", "float8e4nv"])
@pytest.mark.parametrize("BM, BN, BK", [(64, 64, 32), (32, 16, 16)])
def test_operand_types(name, BM, BN, BK):
    _matmul(name, BM, BN, 2 * BK, BM, BN, BK)


# Two warps holding a 64x64 result: 64 registers a thread of 32 lanes, 256
# one of 8 (the 8 x 8 tile repeated); with more warps than the block has
# rows for, the layout repeats and threads hold copies.
@pytest.mark.parametrize("BM, BN, num_warps", [(64, 64, 2), (16, 16, 8), (16, 64, 8)])
def test_layouts_with_repeated_and_replicated_tiles(BM, BN, num_warps):
    _matmul("float32", BM, BN, 32, BM, BN, 16, num_warps=num_warps)


# ----------------------------------------------------- what the lowering makes

def _dot_loop(name, BM, BN, BK, subgroup, num_warps):
    dtype, acc = _TYPES[name]
    compiled = matmul_kernel.compile(
        kl.pointer_type(dtype), kl.pointer_type(dtype), kl.pointer_type(acc),
        *(BM, BN, BK, BK, 1, BN, 1, BN, 1), target=f"generic:subgroup={subgroup}",
        num_warps=num_warps, BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, DTYPE=dtype, ACC=acc)
    threads = compiled.asm["threads"]
    # The innermost scf.for with a step: the dot's k loop.
    start = threads.index("scf.for", threads.index("gpu.barrier"))
    return threads[start:threads.index("scf.yield", start)]


def test_a_warp_that_shares_its_rows_reads_each_once_and_shuffles_them():
    # 64x64 with 4 warps of 8 lanes: each lane holds 16 rows (two groups of
    # 8) and 8 columns of the result, the lanes of a warp the same rows. Per
    # k: 2 loads of a and 16 shuffles, 8 loads of b, 128 products.
    loop = _dot_loop("float32", 64, 64, 32, subgroup=8, num_warps=4)
    assert len(re.findall(r"memref\.load", loop)) == 2 + 8
    assert len(re.findall(r"gpu\.shuffle\s+idx", loop)) == 16
    assert len(re.findall(r"arith\.mulf", loop)) == 128


def test_lanes_that_need_different_rows_read_their_own():
    # 32 lanes a warp: a 64x64 result of 4 warps gives each thread 4 rows
    # and 8 columns, the lanes of a warp different rows: 12 loads per k.
    loop = _dot_loop("float32", 64, 64, 32, subgroup=32, num_warps=4)
    assert "gpu.shuffle" not in loop
    assert len(re.findall(r"memref\.load", loop)) == 4 + 8
    assert len(re.findall(r"arith\.mulf", loop)) == 32
