"""``libdevice``: the functions of Triton's ``libdevice`` module that Kite
compiles on every backend (NVIDIA and Vulkan), under libdevice's names, so
that ``libdevice.tanh(x)`` ports unchanged. Names Kite has no portable
version of raise an AttributeError that says so.

The ``fast_*`` functions are the ordinary ones: Kite's f32 exp already is
ex2.approx on NVIDIA."""
from __future__ import annotations

from .. import dtypes as _dt
from .. import semantic as _semantic
from ..core import builtin as _builtin
from ..math import (abs, acos, acosh, asin, asinh, atan, atan2, atanh, brev,  # noqa: F401
                    cbrt, ceil, clz, copysign, cos, cosh, div_rn, erf, erfc, exp, exp2,
                    exp10, expm1, fdim, finitef, floor, fma, fmax, fmin, fmod, hypot,
                    isfinited, isinf, isnan, log, log1p, log2, log10, mulhi, nearbyint,
                    popc, pow, rint, round, rsqrt, signbit, sin, sinh, sqrt, sqrt_rn, tan,
                    tanh, trunc, umulhi)

fast_expf = exp
fast_exp10f = exp10
fast_logf = log
fast_log2f = log2
fast_log10f = log10
fast_sinf = sin
fast_cosf = cos
fast_tanf = tan
fast_tanhf = tanh
fast_powf = pow
fast_dividef = div_rn


def _reinterpret(name: str, src_bits: int, float_src: bool, dst):
    from ...frontend.location import error

    def fn(x):
        x = _semantic.to_tensor(x)
        if x.dtype.bits != src_bits or x.dtype.is_floating() != float_src:
            kind = "floating-point" if float_src else "integer"
            raise error(f"libdevice.{name} needs a {src_bits}-bit {kind} operand, "
                        f"got {x.dtype}")
        return _semantic.cast(x, dst, bitcast=True)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"The bits of x reinterpreted as {dst} (no conversion)."
    return _builtin(fn)


float_as_int = _reinterpret("float_as_int", 32, True, _dt.int32)
float_as_uint = _reinterpret("float_as_uint", 32, True, _dt.uint32)
int_as_float = _reinterpret("int_as_float", 32, False, _dt.float32)
uint_as_float = _reinterpret("uint_as_float", 32, False, _dt.float32)
double_as_longlong = _reinterpret("double_as_longlong", 64, True, _dt.int64)
longlong_as_double = _reinterpret("longlong_as_double", 64, False, _dt.float64)


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"libdevice.{name} is not available in Kite: Kite's libdevice holds the "
        f"functions it compiles on every backend ({', '.join(_AVAILABLE)}); "
        f"write {name} with these, or with kite.language's operators")


_AVAILABLE = sorted(n for n, v in list(globals().items())
                    if not n.startswith("_") and callable(v) and getattr(v, "__kite_builtin__", False))
