"""kl.dot of f16 and bf16 operands on NVIDIA tensor cores (sm_80 and later):
mma.sync m16n8k16 where the block's shape allows a grid of warps over 16x8
tiles and K is a multiple of 16, the FMA loop otherwise and on every other
target (docs/lowering.md, "Dots"). The numerics run on every device of the
tier; on cuda-sim they execute the mma.sync instructions."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, run


@kite.kernel
def dot_kernel(a_ptr, b_ptr, c_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr,
               K: kl.constexpr):
    m = kl.arange(0, M)
    n = kl.arange(0, N)
    k = kl.arange(0, K)
    a = kl.load(a_ptr + m[:, None] * K + k[None, :])
    b = kl.load(b_ptr + k[:, None] * N + n[None, :])
    c = kl.load(c_ptr + m[:, None] * N + n[None, :])
    kl.store(out_ptr + m[:, None] * N + n[None, :], kl.dot(a, b, acc=c))


# (operands, accumulator): bf16 with an f16 accumulator is not a kl.dot.
_TYPES = {"f16-f32": (kl.float16, np.float32), "f16-f16": (kl.float16, np.float16),
          "bf16-f32": (kl.bfloat16, np.float32)}

# (M, N, K, num_warps): shapes on tensor cores (one tile on one warp; 4 and
# 8 warps in 2x2, 4x1, 2x4 grids), and two the FMA loop keeps (K = 8; N too
# narrow for any grid of 4 warps).
_SHAPES = [(16, 8, 16, 1), (64, 64, 32, 4), (32, 64, 64, 4), (128, 32, 16, 8),
           (64, 16, 128, 2), (16, 16, 8, 1), (16, 8, 32, 4)]


def _operands(M, N, K, acc):
    """Multiples of 1/8 in [-2, 2] and c in [-8, 8]: every product and sum is
    exact in f32, so a result is the same in any order of summation."""
    rng = np.random.default_rng(M * 10000 + N * 100 + K)
    a = rng.integers(-16, 17, (M, K)) / 8
    b = rng.integers(-16, 17, (K, N)) / 8
    c = (rng.integers(-64, 65, (M, N)) / 8).astype(acc)
    return a, b, c


@pytest.mark.parametrize("types", list(_TYPES))
@pytest.mark.parametrize("M, N, K, num_warps", _SHAPES)
def test_dot_of_half_operands(types, M, N, K, num_warps):
    dtype, acc = _TYPES[types]
    a, b, c = _operands(M, N, K, acc)
    # c + a @ b, rounded once to the accumulator type.
    expected = (c.astype(np.float64) + a @ b).astype(acc)
    ad, bd = (kite.from_numpy(x.astype(np.float32), device=DEVICE, dtype=dtype) for x in (a, b))
    meta = {} if DEVICE == "interpreter" else {"num_warps": num_warps}
    out = run(dot_kernel, (1,), ad, bd, c, np.zeros((M, N), acc), M=M, N=N, K=K, **meta)[-1]
    np.testing.assert_array_equal(out, expected)


def _compile(target, dtype=kl.float16, acc=kl.float32, shape=(64, 64, 32), num_warps=4):
    M, N, K = shape
    return dot_kernel.compile(kl.pointer_type(dtype), kl.pointer_type(dtype),
                              kl.pointer_type(acc), kl.pointer_type(acc), target=target,
                              num_warps=num_warps, M=M, N=N, K=K)


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("dtype, acc, ptx_type", [(kl.float16, kl.float32, "f16"),
                                                  (kl.float16, kl.float16, "f16"),
                                                  (kl.bfloat16, kl.float32, "bf16")])
def test_a_half_dot_is_mma_sync_on_sm_80_and_later(arch, dtype, acc, ptx_type):
    compiled = _compile(f"cuda:{arch}", dtype, acc)
    # 64x64 over 4 warps: a 2x2 grid of 32x32 blocks, 2x4 tiles of 16x8
    # each, for each of the 2 (unrolled) steps of K = 32.
    assert compiled.asm["threads"].count("kitethread.mma_sync") == 16
    instruction = f"mma.sync.aligned.m16n8k16.row.col.f32.{ptx_type}.{ptx_type}.f32"
    assert instruction in compiled.asm["ptx"]
    assert not re.search(r"\bfma\.rn\.f32\b", compiled.asm["ptx"])


@pytest.mark.parametrize("target, dtype, shape", [
    ("cuda:sm_80", kl.float32, (64, 64, 32)),   # f32 operands: no f16 tensor cores
    ("cuda:sm_75", kl.float16, (64, 64, 32)),   # before sm_80
    ("cuda:sm_80", kl.float16, (64, 64, 8)),    # K is no multiple of 16
    ("generic", kl.float16, (64, 64, 32)),
])
def test_other_dots_and_targets_keep_the_fma_loop(target, dtype, shape):
    compiled = _compile(target, dtype, shape=shape)
    assert "kitethread.mma_sync" not in compiled.asm["threads"]
    assert "arith.mulf" in compiled.asm["threads"]
    if "ptx" in compiled.asm:
        assert "mma.sync" not in compiled.asm["ptx"]


@pytest.mark.skipif(not DEVICE.startswith("vulkan"), reason="needs a Vulkan device")
def test_vulkan_keeps_the_fma_loop():
    compiled = _compile(DEVICE)
    assert "kitethread.mma_sync" not in compiled.asm["threads"]
