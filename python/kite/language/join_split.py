"""kite.language: join, split, interleave and cat, with Triton 3.6's semantics.

``join`` pairs two blocks along a new, minor dimension of size 2 and ``split``
takes such a block apart; at the kitegpu level that dimension lives inside
each thread, so both are register moves. ``interleave`` and ``cat`` are
built from them."""
from __future__ import annotations

from ..frontend.location import error
from . import dtypes as dt
from .core import Undefined, active_builder, builtin, tensor, unwrap
from .semantic import _is_py_scalar, _weak_type, broadcast_shapes, broadcast_to_shape, to_tensor
from .standard import reshape


def _same_dtype(a, b, what: str):
    """``a`` and ``b`` as tensors of one dtype. As in Triton there is no
    promotion between two tensors; a Python number takes the other
    operand's dtype (as in ``x + 1``)."""
    a, b = unwrap(a), unwrap(b)
    for v in (a, b):
        if isinstance(v, Undefined):
            v.fail()
    if isinstance(a, tensor) and _is_py_scalar(b):
        b = to_tensor(b, _weak_type(b, a.dtype))
    elif isinstance(b, tensor) and _is_py_scalar(a):
        a = to_tensor(a, _weak_type(a, b.dtype))
    a, b = to_tensor(a), to_tensor(b)
    if a.dtype != b.dtype:
        raise error(f"kl.{what} needs operands of the same dtype, got {a.dtype} and {b.dtype}; "
                    f"convert one first with .to()")
    return a, b


@builtin
def join(a, b):
    """A block of shape ``S + [2]`` with ``[..., 0] = a`` and ``[..., 1] = b``,
    after broadcasting ``a`` and ``b`` to one shape ``S``. Two scalars give
    a block of shape ``[2]``."""
    a, b = _same_dtype(a, b, "join")
    shape = broadcast_shapes(a.shape, b.shape, "kl.join")
    a, b = broadcast_to_shape(a, shape), broadcast_to_shape(b, shape)
    ty = dt.block_type(a.dtype, shape + [2])
    return tensor(active_builder().join(a.handle, b.handle, ty), ty)


@builtin
def split(a):
    """``(a[..., 0], a[..., 1])`` for a block whose last dimension is 2; a
    block of shape ``[2]`` gives two scalars. The inverse of ``join``."""
    a = to_tensor(a)
    if not a.shape or a.shape[-1] != 2:
        what = "a scalar" if not a.shape else f"a block of shape {a.shape}"
        raise error(f"kl.split needs a block whose last dimension is 2, got {what}")
    ty = dt.to_block(a.dtype, a.shape[:-1])
    lhs, rhs = active_builder().split(a.handle, ty)
    return tensor(lhs, ty), tensor(rhs, ty)


@builtin
def interleave(a, b):
    """``a`` and ``b`` interleaved along their last dimension:
    ``join(a, b).reshape(S[:-1] + [2 * S[-1]])``; two scalars give ``[a, b]``."""
    joined = join(a, b)
    if len(joined.shape) == 1:
        return joined
    return reshape(joined, joined.shape[:-2] + [2 * joined.shape[-2]])


@builtin
def cat(input, other, can_reorder=False):
    """Both 1-D blocks in one block of twice the size. As in Triton only
    ``can_reorder=True`` is supported: the result holds the elements of both
    in an order of the compiler's choosing. Kite's order is ``interleave``'s
    (``result[2 * i] = input[i]``, ``result[2 * i + 1] = other[i]``) on every
    backend and in the interpreter, because that needs no data movement
    between threads; code that depends on it does not port to Triton."""
    if not unwrap(can_reorder):
        raise error("kl.cat(..., can_reorder=False) is not supported: the current "
                    "implementation of `cat` always may reorder elements; pass "
                    "can_reorder=True")
    input, other = to_tensor(input), to_tensor(other)
    if len(input.shape) != 1 or input.shape != other.shape:
        raise error(f"kl.cat needs two 1-D blocks of the same shape, got shapes "
                    f"{input.shape} and {other.shape}")
    input, other = _same_dtype(input, other, "cat")
    return interleave(input, other)
