"""Runs a kernel with numpy, one program instance at a time, in Python (so
``print`` and ``pdb`` work inside it). It runs the same rewritten function as
tracing does, so control flow, loop variables (int32 scalars) and user errors
behave the same way; control_flow.py executes the regions in Python."""
from __future__ import annotations

import itertools

import numpy as np

from ..frontend.specialization import call_arguments
from ..language.core import building, tensor
from ..tensor import Tensor
from .memory import AddressSpace
from .numpy_builder import NumpyBuilder, compute_dtype


def grid_size(grid, meta) -> tuple:
    """A launch grid (a tuple, an int, or a function of the meta-parameters) as 3 sizes."""
    if type(grid) is tuple and 1 <= len(grid) <= 3 and all(type(g) is int and g >= 0
                                                          for g in grid):
        return grid + (1,) * (3 - len(grid))  # the common case, quickly
    if callable(grid):
        grid = grid(meta)
    if isinstance(grid, int):
        grid = (grid,)
    grid = tuple(int(g) for g in grid)
    if not 1 <= len(grid) <= 3 or any(g < 0 for g in grid):
        raise ValueError(f"a grid is 1 to 3 non-negative sizes, got {grid}")
    return grid + (1,) * (3 - len(grid))


def _storage(value) -> np.ndarray:
    """The array a pointer argument points into (devices were checked before);
    host arrays of other libraries (a CPU torch tensor) are viewed through
    DLPack, so that stores reach them."""
    if isinstance(value, Tensor):
        return value.host_storage()
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__dlpack__"):
        return np.from_dlpack(value)
    return np.asarray(value)


def launch(kernel, grid, specs, values, kwargs):
    """Runs ``kernel`` over ``grid`` with arguments already bound to ``specs``
    and checked (runtime/arguments.py)."""
    memory = AddressSpace()
    call_args = []
    for spec, value in zip(specs, values):
        if spec.is_constexpr:
            call_args.append(spec.value)
        elif spec.type.is_ptr():
            base = memory.register(spec.name, _storage(value), spec.type.element_ty,
                                   value if isinstance(value, Tensor) else None)
            call_args.append(tensor(np.array(base, np.int64), spec.type))
        else:
            call_args.append(tensor(np.array(value, compute_dtype(spec.type)), spec.type))
    meta = {s.name: v for s, v in zip(specs, values)}
    meta.update(kwargs)
    sizes = grid_size(grid, meta)
    builder = NumpyBuilder(memory, sizes)
    body = kernel._traced()
    with building(builder), np.errstate(all="ignore"):
        positional, keywords = call_arguments(specs, call_args)
        for z, y, x in itertools.product(range(sizes[2]), range(sizes[1]), range(sizes[0])):
            builder.pid = (x, y, z)
            body(*positional, **keywords)
