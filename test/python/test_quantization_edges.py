"""Edges of the quantized paths, on the device under test (conftest.DEVICE):

- an int8 dot whose int32 accumulator passes 2^31 (K = 196,608 of values
  near 127): the FMA dot (the interpreter, Vulkan, NVIDIA without a tensor
  core shape) wraps modulo 2^32 as numpy's int32 does; the tensor cores'
  ``mma.sync ... .satfinite`` (Triton's instruction too) saturates;
- ``kite.quantization.quantize`` of NaN and infinities (left out of the
  scale, then saturated or sent to 0 / NaN as ``kl.quantize`` does), and of
  a tensor too large for its 32-bit offsets (refused before any launch)."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import COMPILE_FOR, DEVICE, NUM_WARPS, compile_for

INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


@kite.kernel
def int8_dot_loop(a_ptr, b_ptr, c_ptr, K, M: kl.constexpr, N: kl.constexpr,
                  BK: kl.constexpr):
    # One program: a [M, K] @ [K, N] int8 product, BK of K per step, in an
    # int32 accumulator.
    rm = kl.arange(0, M)
    rn = kl.arange(0, N)
    rk = kl.arange(0, BK)
    acc = kl.zeros((M, N), dtype=kl.int32)
    for k in range(0, K, BK):
        a = kl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
        b = kl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :])
        acc = kl.dot(a, b, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


def _runs_on_tensor_cores(args, meta) -> bool:
    if DEVICE == "interpreter":
        return False
    compiled = int8_dot_loop.compile(*args, target=DEVICE, **meta)
    return "kitethread.mma_sync" in compiled.asm["threads"]


def test_int32_dot_accumulator_past_2_31_wraps_or_saturates():
    # K steps of 256 on the interpreter (numpy per step), of 32 elsewhere
    # (lavapipe takes a minute to compile the wider step at one warp).
    M, N, K, BK = 16, 8, 196608, 256 if DEVICE == "interpreter" else 32
    rng = np.random.default_rng(11)
    # a >= 100, b's columns all positive or all negative: every partial sum
    # of a column moves one way, to about +-2.6e9 at the end.
    a = rng.integers(100, 128, (M, K)).astype(np.int8)
    sign = np.where(np.arange(N) % 2 == 0, 1, -1).astype(np.int8)
    b = (rng.integers(100, 128, (K, N)) * sign).astype(np.int8)
    exact = a.astype(np.int64) @ b.astype(np.int64)
    assert (exact[:, 0::2] > INT32_MAX).all() and (exact[:, 1::2] < INT32_MIN).all()
    dev = [kite.from_numpy(x, device=DEVICE) for x in (a, b, np.zeros((M, N), np.int32))]
    meta = dict(M=M, N=N, BK=BK)
    if DEVICE != "interpreter":
        meta["num_warps"] = NUM_WARPS
    if COMPILE_FOR:
        compile_for(int8_dot_loop, COMPILE_FOR, dev + [K], meta)
    int8_dot_loop[(1,)](*dev, K, **meta)
    if _runs_on_tensor_cores(dev + [K], meta):
        expected = np.where(exact > 0, INT32_MAX, INT32_MIN).astype(np.int32)
    else:
        expected = exact.astype(np.int32)  # two's complement: the low 32 bits
        assert (expected == ((exact + 2 ** 31) % 2 ** 32 - 2 ** 31)).all()
    np.testing.assert_array_equal(dev[2].numpy(), expected)


def _int8_reference(x: np.ndarray, axis: int):
    """kite.quantization.quantize(x, kl.int8, axis) by its definition:
    amax over the finite values, scale amax / 127 (1 for 0), x / scale in
    float32 rounded to even, saturated to [-128, 127], NaN to 0."""
    finite = np.where(np.isfinite(x), np.abs(x), 0).astype(np.float32)
    scale = finite.max(axis=axis, keepdims=True) / np.float32(127)
    scale = np.where(scale > 0, scale, np.float32(1)).astype(np.float32)
    with np.errstate(invalid="ignore"):
        q = np.clip(np.rint(x / scale), -128, 127)
    return np.where(np.isnan(q), 0, q).astype(np.int8), scale


def _with_non_finite(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x[0, 3], x[1, 0], x[2, 5], x[3, :] = np.inf, -np.inf, np.nan, np.nan  # row 3: all NaN
    x[4, 1], x[4, 2] = np.inf, -np.inf
    x[5, :] = np.inf  # row 5: nothing finite
    return x


@pytest.mark.parametrize("n, where", [
    (4 * 1024, 4096 - 1),            # one program
    (4 * 1024 + 1, 4 * 1024),        # two: the largest in the second's one element
    (9 * 4096 + 7, 5 * 4096 + 3),    # ten chunks, the last one short
    (1024 * 4096 + 4097, 1024 * 4096 + 4096),  # 1024 programs of 5 blocks, the end
])
def test_the_per_tensor_scale_spans_programs(n, where):
    # kite.quantization's per-tensor amax: programs over chunks of the tensor,
    # then one over their results; the largest finite value anywhere sets it,
    # and NaN and inf in any chunk are left out.
    x = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    x[where] = -3.5
    x[n // 3] = np.inf
    x[n - 1 if where != n - 1 else 0] = np.nan
    q, s = kite.quantization.quantize(kite.from_numpy(x, device=DEVICE), kl.int8)
    assert s.numpy().shape == (1,)
    assert s.numpy()[0] == np.float32(3.5) / np.float32(127)
    assert q.numpy()[where] == -127 and q.numpy()[n // 3] == 127


@pytest.mark.parametrize("axis", [None, 1, 0])
def test_host_quantize_leaves_nan_and_inf_out_of_the_scale(axis):
    x = _with_non_finite((8, 32), 12)
    q, s = kite.quantization.quantize(kite.from_numpy(x, device=DEVICE), kl.int8, axis=axis)
    reduced = (0, 1) if axis is None else axis
    ref_q, ref_s = _int8_reference(x, reduced)
    np.testing.assert_array_equal(s.numpy(), ref_s)
    np.testing.assert_array_equal(q.numpy(), ref_q)
    assert np.isfinite(s.numpy()).all()
    if axis == 1:
        # Row 0 keeps its finite values' scale, +inf is 127; row 5 (only
        # +inf) has scale 1; row 3 (only NaN) is all 0.
        assert q.numpy()[0, 3] == 127 and q.numpy()[1, 0] == -128
        assert s.numpy()[5, 0] == 1 and (q.numpy()[5] == 127).all()
        assert (q.numpy()[3] == 0).all()


def test_host_quantize_int4_and_fp8_of_nan_and_inf():
    x = _with_non_finite((8, 32), 13)
    packed, s4 = kite.quantization.quantize(kite.from_numpy(x, device=DEVICE), "int4", axis=1)
    codes = packed.numpy().view(np.uint8)
    low, high = (codes & 0xF).astype(np.int8), (codes >> 4).astype(np.int8)
    q4 = np.empty((8, 32), np.int8)
    q4[:, 0::2], q4[:, 1::2] = np.where(low > 7, low - 16, low), np.where(high > 7, high - 16, high)
    finite = np.where(np.isfinite(x), np.abs(x), 0).max(axis=1, keepdims=True) / np.float32(7)
    np.testing.assert_array_equal(s4.numpy(), np.where(finite > 0, finite, 1).astype(np.float32))
    assert q4[0, 3] == 7 and q4[1, 0] == -8 and (q4[3] == 0).all() and (q4[5] == 7).all()

    q8, s8 = kite.quantization.quantize(kite.from_numpy(x, device=DEVICE), kl.float8e4nv, axis=1)
    values = q8.numpy()  # fp8 comes back as float32
    assert np.isfinite(s8.numpy()).all()
    # Infinities saturate to e4m3's largest value, NaN stays NaN.
    assert values[0, 3] == 448 and values[1, 0] == -448 and (values[5] == 448).all()
    assert np.isnan(values[2, 5]) and np.isnan(values[3]).all()
    finite_part = np.isfinite(x)
    ref = (x / s8.numpy()).astype(ml_dtypes.float8_e4m3fn).astype(np.float32)
    np.testing.assert_array_equal(values[finite_part], ref[finite_part])


def test_host_quantize_refuses_2_31_elements_before_allocating():
    # A tensor of 2^31 float16 (4 GiB) that has no storage: the check comes
    # before anything reads or allocates.
    huge = kite.Tensor((1 << 16, 1 << 15), kl.float16, "interpreter")
    for axis in (None, 0, 1):
        with pytest.raises(ValueError, match=r"32-bit offsets: at most 2\*\*31 - 1 elements, "
                                             r"got shape \(65536, 32768\) \(2147483648 elements\)"):
            kite.quantization.quantize(huge, kl.int8, axis=axis)


@kite.kernel
def w8a8_scales_rewritten(a_ptr, b_ptr, sa_ptr, sb_ptr, c_ptr, K, M: kl.constexpr,
                          N: kl.constexpr, BK: kl.constexpr, IN_LOOP: kl.constexpr):
    # W8A8 whose per-row scales, loaded before the loop, are overwritten
    # with 7.0 in the loop (IN_LOOP) or after it, before c is stored: the
    # result uses the scales as loaded.
    rm = kl.arange(0, M)
    rn = kl.arange(0, N)
    rk = kl.arange(0, BK)
    sa = kl.load(sa_ptr + rm)[:, None]
    sb = kl.load(sb_ptr)
    acc = kl.zeros((M, N), dtype=kl.float32)
    for k in range(0, K, BK):
        a = kl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
        b = kl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :])
        acc = kl.dot(kl.dequantize(a, sa), kl.dequantize(b, sb), acc)
        if IN_LOOP:
            kl.store(sa_ptr + rm, kl.full((M,), 7.0, kl.float32))
    if not IN_LOOP:
        kl.store(sa_ptr + rm, kl.full((M,), 7.0, kl.float32))
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


@pytest.mark.parametrize("in_loop", [False, True], ids=["after_the_loop", "in_the_loop"])
def test_scales_overwritten_after_their_load_are_not_read_again(in_loop):
    """kite-quantize-dot loads scales that only its rescale reads after the
    loop instead of before it; a store to them in the loop keeps the load
    where it is, and one after the loop comes after the rescale."""
    M, N, K, BK = 32, 32, 64, 32
    rng = np.random.default_rng(12)
    a = rng.integers(-128, 128, (M, K)).astype(np.int8)
    b = rng.integers(-128, 128, (K, N)).astype(np.int8)
    sa = (rng.integers(1, 64, M) / 64).astype(np.float32)
    sb = np.array([0.5], np.float32)
    dev = [kite.from_numpy(x, device=DEVICE)
           for x in (a, b, sa, sb, np.zeros((M, N), np.float32))]
    meta = dict(M=M, N=N, BK=BK, IN_LOOP=in_loop)
    if DEVICE != "interpreter":
        meta["num_warps"] = NUM_WARPS
    if COMPILE_FOR:
        compile_for(w8a8_scales_rewritten, COMPILE_FOR, dev + [K], meta)
    w8a8_scales_rewritten[(1,)](*dev, K, **meta)
    expected = (a.astype(np.float64) @ b.astype(np.float64)) * sa[:, None] * 0.5
    np.testing.assert_allclose(dev[4].numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(dev[2].numpy(), np.full(M, 7.0, np.float32))
