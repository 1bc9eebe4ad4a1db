"""Checked addressing on compiled devices (docs/runtime.md, "Memory safety").

A kernel compiled with memory checks (kitethread-check-memory-accesses)
takes hidden launch arguments after its own: for each pointer argument the
begin and size of the allocation it points into, then the address and entry
count of a table of every live allocation of the device (for pointers that
derive from no single argument, e.g. loaded from memory). This module
decides when checks are on, keeps the table, and packs those arguments."""
from __future__ import annotations

import bisect
import struct
import weakref
from typing import Optional, Sequence

import numpy as np

from . import environ

_ON = ("1", "true", "True", "yes", "on")
_OFF = ("0", "false", "False", "no", "off")


def enabled(options: dict, backend: str, device_type: str) -> bool:
    """Whether a kernel is compiled with memory checks: ``KITE_MEMORY_CHECKS``
    (1 or 0) decides where set; else ``debug=True`` or ``KITE_DEBUG=1`` turn
    them on, and they are on by default where device addresses are
    addresses of this process (a device of type "cpu": lavapipe, cuda-sim)."""
    forced = environ.get("KITE_MEMORY_CHECKS")
    if forced in _ON:
        return True
    if forced in _OFF:
        return False
    if options.get("debug") or environ.get("KITE_DEBUG") in _ON:
        return True
    return backend in ("vulkan", "cuda") and device_type == "cpu"


class AllocationTable:
    """The live allocations of one device: what Device.allocate handed out
    and has not been freed, and on demand a device buffer listing them as
    sorted ``[begin, end)`` u64 pairs after a ``[0, 0)`` entry (so that a
    binary search always finds an entry at or below an address)."""

    def __init__(self, device):
        self._device = device
        self._live: dict = {}  # begin -> (end, weakref to the kite._C.Buffer)
        self._begins: Optional[list] = None  # sorted, rebuilt after changes
        self._uploaded = None    # (buffer, entry count) for the current set
        self._spare = None       # the buffer of the previous upload, reused

    def add(self, buffer) -> None:
        begin = int(buffer.address)
        ref = weakref.ref(buffer, lambda _ref, begin=begin: self._drop(begin, _ref))
        self._live[begin] = (begin + int(buffer.size), ref)
        self._changed()

    def _drop(self, begin: int, ref) -> None:
        if self._live.get(begin, (0, None))[1] is ref:
            del self._live[begin]
            self._changed()

    def _changed(self) -> None:
        self._begins = None
        if self._uploaded is not None:
            self._spare, self._uploaded = self._uploaded[0], None

    def _prune(self) -> None:
        """Forgets buffers freed with release() while still referenced."""
        dead = [b for b, (_, ref) in self._live.items()
                if ref() is None or not ref().valid]
        for begin in dead:
            del self._live[begin]
        if dead:
            self._changed()

    def find(self, address: int) -> tuple:
        """(begin, size) of the allocation holding ``address``, else (0, 0)."""
        if self._begins is None:
            self._prune()
            self._begins = sorted(self._live)
        at = bisect.bisect_right(self._begins, address) - 1
        if at >= 0:
            begin = self._begins[at]
            end, ref = self._live[begin]
            buffer = ref()
            if address < end and buffer is not None and buffer.valid:
                return begin, end - begin
        return 0, 0

    def device_table(self) -> tuple:
        """(address, entry count) of the table on the device."""
        self._prune()
        if self._uploaded is None:
            pairs = [(0, 0)] + sorted((b, e) for b, (e, _) in self._live.items())
            words = np.array(pairs, np.uint64).reshape(-1)
            raw = self._device._device  # not itself in the table
            if self._spare is not None:
                self._device.synchronize()  # CUDA: no launch still reads it
            buffer = self._spare if (self._spare is not None and
                                     self._spare.size >= words.nbytes) else \
                raw.allocate(max(words.nbytes, 1 << 12))
            self._spare = None
            raw.upload(buffer, words)
            self._uploaded = (buffer, len(pairs))
        buffer, count = self._uploaded
        return int(buffer.address), count


def _range(value, table: AllocationTable) -> tuple:
    """(begin, size) a pointer argument may reach: a kite tensor's bytes, a
    PyTorch tensor's whole storage, else the live allocation holding it
    ((0, 0), which every access fails, where there is none)."""
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        if value._address is not None:
            return value._address, value.nbytes
        return 0, 0
    storage = getattr(value, "untyped_storage", None)
    if storage is not None:
        storage = storage()
        return int(storage.data_ptr()), int(storage.nbytes())
    data_ptr = getattr(value, "data_ptr", None)
    address = data_ptr() if data_ptr is not None else None
    if address is None:
        from .packing import _address
        try:
            address = _address(value, None)
        except (TypeError, ValueError):
            return 0, 0
    return table.find(int(address))


def make_hidden_packer(specs: Sequence, table: AllocationTable, uses_table: bool):
    """``hidden(values) -> bytes``: the hidden arguments of a checked kernel,
    to append (8-byte aligned) after the packed arguments. ``hidden.last``
    maps the launch argument index of each hidden argument to its value in
    the last call (what a report of the debug buffer names)."""
    runtime = [s for s in specs if not s.is_constexpr]
    pointers = [i for i, s in enumerate(specs) if not s.is_constexpr and s.type.is_ptr()]
    pack = struct.Struct("<" + "QQ" * (len(pointers) + 1)).pack
    first = len(runtime)

    def hidden(values) -> bytes:
        words = []
        for i in pointers:
            words.extend(_range(values[i], table))
        words.extend(table.device_table() if uses_table else (0, 0))
        hidden.last = dict(enumerate(words, first))
        return pack(*words)
    hidden.last = {}
    return hidden


def append_hidden(args: bytes, hidden: bytes) -> bytes:
    return args + b"\0" * (-len(args) % 8) + hidden
