"""kite.language: creation, shape, math and debugging ops."""
from __future__ import annotations

import builtins
import enum

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import active_builder, builtin, constexpr, tensor, unwrap
from .semantic import broadcast_to_shape, to_tensor


def _constexpr_int(value, what: str) -> int:
    value = unwrap(value)
    if isinstance(value, tensor):
        raise error(f"{what} must be a compile-time constant (a constexpr), but it is a "
                    "runtime value; pass it as a parameter annotated `: kl.constexpr`")
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{what} must be an integer constant, got {value!r}")
    return value


def _block_shape(shape, what: str):
    shape = unwrap(shape)
    if isinstance(shape, (int, constexpr, tensor)):
        shape = [shape]
    dims = [_constexpr_int(s, f"{what} shape") for s in shape]
    for d in dims:
        if d <= 0 or d & (d - 1):
            raise error(f"{what} shape {dims}: block dimensions must be powers of two")
    dt.check_block_numel(dims, what)
    return dims


def _dtype_arg(dtype) -> dt.dtype:
    dtype = unwrap(dtype)
    if not isinstance(dtype, dt.dtype):
        raise error(f"expected a kite dtype (such as kl.float32), got {dtype!r}")
    return dtype


@builtin
def program_id(axis=0):
    axis = _constexpr_int(axis, "program_id axis")
    if axis not in (0, 1, 2):
        raise error(f"program_id axis must be 0, 1 or 2, got {axis}")
    return tensor(active_builder().program_id(axis), dt.int32)


@builtin
def num_programs(axis=0):
    axis = _constexpr_int(axis, "num_programs axis")
    if axis not in (0, 1, 2):
        raise error(f"num_programs axis must be 0, 1 or 2, got {axis}")
    return tensor(active_builder().num_programs(axis), dt.int32)


@builtin
def arange(start, end):
    start = _constexpr_int(start, "arange start")
    end = _constexpr_int(end, "arange end")
    size = end - start
    if start < 0 or size <= 0:
        raise error(f"arange({start}, {end}) needs 0 <= start < end")
    if end > 2 ** 31 - 1:
        raise error(f"arange({start}, {end}) makes int32 values, whose largest is "
                    f"{2 ** 31 - 1}; its end must not exceed that")
    if size & (size - 1):
        raise error(f"arange({start}, {end}) has {size} elements; block sizes must be powers of two")
    dt.check_block_numel([size], f"arange({start}, {end})")
    ty = dt.block_type(dt.int32, [size])
    return tensor(active_builder().make_range(start, end, ty), ty)


@builtin
def full(shape, value, dtype):
    dims = _block_shape(shape, "full")
    dtype = _dtype_arg(dtype)
    value = unwrap(value)
    if isinstance(value, tensor):
        if value.shape:
            raise error("kl.full needs a scalar value")
        return broadcast_to_shape(semantic.cast(value, dtype), dims)
    return semantic.constant(value, dt.block_type(dtype, dims))


@builtin
def zeros(shape, dtype):
    return full(shape, 0, dtype)


@builtin
def zeros_like(input):
    return zeros(input.shape, input.dtype)


@builtin
def full_like(input, value):
    return full(input.shape, value, input.dtype)


@builtin
def cast(input, dtype, fp_downcast_rounding=None, bitcast=False):
    return semantic.cast(input, dtype, unwrap(bitcast), unwrap(fp_downcast_rounding))


@builtin
def where(condition, x, y):
    return semantic.where(condition, x, y)


@builtin
def broadcast_to(input, *shape):
    shape = shape[0] if len(shape) == 1 and isinstance(unwrap(shape[0]), (list, tuple)) else shape
    return broadcast_to_shape(to_tensor(input), [_constexpr_int(s, "broadcast_to shape") for s in shape])


@builtin
def broadcast(input, other):
    input, other = to_tensor(input), to_tensor(other)
    shape = semantic.broadcast_shapes(input.shape, other.shape, "kl.broadcast")
    return broadcast_to_shape(input, shape), broadcast_to_shape(other, shape)


@builtin
def expand_dims(input, axis):
    input = to_tensor(input)
    axes = unwrap(axis)
    axes = [axes] if not isinstance(axes, (list, tuple)) else list(axes)
    new_rank = len(input.shape) + len(axes)
    axes = sorted(_constexpr_int(a, "expand_dims axis") % new_rank if -new_rank <= unwrap(a) < new_rank
                  else _bad_axis(a, new_rank) for a in axes)
    for a in axes:
        input = semantic.expand_dims(input, a)
    return input


def _bad_axis(axis, rank):
    raise error(f"axis {unwrap(axis)} is out of range for a rank-{rank} value")


@builtin
def reshape(input, *shape, can_reorder=False):
    input = to_tensor(input)
    shape = shape[0] if len(shape) == 1 and isinstance(unwrap(shape[0]), (list, tuple)) else shape
    dims = _block_shape(list(shape), "reshape")
    numel = 1
    for d in dims:
        numel *= d
    if numel != input.numel:
        raise error(f"cannot reshape a block of shape {input.shape} ({input.numel} elements) "
                    f"to {dims} ({numel} elements)")
    if not input.shape:
        return broadcast_to_shape(input, dims)
    if dims == input.shape:
        return input
    ty = dt.block_type(input.dtype, dims)
    return tensor(active_builder().reshape(input.handle, ty), ty)


view = reshape


@builtin
def permute(input, *dims):
    dims = dims[0] if len(dims) == 1 and isinstance(unwrap(dims[0]), (list, tuple)) else dims
    return semantic.permute(to_tensor(input), [unwrap(d) for d in dims] if dims else None)


@builtin
def trans(input, *dims):
    return permute(input, *dims)


@builtin
def ravel(x):
    return reshape(x, [to_tensor(x).numel])


# ---------------------------------------------------------------- math

def _float_unary(name: str, mlir_op: str):
    def fn(x):
        x = to_tensor(x)
        if not x.dtype.is_floating():
            raise error(f"kl.{name} needs a floating-point operand, got {x.dtype}; "
                        f"convert it first with .to(kl.float32)")
        return semantic._arith(mlir_op, [x], x.dtype)
    fn.__name__ = fn.__qualname__ = name
    return builtin(fn)


exp = _float_unary("exp", "math.exp")
exp2 = _float_unary("exp2", "math.exp2")
log = _float_unary("log", "math.log")
log2 = _float_unary("log2", "math.log2")
sqrt = _float_unary("sqrt", "math.sqrt")
rsqrt = _float_unary("rsqrt", "math.rsqrt")
sin = _float_unary("sin", "math.sin")
cos = _float_unary("cos", "math.cos")
erf = _float_unary("erf", "math.erf")
floor = _float_unary("floor", "math.floor")
ceil = _float_unary("ceil", "math.ceil")


@builtin
def abs(x):
    x = to_tensor(x)
    if x.dtype.is_int_unsigned() or x.dtype.is_bool():
        return x
    return semantic._arith("math.absf" if x.dtype.is_floating() else "math.absi", [x], x.dtype)


@builtin
def fma(x, y, z):
    x, y = semantic.binary_operands(x, y, "fma")
    x, z = semantic.binary_operands(x, z, "fma")
    x, y = semantic.binary_operands(x, y, "fma")
    if not x.dtype.is_floating():
        raise error("kl.fma needs floating-point operands")
    return semantic._arith("math.fma", [x, y, z], x.dtype)


@builtin
def sigmoid(x):
    x = to_tensor(x)
    return 1.0 / (1.0 + exp(-x))


class PropagateNan(enum.Enum):
    """Whether maximum, minimum and clamp return NaN when an operand is NaN
    (ALL), or the other operand (NONE, the default)."""
    NONE = 0
    ALL = 0xFFFF


def _propagates_nan(propagate_nan) -> bool:
    propagate_nan = unwrap(propagate_nan)
    if propagate_nan is None or propagate_nan is PropagateNan.NONE:
        return False
    if propagate_nan is PropagateNan.ALL:
        return True
    raise error(f"propagate_nan must be kl.PropagateNan.NONE or kl.PropagateNan.ALL, "
                f"got {propagate_nan!r}")


def _minmax(name, fop, nan_fop, sop, uop):
    def fn(x, y, propagate_nan=PropagateNan.NONE):
        x, y = semantic.binary_operands(x, y, name)
        d = x.dtype
        if d.is_floating():
            op = nan_fop if _propagates_nan(propagate_nan) else fop
        else:
            op = uop if d.is_int_unsigned() or d.is_bool() else sop
        return semantic._arith(op, [x, y], d)
    fn.__name__ = fn.__qualname__ = name
    return builtin(fn)


maximum = _minmax("maximum", "arith.maxnumf", "arith.maximumf", "arith.maxsi", "arith.maxui")
minimum = _minmax("minimum", "arith.minnumf", "arith.minimumf", "arith.minsi", "arith.minui")


@builtin
def clamp(x, min, max, propagate_nan=PropagateNan.NONE):
    return minimum(maximum(x, min, propagate_nan), max, propagate_nan)


def _functional(name: str, op):
    def fn(x, y, sanitize_overflow=True):
        return op(x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"x {name} y, as the operator (sanitize_overflow is accepted for "
                  "Triton's signature: Kite adds no overflow checks).")
    return builtin(fn)


add = _functional("add", semantic.add)
sub = _functional("sub", semantic.sub)
mul = _functional("mul", semantic.mul)


@builtin
def swizzle2d(i, j, size_i, size_j, size_g):
    """Grouped ordering of a row-major size_i × size_j grid: (i, j) is mapped
    to the position it has when each group of size_g rows is walked column
    by column (the program order that keeps a matmul's tiles in L2)."""
    linear = i * size_j + j
    group_size = size_g * size_j
    first_row = (linear // group_size) * size_g
    rows = minimum(size_i - first_row, size_g)  # the last group may be short
    within = linear % group_size
    return first_row + within % rows, within // rows


@builtin
def cdiv(x, div):
    """Ceiling division; Python ints fold at trace time."""
    x, div = unwrap(x), unwrap(div)
    return (x + div - 1) // div


# ---------------------------------------------------------------- hints

def _hint(kind: str):
    def fn(input, values):
        input = to_tensor(input)
        values = unwrap(values)
        values = [values] if not isinstance(values, (list, tuple)) else list(values)
        values = [_constexpr_int(v, f"{kind} value") for v in values]
        if len(values) != builtins.max(len(input.shape), 1):
            raise error(f"kl.{kind} needs one value per dimension of a rank-"
                        f"{len(input.shape)} value, got {values}")
        active_builder().hint(input.handle, kind, values)
        return input
    fn.__name__ = fn.__qualname__ = kind
    return builtin(fn)


multiple_of = _hint("multiple_of")
max_contiguous = _hint("max_contiguous")
max_constancy = _hint("max_constancy")


@builtin
def assume(cond):
    """Tells the compiler ``cond`` holds (false at run time is undefined
    behaviour). Of a scalar ``x >= c`` or ``x > c`` with ``c >= 0``, the
    compiler learns that ``x`` is non-negative, which signed ``//`` and
    ``%`` of runs of consecutive values need to stay vectorized
    (docs/lowering.md); other conditions are accepted and not used. The
    interpreter checks it."""
    cond = semantic.to_bool(cond)
    active_builder().assume(cond.handle, cond.type)


# ---------------------------------------------------------------- debugging

@builtin
def debug_barrier():
    """Waits until every thread of the program has reached this point; their
    memory accesses before it are visible to all of them after it."""
    active_builder().debug_barrier()


@builtin
def device_print(prefix, *args, hex=False):
    prefix = unwrap(prefix)
    if not isinstance(prefix, str):
        raise error("kl.device_print needs a string prefix as its first argument")
    values = [to_tensor(a) for a in args]
    active_builder().print(prefix, bool(unwrap(hex)), [v.handle for v in values],
                           [v.type for v in values])


@builtin
def device_assert(cond, msg="", mask=None):
    cond = semantic.to_bool(cond)
    if mask is not None:
        cond = semantic.or_(cond, semantic.logical_not(mask))
    active_builder().assert_(cond.handle, str(unwrap(msg)), cond.type)


@builtin
def static_assert(cond, msg=""):
    cond = unwrap(cond)
    if isinstance(cond, tensor):
        raise error("kl.static_assert needs a compile-time condition")
    if not cond:
        raise error(f"static_assert failed: {unwrap(msg)}" if msg else "static_assert failed")


@builtin
def static_print(*args, **kwargs):
    print(*[unwrap(a) for a in args], **kwargs)


# ---------------------------------------------------------------- loops

@builtin
def condition(arg, disable_licm=False):
    """``while kl.condition(c, disable_licm=True):`` as in Triton: the loop's
    condition ``c``; the hint about hoisting is accepted and not used."""
    return arg


class range:
    """A loop that is always compiled as a loop (``scf.for``), never unrolled."""

    kind = "loop"

    def __init__(self, arg1, arg2=None, step=None, num_stages=None,
                 loop_unroll_factor=None, **_ignored):
        if arg2 is None:
            arg1, arg2 = 0, arg1
        self.start, self.end = unwrap(arg1), unwrap(arg2)
        self.step = 1 if step is None else unwrap(step)
        self.num_stages = num_stages

    def __iter__(self):  # the interpreter runs loops in Python
        return iter(builtins.range(int(self.start), int(self.end), int(self.step)))


class static_range(range):
    """A loop unrolled at trace time; its bounds must be constexprs."""

    kind = "static"

    def __init__(self, arg1, arg2=None, step=None):
        super().__init__(arg1, arg2, step)
        for v, what in ((self.start, "start"), (self.end, "end"), (self.step, "step")):
            _constexpr_int(v, f"static_range {what}")

    def __iter__(self):
        return iter(builtins.range(self.start, self.end, self.step))


range.__kite_builtin__ = True
static_range.__kite_builtin__ = True
