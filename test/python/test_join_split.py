"""Numerics of kl.join, kl.split, kl.interleave and kl.cat against numpy.

Runs through the interpreter, and on a compiled backend with
KITE_TEST_DEVICE / KITE_TEST_NUM_WARPS / KITE_TEST_COMPILE_FOR (conftest.py),
as test_ops_numerics.py does. Blocks are non-square and the element types
cover 8, 16 and 32 bits, so the pair dimension is exercised in every layout
the kitegpu stage picks."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import assert_close, run

KL_OF = {np.dtype(np.int8): kl.int8, np.dtype(np.uint8): kl.uint8, np.dtype(np.int32): kl.int32,
         np.dtype(np.float16): kl.float16, np.dtype(np.float32): kl.float32}
DTYPES = [np.float32, np.float16, np.int8, np.int32]
SHAPES = [(64,), (8, 32), (32, 4), (2, 128)]


def _ids(values):
    return [np.dtype(v).name if isinstance(v, type) else "x".join(map(str, v)) for v in values]


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)


@kite.func
def offsets(shape):
    """Row-major offsets of a block of ``shape`` (rank 1 to 3)."""
    if len(shape) == 1:
        return kl.arange(0, shape[0])
    elif len(shape) == 2:
        return kl.arange(0, shape[0])[:, None] * shape[1] + kl.arange(0, shape[1])[None, :]
    else:
        i = kl.arange(0, shape[0])[:, None, None]
        j = kl.arange(0, shape[1])[None, :, None]
        k = kl.arange(0, shape[2])[None, None, :]
        return (i * shape[1] + j) * shape[2] + k


# ------------------------------------------------------------------ join

@kite.kernel
def join_kernel(a_ptr, b_ptr, out_ptr, SHAPE: kl.constexpr, METHOD: kl.constexpr):
    a = kl.load(a_ptr + offsets(SHAPE))
    b = kl.load(b_ptr + offsets(SHAPE))
    if METHOD:
        c = a.join(b)
    else:
        c = kl.join(a, b)
    kl.static_assert(c.shape == list(SHAPE) + [2])
    kl.static_assert(c.dtype == a.dtype)
    kl.store(out_ptr + offsets(c.shape), c)


@pytest.mark.parametrize("dtype", DTYPES, ids=_ids(DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=_ids(SHAPES))
def test_join(shape, dtype):
    a, b = _values(shape, dtype, 1), _values(shape, dtype, 2)
    out = run(join_kernel, (1,), a, b, np.zeros(shape + (2,), dtype), SHAPE=shape, METHOD=False)[2]
    assert_close(out, np.stack([a, b], axis=-1))


def test_join_method():
    a, b = _values((16, 8), np.float32, 3), _values((16, 8), np.float32, 4)
    out = run(join_kernel, (1,), a, b, np.zeros((16, 8, 2), np.float32), SHAPE=(16, 8), METHOD=True)[2]
    assert_close(out, np.stack([a, b], axis=-1))


@kite.kernel
def join_broadcast_kernel(a_ptr, b_ptr, s, out_ptr, M: kl.constexpr, N: kl.constexpr,
                          OP: kl.constexpr):
    a = kl.load(a_ptr + kl.arange(0, M))
    b = kl.load(b_ptr + kl.arange(0, N))
    if OP == "outer":
        c = kl.join(a[:, None], b[None, :])  # [M, N, 2]
    elif OP == "row":
        c = kl.join(a[:, None] * 0 + b[None, :], a[:, None])  # [M, N] with [M, 1]
    elif OP == "runtime_scalar":
        c = kl.join(s, a[:, None] + b[None, :])  # scalar with [M, N]
    else:
        c = kl.join(a[:, None] - b[None, :], 7)  # a Python number takes the block's dtype
    kl.static_assert(c.shape == [M, N, 2])
    kl.store(out_ptr + offsets(c.shape), c)


@pytest.mark.parametrize("op", ["outer", "row", "runtime_scalar", "python_scalar"])
def test_join_broadcasts_its_operands(op):
    m, n = 8, 16
    a = np.arange(m, dtype=np.int32) * 10
    b = np.arange(n, dtype=np.int32) - 5
    s = -3
    col, row = np.broadcast_to(a[:, None], (m, n)), np.broadcast_to(b[None, :], (m, n))
    lhs, rhs = {"outer": (col, row), "row": (row, col),
                "runtime_scalar": (np.full((m, n), s), col + row),
                "python_scalar": (col - row, np.full((m, n), 7))}[op]
    out = run(join_broadcast_kernel, (1,), a, b, s, np.zeros((m, n, 2), np.int32), M=m, N=n, OP=op)[2]
    assert_close(out, np.stack([lhs, rhs], axis=-1).astype(np.int32))


@kite.kernel
def join_scalars_kernel(x_ptr, out_ptr):
    x = kl.load(x_ptr)
    y = kl.load(x_ptr + 1)
    c = kl.join(x * 2, y + 1)
    kl.static_assert(c.shape == [2])
    kl.store(out_ptr + kl.arange(0, 2), c)
    lo, hi = kl.split(c)  # [2] splits into two scalars
    kl.static_assert(lo.shape == [] and hi.shape == [])
    kl.store(out_ptr + 2, hi)
    kl.store(out_ptr + 3, lo)


def test_join_and_split_scalars():
    out = run(join_scalars_kernel, (1,), np.array([5.5, -2.0], np.float32), np.zeros(4, np.float32))[1]
    assert_close(out, np.array([11.0, -1.0, -1.0, 11.0], np.float32))


@kite.kernel
def join_pointers_kernel(a_ptr, b_ptr, out_ptr, N: kl.constexpr):
    r = kl.arange(0, N)
    ptrs = kl.join(a_ptr + r, b_ptr + (N - 1 - r))  # a block of pointers [N, 2]
    kl.store(out_ptr + offsets([N, 2]), kl.load(ptrs))


def test_join_pointers():
    a, b = _values(32, np.float32, 5), _values(32, np.float32, 6)
    out = run(join_pointers_kernel, (1,), a, b, np.zeros((32, 2), np.float32), N=32)[2]
    assert_close(out, np.stack([a, b[::-1]], axis=-1))


@kite.kernel
def join_bool_kernel(a_ptr, out_ptr, N: kl.constexpr):
    a = kl.load(a_ptr + kl.arange(0, N))
    c = kl.join(a > 0, a < -2)
    kl.store(out_ptr + offsets([N, 2]), kl.where(c, 1, 0).to(kl.int8))


def test_join_bool():
    a = np.arange(-8, 8, dtype=np.int32)
    out = run(join_bool_kernel, (1,), a, np.zeros((16, 2), np.int8), N=16)[1]
    assert_close(out, np.stack([a > 0, a < -2], axis=-1).astype(np.int8))


# ------------------------------------------------------------------ split

@kite.kernel
def split_kernel(x_ptr, lo_ptr, hi_ptr, SHAPE: kl.constexpr, METHOD: kl.constexpr):
    # SHAPE ends in 2: a block of pairs loaded straight from memory.
    x = kl.load(x_ptr + offsets(SHAPE))
    if METHOD:
        lo, hi = x.split()
    else:
        lo, hi = kl.split(x)
    kl.static_assert(lo.shape == list(SHAPE)[:-1] and hi.shape == list(SHAPE)[:-1])
    kl.store(lo_ptr + offsets(lo.shape), lo)
    kl.store(hi_ptr + offsets(hi.shape), hi)


SPLIT_SHAPES = [(64, 2), (128, 2), (4, 32, 2), (16, 8, 2)]


@pytest.mark.parametrize("dtype", DTYPES, ids=_ids(DTYPES))
@pytest.mark.parametrize("shape", SPLIT_SHAPES, ids=_ids(SPLIT_SHAPES))
def test_split(shape, dtype):
    x = _values(shape, dtype, 7)
    half = np.zeros(shape[:-1], dtype)
    lo, hi = run(split_kernel, (1,), x, half, half.copy(), SHAPE=shape, METHOD=False)[1:]
    assert_close(lo, x[..., 0])
    assert_close(hi, x[..., 1])


def test_split_method():
    x = _values((32, 2), np.int32, 8)
    half = np.zeros(32, np.int32)
    lo, hi = run(split_kernel, (1,), x, half, half.copy(), SHAPE=(32, 2), METHOD=True)[1:]
    assert_close(lo, x[:, 0])
    assert_close(hi, x[:, 1])


@kite.kernel
def split_join_roundtrip_kernel(x_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr):
    # Pairs loaded as a flat row are split out with a reshape, computed on,
    # and put back: the complex product (re, im) * (0, 1) = (-im, re).
    x = kl.load(x_ptr + offsets([M, 2 * N]))
    re, im = x.reshape(M, N, 2).split()
    y = kl.join(-im, re).reshape(M, 2 * N)
    kl.store(out_ptr + offsets([M, 2 * N]), y)


@pytest.mark.parametrize("m,n", [(4, 64), (32, 8), (1, 128)])
def test_split_after_reshape_and_join_back(m, n):
    x = _values((m, 2 * n), np.float32, 9)
    out = run(split_join_roundtrip_kernel, (1,), x, np.zeros_like(x), M=m, N=n)[1]
    pairs = x.reshape(m, n, 2)
    assert_close(out, np.stack([-pairs[..., 1], pairs[..., 0]], axis=-1).reshape(m, 2 * n))


# ------------------------------------------------------------------ interleave, cat

@kite.kernel
def interleave_kernel(a_ptr, b_ptr, out_ptr, SHAPE: kl.constexpr):
    a = kl.load(a_ptr + offsets(SHAPE))
    b = kl.load(b_ptr + offsets(SHAPE))
    c = kl.interleave(a, b)
    kl.static_assert(c.shape == list(SHAPE)[:-1] + [2 * SHAPE[-1]])
    kl.store(out_ptr + offsets(c.shape), c)


@pytest.mark.parametrize("dtype", DTYPES, ids=_ids(DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=_ids(SHAPES))
def test_interleave(shape, dtype):
    a, b = _values(shape, dtype, 10), _values(shape, dtype, 11)
    out_shape = shape[:-1] + (2 * shape[-1],)
    out = run(interleave_kernel, (1,), a, b, np.zeros(out_shape, dtype), SHAPE=shape)[2]
    assert_close(out, np.stack([a, b], axis=-1).reshape(out_shape))


@kite.kernel
def interleave_scalars_kernel(x_ptr, out_ptr):
    c = kl.interleave(kl.load(x_ptr), kl.load(x_ptr + 1) * 3)
    kl.static_assert(c.shape == [2])
    kl.store(out_ptr + kl.arange(0, 2), c)


def test_interleave_scalars():
    out = run(interleave_scalars_kernel, (1,), np.array([4, 5], np.int32), np.zeros(2, np.int32))[1]
    assert_close(out, np.array([4, 15], np.int32))


@kite.kernel
def cat_kernel(a_ptr, b_ptr, out_ptr, total_ptr, N: kl.constexpr):
    a = kl.load(a_ptr + kl.arange(0, N))
    b = kl.load(b_ptr + kl.arange(0, N))
    c = kl.cat(a, b, can_reorder=True)
    kl.static_assert(c.shape == [2 * N])
    kl.store(out_ptr + kl.arange(0, 2 * N), c)
    kl.store(total_ptr, kl.sum(c, axis=0))


@pytest.mark.parametrize("n", [16, 128, 512])
def test_cat(n):
    a = np.arange(n, dtype=np.int32)
    b = np.arange(n, dtype=np.int32) * -7 - 1
    out, total = run(cat_kernel, (1,), a, b, np.zeros(2 * n, np.int32), np.zeros(1, np.int32), N=n)[2:]
    # Any order is allowed (as in Triton); Kite's documented one is interleave's.
    assert_close(np.sort(out), np.sort(np.concatenate([a, b])))
    assert_close(out, np.stack([a, b], axis=-1).reshape(-1))
    assert_close(total, np.array([a.sum() + b.sum()], np.int32))


# ------------------------------------------------------------------ masked, realistic kernels

@kite.kernel
def masked_interleave_kernel(a_ptr, b_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    a = kl.load(a_ptr + offs, mask=mask, other=0.0)
    b = kl.load(b_ptr + offs, mask=mask, other=0.0)
    out_offs = kl.interleave(2 * offs, 2 * offs + 1)
    kl.store(out_ptr + out_offs, kl.interleave(a, b), mask=kl.interleave(mask, mask))


@pytest.mark.parametrize("n,block", [(100, 64), (37, 16), (300, 128)])
def test_masked_interleave_tail(n, block):
    a, b = _values(n, np.float32, 12), _values(n, np.float32, 13)
    out = run(masked_interleave_kernel, (-(-n // block),), a, b, np.full(2 * n, 99.0, np.float32), n,
              BLOCK=block)[2]
    assert_close(out, np.stack([a, b], axis=-1).reshape(-1))


@kite.kernel
def masked_split_kernel(x_ptr, lo_ptr, hi_ptr, n, BLOCK: kl.constexpr):
    rows = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    pair = kl.arange(0, 2)
    mask = rows[:, None] < n
    x = kl.load(x_ptr + rows[:, None] * 2 + pair[None, :], mask=mask, other=-1)
    lo, hi = kl.split(x)
    kl.store(lo_ptr + rows, lo + hi, mask=rows < n)
    kl.store(hi_ptr + rows, lo - hi, mask=rows < n)


@pytest.mark.parametrize("n,block", [(100, 32), (7, 64)])
def test_masked_split_tail(n, block):
    x = _values((n, 2), np.int32, 14)
    lo, hi = run(masked_split_kernel, (-(-n // block),), x, np.zeros(n, np.int32),
                 np.zeros(n, np.int32), n, BLOCK=block)[1:]
    assert_close(lo, x[:, 0] + x[:, 1])
    assert_close(hi, x[:, 0] - x[:, 1])


@kite.kernel
def dequant_int4_kernel(q_ptr, scale_ptr, out_ptr, M, N_PACKED: kl.constexpr,
                        BLOCK_M: kl.constexpr):
    # Each uint8 holds two signed 4-bit weights, the even column in the low
    # nibble: unpack with shifts and masks, pair them with join, lay the
    # pairs out along the row with reshape, scale per row.
    rows = kl.program_id(0) * BLOCK_M + kl.arange(0, BLOCK_M)
    cols = kl.arange(0, N_PACKED)
    row_mask = rows < M
    q = kl.load(q_ptr + rows[:, None] * N_PACKED + cols[None, :], mask=row_mask[:, None], other=0)
    lo = (q & 0xF).to(kl.int8) - 8
    hi = (q >> 4).to(kl.int8) - 8
    w = kl.join(lo, hi).reshape(BLOCK_M, 2 * N_PACKED)
    scale = kl.load(scale_ptr + rows, mask=row_mask, other=0.0)
    out = w.to(kl.float16) * scale[:, None]
    out_cols = kl.arange(0, 2 * N_PACKED)
    kl.store(out_ptr + rows[:, None] * (2 * N_PACKED) + out_cols[None, :], out,
             mask=row_mask[:, None])


@pytest.mark.parametrize("m,n_packed,block_m", [(20, 32, 8), (64, 16, 32), (5, 64, 16)])
def test_dequant_int4(m, n_packed, block_m):
    rng = np.random.default_rng(15)
    q = rng.integers(0, 256, (m, n_packed), dtype=np.uint8)
    scale = (rng.random(m) + 0.5).astype(np.float16)
    out = run(dequant_int4_kernel, (-(-m // block_m),), q, scale, np.zeros((m, 2 * n_packed), np.float16),
              m, N_PACKED=n_packed, BLOCK_M=block_m)[2]
    nibbles = np.stack([q & 0xF, q >> 4], axis=-1).reshape(m, 2 * n_packed).astype(np.int8) - 8
    expected = (nibbles.astype(np.float16) * scale[:, None]).astype(np.float16)
    assert_close(out, expected)


@kite.kernel
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr, T: kl.constexpr, D: kl.constexpr):
    # Rotary embedding on interleaved pairs (GPT-J style): (x0, x1) rotated
    # by the angle of its position and pair.
    t = kl.arange(0, T)[:, None]
    x = kl.load(x_ptr + t * D + kl.arange(0, D)[None, :])
    x0, x1 = x.reshape(T, D // 2, 2).split()
    angle_offs = t * (D // 2) + kl.arange(0, D // 2)[None, :]
    c = kl.load(cos_ptr + angle_offs)
    s = kl.load(sin_ptr + angle_offs)
    y = kl.interleave(x0 * c - x1 * s, x0 * s + x1 * c)
    kl.store(out_ptr + t * D + kl.arange(0, D)[None, :], y)


def test_rope():
    t, d = 16, 64
    x = _values((t, d), np.float32, 16)
    theta = np.arange(t)[:, None] * (10000.0 ** (-np.arange(d // 2) / (d // 2)))[None, :]
    c, s = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)
    out = run(rope_kernel, (1,), x, c, s, np.zeros_like(x), T=t, D=d)[3]
    x0, x1 = x[:, 0::2], x[:, 1::2]
    assert_close(out, np.stack([x0 * c - x1 * s, x0 * s + x1 * c], axis=-1).reshape(t, d))
