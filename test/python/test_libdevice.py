"""Numerics of ``kl.math`` and ``kite.language.extra.libdevice`` against numpy
(and Python's exact integers), through the interpreter and, in the numerics
tier, on each device. Kernels written as for Triton, with ``libdevice.``."""
import math

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, TOL, line_of, run
from kite.language.extra import libdevice
from kite.language.extra.cuda import libdevice as cuda_libdevice

FLOATS = [np.float16, np.float32, np.float64]
ON_VULKAN = DEVICE.startswith("vulkan")



@kite.kernel
def unary_kernel(x_ptr, out_ptr, n, FN: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask, other=1)
    kl.store(out_ptr + offs, FN(x), mask=mask)


@kite.kernel
def binary_kernel(x_ptr, y_ptr, out_ptr, n, FN: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask, other=1)
    y = kl.load(y_ptr + offs, mask=mask, other=1)
    kl.store(out_ptr + offs, FN(x, y), mask=mask)


def _erfc(v):
    return np.vectorize(math.erfc, otypes=[np.float64])(v)


# name: (function, numpy reference in float64, input range, extra relative
# tolerance over conftest.TOL's for f32 where a backend approximates)
_UNARY = {
    "tanh": (libdevice.tanh, np.tanh, (-6, 6)),
    "sinh": (libdevice.sinh, np.sinh, (-5, 5)),
    "cosh": (libdevice.cosh, np.cosh, (-5, 5)),
    "tan": (libdevice.tan, np.tan, (-1.4, 1.4)),
    "asin": (libdevice.asin, np.arcsin, (-0.99, 0.99)),
    "acos": (libdevice.acos, np.arccos, (-0.99, 0.99)),
    "atan": (libdevice.atan, np.arctan, (-20, 20)),
    "asinh": (libdevice.asinh, np.arcsinh, (-20, 20)),
    "acosh": (libdevice.acosh, np.arccosh, (1.01, 50)),
    "atanh": (libdevice.atanh, np.arctanh, (-0.95, 0.95)),
    "log1p": (libdevice.log1p, np.log1p, (-0.9, 10)),
    "expm1": (libdevice.expm1, np.expm1, (-3, 3)),
    "log10": (libdevice.log10, np.log10, (0.001, 1000)),
    "exp10": (libdevice.exp10, lambda v: 10.0 ** v, (-4, 4)),
    "cbrt": (libdevice.cbrt, np.cbrt, (-100, 100)),
    "erfc": (libdevice.erfc, _erfc, (-2, 3)),
    "trunc": (libdevice.trunc, np.trunc, (-10, 10)),
    "rint": (libdevice.rint, np.rint, (-10, 10)),
    "round": (libdevice.round, lambda v: np.trunc(v + np.copysign(0.5, v)), (-10, 10)),
    "kl.math.exp2": (kl.math.exp2, np.exp2, (-5, 5)),
    "kl.math.rsqrt": (kl.math.rsqrt, lambda v: 1 / np.sqrt(v), (0.01, 100)),
}

# Computed exactly (or from exact operations) everywhere, f64 included.
_EXACT = {"trunc", "rint", "round"}
# No float64 version in GLSL.std.450: a CompilationError on Vulkan.
_NO_F64_ON_VULKAN = set(_UNARY) - _EXACT - {"kl.math.rsqrt"}


def _tolerance(name, dtype):
    rtol, atol = TOL[np.dtype(dtype)]
    if dtype == np.float32 and name not in _EXACT:
        # A few ulp: polynomial approximations (NVIDIA) and GLSL.std.450 (Vulkan).
        rtol, atol = 2e-5, 2e-6
    return rtol, atol


@pytest.mark.parametrize("dtype", FLOATS, ids=[np.dtype(d).name for d in FLOATS])
@pytest.mark.parametrize("name", list(_UNARY))
def test_unary(name, dtype):
    fn, ref, (lo, hi) = _UNARY[name]
    x = np.random.default_rng(3).uniform(lo, hi, 300).astype(dtype)
    if name in ("trunc", "rint", "round"):
        x[:10] = [-2.5, -1.5, -0.5, -0.3, 0.0, 0.5, 1.5, 2.5, 3.49, -3.51]
    out = np.zeros_like(x)
    if ON_VULKAN and dtype == np.float64 and name in _NO_F64_ON_VULKAN:
        with pytest.raises(kite.CompilationError, match="on f64 is not supported on Vulkan") as info:
            run(unary_kernel, (3,), x, out, len(x), FN=fn, BLOCK=128)
        assert info.value.lineno == line_of(unary_kernel, "FN(x)")
        return
    out = run(unary_kernel, (3,), x, out, len(x), FN=fn, BLOCK=128)[1]
    expected = ref(x.astype(np.float64)).astype(dtype)
    if name in _EXACT:
        np.testing.assert_array_equal(out, expected)
        if name != "round":  # the sign of zero too: trunc(-0.3) is -0.0
            np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
        return
    rtol, atol = _tolerance(name, dtype)
    np.testing.assert_allclose(out.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=atol)


_BINARY = {
    "atan2": (libdevice.atan2, np.arctan2, (-5, 5), (-5, 5)),
    "pow": (libdevice.pow, np.power, (0.1, 4), (-3, 3)),
    "hypot": (libdevice.hypot, np.hypot, (-100, 100), (-100, 100)),
    "copysign": (libdevice.copysign, np.copysign, (-5, 5), (-5, 5)),
    "fmod": (libdevice.fmod, np.fmod, (-20, 20), (0.5, 4)),
    "fmin": (libdevice.fmin, np.fmin, (-5, 5), (-5, 5)),
    "fmax": (libdevice.fmax, np.fmax, (-5, 5), (-5, 5)),
    "fdim": (libdevice.fdim, lambda a, b: np.where(a > b, a - b, 0.0), (-5, 5), (-5, 5)),
    "div_rn": (libdevice.div_rn, np.divide, (-5, 5), (0.5, 4)),
    "fdiv": (kl.math.fdiv, np.divide, (-5, 5), (0.5, 4)),
}
_BINARY_EXACT = {"copysign", "fmod", "fmin", "fmax", "div_rn", "fdiv"}


@pytest.mark.parametrize("dtype", FLOATS, ids=[np.dtype(d).name for d in FLOATS])
@pytest.mark.parametrize("name", list(_BINARY))
def test_binary(name, dtype):
    fn, ref, (xlo, xhi), (ylo, yhi) = _BINARY[name]
    rng = np.random.default_rng(4)
    x = rng.uniform(xlo, xhi, 200).astype(dtype)
    y = rng.uniform(ylo, yhi, 200).astype(dtype)
    out = np.zeros_like(x)
    if ON_VULKAN and dtype == np.float64 and name in ("atan2", "pow"):
        with pytest.raises(kite.CompilationError, match="on f64 is not supported on Vulkan"):
            run(binary_kernel, (2,), x, y, out, len(x), FN=fn, BLOCK=128)
        return
    out = run(binary_kernel, (2,), x, y, out, len(x), FN=fn, BLOCK=128)[2]
    # The reference rounds each operation as the kernel does: in the dtype.
    expected = ref(x, y) if name in _BINARY_EXACT else ref(x.astype(np.float64), y.astype(np.float64))
    expected = np.asarray(expected).astype(dtype)
    if ON_VULKAN and name == "fmod":
        # OpFRem is x - y·trunc(x/y) on lavapipe (Vulkan's precision rules
        # allow it): within an ulp or two of x, not exact as C's fmod.
        err = np.abs(out.astype(np.float64) - expected.astype(np.float64))
        assert np.all(err <= 2 * np.spacing(np.abs(x))), np.max(err / np.spacing(np.abs(x)))
        return
    if name in _BINARY_EXACT:
        np.testing.assert_array_equal(out, expected)
        return
    rtol, atol = _tolerance(name, dtype)
    np.testing.assert_allclose(out.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=atol)


def test_hypot_does_not_overflow_or_underflow_in_the_squares():
    x = np.array([3e30, 3e-30, 0.0, np.inf, 1.0, np.nan], np.float32)
    y = np.array([4e30, 4e-30, 0.0, np.nan, -np.inf, 1.0], np.float32)
    out = run(binary_kernel, (1,), x, y, np.zeros_like(x), len(x), FN=libdevice.hypot,
              BLOCK=8)[2]
    np.testing.assert_allclose(out[:3], [5e30, 5e-30, 0.0], rtol=1e-6)
    assert out[3] == np.inf and out[4] == np.inf and np.isnan(out[5])


@kite.kernel
def classify_kernel(x_ptr, out_ptr, n, FN: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, FN(kl.load(x_ptr + offs, mask=mask)), mask=mask)


_SPECIALS = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, -np.nan, 1e-40, 65504.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16],
                         ids=["float32", "float64", "float16"])
@pytest.mark.parametrize("name,ref", [
    ("isnan", np.isnan), ("isinf", np.isinf), ("isfinited", np.isfinite),
    ("finitef", np.isfinite), ("signbit", np.signbit)])
def test_classification(name, ref, dtype):
    x = np.array(_SPECIALS, dtype)
    out = run(classify_kernel, (1,), x, np.full(len(x), 7, np.int32), len(x),
              FN=getattr(libdevice, name), BLOCK=16)[1]
    np.testing.assert_array_equal(out, ref(x).astype(np.int32))


def _umulhi_ref(a, b, bits):
    mask = (1 << bits) - 1
    return [((int(x) & mask) * (int(y) & mask)) >> bits for x, y in zip(a, b)]


def _mulhi_ref(a, b, bits):
    return [(int(x) * int(y)) >> bits for x, y in zip(a, b)]


_INTS = [np.int32, np.uint32, np.int64, np.uint64, np.int16]


@pytest.mark.parametrize("dtype", _INTS, ids=[np.dtype(d).name for d in _INTS])
def test_umulhi_is_the_high_half_of_the_unsigned_product(dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(5)
    x = rng.integers(info.min, info.max, 100, dtype=dtype, endpoint=True)
    y = rng.integers(info.min, info.max, 100, dtype=dtype, endpoint=True)
    x[:4] = [info.max, info.min, 0, info.max]
    y[:4] = [info.max, info.max, info.max, 1]
    out = run(binary_kernel, (1,), x, y, np.zeros_like(x), len(x), FN=kl.umulhi, BLOCK=128)[2]
    bits = np.dtype(dtype).itemsize * 8
    expected = np.array(_umulhi_ref(x, y, bits), np.uint64).astype(
        np.dtype(f"u{bits // 8}")).view(dtype)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", _INTS, ids=[np.dtype(d).name for d in _INTS])
def test_mulhi_is_the_high_half_signed_or_unsigned_by_dtype(dtype):
    # __nv_mulhi, __nv_umulhi, __nv_mul64hi, __nv_umul64hi by the operands' dtype.
    info = np.iinfo(dtype)
    rng = np.random.default_rng(6)
    x = rng.integers(info.min, info.max, 100, dtype=dtype, endpoint=True)
    y = rng.integers(info.min, info.max, 100, dtype=dtype, endpoint=True)
    x[:4] = [info.min, info.max, info.max, 0]
    y[:4] = [info.min, info.max, info.min, info.max]
    out = run(binary_kernel, (1,), x, y, np.zeros_like(x), len(x), FN=libdevice.mulhi,
              BLOCK=128)[2]
    bits = np.dtype(dtype).itemsize * 8
    wrap = 1 << bits
    expected = [((int(a) * int(b)) >> bits) % wrap for a, b in zip(x, y)]
    np.testing.assert_array_equal(out.astype(np.dtype(f"u{bits // 8}")),
                                  np.array(expected, dtype=np.uint64).astype(
                                      np.dtype(f"u{bits // 8}")))


@kite.kernel
def not_nan_kernel(x_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(out_ptr + offs, kl.where(~libdevice.isnan(x), x, -1.0))


def test_isnan_is_a_boolean_as_in_triton():
    x = np.array([1.0, np.nan, 2.0, np.inf], np.float32)
    out = run(not_nan_kernel, (1,), x, np.zeros_like(x), BLOCK=4)[1]
    np.testing.assert_array_equal(out, [1.0, -1.0, 2.0, np.inf])


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int64], ids=["int32", "uint32", "int64"])
@pytest.mark.parametrize("name", ["popc", "clz", "brev"])
def test_bit_functions(name, dtype):
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    x = np.random.default_rng(7).integers(info.min, info.max, 100, dtype=dtype, endpoint=True)
    x[:5] = np.array([0, 1, info.max, info.min, 0x1000], dtype)
    out_dtype = dtype if name == "brev" else np.int32
    out = run(unary_kernel, (1,), x, np.zeros(len(x), out_dtype), len(x),
              FN=getattr(libdevice, name), BLOCK=128)[1]
    unsigned = [int(v) & ((1 << bits) - 1) for v in x]
    if name == "popc":
        expected = [bin(v).count("1") for v in unsigned]
    elif name == "clz":
        expected = [bits - v.bit_length() for v in unsigned]
    else:
        expected = [int(format(v, f"0{bits}b")[::-1], 2) for v in unsigned]
        expected = np.array(expected, np.uint64).astype(np.dtype(f"u{bits // 8}")).view(dtype)
    np.testing.assert_array_equal(out, np.asarray(expected).astype(out_dtype))


@pytest.mark.parametrize("name,src,dst", [
    ("float_as_int", np.float32, np.int32), ("float_as_uint", np.float32, np.uint32),
    ("int_as_float", np.int32, np.float32), ("uint_as_float", np.uint32, np.float32),
    ("double_as_longlong", np.float64, np.int64), ("longlong_as_double", np.int64, np.float64)])
def test_reinterpreting_bits(name, src, dst):
    x = np.array([1.5, -0.0, 3.0, 1e-30], np.float64).astype(dst if np.dtype(dst).kind == "f"
                                                               else src)
    x = x.view(src) if np.dtype(dst).kind == "f" else x
    out = run(unary_kernel, (1,), x, np.zeros(len(x), dst), len(x), FN=getattr(libdevice, name),
              BLOCK=4)[1]
    np.testing.assert_array_equal(out.view(np.uint8), x.view(np.uint8))


def test_sqrt_rn_and_div_rn_round_to_nearest():
    rng = np.random.default_rng(8)
    x = rng.uniform(0.01, 100, 256).astype(np.float32)
    y = rng.uniform(0.01, 100, 256).astype(np.float32)
    out = run(unary_kernel, (2,), x, np.zeros_like(x), len(x), FN=kl.math.sqrt_rn, BLOCK=128)[1]
    np.testing.assert_array_equal(out, np.sqrt(x))
    out = run(binary_kernel, (2,), x, y, np.zeros_like(x), len(x), FN=kl.math.div_rn,
              BLOCK=128)[2]
    np.testing.assert_array_equal(out, x / y)


def test_triton_import_paths_name_the_same_module():
    assert cuda_libdevice is libdevice
    assert kl.math.umulhi is kl.umulhi


@kite.kernel
def lgamma_kernel(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(x_ptr + kl.arange(0, BLOCK), libdevice.lgamma(x))


def test_a_libdevice_function_kite_lacks_is_named_at_its_line():
    # Compiling reports it at the call; the interpreter runs Python, which
    # raises the AttributeError itself.
    with pytest.raises((kite.CompilationError, AttributeError)) as info:
        run(lgamma_kernel, (1,), np.ones(4, np.float32), BLOCK=4)
    assert "libdevice.lgamma is not available in Kite" in str(info.value)
    assert "tanh" in str(info.value)  # the list of what there is
    if DEVICE != "interpreter":
        assert info.value.lineno == line_of(lgamma_kernel, "lgamma(x)")


def test_float_functions_reject_integers_at_the_call():
    with pytest.raises(kite.CompilationError, match="tanh needs a floating-point operand") as info:
        run(unary_kernel, (1,), np.ones(4, np.int32), np.zeros(4, np.int32), 4,
            FN=libdevice.tanh, BLOCK=4)
    assert info.value.lineno == line_of(unary_kernel, "FN(x)")


def test_bitcast_of_the_wrong_width_is_an_error():
    with pytest.raises(kite.CompilationError, match="float_as_int needs a 32-bit floating-point"):
        run(unary_kernel, (1,), np.ones(4, np.float64), np.zeros(4, np.int32), 4,
            FN=libdevice.float_as_int, BLOCK=4)


def _ulps(out, ref):
    ref = np.asarray(ref, np.float64)
    spacing = np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf
        err = np.abs(out.astype(np.float64) - ref) / spacing
    err[(out == ref) | (np.isnan(out) & np.isnan(ref))] = 0
    return err


_EDGES = np.array([1e-7, -1e-7, 3e-6, -3e-6, 1e-3, -2e-2, 0.3, -0.4, 1.5, 5, 20, 60], np.float32)


@pytest.mark.parametrize("name,ref,domain", [
    ("log1p", np.log1p, _EDGES), ("expm1", np.expm1, _EDGES), ("sinh", np.sinh, _EDGES),
    ("tanh", np.tanh, _EDGES), ("asinh", np.arcsinh, np.append(_EDGES, [1e19, 1e30, -1e30])),
    ("atanh", np.arctanh, np.array([1e-7, -3e-6, 0.1, -0.5, 0.9, 0.999], np.float32)),
    ("acosh", np.arccosh, np.array([1, 1.0001, 1.5, 3, 100, 1e10, 1e30], np.float32)),
    ("atan", np.arctan, _EDGES)])
def test_small_and_large_arguments_keep_full_precision(name, ref, domain):
    # Textbook formulas (log(1 + x), (e^x - e^-x) / 2, log(x + sqrt(x² + 1)))
    # lose everything near 0 or overflow; Kite's stay within a few ulp.
    x = np.asarray(domain, np.float32)
    out = run(unary_kernel, (1,), x, np.zeros_like(x), len(x), FN=getattr(libdevice, name),
              BLOCK=16)[1]
    err = _ulps(out, ref(x.astype(np.float64)))
    assert err.max() <= 4, dict(zip(x.tolist(), err.tolist()))


@pytest.mark.parametrize("name,ref", [("asin", np.arcsin), ("acos", np.arccos), ("atan", np.arctan)])
def test_inverse_trigonometry_within_two_ulp(name, ref):
    # CUDA documents 2 ulp for asinf/acosf/atanf; MLIR's f32 polynomials
    # Vulkan kernels used were 6.8 (asin) and 36 (atan) ulp off on lavapipe.
    g = np.random.default_rng(3)
    near_one = g.uniform(0.999, 1, 500)
    x = np.concatenate([g.uniform(-1, 1, 3000), near_one, -near_one,
                        np.ldexp(g.uniform(-1, 1, 300), g.integers(-149, 0, 300)),
                        [0, -0.0, 1, -1, 0.5, -0.5, 1e-45, np.nextafter(1, 0), np.nan]]).astype(np.float32)
    if name == "atan":
        x = np.concatenate([x, np.float32([1e10, -1e30, 3.4e38, np.inf, -np.inf])])
    else:  # outside [-1, 1]: NaN, as C's
        x = np.concatenate([x, np.float32([1.0000001, -1.0000001, 2, -np.inf])])
    out = run(unary_kernel, (kite.cdiv(len(x), 1024),), x, np.zeros_like(x), len(x),
              FN=getattr(libdevice, name), BLOCK=1024)[1]
    with np.errstate(invalid="ignore"):
        expected = ref(x.astype(np.float64))
    err = _ulps(out, expected)
    assert err.max() <= 2, (x[err.argmax()], out[err.argmax()], expected[err.argmax()], err.max())
    assert np.array_equal(np.signbit(out[x == 0]), np.signbit(expected[x == 0]))


def test_pow_follows_cs_special_cases():
    x = np.array([-2, 0, 0, 0, -0.0, -0.0, 2, -3, np.inf, -np.inf, 1, np.nan, -8, 0.5, 4, -1],
                 np.float32)
    y = np.array([3, 0, 2, -1, 3, -3, 0.5, 0.5, -1, 3, np.nan, 0, 1 / 3, -200, 0.5, np.inf],
                 np.float32)
    out = run(binary_kernel, (1,), x, y, np.zeros_like(x), len(x), FN=libdevice.pow,
              BLOCK=16)[2]
    with np.errstate(all="ignore"):
        expected = np.power(x.astype(np.float64), y.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.all(_ulps(out[finite], expected[finite]) <= 4), (out, expected)
    np.testing.assert_array_equal(np.signbit(out[finite]), np.signbit(expected[finite]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rint_rounds_halves_to_even_at_the_edges(dtype):
    # lavapipe's own f64 RoundEven (Mesa 25.0.7) rounded 1.5 to 1; Kite
    # computes f64 rint from floor on Vulkan.
    big = 2.0 ** 52 if dtype == np.float64 else 2.0 ** 23
    x = np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 3.5, 0.49999997, -0.49999997,
                  big - 0.5, big + 1, -(big + 1), 2 * big, np.inf, -np.inf, np.nan],
                 dtype=dtype)
    out = run(unary_kernel, (1,), x, np.zeros_like(x), len(x), FN=_UNARY["rint"][0], BLOCK=32)[1]
    np.testing.assert_array_equal(out, np.rint(x))
    assert np.array_equal(np.signbit(out), np.signbit(np.rint(x)))
