"""Packs a launch's runtime arguments into the bytes a compiled kernel reads
(docs/vulkan-abi.md, docs/cuda-abi.md): declaration order, each at the next
offset aligned to its size; pointers as 64-bit device addresses, ``i1`` as a
32-bit word."""
from __future__ import annotations

import struct
from typing import Optional, Sequence

from ..language import dtypes as dt

_FORMATS = {"i1": "I", "i8": "b", "i16": "h", "i32": "i", "i64": "q",
            "f16": "e", "f32": "f", "f64": "d"}
_UNSIGNED = {"i8": "B", "i16": "H", "i32": "I", "i64": "Q"}


def _format(ty: dt.dtype) -> str:
    if ty.is_ptr():
        return "Q"
    if ty.is_int_unsigned():
        return _UNSIGNED[ty.mlir]
    if ty.mlir not in _FORMATS:
        raise TypeError(f"arguments of type {ty.name} cannot be passed to a kernel")
    return _FORMATS[ty.mlir]


def argument_sizes(specs: Sequence) -> list:
    """The packed size of each runtime argument, in order (what a CUDA kernel's
    parameters are told: 8 for pointers, 4 for i1, else the type's size)."""
    return [struct.calcsize("<" + _format(s.type)) for s in specs if not s.is_constexpr]


def _address(value, keep: Optional[list]) -> int:
    """The device address a pointer argument passes."""
    from ..tensor import Tensor
    from .external import external_array
    if isinstance(value, Tensor):
        return value.data_ptr()
    if isinstance(value, int):
        return value
    external = external_array(value)
    if external is None:
        return int(value)
    if keep is not None and (external.capsule is not None or external.stream is not None):
        keep.append(external)  # its capsule, or its stream for launch_stream
    return external.pointer


def pack_arguments(specs: Sequence, values: Sequence, keep: Optional[list] = None) -> bytes:
    """The packed bytes of the runtime (non-constexpr) arguments. The
    external arrays that pointers came from with a DLPack capsule (for the
    caller to hold until the launch is queued) or a stream are appended to
    ``keep``, in argument order."""
    out = bytearray()
    for spec, value in zip(specs, values):
        if spec.is_constexpr:
            continue
        fmt = "<" + _format(spec.type)
        size = struct.calcsize(fmt)
        out.extend(b"\0" * (-len(out) % size))
        if spec.type.is_ptr():
            value = _address(value, keep)
        elif spec.type.is_bool():
            value = 1 if value else 0
        out.extend(struct.pack(fmt, value))
    return bytes(out)


def argument_struct(specs) -> tuple:
    """(struct.Struct packing the runtime arguments as pack_arguments does,
    their indexes among all arguments, which of those are pointers)."""
    fmt, offset, indexes, pointers = "<", 0, [], []
    for i, spec in enumerate(specs):
        if spec.is_constexpr:
            continue
        code = _format(spec.type)
        size = struct.calcsize("<" + code)
        pad = -offset % size
        fmt += "x" * pad + code
        offset += pad + size
        indexes.append(i)
        pointers.append(spec.type.is_ptr())
    return struct.Struct(fmt), tuple(indexes), tuple(pointers)


def argument_fields(specs) -> tuple:
    """([(index among all arguments, format, offset)], size in bytes) of the
    runtime arguments as pack_arguments lays them out, for the C++ launcher
    (python/src/FastLaunch.cpp): ``struct`` format characters, with "P" for a
    pointer and "?" for an i1 (a 32-bit 0 or 1)."""
    fields, offset = [], 0
    for i, spec in enumerate(specs):
        if spec.is_constexpr:
            continue
        code = _format(spec.type)
        size = struct.calcsize("<" + code)
        offset += -offset % size
        kind = "P" if spec.type.is_ptr() else "?" if spec.type.is_bool() else code
        fields.append((i, kind, offset))
        offset += size
    return fields, offset


def _pointer(value, keep: Optional[list]) -> int:
    """_address, with kite and PyTorch tensors (``data_ptr()``) first."""
    data_ptr = getattr(value, "data_ptr", None)
    return data_ptr() if data_ptr is not None else _address(value, keep)


def make_packer(specs: Sequence):
    """``pack(values, keep=None) -> bytes``: pack_arguments for these specs,
    with the layout worked out once (what every launch calls)."""
    packer, indexes, pointers = argument_struct(specs)
    fields = tuple(zip(indexes, pointers))
    pack = packer.pack

    def pack_values(values, keep: Optional[list] = None) -> bytes:
        return pack(*[_pointer(values[i], keep) if pointer else values[i]
                      for i, pointer in fields])
    return pack_values
