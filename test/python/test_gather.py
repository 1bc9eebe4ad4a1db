"""Numerics of kl.gather (and tensor.gather) against numpy.

Runs through the interpreter, and on a compiled backend with
KITE_TEST_DEVICE / KITE_TEST_NUM_WARPS / KITE_TEST_COMPILE_FOR (conftest.py),
as test_join_split.py does. Blocks are non-square, the index is shorter and
longer than the source along the axis, and the element types cover 8 to 64
bits. Out-of-range indices wrap: Kite takes them modulo the axis size
(floored, so -1 is the last element); numpy's ``%`` is the reference."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import assert_close, line_of, run

SRC_DTYPES = [np.float32, np.float16, np.int8, np.int64]
# (source shape, index shape, axis)
CASES = [
    ((64,), (64,), 0),
    ((64,), (16,), 0),
    ((32,), (128,), 0),
    ((8, 32), (8, 64), 1),
    ((8, 32), (8, 4), 1),
    ((32, 4), (64, 4), 0),
    ((32, 4), (2, 4), 0),
    ((2, 128), (2, 128), 1),
    ((16, 8), (4, 8), 0),
]


def _ids(values):
    return [np.dtype(v).name if isinstance(v, type) else "x".join(map(str, v)) for v in values]


def _case_ids(cases):
    return [f"{'x'.join(map(str, s))}-{'x'.join(map(str, i))}-axis{a}" for s, i, a in cases]


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)


def _indices(shape, size, dtype, seed, low=0, high=None):
    rng = np.random.default_rng(seed)
    return rng.integers(low, size if high is None else high, shape).astype(dtype)


def _reference(src, index, axis):
    return np.take_along_axis(src, index.astype(np.int64) % src.shape[axis], axis)


@kite.func
def offsets(shape):
    """Row-major offsets of a block of ``shape`` (rank 1 or 2)."""
    if len(shape) == 1:
        return kl.arange(0, shape[0])
    else:
        return kl.arange(0, shape[0])[:, None] * shape[1] + kl.arange(0, shape[1])[None, :]


@kite.kernel
def gather_kernel(src_ptr, idx_ptr, out_ptr, SRC: kl.constexpr, IDX: kl.constexpr,
                  AXIS: kl.constexpr, METHOD: kl.constexpr):
    src = kl.load(src_ptr + offsets(SRC))
    idx = kl.load(idx_ptr + offsets(IDX))
    if METHOD:
        out = src.gather(idx, AXIS)
    else:
        out = kl.gather(src, idx, AXIS)
    kl.static_assert(out.shape == list(IDX))
    kl.static_assert(out.dtype == src.dtype)
    kl.store(out_ptr + offsets(IDX), out)


def _run_gather(src, idx, axis, method=False):
    out = np.zeros(idx.shape, src.dtype)
    return run(gather_kernel, (1,), src, idx, out, SRC=src.shape, IDX=idx.shape, AXIS=axis,
               METHOD=method)[2]


@pytest.mark.parametrize("dtype", SRC_DTYPES, ids=_ids(SRC_DTYPES))
@pytest.mark.parametrize("src_shape,idx_shape,axis", CASES, ids=_case_ids(CASES))
def test_gather(src_shape, idx_shape, axis, dtype):
    src = _values(src_shape, dtype, 1)
    idx = _indices(idx_shape, src_shape[axis], np.int32, 2)
    assert_close(_run_gather(src, idx, axis), np.take_along_axis(src, idx, axis))


def test_gather_method_and_negative_axis():
    src = _values((8, 32), np.float32, 3)
    idx = _indices((8, 16), 32, np.int32, 4)
    assert_close(_run_gather(src, idx, -1, method=True), np.take_along_axis(src, idx, 1))


INDEX_DTYPES = [np.int64, np.int16, np.int8, np.uint8, np.uint32]


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=_ids(INDEX_DTYPES))
def test_gather_index_dtypes(index_dtype):
    src = _values((4, 64), np.float32, 5)
    idx = _indices((4, 32), 64, index_dtype, 6)
    assert_close(_run_gather(src, idx, 1), np.take_along_axis(src, idx.astype(np.int64), 1))


def test_gather_duplicated_indices():
    src = _values((16, 8), np.int32, 7)
    # Every row of the result repeats a few source rows; column 0 is all 0s.
    idx = np.repeat(np.arange(8, dtype=np.int32) // 4, 8).reshape(8, 8) * 3
    idx[:, 0] = 0
    assert_close(_run_gather(src, idx, 0), np.take_along_axis(src, idx, 0))
    zeros = np.zeros(64, np.int32)
    src1 = _values(32, np.float16, 8)
    assert_close(_run_gather(src1, zeros, 0), np.full(64, src1[0]))


# ------------------------------------------------------------ out of range

@pytest.mark.parametrize("src_shape,idx_shape,axis", [((64,), (128,), 0), ((8, 32), (8, 16), 1),
                                                      ((16, 4), (32, 4), 0)],
                         ids=_case_ids([((64,), (128,), 0), ((8, 32), (8, 16), 1),
                                        ((16, 4), (32, 4), 0)]))
def test_out_of_range_indices_wrap(src_shape, idx_shape, axis):
    n = src_shape[axis]
    src = _values(src_shape, np.float32, 9)
    idx = _indices(idx_shape, n, np.int32, 10, low=-3 * n, high=3 * n)
    idx.flat[:4] = [-1, n, -n, 2 * n - 1]  # the last, the first, the first, the last
    out = _run_gather(src, idx, axis)
    assert_close(out, _reference(src, idx, axis))
    first = np.take(src, 0, axis=axis)
    last = np.take(src, n - 1, axis=axis)
    if axis == 0 and len(src_shape) == 1:
        assert out[0] == last and out[1] == first and out[2] == first and out[3] == last


def test_out_of_range_int64_indices_wrap():
    src = _values((32,), np.int64, 11)
    idx = np.array([2 ** 40 + 3, -(2 ** 40) - 1, 2 ** 62 + 31, -(2 ** 63)] * 16, np.int64)
    out = _run_gather(src, idx, 0)
    assert_close(out, _reference(src, idx, 0))
    assert_close(out[:4], src[[3, 31, 31, 0]])


def test_narrow_index_wider_axis():
    # An int8 index is signed (-1 is element 511 of 512); a uint8 one is not
    # (255 is element 255).
    src = _values((512,), np.float32, 12)
    signed = np.arange(-64, 64, dtype=np.int8)
    assert_close(_run_gather(src, signed, 0), src[signed.astype(np.int64) % 512])
    unsigned = np.arange(128, 256, dtype=np.uint8)
    assert_close(_run_gather(src, unsigned, 0), src[unsigned.astype(np.int64)])


# ------------------------------------------------------ indices at run time

@kite.kernel
def computed_index_kernel(src_ptr, out_ptr, step, shift, N: kl.constexpr, K: kl.constexpr):
    src = kl.load(src_ptr + kl.arange(0, N))
    # A runtime stride and shift: neither is known when compiling.
    idx = kl.arange(0, K) * step + shift
    kl.store(out_ptr + kl.arange(0, K), kl.gather(src, idx, 0))


@pytest.mark.parametrize("step,shift", [(3, 5), (-1, 63), (17, -200)])
def test_indices_computed_at_run_time(step, shift):
    src = _values(64, np.float32, 13)
    idx = np.arange(128, dtype=np.int64) * step + shift
    out = run(computed_index_kernel, (1,), src, np.zeros(128, np.float32), step, shift,
              N=64, K=128)[1]
    assert_close(out, src[idx % 64])


@kite.kernel
def permute_loop_kernel(x_ptr, perm_ptr, out_ptr, n, M: kl.constexpr, N: kl.constexpr):
    # The same workgroup buffer is written in every iteration: the barrier
    # after each gather's reads must hold.
    x = kl.load(x_ptr + offsets([M, N]))
    perm = kl.load(perm_ptr + offsets([M, N]))
    for _ in range(n):
        x = kl.gather(x, perm, 1)
    kl.store(out_ptr + offsets([M, N]), x)


def test_gather_in_a_runtime_loop():
    m, n, steps = 4, 32, 5
    rng = np.random.default_rng(14)
    x = _values((m, n), np.float32, 15)
    perm = np.stack([rng.permutation(n) for _ in range(m)]).astype(np.int32)
    out = run(permute_loop_kernel, (1,), x, perm, np.zeros_like(x), steps, M=m, N=n)[2]
    expected = x
    for _ in range(steps):
        expected = np.take_along_axis(expected, perm, 1)
    assert_close(out, expected)


@kite.kernel
def two_gathers_kernel(a_ptr, b_ptr, idx_ptr, out_ptr, N: kl.constexpr, K: kl.constexpr):
    a = kl.load(a_ptr + kl.arange(0, N))
    b = kl.load(b_ptr + kl.arange(0, 2 * N))
    idx = kl.load(idx_ptr + kl.arange(0, K))
    # The second gather reads with the first's results: two buffers at once.
    first = kl.gather(a, idx, 0)
    second = kl.gather(b, first, 0)
    kl.store(out_ptr + kl.arange(0, K), second + (a > 10).gather(idx, 0).to(kl.int32))


def test_chained_gathers_and_bool_source():
    a = _values(32, np.int32, 16)
    b = _values(64, np.int32, 17)
    idx = _indices(64, 32, np.int32, 18)
    out = run(two_gathers_kernel, (1,), a, b, idx, np.zeros(64, np.int32), N=32, K=64)[3]
    assert_close(out, b[a[idx] % 64] + (a[idx] > 10).astype(np.int32))


# ---------------------------------------------------------- embedding lookup

@kite.kernel
def embedding_kernel(table_ptr, ids_ptr, out_ptr, n_tokens, V: kl.constexpr, D: kl.constexpr,
                     T: kl.constexpr):
    # The whole table [V, D] is one block; each program looks up T tokens.
    table = kl.load(table_ptr + offsets([V, D]))
    tokens = kl.program_id(0) * T + kl.arange(0, T)
    mask = tokens < n_tokens
    ids = kl.load(ids_ptr + tokens, mask=mask, other=0)
    rows = kl.broadcast_to(ids[:, None], (T, D))
    emb = kl.gather(table, rows, 0)
    out = out_ptr + tokens[:, None] * D + kl.arange(0, D)[None, :]
    kl.store(out, emb, mask=mask[:, None])


# 64 tokens a program is more than the 32 rows of the table (and keeps
# lavapipe's compile time down at num_warps=1).
@pytest.mark.parametrize("n_tokens,t", [(100, 16), (300, 64)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=_ids([np.float16, np.float32]))
def test_embedding_lookup(n_tokens, t, dtype):
    vocab, dim = 32, 16
    table = _values((vocab, dim), dtype, 19)
    ids = _indices(n_tokens, vocab, np.int32, 20)
    grid = (-(-n_tokens // t),)
    out = run(embedding_kernel, grid, table, ids, np.zeros((n_tokens, dim), dtype), n_tokens,
              V=vocab, D=dim, T=t)[2]
    assert_close(out, table[ids])


@kite.kernel
def gather_scalar_kernel(src_ptr, idx_ptr, out_ptr):
    idx = kl.load(idx_ptr + kl.arange(0, 16))
    out = kl.gather(kl.load(src_ptr), idx, 0)  # <- scalar
    kl.store(out_ptr + kl.arange(0, 16), out)


def test_gather_of_a_scalar_names_both_operands():
    message = r"kl.gather needs blocks, got a scalar as src and a block of shape \[16\] as index"
    with pytest.raises(kite.CompilationError, match=message) as info:
        run(gather_scalar_kernel, (1,), np.zeros(4, np.float32), np.zeros(16, np.int32),
            np.zeros(16, np.float32))
    assert info.value.lineno == line_of(gather_scalar_kernel, "# <- scalar")


# ------------------------------------------------------- workgroup memory

@kite.kernel
def gather_too_big_kernel(src_ptr, idx_ptr, out_ptr, N: kl.constexpr):
    src = kl.load(src_ptr + kl.arange(0, N))
    idx = kl.load(idx_ptr + kl.arange(0, 16))
    out = kl.gather(src, idx, 0)  # <- error
    kl.store(out_ptr + kl.arange(0, 16), out)


def test_gather_source_over_32_kib_is_a_compile_error_at_its_line():
    # The source goes through workgroup memory: 16384 f32 are 64 KiB, more
    # than a program has (lavapipe's and Vulkan's minimum limit, 32 KiB).
    f32, i32 = np.zeros(4, np.float32), np.zeros(4, np.int32)
    with pytest.raises(kite.CompilationError) as info:
        gather_too_big_kernel.compile(f32, i32, f32, N=16384, target="generic")
    text = str(info.value)
    assert "65536 bytes of workgroup memory" in text and "32768" in text, text
    assert info.value.lineno is not None and "# <- error" in text, text


@kite.kernel
def gather_cast_kernel(src_ptr, idx_ptr, out_ptr, N: kl.constexpr, K: kl.constexpr,
                       DTYPE: kl.constexpr):
    # bf16 and fp8 live in f32 registers (emulated); the gather moves them
    # as they are.
    src = kl.load(src_ptr + kl.arange(0, N)).to(DTYPE)
    idx = kl.load(idx_ptr + kl.arange(0, K))
    kl.store(out_ptr + kl.arange(0, K), kl.gather(src, idx, 0).to(kl.float32))


@pytest.mark.parametrize("dtype", [kl.bfloat16, kl.float8e5m2], ids=["bfloat16", "float8e5m2"])
def test_gather_emulated_float_sources(dtype):
    # (1 + m / 4) * 2^k with two mantissa bits is exact in both formats.
    m, k, sign = np.meshgrid([1.0, 1.25, 1.5, 1.75], 2.0 ** np.arange(-2, 6), [1.0, -1.0])
    src = np.random.default_rng(22).permutation((m * k * sign).ravel()).astype(np.float32)
    idx = _indices(128, 64, np.int32, 21)
    out = run(gather_cast_kernel, (1,), src, idx, np.zeros(128, np.float32), N=64, K=128,
              DTYPE=dtype)[2]
    assert_close(out, src[idx])
