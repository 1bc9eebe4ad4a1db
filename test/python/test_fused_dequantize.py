"""Dot operands decoded at their tensor-core fragments (the thread stage's
DecodedOperand, the `fuse_dequantize` option): quantized GEMMs whose narrow
operand the software pipeliner copies into shared memory give numpy's
results with the fusion on by its policy (True), off (False) and
everywhere the chain allows ("always": both operands of dot_scaled, whose K
is then permuted alike in both), on every device (where there are no
tensor cores the option changes nothing); and, compiled for sm_80 with no
GPU, the fused kernels read the codes with vector loads and stage no f16
copy of the weights in shared memory."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import COMPILE_FOR, DEVICE, NUM_WARPS, compile_for

RNG = np.random.default_rng(23)
# Only tensor cores decode at fragments: elsewhere the three modes compile
# to the same code, and the tests take the default alone (lavapipe compiles
# these kernels slowly).
MODES = [True, False, "always"] if DEVICE.startswith("cuda") else [True]


def _launch(kernel, grid, *args, **meta):
    dev = [kite.from_numpy(a, device=DEVICE) if isinstance(a, np.ndarray) else a for a in args]
    if DEVICE != "interpreter":
        meta.setdefault("num_warps", max(NUM_WARPS, 4) if DEVICE.startswith("vulkan")
                        else NUM_WARPS)
    if COMPILE_FOR:
        compile_for(kernel, COMPILE_FOR, dev, meta)
    kernel[grid](*dev, **meta)
    return dev


@kite.kernel
def int4_weights_matmul(x_ptr, w_ptr, s_ptr, c_ptr, M, N, K, GROUP: kl.constexpr,
                        ALONG_K: kl.constexpr, BM: kl.constexpr, BN: kl.constexpr,
                        BK: kl.constexpr):
    # x [M, K] f16 @ w [K, N] int4 with one f16 scale per GROUP of K and
    # column: packed along K ([K / 2, N] int8) or along N ([K, N / 2]).
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        x = kl.load(x_ptr + rm[:, None] * K + (k * BK + rk)[None, :])
        if ALONG_K:
            rh = kl.arange(0, BK // 2)
            packed = kl.load(w_ptr + (k * (BK // 2) + rh)[:, None] * N + rn[None, :])
            q = kl.unpack_int4(packed, axis=0)
        else:
            rh = kl.program_id(1) * (BN // 2) + kl.arange(0, BN // 2)
            packed = kl.load(w_ptr + (k * BK + rk)[:, None] * (N // 2) + rh[None, :])
            q = kl.unpack_int4(packed, axis=1)
        s = kl.load(s_ptr + ((k * BK) // GROUP) * N + rn[None, :])
        acc = kl.dot(x, kl.dequantize(q, s), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


@kite.kernel
def int8_weights_matmul(x_ptr, w_ptr, s_ptr, c_ptr, M, N, K,
                        BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # W8A16: int8 weights [K, N] with one f32 scale per column.
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


@kite.kernel
def mx_matmul(a_ptr, sa_ptr, b_ptr, sb_ptr, c_ptr, M, N, K, FMT: kl.constexpr,
              PER_BYTE: kl.constexpr, BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # Triton's block-scaled tutorial on pointers: a [M, K], b stored [N, K]
    # (e2m1 two to a byte along K), e8m0 scales [M, K / 32] and [N, K / 32].
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK // PER_BYTE)
    rs = kl.arange(0, BK // 32)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        a = kl.load(a_ptr + rm[:, None] * (K // PER_BYTE) + (k * (BK // PER_BYTE) + rk)[None, :])
        b = kl.load(b_ptr + rn[:, None] * (K // PER_BYTE) + (k * (BK // PER_BYTE) + rk)[None, :])
        sa = kl.load(sa_ptr + rm[:, None] * (K // 32) + (k * (BK // 32) + rs)[None, :])
        sb = kl.load(sb_ptr + rn[:, None] * (K // 32) + (k * (BK // 32) + rs)[None, :])
        acc = kl.dot_scaled(a, sa, FMT, b.T, sb, FMT, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


def _int4_problem(M, N, K, G, along_k):
    w = RNG.integers(-8, 8, (K, N)).astype(np.int8)
    w[0, :2] = (-8, 7)  # both ends of int4
    u = w.astype(np.uint8) & 0xF
    packed = (u[0::2] | (u[1::2] << 4)) if along_k else (u[:, 0::2] | (u[:, 1::2] << 4))
    x = RNG.standard_normal((M, K)).astype(np.float16)
    s = (RNG.random((K // G, N)) / 10 + 0.01).astype(np.float16)
    wd = (w.astype(np.float32) * np.repeat(s, G, axis=0).astype(np.float32)).astype(np.float16)
    return x, packed.view(np.int8), s, x.astype(np.float64) @ wd.astype(np.float64)


@pytest.mark.parametrize("fuse", MODES)
@pytest.mark.parametrize("along_k", [True, False], ids=["packed_along_k", "packed_along_n"])
@pytest.mark.parametrize("BM,BN,BK", [(16, 32, 64), (32, 32, 32)])
def test_int4_weights(fuse, along_k, BM, BN, BK):
    # BM 16: one warp along M, the weights decoded at the fragments by
    # default; packed along N, a fragment's column picks the nibble per lane.
    M, N, K, G = 32, 64, 256, 128
    x, packed, s, ref = _int4_problem(M, N, K, G, along_k)
    out = _launch(int4_weights_matmul, (M // BM, N // BN), x, packed, s,
                  np.zeros((M, N), np.float32), M, N, K, GROUP=G, ALONG_K=along_k,
                  BM=BM, BN=BN, BK=BK, fuse_dequantize=fuse)
    np.testing.assert_allclose(out[3].numpy(), ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("fuse", MODES)
def test_int8_weights(fuse):
    M, N, K = 16, 32, 128
    x = RNG.standard_normal((M, K)).astype(np.float16)
    w = RNG.integers(-128, 128, (K, N)).astype(np.int8)
    w[0, :2] = (-128, 127)
    s = (RNG.random(N) / 100 + 1e-3).astype(np.float32)
    wd = (w.astype(np.float32) * s[None, :]).astype(np.float16)
    ref = x.astype(np.float64) @ wd.astype(np.float64)
    out = _launch(int8_weights_matmul, (1, 1), x, w, s, np.zeros((M, N), np.float32),
                  M, N, K, BM=16, BN=32, BK=32, fuse_dequantize=fuse)
    np.testing.assert_allclose(out[3].numpy(), ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@kite.kernel
def asymmetric_int8_weights_matmul(x_ptr, w_ptr, z_ptr, s_ptr, c_ptr, M, N, K,
                                   BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # A zero point and a scale per column, both loaded before the loop: two
    # small tensors the decode reads from registers.
    rm = kl.arange(0, BM)
    rn = kl.arange(0, BN)
    rk = kl.arange(0, BK)
    z = kl.load(z_ptr + rn)
    s = kl.load(s_ptr + rn)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        x = kl.load(x_ptr + rm[:, None] * K + (k * BK + rk)[None, :])
        w = kl.load(w_ptr + (k * BK + rk)[:, None] * N + rn[None, :])
        acc = kl.dot(x, ((w.to(kl.float32) - z[None, :]) * s[None, :]).to(kl.float16), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


@pytest.mark.parametrize("fuse", MODES)
@pytest.mark.parametrize("BK", [16, 32, 64])
def test_zero_point_and_scale_loaded_before_the_loop(fuse, BK):
    # Found in review: the two register-held tensors' buffers shared memory
    # with no barrier between one's reads and the other's stores.
    M, N, K = 16, 32, 128
    x = RNG.standard_normal((M, K)).astype(np.float16)
    w = RNG.integers(-128, 128, (K, N)).astype(np.int8)
    z = RNG.integers(-8, 8, N).astype(np.float32)
    s = (RNG.random(N) / 100 + 1e-3).astype(np.float32)
    wd = ((w.astype(np.float32) - z[None, :]) * s[None, :]).astype(np.float16)
    ref = x.astype(np.float64) @ wd.astype(np.float64)
    out = _launch(asymmetric_int8_weights_matmul, (1, 1), x, w, z, s,
                  np.zeros((M, N), np.float32), M, N, K, BM=M, BN=N, BK=BK,
                  fuse_dequantize=fuse)
    np.testing.assert_allclose(out[4].numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


@kite.kernel
def fp8_codes_matmul(a_ptr, b_ptr, c_ptr, M, N, K, BM: kl.constexpr, BN: kl.constexpr,
                     BK: kl.constexpr):
    rm = kl.arange(0, BM)
    rn = kl.arange(0, BN)
    rk = kl.arange(0, BK)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        a = kl.load(a_ptr + rm[:, None] * K + (k * BK + rk)[None, :]).to(kl.float8e4nv,
                                                                        bitcast=True)
        b = kl.load(b_ptr + (k * BK + rk)[:, None] * N + rn[None, :]).to(kl.float8e4nv,
                                                                        bitcast=True)
        acc = kl.dot(a, b, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


@pytest.mark.parametrize("fuse", MODES)
def test_fp8_dot_of_bitcast_codes(fuse):
    # Found in review: before sm_89 an fp8 dot runs on f16 mma.sync, and its
    # fp8 operands (bitcast from bytes: a decode chain) are not f16 words.
    M, N, K = 32, 32, 128
    a = RNG.standard_normal((M, K)).astype(ml_dtypes.float8_e4m3fn)
    b = RNG.standard_normal((K, N)).astype(ml_dtypes.float8_e4m3fn)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    out = _launch(fp8_codes_matmul, (1, 1), a.view(np.uint8), b.view(np.uint8),
                  np.zeros((M, N), np.float32), M, N, K, BM=M, BN=N, BK=32,
                  fuse_dequantize=fuse)
    np.testing.assert_allclose(out[2].numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def _mx_operand(fmt, rows, K):
    if fmt == "e2m1":
        codes = RNG.integers(0, 16, (rows, K)).astype(np.uint8)
        codes[0, :16] = np.arange(16)  # every e2m1 code
        return (codes[:, 0::2] | (codes[:, 1::2] << 4),
                codes.view(ml_dtypes.float4_e2m1fn).astype(np.float32))
    values = (RNG.standard_normal((rows, K)) * 2).astype(ml_dtypes.float8_e4m3fn)
    return values.view(np.uint8), values.astype(np.float32)


@pytest.mark.parametrize("fuse", MODES)
@pytest.mark.parametrize("fmt", ["e2m1", "e4m3"])
# BK 32, 64, 128: K groups of 2 and 4 steps. (Lavapipe takes minutes on
# the unrolled BK = 128 kernel, where there is nothing fused to test.)
@pytest.mark.parametrize("BK", [32, 64, 128] if DEVICE.startswith("cuda") else [64])
def test_block_scaled(fuse, fmt, BK):
    # "always" decodes both operands at the fragments with K permuted in
    # groups of min(BK / 16, 4) K steps.
    M, N, K = 32, 32, 256
    a, av = _mx_operand(fmt, M, K)
    b, bv = _mx_operand(fmt, N, K)
    # Scales 2^-3 .. 2^3, the smallest (2^-127: the decoded values are
    # subnormal and bf16 rounds them) and 2^33 once each.
    sa = RNG.integers(124, 131, (M, K // 32)).astype(np.uint8)
    sb = RNG.integers(124, 131, (N, K // 32)).astype(np.uint8)
    sa[1, 0], sb[2, 1] = 0, 160
    scale = lambda s: np.repeat(s.view(ml_dtypes.float8_e8m0fnu).astype(np.float32), 32, axis=1)
    bf16 = lambda v: v.astype(ml_dtypes.bfloat16).astype(np.float64)
    ref = bf16(av * scale(sa)) @ bf16(bv * scale(sb)).T
    per_byte = 2 if fmt == "e2m1" else 1
    out = _launch(mx_matmul, (1, 1), a, sa, b, sb, np.zeros((M, N), np.float32), M, N, K,
                  FMT=fmt, PER_BYTE=per_byte, BM=32, BN=32, BK=BK, fuse_dequantize=fuse)
    np.testing.assert_allclose(out[4].numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def test_the_option_names_its_values():
    x, packed, s, _ = _int4_problem(16, 32, 128, 128, True)
    with pytest.raises(ValueError, match=r"fuse_dequantize must be True, False or 'always', "
                                         r"got 'yes'"):
        _launch(int4_weights_matmul, (1, 1), x, packed, s, np.zeros((16, 32), np.float32),
                16, 32, 128, GROUP=128, ALONG_K=True, BM=16, BN=32, BK=64,
                fuse_dequantize="yes")


def test_the_modes_give_the_same_bits():
    # The decoded values, and the order in which the dot sums them, are the
    # same.
    x, packed, s, ref = _int4_problem(16, 32, 128, 128, True)
    outs = [_launch(int4_weights_matmul, (1, 1), x, packed, s, np.zeros((16, 32), np.float32),
                    16, 32, 128, GROUP=128, ALONG_K=True, BM=16, BN=32, BK=64,
                    fuse_dequantize=fuse)[3].numpy() for fuse in (False, "always")]
    np.testing.assert_array_equal(outs[0], outs[1])


def _sm80_ptx(fuse, **meta):
    M, N, K = 16, 128, 512
    args = [kite.from_numpy(v, device=DEVICE) for v in (
        np.zeros((M, K), np.float16), np.zeros((K // 2, N), np.int8),
        np.zeros((K // 128, N), np.float16), np.zeros((M, N), np.float32))]
    compiled = int4_weights_matmul.compile(
        *args, M, N, K, GROUP=128, ALONG_K=True, BM=16, BN=128, BK=64, target="cuda:sm_80",
        num_warps=4, num_stages=3, fuse_dequantize=fuse, **meta)
    return compiled


def test_w4a16_decodes_at_the_fragments_on_sm80():
    fused, staged = _sm80_ptx(True), _sm80_ptx(False)
    assert _sm80_ptx("always").asm["ptx"] == fused.asm["ptx"]  # one operand to decode
    # The weights' codes are read from the pipeliner's slots as vectors and
    # the f16 weights are never stored in shared memory: only the
    # activations are read with ldmatrix, and the shared memory is the
    # slots alone.
    assert "ld.shared.v2.b32" in fused.asm["ptx"] or "ld.shared.v4.b32" in fused.asm["ptx"]
    assert fused.asm["ptx"].count("ldmatrix") < staged.asm["ptx"].count("ldmatrix")
    assert fused.metadata.shared < staged.metadata.shared
    assert fused.asm["ptx"].count("mma.sync") == staged.asm["ptx"].count("mma.sync")


def test_always_decodes_both_block_scaled_operands_on_sm80():
    M, N, K = 64, 64, 256
    args = [kite.from_numpy(v, device=DEVICE) for v in (
        np.zeros((M, K // 2), np.uint8), np.zeros((M, K // 32), np.uint8),
        np.zeros((N, K // 2), np.uint8), np.zeros((N, K // 32), np.uint8),
        np.zeros((M, N), np.float32))]
    ptx = {fuse: mx_matmul.compile(*args, M, N, K, FMT="e2m1", PER_BYTE=2, BM=64, BN=64, BK=64,
                                   target="cuda:sm_80", num_warps=4, num_stages=3,
                                   fuse_dequantize=fuse).asm["ptx"]
           for fuse in (True, False, "always")}
    # Four warps, 2 x 2: every operand is decoded by two warps, so the
    # policy stages both (ldmatrix), each element decoded once into its
    # staging buffer, two codes per bf16x2 word (two bf16x2 multiplies per
    # word: the decode's 2^126 and the scale; sm_80 has them as fma with
    # -0), 8 words per 16-byte store; without fusion the chain runs in f32
    # in the load's layout, converted through shared memory. "always"
    # decodes both at the fragments, K permuted so that a lane's codes of 2
    # K steps are one 4-byte load (16 packed e2m1).
    assert "ldmatrix" in ptx[True] and "ldmatrix" in ptx[False]
    assert ptx[True].count("fma.rn.bf16x2") == 2 * (64 * 64 * 2 // 128 // 2)
    assert "fma.rn.bf16x2" not in ptx[False] and "mul.f32" in ptx[False]
    assert "st.shared.b32" in ptx[False] and "st.shared.b32" not in ptx[True]
    assert "ldmatrix" not in ptx["always"]
    assert "fma.rn.bf16x2" in ptx["always"] and "ld.shared.b32" in ptx["always"]


def test_default_decodes_both_mxfp8_operands_where_the_cvt_is_hardware():
    # e4m3 decodes by one cvt.rn.f16x2.e4m3x2 per two codes from sm_89: a
    # cheap decode on both sides, which the default takes at the fragments
    # (both staged measured more registers, twice the shared memory and
    # spills at BLOCK_K 128). Nothing but the dot reads a NaN's bits, so no
    # compare-and-select gives one the software decoder's. On sm_80 e4m3
    # decodes in software and both operands stay staged.
    M, N, K = 64, 64, 256
    args = [kite.from_numpy(v, device=DEVICE) for v in (
        np.zeros((M, K), np.uint8), np.zeros((M, K // 32), np.uint8),
        np.zeros((N, K), np.uint8), np.zeros((N, K // 32), np.uint8),
        np.zeros((M, N), np.float32))]

    def compiled(target, fuse):
        return mx_matmul.compile(*args, M, N, K, FMT="e4m3", PER_BYTE=1, BM=64, BN=64, BK=64,
                                 target=target, num_warps=4, num_stages=3,
                                 fuse_dequantize=fuse)

    fused, staged = compiled("cuda:sm_90", True), compiled("cuda:sm_90", False)
    assert "ldmatrix" not in fused.asm["ptx"] and "ldmatrix" in staged.asm["ptx"]
    assert fused.metadata.shared < staged.metadata.shared
    assert "cvt.rn.f16x2.e4m3x2" in fused.asm["ptx"]
    assert "setp.nan" not in fused.asm["ptx"]
    assert "ldmatrix" in compiled("cuda:sm_80", True).asm["ptx"]
