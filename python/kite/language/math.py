"""``kl.math``: the functions of ``triton.language.math``, and the float
functions of libdevice that every Kite backend compiles (exported by
``kite.language.extra.libdevice``)."""
from __future__ import annotations

import builtins
import decimal

import numpy as np

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import builtin
from .semantic import to_tensor
from .standard import (abs, ceil, cos, erf, exp, exp2, floor, fma, log, log2,  # noqa: F401
                       rsqrt, sin, sqrt)

_LOG2_10 = 3.321928094887362
# log2(10) to more digits than a double holds: its part below a double's
# precision is the low part of the f64 split.
_LOG2_10_DIGITS = "3.32192809488736234787031942948939017586483139302458061205"


def _float_operand(x, name: str):
    x = to_tensor(x)
    if not x.dtype.is_floating():
        raise error(f"{name} needs a floating-point operand, got {x.dtype}; "
                    f"convert it first with .to(kl.float32)")
    return x


def _float_unary(name: str, mlir_op: str, doc: str):
    def fn(x):
        x = _float_operand(x, name)
        return semantic._arith(mlir_op, [x], x.dtype)
    fn.__name__ = fn.__qualname__ = name.rsplit(".", 1)[-1]
    fn.__doc__ = doc
    return builtin(fn)


def _float_binary(name: str, mlir_op: str, doc: str):
    def fn(x, y):
        x, y = semantic.binary_operands(x, y, name)
        if not x.dtype.is_floating():
            raise error(f"{name} needs floating-point operands, got {x.dtype}; "
                        f"convert them first with .to(kl.float32)")
        return semantic._arith(mlir_op, [x, y], x.dtype)
    fn.__name__ = fn.__qualname__ = name.rsplit(".", 1)[-1]
    fn.__doc__ = doc
    return builtin(fn)


tanh = _float_unary("tanh", "math.tanh", "Hyperbolic tangent.")
sinh = _float_unary("sinh", "math.sinh", "Hyperbolic sine.")
cosh = _float_unary("cosh", "math.cosh", "Hyperbolic cosine.")
tan = _float_unary("tan", "math.tan", "Tangent.")
asin = _float_unary("asin", "math.asin", "Arc sine.")
acos = _float_unary("acos", "math.acos", "Arc cosine.")
atan = _float_unary("atan", "math.atan", "Arc tangent.")
asinh = _float_unary("asinh", "math.asinh", "Inverse hyperbolic sine.")
acosh = _float_unary("acosh", "math.acosh", "Inverse hyperbolic cosine.")
atanh = _float_unary("atanh", "math.atanh", "Inverse hyperbolic tangent.")
log1p = _float_unary("log1p", "math.log1p", "log(1 + x), accurate for small x.")
expm1 = _float_unary("expm1", "math.expm1", "exp(x) - 1, accurate for small x.")
log10 = _float_unary("log10", "math.log10", "Base-10 logarithm.")
cbrt = _float_unary("cbrt", "math.cbrt", "Cube root.")
erfc = _float_unary("erfc", "math.erfc", "Complementary error function, 1 - erf(x).")
round = _float_unary("round", "math.round", "Nearest integer, halves away from zero.")
rint = _float_unary("rint", "math.roundeven", "Nearest integer, halves to even.")
nearbyint = rint
trunc = _float_unary("trunc", "math.trunc", "Integer part (rounds toward zero).")
atan2 = _float_binary("atan2", "math.atan2", "Arc tangent of y/x in the quadrant of (x, y).")
pow = _float_binary("pow", "math.powf", "x raised to the power y.")
copysign = _float_binary("copysign", "math.copysign", "The magnitude of x with the sign of y.")
fmod = _float_binary("fmod", "arith.remf", "Remainder of x / y with the sign of x (C fmod).")
fmax = _float_binary("fmax", "arith.maxnumf", "Maximum; a NaN operand gives the other one.")
fmin = _float_binary("fmin", "arith.minnumf", "Minimum; a NaN operand gives the other one.")


@builtin
def exp10(x):
    """10 raised to the power x: 2^(x·log2 10), with the product carried in
    two parts (x·hi rounded, and its rounding error plus x·lo, exactly
    enough through an FMA) so that large x lose no precision to it."""
    x = _float_operand(x, "exp10")
    narrow = x.dtype.bits < 32
    wide = semantic.cast(x, dt.float32) if narrow else x
    hi = float(np.float32(_LOG2_10)) if wide.dtype.bits == 32 else _LOG2_10
    lo = float(decimal.Decimal(_LOG2_10_DIGITS) - decimal.Decimal(hi))
    product = wide * hi
    error = fma(wide, hi, -product) + wide * lo
    result = exp2(product) * exp2(error)
    return semantic.cast(result, x.dtype) if narrow else result


@builtin
def hypot(x, y):
    """sqrt(x² + y²) without overflow or underflow in the squares."""
    x, y = semantic.binary_operands(x, y, "hypot")
    if not x.dtype.is_floating():
        raise error("hypot needs floating-point operands")
    ax, ay = abs(x), abs(y)
    big = semantic._arith("arith.maxnumf", [ax, ay], x.dtype)
    small = semantic._arith("arith.minnumf", [ax, ay], x.dtype)
    ratio = semantic.where(big == 0, 0.0, small / big)
    result = big * sqrt(1.0 + ratio * ratio)
    # max/min drop NaNs: put them back, but hypot(inf, nan) is inf, as in C.
    result = semantic.where(semantic.or_(_isnan(x), _isnan(y)), float("nan"), result)
    return semantic.where(semantic.or_(ax == float("inf"), ay == float("inf")),
                          float("inf"), result)


@builtin
def fdim(x, y):
    """x - y where x > y, else +0 (NaN if either is NaN)."""
    x, y = semantic.binary_operands(x, y, "fdim")
    return semantic.where(x > y, x - y, semantic.where(x <= y, 0.0, x + y))


@builtin
def div_rn(x, y):
    """x / y rounded to nearest, as IEEE 754 divides. Kite's ``/`` already
    divides so on NVIDIA (div.rn.f32); on Vulkan both are the device's
    OpFDiv."""
    x, y = semantic.binary_operands(x, y, "div_rn")
    if not x.dtype.is_floating():
        raise error("div_rn needs floating-point operands")
    return semantic._arith("arith.divf", [x, y], x.dtype)


@builtin
def fdiv(x, y, ieee_rounding=False):
    """x / y (``ieee_rounding`` is accepted for Triton's signature: Kite's
    division rounds to nearest either way on NVIDIA)."""
    return div_rn(x, y)


@builtin
def sqrt_rn(x):
    """The square root rounded to nearest (Kite's ``sqrt`` is the same
    instruction, sqrt.rn, on NVIDIA)."""
    return sqrt(_float_operand(x, "sqrt_rn"))


def _isnan(x):
    return semantic.not_equal(x, x)


@builtin
def isnan(x):
    """True (int1, as Triton converts __nv_isnanf's result) where x is a NaN."""
    return _isnan(_float_operand(x, "isnan"))


@builtin
def isinf(x):
    """True (int1) where x is +inf or -inf."""
    x = _float_operand(x, "isinf")
    return semantic.equal(abs(x), float("inf"))


@builtin
def isfinited(x):
    """True (int1) where x is neither infinite nor NaN."""
    x = _float_operand(x, "isfinite")
    return semantic.less(abs(x), float("inf"))


finitef = isfinited


@builtin
def signbit(x):
    """1 (int32) where x's sign bit is set (-0.0 and negative NaNs too), else 0."""
    x = _float_operand(x, "signbit")
    bits = semantic.cast(x, dt.int_of_width(x.dtype.bits), bitcast=True)
    return semantic.cast(semantic.less(bits, 0), dt.int32)




# ---------------------------------------------------------------- integers

def _int_operand(x, name: str):
    x = to_tensor(x)
    if not x.dtype.is_int() or x.dtype.is_bool():
        raise error(f"{name} needs an integer operand, got {x.dtype}")
    return x


@builtin
def umulhi(x, y):
    """The high half of the full product of x and y, taken as unsigned
    integers of their width (as Triton's umulhi: mul.hi.u32 on NVIDIA)."""
    x, y = semantic.binary_operands(x, y, "umulhi")
    if not x.dtype.is_int() or x.dtype.is_bool():
        raise error(f"umulhi needs integer operands, got {x.dtype}")
    bits = x.dtype.bits
    ux = semantic.cast(x, dt.int_of_width(bits, signed=False), bitcast=True)
    uy = semantic.cast(y, dt.int_of_width(bits, signed=False), bitcast=True)
    if bits <= 32:
        wide = semantic.cast(ux, dt.uint64) * semantic.cast(uy, dt.uint64)
        high = semantic.cast(wide >> bits, dt.int_of_width(bits, signed=False))
    else:
        high = _umulhi64(ux, uy)
    return semantic.cast(high, x.dtype, bitcast=True)


def _umulhi64(x, y):
    # Schoolbook product of 32-bit halves; every partial product fits in 64 bits.
    low32 = 0xFFFFFFFF
    xl, xh = x & low32, x >> 32
    yl, yh = y & low32, y >> 32
    ll, lh, hl, hh = xl * yl, xl * yh, xh * yl, xh * yh
    middle = (ll >> 32) + (lh & low32) + (hl & low32)
    return hh + (lh >> 32) + (hl >> 32) + (middle >> 32)



@builtin
def mulhi(x, y):
    """The high half of the full product of x and y, signed or unsigned by
    their dtype (libdevice's __nv_mulhi, __nv_umulhi, __nv_mul64hi,
    __nv_umul64hi)."""
    x, y = semantic.binary_operands(x, y, "mulhi")
    if not x.dtype.is_int() or x.dtype.is_bool():
        raise error(f"mulhi needs integer operands, got {x.dtype}")
    if x.dtype.is_int_unsigned():
        return umulhi(x, y)
    bits = x.dtype.bits
    if bits <= 32:
        wide = semantic.cast(x, dt.int64) * semantic.cast(y, dt.int64)
        return semantic.cast(wide >> bits, x.dtype)
    # Signed from unsigned: hi(x·y) = uhi(x·y) - (x < 0 ? y : 0) - (y < 0 ? x : 0).
    high = umulhi(x, y)
    high = high - semantic.where(x < 0, y, 0)
    return high - semantic.where(y < 0, x, 0)


@builtin
def popc(x):
    """The number of bits set (int32), of a 32- or 64-bit integer."""
    x = _int_operand(x, "popc")
    return semantic.cast(semantic._arith("math.ctpop", [x], x.dtype), dt.int32)


@builtin
def clz(x):
    """The number of leading zero bits (int32), of a 32- or 64-bit integer."""
    x = _int_operand(x, "clz")
    return semantic.cast(semantic._arith("math.ctlz", [x], x.dtype), dt.int32)


@builtin
def brev(x):
    """x with its bits in reverse order."""
    x = _int_operand(x, "brev")
    bits = x.dtype.bits
    u = semantic.cast(x, dt.int_of_width(bits, signed=False), bitcast=True)
    # Swap ever larger groups: bits, pairs, nibbles, ... halves.
    shift = 1
    while shift < bits:
        mask = _group_mask(bits, shift)
        u = ((u >> shift) & mask) | ((u & mask) << shift)
        shift *= 2
    return semantic.cast(u, x.dtype, bitcast=True)


def _group_mask(bits: int, shift: int) -> int:
    """Bit pattern of alternating groups of ``shift`` ones and zeros, low group ones."""
    mask = 0
    for start in builtins.range(0, bits, 2 * shift):
        mask |= ((1 << shift) - 1) << start
    return mask

