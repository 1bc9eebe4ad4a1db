"""kite.language: quantize, dequantize, and int4 packing.

``quantize``/``dequantize`` are ops of the kite dialect (``kite.quantize``,
``kite.dequantize``), so that compiler passes see them next to a ``dot``.
Their scales are *block scaled*: a scalar, or a block of the data's rank
whose every dimension divides the data's. Element ``(i, j)`` of a
``[M, N]`` block uses ``scale[i // (M // S0), j // (N // S1)]``, so
``[1, 1]`` is per tensor, ``[M, 1]`` per row, ``[1, N]`` per column and
``[M, K // G]`` per group of ``G`` along ``K``. Zero points, where given,
have the scale's shape and hold integers."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import active_builder, builtin, describe, tensor, unwrap
from .join_split import join, split
from .semantic import cast, permute, to_tensor
from .standard import _constexpr_int, reshape

# The integer targets of quantize and the values each may hold.
_INT_RANGES = {"int8": (dt.int8, -128, 127), "uint8": (dt.uint8, 0, 255),
               "int4": (dt.int8, -8, 7), "uint4": (dt.uint8, 0, 15),
               "int16": (dt.int16, -32768, 32767), "uint16": (dt.uint16, 0, 65535)}


def _scale_operand(scale, data: tensor, what: str) -> tensor:
    scale = unwrap(scale)
    if isinstance(scale, (int, float)) and not isinstance(scale, bool):
        scale = to_tensor(float(scale), dt.float32)
    scale = to_tensor(scale)
    if scale.dtype not in (dt.float32, dt.float16, dt.bfloat16):
        raise error(f"{what}: the scale must hold float32, float16 or bfloat16, got {scale.dtype}")
    _check_block_scaled(scale, data, f"{what}: the scale")
    return scale


def _check_block_scaled(part: tensor, data: tensor, what: str):
    if not part.shape:
        return
    if len(part.shape) != len(data.shape):
        raise error(f"{what} must be a scalar or have the data's rank ({len(data.shape)}), "
                    f"got {describe(part)} for data of shape {data.shape}")
    for d, (whole, piece) in enumerate(zip(data.shape, part.shape)):
        if whole % piece:
            raise error(f"{what}'s dimension {d} ({piece}) does not divide the data's "
                        f"({whole}): shape {part.shape} for data of shape {data.shape}")


def _zero_point_operand(zero_point, scale: tensor, what: str):
    zero_point = unwrap(zero_point)
    if zero_point is None:
        return None
    zero_point = to_tensor(zero_point, dt.int32) if isinstance(zero_point, int) else to_tensor(zero_point)
    if not zero_point.dtype.is_int() or zero_point.dtype.is_bool():
        raise error(f"{what}: the zero point must hold integers, got {zero_point.dtype}")
    if zero_point.shape != scale.shape:
        raise error(f"{what}: the zero point must have the scale's shape {scale.shape}, "
                    f"got {describe(zero_point)}")
    return cast(zero_point, dt.int32)


def _target(dtype):
    dtype = unwrap(dtype)
    if isinstance(dtype, str) and dtype in _INT_RANGES:
        return _INT_RANGES[dtype]
    if isinstance(dtype, dt.dtype):
        if dtype.name in _INT_RANGES:
            return _INT_RANGES[dtype.name]
        if dtype.is_fp8() and dtype.mlir != "f8E8M0FNU":
            return dtype, None, None
    names = ", ".join(f'"{n}"' for n in _INT_RANGES if "4" in n)
    raise error(f"kl.quantize: dtype must be kl.int8, kl.uint8, kl.int16, kl.uint16, {names} "
                f"(4-bit values in 8-bit integers, for kl.pack_int4) or an fp8 type, got {dtype!r}")


@builtin
def quantize(x, scale, zero_point=None, dtype=dt.int8):
    """``x / scale + zero_point`` in ``dtype``, computed in float32.

    To integers: rounded to nearest (halves to even), saturated to the
    type's range (``"int4"``/``"uint4"`` give 4-bit values in int8/uint8,
    ready for ``kl.pack_int4``); NaN becomes the zero point. To fp8:
    saturated to the largest finite value, NaN stays NaN, rounded to
    nearest-even; fp8 takes no zero point."""
    x = to_tensor(x)
    if not x.shape or not x.dtype.is_floating():
        raise error(f"kl.quantize needs a block of floats, got {describe(x)} of {x.dtype}")
    scale = _scale_operand(scale, x, "kl.quantize")
    result, lo, hi = _target(dtype)
    zero_point = _zero_point_operand(zero_point, scale, "kl.quantize")
    if zero_point is not None and lo is None:
        raise error(f"kl.quantize to {result} takes no zero point")
    ty = dt.block_type(result, x.shape)
    handle = active_builder().quantize(x.handle, scale.handle,
                                       None if zero_point is None else zero_point.handle, lo, hi, ty)
    return tensor(handle, ty)


@builtin
def dequantize(q, scale, zero_point=None):
    """``(q - zero_point) * scale``, computed in float32 and rounded to the
    scale's dtype (float32 for a Python number): once for 8-bit and 4-bit
    integers and fp8, whose float32 products are exact. ``q`` holds integers
    (unsigned ones read as such) or fp8."""
    q = to_tensor(q)
    if not q.shape or q.dtype.is_bool() or q.dtype.is_ptr() or q.dtype.bits > 32:
        raise error(f"kl.dequantize needs a block of integers or floats up to 32 bits, "
                    f"got {describe(q)} of {q.dtype}")
    scale = _scale_operand(scale, q, "kl.dequantize")
    zero_point = _zero_point_operand(zero_point, scale, "kl.dequantize")
    if zero_point is not None and q.dtype.is_floating():
        raise error(f"kl.dequantize of {q.dtype} takes no zero point")
    ty = dt.block_type(scale.dtype, q.shape)
    handle = active_builder().dequantize(q.handle, scale.handle,
                                         None if zero_point is None else zero_point.handle,
                                         q.dtype.is_int_unsigned(), ty)
    return tensor(handle, ty)


def _axis(x: tensor, axis, what: str) -> int:
    axis = _constexpr_int(axis, f"{what} axis")
    if not -len(x.shape) <= axis < len(x.shape):
        raise error(f"{what}: axis {axis} is out of range for a block of shape {x.shape}")
    return axis % len(x.shape)


def _to_last(x: tensor, axis: int):
    order = [d for d in range(len(x.shape)) if d != axis] + [axis]
    inverse = [order.index(d) for d in range(len(order))]
    return permute(x, order), inverse


@builtin
def pack_int4(q, axis=-1):
    """4-bit values (int8 or uint8 holding -8..7 or 0..15) packed two to a
    byte along ``axis``: element ``2i`` in the low nibble, ``2i + 1`` in the
    high one. The result has half as many elements along ``axis``."""
    q = to_tensor(q)
    if not q.shape or q.dtype not in (dt.int8, dt.uint8):
        raise error(f"kl.pack_int4 needs a block of int8 or uint8, got {describe(q)} of {q.dtype}")
    axis = _axis(q, axis, "kl.pack_int4")
    if q.shape[axis] % 2:
        raise error(f"kl.pack_int4: dimension {axis} ({q.shape[axis]}) must be even")
    last, inverse = _to_last(q, axis)
    pairs = reshape(last, last.shape[:-1] + [last.shape[-1] // 2, 2])
    low, high = split(pairs)
    packed = (low & 0xF) | (high << 4)
    return permute(packed, inverse)


@builtin
def unpack_int4(packed, axis=-1, signed=True):
    """The inverse of ``pack_int4``: each byte becomes two 4-bit values along
    ``axis`` (low nibble first), sign-extended into int8 (``signed``) or
    zero-extended into uint8."""
    packed = to_tensor(packed)
    if not packed.shape or packed.dtype not in (dt.int8, dt.uint8):
        raise error(f"kl.unpack_int4 needs a block of int8 or uint8, got "
                    f"{describe(packed)} of {packed.dtype}")
    axis = _axis(packed, axis, "kl.unpack_int4")
    signed = bool(unwrap(signed))
    p = cast(packed, dt.int8 if signed else dt.uint8, bitcast=True)
    if signed:  # arithmetic shifts of int8 sign-extend each nibble
        low, high = (p << 4) >> 4, p >> 4
    else:
        low, high = p & 0xF, p >> 4
    return interleave_nibbles(low, high, axis)


def interleave_nibbles(low: tensor, high: tensor, axis: int) -> tensor:
    """Values of the low and high nibbles of a packed block (same shape),
    as one block twice as long along ``axis``: ``low[i]`` at ``2i``,
    ``high[i]`` at ``2i + 1``."""
    # [..., n, ..., 2] -> [others..., n, 2] -> [others..., 2n] -> back in place
    rank = len(low.shape)
    order = [d for d in range(rank) if d != axis] + [axis, rank]
    pairs = permute(join(low, high), order)
    values = reshape(pairs, pairs.shape[:-2] + [2 * pairs.shape[-2]])
    back = list(range(rank - 1))
    back.insert(axis, rank - 1)
    return permute(values, back)
