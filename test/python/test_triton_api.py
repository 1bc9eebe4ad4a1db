"""Smaller parts of triton.language a ported kernel meets: debug_barrier,
assume, swizzle2d, functional add/sub/mul, reduce_or, flip, and
maximum/minimum/clamp with PropagateNan; numerics against numpy through the
interpreter and on each device."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, line_of, run, vulkan_device



@kite.kernel
def exchange_kernel(x_ptr, tmp_ptr, out_ptr, BLOCK: kl.constexpr):
    # Each thread reads back what another thread stored: right only after
    # the barrier.
    offs = kl.arange(0, BLOCK)
    kl.store(tmp_ptr + offs, kl.load(x_ptr + offs) * 2)
    kl.debug_barrier()
    kl.store(out_ptr + offs, kl.load(tmp_ptr + (BLOCK - 1 - offs)))


@pytest.mark.parametrize("block", [128, 1024])
def test_debug_barrier_makes_other_threads_stores_visible(block):
    x = np.arange(block, dtype=np.int32)
    out = run(exchange_kernel, (1,), x, np.zeros_like(x), np.zeros_like(x), BLOCK=block)[2]
    np.testing.assert_array_equal(out, (x * 2)[::-1])


def test_debug_barrier_orders_global_memory_in_spirv():
    x = np.zeros(128, np.int32)
    compiled = exchange_kernel.compile(x, x, x, BLOCK=128, target=vulkan_device())
    barriers = [line for line in compiled.asm["spirv"].splitlines() if "OpControlBarrier" in line]
    assert barriers, compiled.asm["spirv"]
    # Workgroup scope (2) for execution and memory; AcquireRelease (0x8) |
    # UniformMemory (0x40, global memory) | WorkgroupMemory (0x100) = 328.
    assert "OpControlBarrier %uint_2 %uint_2 %uint_328" in [b.strip() for b in barriers], barriers


@kite.kernel
def assume_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    kl.assume(n > 0)
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=offs < n, other=0) + 1, mask=offs < n)


def test_assume_does_not_change_results():
    x = np.arange(8, dtype=np.int32)
    out = run(assume_kernel, (1,), x, np.zeros_like(x), 5, BLOCK=8)[1]
    np.testing.assert_array_equal(out[:5], x[:5] + 1)


def test_the_interpreter_checks_assume():
    if DEVICE != "interpreter":
        pytest.skip("compiled kernels take assume on trust, as Triton's do")
    with pytest.raises(kite.KernelRuntimeError, match="kl.assume") as info:
        run(assume_kernel, (1,), np.ones(8, np.int32), np.zeros(8, np.int32), 0, BLOCK=8)
    assert info.value.lineno == line_of(assume_kernel, "kl.assume(")


@kite.kernel
def swizzle_kernel(out_i_ptr, out_j_ptr, SIZE_I: kl.constexpr, SIZE_J: kl.constexpr,
                   SIZE_G: kl.constexpr):
    i = kl.arange(0, SIZE_I)[:, None]
    j = kl.arange(0, SIZE_J)[None, :]
    new_i, new_j = kl.swizzle2d(i, j, SIZE_I, SIZE_J, SIZE_G)
    kl.store(out_i_ptr + i * SIZE_J + j, new_i)
    kl.store(out_j_ptr + i * SIZE_J + j, new_j)


@kite.kernel
def swizzle_program_kernel(out_ptr, size_i, size_j, size_g):
    # As in matmul kernels: scalars of the program id.
    pid = kl.program_id(0)
    new_i, new_j = kl.swizzle2d(pid // size_j, pid % size_j, size_i, size_j, size_g)
    kl.store(out_ptr + new_i * size_j + new_j, pid)


def test_swizzle2d_groups_rows_column_major():
    # The example of Triton's docstring: 4 x 4 in groups of 2 rows.
    new_i, new_j = run(swizzle_kernel, (1,), np.zeros(16, np.int32), np.zeros(16, np.int32),
                       SIZE_I=4, SIZE_J=4, SIZE_G=2)
    order = np.zeros((4, 4), np.int32)
    order[new_i.reshape(4, 4), new_j.reshape(4, 4)] = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(order, [[0, 2, 4, 6], [1, 3, 5, 7],
                                          [8, 10, 12, 14], [9, 11, 13, 15]])


def test_swizzle2d_of_program_ids_with_a_short_last_group():
    size_i, size_j, size_g = 5, 3, 2
    out = run(swizzle_program_kernel, (size_i * size_j,), np.full(15, -1, np.int32),
              size_i, size_j, size_g)
    expected = np.zeros((size_i, size_j), np.int32)
    pid = 0
    for first in range(0, size_i, size_g):  # groups of rows, walked column by column
        rows = min(size_g, size_i - first)
        for j in range(size_j):
            for i in range(first, first + rows):
                expected[i, j] = pid
                pid += 1
    np.testing.assert_array_equal(out.reshape(size_i, size_j), expected)


@kite.kernel
def functional_kernel(x_ptr, y_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    kl.store(out_ptr + offs, kl.add(x, y, sanitize_overflow=False))
    kl.store(out_ptr + BLOCK + offs, kl.sub(x, y))
    kl.store(out_ptr + 2 * BLOCK + offs, kl.mul(x, 3, sanitize_overflow=False))


def test_functional_add_sub_mul_wrap_like_the_operators():
    x = np.array([2 ** 31 - 1, -5, 7, 0], np.int32)
    y = np.array([1, 6, -7, -(2 ** 31)], np.int32)
    out = run(functional_kernel, (1,), x, y, np.zeros(12, np.int32), BLOCK=4)[2]
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out, np.concatenate([x + y, x - y, x * np.int32(3)]))


@kite.kernel
def reduce_or_kernel(x_ptr, out_ptr, ROWS: kl.constexpr, COLS: kl.constexpr, AXIS: kl.constexpr):
    r = kl.arange(0, ROWS)[:, None]
    c = kl.arange(0, COLS)[None, :]
    x = kl.load(x_ptr + r * COLS + c)
    if AXIS == 0:
        kl.store(out_ptr + kl.arange(0, COLS), kl.reduce_or(x, 0))
    else:
        kl.store(out_ptr + kl.arange(0, ROWS), x.reduce_or(1))


@pytest.mark.parametrize("axis", [0, 1])
def test_reduce_or(axis):
    x = (1 << np.random.default_rng(1).integers(0, 31, (8, 16))).astype(np.int32)
    out = run(reduce_or_kernel, (1,), x, np.zeros(x.shape[1 - axis], np.int32),
              ROWS=8, COLS=16, AXIS=axis)[1]
    np.testing.assert_array_equal(out, np.bitwise_or.reduce(x, axis=axis))


@kite.kernel
def nan_kernel(x_ptr, y_ptr, out_ptr, BLOCK: kl.constexpr, MODE: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    kl.store(out_ptr + offs, kl.maximum(x, y, propagate_nan=MODE))
    kl.store(out_ptr + BLOCK + offs, kl.minimum(x, y, propagate_nan=MODE))
    kl.store(out_ptr + 2 * BLOCK + offs, kl.clamp(x, -1.0, 1.0, propagate_nan=MODE))


@pytest.mark.parametrize("mode", ["NONE", "ALL"])
def test_maximum_minimum_clamp_propagate_nan(mode):
    x = np.array([np.nan, 1.0, np.nan, -3.0, 0.5, 2.0, -2.0, np.nan], np.float32)
    y = np.array([0.0, np.nan, np.nan, 4.0, 0.25, 1.0, -1.0, 5.0], np.float32)
    out = run(nan_kernel, (1,), x, y, np.zeros(24, np.float32), BLOCK=8,
              MODE=getattr(kl.PropagateNan, mode))[2]
    if mode == "ALL":
        expected = [np.maximum(x, y), np.minimum(x, y), np.clip(x, -1, 1)]
    else:
        expected = [np.fmax(x, y), np.fmin(x, y), np.fmin(np.fmax(x, -1), 1)]
    np.testing.assert_array_equal(out, np.concatenate(expected))


def test_propagate_nan_rejects_other_values():
    x = np.ones(8, np.float32)
    with pytest.raises(kite.CompilationError, match="propagate_nan must be kl.PropagateNan") as info:
        run(nan_kernel, (1,), x, x, np.zeros(24, np.float32), BLOCK=8, MODE=True)
    assert info.value.lineno == line_of(nan_kernel, "kl.maximum(")


@kite.kernel
def flip_kernel(x_ptr, out_ptr, ROWS: kl.constexpr, COLS: kl.constexpr, DIM: kl.constexpr):
    r = kl.arange(0, ROWS)[:, None]
    c = kl.arange(0, COLS)[None, :]
    x = kl.load(x_ptr + r * COLS + c)
    kl.store(out_ptr + r * COLS + c, kl.flip(x, DIM) if DIM is not None else x.flip())


@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.float16, np.int64],
                         ids=["float32", "int8", "float16", "int64"])
@pytest.mark.parametrize("rows,cols,dim", [(4, 64, 1), (16, 8, 0), (2, 256, None), (8, 1, 1)])
def test_flip(rows, cols, dim, dtype):
    x = np.random.default_rng(2).integers(-100, 100, (rows, cols)).astype(dtype)
    out = run(flip_kernel, (1,), x, np.zeros_like(x), ROWS=rows, COLS=cols, DIM=dim)[1]
    np.testing.assert_array_equal(out, np.flip(x, axis=1 if dim is None else dim))


@kite.kernel
def sort_kernel(x_ptr, out_ptr, ROWS: kl.constexpr, COLS: kl.constexpr, K: kl.constexpr,
                HOW: kl.constexpr):
    r = kl.arange(0, ROWS)[:, None]
    c = kl.arange(0, COLS)[None, :]
    x = kl.load(x_ptr + r * COLS + c)
    if HOW == "ascending":
        kl.store(out_ptr + r * COLS + c, kl.sort(x))
    elif HOW == "descending":
        kl.store(out_ptr + r * COLS + c, x.sort(descending=True))
    else:
        kc = kl.arange(0, K)[None, :]
        kl.store(out_ptr + r * K + kc, kl.topk(x, K))


# (dtype, rows, cols): each dtype once, the shapes between them (sorting
# networks of 2^m elements compile to m(m+1)/2 steps: keep CI's time down).
_SORT_CASES = [(np.float32, 1, 64), (np.int32, 4, 32), (np.float16, 8, 2), (np.int8, 2, 128),
               (np.uint8, 2, 16), (np.float32, 2, 256)]


@pytest.mark.parametrize("dtype,rows,cols", _SORT_CASES,
                         ids=[f"{np.dtype(d).name}-{r}x{c}" for d, r, c in _SORT_CASES])
@pytest.mark.parametrize("how", ["ascending", "descending", "top4"])
def test_sort_and_topk_along_the_last_dimension(how, dtype, rows, cols):
    rng = np.random.default_rng(cols)
    x = rng.integers(0, 100, (rows, cols)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x += rng.random((rows, cols)).astype(dtype)
    k = min(4, cols)
    out_cols = k if how == "top4" else cols
    out = run(sort_kernel, (1,), x, np.zeros((rows, out_cols), dtype), ROWS=rows, COLS=cols,
              K=k, HOW=how)[1]
    ordered = np.sort(x, axis=1)
    expected = {"ascending": ordered, "descending": ordered[:, ::-1],
                "top4": ordered[:, ::-1][:, :k]}[how]
    np.testing.assert_array_equal(out, expected)


@kite.kernel
def histogram_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr, BINS: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs, mask=offs < n, other=0)
    kl.store(out_ptr + kl.arange(0, BINS), kl.histogram(x, BINS, mask=offs < n))


def test_histogram_counts_values_in_bins_and_honours_the_mask():
    x = np.random.default_rng(3).integers(-2, 20, 200).astype(np.int32)
    out = run(histogram_kernel, (1,), x, np.zeros(16, np.int32), 150, BLOCK=256, BINS=16)[1]
    np.testing.assert_array_equal(out, np.bincount(x[:150][(x[:150] >= 0) & (x[:150] < 16)],
                                                   minlength=16))


def test_sort_along_another_dimension_is_an_error():
    x = np.zeros((4, 8), np.float32)
    with pytest.raises(kite.CompilationError, match="last dimension only") as info:
        run(flip_kernel_sort_dim0, (1,), x, np.zeros_like(x))
    assert info.value.lineno == line_of(flip_kernel_sort_dim0, "kl.sort(")


@kite.kernel
def flip_kernel_sort_dim0(x_ptr, out_ptr):
    r = kl.arange(0, 4)[:, None]
    c = kl.arange(0, 8)[None, :]
    kl.store(out_ptr + r * 8 + c, kl.sort(kl.load(x_ptr + r * 8 + c), dim=0))


@kite.kernel
def pointer_array_kernel(ptrs, sizes, out_ptr, BLOCK: kl.constexpr):
    # As grouped GEMMs do: each program loads its operand's address from an
    # array of addresses and turns it into a pointer.
    g = kl.program_id(0)
    src = kl.load(ptrs + g).to(kl.pointer_type(kl.float32))
    n = kl.load(sizes + g)
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + g * BLOCK + offs, kl.load(src + offs, mask=offs < n, other=-1.0))


def test_pointers_loaded_from_an_array_of_addresses():
    sizes = [3, 5, 8]
    arrays = [kite.from_numpy(np.arange(n, dtype=np.float32) + 100 * i, device=DEVICE)
              for i, n in enumerate(sizes)]
    ptrs = np.array([a.data_ptr() for a in arrays], np.int64)
    out = run(pointer_array_kernel, (3,), ptrs, np.array(sizes, np.int32),
              np.zeros(24, np.float32), BLOCK=8)[2].reshape(3, 8)
    for i, n in enumerate(sizes):
        np.testing.assert_array_equal(out[i, :n], np.arange(n) + 100 * i)
        assert np.all(out[i, n:] == -1)


def test_the_interpreter_reports_an_address_of_no_live_tensor():
    if DEVICE != "interpreter":
        pytest.skip("the interpreter's bounds checks")
    with pytest.raises(kite.KernelRuntimeError, match="points into no kernel argument or live"):
        run(pointer_array_kernel, (1,), np.array([12345 << 40], np.int64),
            np.array([4], np.int32), np.zeros(8, np.float32), BLOCK=8)


@kite.kernel
def softmax_kernel(x_ptr, out_ptr, ROWS: kl.constexpr, COLS: kl.constexpr, DIM: kl.constexpr):
    r = kl.arange(0, ROWS)[:, None]
    c = kl.arange(0, COLS)[None, :]
    x = kl.load(x_ptr + r * COLS + c)
    kl.store(out_ptr + r * COLS + c, kl.softmax(x, DIM) if DIM is not None else x.softmax())


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_softmax(dim):
    x = np.random.default_rng(4).standard_normal((8, 32)).astype(np.float32) * 4
    out = run(softmax_kernel, (1,), x, np.zeros_like(x), ROWS=8, COLS=32, DIM=dim)[1]
    axis = 0 if dim is None else dim
    e = np.exp(x - x.max(axis, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis, keepdims=True), rtol=1e-5, atol=1e-7)


@kite.kernel
def condition_kernel(out_ptr, n):
    i = 0
    total = 0
    while kl.condition(i < n, disable_licm=True):
        total += i
        i += 1
    kl.store(out_ptr, total)


def test_while_with_kl_condition():
    out = run(condition_kernel, (1,), np.zeros(1, np.int32), 10)
    assert out[0] == 45
    assert kl.float8e5 is kl.float8e5m2
