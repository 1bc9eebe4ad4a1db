"""How launch arguments specialise a kernel: which parameters are constexprs,
and the kite type each runtime argument stands for."""
from __future__ import annotations

import inspect
from typing import NamedTuple

from ..language import dtypes as dt
from ..language.core import constexpr
from ..tensor_descriptor import tma_eligible

COMPILE_OPTIONS = ("num_warps", "num_stages", "num_ctas", "maxnreg", "debug",
                   "enable_fp_fusion", "launch_pdl", "extern_libs", "quantize_dot",
                   "dot_precision", "fuse_dequantize")


class ArgSpec(NamedTuple):
    name: str
    is_constexpr: bool
    value: object          # the constexpr value, else None
    type: object           # kite type of a runtime argument
    divisible_by_16: bool
    keyword_only: bool = False
    # A host TensorDescriptor is bound as its base pointer (part
    # ("descriptor", rank, block_shape, padding, has_map)) followed by its
    # shape and strides (part ("field",)) and, where TMA could read it, the
    # address of its tensor map (part ("tensor_map",), the launch makes it);
    # call_arguments makes it one value again.
    part: tuple = ()

    def key(self):
        if self.is_constexpr:
            return (self.name, "c", _hashable(self.value), self.part)
        return (self.name, self.type.mlir, self.type.name, self.divisible_by_16, self.part)


def _hashable(value):
    """A key for a constexpr value; the type is part of it (2 and 2.0 differ),
    and a float is its bits (0.0 and -0.0 compare equal, but differ)."""
    if type(value) is float:
        return ("float", value.hex())
    try:
        hash(value)
        return (type(value).__qualname__, value)
    except TypeError:
        return (type(value).__qualname__, repr(value))


def is_constexpr_annotation(annotation) -> bool:
    if annotation is constexpr or (isinstance(annotation, type) and issubclass(annotation, constexpr)):
        return True
    return isinstance(annotation, str) and annotation.split(".")[-1] == "constexpr"


def constexpr_params(fn) -> set:
    params = inspect.signature(fn).parameters
    return {n for n, p in params.items() if is_constexpr_annotation(p.annotation)}


def pointer_dtype_of(arg, name: str = ""):
    """(element dtype, address) of an array-like argument, or None: a
    kite.Tensor, a numpy array, or another library's array
    (runtime/external.py: __cuda_array_interface__ or DLPack)."""
    from ..runtime.external import external_array
    from ..tensor import Tensor
    if isinstance(arg, Tensor):
        return arg.dtype, arg.data_ptr()
    if hasattr(arg, "__array_interface__") or type(arg).__module__ == "numpy":
        import numpy as np
        arr = np.asarray(arg)
        if arr.ndim == 0:
            return None
        return dt.from_numpy_dtype(arr.dtype), arr.ctypes.data
    if isinstance(arg, (bool, int, float, str, bytes)):
        return None
    external = external_array(arg, name)
    if external is not None:
        return external.dtype, external.pointer
    return None


def runtime_type(name: str, value):
    """(kite type, divisible by 16) of a runtime argument; TypeError if it has none."""
    if isinstance(value, dt.dtype):
        return value, False
    if isinstance(value, bool):
        return dt.int1, False
    if isinstance(value, int):
        if -(2 ** 31) <= value < 2 ** 31:
            return dt.int32, value % 16 == 0
        if -(2 ** 63) <= value < 2 ** 63:
            return dt.int64, value % 16 == 0
        if 0 <= value < 2 ** 64:
            return dt.uint64, value % 16 == 0
        raise TypeError(f"argument '{name}' = {value} does not fit in 64 bits")
    if isinstance(value, float):
        return dt.float32, False
    found = pointer_dtype_of(value, name)
    if found is not None:
        elem, address = found
        return dt.pointer_type(elem), address % 16 == 0
    raise TypeError(f"argument '{name}' of Python type {type(value).__name__} cannot be "
                    "passed to a kernel (pass an array, a kite.Tensor, a number, or a "
                    "kite dtype standing for one; arrays of other libraries need "
                    "__cuda_array_interface__ or __dlpack__)")


def call_arguments(specs, values):
    """(positional, keyword) arguments for calling the kernel with ``values``
    (in a builder: descriptors are rebuilt from their fields)."""
    args, kwargs = [], {}
    i = 0
    while i < len(specs):
        spec, value = specs[i], values[i]
        if spec.part and spec.part[0] == "descriptor":
            from ..language.tensor_descriptor import tensor_descriptor
            _, rank, block_shape, padding, has_map = spec.part
            fields = values[i + 1:i + 1 + 2 * rank + has_map]
            value = tensor_descriptor.from_fields(value, fields[:rank], fields[rank:2 * rank],
                                                  list(block_shape), padding,
                                                  fields[2 * rank] if has_map else None)
            i += 2 * rank + has_map
        if spec.keyword_only:
            kwargs[spec.name] = value
        else:
            args.append(value)
        i += 1
    return args, kwargs


def descriptor_flattener(specs):
    """``flatten(values)``: bound parameter values with each TensorDescriptor
    replaced by the values bind gave it under ``specs`` (base, shape,
    strides, and the descriptor itself where it has a tensor map): what the
    fast path's launchers get, without deciding again per launch."""
    from ..tensor_descriptor import TensorDescriptor
    has_map = [s.part[4] for s in specs if s.part and s.part[0] == "descriptor"]

    def flatten(values) -> list:
        out, maps = [], iter(has_map)
        for value in values:
            if isinstance(value, TensorDescriptor):
                out += [value.base, *value.shape, *value.strides]
                if next(maps):
                    out.append(value)
            else:
                out.append(value)
        return out
    return flatten


def _descriptor_specs(name: str, desc, keyword_only: bool, do_not_specialize):
    """The specs and values a host TensorDescriptor is passed as."""
    ptr_type, div16 = runtime_type(name, desc.base)
    if not ptr_type.is_ptr():
        raise TypeError(f"argument '{name}': a TensorDescriptor's base must be an array")
    has_map = tma_eligible(desc, ptr_type.element_ty.bits // 8, div16)
    part = ("descriptor", len(desc.shape), tuple(desc.block_shape), desc.padding, has_map)
    specs = [ArgSpec(name, False, None, ptr_type, div16, keyword_only, part)]
    values = [desc.base]
    for what, fields in (("shape", desc.shape), ("stride", desc.strides)):
        for d, v in enumerate(fields):
            field = f"{name}.{what}{d}"
            if v == 1 and name not in do_not_specialize:
                specs.append(ArgSpec(field, True, 1, None, False, keyword_only, ("field",)))
            else:
                specs.append(ArgSpec(field, False, None, dt.int64, v % 16 == 0, keyword_only,
                                     ("field",)))
            values.append(v)
    if has_map:
        # The launch replaces the descriptor by its tensor map's address.
        specs.append(ArgSpec(f"{name}.tensor_map", False, None, dt.pointer_type(dt.uint8),
                             True, keyword_only, ("tensor_map",)))
        values.append(desc)
    return specs, values


def has_tensor_map(desc) -> bool:
    """Whether bind passes ``desc`` with a tensor map (as _descriptor_specs)."""
    found = pointer_dtype_of(desc.base)
    return found is not None and tma_eligible(desc, found[0].bits // 8, found[1] % 16 == 0)


def bind(fn, args, kwargs, do_not_specialize=frozenset()):
    """Splits a call into (argument specs, compile options, bound values).
    As in Triton, an integer argument equal to 1 becomes a constexpr (a unit
    stride then vectorises) unless its parameter is in ``do_not_specialize``."""
    signature = inspect.signature(fn)
    # A parameter named like an option (``num_warps``) gets the value too, as
    # in Triton: the launch's keyword sets both.
    options = {k: kwargs[k] if k in signature.parameters else kwargs.pop(k)
               for k in list(kwargs) if k in COMPILE_OPTIONS}
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        positional = [n for n, p in signature.parameters.items()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(args) > len(positional):
            raise TypeError(f"{fn.__name__} takes {len(positional)} positional arguments "
                            f"({', '.join(positional)}), but {len(args)} were given") from None
        raise TypeError(f"{fn.__name__}{signature}: {exc}") from None
    bound.apply_defaults()
    constexprs = constexpr_params(fn)
    specs, values = [], []
    from ..tensor_descriptor import TensorDescriptor
    for name, value in bound.arguments.items():
        keyword_only = signature.parameters[name].kind == inspect.Parameter.KEYWORD_ONLY
        if isinstance(value, constexpr):
            value = value.value
        if isinstance(value, TensorDescriptor) and name not in constexprs:
            more_specs, more_values = _descriptor_specs(name, value, keyword_only,
                                                        do_not_specialize)
            specs += more_specs
            values += more_values
            continue
        if name in constexprs or value is None or (
                type(value) is int and value == 1 and name not in do_not_specialize):
            specs.append(ArgSpec(name, True, value, None, False, keyword_only))
        else:
            ty, div16 = runtime_type(name, value)
            specs.append(ArgSpec(name, False, None, ty, div16, keyword_only))
        values.append(value)
    return specs, options, values
