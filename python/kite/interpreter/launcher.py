"""Runs a kernel with numpy, one program instance at a time, in Python (so
``print`` and ``pdb`` work inside it). It runs the same rewritten function as
tracing does, so control flow, loop variables (int32 scalars) and user errors
behave the same way; control_flow.py executes the regions in Python."""
from __future__ import annotations

import numpy as np

from ..frontend.specialization import call_arguments
from ..language.core import building, tensor
from ..runtime.launch_options import grid_size
from ..tensor import Tensor
from .memory import AddressSpace
from .numpy_builder import NumpyBuilder, compute_dtype


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
        elif spec.part == ("tensor_map",):  # the interpreter reads the pointers
            call_args.append(tensor(np.array(0, np.int64), spec.type))
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
    builder.dot_precision = kwargs.get("dot_precision")
    builder.none_arguments = [s.name for s in specs if s.is_constexpr and s.value is None]
    body = kernel._traced()
    with building(builder), np.errstate(all="ignore"):
        positional, keywords = call_arguments(specs, call_args)
        # Nested ranges, not itertools.product (which makes tuples of them).
        for z in range(sizes[2]):
            for y in range(sizes[1]):
                for x in range(sizes[0]):
                    builder.pid = (x, y, z)
                    body(*positional, **keywords)
