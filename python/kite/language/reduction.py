"""kite.language: reductions, scans and dot."""
from __future__ import annotations

import builtins

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import active_builder, builtin, tensor, unwrap
from .semantic import broadcast_to_shape, cast, to_tensor
from .standard import _constexpr_int, arange, expand_dims, reshape, where


def _inputs(input):
    inputs = list(input) if isinstance(unwrap(input), (tuple, list)) else [input]
    inputs = [to_tensor(x) for x in inputs]
    for x in inputs:
        if not x.shape:
            raise error("reductions and scans need a block, got a scalar")
        if x.shape != inputs[0].shape:
            raise error(f"reduced values must have the same shape: {inputs[0].shape} and {x.shape}")
    return inputs


def _axis(axis, rank: int, what: str) -> int:
    axis = _constexpr_int(axis, f"{what} axis")
    if not -rank <= axis < rank:
        raise error(f"{what}: axis {axis} is out of range for a block of rank {rank}")
    return axis % rank


def _region(combine_fn, elems, what: str):
    """Wraps the user's combine function for the builders: handles in, handles out."""
    def region(lhs_handles, rhs_handles):
        args = [tensor(h, e) for h, e in zip(lhs_handles, elems)]
        args += [tensor(h, e) for h, e in zip(rhs_handles, elems)]
        out = combine_fn(*args)
        out = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(out) != len(elems):
            raise error(f"the combine function of {what} returns {len(out)} values for "
                        f"{len(elems)} inputs")
        handles = []
        for value, elem in zip(out, elems):
            value = to_tensor(value, elem)
            if value.shape:
                raise error(f"the combine function of {what} must return scalars, got shape {value.shape}")
            if value.dtype != elem:
                raise error(f"the combine function of {what} returns {value.dtype} for an input of {elem}")
            handles.append(value.handle)
        return handles
    return region


@builtin
def reduce(input, axis, combine_fn, keep_dims=False, _kind=None):
    single = not isinstance(unwrap(input), (tuple, list))
    inputs = _inputs(input)
    original_rank = len(inputs[0].shape)
    all_axes = unwrap(axis) is None
    if all_axes:
        inputs = [reshape(x, [x.numel]) for x in inputs]
        axis = 0
    rank = len(inputs[0].shape)
    axis = _axis(axis, rank, "reduce")
    shape = [s for i, s in enumerate(inputs[0].shape) if i != axis]
    elems = [x.dtype for x in inputs]
    types = [dt.to_block(e, shape) for e in elems]
    handles = active_builder().reduce([x.handle for x in inputs], axis,
                                      _region(combine_fn, elems, "reduce"), types, _kind)
    results = [tensor(h, t) for h, t in zip(handles, types)]
    if unwrap(keep_dims):
        # As in Triton: reducing every axis with keep_dims keeps them all, as size 1.
        for _ in range(original_rank if all_axes else 1):
            results = [expand_dims(r, axis) for r in results]
    return results[0] if single else tuple(results)


def _add(a, b):
    return a + b


def _mul(a, b):
    return a * b


def _sum_dtype(elem: dt.dtype, dtype) -> dt.dtype:
    if unwrap(dtype) is not None:
        return unwrap(dtype)
    if elem.is_bool():  # Triton counts int1 as unsigned
        return dt.uint32
    if elem.is_int() and elem.bits < 32:
        return dt.uint32 if elem.is_int_unsigned() else dt.int32
    return elem


@builtin
def sum(input, axis=None, keep_dims=False, dtype=None):
    x = to_tensor(input)
    x = cast(x, _sum_dtype(x.dtype, dtype))
    return reduce(x, axis, _add, keep_dims, _kind="sum")


@builtin
def xor_sum(input, axis=None, keep_dims=False):
    x = to_tensor(input)
    if not x.dtype.is_int():
        raise error("kl.xor_sum needs integers")
    return reduce(x, axis, lambda a, b: a ^ b, keep_dims, _kind="xor_sum")


@builtin
def softmax(x, dim=None, keep_dims=False, ieee_rounding=False):
    """exp(x - max) / sum(exp(x - max)) along ``dim`` (0 by default, as in
    Triton); the result has x's shape. Kite's division rounds to nearest
    whatever ``ieee_rounding`` says."""
    from .standard import exp
    x = to_tensor(x)
    if not x.dtype.is_floating():
        raise error(f"kl.softmax needs floating-point values, got {x.dtype}")
    dim = 0 if unwrap(dim) is None else unwrap(dim)
    z = x - max(x, dim, keep_dims=True)
    num = exp(z)
    return num / sum(num, dim, keep_dims=True)


@builtin
def reduce_or(input, axis, keep_dims=False):
    x = to_tensor(input)
    if not x.dtype.is_int():
        raise error(f"kl.reduce_or needs integers, got {x.dtype}")
    return reduce(x, axis, lambda a, b: a | b, keep_dims, _kind="reduce_or")


@builtin
def flip(x, dim=None):
    """x reversed along ``dim`` (the last dimension by default)."""
    x = to_tensor(x)
    rank = len(x.shape)
    dim = rank - 1 if unwrap(dim) is None else unwrap(dim)
    if not isinstance(dim, int) or not -rank <= dim < rank:
        raise error(f"kl.flip: dim {dim!r} is out of range for a rank-{rank} block")
    dim %= rank
    size = x.shape[dim]
    steps = size.bit_length() - 1
    if steps == 0:
        return x
    # Reversing an index of 2^steps flips each of its bits: with the block
    # seen as [..., 2, 2, ..., 2, ...], each size-2 axis in turn swaps its
    # pair (a, b) by xoring both with a ^ b.
    if x.dtype.is_ptr():
        raise error("kl.flip of a block of pointers is not supported; flip the offsets")
    as_int = x.dtype.bits > 1
    bits = dt.int_of_width(x.dtype.bits) if as_int else dt.int8
    y = semantic.cast(x, bits, bitcast=as_int)
    y = reshape(y, x.shape[:dim] + [2] * steps + x.shape[dim + 1:])
    for axis in builtins.range(dim, dim + steps):
        y = y ^ xor_sum(y, axis, keep_dims=True)
    y = reshape(y, x.shape)
    return semantic.cast(y, x.dtype, bitcast=as_int)


@builtin
def histogram(input, num_bins, mask=None):
    """Counts (int32, shape [num_bins]) of the values 0 .. num_bins - 1 in the
    1-D block ``input``, leaving out elements where ``mask`` is false (and
    values outside the bins)."""
    x = to_tensor(input)
    num_bins = _constexpr_int(num_bins, "histogram num_bins")
    if len(x.shape) != 1 or not x.dtype.is_int() or x.dtype.is_bool():
        raise error(f"kl.histogram needs a 1-D block of integers, got {x.dtype}{x.shape}")
    if num_bins <= 0 or num_bins & (num_bins - 1):
        raise error(f"kl.histogram: num_bins must be a power of two, got {num_bins}")
    hits = semantic.equal(expand_dims(x, 1), expand_dims(arange(0, num_bins), 0))
    if unwrap(mask) is not None:
        hits = semantic.and_(hits, expand_dims(semantic.to_bool(mask), 1))
    return sum(cast(hits, dt.int32), axis=0)


def _max(a, b):
    from .standard import maximum
    return maximum(a, b)


def _min(a, b):
    from .standard import minimum
    return minimum(a, b)


def _arg_combine(greater: bool, tie_break_left: bool):
    def combine(v1, i1, v2, i2):
        better = semantic.greater(v1, v2) if greater else semantic.less(v1, v2)
        tie = semantic.equal(v1, v2)
        tie = semantic.and_(tie, semantic.less(i1, i2) if tie_break_left else semantic.greater(i1, i2))
        pick = semantic.or_(better, tie)
        return where(pick, v1, v2), where(pick, i1, i2)
    return combine


def _with_indices(x: tensor, axis, greater: bool, tie_break_left: bool, keep_dims):
    if unwrap(axis) is None:
        rank = len(x.shape)
        values, indices = _with_indices(reshape(x, [x.numel]), 0, greater, tie_break_left, False)
        if unwrap(keep_dims):
            values, indices = reshape(values, [1] * rank), reshape(indices, [1] * rank)
        return values, indices
    axis = _axis(axis, len(x.shape), "argmax" if greater else "argmin")
    index = arange(0, x.shape[axis])
    for _ in range(axis):
        index = semantic.expand_dims(index, 0)
    while len(index.shape) < len(x.shape):
        index = semantic.expand_dims(index, len(index.shape))
    index = broadcast_to_shape(index, x.shape)
    kind = ("argmax" if greater else "argmin") if tie_break_left else None
    return reduce((x, index), axis, _arg_combine(greater, tie_break_left), keep_dims, _kind=kind)


def _minmax_input(input, return_indices) -> tensor:
    # As in Triton: bf16 is compared in fp32, and a plain max/min of a type
    # narrower than 32 bits returns fp32 or int32.
    x = to_tensor(input)
    if x.dtype == dt.bfloat16:
        x = cast(x, dt.float32)
    if not unwrap(return_indices) and x.dtype.bits < 32:
        x = cast(x, dt.float32 if x.dtype.is_floating() else dt.int32)
    return x


@builtin
def max(input, axis=None, return_indices=False, return_indices_tie_break_left=True, keep_dims=False):
    x = _minmax_input(input, return_indices)
    if unwrap(return_indices):
        return _with_indices(x, axis, True, unwrap(return_indices_tie_break_left), keep_dims)
    return reduce(x, axis, _max, keep_dims, _kind="max")


@builtin
def min(input, axis=None, return_indices=False, return_indices_tie_break_left=True, keep_dims=False):
    x = _minmax_input(input, return_indices)
    if unwrap(return_indices):
        return _with_indices(x, axis, False, unwrap(return_indices_tie_break_left), keep_dims)
    return reduce(x, axis, _min, keep_dims, _kind="min")


@builtin
def argmax(input, axis, tie_break_left=True, keep_dims=False):
    return _with_indices(to_tensor(input), axis, True, unwrap(tie_break_left), keep_dims)[1]


@builtin
def argmin(input, axis, tie_break_left=True, keep_dims=False):
    return _with_indices(to_tensor(input), axis, False, unwrap(tie_break_left), keep_dims)[1]


@builtin
def associative_scan(input, axis, combine_fn, reverse=False, _kind=None):
    single = not isinstance(unwrap(input), (tuple, list))
    inputs = _inputs(input)
    axis = _axis(axis, len(inputs[0].shape), "associative_scan")
    elems = [x.dtype for x in inputs]
    types = [x.type for x in inputs]
    handles = active_builder().scan([x.handle for x in inputs], axis, bool(unwrap(reverse)),
                                    _region(combine_fn, elems, "associative_scan"), types, _kind)
    results = [tensor(h, t) for h, t in zip(handles, types)]
    return results[0] if single else tuple(results)


@builtin
def cumsum(input, axis=0, reverse=False, dtype=None):
    x = to_tensor(input)
    if x.dtype == dt.bfloat16:  # accumulated in fp32, as in Triton
        x = cast(x, dt.float32)
    x = cast(x, _sum_dtype(x.dtype, dtype))
    return associative_scan(x, axis, _add, reverse, _kind="cumsum")


@builtin
def cumprod(input, axis=0, reverse=False):
    return associative_scan(to_tensor(input), axis, _mul, reverse, _kind="cumprod")


_DOT_INPUTS = ("f32", "f16", "bf16", "i8", "f8E4M3FN", "f8E5M2", "f8E4M3FNUZ", "f8E5M2FNUZ")


_INPUT_PRECISIONS = ("tf32", "tf32x3", "ieee")


def _input_precision(input_precision, allow_tf32) -> str:
    """How f32 operands are multiplied on tensor cores, resolved as Triton
    does: ``input_precision`` if given, else "tf32" unless
    ``allow_tf32=False``. Targets without tensor cores (and the interpreter)
    compute "ieee" whatever it says. (Triton's TRITON_F32_DEFAULT has no
    Kite counterpart: an environment variable read while tracing would be
    missing from the compilation caches' keys.)"""
    if input_precision is not None and allow_tf32 is not None:
        raise error("kl.dot: give input_precision or allow_tf32, not both "
                    f"(got input_precision={input_precision!r}, allow_tf32={allow_tf32!r})")
    if input_precision is None:
        if allow_tf32 is False:
            return "ieee"
        input_precision = "tf32"
    if input_precision not in _INPUT_PRECISIONS:
        raise error(f"kl.dot: input_precision must be one of {', '.join(map(repr, _INPUT_PRECISIONS))}, "
                    f"got {input_precision!r}")
    return input_precision


@builtin
def dot(input, other, acc=None, input_precision=None, allow_tf32=None,
        max_num_imprecise_acc=None, out_dtype=dt.float32, quantize=None):
    """Triton's ``tl.dot``. Kite's ``quantize="fp8"`` (or ``"e5m2"``,
    ``"int8"``) quantizes f16/bf16/f32 tiles on the fly, one scale per row
    of ``input`` and per column of ``other``, and multiplies the 8-bit
    values (kite.language.quantized_dot). The launch option
    ``dot_precision="fp8"`` (etc.) does the same to every f16/bf16 dot into
    f32 that names no ``quantize``."""
    if unwrap(quantize) is not None:
        from .quantized_dot import dot_quantized
        return dot_quantized(input, other, acc, unwrap(quantize), unwrap(out_dtype))
    a, b = to_tensor(input), to_tensor(other)
    from .quantized_dot import dot_quantized, launch_scheme
    scheme = launch_scheme(a, b, unwrap(out_dtype))
    if scheme is not None and (acc is None or unwrap(acc).dtype == dt.float32):
        return dot_quantized(a, b, acc, scheme, unwrap(out_dtype))
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise error(f"kl.dot needs two 2-D blocks, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise error(f"kl.dot: inner dimensions differ: {a.shape} @ {b.shape} "
                    f"({a.shape[1]} != {b.shape[0]})")
    if a.dtype != b.dtype:
        raise error(f"kl.dot: both operands must have the same dtype, got {a.dtype} and {b.dtype}")
    if a.dtype.mlir not in _DOT_INPUTS or a.dtype.is_int_unsigned():
        raise error(f"kl.dot does not support {a.dtype} operands "
                    "(fp32, fp16, bf16, fp8 and int8 are supported)")
    precision = _input_precision(unwrap(input_precision), unwrap(allow_tf32))
    if a.dtype != dt.float32:
        precision = "ieee"  # only f32 products have a choice
    out = unwrap(out_dtype)
    if a.dtype.is_int():
        result = dt.int32
    elif acc is not None and isinstance(unwrap(acc), tensor):
        result = unwrap(acc).dtype
    else:
        result = out
    if a.dtype.is_floating() and result not in (dt.float32, dt.float16):
        raise error(f"kl.dot accumulates in fp32 or fp16, not {result}")
    if result == dt.float16 and a.dtype not in (dt.float16,):
        raise error("kl.dot: an fp16 accumulator needs fp16 operands")
    shape = [a.shape[0], b.shape[1]]
    ty = dt.block_type(result, shape)
    if unwrap(acc) is None:
        c = semantic.constant(0, ty)
    else:
        c = to_tensor(acc)
        if c.shape != shape:
            raise error(f"kl.dot: accumulator of shape {c.shape} does not match the product's {shape}")
        if c.dtype != result:
            raise error(f"kl.dot: accumulator is {c.dtype}, the product of {a.dtype} is {result}")
    return tensor(active_builder().dot(a.handle, b.handle, c.handle, ty, precision), ty)
