"""Runtime loops of more iterations than lavapipe allows (65,535 back-edges
per kernel invocation, all loops together): on every device a loop either
runs all its iterations or the launch raises kite.KernelRuntimeError naming
the driver's limit, never a loop silently cut short; small innermost for
loops run 8 iterations per back-edge there (docs/spirv-emitter.md)."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, run


def is_llvmpipe():
    if not DEVICE.startswith("vulkan:"):
        return False
    from kite.runtime import registry
    # Measured on Mesa 22.3: a 70,000-trip loop alone ran 65,535 iterations;
    # Mesa 25's lavapipe has no such budget (loop_iteration_limit() is 0).
    return registry.vulkan_device(DEVICE).loop_iteration_limit() > 0


def run_loops(fits_llvmpipe, kernel, grid, *args, **meta):
    """``run``; on lavapipe, unless the kernel's loops fit its budget of
    65,535 back-edges (small innermost for loops unrolled by 8 take one per
    8 iterations), the launch must raise instead."""
    if is_llvmpipe() and not fits_llvmpipe:
        with pytest.raises(kite.KernelRuntimeError, match="stopped a loop of this kernel"):
            run(kernel, grid, *args, **meta)
        return None
    return run(kernel, grid, *args, **meta)


@kite.kernel
def count_kernel(out_ptr, lo, hi, step):
    total = 0
    trips = 0
    for i in range(lo, hi, step):
        total += i
        trips += 1
    kl.store(out_ptr, total)
    kl.store(out_ptr + 1, trips)


@pytest.mark.parametrize("lo,hi,step", [(0, 70_000, 1), (5, 200_005, 1), (-3, 210_000, 3),
                                        (0, 1_000, 1), (10, -70_000, 1), (0, 65_000, 1)])
def test_for_loops_past_the_driver_limit(lo, hi, step):
    trips = len(range(lo, hi, step))
    # Unrolled by 8: 200,005 trips take 25,000 back-edges and the epilogue's.
    out = run_loops(True, count_kernel, (1,), np.zeros(2, np.int64), lo, hi, step)
    if out is not None:
        total = (sum(range(lo, hi, step)) + 2**31) % 2**32 - 2**31  # int32 wraps
        np.testing.assert_array_equal(out, [total, trips])


@kite.kernel
def halving_while_kernel(out_ptr, start):
    x = start
    steps = 0
    while x > 0:
        x -= 1
        steps += 1
    kl.store(out_ptr, steps)


@pytest.mark.parametrize("start", [1_000, 70_001])
def test_while_loops_past_the_driver_limit(start):
    # While loops are not unrolled: one back-edge per iteration.
    out = run_loops(start < 65_000, halving_while_kernel, (1,), np.zeros(1, np.int64), start)
    if out is not None:
        assert out[0] == start


@kite.kernel
def carried_dtypes_kernel(out_ptr, n):
    a = kl.full([8], 0, kl.int64)
    b = kl.full([8], 1.0, kl.float32)
    c = kl.full([8], 0, kl.int32)
    d = kl.full([8], 0, kl.uint32)
    for i in range(n):
        a += i
        b = b * 0.5 + 1.0
        c ^= i
        d += 3
    offs = kl.arange(0, 8)
    kl.store(out_ptr + offs, a.to(kl.float64))
    kl.store(out_ptr + 8 + offs, b.to(kl.float64))
    kl.store(out_ptr + 16 + offs, c.to(kl.float64))
    kl.store(out_ptr + 24 + offs, d.to(kl.float64))


@pytest.mark.parametrize("n", [0, 3, 70_000])
def test_loop_carried_values_of_several_dtypes(n):
    out = run_loops(True, carried_dtypes_kernel, (1,), np.zeros(32, np.float64), n)
    if out is None:
        return
    b, c = np.float32(1.0), 0
    for i in range(n):
        b = np.float32(b * np.float32(0.5) + np.float32(1.0))
        c ^= i
    np.testing.assert_array_equal(out[:8], float(sum(range(n))))
    np.testing.assert_array_equal(out[8:16], float(b))
    np.testing.assert_array_equal(out[16:24], float(c))
    np.testing.assert_array_equal(out[24:], float((3 * n) % 2**32))


@kite.kernel
def nested_kernel(out_ptr, n, m):
    total = 0
    for i in range(n):
        for j in range(m):
            total += 1
    kl.store(out_ptr, total)


@kite.kernel
def nested_while_kernel(out_ptr, n, m):
    total = 0
    for i in range(n):
        j = 0
        while j < m:
            j += 1
            total += 1
    kl.store(out_ptr, total)


# The budget is shared by all loops: 300 x 300 nested while loops (each
# below the limit, together above) do not fit; 250 x 250 do; nested for
# loops have their inner loop unrolled.
@pytest.mark.parametrize("kernel,n,m,fits", [
    (nested_kernel, 300, 300, True), (nested_kernel, 2, 70_000, True),
    (nested_while_kernel, 250, 250, True), (nested_while_kernel, 300, 300, False),
    (nested_while_kernel, 2, 40_000, False)])
def test_nested_loops_share_the_budget(kernel, n, m, fits):
    out = run_loops(fits, kernel, (1,), np.zeros(1, np.int64), n, m)
    if out is not None:
        assert out[0] == n * m


@kite.kernel
def spin_kernel(lock_ptr, evals_ptr, out_ptr, n):
    # The condition's atomics run exactly once per iteration: the counter of
    # evaluations ends at one more than the iterations.
    steps = 0
    while kl.atomic_add(evals_ptr, 1) < n and kl.atomic_cas(lock_ptr, 0, 0) == 0:
        steps += 1
    kl.store(out_ptr, steps)


@pytest.mark.parametrize("n", [1_000, 70_000])
def test_side_effecting_condition_runs_once_per_iteration(n):
    out = run_loops(n < 65_000, spin_kernel, (1,), np.zeros(1, np.int32), np.zeros(1, np.int32),
                    np.zeros(1, np.int32), n, num_warps=1)
    if out is not None:
        lock, evals, steps = out
        assert steps[0] == n and evals[0] == n + 1 and lock[0] == 0
