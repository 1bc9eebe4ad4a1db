"""kite.language: loads, stores and atomics through pointers."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .block_pointer import block_pointer, padding_value, pointers_and_mask
from .core import active_builder, builtin, tensor, unwrap
from .semantic import broadcast_shapes, broadcast_to_shape, to_bool, to_tensor, to_typed


def _pointer(ptr, what: str) -> tensor:
    ptr = to_tensor(ptr)
    if not ptr.dtype.is_ptr():
        raise error(f"{what} needs a pointer (or a block of pointers), got a value of type "
                    f"{ptr.dtype}; pass a tensor argument or add offsets to one")
    return ptr


def _with_shape(ptr: tensor, *others):
    shape = ptr.shape
    for o in others:
        if o is not None:
            shape = broadcast_shapes(shape, o.shape, "pointer and mask/value")
    return shape


@builtin
def load(pointer, mask=None, other=None, boundary_check=(), padding_option="",
         cache_modifier="", eviction_policy="", volatile=False):
    if isinstance(unwrap(pointer), block_pointer):
        if unwrap(mask) is not None or unwrap(other) is not None:
            raise error("kl.load through a block pointer takes boundary_check and "
                        "padding_option, not mask and other")
        pointer, mask = pointers_and_mask(unwrap(pointer), boundary_check, "kl.load")
        other = padding_value(padding_option, pointer.dtype.element_ty) \
            if mask is not None else None
    elif unwrap(boundary_check) or unwrap(padding_option):
        raise error("kl.load: boundary_check and padding_option are for block pointers "
                    "(kl.make_block_ptr); a block of pointers takes mask and other")
    ptr = _pointer(pointer, "kl.load")
    mask = None if unwrap(mask) is None else to_bool(mask)
    other = unwrap(other)
    if other is not None and mask is None:
        raise error("kl.load: `other` is only meaningful together with `mask`")
    elem = ptr.dtype.element_ty
    other_t = None if other is None else to_typed(other, elem)
    shape = _with_shape(ptr, mask, other_t)
    ptr = broadcast_to_shape(ptr, shape)
    mask = None if mask is None else broadcast_to_shape(mask, shape)
    other_t = None if other_t is None else broadcast_to_shape(other_t, shape)
    ty = dt.to_block(elem, shape)
    handle = active_builder().load(ptr.handle, None if mask is None else mask.handle,
                                   None if other_t is None else other_t.handle, ty,
                                   bool(unwrap(volatile)))
    return tensor(handle, ty)


@builtin
def store(pointer, value, mask=None, boundary_check=(), cache_modifier="", eviction_policy=""):
    if isinstance(unwrap(pointer), block_pointer):
        if unwrap(mask) is not None:
            raise error("kl.store through a block pointer takes boundary_check, not mask")
        pointer, mask = pointers_and_mask(unwrap(pointer), boundary_check, "kl.store")
    elif unwrap(boundary_check):
        raise error("kl.store: boundary_check is for block pointers (kl.make_block_ptr); a "
                    "block of pointers takes a mask")
    ptr = _pointer(pointer, "kl.store")
    elem = ptr.dtype.element_ty
    value = unwrap(value)
    value = to_typed(value, elem)
    mask = None if unwrap(mask) is None else to_bool(mask)
    if len(value.shape) > len(ptr.shape) or any(
            v != p and v != 1 for v, p in zip(value.shape[::-1], ptr.shape[::-1])):
        raise error(f"kl.store: value of shape {value.shape} does not fit pointer block of "
                    f"shape {ptr.shape}")
    shape = _with_shape(ptr, mask)
    ptr, value = broadcast_to_shape(ptr, shape), broadcast_to_shape(value, shape)
    mask = None if mask is None else broadcast_to_shape(mask, shape)
    active_builder().store(ptr.handle, value.handle, None if mask is None else mask.handle, ptr.type)


_RMW = {"add": 0, "fadd": 1, "max": 2, "umax": 3, "min": 4, "umin": 5,
        "fmax": 6, "fmin": 7, "and": 8, "or": 9, "xor": 10, "xchg": 11}


# Orderings and scopes of atomics, as Triton spells them (the integers are
# the kite.MemSemantic and kite.MemScope enums).
_SEM = {"relaxed": 0, "acquire": 1, "release": 2, "acq_rel": 3}
_SCOPE = {"gpu": 0, "cta": 1, "sys": 2}


def _ordering(what: str, sem, scope):
    """The enum codes of an atomic's ``sem`` (default acq_rel) and ``scope``
    (default gpu)."""
    codes = []
    for name, value, table, default in (("sem", sem, _SEM, "acq_rel"),
                                        ("scope", scope, _SCOPE, "gpu")):
        value = unwrap(value)
        value = default if value is None else value
        if value not in table:
            raise error(f"{what}: {name} must be one of "
                        f"{', '.join(repr(k) for k in table)}, got {value!r}")
        codes.append(table[value])
    return tuple(codes)


def _atomic(op: str, pointer, val, mask, sem=None, scope=None):
    what = f"kl.atomic_{op}"
    ordering = _ordering(what, sem, scope)
    ptr = _pointer(pointer, what)
    elem = ptr.dtype.element_ty
    val = unwrap(val)
    val = to_typed(val, elem)
    mask = None if unwrap(mask) is None else to_bool(mask)
    shape = _with_shape(ptr, val, mask)
    ptr, val = broadcast_to_shape(ptr, shape), broadcast_to_shape(val, shape)
    mask = None if mask is None else broadcast_to_shape(mask, shape)
    kind = op
    if elem.is_floating():
        if op in ("add", "max", "min"):
            kind = "f" + op
        elif op != "xchg":
            raise error(f"kl.atomic_{op} needs integer elements, the pointer is to {elem}")
    elif op in ("max", "min") and (elem.is_int_unsigned() or elem.is_bool()):
        kind = "u" + op
    ty = dt.to_block(elem, shape)
    handle = active_builder().atomic_rmw(_RMW[kind], kind, ptr.handle, val.handle,
                                         None if mask is None else mask.handle, ty, *ordering)
    return tensor(handle, ty)


def _atomic_fn(op):
    def fn(pointer, val, mask=None, sem=None, scope=None):
        return _atomic(op, pointer, val, mask, sem, scope)
    fn.__name__ = fn.__qualname__ = f"atomic_{op}"
    return builtin(fn)


atomic_add = _atomic_fn("add")
atomic_max = _atomic_fn("max")
atomic_min = _atomic_fn("min")
atomic_and = _atomic_fn("and")
atomic_or = _atomic_fn("or")
atomic_xor = _atomic_fn("xor")
atomic_xchg = _atomic_fn("xchg")


@builtin
def atomic_cas(pointer, cmp, val, sem=None, scope=None):
    ordering = _ordering("kl.atomic_cas", sem, scope)
    ptr = _pointer(pointer, "kl.atomic_cas")
    elem = ptr.dtype.element_ty
    cmp = to_typed(cmp, elem)
    val = to_typed(val, elem)
    shape = _with_shape(ptr, cmp, val)
    ptr, cmp, val = (broadcast_to_shape(t, shape) for t in (ptr, cmp, val))
    ty = dt.to_block(elem, shape)
    return tensor(active_builder().atomic_cas(ptr.handle, cmp.handle, val.handle, ty, *ordering),
                  ty)
