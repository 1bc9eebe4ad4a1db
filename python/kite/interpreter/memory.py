"""The interpreter's view of device memory: every pointer argument gets a
virtual base address; a pointer value is an int64 address, and each access is
checked against the bounds of the argument it points into.

Interpreter kite.Tensors have virtual addresses of their own for as long as
they live (``data_ptr()``), so an address stored in memory (an array of
pointers, as grouped GEMMs pass) reaches a tensor that is no argument too."""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from ..errors import KernelRuntimeError
from ..frontend.location import user_location
from . import numerics

SHIFT = 40
# Ids (address >> SHIFT) of tensors' own addresses start here, far above the
# ids of one launch's arguments (1, 2, ...) and below 2^63 >> SHIFT.
_FIRST_TENSOR_ID = 1 << 20
_LAST_TENSOR_ID = (1 << (63 - SHIFT)) - 2  # addresses stay below 2^63
_tensor_ids = itertools.count(_FIRST_TENSOR_ID)
_tensors = weakref.WeakValueDictionary()  # id -> live interpreter kite.Tensor


def _free_id() -> int:
    """A fresh id; once they run out (millions of tensors), one no live
    tensor holds."""
    tid = next(_tensor_ids)
    if tid <= _LAST_TENSOR_ID:
        return tid
    for tid in range(_FIRST_TENSOR_ID, _LAST_TENSOR_ID + 1):
        if tid not in _tensors:
            return tid
    raise RuntimeError("the interpreter's address space is full of live tensors")


def tensor_address(tensor) -> int:
    """The virtual address of an interpreter kite.Tensor, fixed for its life."""
    tid = getattr(tensor, "_virtual_id", None)
    if tid is None:
        tid = tensor._virtual_id = _free_id()
        _tensors[tid] = tensor
    return tid << SHIFT


class Buffer:
    def __init__(self, name: str, storage: np.ndarray, elem):
        self.name = name
        self.storage = storage            # contiguous, written in place
        self.raw = storage.reshape(-1).view(np.uint8)
        self.elem = elem


class AddressSpace:
    def __init__(self):
        self.buffers: dict[int, Buffer] = {}  # id (address >> SHIFT) -> buffer
        self._arguments = 0

    def register(self, name: str, storage: np.ndarray, elem, tensor=None) -> int:
        """The base address of an argument: a kite.Tensor's own address, else
        a fresh one for this launch."""
        if not storage.flags.c_contiguous:
            raise ValueError(f"argument '{name}' must be a contiguous array "
                             "(use np.ascontiguousarray)")
        if tensor is not None:
            base = tensor_address(tensor)
        else:
            self._arguments += 1
            base = self._arguments << SHIFT
        self.buffers[base >> SHIFT] = Buffer(name, storage, elem)
        return base

    def _buffer(self, bid: int):
        """The buffer with id ``bid``: an argument, or a live tensor reached
        through an address the kernel loaded."""
        buf = self.buffers.get(bid)
        if buf is None and bid >= _FIRST_TENSOR_ID:
            tensor = _tensors.get(bid)
            if tensor is not None:
                buf = self.buffers[bid] = Buffer(f"<tensor at {bid << SHIFT:#x}>",
                                                 tensor.host_storage(), tensor.dtype)
        return buf

    def _fail(self, message: str):
        loc = user_location()
        raise KernelRuntimeError(message, loc.filename, loc.line)

    def _groups(self, addrs: np.ndarray, active: np.ndarray, elem, what: str):
        """Yields (selection, buffer, element indices into the buffer's elements)."""
        store_dtype = numerics.storage_dtype(elem)
        itemsize = store_dtype.itemsize
        # Argument i lives at i << SHIFT; an address belongs to the nearest base,
        # so that an offset a little below 0 is reported as a negative index.
        ids = (addrs + (1 << (SHIFT - 1))) >> SHIFT
        offsets = addrs - (ids << SHIFT)
        for bid in np.unique(ids[active]):
            sel = active & (ids == bid)
            buf = self._buffer(int(bid))
            if buf is None:
                self._fail(f"{what} through an address that points into no kernel argument "
                           "or live tensor")
            offs = offsets[sel]
            nbytes = buf.raw.size
            bad = (offs % itemsize != 0) | (offs < 0) | (offs + itemsize > nbytes)
            if bad.any():
                first = int(offs[bad][0])
                count = nbytes // itemsize
                where = np.argwhere(sel)[np.argmax(bad)]
                self._fail(f"out-of-bounds {what}: element {first // itemsize} of argument "
                           f"'{buf.name}', which has {count} elements of {buf.elem} "
                           f"(index {tuple(int(i) for i in where)} of the block)")
            view = buf.raw[: nbytes - nbytes % itemsize].view(store_dtype)
            yield sel, view, offs // itemsize

    def load(self, addrs, mask, other, elem, compute_dtype):
        addrs = np.asarray(addrs, dtype=np.int64)
        active = np.ones(addrs.shape, bool) if mask is None else np.asarray(mask, bool)
        out = np.zeros(addrs.shape, compute_dtype)
        if other is not None:
            out[...] = other
        for sel, view, index in self._groups(addrs, active, elem, "load"):
            values = view[index]
            out[sel] = numerics.decode(values, elem) if numerics.is_emulated(elem) else values
        return out

    def store(self, addrs, values, mask, elem):
        addrs = np.asarray(addrs, dtype=np.int64)
        active = np.ones(addrs.shape, bool) if mask is None else np.asarray(mask, bool)
        values = np.broadcast_to(values, addrs.shape)
        for sel, view, index in self._groups(addrs, active, elem, "store"):
            v = values[sel]
            view[index] = numerics.encode(v, elem) if numerics.is_emulated(elem) else v

    def atomic(self, addrs, mask, elem, compute_dtype, update):
        """Applies ``update(old, i) -> new`` element by element, in order, as
        concurrent atomics would in some order; returns the old values."""
        addrs = np.asarray(addrs, dtype=np.int64)
        active = np.ones(addrs.shape, bool) if mask is None else np.asarray(mask, bool)
        old = np.zeros(addrs.shape, compute_dtype)
        for sel, view, index in self._groups(addrs, active, elem, "atomic"):
            positions = np.argwhere(sel)
            for pos, i in zip(positions, index):
                pos = tuple(pos)
                current = view[i]
                if numerics.is_emulated(elem):
                    current = numerics.decode(current, elem)
                old[pos] = current
                new = update(current, pos)
                view[i] = numerics.encode(new, elem) if numerics.is_emulated(elem) else new
        return old
