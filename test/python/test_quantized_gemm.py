"""Quantized GEMMs written as a Triton user writes them, on every device:
W8A8 (int8, per-row and per-column scales), FP8 (e4m3, per-tensor and
per-block scales) and W4A16 (int4 weights in groups of K, f16 activations),
each against numpy on the same quantized values, with the bound in its
test; and the kite-quantize-dot pass seen firing (and off with
``quantize_dot=False``)."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import COMPILE_FOR, DEVICE, NUM_WARPS, compile_for

RNG = np.random.default_rng(7)


def _warps():
    """The tier's warp count, but at least 4 on Vulkan: lavapipe's compiler
    takes minutes on these kernels' software fp8/bf16 conversions at 1 or 2
    warps (cuda-sim runs them at 1 warp)."""
    return max(NUM_WARPS, 4) if DEVICE.startswith("vulkan") else NUM_WARPS


def _launch(kernel, grid, *args, **meta):
    """Launches on DEVICE with kite tensors (fp8 ones built by the caller);
    numpy arrays are copied over; returns the kite tensors."""
    dev = [kite.from_numpy(a, device=DEVICE) if isinstance(a, np.ndarray) else a for a in args]
    if DEVICE != "interpreter":
        meta.setdefault("num_warps", _warps())
    if COMPILE_FOR:
        compile_for(kernel, COMPILE_FOR, dev, meta)
    kernel[grid](*dev, **meta)
    return dev


@kite.kernel
def scaled_matmul(a_ptr, b_ptr, sa_ptr, sb_ptr, c_ptr, M, N, K,
                  BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr,
                  PER_TENSOR: kl.constexpr):
    # c = (a * sa) @ (b * sb): sa one per row of a (or one scalar), sb one
    # per column of b (or one scalar).
    pm = kl.program_id(0)
    pn = kl.program_id(1)
    rm = pm * BM + kl.arange(0, BM)
    rn = pn * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    if PER_TENSOR:
        sa = kl.load(sa_ptr)
        sb = kl.load(sb_ptr)
    else:
        sa = kl.load(sa_ptr + rm[:, None], mask=rm[:, None] < M, other=0.0)
        sb = kl.load(sb_ptr + rn[None, :], mask=rn[None, :] < N, other=0.0)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BK)):
        kk = k * BK + rk
        a = kl.load(a_ptr + rm[:, None] * K + kk[None, :],
                    mask=(rm[:, None] < M) & (kk[None, :] < K), other=0)
        b = kl.load(b_ptr + kk[:, None] * N + rn[None, :],
                    mask=(kk[:, None] < K) & (rn[None, :] < N), other=0)
        acc = kl.dot(kl.dequantize(a, sa), kl.dequantize(b, sb), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


@kite.kernel
def block_scaled_matmul(a_ptr, b_ptr, sa_ptr, sb_ptr, c_ptr, M, N, K,
                        BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # DeepSeek-style fp8 blocks: a scaled per row and group of BK along K
    # (sa is [M, K / BK]), b per BK x BN block (sb is [K / BK, N / BN]).
    pm = kl.program_id(0)
    pn = kl.program_id(1)
    rm = pm * BM + kl.arange(0, BM)
    rn = pn * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    groups = K // BK
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, groups):
        kk = k * BK + rk
        a = kl.load(a_ptr + rm[:, None] * K + kk[None, :], mask=rm[:, None] < M, other=0.0)
        b = kl.load(b_ptr + kk[:, None] * N + rn[None, :], mask=rn[None, :] < N, other=0.0)
        sa = kl.load(sa_ptr + rm[:, None] * groups + k, mask=rm[:, None] < M, other=0.0)
        sb = kl.load(sb_ptr + k * kl.cdiv(N, BN) + pn)
        acc = kl.dot(kl.dequantize(a, sa), kl.dequantize(b, sb), acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


@kite.kernel
def w4a16_matmul(x_ptr, w_ptr, s_ptr, c_ptr, M, N, K,
                 GROUP: kl.constexpr, BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    # x [M, K] f16 @ w [K, N], w int4 packed two to a byte along K
    # ([K / 2, N] int8) with one f16 scale per GROUP rows of K and column.
    pm = kl.program_id(0)
    pn = kl.program_id(1)
    rm = pm * BM + kl.arange(0, BM)
    rn = pn * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    rh = kl.arange(0, BK // 2)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        x = kl.load(x_ptr + rm[:, None] * K + (k * BK + rk)[None, :], mask=rm[:, None] < M, other=0.0)
        packed = kl.load(w_ptr + (k * (BK // 2) + rh)[:, None] * N + rn[None, :],
                         mask=rn[None, :] < N, other=0)
        s = kl.load(s_ptr + ((k * BK) // GROUP) * N + rn[None, :], mask=rn[None, :] < N, other=0.0)
        w = kl.dequantize(kl.unpack_int4(packed, axis=0), s)
        acc = kl.dot(x, w, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


# The tests that read _kite_ir: the interpreter runs the language, it
# compiles nothing.
compiles = pytest.mark.skipif(DEVICE == "interpreter",
                              reason="the interpreter runs the language, not the compiler's IR")


def _kite_ir(kernel, args, **meta):
    """The `kite` stage of the kernel as the device under test compiles it
    (tests that call it are marked ``compiles``)."""
    return kernel.compile(*args, num_warps=_warps(), **meta).asm["kite"]


@pytest.mark.parametrize("quantize_dot", [True, False])
def test_w8a8_per_row_and_column(quantize_dot):
    M, N, K = 70, 50, 96
    a = RNG.integers(-128, 128, (M, K)).astype(np.int8)
    b = RNG.integers(-128, 128, (K, N)).astype(np.int8)
    sa = (RNG.random((M, 1)) / 100 + 1e-3).astype(np.float32)
    sb = (RNG.random((1, N)) / 100 + 1e-3).astype(np.float32)
    out = _launch(scaled_matmul, (5, 4), a, b, sa, sb, np.zeros((M, N), np.float32), M, N, K,
                  BM=16, BN=16, BK=32, PER_TENSOR=False, quantize_dot=quantize_dot)
    ref = (a.astype(np.float64) @ b.astype(np.float64)) * sa * sb
    # On: an exact i32 sum times two f32 scales (3 roundings). Off: the
    # dequantized f32 dot, which runs as tf32 on NVIDIA tensor cores.
    bound = 1e-6 if quantize_dot else 2e-3
    np.testing.assert_allclose(out[4].numpy(), ref, rtol=0, atol=bound * np.abs(ref).max())


@compiles
def test_w8a8_loop_carries_int32():
    M = N = K = 32
    args = [kite.from_numpy(x, device=DEVICE) for x in (
        np.zeros((M, K), np.int8), np.zeros((K, N), np.int8), np.ones((M, 1), np.float32),
        np.ones((1, N), np.float32), np.zeros((M, N), np.float32))]
    meta = dict(BM=16, BN=16, BK=32, PER_TENSOR=False)
    on = _kite_ir(scaled_matmul, args + [M, N, K], **meta)
    assert "tensor<16x32xi8> * tensor<32x16xi8> -> tensor<16x16xi32>" in on
    assert "kite.dequantize" not in on
    off = _kite_ir(scaled_matmul, args + [M, N, K], quantize_dot=False, **meta)
    assert "kite.dequantize" in off and "xi32>" not in off.split("kite.dot")[1].split("\n")[0]


@kite.kernel
def dequantized_dot(a_ptr, b_ptr, c_ptr, M: kl.constexpr, N: kl.constexpr, K: kl.constexpr):
    # One tile, per-tensor scales: kite-quantize-dot runs it as an int8 dot.
    rm, rn, rk = kl.arange(0, M), kl.arange(0, N), kl.arange(0, K)
    a = kl.load(a_ptr + rm[:, None] * K + rk[None, :])
    b = kl.load(b_ptr + rk[:, None] * N + rn[None, :])
    c = kl.dot(kl.dequantize(a, 0.5), kl.dequantize(b, 2.0))
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], c)


@compiles
def test_launches_with_and_without_quantize_dot_compile_two_kernels():
    """quantize_dot is part of the specialisation: the launch after a
    quantize_dot=True one compiles its own kernel rather than reuse that
    binary, and each repeated launch finds its own on the fast path."""
    from kite import compiler
    M, N, K = 16, 16, 32
    a = RNG.integers(-128, 128, (M, K)).astype(np.int8)
    b = RNG.integers(-128, 128, (K, N)).astype(np.int8)
    ref = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    args = [kite.from_numpy(x, device=DEVICE) for x in (a, b, np.zeros((M, N), np.float32))]
    stats = compiler.stats

    def compiled_and_fast():
        return stats.pipeline_runs + stats.disk_hits, stats.fast_launches

    def launch(quantize_dot):
        args[2].zero_()
        dequantized_dot[(1,)](*args, M=M, N=N, K=K, num_warps=_warps(),
                              quantize_dot=quantize_dot)
        # Exact either way: 8-bit products, sums below 2^24, scales of 1/2 and 2.
        np.testing.assert_array_equal(args[2].numpy(), ref)

    compiles, fast = compiled_and_fast()
    launch(True)
    launch(False)
    assert compiled_and_fast() == (compiles + 2, fast)
    launch(True)
    launch(False)
    assert compiled_and_fast() == (compiles + 2, fast + 2)
    on = dequantized_dot.compile(*args, M=M, N=N, K=K, num_warps=_warps()).asm["kite"]
    off = dequantized_dot.compile(*args, M=M, N=N, K=K, num_warps=_warps(),
                                  quantize_dot=False).asm["kite"]
    assert "kite.dequantize" not in on and "kite.dequantize" in off


def _fp8(shape, scale=1.0):
    x = (RNG.standard_normal(shape) * scale).astype(np.float32)
    return x.astype(ml_dtypes.float8_e4m3fn).astype(np.float32)


def test_fp8_per_tensor():
    M, N, K = 48, 40, 64
    a, b = _fp8((M, K), 4), _fp8((K, N), 4)
    sa, sb = np.array([0.03], np.float32), np.array([0.5], np.float32)
    ad = kite.from_numpy(a, device=DEVICE, dtype=kl.float8e4nv)
    bd = kite.from_numpy(b, device=DEVICE, dtype=kl.float8e4nv)
    out = _launch(scaled_matmul, (3, 3), ad, bd, sa, sb, np.zeros((M, N), np.float32), M, N, K,
                  BM=16, BN=16, BK=32, PER_TENSOR=True)
    ref = (a.astype(np.float64) @ b.astype(np.float64)) * sa[0] * sb[0]
    # fp8 products are exact in f32; only the f32 sums round.
    np.testing.assert_allclose(out[4].numpy(), ref, rtol=0, atol=1e-6 * np.abs(ref).max())


def test_fp8_block_scaled():
    M, N, K, B = 40, 64, 96, 32
    a, b = _fp8((M, K), 2), _fp8((K, N), 2)
    sa = (RNG.random((M, K // B)) + 0.5).astype(np.float32)
    sb = (RNG.random((K // B, N // B)) + 0.5).astype(np.float32)
    ad = kite.from_numpy(a, device=DEVICE, dtype=kl.float8e4nv)
    bd = kite.from_numpy(b, device=DEVICE, dtype=kl.float8e4nv)
    out = _launch(block_scaled_matmul, (3, 2), ad, bd, sa, sb, np.zeros((M, N), np.float32),
                  M, N, K, BM=16, BN=B, BK=B)
    ref = (a * np.repeat(sa, B, axis=1)).astype(np.float64) @ \
        (b * np.repeat(np.repeat(sb, B, axis=0), B, axis=1)).astype(np.float64)
    np.testing.assert_allclose(out[4].numpy(), ref, rtol=0, atol=1e-5 * np.abs(ref).max())


def _pack_int4_along_k(w):
    u = w.astype(np.uint8) & 0xF
    return (u[0::2] | (u[1::2] << 4)).view(np.int8)


def test_w4a16_group_128():
    M, N, K, G = 24, 48, 256, 128
    x = RNG.standard_normal((M, K)).astype(np.float16)
    w = RNG.integers(-8, 8, (K, N)).astype(np.int8)
    s = (RNG.random((K // G, N)) / 10 + 0.01).astype(np.float16)
    out = _launch(w4a16_matmul, (2, 3), x, _pack_int4_along_k(w), s,
                  np.zeros((M, N), np.float32), M, N, K, GROUP=G, BM=16, BN=16, BK=32)
    # Dequantized exactly as numpy does: (w * s) rounded once to f16.
    wd = (w.astype(np.float32) * np.repeat(s, G, axis=0).astype(np.float32)).astype(np.float16)
    ref = x.astype(np.float64) @ wd.astype(np.float64)
    np.testing.assert_allclose(out[3].numpy(), ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@compiles
def test_w4a16_weights_stay_four_bit_in_global_memory():
    M, N, K, G = 32, 32, 128, 128
    args = [kite.from_numpy(v, device=DEVICE) for v in (
        np.zeros((M, K), np.float16), np.zeros((K // 2, N), np.int8),
        np.zeros((K // G, N), np.float16), np.zeros((M, N), np.float32))]
    ir = _kite_ir(w4a16_matmul, args + [M, N, K], GROUP=G, BM=16, BN=32, BK=64)
    loads = [line for line in ir.splitlines() if "kite.load" in line]
    # The weights come in as i8 [BK / 2, BN]; the only f16 loads are the
    # activations [BM, BK] and the scales [1, BN].
    assert any("tensor<32x32x!kite.ptr<i8>>" in line for line in loads), loads
    f16 = [line for line in loads if "f16>" in line]
    assert len(f16) == 2 and not any("64x32" in line for line in f16), f16


def test_host_quantized_w8a8_end_to_end():
    """kite.quantization on the device, then the GEMM; the quantization
    error against the f32 product is what int8 gives (a few %, recorded in
    docs/quantization.md); the GEMM itself is exact to f32 rounding."""
    M, N, K = 64, 48, 128
    x = RNG.standard_normal((M, K)).astype(np.float32)
    w = RNG.standard_normal((K, N)).astype(np.float32)
    qx, sx = kite.quantization.quantize(kite.from_numpy(x, device=DEVICE), kl.int8, axis=1)
    qw, sw = kite.quantization.quantize(kite.from_numpy(w, device=DEVICE), kl.int8, axis=0)
    assert sx.shape == (M, 1) and sw.shape == (1, N)
    out = _launch(scaled_matmul, (4, 3), qx, qw, sx, sw, np.zeros((M, N), np.float32), M, N, K,
                  BM=16, BN=16, BK=32, PER_TENSOR=False)
    exact = (qx.numpy().astype(np.float64) @ qw.numpy().astype(np.float64)) * sx.numpy() * sw.numpy()
    np.testing.assert_allclose(out[4].numpy(), exact, rtol=0, atol=1e-6 * np.abs(exact).max())
    ref = x.astype(np.float64) @ w.astype(np.float64)
    assert np.abs(out[4].numpy() - ref).max() / np.abs(ref).max() < 0.02


@kite.kernel
def on_the_fly_matmul(a_ptr, b_ptr, c_ptr, M, N, K, BM: kl.constexpr, BN: kl.constexpr,
                      BK: kl.constexpr, SCHEME: kl.constexpr):
    # An f16 matmul whose tiles are quantized on the fly (kl.dot's quantize=;
    # SCHEME=None: the plain dot, which the dot_precision option changes).
    rm = kl.program_id(0) * BM + kl.arange(0, BM)
    rn = kl.program_id(1) * BN + kl.arange(0, BN)
    rk = kl.arange(0, BK)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, K // BK):
        a = kl.load(a_ptr + rm[:, None] * K + (k * BK + rk)[None, :])
        b = kl.load(b_ptr + (k * BK + rk)[:, None] * N + rn[None, :])
        acc = kl.dot(a, b, acc, quantize=SCHEME)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


# RMS error relative to the f16 dot's RMS, measured 2026-12-06 on random
# normal operands (docs/quantization.md): fp8 0.033, e5m2 0.067, int8 0.0077.
@pytest.mark.parametrize("scheme, bound", [("fp8", 0.05), ("e5m2", 0.1), ("int8", 0.012)])
def test_dot_quantized_on_the_fly(scheme, bound):
    M = N = 64
    K = 128
    a = RNG.standard_normal((M, K)).astype(np.float16)
    b = RNG.standard_normal((K, N)).astype(np.float16)
    out = _launch(on_the_fly_matmul, (4, 4), a, b, np.zeros((M, N), np.float32), M, N, K,
                  BM=16, BN=16, BK=32, SCHEME=scheme)[2].numpy()
    ref = a.astype(np.float64) @ b.astype(np.float64)
    assert np.sqrt(((out - ref) ** 2).mean() / (ref ** 2).mean()) < bound


@compiles
def test_dot_quantized_on_the_fly_runs_an_8_bit_dot():
    args = [kite.from_numpy(np.zeros(s, np.float16), device=DEVICE) for s in ((32, 32), (32, 32))]
    args.append(kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE))
    ir = _kite_ir(on_the_fly_matmul, args + [32, 32, 32], BM=16, BN=16, BK=32, SCHEME="fp8")
    assert "tensor<16x32xf8E4M3FN> * tensor<32x16xf8E4M3FN> -> tensor<16x16xf32>" in ir


@pytest.mark.parametrize("scheme", ["fp8", "int8"])
def test_the_dot_precision_launch_option_quantizes_plain_dots(scheme):
    M = N = 32
    K = 64
    a = RNG.standard_normal((M, K)).astype(np.float16)
    b = RNG.standard_normal((K, N)).astype(np.float16)
    zeros = np.zeros((M, N), np.float32)
    shape = dict(BM=16, BN=16, BK=32)
    by_option = _launch(on_the_fly_matmul, (2, 2), a, b, zeros, M, N, K, dot_precision=scheme,
                        SCHEME=None, **shape)[2].numpy()
    by_argument = _launch(on_the_fly_matmul, (2, 2), a, b, zeros, M, N, K, SCHEME=scheme,
                          **shape)[2].numpy()
    plain = _launch(on_the_fly_matmul, (2, 2), a, b, zeros, M, N, K, SCHEME=None,
                    **shape)[2].numpy()
    np.testing.assert_array_equal(by_option, by_argument)  # the same kernel
    assert not np.array_equal(plain, by_option)            # and not the f16 one
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(plain, ref, rtol=1e-3, atol=1e-3)


@compiles
def test_dot_precision_is_in_the_ir_and_leaves_other_dots_alone():
    f16 = [kite.from_numpy(np.zeros((32, 32), np.float16), device=DEVICE) for _ in range(2)]
    f32 = [kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE) for _ in range(3)]
    out = kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE)
    shape = dict(BM=16, BN=16, BK=32, SCHEME=None)
    fp8_dot = "tensor<16x32xf8E4M3FN> * tensor<32x16xf8E4M3FN> -> tensor<16x16xf32>"
    assert fp8_dot in _kite_ir(on_the_fly_matmul, f16 + [out, 32, 32, 32], dot_precision="fp8",
                               **shape)
    assert fp8_dot not in _kite_ir(on_the_fly_matmul, f16 + [out, 32, 32, 32], **shape)
    # An f32 (tf32) dot is not an f16/bf16 one: the option leaves it alone.
    assert "f8E4M3FN" not in _kite_ir(on_the_fly_matmul, f32 + [32, 32, 32],
                                      dot_precision="fp8", **shape)


def test_dot_precision_names_the_schemes():
    args = [kite.from_numpy(np.zeros((32, 32), np.float16), device=DEVICE)] * 2 + \
        [kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE), 32, 32, 32]
    with pytest.raises(ValueError, match="dot_precision must be None or one of 'fp8', 'e4m3', "
                                         "'e5m2', 'int8', got 'fp4'"):
        on_the_fly_matmul[(1, 1)](*args, BM=32, BN=32, BK=32, SCHEME=None,
                                  dot_precision="fp4")


def test_dot_quantize_names_the_schemes():
    with pytest.raises(kite.CompilationError, match="quantize must be one of 'fp8', 'e4m3', 'e5m2', 'int8', got 'int4'"):
        on_the_fly_matmul.compile(*[kite.from_numpy(np.zeros((32, 32), np.float16), device=DEVICE)] * 2,
                                  kite.from_numpy(np.zeros((32, 32), np.float32), device=DEVICE),
                                  32, 32, 32, BM=32, BN=32, BK=32, SCHEME="int4")
