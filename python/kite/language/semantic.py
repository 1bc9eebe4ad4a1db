"""Type rules of the kite language (promotion, broadcasting, casts) and the
element-wise operators. Shared by tracing and the interpreter: both builders
receive already-checked operands and result types."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import Undefined, active_builder, tensor, unwrap

_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1

CMPI = {"eq": 0, "ne": 1, "slt": 2, "sle": 3, "sgt": 4, "sge": 5,
        "ult": 6, "ule": 7, "ugt": 8, "uge": 9}
CMPF = {"oeq": 1, "ogt": 2, "oge": 3, "olt": 4, "ole": 5, "une": 13}


def _is_py_scalar(x) -> bool:
    return isinstance(x, (bool, int, float)) and not isinstance(x, tensor)


def _py_type(x) -> dt.dtype:
    if isinstance(x, bool):
        return dt.int1
    if isinstance(x, int):
        if _INT32_MIN <= x <= _INT32_MAX:
            return dt.int32
        if -(2 ** 63) <= x < 2 ** 63:
            return dt.int64
        if 0 <= x < 2 ** 64:
            return dt.uint64
        raise error(f"integer constant {x} does not fit in 64 bits")
    return dt.float32


def constant(value, type) -> tensor:
    return tensor(active_builder().constant(value, type), type)


def to_tensor(x, type_hint: dt.dtype | None = None) -> tensor:
    """A tensor for ``x``: tensors pass through, Python numbers become constants."""
    x = unwrap(x)
    if isinstance(x, tensor):
        return x
    if isinstance(x, Undefined):
        x.fail()
    if _is_py_scalar(x):
        return constant(x, type_hint or _py_type(x))
    if x is None:
        raise error("None used where a value is needed" + _none_arguments_hint())
    raise error(f"a value of Python type '{type(x).__name__}' cannot be used in a "
                "kernel computation (only tensors, numbers and constexprs can)")


def _none_arguments_hint() -> str:
    """Names the kernel's arguments that were passed None (they stay
    compile-time Nones, as in Triton), as the likely source of a None."""
    names = getattr(active_builder(), "none_arguments", ())
    if not names:
        return ""
    listed = ", ".join(f"'{n}'" for n in names)
    return (f"; the kernel was given None for {listed} (None is not a pointer or a "
            "number: pass an array or a value, or test `is not None` in the kernel)")


def to_typed(x, elem: dt.dtype) -> tensor:
    """``x`` converted to ``elem`` elements: Python numbers become constants of
    ``elem``, tensors are cast (as stores and atomics convert their values).
    A pointer never becomes a number here, nor a number a pointer: that is
    an array passed where a number was meant (or the reverse); ``.to()``
    says it on purpose."""
    value = to_tensor(x, elem)
    if value.dtype.is_ptr() != elem.is_ptr():
        raise error(f"a {value.dtype} value where {elem} elements are stored or compared "
                    "(was an array passed where a number was meant?); convert it with "
                    ".to() if that is intended")
    return cast(value, elem)


# ---------------------------------------------------------------- promotion

def _integer_promote(a: dt.dtype, b: dt.dtype) -> dt.dtype:
    if a.is_bool():
        return b if not b.is_bool() else a
    if b.is_bool():
        return a
    if a.kind == b.kind:
        return a if a.bits >= b.bits else b
    unsigned, signed = (a, b) if a.kind == "uint" else (b, a)
    return unsigned if unsigned.bits >= signed.bits else signed


def _float_promote(a: dt.dtype, b: dt.dtype) -> dt.dtype:
    if a == b:
        return a
    if a.is_fp8() and b.is_fp8():  # fp16 holds every value of both, unless one is e8m0
        return dt.float32 if dt.float8e8m0 in (a, b) else dt.float16
    if a.is_fp8():
        return b
    if b.is_fp8():
        return a
    if a.bits == b.bits:  # fp16 with bf16: fp16 wins, as in Triton
        return dt.float16
    return a if a.bits > b.bits else b


def computation_type(a, b, op: str) -> dt.dtype:
    """The type both operands of ``op`` are converted to, as Triton picks it
    (Python numbers are weakly typed: they take the other operand's type)."""
    a_weak, b_weak = _is_py_scalar(a), _is_py_scalar(b)
    ta = _py_type(a) if a_weak else a.dtype
    tb = _py_type(b) if b_weak else b.dtype
    if a_weak and not b_weak:
        ta = _weak_type(a, tb)
    elif b_weak and not a_weak:
        tb = _weak_type(b, ta)
    if ta.is_ptr() or tb.is_ptr():
        raise error(f"operator '{op}' is not defined between {ta} and {tb}")
    if ta.is_floating() or tb.is_floating():
        if ta.is_floating() and tb.is_floating():
            result = _float_promote(ta, tb)
        else:
            result = ta if ta.is_floating() else tb
    else:
        result = _integer_promote(ta, tb)
    if op == "/" and not result.is_floating():
        result = dt.float32
    if op in ("/", "%") and result in (dt.float16, dt.bfloat16):
        # As in Triton: 16-bit float division and remainder are done in fp32.
        result = dt.float32
    if op in ("//", "&", "|", "^", "<<", ">>") and result.is_floating():
        raise error(f"operator '{op}' needs integer operands, got {ta} and {tb}")
    return result


def _weak_type(value, other: dt.dtype) -> dt.dtype:
    if isinstance(value, float):
        return other if other.is_floating() else dt.float32
    if isinstance(value, bool):
        return other if not other.is_ptr() else dt.int1
    if other.is_floating():
        return other
    if other.is_int() and not other.is_bool():
        lo, hi = ((0, 2 ** other.bits - 1) if other.is_int_unsigned()
                  else (-(2 ** (other.bits - 1)), 2 ** (other.bits - 1) - 1))
        if not lo <= value <= hi:
            raise error(f"integer constant {value} is out of range for {other} "
                        f"[{lo}, {hi}]; cast the block first (x.to(kl.int64))")
        return other
    return _py_type(value)


# ---------------------------------------------------------------- shapes

def broadcast_shapes(a_shape, b_shape, what: str = "operands"):
    a_shape, b_shape = list(a_shape), list(b_shape)
    if len(a_shape) < len(b_shape):
        a_shape = [1] * (len(b_shape) - len(a_shape)) + a_shape
    elif len(b_shape) < len(a_shape):
        b_shape = [1] * (len(a_shape) - len(b_shape)) + b_shape
    out = []
    for x, y in zip(a_shape, b_shape):
        if x != y and x != 1 and y != 1:
            raise error(f"incompatible shapes for {what}: {list(a_shape)} and {list(b_shape)}")
        out.append(max(x, y))
    dt.check_block_numel(out, f"broadcasting {what} of shapes {list(a_shape)} and "
                              f"{list(b_shape)}")
    return out


def broadcast_to_shape(x: tensor, shape) -> tensor:
    shape = list(shape)
    if x.shape == shape:
        return x
    b = active_builder()
    if not x.shape:
        return tensor(b.splat(x.handle, dt.block_type(x.dtype, shape)), dt.block_type(x.dtype, shape))
    if len(x.shape) > len(shape):
        raise error(f"cannot broadcast shape {x.shape} to {shape}")
    while len(x.shape) < len(shape):
        x = expand_dims(x, 0)
    for have, want in zip(x.shape, shape):
        if have != want and have != 1:
            raise error(f"cannot broadcast shape {x.shape} to {shape}")
    ty = dt.block_type(x.dtype, shape)
    return tensor(b.broadcast(x.handle, ty), ty)


def expand_dims(x: tensor, axis: int) -> tensor:
    rank = len(x.shape)
    if not -rank - 1 <= axis <= rank:
        raise error(f"axis {axis} is out of range for expand_dims of a rank-{rank} value")
    axis = axis + rank + 1 if axis < 0 else axis
    b = active_builder()
    if rank == 0:
        ty = dt.block_type(x.dtype, [1])
        return tensor(b.splat(x.handle, ty), ty)
    shape = list(x.shape)
    shape.insert(axis, 1)
    ty = dt.block_type(x.dtype, shape)
    return tensor(b.expand_dims(x.handle, axis, ty), ty)


def binary_operands(a, b, op: str, type_: dt.dtype | None = None):
    """Converts and broadcasts ``a`` and ``b`` to one type and shape."""
    for v in (a, b):
        if isinstance(unwrap(v), Undefined):
            unwrap(v).fail()
    # Neither a block nor a number (None, a string): to_tensor says why.
    a, b = (v if _is_py_scalar(v) else to_tensor(v) for v in (unwrap(a), unwrap(b)))
    ty = type_ or computation_type(a, b, op)
    a = cast(to_tensor(a, ty if _is_py_scalar(a) else None), ty)
    b = cast(to_tensor(b, ty if _is_py_scalar(b) else None), ty)
    shape = broadcast_shapes(a.shape, b.shape, f"operator '{op}'")
    return broadcast_to_shape(a, shape), broadcast_to_shape(b, shape)


def _result(handle, elem, shape) -> tensor:
    return tensor(handle, dt.to_block(elem, shape))


def _arith(name: str, operands, elem) -> tensor:
    ty = dt.to_block(elem, operands[0].shape)
    return tensor(active_builder().arith(name, [o.handle for o in operands], ty), ty)


# ---------------------------------------------------------------- operators

def _ptr_offset(ptr: tensor, offset, op: str) -> tensor:
    offset = to_tensor(offset)
    if not offset.dtype.is_int():
        raise error(f"pointer offsets must be integers, got {offset.dtype}")
    if op == "-":
        offset = neg(offset)
    shape = broadcast_shapes(ptr.shape, offset.shape, f"operator '{op}'")
    ptr, offset = broadcast_to_shape(ptr, shape), broadcast_to_shape(offset, shape)
    ty = dt.to_block(ptr.dtype, shape)
    return tensor(active_builder().addptr(ptr.handle, offset.handle, ty), ty)


def _is_ptr(x) -> bool:
    return isinstance(x, tensor) and x.dtype.is_ptr()


def add(a, b):
    a, b = unwrap(a), unwrap(b)
    if _is_ptr(a) and _is_ptr(b):
        raise error("cannot add two pointers")
    if _is_ptr(a):
        return _ptr_offset(a, b, "+")
    if _is_ptr(b):
        return _ptr_offset(b, a, "+")
    a, b = binary_operands(a, b, "+")
    return _arith("arith.addf" if a.dtype.is_floating() else "arith.addi", [a, b], a.dtype)


def sub(a, b):
    a, b = unwrap(a), unwrap(b)
    if _is_ptr(a) and not _is_ptr(b):
        return _ptr_offset(a, b, "-")
    if _is_ptr(b):
        raise error("cannot subtract a pointer" if not _is_ptr(a) else
                    "pointer difference is not supported; subtract offsets instead")
    a, b = binary_operands(a, b, "-")
    return _arith("arith.subf" if a.dtype.is_floating() else "arith.subi", [a, b], a.dtype)


def mul(a, b):
    a, b = binary_operands(a, b, "*")
    return _arith("arith.mulf" if a.dtype.is_floating() else "arith.muli", [a, b], a.dtype)


def truediv(a, b):
    a, b = binary_operands(a, b, "/")
    return _arith("arith.divf", [a, b], a.dtype)


def floordiv(a, b):
    # C semantics (truncation toward zero), as Triton has it.
    a, b = binary_operands(a, b, "//")
    name = "arith.divui" if a.dtype.is_int_unsigned() else "arith.divsi"
    return _arith(name, [a, b], a.dtype)


def mod(a, b):
    a, b = binary_operands(a, b, "%")
    if a.dtype.is_floating():
        return _arith("arith.remf", [a, b], a.dtype)
    return _arith("arith.remui" if a.dtype.is_int_unsigned() else "arith.remsi", [a, b], a.dtype)


def _bitwise(name, op):
    def fn(a, b):
        a, b = binary_operands(a, b, op)
        return _arith(name, [a, b], a.dtype)
    return fn


and_ = _bitwise("arith.andi", "&")
or_ = _bitwise("arith.ori", "|")
xor_ = _bitwise("arith.xori", "^")


def lshift(a, b):
    a, b = binary_operands(a, b, "<<")
    return _arith("arith.shli", [a, b], a.dtype)


def rshift(a, b):
    a, b = binary_operands(a, b, ">>")
    return _arith("arith.shrui" if a.dtype.is_int_unsigned() else "arith.shrsi", [a, b], a.dtype)


def _compare(fpred: str, ipred: str, op: str):
    def fn(a, b):
        a, b = binary_operands(a, b, op)
        b_ = active_builder()
        if a.dtype.is_floating():
            h = b_.cmp("arith.cmpf", CMPF[fpred], a.handle, b.handle, dt.to_block(dt.int1, a.shape))
        else:
            pred = ipred
            if ipred[0] == "s" and (a.dtype.is_int_unsigned() or a.dtype.is_bool()):
                pred = "u" + ipred[1:]
            h = b_.cmp("arith.cmpi", CMPI[pred], a.handle, b.handle, dt.to_block(dt.int1, a.shape))
        return _result(h, dt.int1, a.shape)
    return fn


less = _compare("olt", "slt", "<")
less_equal = _compare("ole", "sle", "<=")
greater = _compare("ogt", "sgt", ">")
greater_equal = _compare("oge", "sge", ">=")
equal = _compare("oeq", "eq", "==")
not_equal = _compare("une", "ne", "!=")


def neg(x):
    x = to_tensor(x)
    if x.dtype.is_floating():
        return _arith("arith.negf", [x], x.dtype)
    return sub(0, x)


def invert(x):
    x = to_tensor(x)
    if x.dtype.is_floating():
        raise error("operator '~' needs an integer or boolean operand")
    d = x.dtype
    ones = True if d.is_bool() else (2 ** d.bits - 1 if d.is_int_unsigned() else -1)
    return xor_(x, ones)


def logical_not(x):
    x = to_tensor(x)
    return equal(x, 0) if not x.dtype.is_bool() else invert(x)


def to_bool(x) -> tensor:
    x = to_tensor(x)
    return x if x.dtype.is_bool() else not_equal(x, 0)


def where(condition, x, y):
    condition = to_bool(condition)
    x, y = unwrap(x), unwrap(y)
    if _is_ptr(x) or _is_ptr(y):
        x, y = to_tensor(x), to_tensor(y)
        if x.dtype != y.dtype:
            raise error(f"kl.where: pointer operands differ: {x.dtype} and {y.dtype}")
    else:
        x, y = binary_operands(x, y, "where")
    shape = broadcast_shapes(condition.shape, x.shape, "kl.where")
    condition = broadcast_to_shape(condition, shape)
    x, y = broadcast_to_shape(x, shape), broadcast_to_shape(y, shape)
    return _arith("arith.select", [condition, x, y], x.dtype)


def subscript(x: tensor, index) -> tensor:
    """``x[:, None]``: only ``None`` (new axis) and full slices ``:`` are allowed."""
    if not isinstance(index, tuple):
        index = (index,)
    result, axis = x, 0
    for item in index:
        item = unwrap(item)
        if item is None:
            result = expand_dims(result, axis)
            axis += 1
        elif isinstance(item, slice) and item == slice(None):
            axis += 1
        else:
            raise error("kite tensors can only be indexed with None and ':' "
                        "(e.g. x[:, None]); use kl.load with offsets to gather")
    if axis > len(result.shape):
        raise error(f"too many indices for a value of shape {x.shape}")
    return result


# ---------------------------------------------------------------- casts

def _check_rounding(src: dt.dtype, dst: dt.dtype, rounding) -> None:
    """Triton's rules for ``fp_downcast_rounding``: "rtne" or "rtz", and
    only on a float conversion that narrows; Kite (like Triton) rounds to
    the fnuz fp8 formats only to nearest-even."""
    if rounding is None:
        return
    if rounding not in ("rtne", "rtz"):
        raise error(f"fp_downcast_rounding must be 'rtne' or 'rtz', got {rounding!r}")
    if not (src.is_floating() and dst.is_floating() and dst.bits < src.bits):
        raise error(f"fp_downcast_rounding should be set only for truncating fp conversions, "
                    f"not from {src} to {dst}")
    if rounding == "rtz" and dst.mlir in ("f8E4M3FNUZ", "f8E5M2FNUZ", "f8E8M0FNU"):
        raise error(f"fp_downcast_rounding='rtz' is not supported for conversions to {dst}: "
                    "it rounds to nearest-even only")


def cast(x, dst, bitcast: bool = False, rounding=None) -> tensor:
    x = to_tensor(x)
    dst = unwrap(dst)
    if not isinstance(dst, dt.dtype):
        raise error(f"cast target must be a kite dtype (e.g. kl.float16), got {dst!r}")
    src = x.dtype
    if src == dst:
        return x
    rounding = unwrap(rounding)
    if not bitcast:
        _check_rounding(src, dst, rounding)
    b = active_builder()
    ty = dt.to_block(dst, x.shape)

    def emit(name, handle=None, attrs=None):
        return tensor(b.cast(name, x.handle if handle is None else handle, ty, x.type, attrs), ty)

    if bitcast:
        if src.bits != dst.bits:
            raise error(f"bitcast between types of different widths: {src} and {dst}")
        if src.is_ptr() and dst.is_ptr():
            return emit("kite.bitcast")
        if src.is_ptr() or dst.is_ptr():
            raise error("bitcast between a pointer and a number: use .to(kl.int64)")
        if src.mlir == dst.mlir:  # int <-> uint of one width: same bits, new signedness
            return tensor(b.retype(x.handle, ty, x.type), ty)
        return emit("arith.bitcast")
    if src.is_ptr() or dst.is_ptr():
        if src.is_ptr() and dst.is_ptr():
            return emit("kite.bitcast")
        if src.is_ptr():
            as_int = tensor(b.cast("kite.ptr_to_int", x.handle, dt.to_block(dt.int64, x.shape), x.type, None),
                            dt.to_block(dt.int64, x.shape))
            return cast(as_int, dst)
        if not src.is_int() or src.is_bool():
            raise error(f"cannot cast {src} to a pointer")
        wide = cast(x, dt.int64)
        return tensor(b.cast("kite.int_to_ptr", wide.handle, ty, wide.type, None), ty)
    if src.is_floating() and dst.is_floating():
        # fp8, and any narrowing toward zero (arith.truncf rounds to nearest)
        if src.is_fp8() or dst.is_fp8() or rounding == "rtz":
            attrs = {"rounding": 1 if rounding == "rtz" else 0} if dst.bits < src.bits else None
            return emit("kite.fp_to_fp", attrs=attrs)
        if src.bits == dst.bits:  # fp16 <-> bf16 goes through fp32
            return cast(cast(x, dt.float32), dst)
        return emit("arith.extf" if dst.bits > src.bits else "arith.truncf")
    if src.is_int() and dst.is_floating():
        unsigned = src.is_int_unsigned() or src.is_bool()
        return emit("arith.uitofp" if unsigned else "arith.sitofp")
    if src.is_floating() and dst.is_int():
        if dst.is_bool():
            return not_equal(x, 0.0)
        return emit("arith.fptoui" if dst.is_int_unsigned() else "arith.fptosi")
    # integer to integer
    if dst.is_bool():
        return not_equal(x, 0)
    if src.bits == dst.bits:
        return tensor(b.retype(x.handle, ty, x.type), ty)
    if dst.bits < src.bits:
        return emit("arith.trunci")
    return emit("arith.extsi" if src.is_int_signed() else "arith.extui")


def permute(x: tensor, order) -> tensor:
    rank = len(x.shape)
    if order is None:
        if rank != 2:
            raise error(f"trans without an order needs a 2-D block, got shape {x.shape}")
        order = [1, 0]
    order = [int(o) for o in order]
    if sorted(order) != list(range(rank)):
        raise error(f"{order} is not a permutation of the {rank} axes of a block of shape {x.shape}")
    if order == list(range(rank)):
        return x
    ty = dt.block_type(x.dtype, [x.shape[o] for o in order])
    return tensor(active_builder().trans(x.handle, order, ty), ty)
