"""A spin lock across programs, as Triton's layer-norm backward takes one:
`while kl.atomic_cas(lock, 0, 1) == 1: pass`, a critical section, then
`kl.atomic_xchg(lock, 0)`. The while condition must run exactly once per
iteration on every device (evaluated twice, the first evaluation takes the
lock and the second spins on it forever).

Correct under Kite's execution model: a scalar atomic is done once per
program (not per thread), and a program is one workgroup, so a program
that holds the lock keeps running while others spin (a started workgroup
runs to completion on GPUs and on lavapipe; the interpreter runs programs
one after the other, so there nobody ever waits). Its ordering covers all
of the program's threads (docs/language.md, "Atomics"): the acquire of the
lock comes before every thread's reads, the release after every thread's
stores."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import run


@kite.kernel
def locked_partial_sums_kernel(x_ptr, partial_ptr, count_ptr, visits_ptr, lock_ptr, n_cols,
                               GROUP_SIZE: kl.constexpr, BLOCK: kl.constexpr):
    # Rows are spread over GROUP_SIZE partial sums; the programs of a group
    # take turns adding their row to the group's sum.
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    mask = cols < n_cols
    x = kl.load(x_ptr + row * n_cols + cols, mask=mask, other=0)
    group = row % GROUP_SIZE
    lock = lock_ptr + group
    count_ptr = count_ptr + group
    partial_ptrs = partial_ptr + group * n_cols + cols
    while kl.atomic_cas(lock, 0, 1) == 1:
        pass
    # The first program of a group stores, the others accumulate.
    count = kl.atomic_xchg(count_ptr, 1)
    if count != 0:
        x += kl.load(partial_ptrs, mask=mask)
    kl.store(partial_ptrs, x, mask=mask)
    # A plain read-modify-write: a lock that let two programs in loses one.
    kl.store(visits_ptr + group, kl.load(visits_ptr + group) + 1)
    # The release orders every thread's stores before it by itself; a
    # barrier of the kernel's own before it (as Triton's tutorial now has)
    # changes nothing.
    kl.debug_barrier()
    kl.atomic_xchg(lock, 0)


@pytest.mark.parametrize("rows,group_size", [(24, 1), (40, 4)])
def test_programs_take_turns_under_a_spin_lock(rows, group_size):
    n_cols = 20
    x = np.random.default_rng(rows).integers(-100, 100, (rows, n_cols)).astype(np.int32)
    partial, count, visits, lock = run(
        locked_partial_sums_kernel, (rows,), x, np.full((group_size, n_cols), 7, np.int32),
        np.zeros(group_size, np.int32), np.zeros(group_size, np.int32),
        np.zeros(group_size, np.int32), n_cols, GROUP_SIZE=group_size, BLOCK=32)[1:]
    np.testing.assert_array_equal(lock, 0)  # every lock released
    np.testing.assert_array_equal(count, 1)
    np.testing.assert_array_equal(visits, rows // group_size)
    expected = np.stack([x[g::group_size].sum(0) for g in range(group_size)])
    np.testing.assert_array_equal(partial, expected)


@kite.kernel
def layer_norm_bwd_dx_fused_kernel(DX, DY, DW, DB, X, W, Mean, Rstd, Lock, stride, N,
                                   GROUP_SIZE_M: kl.constexpr, BLOCK_SIZE_N: kl.constexpr):
    # Layer-norm backward as Triton's tutorial writes it: dx per row, and the
    # rows' dw, db summed into GROUP_SIZE_M partial rows under a lock each.
    # No barrier before the release: the scalar atomics' acq_rel semantics
    # must order the block loads and stores of every thread of the program.
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK_SIZE_N)
    mask = cols < N
    X += row * stride
    DY += row * stride
    DX += row * stride
    lock_id = row % GROUP_SIZE_M
    Lock += lock_id
    Count = Lock + GROUP_SIZE_M
    DW = DW + lock_id * N + cols
    DB = DB + lock_id * N + cols
    x = kl.load(X + cols, mask=mask, other=0).to(kl.float32)
    dy = kl.load(DY + cols, mask=mask, other=0).to(kl.float32)
    w = kl.load(W + cols, mask=mask).to(kl.float32)
    mean = kl.load(Mean + row)
    rstd = kl.load(Rstd + row)
    xhat = (x - mean) * rstd
    wdy = w * dy
    xhat = kl.where(mask, xhat, 0.)
    wdy = kl.where(mask, wdy, 0.)
    c1 = kl.sum(xhat * wdy, axis=0) / N
    c2 = kl.sum(wdy, axis=0) / N
    dx = (wdy - (xhat * c1 + c2)) * rstd
    kl.store(DX + cols, dx, mask=mask)
    partial_dw = (dy * xhat).to(w.dtype)
    partial_db = (dy).to(w.dtype)
    while kl.atomic_cas(Lock, 0, 1) == 1:
        pass
    count = kl.load(Count)
    # The first program of a group stores its row, the others accumulate.
    if count == 0:
        kl.atomic_xchg(Count, 1)
    else:
        partial_dw += kl.load(DW, mask=mask)
        partial_db += kl.load(DB, mask=mask)
    kl.store(DW, partial_dw, mask=mask)
    kl.store(DB, partial_db, mask=mask)
    kl.atomic_xchg(Lock, 0)


@pytest.mark.parametrize("M,N,group_size_m", [(64, 200, 2), (64, 1000, 4), (48, 77, 1)])
def test_layer_norm_backward_lock_as_the_tutorial_writes_it(M, N, group_size_m):
    rng = np.random.default_rng(M + N)
    x = rng.standard_normal((M, N)).astype(np.float32)
    dy = rng.standard_normal((M, N)).astype(np.float32)
    w = rng.standard_normal(N).astype(np.float32)
    mean = x.mean(1).astype(np.float32)
    rstd = (1 / np.sqrt(x.var(1) + 1e-5)).astype(np.float32)
    # The partial rows start as garbage: a program that saw count == 0 must
    # overwrite them, never add to them.
    garbage = np.full((group_size_m, N), 1e4, np.float32)
    block = 1 << (N - 1).bit_length()
    dx, _, dw, db, _, _, _, _, locks = run(
        layer_norm_bwd_dx_fused_kernel, (M,), np.zeros_like(x), dy, garbage, garbage.copy(),
        x, w, mean, rstd, np.zeros(2 * group_size_m, np.int32), N, N,
        GROUP_SIZE_M=group_size_m, BLOCK_SIZE_N=block)
    np.testing.assert_array_equal(locks, [0] * group_size_m + [1] * group_size_m)
    xhat = (x - mean[:, None]) * rstd[:, None]
    wdy = w * dy
    c1 = (xhat * wdy).sum(1, keepdims=True) / N
    c2 = wdy.sum(1, keepdims=True) / N
    np.testing.assert_allclose(dx, (wdy - (xhat * c1 + c2)) * rstd[:, None], rtol=1e-4, atol=1e-4)
    groups = np.arange(M) % group_size_m
    expected_dw = np.stack([(dy * xhat)[groups == g].sum(0) for g in range(group_size_m)])
    expected_db = np.stack([dy[groups == g].sum(0) for g in range(group_size_m)])
    np.testing.assert_allclose(dw, expected_dw, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(db, expected_db, rtol=1e-4, atol=1e-3)


@kite.kernel
def acquire_release_accumulate_kernel(x_ptr, acc_ptr, lock_ptr, N,
                                      GROUP_SIZE: kl.constexpr, BLOCK: kl.constexpr):
    # The lock with explicit orderings, as split-k and stream-k kernels take
    # one: an acquire to enter, a release to leave.
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    mask = cols < N
    x = kl.load(x_ptr + row * N + cols, mask=mask)
    group = row % GROUP_SIZE
    lock = lock_ptr + group
    acc_ptrs = acc_ptr + group * N + cols
    while kl.atomic_cas(lock, 0, 1, sem="acquire") == 1:
        pass
    kl.store(acc_ptrs, kl.load(acc_ptrs, mask=mask) + x, mask=mask)
    kl.atomic_xchg(lock, 0, sem="release")


@pytest.mark.parametrize("rows,group_size,n", [(64, 2, 300), (64, 8, 1000)])
def test_acquire_and_release_order_the_critical_section(rows, group_size, n):
    x = np.random.default_rng(n).integers(-1000, 1000, (rows, n)).astype(np.int32)
    acc, lock = run(acquire_release_accumulate_kernel, (rows,), x,
                    np.zeros((group_size, n), np.int32), np.zeros(group_size, np.int32), n,
                    GROUP_SIZE=group_size, BLOCK=1 << (n - 1).bit_length())[1:]
    np.testing.assert_array_equal(lock, 0)
    np.testing.assert_array_equal(
        acc, np.stack([x[g::group_size].sum(0) for g in range(group_size)]))
