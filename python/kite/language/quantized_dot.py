"""kite.language: ``kl.dot(a, b, acc, quantize="fp8")``, a dot whose tiles
are quantized on the fly (Kite's; Triton has no such argument)."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import tensor
from .quantization import dequantize, quantize
from .semantic import cast, expand_dims, to_tensor
from .standard import abs as _abs, where


_ON_THE_FLY = {"fp8": (dt.float8e4nv, 448.0), "e4m3": (dt.float8e4nv, 448.0),
               "e5m2": (dt.float8e5, 57344.0), "int8": (dt.int8, 127.0)}
#: The schemes of ``quantize=`` and of the ``dot_precision`` launch option.
SCHEMES = tuple(_ON_THE_FLY)


def launch_scheme(a: tensor, b: tensor, out_dtype):
    """The ``dot_precision`` launch option's scheme for a ``kl.dot`` without
    ``quantize=``: the one the kernel is compiled (or interpreted) with, for
    a dot of two f16 or two bf16 blocks into f32; None for any other dot."""
    from .core import active_builder
    scheme = getattr(active_builder(), "dot_precision", None)
    if scheme is None or out_dtype not in (None, dt.float32):
        return None
    if a.dtype != b.dtype or a.dtype not in (dt.float16, dt.bfloat16):
        return None
    return scheme


def _tile_scale(x: tensor, axis: int, qmax: float) -> tensor:
    """amax / qmax along ``axis`` kept as a size-1 dimension (1 where the
    row or column is all zeros)."""
    from .reduction import max as _max
    from .semantic import expand_dims
    amax = _max(_abs(x), axis=axis)
    scale = amax / qmax
    return expand_dims(where(scale > 0, scale, 1.0), axis)


def dot_quantized(a, b, acc, scheme: str, out_dtype) -> tensor:
    """``kl.dot(a, b, acc, quantize=...)``: each tile of ``a`` is quantized
    with one scale per row (amax / qmax), each of ``b`` with one per column,
    and ``dot(dequantize(qa, sa), dequantize(qb, sb), acc)`` is what
    kite-quantize-dot turns into an 8-bit dot and one rescale per tile."""
    from .reduction import dot
    if scheme not in _ON_THE_FLY:
        raise error(f"kl.dot: quantize must be one of {', '.join(map(repr, _ON_THE_FLY))}, "
                    f"got {scheme!r}")
    a, b = to_tensor(a), to_tensor(b)
    for x in (a, b):
        if x.dtype not in (dt.float16, dt.bfloat16, dt.float32):
            raise error(f"kl.dot(..., quantize={scheme!r}) needs float16, bfloat16 or float32 "
                        f"operands, got {x.dtype}")
    if out_dtype not in (None, dt.float32):
        raise error("kl.dot(..., quantize=...) accumulates in float32")
    target, qmax = _ON_THE_FLY[scheme]
    a, b = cast(a, dt.float32), cast(b, dt.float32)
    sa, sb = _tile_scale(a, 1, qmax), _tile_scale(b, 0, qmax)
    da = dequantize(quantize(a, sa, dtype=target), sa)
    db = dequantize(quantize(b, sb, dtype=target), sb)
    return dot(da, db, acc, input_precision="ieee")
