"""Every fp8 format against ml_dtypes, bit for bit, on the device under test
(conftest.DEVICE): Triton's float8e4nv (e4m3fn) and float8e5 (e5m2), its
AMD formats float8e4b8 (e4m3fnuz) and float8e5b16 (e5m2fnuz), and the MX
scale format float8e8m0 (e8m0fnu). Each of the 256 codes decodes to
ml_dtypes' value; float32 inputs around every value and midpoint of each
format encode to ml_dtypes' code, except where Triton saturates (finite
magnitudes past the largest, and the infinities of the formats that have a
signed zero), where ml_dtypes gives inf or NaN. e8m0, which Triton has no
type for, follows ml_dtypes everywhere."""
import re

import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl

from conftest import DEVICE, line_of, run

FORMATS = {"e4m3fn": (kl.float8e4nv, ml_dtypes.float8_e4m3fn),
           "e5m2": (kl.float8e5, ml_dtypes.float8_e5m2),
           "e4m3fnuz": (kl.float8e4b8, ml_dtypes.float8_e4m3fnuz),
           "e5m2fnuz": (kl.float8e5b16, ml_dtypes.float8_e5m2fnuz),
           "e8m0": (kl.float8e8m0, ml_dtypes.float8_e8m0fnu)}
IDS = list(FORMATS)
FNUZ = ("e4m3fnuz", "e5m2fnuz")
CODES = np.arange(256, dtype=np.uint8)


def _bits(values) -> np.ndarray:
    return np.array(values, dtype=np.uint32).view(np.float32)


def _inputs(ref) -> np.ndarray:
    """Every finite value of the format, every midpoint between neighbours
    (ties, where nearest-even decides), the floats on either side of each,
    and the edges: ±0, ±inf, NaN payloads of both signs, the largest value
    and one f32 ulp and half an fp8 ulp above it, the smallest subnormal
    and half of it, f32 subnormals and f32's largest value."""
    grid = CODES.view(ref).astype(np.float32)
    grid = np.unique(np.abs(grid[np.isfinite(grid)]))
    mids = ((grid[1:].astype(np.float64) + grid[:-1]) / 2).astype(np.float32)
    info = ml_dtypes.finfo(ref)
    top, tiny = np.float32(info.max), np.float32(info.smallest_subnormal)
    ulp = top - np.float32(np.nextafter(info.max, 0, dtype=ref))
    with np.errstate(over="ignore"):
        edges = np.array([top, top + ulp / 2, top + ulp, 2 * top, 1e30, 3.4028235e38, tiny,
                          tiny / 2, tiny * 0.75, tiny * 1.5, tiny * 2.5, 1e-45, 1e-40, 1.0, 3.0],
                         np.float32)
    around = np.concatenate([grid, mids, edges])
    with np.errstate(over="ignore"):
        around = np.concatenate([around, np.nextafter(around, np.float32(np.inf)),
                                 np.nextafter(around, np.float32(0))])
    special = np.concatenate([np.array([0.0, np.inf, np.nan], np.float32),
                              _bits([0x7F800001, 0x7FBFFFFF, 0x7FC00001, 0x7FFFFFFF])])
    both = np.concatenate([around, special])
    return np.concatenate([both, -both]).astype(np.float32)


def triton_codes(x: np.ndarray, name: str) -> np.ndarray:
    """ml_dtypes' nearest-even code of each float32, with Triton's
    saturation: a finite x that ml_dtypes makes inf or NaN is the largest
    finite value of x's sign; so is an infinity in e4m3fn and e5m2 (NVIDIA's
    cvt.rn.satfinite), while the fnuz formats, which have no infinity, make
    it NaN as ml_dtypes does (Triton's AMD conversions, ONNX's saturation)."""
    ref = FORMATS[name][1]
    with np.errstate(over="ignore", invalid="ignore"):
        codes = x.astype(ref).view(np.uint8).copy()
    if name == "e8m0":
        return codes
    top = np.float32(ml_dtypes.finfo(ref).max).astype(ref).view(np.uint8)
    overflowed = ~np.isfinite(codes.view(ref).astype(np.float32)) & ~np.isnan(x)
    if name in FNUZ:
        overflowed &= np.isfinite(x)
    return np.where(overflowed, top | np.where(np.signbit(x), 0x80, 0), codes).astype(np.uint8)


def assert_same_floats(actual, expected, inputs):
    """The same float32 bits (-0 is not 0), or NaN where NaN is expected."""
    actual, expected = np.asarray(actual, np.float32), np.asarray(expected, np.float32)
    same = (actual.view(np.uint32) == expected.view(np.uint32)) | (np.isnan(actual) & np.isnan(expected))
    assert same.all(), list(zip(np.asarray(inputs)[~same][:8], actual[~same][:8], expected[~same][:8]))


def assert_same_codes(actual, expected, inputs, nan_of=None):
    """The same codes; with ``nan_of`` (an ml_dtypes type), any NaN code
    where a NaN is expected (a NaN's sign does not survive bf16)."""
    actual, expected = np.asarray(actual, np.uint8), np.asarray(expected, np.uint8)
    bad = actual != expected
    if nan_of is not None:
        bad &= ~(np.isnan(actual.view(nan_of).astype(np.float32))
                 & np.isnan(expected.view(nan_of).astype(np.float32)))
    assert not bad.any(), [(float(x), hex(a), hex(e)) for x, a, e in
                           zip(np.asarray(inputs)[bad][:8], actual[bad][:8], expected[bad][:8])]


def _padded(x: np.ndarray, block: int) -> np.ndarray:
    return np.concatenate([x, np.zeros(-len(x) % block, x.dtype)])


@kite.kernel
def decode(codes_ptr, f32_ptr, f16_ptr, bf16_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(codes_ptr + offs).to(DTYPE, bitcast=True)
    kl.store(f32_ptr + offs, x.to(kl.float32))
    kl.store(f16_ptr + offs, x.to(kl.float16))
    kl.store(bf16_ptr + offs, x.to(kl.bfloat16).to(kl.float32))


@pytest.mark.parametrize("name", IDS)
def test_every_code_decodes_to_the_ml_dtypes_value(name):
    fmt, ref = FORMATS[name]
    f32, f16, bf16 = np.zeros(256, np.float32), np.zeros(256, np.float16), np.zeros(256, np.float32)
    got = run(decode, (2,), CODES, f32, f16, bf16, BLOCK=128, DTYPE=fmt)
    want = CODES.view(ref).astype(np.float32)
    assert_same_floats(got[1], want, CODES)
    with np.errstate(over="ignore"):  # e8m0 past f16's range is inf
        as_f16 = CODES.view(ref).astype(np.float16)
    assert_same_floats(got[2].astype(np.float32), as_f16, CODES)
    assert_same_floats(got[3], want, CODES)  # every fp8 value is a bf16 value


@kite.kernel
def encode(x_ptr, codes_ptr, fp8_ptr, back_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr,
           SRC: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    y = kl.load(x_ptr + offs).to(SRC).to(DTYPE)
    kl.store(codes_ptr + offs, y.to(kl.uint8, bitcast=True))
    kl.store(fp8_ptr + offs, y)  # the fp8 tensor's bytes
    kl.store(back_ptr + offs, y.to(kl.float32))


@kite.kernel
def memory_codes(fp8_ptr, codes_ptr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(codes_ptr + offs, kl.load(fp8_ptr + offs).to(kl.uint8, bitcast=True))


def _encode(name, x, src=kl.float32):
    fmt = FORMATS[name][0]
    x = _padded(x, 1024)
    n, grid = len(x), (len(x) // 1024,)
    fp8 = kite.zeros(n, fmt, device=DEVICE)
    _, codes, _, back = run(encode, grid, x, np.zeros(n, np.uint8), fp8, np.zeros(n, np.float32),
                            BLOCK=1024, DTYPE=fmt, SRC=src)
    stored = run(memory_codes, grid, fp8, np.zeros(n, np.uint8), BLOCK=1024)[1]
    return x, codes, stored, back


@pytest.mark.parametrize("name", IDS)
def test_f32_encodes_to_the_ml_dtypes_code_and_round_trips_through_memory(name):
    x, codes, stored, back = _encode(name, _inputs(FORMATS[name][1]))
    want = triton_codes(x, name)
    assert_same_codes(codes, want, x)
    assert_same_codes(stored, want, x)  # in memory: the code, one byte each
    assert_same_floats(back, want.view(FORMATS[name][1]).astype(np.float32), x)


@pytest.mark.parametrize("src", [kl.float16, kl.bfloat16], ids=["f16", "bf16"])
@pytest.mark.parametrize("name", IDS)
def test_f16_and_bf16_encode_to_the_ml_dtypes_code(name, src):
    x = _inputs(FORMATS[name][1])
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = x.astype(np.float16 if src is kl.float16 else ml_dtypes.bfloat16)
    narrow = narrow.astype(np.float32)
    x, codes, _, _ = _encode(name, x, src)
    narrow = _padded(narrow, 1024)
    assert_same_codes(codes, triton_codes(narrow, name), x, nan_of=FORMATS[name][1])


def test_the_fnuz_edges_exactly():
    """The cases that tell the fnuz formats apart, spelled out."""
    unit = 2.0 ** -10  # the smallest subnormal
    x = np.array([-0.0, -unit / 4, 240.0, 247.9, 248.0, -1e6, np.inf, -np.inf, np.nan,
                  unit / 2, unit * 1.5, unit * 2.5, unit * 0.75, -unit * 1.5], np.float32)
    want = [0x00, 0x00, 0x7F, 0x7F, 0x7F, 0xFF, 0x80, 0x80, 0x80,
            0x00, 0x02, 0x02, 0x01, 0x82]  # ties to even: 0.5, 1.5 and 2.5 units are 0, 2, 2
    codes = _encode("e4m3fnuz", x)[1][:len(x)]
    assert [hex(c) for c in codes] == [hex(c) for c in want]


@kite.kernel
def arithmetic(x_ptr, y_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs).to(DTYPE)
    y = kl.load(y_ptr + offs).to(DTYPE)
    kl.store(out_ptr + offs, (x * y + x).to(kl.float32))  # each result rounded to DTYPE


@pytest.mark.parametrize("name", FNUZ)
def test_arithmetic_rounds_every_result_to_the_format(name):
    ref = FORMATS[name][1]

    def rounded(v):
        return triton_codes(np.asarray(v, np.float32), name).view(ref).astype(np.float32)

    rng = np.random.default_rng(5)
    x = (rng.standard_normal(2048) * 10.0 ** rng.integers(-3, 3, 2048)).astype(np.float32)
    y = (rng.standard_normal(2048) * 10.0 ** rng.integers(-3, 3, 2048)).astype(np.float32)
    x[:4], y[:4] = [200.0, -200.0, 1e-3, np.nan], [200.0, 3.0, -1e-3, 1.0]  # saturation, NaN
    got = run(arithmetic, (2,), x, y, np.zeros_like(x), BLOCK=1024, DTYPE=FORMATS[name][0])[2]
    xs, ys = rounded(x), rounded(y)
    assert_same_floats(got, rounded(rounded(xs * ys) + xs), x)


CONSTANTS = [1e6, -1e6, float("inf"), float("-inf"), float("nan"), -0.0, 0.3, -1e-30]


@kite.kernel
def constant_code(out_ptr, DTYPE: kl.constexpr, C: kl.constexpr):
    offs = kl.arange(0, 2)
    kl.store(out_ptr + offs, kl.full((2,), C, DTYPE).to(kl.uint8, bitcast=True))


@pytest.mark.parametrize("name", IDS)
def test_constants_of_the_format_are_encoded_like_conversions(name):
    fmt = FORMATS[name][0]
    values = np.array(CONSTANTS, np.float32)
    got = [run(constant_code, (1,), np.zeros(2, np.uint8), DTYPE=fmt, C=c)[0] for c in CONSTANTS]
    assert_same_codes(got, triton_codes(values, name), values)


def test_the_e8m0_edges_exactly():
    x = np.array([1.0, 1.5, 3.0, 0.75, 2.0 ** -127, 2.0 ** -128, 1.5 * 2.0 ** -127, 1e-45, 0.0, -0.0,
                  -1.0, 2.0 ** 127, 1.5 * 2.0 ** 127, np.inf, np.nan], np.float32)
    want = [0x7F, 0x80, 0x81, 0x7F, 0x00, 0x00, 0x01, 0x00, 0xFF, 0xFF,
            0xFF, 0xFE, 0xFF, 0xFF, 0xFF]  # ties up; no zero, no sign; overflow is NaN
    codes = _encode("e8m0", x)[1][:len(x)]
    assert [hex(c) for c in codes] == [hex(c) for c in want]


def toward_zero_reference(x: np.ndarray, ref) -> np.ndarray:
    """The largest-magnitude value of the format not above |x|, with x's
    sign; past the largest finite value, that value (Triton saturates)."""
    values = CODES.view(ref).astype(np.float32)
    grid = np.unique(np.abs(values[np.isfinite(values)]))
    idx = np.searchsorted(grid, np.abs(x), side="right") - 1
    out = np.copysign(grid[np.clip(idx, 0, None)], x)
    return np.where(np.isnan(x), np.nan, out).astype(np.float32)


@kite.kernel
def toward_zero(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    y = kl.load(x_ptr + offs).to(DTYPE, fp_downcast_rounding="rtz")
    kl.store(out_ptr + offs, y.to(kl.float32))


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2"])
def test_rounding_toward_zero_against_ml_dtypes_values(name):
    fmt, ref = FORMATS[name]
    x = _padded(_inputs(ref), 1024)
    got = run(toward_zero, (len(x) // 1024,), x, np.zeros_like(x), BLOCK=1024, DTYPE=fmt)[1]
    assert_same_floats(got, toward_zero_reference(x, ref), x)


def _toward_zero_on_grid(x: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """x rounded toward zero onto the sorted positive finite values of a
    format: the largest not above |x|, with x's sign (inf and NaN stay)."""
    idx = np.searchsorted(positive, np.abs(x), side="right") - 1
    out = np.copysign(positive[idx], x)
    return np.where(np.isfinite(x), out, x).astype(np.float32)


@kite.kernel
def narrow_toward_zero(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    y = kl.load(x_ptr + offs).to(DTYPE, fp_downcast_rounding="rtz")
    kl.store(out_ptr + offs, y.to(kl.float32))


@pytest.mark.parametrize("dtype", [kl.float16, kl.bfloat16], ids=["f16", "bf16"])
def test_f32_to_f16_and_bf16_toward_zero(dtype):
    """Triton's fp_downcast_rounding="rtz" on f32 -> f16/bf16 (an
    arith.truncf would round to nearest)."""
    if dtype is kl.float16:
        positive = np.arange(0x7C00, dtype=np.uint16).view(np.float16).astype(np.float32)
    else:
        positive = (np.arange(0x7F80, dtype=np.uint32) << 16).view(np.float32)
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(4096) * 10.0 ** rng.integers(-9, 6, 4096)).astype(np.float32)
    edges = np.array([65504.0, 65519.0, 65520.0, 1e6, 3e38, np.inf, np.nan, 0.0, 1.0 + 2.0 ** -12,
                      2.0 ** -24 * 1.5, 2.0 ** -25, 1.0 + 2.0 ** -9, 1e-40], np.float32)
    x[:2 * len(edges)] = np.concatenate([edges, -edges])
    got = run(narrow_toward_zero, (4,), x, np.zeros_like(x), BLOCK=1024, DTYPE=dtype)[1]
    assert_same_floats(got, _toward_zero_on_grid(x, positive), x)


@kite.kernel
def fnuz_dot(a_ptr, b_ptr, c_ptr, N: kl.constexpr, DTYPE: kl.constexpr):
    r = kl.arange(0, N)
    a = kl.load(a_ptr + r[:, None] * N + r[None, :]).to(DTYPE)
    b = kl.load(b_ptr + r[:, None] * N + r[None, :]).to(DTYPE)
    kl.store(c_ptr + r[:, None] * N + r[None, :], kl.dot(a, b))


@pytest.mark.parametrize("name", FNUZ)
def test_a_dot_of_fnuz_operands_multiplies_their_exact_values(name):
    fmt, ref = FORMATS[name]
    rng = np.random.default_rng(4)
    a, b = ((rng.standard_normal((32, 32)) * 4).astype(np.float32) for _ in range(2))
    c = run(fnuz_dot, (1,), a, b, np.zeros((32, 32), np.float32), N=32, DTYPE=fmt)[2]
    exact = a.astype(ref).astype(np.float64) @ b.astype(ref).astype(np.float64)
    np.testing.assert_allclose(c, exact, rtol=1e-5, atol=1e-4)  # f32 sums, in any order


@pytest.mark.parametrize("name", FNUZ)
def test_no_fp8_tensor_core_instruction_takes_fnuz_operands(name):
    """sm_89's fp8 mma reads e4m3fn/e5m2 bits: fnuz operands are widened to
    f16 (exactly) for the f16 mma instead."""
    x = np.zeros((32, 32), np.float32)
    ptx = fnuz_dot.compile(x, x, x, N=32, DTYPE=FORMATS[name][0], target="cuda:sm_90").asm["ptx"]
    assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in ptx
    assert "e4m3" not in ptx and "e5m2" not in ptx


@kite.kernel
def cast_with(x_ptr, BLOCK: kl.constexpr, SRC: kl.constexpr, DST: kl.constexpr,
              ROUNDING: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK)).to(SRC)
    kl.store(x_ptr + kl.arange(0, BLOCK), x.to(DST, fp_downcast_rounding=ROUNDING).to(kl.float32))


@pytest.mark.parametrize("src,dst,rounding,message", [
    (kl.float32, kl.float8e4b8, "rtz",
     "fp_downcast_rounding='rtz' is not supported for conversions to fp8e4b8: it rounds to "
     "nearest-even only"),
    (kl.float16, kl.float8e5b16, "rtz",
     "fp_downcast_rounding='rtz' is not supported for conversions to fp8e5b16"),
    (kl.float8e4b8, kl.float32, "rtne",
     "fp_downcast_rounding should be set only for truncating fp conversions, not from fp8e4b8 "
     "to fp32"),
    (kl.float8e5b16, kl.float8e4b8, "rtne",
     "fp_downcast_rounding should be set only for truncating fp conversions, not from "
     "fp8e5b16 to fp8e4b8"),
    (kl.float32, kl.float8e4b8, "rtn", "fp_downcast_rounding must be 'rtne' or 'rtz', got 'rtn'"),
    (kl.bfloat16, kl.float8e8m0, "rtz",
     "fp_downcast_rounding='rtz' is not supported for conversions to fp8e8m0"),
], ids=["rtz-e4b8", "rtz-e5b16", "widening", "same-width", "unknown", "rtz-e8m0"])
def test_rounding_errors_are_reported_at_their_line(src, dst, rounding, message):
    with pytest.raises(kite.CompilationError, match=re.escape(message)) as info:
        cast_with.compile(np.zeros(4, np.float32), BLOCK=4, SRC=src, DST=dst, ROUNDING=rounding,
                          target="cuda:sm_80")
    assert info.value.lineno == line_of(cast_with, "fp_downcast_rounding=ROUNDING")


def test_a_dot_of_e8m0_scales_is_an_error_at_its_line():
    x = np.zeros((32, 32), np.float32)
    with pytest.raises(kite.CompilationError,
                       match=re.escape("kl.dot does not support fp8e8m0 operands")) as info:
        fnuz_dot.compile(x, x, x, N=32, DTYPE=kl.float8e8m0, target="cuda:sm_90")
    assert info.value.lineno == line_of(fnuz_dot, "kl.dot(a, b)")


def test_triton_names_of_the_fnuz_formats():
    assert (kl.float8e4b8.name, kl.float8e4b8.mlir) == ("fp8e4b8", "f8E4M3FNUZ")
    assert (kl.float8e5b16.name, kl.float8e5b16.mlir) == ("fp8e5b16", "f8E5M2FNUZ")
    assert kl.float8e4b8.is_fp8() and kl.float8e5b16.is_fp8()
    assert kl.float8e4b8.is_fp8e4b8() and kl.float8e5b16.is_fp8e5b16()
    assert kl.float8e4nv.is_fp8e4nv() and kl.float8e5.is_fp8e5()
    assert not kl.float8e4b8.is_fp8e4nv() and not kl.float8e5b16.is_fp8e5()
    assert (kl.float8e8m0.name, kl.float8e8m0.mlir) == ("fp8e8m0", "f8E8M0FNU")
