"""A spin lock across programs, as Triton's layer-norm backward takes one:
`while kl.atomic_cas(lock, 0, 1) == 1: pass`, a critical section, then
`kl.atomic_xchg(lock, 0)`. The while condition must run exactly once per
iteration on every device (evaluated twice, the first evaluation takes the
lock and the second spins on it forever).

Correct under Kite's execution model: a scalar atomic is done once per
program (not per thread), and a program is one workgroup, so a program
that holds the lock keeps running while others spin (a started workgroup
runs to completion on GPUs and on lavapipe; the interpreter runs programs
one after the other, so there nobody ever waits)."""
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
    # The release is thread 0's atomic: the barrier makes the other threads'
    # stores of the row come first (an atomic orders only its own thread's).
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
