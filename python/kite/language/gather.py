"""kite.language: gather, with Triton 3.6's semantics and a defined answer
for out-of-range indices.

``gather(src, index, axis)`` reads ``src`` along ``axis`` at the positions
``index`` holds. Triton leaves indices outside ``[0, N)`` undefined (``N`` is
``src.shape[axis]``); Kite takes them modulo ``N`` (floored, as Python's
``%``), so ``-1`` is the last element as in numpy. ``N`` is a power of two,
so the compiled kernels spend one ``and`` on it; the interpreter does the
same arithmetic."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import active_builder, builtin, describe, tensor
from .semantic import cast, to_tensor
from .standard import _constexpr_int


@builtin
def gather(src, index, axis):
    """The block of ``index``'s shape and ``src``'s dtype with
    ``result[..., i, ...] = src[..., index[..., i, ...] mod N, ...]`` along
    ``axis`` (``N = src.shape[axis]``). ``src`` and ``index`` have one rank
    and agree in every dimension but ``axis``; ``index`` holds integers."""
    src, index = to_tensor(src), to_tensor(index)
    if not src.shape or not index.shape:
        raise error(f"kl.gather needs blocks, got {describe(src)} as src and "
                    f"{describe(index)} as index")
    if not index.dtype.is_int() or index.dtype.is_bool():
        raise error(f"kl.gather needs an integer index, got {index.dtype}; "
                    f"convert it first with .to(kl.int32)")
    rank = len(src.shape)
    if len(index.shape) != rank:
        raise error(f"kl.gather needs src and index of the same rank, got shapes "
                    f"{src.shape} and {index.shape}")
    axis = _constexpr_int(axis, "kl.gather axis")
    if not -rank <= axis < rank:
        raise error(f"kl.gather: axis {axis} is out of range for blocks of rank {rank}")
    axis %= rank
    for d in range(rank):
        if d != axis and src.shape[d] != index.shape[d]:
            raise error(f"kl.gather: index shape {index.shape} differs from src shape "
                        f"{src.shape} in dimension {d}, which is not the axis ({axis})")
    # The op reads its index as signed: an unsigned index narrower than 32
    # bits is widened first, so that 255 stays 255 along an axis of 512.
    if index.dtype.is_int_unsigned() and index.dtype.primitive_bitwidth < 32:
        index = cast(index, dt.int32)
    ty = dt.block_type(src.dtype, index.shape)
    return tensor(active_builder().gather(src.handle, index.handle, axis, ty), ty)
