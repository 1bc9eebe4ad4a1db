"""Block pointers: ``kl.make_block_ptr``, ``kl.advance``, and loads and stores
through them with ``boundary_check`` and ``padding_option``, as in
``triton.language``.

A block pointer describes a block_shape window at ``offsets`` into a
strided tensor of ``shape``. Kite computes it as Triton does where the GPU
has no tensor-copy engine: a block of pointers
``base + Σ_d (offsets[d] + arange(block_shape[d])) · strides[d]`` (in 64-bit
arithmetic: shapes and strides are int64), masked by ``0 <= index < shape``
on the dimensions named in ``boundary_check``. The frontend carries a block
pointer through loops and branches as its scalar fields."""
from __future__ import annotations

import abc
import builtins

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import builtin, tensor, unwrap
from .semantic import broadcast_to_shape, to_tensor


class aggregate(abc.ABC):
    """A kernel value made of several runtime scalars and compile-time
    facts. Loops and branches carry its ``leaves()`` and ``rebuild`` it;
    ``same_kind`` says whether two such values have one structure."""

    @abc.abstractmethod
    def leaves(self) -> list: ...

    @abc.abstractmethod
    def rebuild(self, leaves): ...

    @abc.abstractmethod
    def same_kind(self, other) -> bool: ...


class block_pointer(aggregate):
    """A ``make_block_ptr`` value: not a tensor (it has no elements of its
    own); load, store and advance take it. ``leaves`` are its runtime
    fields, which is how loops and branches carry it."""

    def __init__(self, base: tensor, shape, strides, offsets, block_shape, order):
        self.base, self.shape, self.strides, self.offsets = base, shape, strides, offsets
        self.block_shape, self.order = list(block_shape), list(order)

    @property
    def dtype(self):
        return self.base.dtype.element_ty

    def leaves(self) -> list:
        return [self.base, *self.shape, *self.strides, *self.offsets]

    def rebuild(self, leaves) -> "block_pointer":
        rank = len(self.block_shape)
        return block_pointer(leaves[0], leaves[1:1 + rank], leaves[1 + rank:1 + 2 * rank],
                             leaves[1 + 2 * rank:], self.block_shape, self.order)

    def same_kind(self, other) -> bool:
        return (isinstance(other, block_pointer) and other.block_shape == self.block_shape
                and other.order == self.order and other.base.type == self.base.type)

    def __repr__(self):
        return f"kite.block_pointer<{self.dtype}, block {self.block_shape}>"


def _scalars(values, what: str, dtype, name: str):
    values = unwrap(values)
    if not isinstance(values, (list, tuple)):
        raise error(f"make_block_ptr: {name} must be a tuple with one value per dimension, "
                    f"got {values!r}")
    out = []
    for v in values:
        v = to_tensor(v)
        if v.shape or not v.dtype.is_int() or v.dtype.is_bool():
            raise error(f"make_block_ptr: {what} must be integer scalars, got {v.dtype}"
                        f"{v.shape if v.shape else ''}")
        out.append(semantic.cast(v, dtype))
    return out


def offsets_of(values, what: str) -> list:
    """Block offsets as int64 scalars. As in Triton they must be 32-bit
    values (constants in int32's range, or int32 and narrower tensors);
    positions are then computed in 64 bits, so a block or a run of
    ``advance`` calls past 2^31 does not wrap."""
    values = unwrap(values)
    out = []
    for v in values:
        v = unwrap(v)
        if isinstance(v, int) and not isinstance(v, bool) and not -2 ** 31 <= v < 2 ** 31:
            raise error(f"{what}: offset {v} does not fit in 32 bits; block offsets are "
                        "32-bit, as in Triton (move the base pointer instead)")
        t = to_tensor(v)
        if t.shape or not t.dtype.is_int() or t.dtype.is_bool():
            raise error(f"{what}: offsets must be integer scalars, got {t.dtype}"
                        f"{t.shape if t.shape else ''}")
        if t.dtype.bits > 32:
            raise error(f"{what}: offsets must be 32-bit integers, got {t.dtype}; block "
                        "offsets are 32-bit, as in Triton (move the base pointer instead)")
        out.append(semantic.cast(t, dt.int64))
    return out


@builtin
def make_block_ptr(base, shape, strides, offsets, block_shape, order):
    """A pointer to the ``block_shape`` block at ``offsets`` of a tensor of
    ``shape`` whose dimensions are ``strides`` elements apart. ``order``
    (fastest-varying dimension first, as in Triton) must be a permutation;
    Kite's coalescing finds the contiguous dimension itself."""
    base = to_tensor(base)
    if base.shape or not base.dtype.is_ptr():
        raise error(f"make_block_ptr needs a scalar pointer as base, got "
                    f"{base.dtype}{base.shape if base.shape else ''}")
    block_shape = [unwrap(b) for b in unwrap(block_shape)]
    rank = len(block_shape)
    for b in block_shape:
        if isinstance(b, bool) or not isinstance(b, int) or b <= 0 or b & (b - 1):
            raise error(f"make_block_ptr: block_shape {block_shape} must be powers of two "
                        "known at compile time")
    order = [unwrap(o) for o in unwrap(order)]
    if sorted(order) != list(builtins.range(rank)):
        raise error(f"make_block_ptr: order {order} must be a permutation of the "
                    f"{rank} dimensions")
    shape = _scalars(shape, "shapes", dt.int64, "shape")
    strides = _scalars(strides, "strides", dt.int64, "strides")
    if not isinstance(unwrap(offsets), (list, tuple)):
        raise error(f"make_block_ptr: offsets must be a tuple with one value per dimension, "
                    f"got {unwrap(offsets)!r}")
    offsets = offsets_of(offsets, "make_block_ptr")
    if not len(shape) == len(strides) == len(offsets) == rank:
        raise error(f"make_block_ptr: shape, strides, offsets and block_shape need one value "
                    f"per dimension; got {len(shape)}, {len(strides)}, {len(offsets)} and "
                    f"{rank}")
    return block_pointer(base, shape, strides, offsets, block_shape, order)


@builtin
def advance(base, offsets):
    """``base`` moved by ``offsets`` (one per dimension, in elements)."""
    if not isinstance(base, block_pointer):
        raise error("kl.advance needs a block pointer (from kl.make_block_ptr); move a "
                    "block of pointers by adding offsets to it")
    offsets = unwrap(offsets)
    if not isinstance(offsets, (list, tuple)) or len(offsets) != len(base.block_shape):
        raise error(f"kl.advance: one offset per dimension is needed "
                    f"({len(base.block_shape)}), got {offsets!r}")
    moved = [semantic.add(o, d) for o, d in zip(base.offsets, offsets_of(offsets, "kl.advance"))]
    return block_pointer(base.base, base.shape, base.strides, moved, base.block_shape,
                         base.order)


def _check_dims(boundary_check, rank: int, what: str):
    dims = unwrap(boundary_check)
    dims = [dims] if isinstance(dims, int) else list(dims or ())
    dims = [unwrap(d) for d in dims]
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < rank:
            raise error(f"{what}: boundary_check {dims} names a dimension outside the "
                        f"block pointer's {rank}")
    return sorted(set(dims))


def pointers_and_mask(bp: block_pointer, boundary_check, what: str):
    """The block of pointers ``bp`` stands for, and the mask of the elements
    inside the tensor on the checked dimensions (None if none is checked)."""
    from .standard import arange, expand_dims
    rank = len(bp.block_shape)
    dims = _check_dims(boundary_check, rank, what)
    ptrs, mask = bp.base, None
    for d, size in enumerate(bp.block_shape):
        index = semantic.add(bp.offsets[d], semantic.cast(arange(0, size), dt.int64))
        for axis in builtins.range(rank):
            if axis != d:
                index = expand_dims(index, axis)
        offset = semantic.mul(index, bp.strides[d])
        ptrs = semantic.add(ptrs, offset)
        if d in dims:
            inside = semantic.and_(semantic.greater_equal(index, 0),
                                   semantic.less(index, bp.shape[d]))
            mask = inside if mask is None else semantic.and_(mask, inside)
    ptrs = broadcast_to_shape(ptrs, bp.block_shape)
    if mask is not None:
        mask = broadcast_to_shape(mask, bp.block_shape)
    return ptrs, mask


def padding_value(padding_option, elem: dt.dtype):
    """The ``other`` of a load through a block pointer, for its padding_option."""
    option = unwrap(padding_option) or ""
    if option == "":
        return None
    if option == "zero":
        return 0
    if option == "nan":
        if not elem.is_floating():
            raise error(f"padding_option='nan' needs floating-point elements, the block "
                        f"pointer is to {elem}")
        return float("nan")
    raise error(f"padding_option must be '', 'zero' or 'nan', got {option!r}")
