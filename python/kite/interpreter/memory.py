"""The interpreter's view of device memory: every pointer argument gets a
virtual base address; a pointer value is an int64 address, and each access is
checked against the bounds of the argument it points into."""
from __future__ import annotations

import numpy as np

from ..errors import KernelRuntimeError
from ..frontend.location import user_location
from . import numerics

SHIFT = 40


class Buffer:
    def __init__(self, name: str, storage: np.ndarray, elem):
        self.name = name
        self.storage = storage            # contiguous, written in place
        self.raw = storage.reshape(-1).view(np.uint8)
        self.elem = elem


class AddressSpace:
    def __init__(self):
        self.buffers: list[Buffer] = []

    def register(self, name: str, storage: np.ndarray, elem) -> int:
        if not storage.flags.c_contiguous:
            raise ValueError(f"argument '{name}' must be a contiguous array "
                             "(use np.ascontiguousarray)")
        self.buffers.append(Buffer(name, storage, elem))
        return len(self.buffers) << SHIFT

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
            if bid < 1 or bid > len(self.buffers):
                self._fail(f"{what} through an address that points into no kernel argument")
            buf = self.buffers[bid - 1]
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
