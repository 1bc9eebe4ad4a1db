"""The interpreter's builder: every op of kite.language computed with numpy
for one program instance. Handles are numpy arrays (0-d for scalars)."""
from __future__ import annotations

import math

import numpy as np

from ..errors import KernelRuntimeError
from ..frontend.location import error, user_location
from ..language import dtypes as dt
from . import numerics


def compute_dtype(ty) -> np.dtype:
    elem = ty.scalar
    if elem.is_ptr():
        return np.dtype(np.int64)
    if numerics.is_emulated(elem):
        return np.dtype(np.float32)
    return elem.np_dtype


def as_type(value, ty) -> np.ndarray:
    elem = ty.scalar
    value = np.asarray(value)
    if numerics.is_emulated(elem):
        return numerics.round_to(value, elem)
    return value.astype(compute_dtype(ty), copy=False)


def _c_div(a, b):
    q = np.floor_divide(a, b)
    fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _round_half_away(x):
    whole = np.trunc(x)
    return whole + np.where(np.abs(x - whole) >= 0.5, np.sign(x), 0).astype(x.dtype)


def _popcount(x):
    u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(u).astype(x.dtype)
    return np.vectorize(lambda v: bin(int(v)).count("1"), otypes=[x.dtype])(u)


def _count_leading_zeros(x):
    bits = 8 * x.dtype.itemsize
    u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
    return np.vectorize(lambda v: bits - int(v).bit_length(), otypes=[x.dtype])(u)


_E2M1 = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], dtype=np.float64)  # codes 0-7


def _repeat_to(part, shape):
    """A block-scaled scale (or zero point) repeated to ``shape``."""
    part = np.asarray(part)
    if part.ndim == 0:
        return np.broadcast_to(part, shape)
    for axis, (whole, piece) in enumerate(zip(shape, part.shape)):
        part = np.repeat(part, whole // piece, axis=axis)
    return part


def _fma(a, b, c):
    # Rounded once, as a fused multiply-add: products of fp16/fp32 values are exact in fp64.
    if a.dtype.itemsize < 8:
        return a.astype(np.float64) * b + c
    return a * b + c


_OPS = {
    "arith.addf": np.add, "arith.addi": np.add, "arith.subf": np.subtract,
    "arith.subi": np.subtract, "arith.mulf": np.multiply, "arith.muli": np.multiply,
    "arith.divf": np.divide, "arith.divsi": _c_div, "arith.divui": np.floor_divide,
    "arith.remsi": np.fmod, "arith.remui": np.remainder, "arith.remf": np.fmod,
    "arith.andi": np.bitwise_and, "arith.ori": np.bitwise_or, "arith.xori": np.bitwise_xor,
    "arith.shli": np.left_shift, "arith.shrsi": np.right_shift, "arith.shrui": np.right_shift,
    "arith.maxnumf": np.fmax, "arith.minnumf": np.fmin, "arith.maxsi": np.maximum,
    "arith.minsi": np.minimum, "arith.maxui": np.maximum, "arith.minui": np.minimum,
    "arith.negf": np.negative, "arith.select": np.where,
    "math.exp": np.exp, "math.exp2": np.exp2, "math.log": np.log, "math.log2": np.log2,
    "math.sqrt": np.sqrt, "math.rsqrt": lambda x: 1 / np.sqrt(x), "math.sin": np.sin,
    "math.cos": np.cos, "math.erf": _erf, "math.floor": np.floor, "math.ceil": np.ceil,
    "math.absf": np.abs, "math.absi": np.abs, "math.fma": _fma,
    "math.tanh": np.tanh, "math.sinh": np.sinh, "math.cosh": np.cosh, "math.tan": np.tan,
    "math.asin": np.arcsin, "math.acos": np.arccos, "math.atan": np.arctan,
    "math.asinh": np.arcsinh, "math.acosh": np.arccosh, "math.atanh": np.arctanh,
    "math.log1p": np.log1p, "math.expm1": np.expm1, "math.log10": np.log10,
    "math.cbrt": np.cbrt, "math.erfc": _erfc, "math.round": _round_half_away,
    "math.roundeven": np.rint, "math.trunc": np.trunc, "math.atan2": np.arctan2,
    "math.powf": np.power, "math.copysign": np.copysign,
    "math.ctpop": _popcount, "math.ctlz": _count_leading_zeros,
    "arith.maximumf": np.maximum, "arith.minimumf": np.minimum,
}

# The functions evaluated in float64 for narrower float operands.
_WIDENED = {"math.exp", "math.exp2", "math.log", "math.log2", "math.log10", "math.sin",
            "math.cos", "math.tan", "math.tanh", "math.sinh", "math.cosh", "math.asin",
            "math.acos", "math.atan", "math.asinh", "math.acosh", "math.atanh",
            "math.log1p", "math.expm1", "math.cbrt", "math.atan2", "math.powf"}
_NARROW_FLOATS = (np.dtype(np.float32), np.dtype(np.float16))

_CMPI = {0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater,
         5: np.greater_equal, 6: np.less, 7: np.less_equal, 8: np.greater, 9: np.greater_equal}
_CMPF = {1: np.equal, 2: np.greater, 3: np.greater_equal, 4: np.less, 5: np.less_equal,
         13: np.not_equal}

_RMW = {
    "add": lambda old, v: old + v, "fadd": lambda old, v: old + v,
    "max": max, "umax": max, "min": min, "umin": min,
    "fmax": lambda old, v: np.fmax(old, v), "fmin": lambda old, v: np.fmin(old, v),
    "and": lambda old, v: old & v, "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v, "xchg": lambda old, v: v,
}


class _BranchOnLanes(Exception):
    """A combine function branched on a value the interpreter holds for many
    lanes at once; the step is redone lane by lane."""


def _combine_step(region_fn, lhs, rhs):
    """One combine step over all lanes: vectorized, or lane by lane when the
    combine function has Python control flow on its arguments."""
    try:
        return region_fn(lhs, rhs)
    except _BranchOnLanes:
        pass
    shape = np.broadcast_shapes(*[np.shape(h) for h in lhs + rhs])
    outs = None
    for index in np.ndindex(shape):
        lane = region_fn([np.broadcast_to(h, shape)[index] for h in lhs],
                         [np.broadcast_to(h, shape)[index] for h in rhs])
        if outs is None:
            outs = [np.empty(shape, np.asarray(v).dtype) for v in lane]
        for out, v in zip(outs, lane):
            out[index] = v
    return outs


def _hex_string(h) -> str:
    """Values in hexadecimal as C's %x prints them: integers in two's
    complement, floats as their bits."""
    a = np.asarray(h)
    if a.dtype.kind in "fib":
        a = a.view(np.dtype(f"u{a.dtype.itemsize}")) if a.dtype.kind != "b" else a.astype(np.uint8)
    return str(np.vectorize(hex, otypes=[object])(a)) if a.size else "[]"


class NumpyBuilder:
    is_tracing = False

    def __init__(self, memory, grid):
        self.memory = memory
        self.grid = grid
        self.pid = (0, 0, 0)

    def constant(self, value, ty):
        shape = ty.shape if isinstance(ty, dt.block_type) else ()
        return as_type(np.full(shape, value, dtype=np.float64 if isinstance(value, float) else None), ty)

    def program_id(self, axis):
        return np.array(self.pid[axis], np.int32)

    def num_programs(self, axis):
        return np.array(self.grid[axis], np.int32)

    def make_range(self, start, end, ty):
        return np.arange(start, end, dtype=np.int32)

    def splat(self, h, ty):
        return np.full(ty.shape, h, dtype=h.dtype)

    def broadcast(self, h, ty):
        return np.broadcast_to(h, ty.shape)

    def expand_dims(self, h, axis, ty):
        return np.expand_dims(h, axis)

    def reshape(self, h, ty):
        return np.reshape(h, ty.shape)

    def trans(self, h, order, ty):
        return np.transpose(h, order)

    def join(self, a, b, ty):
        return np.stack([a, b], axis=-1)

    def split(self, h, ty):
        return h[..., 0].copy(), h[..., 1].copy()

    def gather(self, src, index, axis, ty):
        # Out-of-range indices wrap (floored modulo), as the compiled kernels'
        # `and` with N - 1 does.
        index = np.remainder(index.astype(np.int64), src.shape[axis])
        return np.take_along_axis(src, index, axis)

    def arith(self, name, handles, ty):
        if name in _WIDENED and any(getattr(h, "dtype", None) in _NARROW_FLOATS
                                    for h in handles):
            # numpy's own float32 transcendentals (SIMD since numpy 2) are up
            # to a few ulp off (arcsin 2.03 in numpy 2.4); float64 rounded
            # once is the reference a kernel is held to.
            handles = [np.asarray(h, np.float64) for h in handles]
            with np.errstate(all="ignore"):
                return as_type(_OPS[name](*handles), ty)
        return as_type(_OPS[name](*handles), ty)

    def quantize(self, x, scale, zero_point, lo, hi, ty):
        with np.errstate(all="ignore"):
            y = x.astype(np.float32) / _repeat_to(scale, x.shape).astype(np.float32)
            if lo is None:  # fp8: saturate (NaN stays), round to nearest-even
                largest = numerics.largest_finite(ty.scalar)
                return as_type(np.clip(y, -largest, largest), ty)
            y = np.rint(y)
            zero = np.float32(0)
            if zero_point is not None:
                zero = _repeat_to(zero_point, x.shape).astype(np.float32)
                y = y + zero
            y = np.where(np.isnan(y), zero, y)
            return np.clip(y, lo, hi).astype(np.int32).astype(compute_dtype(ty))

    def dequantize(self, q, scale, zero_point, is_unsigned, ty):
        v = q.astype(np.float32)
        if zero_point is not None:
            v = v - _repeat_to(zero_point, q.shape).astype(np.float32)
        with np.errstate(all="ignore"):
            return as_type(v * _repeat_to(scale, q.shape).astype(np.float32), ty)

    def fp4_to_fp(self, codes, high, ty):
        nibble = (codes.astype(np.uint8) >> (4 if high else 0)) & 0xF
        return as_type(_E2M1[nibble & 7] * np.where(nibble & 8, -1.0, 1.0), ty)

    def cmp(self, name, predicate, a, b, ty):
        table = _CMPI if name == "arith.cmpi" else _CMPF
        return np.asarray(table[predicate](a, b))

    def cast(self, name, h, ty, src_ty, attrs):
        target = compute_dtype(ty)
        if name in ("arith.fptosi", "arith.fptoui"):
            return np.trunc(h).astype(target)
        if name == "arith.extui":
            h = h.astype(np.dtype(f"u{h.dtype.itemsize}")) if h.dtype.kind == "i" else h
            return h.astype(target)
        if name == "arith.bitcast":
            return self._bitcast(h, ty, src_ty)
        if name == "kite.fp_to_fp" and (attrs or {}).get("rounding") == 1:
            return as_type(self._round_toward_zero(h, ty), ty)
        return as_type(h, ty)

    def _round_toward_zero(self, h, ty):
        elem = ty.scalar
        nearest = numerics.round_to(h, elem)
        too_big = np.abs(nearest) > np.abs(h)
        if numerics.is_emulated(elem):
            # sign-magnitude codes: one code less is the next value toward zero
            codes = numerics.encode(nearest, elem)
            lower = numerics.decode(codes - np.ones_like(codes), elem)
        else:
            lower = np.nextafter(nearest, np.zeros_like(nearest))
        return np.where(too_big, lower, nearest)

    def _bitcast(self, h, ty, src_ty):
        src, dst = src_ty.scalar, ty.scalar
        raw = numerics.encode(h, src) if numerics.is_emulated(src) else np.asarray(h)
        # ascontiguousarray makes a scalar's 0-d handle 1-d: keep the shape
        raw = np.ascontiguousarray(raw).view(numerics.storage_dtype(dst)).reshape(np.shape(raw))
        return numerics.decode(raw, dst) if numerics.is_emulated(dst) else raw

    def retype(self, h, ty, src_ty):
        return h.astype(compute_dtype(ty))

    def addptr(self, p, off, ty):
        size = numerics.storage_dtype(ty.scalar.element_ty).itemsize
        return (p + off.astype(np.int64) * size).astype(np.int64)

    def load(self, p, mask, other, ty, volatile):
        return self.memory.load(p, mask, other, ty.scalar, compute_dtype(ty))

    def store(self, p, v, mask, ptr_ty):
        self.memory.store(p, v, mask, ptr_ty.scalar.element_ty)

    # Programs run one at a time, each a single sequence of numpy operations:
    # every access is ordered, whatever an atomic's sem and scope ask for.
    def atomic_rmw(self, code, kind, p, v, mask, ty, sem, scope):
        fn = _RMW[kind]
        v = np.broadcast_to(v, np.shape(p))
        return self.memory.atomic(p, mask, ty.scalar, compute_dtype(ty),
                                  lambda old, pos: fn(old, v[pos]))

    def atomic_cas(self, p, c, v, ty, sem, scope):
        c, v = np.broadcast_to(c, np.shape(p)), np.broadcast_to(v, np.shape(p))
        return self.memory.atomic(p, None, ty.scalar, compute_dtype(ty),
                                  lambda old, pos: v[pos] if old == c[pos] else old)

    def dot(self, a, b, c, ty, input_precision="ieee"):  # computes "ieee"
        if ty.scalar.is_int():
            product = np.matmul(a.astype(np.int32), b.astype(np.int32))
        else:
            wide = np.float64 if a.dtype == np.float64 else np.float32
            product = np.matmul(a.astype(wide), b.astype(wide))
        return as_type(product + c, ty)

    def reduce(self, handles, axis, region_fn, types, kind):
        x = handles[0]
        if kind == "sum":
            acc = np.float64 if x.dtype.kind == "f" else None
            return [as_type(np.sum(x, axis=axis, dtype=acc), types[0])]
        if kind in ("max", "min"):
            fn = (np.fmax if kind == "max" else np.fmin) if x.dtype.kind == "f" else \
                (np.maximum if kind == "max" else np.minimum)
            return [as_type(fn.reduce(x, axis=axis), types[0])]
        if kind in ("argmax", "argmin") and not (x.dtype.kind == "f" and np.isnan(x).any()):
            pick = np.argmax(x, axis=axis) if kind == "argmax" else np.argmin(x, axis=axis)
            values = np.take_along_axis(x, np.expand_dims(pick, axis), axis).squeeze(axis)
            return [as_type(values, types[0]), as_type(pick, types[1])]
        if kind == "xor_sum":
            return [as_type(np.bitwise_xor.reduce(x, axis=axis), types[0])]
        moved = [np.moveaxis(h, axis, 0) for h in handles]
        acc = [m[0] for m in moved]
        for i in range(1, moved[0].shape[0]):
            acc = _combine_step(region_fn, acc, [m[i] for m in moved])
        return [as_type(a, t) for a, t in zip(acc, types)]

    def scan(self, handles, axis, reverse, region_fn, types, kind):
        moved = [np.moveaxis(h, axis, 0) for h in handles]
        if reverse:
            moved = [m[::-1] for m in moved]
        if kind in ("cumsum", "cumprod"):
            fn = np.cumsum if kind == "cumsum" else np.cumprod
            wide = np.float64 if moved[0].dtype.kind == "f" else None
            outs = [fn(moved[0], axis=0, dtype=wide)]
        else:
            acc = [m[0] for m in moved]
            steps = [acc]
            for i in range(1, moved[0].shape[0]):
                acc = _combine_step(region_fn, acc, [m[i] for m in moved])
                steps.append(acc)
            outs = [np.stack([np.broadcast_to(s[j], moved[j].shape[1:]) for s in steps])
                    for j in range(len(handles))]
        if reverse:
            outs = [o[::-1] for o in outs]
        return [as_type(np.moveaxis(o, 0, axis), t) for o, t in zip(outs, types)]

    def print(self, prefix, hex_, handles, types):
        values = " ".join(np.array2string(np.asarray(h), separator=", ")
                          if not hex_ else _hex_string(h) for h in handles)
        print(f"pid {self.pid} {prefix}{values}")

    def assert_(self, cond, message, ty):
        if not np.all(cond):
            loc = user_location()
            raise KernelRuntimeError(f"device_assert failed in program {self.pid}: {message}",
                                     loc.filename, loc.line)

    def hint(self, h, kind, values):
        pass

    def assume(self, cond, ty):
        if not np.all(cond):
            loc = user_location()
            raise KernelRuntimeError(f"kl.assume: the condition does not hold in program "
                                     f"{self.pid}", loc.filename, loc.line)

    def debug_barrier(self):
        pass  # one program runs at a time, all of its lanes in lockstep

    def gdc_wait(self):
        pass  # launches run one after another: the previous grid has finished

    def gdc_launch_dependents(self):
        pass

    def concrete_bool(self, t):
        if not t.shape and np.ndim(t.handle) > 0:
            raise _BranchOnLanes()
        if t.shape:
            raise error(f"the truth value of a block of shape {t.shape} is ambiguous; use "
                        "kl.where, or reduce it first")
        return bool(t.handle)

    def concrete_int(self, t):
        if t.shape or not t.dtype.is_int():
            raise error(f"a {t.dtype}{t.shape} value cannot be used as a Python integer")
        return int(t.handle)

    def concrete_float(self, t):
        return float(t.handle)
