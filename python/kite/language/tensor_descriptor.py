"""Tensor descriptors made in the kernel: ``kl.make_tensor_descriptor`` and
the descriptor's ``load``, ``store`` and atomics, as in ``triton.language``.

Kite computes them as boundary-checked block-pointer accesses on every
backend: a load pads what lies outside the tensor (zero, or NaN with
``padding_option="nan"``), a store or atomic leaves it alone. A host
descriptor that Hopper's tensor-copy engine (TMA) can describe also
carries its tensor map: its loads and stores then also name their box of
the map (kite.load/kite.store's ``tensor_map``), which sm_90a copies with
TMA where it pays (docs/lowering.md, "TMA"). Kite does not require TMA's
alignment (16-byte base and strides, unit last stride)."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .block_pointer import (aggregate, block_pointer, make_block_ptr, offsets_of,
                            padding_value, pointers_and_mask)
from .core import active_builder, builtin, tensor, unwrap
from .memory import _atomic, load, store
from .semantic import to_tensor


class tensor_descriptor(aggregate):
    """A strided tensor seen in blocks of ``block_shape``: ``load(offsets)``
    and ``store(offsets, value)`` move the block whose first element is at
    ``offsets``. Made in the kernel (make_tensor_descriptor) or passed from
    the host (kite.TensorDescriptor)."""

    def __init__(self, base, shape, strides, block_shape, padding: str, tensor_map=None):
        self.base, self.shape, self.strides = base, list(shape), list(strides)
        self.block_shape, self._padding = list(block_shape), padding
        # A host descriptor's tensor map (a pointer to it), where TMA can read it.
        self._tensor_map = tensor_map

    @classmethod
    def from_fields(cls, base, shape, strides, block_shape, padding: str, tensor_map=None):
        """From launch arguments: shapes and strides become int64 scalars
        (a stride of 1 arrives as the constant it was specialised to)."""
        as_i64 = [semantic.cast(to_tensor(v), dt.int64) for v in list(shape) + list(strides)]
        rank = len(block_shape)
        return cls(base, as_i64[:rank], as_i64[rank:], block_shape, padding, tensor_map)

    @property
    def dtype(self):
        return self.base.dtype.element_ty

    def leaves(self) -> list:
        mapped = [self._tensor_map] if self._tensor_map is not None else []
        return [self.base, *self.shape, *self.strides, *mapped]

    def rebuild(self, leaves) -> "tensor_descriptor":
        rank = len(self.block_shape)
        mapped = self._tensor_map is not None
        return tensor_descriptor(leaves[0], leaves[1:1 + rank], leaves[1 + rank:1 + 2 * rank],
                                 self.block_shape, self._padding,
                                 leaves[1 + 2 * rank] if mapped else None)

    def same_kind(self, other) -> bool:
        return (isinstance(other, tensor_descriptor) and other._padding == self._padding
                and other.block_shape == self.block_shape
                and other.base.type == self.base.type
                and (other._tensor_map is None) == (self._tensor_map is None))

    def __repr__(self):
        return f"kite.tensor_descriptor<{self.dtype}, block {self.block_shape}>"

    def _at(self, offsets, what: str):
        offsets = unwrap(offsets)
        rank = len(self.block_shape)
        if not isinstance(offsets, (list, tuple)) or len(offsets) != rank:
            raise error(f"{what} needs one offset per dimension ({rank}), got {offsets!r}")
        window = block_pointer(self.base, self.shape, self.strides, offsets_of(offsets, what),
                               self.block_shape, list(range(rank - 1, -1, -1)))
        return pointers_and_mask(window, range(rank), what)

    @builtin
    def load(self, offsets):
        ptrs, mask = self._at(offsets, "tensor_descriptor.load")
        other = padding_value(self._padding, self.dtype)
        builder = active_builder()
        if self._tensor_map is None or not getattr(builder, "is_tracing", False):
            return load(ptrs, mask=mask, other=other)
        # The same read, also as a box of the tensor map: the compiler may
        # copy it with TMA (kite.load's tensor_map).
        box, address = self._box(offsets), self._map_address()
        other = semantic.cast(to_tensor(other), self.dtype)
        shape = list(self.block_shape)
        ty = dt.to_block(self.dtype, shape)
        other = semantic.broadcast_to_shape(other, shape)
        handle = builder.load(ptrs.handle, mask.handle, other.handle, ty, False,
                              address.handle, [c.handle for c in box])
        return tensor(handle, ty)

    @builtin
    def store(self, offsets, value):
        ptrs, mask = self._at(offsets, "tensor_descriptor.store")
        value = to_tensor(value)
        if value.shape and value.shape != self.block_shape:
            raise error(f"tensor_descriptor.store: the value's shape {value.shape} is not the "
                        f"descriptor's block shape {self.block_shape}")
        builder = active_builder()
        if self._tensor_map is None or not getattr(builder, "is_tracing", False):
            return store(ptrs, value, mask=mask)
        # Also as a box of the tensor map (kite.store's tensor_map): Hopper
        # may write it with TMA.
        value = semantic.broadcast_to_shape(semantic.to_typed(value, self.dtype),
                                            list(self.block_shape))
        builder.store(ptrs.handle, value.handle, mask.handle, ptrs.type,
                      self._map_address().handle, [c.handle for c in self._box(offsets)])

    def _box(self, offsets):
        """The box's coordinates (i32; the offsets are 32-bit already)."""
        return [semantic.cast(to_tensor(v), dt.int32) for v in unwrap(offsets)]

    def _map_address(self):
        return semantic.cast(self._tensor_map, dt.int64)

    @builtin
    def gather(self, *args):
        raise error("tensor_descriptor.gather (TMA row gathers) is not supported by Kite; "
                    "load the rows through pointers")

    @builtin
    def scatter(self, *args):
        raise error("tensor_descriptor.scatter (TMA row scatters) is not supported by Kite; "
                    "store the rows through pointers")


def _descriptor_atomic(op: str):
    def method(self, offsets, value):
        ptrs, mask = self._at(offsets, f"tensor_descriptor.atomic_{op}")
        _atomic(op, ptrs, value, mask)
    method.__name__ = method.__qualname__ = f"atomic_{op}"
    method.__doc__ = f"Atomically {op}s ``value`` into the block at ``offsets``."
    return builtin(method)


for _op in ("add", "min", "max", "and", "or", "xor"):
    setattr(tensor_descriptor, f"atomic_{_op}", _descriptor_atomic(_op))


@builtin
def make_tensor_descriptor(base, shape, strides, block_shape, padding_option="zero"):
    """A descriptor of the tensor at ``base`` with ``shape`` and ``strides``
    (in elements), accessed in blocks of ``block_shape``."""
    padding = unwrap(padding_option)
    if padding not in ("zero", "nan"):
        raise error(f"make_tensor_descriptor: padding_option must be 'zero' or 'nan', got "
                    f"{padding!r}")
    rank = len(unwrap(block_shape)) if isinstance(unwrap(block_shape), (list, tuple)) else -1
    if rank < 1:
        raise error("make_tensor_descriptor: block_shape must be a tuple of constants")
    window = make_block_ptr(base, shape, strides, [0] * rank, block_shape,
                            list(range(rank - 1, -1, -1)))
    padding_value(padding, window.dtype)  # 'nan' needs floats
    return tensor_descriptor(window.base, window.shape, window.strides, block_shape, padding)


@builtin
def load_tensor_descriptor(desc, offsets):
    return _descriptor(desc, "load_tensor_descriptor").load(offsets)


@builtin
def store_tensor_descriptor(desc, offsets, value):
    return _descriptor(desc, "store_tensor_descriptor").store(offsets, value)


def _descriptor(desc, what: str) -> tensor_descriptor:
    desc = unwrap(desc)
    if not isinstance(desc, tensor_descriptor):
        raise error(f"kl.{what} needs a tensor descriptor (kl.make_tensor_descriptor), got "
                    f"{type(desc).__name__}")
    return desc

