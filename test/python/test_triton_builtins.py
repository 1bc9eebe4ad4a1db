"""Python's min and max in kernels, as Triton kernels write them: on runtime
values they are kl.minimum/kl.maximum folded left to right (any number of
operands, int and float promoted as by any binary op); on compile-time values
they stay Python's (the result is still a compile-time value)."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import assert_close, line_of, run

I32 = np.zeros(4, np.int32)
F32 = np.zeros(4, np.float32)


@kite.kernel
def grouped_tiles_kernel(pid_m_ptr, pid_n_ptr, M, N, BLOCK_SIZE_M: kl.constexpr,
                         BLOCK_SIZE_N: kl.constexpr, GROUP_SIZE_M: kl.constexpr):
    # The grouped ordering of the matmul tutorial and its persistent variants.
    pid = kl.program_id(axis=0)
    num_pid_m = kl.cdiv(M, BLOCK_SIZE_M)
    num_pid_n = kl.cdiv(N, BLOCK_SIZE_N)
    num_pid_in_group = GROUP_SIZE_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_SIZE_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_SIZE_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    kl.store(pid_m_ptr + pid, pid_m)
    kl.store(pid_n_ptr + pid, pid_n)


@pytest.mark.parametrize("M,N,group", [(100, 70, 3), (64, 64, 8), (33, 200, 1)])
def test_grouped_program_ids_with_python_min(M, N, group):
    bm, bn = 16, 32
    num_m, num_n = -(-M // bm), -(-N // bn)
    grid = num_m * num_n
    pid_m, pid_n = run(grouped_tiles_kernel, (grid,), np.full(grid, -1, np.int32),
                       np.full(grid, -1, np.int32), M, N, BLOCK_SIZE_M=bm, BLOCK_SIZE_N=bn,
                       GROUP_SIZE_M=group)
    expected_m, expected_n = [], []
    for pid in range(grid):
        first = pid // (group * num_n) * group
        size = min(num_m - first, group)
        expected_m.append(first + pid % (group * num_n) % size)
        expected_n.append(pid % (group * num_n) // size)
    np.testing.assert_array_equal(pid_m, expected_m)
    np.testing.assert_array_equal(pid_n, expected_n)
    # Every tile exactly once.
    assert len(set(zip(pid_m.tolist(), pid_n.tolist()))) == grid


@kite.kernel
def row_blocks_kernel(x_ptr, out_ptr, n_rows, n_cols, rows_per_program,
                      BLOCK_N: kl.constexpr):
    # A normalization backward's partial sums: each program takes a run of
    # rows, the last one cut at the matrix's end.
    row_block_id = kl.program_id(0)
    row_start = row_block_id * rows_per_program
    row_end = min((row_block_id + 1) * rows_per_program, n_rows)
    cols = kl.arange(0, BLOCK_N)
    mask = cols < n_cols
    acc = kl.zeros((BLOCK_N,), dtype=kl.float32)
    for row in range(row_start, row_end):
        acc += kl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    kl.store(out_ptr + row_block_id * n_cols + cols, acc, mask=mask)


def test_row_range_cut_by_python_min():
    rows, cols, per_program = 23, 20, 5
    programs = -(-rows // per_program)
    x = np.random.default_rng(1).uniform(-1, 1, (rows, cols)).astype(np.float32)
    out = run(row_blocks_kernel, (programs,), x, np.zeros((programs, cols), np.float32),
              rows, cols, per_program, BLOCK_N=32)[1]
    expected = np.stack([x[p * per_program:(p + 1) * per_program].sum(0)
                         for p in range(programs)])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@kite.kernel
def many_operands_kernel(x_ptr, y_ptr, lo_ptr, hi_ptr, mixed_ptr, tuple_ptr, limit,
                         BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)  # int32
    y = kl.load(y_ptr + offs)  # fp32
    # Three and four operands, runtime scalars and Python numbers among them.
    kl.store(lo_ptr + offs, min(x, limit, 7))
    kl.store(hi_ptr + offs, max(y, 0, x, -limit))
    # An int block and a Python float: fp32, as kl.minimum gives (2.5 survives).
    kl.store(mixed_ptr + offs, min(x, 2.5))
    # One iterable argument, as in Python.
    kl.store(tuple_ptr + offs, max((x, limit - 1, y * 0.5)))


def test_min_max_of_many_operands_promote_like_minimum_and_maximum():
    n, limit = 64, 5
    rng = np.random.default_rng(2)
    x = rng.integers(-10, 10, n).astype(np.int32)
    y = rng.uniform(-10, 10, n).astype(np.float32)
    _, _, lo, hi, mixed, tup = run(
        many_operands_kernel, (1,), x, y, np.zeros(n, np.int32), np.zeros(n, np.float32),
        np.zeros(n, np.float32), np.zeros(n, np.float32), limit, BLOCK=n)
    np.testing.assert_array_equal(lo, np.minimum(np.minimum(x, limit), 7))
    assert_close(hi, np.maximum(np.maximum(np.maximum(y, 0), x), -limit).astype(np.float32))
    assert_close(mixed, np.minimum(x, 2.5).astype(np.float32))
    assert 2.5 in mixed  # not truncated to an int
    assert_close(tup, np.maximum(np.maximum(x, limit - 1), y * 0.5).astype(np.float32))


@kite.kernel
def compile_time_kernel(out_ptr, BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr):
    # Compile-time operands stay compile-time: kl.arange needs constants.
    SMALL = min(BLOCK_M, BLOCK_N, 64)
    LARGE = max((BLOCK_M, BLOCK_N))
    offs = kl.arange(0, SMALL)
    kl.store(out_ptr + offs, offs + LARGE)


def test_compile_time_operands_stay_compile_time():
    out = run(compile_time_kernel, (1,), np.zeros(16, np.int32), BLOCK_M=16, BLOCK_N=128)
    np.testing.assert_array_equal(out, np.arange(16) + 128)


@kite.kernel
def nan_kernel(x_ptr, y_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    kl.store(out_ptr + offs, min(x, y))
    kl.store(out_ptr + BLOCK + offs, max(x, y, propagate_nan=kl.PropagateNan.ALL))


def test_nan_operands_follow_minimum_and_maximum():
    x = np.array([1.0, np.nan, 3.0, np.nan], np.float32)
    y = np.array([np.nan, 2.0, 1.0, np.nan], np.float32)
    out = run(nan_kernel, (1,), x, y, np.zeros(8, np.float32), BLOCK=4)[2]
    np.testing.assert_array_equal(out[:4], [1.0, 2.0, 1.0, np.nan])
    np.testing.assert_array_equal(out[4:], [np.nan, np.nan, 3.0, np.nan])


def test_traced_min_is_one_minimum_per_pair():
    ir = many_operands_kernel.trace(I32, F32, I32, F32, F32, F32, 5, BLOCK=4)
    # min(x, limit, 7) and min(x, 2.5): two, then one signed-int minimum ...
    assert ir.count("arith.minsi") == 2 and ir.count("arith.minnumf") == 1, ir


@kite.kernel
def min_of_one_block(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(x_ptr, min(x))  # <- min of one


@kite.kernel
def max_with_key(x_ptr, n):
    kl.store(x_ptr, max(n, 3, key=abs))  # <- key


@kite.kernel
def abs_of_runtime(x_ptr, n):
    kl.store(x_ptr, abs(n))  # <- abs


@pytest.mark.parametrize("kernel,args,marker,fragments", [
    (min_of_one_block, (F32,), "# <- min of one", ["min() of a single runtime value",
                                                  "kl.min(x, axis)"]),
    (max_with_key, (I32, 3), "# <- key", ["max() on runtime values takes no key="]),
    (abs_of_runtime, (F32, 3), "# <- abs", ["Python's abs() cannot take runtime values",
                                            "kl.abs"]),
])
def test_unsupported_uses_are_errors_at_their_line(kernel, args, marker, fragments):
    meta = {"BLOCK": 4} if kernel is min_of_one_block else {}
    with pytest.raises(kite.CompilationError) as info:
        kernel.trace(*args, **meta)
    assert info.value.lineno == line_of(kernel, marker), str(info.value)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
