"""``kite.quantization``: quantize a tensor on its device with a Kite kernel,
before launching a quantized GEMM.

``quantize(x, dtype, axis, group_size)`` returns ``(q, scales)`` with
symmetric scales ``amax / qmax`` (1 where a group is all zeros), in the
block-scaled shape ``kl.dequantize`` takes: ``[1, 1]`` per tensor, the
reduced dimension of size 1 per row or column, ``n // group_size`` there for
groups. ``q = x / scale`` is rounded to nearest-even and saturated exactly
as ``kl.quantize`` does; int4 comes back packed two to a byte along
``axis`` (``kl.pack_int4``'s order). NaN and infinities are left out of
``amax`` (an infinite scale would make the whole group's dequantized
values NaN, 0 times infinity); ``kl.quantize`` then saturates an infinity to
the type's end (127 or -128 for int8, +-448 for e4m3) and sends NaN to 0
(integers) or NaN (fp8). The kernels address ``x`` with 32-bit offsets:
tensors of 2**31 elements or more are refused."""
from __future__ import annotations

import numpy as np

from . import language as kl
from .kernel_function import func, kernel
from .language import dtypes as dt
from .tensor import Tensor, empty, from_numpy

# The kernels' element offsets are int32 (rows * row stride + columns).
_MAX_ELEMENTS = 2 ** 31

_QMAX = {"int8": 127.0, "int4": 7.0, "fp8e4m3": 448.0, "fp8e5m2": 57344.0,
         "fp8e4b8": 240.0, "fp8e5b16": 57344.0}


@func
def _finite_abs(x):
    # |x|, with NaN and infinities as 0: they are left out of amax.
    a = kl.abs(x)
    return kl.where(a < float("inf"), a, 0.0)


@kernel
def _partial_amax_kernel(x_ptr, partial_ptr, n, chunk, BLOCK: kl.constexpr):
    # Each program: the finite amax of its chunk of x, into partial[pid].
    # Offsets in int64: the last chunk may reach past 2**31 - 1.
    base = kl.program_id(0).to(kl.int64) * chunk
    acc = kl.zeros((BLOCK,), dtype=kl.float32)
    for start in range(0, chunk, BLOCK):
        offs = base + start + kl.arange(0, BLOCK)
        x = kl.load(x_ptr + offs, mask=offs < n, other=0.0).to(kl.float32)
        acc = kl.maximum(acc, _finite_abs(x))
    kl.store(partial_ptr + kl.program_id(0), kl.max(acc, axis=0))


@kernel
def _amax_kernel(x_ptr, out_ptr, n, qmax, BLOCK: kl.constexpr):
    # One program: the scale of the whole tensor (or of the partial amaxes),
    # amax / qmax (1 for zeros).
    acc = kl.zeros((BLOCK,), dtype=kl.float32)
    for start in range(0, n, BLOCK):
        offs = start + kl.arange(0, BLOCK)
        x = kl.load(x_ptr + offs, mask=offs < n, other=0.0).to(kl.float32)
        acc = kl.maximum(acc, _finite_abs(x))
    scale = kl.max(acc, axis=0) / qmax
    kl.store(out_ptr, kl.where(scale > 0, scale, 1.0))


# The per-tensor amax: up to this many programs, each over at least
# _AMAX_MIN_CHUNK elements, then one program over their results.
_AMAX_PROGRAMS = 1024
_AMAX_BLOCK = 1024
_AMAX_MIN_CHUNK = 4 * _AMAX_BLOCK


def _tensor_scale(x: Tensor, qmax: float, num_warps: int) -> Tensor:
    """``[1] * x.ndim`` f32 on x's device: x's finite amax / qmax (1 for zeros),
    over as many programs as the tensor keeps busy."""
    n = x.numel()
    scales = empty((1,) * x.ndim, dt.float32, x.device)
    programs = min(_AMAX_PROGRAMS, max(1, -(-n // _AMAX_MIN_CHUNK)))
    if programs == 1:
        _amax_kernel[(1,)](x, scales, n, qmax, BLOCK=_AMAX_BLOCK, num_warps=num_warps)
        return scales
    chunk = -(-n // programs)
    chunk = -(-chunk // _AMAX_BLOCK) * _AMAX_BLOCK
    programs = -(-n // chunk)
    partial = empty((programs,), dt.float32, x.device)
    _partial_amax_kernel[(programs,)](x, partial, n, chunk, BLOCK=_AMAX_BLOCK,
                                      num_warps=num_warps)
    _amax_kernel[(1,)](partial, scales, programs, qmax, BLOCK=_AMAX_BLOCK,
                       num_warps=num_warps)
    return scales


@kernel
def _quantize_kernel(x_ptr, q_ptr, s_ptr, R, C, sxr, sxc, sqr, sqc, ssr, ssg, qmax,
                     G: kl.constexpr, BLOCK_R: kl.constexpr, BLOCK_G: kl.constexpr,
                     DTYPE: kl.constexpr, PACK: kl.constexpr, GIVEN_SCALE: kl.constexpr):
    # A [BLOCK_R, G] tile of the [R, C] view whose C axis is reduced: one
    # scale per row of the tile, or the given per-tensor one.
    pr = kl.program_id(0)
    pg = kl.program_id(1)
    rows = pr * BLOCK_R + kl.arange(0, BLOCK_R)
    inner = kl.arange(0, BLOCK_G)
    cols = pg * G + inner
    mask = (rows[:, None] < R) & (inner[None, :] < G) & (cols[None, :] < C)
    x = kl.load(x_ptr + rows[:, None] * sxr + cols[None, :] * sxc, mask=mask, other=0.0)
    x = x.to(kl.float32)
    if GIVEN_SCALE:
        scale = kl.load(s_ptr)
        q = kl.quantize(x, scale, dtype=DTYPE)
    else:
        scale = kl.max(_finite_abs(x), axis=1) / qmax
        scale = kl.where(scale > 0, scale, 1.0)
        kl.store(s_ptr + rows * ssr + pg * ssg, scale, mask=rows < R)
        q = kl.quantize(x, scale[:, None], dtype=DTYPE)
    if PACK:
        packed = kl.pack_int4(q, axis=1)
        half = pg * (G // 2) + kl.arange(0, BLOCK_G // 2)
        pmask = (rows[:, None] < R) & (kl.arange(0, BLOCK_G // 2)[None, :] < G // 2) \
            & (half[None, :] < C // 2)
        kl.store(q_ptr + rows[:, None] * sqr + half[None, :] * sqc, packed, mask=pmask)
    else:
        kl.store(q_ptr + rows[:, None] * sqr + cols[None, :] * sqc, q, mask=mask)


def _target(dtype):
    if isinstance(dtype, str) and dtype in ("int8", "int4"):
        return dtype, dt.int8
    if isinstance(dtype, dt.dtype) and dtype.name in _QMAX:
        return dtype.name, dtype
    raise ValueError(f"kite.quantization.quantize: dtype must be kl.int8 (or 'int8'), 'int4', "
                     f"kl.float8e4nv, kl.float8e5, kl.float8e4b8 or kl.float8e5b16, got {dtype!r}")


def quantize(x, dtype=dt.int8, axis=None, group_size=None, num_warps: int = 4):
    """``(q, scales)`` for a 1-D or 2-D float tensor ``x`` (a ``kite.Tensor``,
    or a numpy array put on the default device).

    - ``axis=None``: one scale (shape ``[1] * x.ndim``);
    - ``axis=a``: one scale per slice along ``a`` (``scales.shape[a] == 1``:
      per row of A with ``axis=1``, per column of W with ``axis=0``);
    - ``group_size=G`` with ``axis``: one per G consecutive elements along
      ``a`` (``scales.shape[a] == x.shape[a] // G``; G a power of two).

    ``dtype`` is kl.int8, ``"int4"`` (packed two to a byte along ``axis``,
    or the last axis per tensor) or an fp8 type."""
    name, stored = _target(dtype)
    if not isinstance(x, Tensor):
        x = from_numpy(np.asarray(x))
    if x.ndim not in (1, 2) or not x.dtype.is_floating() or x.dtype.is_fp8():
        raise ValueError(f"kite.quantization.quantize needs a 1-D or 2-D float32, float16 or "
                         f"bfloat16 tensor, got shape {x.shape} of {x.dtype}")
    if x.numel() >= _MAX_ELEMENTS:
        raise ValueError(f"kite.quantization.quantize indexes with 32-bit offsets: at most "
                         f"2**31 - 1 elements, got shape {x.shape} ({x.numel()} elements)")
    shape = x.shape if x.ndim == 2 else (1,) + x.shape
    view_axis = (1 if x.ndim == 1 else axis) if axis is not None else None
    if axis is not None and not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor of shape {x.shape}")
    if view_axis is not None and x.ndim == 2:
        view_axis %= 2
    if group_size is not None and axis is None:
        raise ValueError("group_size needs an axis to group along")
    reduced = shape[view_axis] if view_axis is not None else shape[1]
    G = int(group_size) if group_size is not None else reduced
    if G <= 0 or reduced % G or (group_size is not None and G & (G - 1)):
        raise ValueError(f"group_size {group_size} must be a power of two dividing "
                         f"{reduced}, the size of axis {axis}")
    pack = name == "int4"
    pack_axis = view_axis if view_axis is not None else 1
    if pack and (shape[pack_axis] % 2 or G % 2):
        raise ValueError(f"int4 packs pairs along axis {pack_axis}: its size {shape[pack_axis]} "
                         f"and the group size must be even")
    qmax = _QMAX[name]
    # The [R, C] view with the reduced axis C (rows of x for axis 1 or None).
    R, C = (shape[1], shape[0]) if view_axis == 0 else (shape[0], shape[1])
    sx = (1, shape[1]) if view_axis == 0 else (shape[1], 1)
    q_shape = list(shape)
    if pack:
        q_shape[pack_axis] //= 2
    q = empty(tuple(q_shape) if x.ndim == 2 else tuple(q_shape[1:]), stored, x.device)
    sq = (1, q_shape[1]) if view_axis == 0 else (q_shape[1], 1)
    meta = dict(DTYPE=stored if not pack else "int4", PACK=pack, num_warps=num_warps)
    if view_axis is None:
        scales = _tensor_scale(x, qmax, num_warps)
        # Tiles of one row and up to 1024 columns, all with the one scale.
        tile = min(1024, max(2, 1 << (C - 1).bit_length()))
        _quantize_kernel[(R, (C + tile - 1) // tile)](x, q, scales, R, C, *sx, *sq, 0, 0, qmax,
                                                      G=tile, BLOCK_R=1, BLOCK_G=tile,
                                                      GIVEN_SCALE=True, **meta)
        return q, scales
    groups = C // G
    scale_shape = [1, 1]
    scale_shape[view_axis], scale_shape[1 - view_axis] = groups, R
    scales = empty(tuple(scale_shape) if x.ndim == 2 else (groups,), dt.float32, x.device)
    ss = (1, scale_shape[1]) if view_axis == 0 else (scale_shape[1], 1)
    BLOCK_R = 4
    grid = ((R + BLOCK_R - 1) // BLOCK_R, groups)
    _quantize_kernel[grid](x, q, scales, R, C, *sx, *sq, *ss, qmax,
                           G=G, BLOCK_R=BLOCK_R, BLOCK_G=max(2, 1 << (G - 1).bit_length()),
                           GIVEN_SCALE=False, **meta)
    return q, scales
