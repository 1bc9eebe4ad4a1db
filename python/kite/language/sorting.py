"""``kl.sort``, ``kl.topk`` and ``kl.bitonic_merge`` along the last dimension,
as in ``triton.language``: bitonic networks written with Kite's own ops.

A block of 2^m elements is viewed as an m-dimensional hypercube of side 2
(``reshape``); the partner of an element across bit i is found by xoring
the pair's bit patterns with their xor-sum along that axis, which swaps
them, so every compare-and-swap step is element-wise work plus a
reduction over a size-2 axis, in whatever layout the block has."""
from __future__ import annotations

import builtins

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import builtin, unwrap
from .reduction import max as _max
from .reduction import min as _min
from .reduction import xor_sum
from .semantic import to_tensor
from .standard import arange, reshape



def _log2(n: int) -> int:
    return n.bit_length() - 1


def _indicator(n_dims: int, bit: int):
    """0/1 by bit ``bit`` of the element index, shaped to broadcast over an
    n_dims hypercube (axis n_dims - 1 - bit holds the bit)."""
    return reshape(arange(0, 2), [1] * (n_dims - bit - 1) + [2] + [1] * bit)


def _partner(h, axis: int):
    """Each element's partner across ``axis`` (a size-2 axis), bit for bit."""
    bits = semantic.cast(h, dt.int_of_width(h.dtype.bits), bitcast=True)
    swapped = bits ^ xor_sum(bits, axis, keep_dims=True)
    return semantic.cast(swapped, h.dtype, bitcast=True)


def _compare_and_swap(h, flip, bit: int):
    """One step of a bitonic network over bit ``bit``: the smaller of each
    pair goes to the side given by ``flip`` (0: the lower index)."""
    n_dims = len(h.shape)
    other = _partner(h, n_dims - 1 - bit)
    upper = _indicator(n_dims, bit)
    take_other = semantic.not_equal(semantic.greater(h, other),
                                    semantic.not_equal(semantic.xor_(flip, upper), 0))
    return semantic.where(take_other, other, h)


def _merge(h, stage: int, order):
    """Bitonic merge of the runs of 2^stage: ascending (order 0), descending
    (1), or alternating by run (2), as the sorting network needs."""
    flip = _indicator(len(h.shape), stage) if order == 2 else semantic.constant(order, dt.int32)
    for bit in builtins.range(stage - 1, -1, -1):
        h = _compare_and_swap(h, flip, bit)
    return h


def _check(x, dim, what: str):
    x = to_tensor(x)
    rank = len(x.shape)
    if rank == 0:
        raise error(f"kl.{what} needs a block, got a scalar")
    dim = rank - 1 if unwrap(dim) is None else unwrap(dim)
    if dim not in (rank - 1, -1):
        raise error(f"kl.{what} works along the last dimension only (as in Triton); got dim "
                    f"{dim} of a rank-{rank} block: kl.permute it first")
    if x.dtype.is_ptr() or x.dtype.bits not in (8, 16, 32, 64):
        raise error(f"kl.{what} needs numbers of 8 to 64 bits, got {x.dtype}")
    return x


def _sort(x, k, descending: bool, what: str):
    n = x.shape[-1]
    log_n = _log2(n)
    log_k = log_n if k is None else _log2(k)
    n_dims = _log2(x.numel)
    if n == 1:
        return x
    h = reshape(x, [2] * n_dims)
    for stage in builtins.range(1, log_k + 1):
        h = _merge(h, stage, 2 if stage < log_n else int(descending))
    # top-k: fold pairs of sorted runs of k (one ascending, one descending)
    # with max or min, which keeps the k best of both as a bitonic run.
    for stage in builtins.range(log_k + 1, log_n + 1):
        axis = len(h.shape) - 1 - log_k
        h = _max(h, axis) if descending else _min(h, axis)
        h = _merge(h, log_k, 2 if stage < log_n else int(descending))
    return reshape(h, x.shape[:-1] + [2 ** log_k])


@builtin
def sort(x, dim=None, descending=False):
    """x sorted along its last dimension (ascending unless ``descending``)."""
    x = _check(x, dim, "sort")
    return _sort(x, None, bool(unwrap(descending)), "sort")


@builtin
def topk(x, k, dim=None):
    """The ``k`` largest elements along the last dimension, in descending
    order (shape: x's with the last dimension k)."""
    x = _check(x, dim, "topk")
    k = unwrap(k)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k & (k - 1) or \
            k > x.shape[-1]:
        raise error(f"kl.topk: k must be a power of two constant of at most {x.shape[-1]}, "
                    f"got {k!r}")
    return _sort(x, k, True, "topk")


@builtin
def bitonic_merge(x, dim=None, descending=False):
    """Sorts rows of x that are bitonic (rise then fall, or fall then rise)."""
    x = _check(x, dim, "bitonic_merge")
    n_dims = _log2(x.numel)
    if x.shape[-1] == 1:
        return x
    h = reshape(x, [2] * n_dims)
    h = _merge(h, _log2(x.shape[-1]), int(bool(unwrap(descending))))
    return reshape(h, x.shape)
