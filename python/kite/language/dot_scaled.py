"""kite.language: ``dot_scaled``, Triton's microscaled (MX) matrix product.

Operands come in one of Triton's formats: ``"e2m1"`` (fp4, two to a byte,
the first element in the low nibble), ``"e4m3"``, ``"e5m2"`` (fp8, as fp8
blocks or their uint8 bits), ``"bf16"``, ``"fp16"``; each may carry e8m0
scales (uint8 exponents, ``2^(s - 127)``, 255 is NaN), one per 32 elements
of K: ``lhs_scale`` is ``[M, K / 32]``, ``rhs_scale`` ``[N, K / 32]``.

No target here has an MX instruction, so Kite does what Triton does on
such targets: it upcasts in registers (decode, times the scale, which is
exact in bf16 for the fp4 and fp8 formats) and runs the ordinary dot, on
tensor cores where the target has them. An fp16 operand makes the dot f32
("ieee"), since bf16 would drop its low mantissa bits."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import active_builder, builtin, describe, tensor, unwrap
from .quantization import dequantize, interleave_nibbles
from .semantic import cast, permute, to_tensor
from .standard import where

_FORMATS = ("e2m1", "e4m3", "e5m2", "bf16", "fp16")
_FP8 = {"e4m3": dt.float8e4nv, "e5m2": dt.float8e5}
_GROUP = 32


def _decode_e2m1(packed: tensor, axis: int) -> tensor:
    """fp4 codes packed two to a byte along ``axis`` (the first in the low
    nibble) as float32, twice as long along ``axis``: sign, 2 exponent bits
    (bias 1), 1 mantissa bit; exponent 0 is 0 or the subnormal 0.5. One
    ``kite.fp4_to_fp`` per nibble, which the tensor-core lowering decodes
    two to a bf16x2 word."""
    b = active_builder()
    ty = dt.block_type(dt.float32, packed.shape)
    low, high = (tensor(b.fp4_to_fp(packed.handle, nibble, ty), ty) for nibble in (0, 1))
    return interleave_nibbles(low, high, axis)


def _decode_e8m0(scale: tensor) -> tensor:
    """uint8 exponents as float32 2^(s - 127): 0 is 2^-127 (subnormal), 255
    is NaN."""
    s = cast(cast(scale, dt.uint8, bitcast=True), dt.int32)
    bits = where(s == 0, 0x00400000, where(s == 255, 0x7FC00000, s << 23))
    return cast(bits, dt.float32, bitcast=True)


def _operand(x, scale, fmt, k_pack: bool, side: str, dtype) -> tensor:
    """The operand with its scales applied, K along axis 1 for the lhs and
    axis 0 for the rhs: float32, or bfloat16 where ``dtype`` says so (the
    scales are powers of two, so that bf16's one rounding of the product is
    the dot's rounding of the f32 product)."""
    x = to_tensor(x)
    fmt = unwrap(fmt)
    if fmt not in _FORMATS:
        raise error(f"kl.dot_scaled: {side}_format must be one of "
                    f"{', '.join(map(repr, _FORMATS))}, got {fmt!r}")
    if len(x.shape) != 2:
        raise error(f"kl.dot_scaled needs a 2-D {side}, got {describe(x, with_dtype=True)}")
    k_axis = 1 if side == "lhs" else 0
    if fmt == "e2m1":
        if x.dtype not in (dt.uint8, dt.int8):
            raise error(f"kl.dot_scaled: an e2m1 {side} holds two fp4 values per uint8, "
                        f"got {describe(x, with_dtype=True)}")
        value = _decode_e2m1(cast(x, dt.uint8, bitcast=True), k_axis if k_pack else 1 - k_axis)
    elif fmt in _FP8:
        if x.dtype in (dt.uint8, dt.int8):
            x = cast(x, _FP8[fmt], bitcast=True)
        if x.dtype != _FP8[fmt]:
            raise error(f"kl.dot_scaled: an {fmt} {side} holds {_FP8[fmt]} or its uint8 bits, "
                        f"got {describe(x, with_dtype=True)}")
        value = cast(x, dt.float32)
    else:
        want = dt.bfloat16 if fmt == "bf16" else dt.float16
        if x.dtype != want:
            raise error(f"kl.dot_scaled: a {fmt} {side} holds {want}, "
                        f"got {describe(x, with_dtype=True)}")
        value = cast(x, dt.float32)
    scale = unwrap(scale)
    if scale is None:
        return cast(value, dtype)
    scale = to_tensor(scale)
    K = value.shape[k_axis]
    rows = value.shape[1 - k_axis]
    if scale.dtype not in (dt.uint8, dt.int8) or scale.shape != [rows, K // _GROUP] \
            or K % _GROUP:
        raise error(f"kl.dot_scaled: {side}_scale must be uint8 e8m0 exponents of shape "
                    f"[{rows}, {K} / {_GROUP}] (one per {_GROUP} elements of K), got "
                    f"{describe(scale, with_dtype=True)}")
    # A bf16 scale lets the tensor-core lowering multiply e2m1 values two at
    # a time in bf16x2; fp8 values are multiplied in f32 and rounded two at
    # a time, where a bf16 scale would only add its conversions.
    scale = _decode_e8m0(scale)
    if fmt == "e2m1":
        scale = cast(scale, dtype)
    if side == "rhs":
        scale = permute(scale, [1, 0])
    return cast(dequantize(value, scale), dtype)


@builtin
def dot_scaled(lhs, lhs_scale, lhs_format, rhs, rhs_scale, rhs_format, acc=None,
               fast_math=False, lhs_k_pack=True, rhs_k_pack=True, out_dtype=dt.float32):
    """``(lhs * 2^(lhs_scale - 127)) @ (rhs * 2^(rhs_scale - 127)) + acc``,
    the scales repeated over groups of 32 along K; Triton's ``tl.dot_scaled``.
    ``fast_math`` is accepted and changes nothing (a scale of 255 always
    gives NaN)."""
    from .reduction import dot
    if unwrap(out_dtype) not in (None, dt.float32):
        raise error(f"kl.dot_scaled accumulates in float32, not {unwrap(out_dtype)}")
    # An fp16 operand makes the dot f32 ("ieee"); else bf16.
    ieee = "fp16" in (unwrap(lhs_format), unwrap(rhs_format))
    dtype = dt.float32 if ieee else dt.bfloat16
    a = _operand(lhs, lhs_scale, lhs_format, bool(unwrap(lhs_k_pack)), "lhs", dtype)
    b = _operand(rhs, rhs_scale, rhs_format, bool(unwrap(rhs_k_pack)), "rhs", dtype)
    if a.shape[1] != b.shape[0]:
        raise error(f"kl.dot_scaled: the lhs has K = {a.shape[1]} and the rhs K = {b.shape[0]} "
                    f"(an e2m1 operand packs two values per byte along K)")
    if ieee:
        return dot(a, b, acc, input_precision="ieee")
    return dot(a, b, acc)
