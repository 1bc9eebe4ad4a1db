"""Triton's persistent matmul (its matmul tutorial's `matmul_kernel_persistent`
pattern: a program loops over output tiles, NUM_SMS apart, with
`kl.range(..., flatten=True)`, and a K loop inside) runs unchanged and
matches numpy: tiles cut at every edge, more tiles than programs and
programs with no tile; the inner loop is software-pipelined on NVIDIA
(and on wgmma on sm_90a). `flatten` is accepted and not yet acted on: each
tile's K loop has its own prologue (docs/language.md). The tutorial's
descriptor variant (in-kernel tensor descriptors, b as [N, K], the epilogue
whole or in two column halves) runs unchanged too."""
import importlib
import os
import sys

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, run


@kite.jit
def _compute_pid(tile_id, num_pid_in_group, num_pid_m, GROUP_SIZE_M: kl.constexpr):
    group_id = tile_id // num_pid_in_group
    first_pid_m = group_id * GROUP_SIZE_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_SIZE_M)
    pid_m = first_pid_m + (tile_id % group_size_m)
    pid_n = (tile_id % num_pid_in_group) // group_size_m
    return pid_m, pid_n


# The pointer variant is Triton's text as benchmarks/tensor_core_compare.py
# compiles it next to Triton (benchmarks/tensor_core_kernels.py), bound to
# Kite's names: one copy of the kernel.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
matmul_kernel_persistent = importlib.import_module("tensor_core_kernels").load(
    "kite").matmul_kernel_persistent


def _persistent(M, N, K, blocks, programs, group=2):
    rng = np.random.default_rng(M * N + K)
    a = (rng.integers(-4, 5, (M, K)) / 4).astype(np.float16)
    b = (rng.integers(-4, 5, (K, N)) / 4).astype(np.float16)
    c = np.full((M, N), np.nan, np.float16)
    BM, BN, BK = blocks
    out = run(matmul_kernel_persistent, (programs,), a, b, c, M, N, K, K, 1, N, 1, N, 1,
              BLOCK_SIZE_M=BM, BLOCK_SIZE_N=BN, BLOCK_SIZE_K=BK, GROUP_SIZE_M=group,
              NUM_SMS=programs)[2]
    expected = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=2e-3, atol=2e-2)


# (M, N, K, blocks, programs): 3 x 3 tiles cut at both edges, K not a
# multiple of BLOCK_K, over 4 programs (3, 2, 2 and 2 tiles); one tile over
# 3 programs (two of them idle).
@pytest.mark.parametrize("M, N, K, blocks, programs", [
    (80, 72, 100, (32, 32, 32), 4),
    (64, 64, 64, (64, 64, 32), 3),
])
def test_persistent_matmul_matches_numpy(M, N, K, blocks, programs):
    _persistent(M, N, K, blocks, programs)


@pytest.mark.skipif(DEVICE != "interpreter",
                    reason="compiles for cuda:sm_XX whatever the device: once, in the pytest tier")
@pytest.mark.parametrize("arch, instruction", [("sm_80", "mma.sync"),
                                               ("sm_90a", "wgmma.mma_async")])
def test_persistent_matmul_pipelines_its_k_loop(arch, instruction):
    compiled = matmul_kernel_persistent.compile(
        kl.pointer_type(kl.float16), kl.pointer_type(kl.float16), kl.pointer_type(kl.float16),
        4096, 4096, 4096, 4096, 1, 4096, 1, 4096, 1, target=f"cuda:{arch}", num_warps=8,
        num_stages=3, BLOCK_SIZE_M=128, BLOCK_SIZE_N=128, BLOCK_SIZE_K=64, GROUP_SIZE_M=8,
        NUM_SMS=132)
    assert 'pipelined: 3 stages' in compiled.asm["kitegpu"]
    assert instruction in compiled.asm["ptx"]


@kite.jit
def matmul_kernel_descriptor_persistent(a_ptr, b_ptr, c_ptr, M, N, K,
                                        BLOCK_SIZE_M: kl.constexpr, BLOCK_SIZE_N: kl.constexpr,
                                        BLOCK_SIZE_K: kl.constexpr, GROUP_SIZE_M: kl.constexpr,
                                        EPILOGUE_SUBTILE: kl.constexpr, NUM_SMS: kl.constexpr,
                                        WARP_SPECIALIZE: kl.constexpr):
    # The tutorial's descriptor variant: tiles through in-kernel tensor
    # descriptors (b given as [N, K]), and the epilogue optionally in two
    # column halves (reshape, permute, split).
    dtype = c_ptr.dtype.element_ty
    start_pid = kl.program_id(axis=0)
    num_pid_m = kl.cdiv(M, BLOCK_SIZE_M)
    num_pid_n = kl.cdiv(N, BLOCK_SIZE_N)
    k_tiles = kl.cdiv(K, BLOCK_SIZE_K)
    num_tiles = num_pid_m * num_pid_n
    a_desc = kl.make_tensor_descriptor(a_ptr, shape=[M, K], strides=[K, 1],
                                       block_shape=[BLOCK_SIZE_M, BLOCK_SIZE_K])
    b_desc = kl.make_tensor_descriptor(b_ptr, shape=[N, K], strides=[K, 1],
                                       block_shape=[BLOCK_SIZE_N, BLOCK_SIZE_K])
    c_desc = kl.make_tensor_descriptor(
        c_ptr, shape=[M, N], strides=[N, 1],
        block_shape=[BLOCK_SIZE_M, BLOCK_SIZE_N if not EPILOGUE_SUBTILE else BLOCK_SIZE_N // 2])
    tile_id_c = start_pid - NUM_SMS
    num_pid_in_group = GROUP_SIZE_M * num_pid_n
    for tile_id in kl.range(start_pid, num_tiles, NUM_SMS, flatten=True,
                            warp_specialize=WARP_SPECIALIZE):
        pid_m, pid_n = _compute_pid(tile_id, num_pid_in_group, num_pid_m, GROUP_SIZE_M)
        offs_am = pid_m * BLOCK_SIZE_M
        offs_bn = pid_n * BLOCK_SIZE_N
        accumulator = kl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=kl.float32)
        for ki in range(k_tiles):
            offs_k = ki * BLOCK_SIZE_K
            a = a_desc.load([offs_am, offs_k])
            b = b_desc.load([offs_bn, offs_k])
            accumulator = kl.dot(a, b.T, accumulator)
        tile_id_c += NUM_SMS
        pid_m, pid_n = _compute_pid(tile_id_c, num_pid_in_group, num_pid_m, GROUP_SIZE_M)
        offs_cm = pid_m * BLOCK_SIZE_M
        offs_cn = pid_n * BLOCK_SIZE_N
        if EPILOGUE_SUBTILE:
            acc = kl.reshape(accumulator, (BLOCK_SIZE_M, 2, BLOCK_SIZE_N // 2))
            acc = kl.permute(acc, (0, 2, 1))
            acc0, acc1 = kl.split(acc)
            c_desc.store([offs_cm, offs_cn], acc0.to(dtype))
            c_desc.store([offs_cm, offs_cn + BLOCK_SIZE_N // 2], acc1.to(dtype))
        else:
            c_desc.store([offs_cm, offs_cn], accumulator.to(dtype))


@pytest.mark.parametrize("subtile", [False, True], ids=["whole_epilogue", "epilogue_subtile"])
def test_descriptor_persistent_matmul_matches_numpy(subtile):
    # 3 x 3 tiles cut at both edges (the descriptors pad loads with zeros and
    # drop stores outside the tensor), K not a multiple of BLOCK_K, 4 programs.
    M, N, K, programs = 80, 72, 100, 4
    rng = np.random.default_rng(7)
    a = (rng.integers(-4, 5, (M, K)) / 4).astype(np.float16)
    b = (rng.integers(-4, 5, (K, N)) / 4).astype(np.float16)
    c = np.full((M, N), np.nan, np.float16)
    out = run(matmul_kernel_descriptor_persistent, (programs,), a, np.ascontiguousarray(b.T), c,
              M, N, K, BLOCK_SIZE_M=32, BLOCK_SIZE_N=32, BLOCK_SIZE_K=32, GROUP_SIZE_M=2,
              EPILOGUE_SUBTILE=subtile, NUM_SMS=programs, WARP_SPECIALIZE=False)[2]
    expected = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=2e-3, atol=2e-2)
