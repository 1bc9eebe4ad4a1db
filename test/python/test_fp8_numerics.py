"""fp8 (float8e4m3 / Triton's float8e4nv, and float8e5m2) on the device
under test (conftest.DEVICE: the interpreter, or KITE_TEST_DEVICE): values
live in f32 registers rounded to the format and in memory as bytes
(lib/Conversion/KiteGPUToThreads/EmulatedFloats.cpp). Every result must be
the interpreter's, bit for bit (NaN's sign aside)."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite.interpreter import numerics

from conftest import DEVICE, run

FORMATS = [kl.float8e4m3, kl.float8e5m2]
IDS = ["e4m3", "e5m2"]


def _values() -> np.ndarray:
    """Every finite value of both formats, the midpoints between neighbours
    and the floats on either side of them, special values, and normal
    numbers from 1e-12 to 1e8: 8192 float32."""
    parts = []
    for fmt in FORMATS:
        grid = numerics.decode(np.arange(256, dtype=np.uint8), fmt)
        grid = np.unique(grid[np.isfinite(grid)])
        mids = ((grid[1:] + grid[:-1]) / 2).astype(np.float32)
        parts += [grid, mids, np.nextafter(mids, np.float32(np.inf)),
                  np.nextafter(mids, np.float32(-np.inf))]
    parts.append(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, 3e38, 464.0, 463.99,
                           61440.0, 60000.0], np.float32))
    values = np.concatenate([np.asarray(p, np.float32) for p in parts])
    rng = np.random.default_rng(8)
    rest = 8192 - len(values)
    random = rng.standard_normal(rest) * 10.0 ** rng.integers(-12, 8, rest)
    return np.concatenate([values, random.astype(np.float32)])


VALUES = _values()


def interpreted(kernel, grid, *args, **meta):
    """The interpreter's result of the same launch (the reference)."""
    dev = [kite.from_numpy(a, device="interpreter") if isinstance(a, np.ndarray) and a.ndim
           else a for a in args]
    kernel[grid](*dev, **meta)
    outs = [a.numpy() for a in dev if isinstance(a, kite.Tensor)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def assert_same_bits(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    both_nan = np.isnan(actual) & np.isnan(expected)
    same = (actual.view(np.uint32) == expected.view(np.uint32)) | both_nan
    assert same.all(), list(zip(VALUES[~same][:8], actual[~same][:8], expected[~same][:8]))


@kite.kernel
def round_trip(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr, RTZ: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    if RTZ:
        y = x.to(DTYPE, fp_downcast_rounding="rtz")
    else:
        y = x.to(DTYPE)
    kl.store(out_ptr + offs, y.to(kl.float32))


@pytest.mark.parametrize("rtz", [False, True], ids=["rtne", "rtz"])
@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_conversions_round_and_saturate_as_the_interpreter(fmt, rtz):
    out = np.zeros_like(VALUES)
    args = (VALUES, out)
    meta = dict(BLOCK=1024, DTYPE=fmt, RTZ=rtz)
    assert_same_bits(run(round_trip, (8,), *args, **meta),
                     interpreted(round_trip, (8,), *args, **meta))


@kite.kernel
def to_bytes(x_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + offs))  # f32 -> the fp8 tensor's bytes


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_fp8_tensors_are_stored_and_loaded_as_their_bytes(fmt):
    out = kite.zeros(len(VALUES), fmt, device=DEVICE)
    x = kite.from_numpy(VALUES, device=DEVICE)
    to_bytes[(8,)](x, out, BLOCK=1024)
    expected = kite.zeros(len(VALUES), fmt, device="interpreter")
    to_bytes[(8,)](kite.from_numpy(VALUES, device="interpreter"), expected, BLOCK=1024)
    assert_same_bits(out.numpy(), expected.numpy())
    back = kite.zeros(len(VALUES), kl.float32, device=DEVICE)
    to_bytes[(8,)](out, back, BLOCK=1024)
    assert_same_bits(back.numpy(), expected.numpy())


@kite.kernel
def fp8_arithmetic(x_ptr, y_ptr, out_ptr, half_ptr, bf_ptr, BLOCK: kl.constexpr,
                   DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs).to(DTYPE)
    y = kl.load(y_ptr + offs).to(DTYPE)
    s = x * y + x  # each operation rounded to the format
    kl.store(out_ptr + offs, s.to(kl.float32))
    kl.store(half_ptr + offs, s.to(kl.float16).to(kl.float32))
    kl.store(bf_ptr + offs, x.to(kl.bfloat16).to(kl.float32))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_arithmetic_on_fp8_rounds_every_result(fmt):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(2048) * 4).astype(np.float32)
    y = (rng.standard_normal(2048) * 4).astype(np.float32)
    outs = [np.zeros(2048, np.float32) for _ in range(3)]
    meta = dict(BLOCK=512, DTYPE=fmt)
    got = run(fp8_arithmetic, (4,), x, y, *outs, **meta)
    want = interpreted(fp8_arithmetic, (4,), x, y, *outs, **meta)
    for g, w in zip(got[2:], want[2:]):
        np.testing.assert_array_equal(g, w)


@kite.kernel
def fp8_max(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK)).to(DTYPE)
    kl.store(out_ptr, kl.max(x, axis=0).to(kl.float32))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_reduction_of_fp8_values(fmt):
    x = np.random.default_rng(2).standard_normal(256).astype(np.float32) * 100
    out = np.zeros(1, np.float32)
    got = run(fp8_max, (1,), x, out, BLOCK=256, DTYPE=fmt)
    want = interpreted(fp8_max, (1,), x, out, BLOCK=256, DTYPE=fmt)
    np.testing.assert_array_equal(got[1], want[1])


@kite.kernel
def fp8_dot(a_ptr, b_ptr, c_ptr, N: kl.constexpr, DTYPE: kl.constexpr):
    r = kl.arange(0, N)
    a = kl.load(a_ptr + r[:, None] * N + r[None, :]).to(DTYPE)
    b = kl.load(b_ptr + r[:, None] * N + r[None, :]).to(DTYPE)
    kl.store(c_ptr + r[:, None] * N + r[None, :], kl.dot(a, b))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_dot_of_fp8_operands_accumulates_in_f32(fmt):
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal((32, 32)).astype(np.float32) for _ in range(2))
    c = np.zeros((32, 32), np.float32)
    got = run(fp8_dot, (1,), a, b, c, N=32, DTYPE=fmt)[2]
    want = interpreted(fp8_dot, (1,), a, b, c, N=32, DTYPE=fmt)[2]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)  # sums in any order


@kite.kernel
def from_f64(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(out_ptr + offs, x.to(DTYPE, fp_downcast_rounding="rtz").to(kl.float32))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_f64_toward_zero_is_not_rounded_to_f32_first(fmt):
    x = np.array([1.125 - 2.0 ** -40, 448 - 2.0 ** -40, -(1.5 - 2.0 ** -45), 2.0 ** -9 - 2.0 ** -50,
                  3.0, 1e300, -1e300, 0.0], np.float64)
    out = np.zeros(8, np.float32)
    got = run(from_f64, (1,), x, out, BLOCK=8, DTYPE=fmt)[1]
    want = interpreted(from_f64, (1,), x, out, BLOCK=8, DTYPE=fmt)[1]
    np.testing.assert_array_equal(got, want)


@kite.kernel
def times_constant(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs).to(DTYPE)
    kl.store(out_ptr + offs, (x * 1000000.0).to(kl.float32))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_constants_out_of_range_saturate_like_conversions(fmt):
    x = np.array([1.0, -1.0, 0.5, 0.0], np.float32)
    out = np.zeros(4, np.float32)
    got = run(times_constant, (1,), x, out, BLOCK=4, DTYPE=fmt)[1]
    limit = 448.0 if fmt is kl.float8e4m3 else 57344.0
    np.testing.assert_array_equal(got, [limit, -limit, limit / 2, 0.0])  # the constant is the limit


@kite.kernel
def fp8_atomic(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.atomic_add(x_ptr + offs, kl.full((BLOCK,), 1.0, kl.float8e4nv))


def test_atomics_on_fp8_are_a_clear_error_on_devices():
    x = kite.zeros(4, kl.float8e4nv, device="interpreter")
    with pytest.raises(kite.CompilationError, match=r"'kite.atomic_rmw' op on 'f8E4M3FN' values does not lower to "
                                                    r"threads yet \(atomics take 32- and 64-bit"):
        fp8_atomic.compile(x, BLOCK=4, target="cuda:sm_90")


@kite.kernel
def float_bitcast(x_ptr, out_ptr, BLOCK: kl.constexpr, SRC: kl.constexpr, DST: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs).to(SRC)
    kl.store(out_ptr + offs, x.to(DST, bitcast=True).to(kl.float32))


@pytest.mark.parametrize("src,dst", [(kl.float16, kl.bfloat16), (kl.bfloat16, kl.float16),
                                     (kl.float8e4m3, kl.float8e5m2), (kl.float8e5m2, kl.float8e4m3),
                                     (kl.float8e4m3, kl.int8), (kl.int8, kl.float8e5m2)],
                         ids=["f16-bf16", "bf16-f16", "e4m3-e5m2", "e5m2-e4m3", "e4m3-i8", "i8-e5m2"])
def test_bitcasts_between_emulated_and_other_types_reinterpret_the_bits(src, dst):
    x = np.array([1.0, -2.5, 0.1, 100.0, 3.0, -0.0, 7.0, 0.5], np.float32)
    out = np.zeros(8, np.float32)
    got = run(float_bitcast, (1,), x, out, BLOCK=8, SRC=src, DST=dst)[1]
    want = interpreted(float_bitcast, (1,), x, out, BLOCK=8, SRC=src, DST=dst)[1]
    np.testing.assert_array_equal(got, want)
