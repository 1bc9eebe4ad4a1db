"""The tensor maps (CUtensorMap) of host ``kite.TensorDescriptor`` arguments
that a kernel reads with Hopper's tensor-copy engine (TMA).

A descriptor TMA can read (``tensor_descriptor.tma_eligible``) is bound
with one argument more, the address of its tensor map
(frontend/specialization.py). The compiled kernel records the box each map
is read in (the software pipeliner's ``kite.tensor_maps``: kernel argument,
box rows x columns, swizzle bytes); at launch the map is encoded for that
box (on a GPU by the driver's cuTensorMapEncodeTiled, on cuda-sim in the
simulator's encoding) into device memory, which the kernel reads it from.
A map argument the kernel does not read (no TMA on the target, a load the
pipeliner left alone) is passed as 0."""
from __future__ import annotations

import re
from collections import OrderedDict

_RECORD = re.compile(r'kite\.tensor_maps = "([^"]*)"')
_SWIZZLE_CODES = {0: 0, 32: 1, 64: 2, 128: 3}

# Encoded maps in device memory, by (device, bytes): a launch with the same
# descriptor again finds its map (each is 128 bytes).
_CACHE_SIZE = 256
_cache: "OrderedDict[tuple, object]" = OrderedDict()


def recorded_boxes(text: str) -> list:
    """[[kernel argument, box rows, box columns, swizzle bytes]] from a
    kernel's thread-level IR (JSON-safe, for its metadata)."""
    found = _RECORD.search(text)
    if not found or not found.group(1):
        return []
    boxes = []
    for entry in found.group(1).split(","):
        arg, box, swizzle = entry.split(":")
        rows, columns = box.split("x")
        boxes.append([int(arg), int(rows), int(columns), int(swizzle)])
    return sorted(boxes)


def map_arguments(compiled):
    """[(index among the bound values, (rows, columns, swizzle) or None)]
    for the tensor-map arguments of ``compiled`` (empty: it has none)."""
    boxes = {arg: tuple(rest) for arg, *rest in _checked(compiled.metadata.get("tensor_maps", []))}
    out, runtime_index = [], 0
    for i, spec in enumerate(compiled.specs):
        if spec.is_constexpr:
            continue
        if spec.part == ("tensor_map",):
            out.append((i, boxes.get(runtime_index)))
        runtime_index += 1
    return out


def _checked(records) -> list:
    """The records of a compiled kernel's metadata (from the JIT cache on
    disk too): what the compiler writes, or a ValueError, never a map of a
    box the kernel does not copy."""
    for record in records:
        if (not isinstance(record, list) or len(record) != 4
                or not all(type(v) is int for v in record) or record[0] < 0
                or not 1 <= record[1] <= 256 or not 1 <= record[2] <= 256
                or record[3] not in _SWIZZLE_CODES):
            raise ValueError(f"a compiled kernel's tensor_maps record {record!r} is not one "
                             "Kite writes (argument, box rows 1-256, box columns 1-256, "
                             "swizzle 0/32/64/128): a damaged JIT cache entry?")
    return records


def with_tensor_maps(arguments, device, values) -> list:
    """``values`` with each map argument (the TensorDescriptor it was bound
    as) replaced by the device memory of its encoded map, or 0."""
    values = list(values)
    for index, box in arguments:
        values[index] = 0 if box is None else _device_map(device, values[index], box)
    return values


def encode(device, desc, box) -> bytes:
    """The 128 bytes of ``desc``'s tensor map for boxes of ``box`` =
    (rows, columns, swizzle bytes) on ``device`` (a CudaDevice)."""
    from .. import sim
    from ..frontend.specialization import pointer_dtype_of
    from .cuda_sim import CudaSimDevice
    rows, columns, swizzle = box
    elem, address = pointer_dtype_of(desc.base)
    full_box = [1] * (len(desc.shape) - 2) + [rows, columns]
    element_bytes = elem.bits // 8
    if isinstance(device, CudaSimDevice):
        return sim.tensor_map(address, desc.shape, desc.strides, full_box, element_bytes,
                              swizzle=_SWIZZLE_CODES[swizzle])
    return device.encode_tensor_map(address, elem, list(desc.shape), list(desc.strides),
                                    full_box, _SWIZZLE_CODES[swizzle])


def _device_map(device, desc, box):
    data = encode(device, desc, box)
    key = (device.name, data)
    found = _cache.get(key)
    if found is None:
        import numpy as np
        from ..tensor import from_numpy
        found = from_numpy(np.frombuffer(data, np.uint8).copy(), device=device.name)
        _cache[key] = found
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return found
