"""kl.quantize, kl.dequantize, kl.pack_int4 and kl.unpack_int4 on the device
under test (conftest.DEVICE), bit for bit against a numpy reference written
from their definitions (ml_dtypes for fp8 and bfloat16): the scale per
tensor (a Python float and a loaded scalar), per row, per column and per
group along either dimension, with and without zero points; exact halves,
overflow, infinities, NaN, zero and denormal scales. The errors a user
sees are in test_quantization_errors.py."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl

from conftest import run

# P programs, each quantizing its own M x N tile with the same scales:
# small tiles keep the shaders small (lavapipe compiles them on the CPU).
P, M, N, G = 4, 4, 16, 2  # groups of G rows or columns
# The scales a kernel loads, in order, after the Python float one: a loaded
# scalar, per row, per tensor as a block, per column, per group of G
# columns (as along K of an [M, K] operand) and of G rows (of a [K, N] one).
SHAPES = [(1,), (M, 1), (1, 1), (1, N), (M, N // G), (M // G, N)]
ALL, FEW = len(SHAPES), 2  # kernels check every kind, or the first two
PY_SCALE, PY_ZERO = 0.75, 3  # the Python-number scale and zero point

INTS = {"int8": (np.int8, kl.int8, -128, 127), "uint8": (np.uint8, kl.uint8, 0, 255),
        "int16": (np.int16, kl.int16, -32768, 32767),
        "uint16": (np.uint16, kl.uint16, 0, 65535),
        "int4": (np.int8, "int4", -8, 7), "uint4": (np.uint8, "uint4", 0, 15)}
# Every fp8 format kl.quantize produces (e8m0 holds scales, not data).
FP8 = {"e4m3fn": (kl.float8e4nv, ml_dtypes.float8_e4m3fn),
       "e5m2": (kl.float8e5, ml_dtypes.float8_e5m2),
       "e4m3fnuz": (kl.float8e4b8, ml_dtypes.float8_e4m3fnuz),
       "e5m2fnuz": (kl.float8e5b16, ml_dtypes.float8_e5m2fnuz)}
# Scale dtypes of dequantize: the kernel reads their bits.
SCALE_TYPES = {"f32": (kl.float32, np.float32, np.uint32, kl.uint32),
               "f16": (kl.float16, np.float16, np.uint16, kl.uint16),
               "bf16": (kl.bfloat16, ml_dtypes.bfloat16, np.uint16, kl.uint16)}


@kite.jit
def load_block(ptr, R: kl.constexpr, C: kl.constexpr):
    return kl.load(ptr + kl.arange(0, R)[:, None] * C + kl.arange(0, C)[None, :])


@kite.jit
def load_kind(ptr, k: kl.constexpr, M: kl.constexpr, N: kl.constexpr, G: kl.constexpr):
    """Scale (or zero point) kind ``k`` of SHAPES, stored one after another."""
    if k == 0:
        return kl.load(ptr)
    if k == 1:
        return load_block(ptr + 1, M, 1)
    if k == 2:
        return load_block(ptr + 1 + M, 1, 1)
    if k == 3:
        return load_block(ptr + 2 + M, 1, N)
    if k == 4:
        return load_block(ptr + 2 + M + N, M, N // G)
    return load_block(ptr + 2 + M + N + M * N // G, M // G, N)


@kite.jit
def zero_point(ptr, k: kl.constexpr, M: kl.constexpr, N: kl.constexpr, G: kl.constexpr,
               ZP: kl.constexpr):
    if ZP:
        return load_kind(ptr, k, M, N, G)
    return None


@kite.jit
def store_kind(out_ptr, k: kl.constexpr, q, M: kl.constexpr, N: kl.constexpr):
    """Result kind ``k`` of this program's tile: out[k, program, :, :]."""
    tile = (k * kl.num_programs(0) + kl.program_id(0)) * M * N
    kl.store(out_ptr + tile + kl.arange(0, M)[:, None] * N + kl.arange(0, N)[None, :], q)


@kite.kernel
def quantize_kernel(x_ptr, s_ptr, z_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr,
                    G: kl.constexpr, SCALE: kl.constexpr, ZERO: kl.constexpr,
                    DTYPE: kl.constexpr, ZP: kl.constexpr, KINDS: kl.constexpr,
                    BITS: kl.constexpr):
    x = load_block(x_ptr + kl.program_id(0) * M * N, M, N)
    qs = (kl.quantize(x, SCALE, ZERO, dtype=DTYPE),)  # ZERO: a Python int or None
    for k in kl.static_range(KINDS):
        scale = load_kind(s_ptr, k, M, N, G)
        qs = qs + (kl.quantize(x, scale, zero_point(z_ptr, k, M, N, G, ZP), dtype=DTYPE),)
    for k in kl.static_range(KINDS + 1):
        if BITS:  # fp8: its codes
            store_kind(out_ptr, k, qs[k].to(kl.uint8, bitcast=True), M, N)
        else:
            store_kind(out_ptr, k, qs[k], M, N)


@kite.kernel
def dequantize_kernel(q_ptr, s_ptr, z_ptr, py_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr,
                      G: kl.constexpr, SCALE: kl.constexpr, ZERO: kl.constexpr,
                      SRC: kl.constexpr, INT4_AXIS: kl.constexpr, SIGNED: kl.constexpr,
                      ZP: kl.constexpr, KINDS: kl.constexpr, STYPE: kl.constexpr,
                      BITS: kl.constexpr):
    pid = kl.program_id(0)
    if INT4_AXIS == 1:  # two 4-bit values a byte along the rows
        q = kl.unpack_int4(load_block(q_ptr + pid * M * N // 2, M, N // 2), axis=1, signed=SIGNED)
    elif INT4_AXIS == 0:
        q = kl.unpack_int4(load_block(q_ptr + pid * M * N // 2, M // 2, N), axis=0, signed=SIGNED)
    else:
        q = load_block(q_ptr + pid * M * N, M, N).to(SRC, bitcast=True)
    store_kind(py_ptr, 0, kl.dequantize(q, SCALE, ZERO), M, N)  # float32
    for k in kl.static_range(KINDS):
        scale = load_kind(s_ptr, k, M, N, G).to(STYPE, bitcast=True)
        r = kl.dequantize(q, scale, zero_point(z_ptr, k, M, N, G, ZP))
        store_kind(out_ptr, k, r.to(BITS, bitcast=True), M, N)


def _repeat(part):
    """A block-scaled scale (or zero point) repeated to a tile's shape, for
    each of the P tiles: [P * M, N]."""
    part = np.asarray(part)
    part = part.reshape(1, 1) if part.ndim < 2 else part  # a scalar, or one in memory
    tile = np.repeat(np.repeat(part, M // part.shape[0], 0), N // part.shape[1], 1)
    return np.tile(tile, (P, 1))


def ref_quantize(x, scale, zero, lo, hi, out):
    """``x / scale`` in float32, rounded half to even, plus the zero point;
    NaN is the zero point; saturated to [lo, hi]."""
    with np.errstate(all="ignore"):
        y = np.rint(x.astype(np.float32) / _repeat(scale).astype(np.float32))
        zero = _repeat(zero).astype(np.float32)
        y = np.where(np.isnan(y), zero, y + zero)
        return np.minimum(np.maximum(y, lo), hi).astype(np.int64).astype(out)


def ref_quantize_fp8(x, scale, ref):
    """``x / scale`` in float32 saturated to +-largest (NaN stays), rounded
    to nearest even by ml_dtypes: the codes."""
    largest = np.float32(ml_dtypes.finfo(ref).max)
    with np.errstate(all="ignore"):
        y = x.astype(np.float32) / _repeat(scale).astype(np.float32)
    return np.clip(y, -largest, largest).astype(ref).view(np.uint8)


def ref_dequantize(q, scale, zero, out):
    """``(q - zero) * scale`` in float32, rounded once to ``out``."""
    with np.errstate(all="ignore"):
        v = q.astype(np.float32) - _repeat(zero).astype(np.float32)
        v = v * _repeat(scale).astype(np.float32)
        return v.astype(out)


def same_codes(got, want, what, nan_code=None):
    """Equal codes; fp8 NaNs (``nan_code``: a function telling NaN codes)
    may differ in sign."""
    got, want = np.asarray(got), np.asarray(want)
    if nan_code is not None:
        both = nan_code(got) & nan_code(want)
        got, want = np.where(both, 0, got), np.where(both, 0, want)
    bad = np.argwhere(got != want)
    if len(bad):
        at = tuple(bad[0])
        raise AssertionError(f"{what}: {len(bad)} differ, first at {at}: "
                             f"got {got[at]}, want {want[at]}")


def _scales(rng, low, high, dtype=np.float32):
    """Positive and negative scales of magnitude in [low, high] in every shape."""
    out = []
    for shape in SHAPES:
        mag = np.exp(rng.uniform(np.log(low), np.log(high), shape))
        out.append((mag * rng.choice([1, 1, 1, -1], shape)).astype(dtype))
    return out


def _zeros(rng, lo, hi):
    return [rng.integers(lo, hi + 1, shape).astype(np.int32) for shape in SHAPES]


def _flat(parts):
    """Scales or zero points of every kind one after another (load_kind)."""
    return np.concatenate([np.asarray(p).reshape(-1) for p in parts])


def _check_quantize(x, scales, zeros, dtype, kinds):
    """``zeros``: the zero points of each kind, or None."""
    np_type, kind, lo, hi = INTS[dtype]
    zp = zeros is not None
    zeros = zeros if zp else [0] * len(SHAPES)
    # zero points in memory as the quantized type (uint8 ones as uint8)
    got = run(quantize_kernel, (P,), x, _flat(scales), _flat(zeros).astype(np_type),
              np.zeros((kinds + 1, P * M, N), np_type), M=M, N=N, G=G, SCALE=PY_SCALE,
              ZERO=PY_ZERO if zp else None, DTYPE=kind, ZP=zp, KINDS=kinds, BITS=False)[-1]
    pairs = [(np.float32(PY_SCALE), PY_ZERO if zp else 0)] + list(zip(scales, zeros))
    for k, (s, z) in enumerate(pairs[:kinds + 1]):
        same_codes(got[k], ref_quantize(x, s, z, lo, hi, np_type), f"{dtype} scale kind {k}")


def _kinds(dtype, every):
    return ALL if dtype == every else FEW


@pytest.mark.parametrize("dtype", list(INTS))
def test_quantize_to_integers_with_every_scale_shape(dtype):
    rng = np.random.default_rng(1)
    _, _, lo, hi = INTS[dtype]
    x = (rng.standard_normal((P * M, N)) * 3).astype(np.float32)
    # |x / scale| reaches about 1.5 times the range: some values saturate
    scales = _scales(rng, 6 / max(hi, -lo) / 1.5, 6 / max(hi, -lo) * 1.5)
    _check_quantize(x, scales, None, dtype, _kinds(dtype, "int8"))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint4"])
def test_asymmetric_quantize_adds_the_zero_point(dtype):
    rng = np.random.default_rng(2)
    _, _, lo, hi = INTS[dtype]
    x = rng.uniform(-1, 3, (P * M, N)).astype(np.float32)  # skewed, as after a ReLU
    scales = _scales(rng, 4 / (hi - lo) / 1.2, 4 / (hi - lo) * 1.2)
    _check_quantize(x, scales, _zeros(rng, lo, hi), dtype, _kinds(dtype, "uint8"))


# Exact halves (to even), the ends of each range and half past them,
# overflow, infinities, NaN, 2^24 + 1 (2^24 in float32), denormals.
SPECIALS = np.array([0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 126.5, 127.5, -127.5, -128.5, 128.5, 254.5,
                     255.5, 256.0, -0.0, 0.0, 7.5, 8.5, -8.5, 15.5, 16.0, 32767.5, 32768.5,
                     -32768.5, 65535.5, 65536.0, 1e30, -1e30, np.inf, -np.inf, np.nan, -np.nan,
                     2.0**24 + 1, -(2.0**24) - 1, 3e-40, -2.5e-40, 1e-45, 448.0, 464.0, 480.0,
                     57344.0, 61440.0, 1e9, 0.25, 0.75, -1.5, 6.5, 2.0**-10], np.float32)


def _special_block():
    return np.resize(SPECIALS, P * M * N).reshape(P * M, N)


def _special_scales():
    """1 for the loaded scalar (exact halves); zero, denormal, negative and
    power-of-two scales among the rows, columns and groups."""
    tricky = np.array([1.0, 0.0, 1e-40, 2.0**-149, -1.0, 0.5, 2.0, 1.0], np.float32)
    out = [np.resize(tricky, np.prod(shape)).reshape(shape) for shape in SHAPES]
    out[0][...] = 1.0
    return out


@pytest.mark.parametrize("dtype", list(INTS))
def test_quantize_extremes_round_half_to_even_saturate_and_send_nan_to_the_zero_point(dtype):
    _, _, lo, hi = INTS[dtype]
    if dtype == "uint8":
        zeros, kinds = _zeros(np.random.default_rng(3), lo, hi), _kinds(dtype, "uint8")
    else:
        zeros, kinds = None, _kinds(dtype, "int8")
    _check_quantize(_special_block(), _special_scales(), zeros, dtype, kinds)


@pytest.mark.parametrize("src", [np.float16, np.float64], ids=["f16", "f64"])
def test_quantize_reads_f16_and_f64_data_in_float32(src):
    """f64 data are rounded to float32 first: 2.5 + 1e-12 is 2.5, which
    rounds to 2."""
    rng = np.random.default_rng(9)
    x = np.concatenate([[2.5 + 1e-12, -3.5 - 1e-12, 1e300, -1e-300], _special_block().reshape(-1)])
    with np.errstate(over="ignore"):  # 1e300 is inf in f16
        x = x[:P * M * N].reshape(P * M, N).astype(src)
    _check_quantize(x, _scales(rng, 0.25, 4), None, "int8", FEW)


def _fp8_nan(ref):
    return lambda codes: np.isnan(np.asarray(codes, np.uint8).view(ref).astype(np.float32))


@pytest.mark.parametrize("name", list(FP8))
def test_quantize_to_fp8_saturates_keeps_nan_and_rounds_to_even(name):
    rng = np.random.default_rng(4)
    fmt, ref = FP8[name]
    kinds = _kinds(name, "e4m3fn")
    mag = 2.0 ** rng.uniform(-24, 20, (P * M, N)) * rng.choice([-1, 1], (P * M, N))
    for x, scales in [(mag.astype(np.float32), _scales(rng, 0.1, 10)),
                      (_special_block(), _special_scales())]:
        got = run(quantize_kernel, (P,), x, _flat(scales), np.zeros(1, np.int32),
                  np.zeros((kinds + 1, P * M, N), np.uint8), M=M, N=N, G=G, SCALE=PY_SCALE,
                  ZERO=None, DTYPE=fmt, ZP=False, KINDS=kinds, BITS=True)[-1]
        for k, s in enumerate(([np.float32(PY_SCALE)] + scales)[:kinds + 1]):
            same_codes(got[k], ref_quantize_fp8(x, s, ref), f"{name} scale kind {k}", _fp8_nan(ref))


def _check_dequantize(q, packed, scales, zeros, src, stype, kinds, int4_axis=-1, signed=True):
    """``q``: the values ``packed`` holds; ``zeros``: the zero points (kept
    in memory as ``q``'s type) or None."""
    kind, np_type, bits_np, bits_kl = SCALE_TYPES[stype]
    zp = zeros is not None
    zeros = zeros if zp else [0] * len(SHAPES)
    scale_bits = _flat([np.asarray(s, np_type) for s in scales]).view(bits_np)
    py, got = run(dequantize_kernel, (P,), packed, scale_bits,
                  _flat(zeros).astype(q.dtype), np.zeros((P * M, N), np.float32),
                  np.zeros((kinds, P * M, N), bits_np), M=M, N=N, G=G, SCALE=PY_SCALE,
                  ZERO=PY_ZERO if zp else None, SRC=src, INT4_AXIS=int4_axis, SIGNED=signed,
                  ZP=zp, KINDS=kinds, STYPE=kind, BITS=bits_kl)[-2:]
    want = ref_dequantize(q, np.float32(PY_SCALE), PY_ZERO if zp else 0, np.float32)
    same_codes(py.view(np.uint32), want.view(np.uint32), "Python float scale",
               lambda b: np.isnan(b.view(np.float32)))
    for k, (s, z) in enumerate(list(zip(scales, zeros))[:kinds]):
        want = ref_dequantize(q, np.asarray(s, np_type).astype(np.float32), z, np_type)
        same_codes(got[k], want.view(bits_np), f"{src} with {stype} scale kind {k}",
                   lambda b: np.isnan(b.view(np_type).astype(np.float32)))


def _dequantize_scales(rng, stype):
    np_type = SCALE_TYPES[stype][1]
    scales = [np.asarray(s, np_type) for s in _scales(rng, 2.0**-12, 2.0**4)]
    # a denormal of the scale's type, and zero, among the rows and groups
    tiny = np.float32(2.0**-24) if stype == "f16" else np.float32(1e-40)
    for part in scales[1], scales[4]:
        part.reshape(-1)[:2] = [tiny, 0]
    return scales


@pytest.mark.parametrize("src,stype,zp,kinds", [
    ("int8", "f32", False, ALL), ("uint8", "bf16", True, FEW), ("int16", "f16", False, FEW),
    ("uint16", "f32", True, FEW)])
def test_dequantize_integers(src, stype, zp, kinds):
    rng = np.random.default_rng(5)
    np_type, kind, lo, hi = INTS[src]
    size = P * M * N
    q = np.resize(np.arange(lo, hi + 1), size) if hi < 256 else rng.integers(lo, hi + 1, size)
    q = np.asarray(q).astype(np_type).reshape(P * M, N)
    q[0, :2] = [lo, hi]
    zeros = _zeros(rng, lo, hi) if zp else None
    _check_dequantize(q, q, _dequantize_scales(rng, stype), zeros, kind, stype, kinds)


def pack_reference(q, axis):
    """Two 4-bit values a byte along ``axis``, the even element low."""
    q = np.moveaxis(q.astype(np.uint8), axis, -1)
    packed = (q[..., 0::2] & 0xF) | ((q[..., 1::2] & 0xF) << 4)
    return np.ascontiguousarray(np.moveaxis(packed.astype(np.uint8), -1, axis))


@pytest.mark.parametrize("axis,signed,stype,kinds",
                         [(1, False, "bf16", ALL), (0, True, "f16", FEW)])
def test_dequantize_unpacked_int4(axis, signed, stype, kinds):
    rng = np.random.default_rng(6)
    lo, hi = (-8, 7) if signed else (0, 15)
    q = rng.integers(lo, hi + 1, (P * M, N)).astype(np.int8 if signed else np.uint8)
    zeros = None if signed else _zeros(rng, lo, hi)
    packed = pack_reference(q.reshape(P, M, N), axis + 1)  # within each tile
    _check_dequantize(q, packed, _dequantize_scales(rng, stype), zeros,
                      kl.uint8, stype, kinds, int4_axis=axis, signed=signed)


@pytest.mark.parametrize("name,stype,kinds", [("e4m3fn", "f16", ALL), ("e5m2", "bf16", FEW),
                                              ("e4m3fnuz", "f32", FEW), ("e5m2fnuz", "f16", FEW)])
def test_dequantize_fp8_every_code(name, stype, kinds):
    rng = np.random.default_rng(7)
    codes = np.arange(256, dtype=np.uint8).reshape(P * M, N)  # P * M * N == 256
    q = codes.view(FP8[name][1]).astype(np.float32)
    _check_dequantize(q, codes, _dequantize_scales(rng, stype), None, FP8[name][0], stype, kinds)


@kite.kernel
def pack_kernel(q_ptr, packed_ptr, back_ptr, M: kl.constexpr, N: kl.constexpr,
                AXIS: kl.constexpr, SIGNED: kl.constexpr):
    q = load_block(q_ptr, M, N)
    packed = kl.pack_int4(q, axis=AXIS)
    if AXIS == 0:
        store_kind(packed_ptr, 0, packed, M // 2, N)
    else:
        store_kind(packed_ptr, 0, packed, M, N // 2)
    store_kind(back_ptr, 0, kl.unpack_int4(packed, axis=AXIS, signed=SIGNED), M, N)


@pytest.mark.parametrize("axis,signed", [(0, True), (1, False), (-1, True)])
def test_pack_int4_packs_the_even_element_low_and_round_trips(axis, signed):
    lo, hi, np_type = (-8, 7, np.int8) if signed else (0, 15, np.uint8)
    q = np.resize(np.arange(lo, hi + 1), M * N).reshape(M, N).astype(np_type)
    q = np.random.default_rng(8).permuted(q, axis=1)
    shape = (M // 2, N) if axis == 0 else (M, N // 2)
    packed, back = run(pack_kernel, (1,), q, np.zeros(shape, np_type), np.zeros_like(q),
                       M=M, N=N, AXIS=axis, SIGNED=signed)[1:]
    same_codes(packed.view(np.uint8), pack_reference(q, axis % 2), "packed")
    same_codes(back, q, "unpacked")


@kite.kernel
def pack_rank_1_and_3_kernel(q_ptr, p_ptr, b_ptr, q3_ptr, p3_ptr, b3_ptr):
    offs = kl.arange(0, 16)
    packed = kl.pack_int4(kl.load(q_ptr + offs))
    kl.store(p_ptr + kl.arange(0, 8), packed)
    kl.store(b_ptr + offs, kl.unpack_int4(packed))
    # [2, 4, 8] packed along its middle dimension into [2, 2, 8]
    a = kl.arange(0, 2)[:, None, None]
    b = kl.arange(0, 4)[None, :, None]
    c = kl.arange(0, 8)[None, None, :]
    packed3 = kl.pack_int4(kl.load(q3_ptr + a * 32 + b * 8 + c), axis=1)
    kl.store(p3_ptr + a * 16 + kl.arange(0, 2)[None, :, None] * 8 + c, packed3)
    kl.store(b3_ptr + a * 32 + b * 8 + c, kl.unpack_int4(packed3, axis=1, signed=False))


def test_pack_int4_of_rank_1_and_3():
    q = np.random.default_rng(10).integers(-8, 8, 16).astype(np.int8)
    q3 = np.random.default_rng(11).integers(0, 16, (2, 4, 8)).astype(np.uint8)
    _, packed, back, _, packed3, back3 = run(
        pack_rank_1_and_3_kernel, (1,), q, np.zeros(8, np.int8), np.zeros_like(q), q3,
        np.zeros((2, 2, 8), np.uint8), np.zeros_like(q3))
    same_codes(packed.view(np.uint8), pack_reference(q, 0), "rank 1 packed")
    same_codes(back, q, "rank 1 unpacked")
    same_codes(packed3, pack_reference(q3, 1), "rank 3 packed")
    same_codes(back3, q3, "rank 3 unpacked")


def test_the_kite_stage_shows_the_ops_and_the_layout_stage_their_arithmetic():
    """Passes of the kite stage (a quantized dot's) see kite.quantize and
    kite.dequantize; kite-expand-quantization opens the kitegpu stage."""
    codes = np.zeros((P * M, N), np.uint8)
    asm = dequantize_kernel.compile(
        codes, np.zeros(64, np.uint16), np.zeros(64, np.uint8), np.zeros((P * M, N), np.float32),
        np.zeros((2, P * M, N), np.uint16), M=M, N=N, G=G, SCALE=PY_SCALE, ZERO=PY_ZERO,
        SRC=kl.uint8, INT4_AXIS=-1, SIGNED=False, ZP=True, KINDS=FEW, STYPE=kl.float16,
        BITS=kl.uint16, target="generic").asm
    assert asm["kite"].count("kite.dequantize") == FEW + 1 and "is_unsigned" in asm["kite"]
    assert "kite.dequantize" not in asm["kitegpu"] and "arith.uitofp" in asm["kitegpu"]
    x = np.zeros((P * M, N), np.float32)
    asm = quantize_kernel.compile(
        x, np.zeros(64, np.float32), np.zeros(64, np.int32), np.zeros((2, P * M, N), np.uint8),
        M=M, N=N, G=G, SCALE=PY_SCALE, ZERO=None, DTYPE=kl.float8e5, ZP=False, KINDS=1,
        BITS=True, target="generic").asm
    assert asm["kite"].count("kite.quantize") == 2 and "f8E5M2" in asm["kite"]
    assert "kite.quantize" not in asm["kitegpu"] and "arith.minimumf" in asm["kitegpu"]
