"""kl.dot_scaled (Triton's microscaled dot) on every device: MXFP8, MXFP4,
mixed formats and unscaled operands against numpy with ml_dtypes' decoding
of e2m1, e4m3, e5m2 and e8m0; NaN and tiny scales; errors users can hit."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import COMPILE_FOR, DEVICE, NUM_WARPS, compile_for

RNG = np.random.default_rng(11)


@kite.kernel
def mx_matmul(a_ptr, sa_ptr, b_ptr, sb_ptr, c_ptr, M, N, K,
              FA: kl.constexpr, FB: kl.constexpr, PA: kl.constexpr, PB: kl.constexpr,
              A_SCALED: kl.constexpr, B_SCALED: kl.constexpr,
              BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # PA, PB: values per stored element along K (2 for e2m1).
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    ka = kl.arange(0, BK // PA)
    kb = kl.arange(0, BK // PB)
    ks = kl.arange(0, BK // 32)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        a = kl.load(a_ptr + rm[:, None] * (K // PA) + (k * (BK // PA) + ka)[None, :])
        b = kl.load(b_ptr + (k * (BK // PB) + kb)[:, None] * N + rn[None, :])
        sa = kl.load(sa_ptr + rm[:, None] * (K // 32) + (k * (BK // 32) + ks)[None, :])
        sb = kl.load(sb_ptr + rn[:, None] * (K // 32) + (k * (BK // 32) + ks)[None, :])
        if A_SCALED and B_SCALED:
            acc = kl.dot_scaled(a, sa, FA, b, sb, FB, acc)
        elif A_SCALED:
            acc = kl.dot_scaled(a, sa, FA, b, None, FB, acc)
        else:
            acc = kl.dot_scaled(a, None, FA, b, sb, FB, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


def _operand(fmt, rows, K, along_k_axis):
    """(stored array, its kite dtype, float32 values [rows, K] or [K, rows])."""
    shape = (rows, K) if along_k_axis == 1 else (K, rows)
    if fmt == "e2m1":
        codes = RNG.integers(0, 16, shape).astype(np.uint8)
        values = codes.view(ml_dtypes.float4_e2m1fn).astype(np.float32)
        c = np.moveaxis(codes, along_k_axis, -1)
        packed = np.moveaxis(c[..., 0::2] | (c[..., 1::2] << 4), -1, along_k_axis)
        return np.ascontiguousarray(packed), kl.uint8, values
    if fmt in ("e4m3", "e5m2"):
        kind = ml_dtypes.float8_e4m3fn if fmt == "e4m3" else ml_dtypes.float8_e5m2
        values = (RNG.standard_normal(shape) * 2).astype(kind)
        return values.view(np.uint8), kl.uint8, values.astype(np.float32)
    x = RNG.standard_normal(shape).astype(np.float32)
    if fmt == "bf16":
        x = x.astype(ml_dtypes.bfloat16).astype(np.float32)
        return x, kl.bfloat16, x
    x = x.astype(np.float16)
    return x, kl.float16, x.astype(np.float32)


def _run(fa, fb, a_scaled=True, b_scaled=True, M=32, N=32, K=64, scales=None, poke=None,
         tiles=(16, 16, 32), **options):
    a, a_kind, av = _operand(fa, M, K, 1)
    b, b_kind, bv = _operand(fb, N, K, 0)
    if poke:
        poke(a, av, b, bv)
    sa, sb = scales if scales is not None else (
        RNG.integers(120, 134, (M, K // 32)).astype(np.uint8),
        RNG.integers(120, 134, (N, K // 32)).astype(np.uint8))
    # The decoded values are scaled in bf16 (docs/quantization.md): exact,
    # except where a small scale makes them subnormal and bf16 rounds them.
    def scaled(values, scales, fmt):
        with np.errstate(over="ignore"):  # 6 * 2^127 is inf, in bf16 too
            values = values * scales
        return values if fmt == "fp16" else values.astype(ml_dtypes.bfloat16).astype(np.float32)

    if a_scaled:
        av = scaled(av, np.repeat(sa.view(ml_dtypes.float8_e8m0fnu).astype(np.float32), 32, axis=1),
                    fa)
    if b_scaled:
        bv = scaled(bv, np.repeat(sb.view(ml_dtypes.float8_e8m0fnu).astype(np.float32), 32,
                                  axis=1).T, fb)
    args = [kite.from_numpy(a, device=DEVICE, dtype=a_kind), kite.from_numpy(sa, device=DEVICE),
            kite.from_numpy(b, device=DEVICE, dtype=b_kind), kite.from_numpy(sb, device=DEVICE),
            kite.from_numpy(np.zeros((M, N), np.float32), device=DEVICE), M, N, K]
    meta = dict(FA=fa, FB=fb, PA=2 if fa == "e2m1" else 1, PB=2 if fb == "e2m1" else 1,
                A_SCALED=a_scaled, B_SCALED=b_scaled, BM=tiles[0], BN=tiles[1], BK=tiles[2])
    if DEVICE != "interpreter":
        # At least 4 on Vulkan: lavapipe's compiler takes minutes on the
        # software fp8/bf16 conversions at 1 or 2 warps (cuda-sim runs 1).
        meta["num_warps"] = max(NUM_WARPS, 4) if DEVICE.startswith("vulkan") else NUM_WARPS
    if COMPILE_FOR:
        compile_for(mx_matmul, COMPILE_FOR, args, meta)
    if DEVICE != "interpreter":
        meta.update(options)
    mx_matmul[(M // tiles[0], N // tiles[1])](*args, **meta)
    with np.errstate(invalid="ignore"):
        ref = av.astype(np.float64) @ bv.astype(np.float64)
    return args[4].numpy(), ref


@pytest.mark.parametrize("fa, fb", [("e4m3", "e4m3"), ("e2m1", "e2m1"), ("e5m2", "e4m3"),
                                    ("e2m1", "e4m3")])
def test_mx_formats_match_numpy(fa, fb):
    out, ref = _run(fa, fb)
    # Products of the decoded, scaled values are exact in bf16 x bf16; only
    # the f32 sums round.
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("fa, fb, a_scaled, b_scaled", [("e2m1", "bf16", True, False),
                                                        ("bf16", "e4m3", False, True),
                                                        ("fp16", "e2m1", False, True)])
def test_mixed_and_unscaled_operands(fa, fb, a_scaled, b_scaled):
    out, ref = _run(fa, fb, a_scaled, b_scaled)
    # bf16 values are exact; fp16 ones make an f32 ("ieee") dot.
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


def test_scale_255_is_nan_and_scale_0_is_tiny():
    M = N = 32
    K = 64
    sa = np.full((M, K // 32), 127, np.uint8)
    sb = np.full((N, K // 32), 127, np.uint8)
    sa[3, 1] = 255    # row 3 of the result is NaN
    sa[5, :] = 0      # row 5 scaled by 2^-127: subnormal operands, rounded in bf16
    sb[:, :] = 127
    out, ref = _run("e4m3", "e4m3", scales=(sa, sb), M=M, N=N, K=K)
    assert np.isnan(out[3]).all() and np.isnan(ref[3]).all()
    assert not np.isnan(np.delete(out, 3, axis=0)).any()
    np.testing.assert_allclose(out[5], ref[5], rtol=1e-5, atol=0)
    np.testing.assert_allclose(np.delete(out, 3, axis=0), np.delete(ref, 3, axis=0),
                               rtol=0, atol=1e-5 * np.nanmax(np.abs(ref)))


@pytest.mark.parametrize("fuse", [True, "always", False])
def test_every_e2m1_byte_at_extreme_scales(fuse):
    # Every byte (both nibbles: all 16 codes, -0 included) times scales 0
    # (2^-127: subnormal products), 1, 127, 200, 254 (2^127) and 255 (NaN),
    # against an identity b, in 64 x 64 tiles: the tensor-core lowering
    # decodes the codes two to a bf16x2 word, in the staging buffer (the
    # default) or at the fragments ("always"). Exact: each result is one
    # product.
    M = N = K = 64

    def poke(a, av, b, bv):
        a[:] = (np.arange(a.size) % 256).astype(np.uint8).reshape(a.shape)
        codes = np.stack([a & 15, a >> 4], axis=-1).reshape(av.shape)
        av[:] = codes.view(ml_dtypes.float4_e2m1fn).astype(np.float32)
        b[:] = bv[:] = np.eye(K, N, dtype=np.float32)

    sa = np.resize(np.array([0, 1, 127, 200, 254, 255, 126, 128], np.uint8), (M, K // 32))
    sb = np.full((N, K // 32), 127, np.uint8)
    out, ref = _run("e2m1", "bf16", b_scaled=False, M=M, N=N, K=K, scales=(sa, sb),
                    poke=poke, tiles=(64, 64, 64), num_stages=2, fuse_dequantize=fuse)
    # Products below 2^-126 (scales 0 and 1) are subnormal, in bf16x2 too:
    # the PTX ISA keeps them. (cuda-sim once flushed them, running the
    # bf16x2 multiplies through the host's AVX512-BF16 conversion;
    # test_cuda_sim_isa_conversions.py checks that apart.)
    tiny = (ref != 0) & (np.abs(np.nan_to_num(ref)) < np.finfo(np.float32).tiny)
    assert (ref[tiny] != 0).sum() >= M * 4
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.nan_to_num(out), np.nan_to_num(ref))
    assert np.isnan(ref).any() and (ref[np.isfinite(ref)] != 0).sum() > M * K // 4


@pytest.mark.parametrize("fa, a_nan", [("e4m3", 0xFF), ("e5m2", 0xFD)])
def test_nan_codes_make_their_rows_and_columns_nan(fa, a_nan):
    # NaN codes of either sign: where the target decodes in hardware, their
    # NaN bits are left to it (nothing but the dot reads them); the result
    # is NaN in their row and column all the same, and only there.
    def poke(a, av, b, bv):
        a[2, 5], av[2, 5] = a_nan, np.nan
        b[9, 7], bv[9, 7] = 0x7F, np.nan

    out, ref = _run(fa, "e4m3", poke=poke)
    assert np.isnan(out[2]).all() and np.isnan(out[:, 7]).all()
    rest = np.delete(np.delete(out, 2, axis=0), 7, axis=1)
    rest_ref = np.delete(np.delete(ref, 2, axis=0), 7, axis=1)
    assert not np.isnan(rest).any()
    np.testing.assert_allclose(rest, rest_ref, rtol=0, atol=1e-5 * np.abs(rest_ref).max())


@kite.kernel
def bad_dot_scaled(a_ptr, s_ptr, c_ptr, WHAT: kl.constexpr):
    r = kl.arange(0, 32)
    a = kl.load(a_ptr + r[:, None] * 32 + r[None, :])
    s = kl.load(s_ptr + r[:, None] + kl.arange(0, 2)[None, :])
    if WHAT == "format":
        c = kl.dot_scaled(a, None, "e3m2", a, None, "e4m3")
    else:
        c = kl.dot_scaled(a, s, "e4m3", a, None, "e4m3")
    kl.store(c_ptr + r[:, None] * 32 + r[None, :], c)


@pytest.mark.parametrize("what, message", [
    ("format", "lhs_format must be one of 'e2m1', 'e4m3', 'e5m2', 'bf16', 'fp16', got 'e3m2'"),
    ("scale", r"lhs_scale must be uint8 e8m0 exponents of shape \[32, 32 / 32\] \(one per 32 "
              r"elements of K\), got shape \[32, 2\] of uint8")])
def test_errors_name_the_mistake(what, message):
    args = [kite.from_numpy(np.zeros((32, 32), np.uint8), device=DEVICE),
            kite.from_numpy(np.zeros((32, 2), np.uint8), device=DEVICE),
            kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE)]
    with pytest.raises(kite.CompilationError, match=message):
        bad_dot_scaled.compile(*args, WHAT=what)


@kite.kernel
def bf16_chain_into_dot(x_ptr, y, c_ptr, STEPS: kl.constexpr):
    r = kl.arange(0, 16)
    x = kl.load(x_ptr + r[:, None] * 16 + r[None, :]).to(kl.bfloat16)
    y = y.to(kl.bfloat16)
    for _ in kl.static_range(STEPS):
        x = x + y
    kl.store(c_ptr + r[:, None] * 16 + r[None, :], kl.dot(x, x))


def test_a_long_bf16_chain_into_a_dot():
    # 300 roundings to bf16 that reach only the dot: the NaN-bits analysis
    # follows a bounded depth (past it a value counts as read) and the
    # result is the same.
    steps = 300
    x = RNG.standard_normal((16, 16)).astype(np.float32)
    y = np.float32(2.0 ** -7)
    out = kite.from_numpy(np.zeros((16, 16), np.float32), device=DEVICE)
    bf16_chain_into_dot[(1,)](kite.from_numpy(x, device=DEVICE), float(y), out, STEPS=steps)
    v = x.astype(ml_dtypes.bfloat16)
    for _ in range(steps):
        v = (v.astype(np.float32) + y).astype(ml_dtypes.bfloat16)
    ref = v.astype(np.float64) @ v.astype(np.float64)
    np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-5 * np.abs(ref).max())
