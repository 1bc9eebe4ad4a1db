"""Counter-based random numbers: Philox4x32 (Salmon et al., "Parallel random
numbers: as easy as 1, 2, 3", SC'11), with ``triton.language``'s entry points
and the same mapping of ``seed`` and ``offset`` to key and counter, so a
ported kernel draws the same numbers as under Triton (a dropout mask
included).

Every value depends only on (seed, offset): no state, no synchronisation;
each offset gives an independent stream of four 32-bit words."""
from __future__ import annotations

import builtins

from ..frontend.location import error
from . import dtypes as dt
from . import semantic
from .core import builtin, constexpr, unwrap
from .math import cos, log, sin, sqrt, umulhi
from .semantic import to_tensor
from .standard import maximum

N_ROUNDS_DEFAULT = constexpr(10)

# The Weyl sequence that bumps the key, and the round multipliers, of
# Philox4x32 and Philox4x64.
_CONSTANTS = {
    32: (0x9E3779B9, 0xBB67AE85, 0xD2511F53, 0xCD9E8D57),
    64: (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B, 0xD2E7470EE14C6C93, 0xCA5A826395121157),
}


def _rounds(n_rounds) -> int:
    n = unwrap(n_rounds)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise error(f"n_rounds must be a positive integer constant, got {n!r}")
    return n


@builtin
def philox_impl(c0, c1, c2, c3, k0, k1, n_rounds=N_ROUNDS_DEFAULT):
    """``n_rounds`` rounds of Philox on the counter (c0, c1, c2, c3) with the
    key (k0, k1), all uint32 or all uint64; returns the four words."""
    c0, c1, c2, c3 = (to_tensor(c) for c in (c0, c1, c2, c3))
    if c0.dtype not in (dt.uint32, dt.uint64):
        raise error(f"philox_impl needs uint32 or uint64 counters, got {c0.dtype}")
    key_a, key_b, round_a, round_b = _CONSTANTS[c0.dtype.bits]
    k0, k1 = to_tensor(k0), to_tensor(k1)
    for _ in builtins.range(_rounds(n_rounds)):
        old0, old2 = c0, c2
        c0 = umulhi(old2, round_b) ^ c1 ^ k0
        c2 = umulhi(old0, round_a) ^ c3 ^ k1
        c1 = old2 * round_b  # the low halves: unsigned multiplication wraps
        c3 = old0 * round_a
        k0 = k0 + key_a
        k1 = k1 + key_b
    return c0, c1, c2, c3


@builtin
def philox(seed, c0, c1, c2, c3, n_rounds=N_ROUNDS_DEFAULT):
    """Philox of the counter (c0, c1, c2, c3) keyed by ``seed`` (an integer):
    32-bit counters take the seed's low and high words as the key, 64-bit
    ones the whole seed and 0."""
    seed = to_tensor(seed)
    if not seed.dtype.is_int() or seed.dtype.is_bool():
        raise error(f"the seed of a random function must be an integer, got {seed.dtype}")
    seed = semantic.cast(seed, dt.uint64)
    counters = [to_tensor(c) for c in (c0, c1, c2, c3)]
    bits = counters[0].dtype.bits
    if bits not in (32, 64) or not counters[0].dtype.is_int():
        raise error(f"philox counters must be 32- or 64-bit integers, got {counters[0].dtype}")
    if bits == 32:
        word = dt.uint32
        key_hi = semantic.cast((seed >> 32) & 0xFFFFFFFF, word)
        key_lo = semantic.cast(seed & 0xFFFFFFFF, word)
    else:
        word = dt.uint64
        key_hi, key_lo = semantic.constant(0, word), seed
    counters = [semantic.cast(c, word, bitcast=True) for c in counters]
    return philox_impl(*counters, key_lo, key_hi, n_rounds)


def _check_offset(offset, what: str):
    offset = to_tensor(offset)
    if not offset.dtype.is_int() or offset.dtype.is_bool():
        raise error(f"the offsets of {what} must be integers, got {offset.dtype}")
    return offset


@builtin
def randint4x(seed, offset, n_rounds=N_ROUNDS_DEFAULT):
    """Four blocks of random uint32 for each ``offset`` (a block of
    integers): the fastest way to draw several numbers per element."""
    offset = _check_offset(offset, "randint4x")
    low = semantic.cast(offset, dt.uint32)
    zero = low * 0
    high = semantic.cast(offset >> 32, dt.uint32) if offset.dtype.bits > 32 else zero
    return philox(seed, low, high, zero, zero, n_rounds)


@builtin
def randint(seed, offset, n_rounds=N_ROUNDS_DEFAULT):
    """A block of random uint32, one per ``offset``."""
    return randint4x(seed, offset, n_rounds)[0]


@builtin
def uint_to_uniform_float(x):
    """Random 32- or 64-bit integers to float32 uniform in [0, 1], as Triton
    maps them (both signs of the integer folded onto [0, 2^31))."""
    x = to_tensor(x)
    if x.dtype in (dt.uint32, dt.int32):
        x, scale = semantic.cast(x, dt.int32, bitcast=True), 4.6566127342e-10
    elif x.dtype in (dt.uint64, dt.int64):
        x, scale = semantic.cast(x, dt.int64, bitcast=True), 1.0842020432385337e-19
    else:
        raise error(f"uint_to_uniform_float needs 32- or 64-bit integers, got {x.dtype}")
    x = semantic.where(x < 0, -x - 1, x)
    return x * scale


@builtin
def rand(seed, offset, n_rounds=N_ROUNDS_DEFAULT):
    """A block of random float32, uniform in [0, 1), one per ``offset``."""
    return uint_to_uniform_float(randint(seed, offset, n_rounds))


@builtin
def rand4x(seed, offsets, n_rounds=N_ROUNDS_DEFAULT):
    """Four blocks of random float32, uniform in [0, 1), per offset."""
    return tuple(uint_to_uniform_float(i) for i in randint4x(seed, offsets, n_rounds))


@builtin
def pair_uniform_to_normal(u1, u2):
    """Two uniform blocks to two standard normal ones (Box-Muller)."""
    u1 = maximum(1.0e-7, u1)
    theta = 6.283185307179586 * u2
    radius = sqrt(-2.0 * log(u1))
    return radius * cos(theta), radius * sin(theta)


@builtin
def randn(seed, offset, n_rounds=N_ROUNDS_DEFAULT):
    """A block of random float32 from the standard normal distribution."""
    i1, i2, _, _ = randint4x(seed, offset, n_rounds)
    return pair_uniform_to_normal(uint_to_uniform_float(i1), uint_to_uniform_float(i2))[0]


@builtin
def randn4x(seed, offset, n_rounds=N_ROUNDS_DEFAULT):
    """Four blocks of random float32 from the standard normal distribution."""
    u1, u2, u3, u4 = rand4x(seed, offset, n_rounds)
    return pair_uniform_to_normal(u1, u2) + pair_uniform_to_normal(u3, u4)
