"""Signed `%` and `//` of runs of consecutive offsets, against numpy, where
the runs reach below zero. Kite's `%` and `//` on signed integers truncate
toward zero (C's, as Triton's): [-16, -9] % 16 is 0, -15, ..., -9, so a run
of consecutive dividends is not a run of remainders there, nor [-32, -25]
// 8 one quotient. The compiler vectorizes loads and computes masks once
per group only where AxisInfo proves the runs survive, which it does for
dividends it knows are non-negative (make_range, program_id, kl.assume(x
>= 0), ...); these kernels check that negative ones are computed element by
element. Runs on KITE_TEST_DEVICE."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import run

BLOCK = 1024  # several elements per thread: vectors and groups form


@kite.jit
def load_at_remainders(x_ptr, out_ptr, n, SHIFT: kl.constexpr, BY_N: kl.constexpr,
                       BLOCK: kl.constexpr):
    # Remainders of arange - SHIFT, in (-d, d): x[d + remainder].
    if BY_N:
        offs = (kl.arange(0, BLOCK) - SHIFT) % n
        base = n
    else:
        offs = (kl.arange(0, BLOCK) - SHIFT) % 8
        base = 8
    x = kl.load(x_ptr + base + offs)
    kl.store(out_ptr + kl.arange(0, BLOCK), x)


@kite.jit
def quotient_mask(out_ptr, SHIFT: kl.constexpr, BLOCK: kl.constexpr):
    q = (kl.arange(0, BLOCK) - SHIFT) // 8
    kl.store(out_ptr + kl.arange(0, BLOCK), kl.where(q < -3, 1, 0))


def c_remainder(x, d):
    return np.fmod(x, d)  # truncating, the sign of the dividend


@pytest.mark.parametrize("shift", [32, 24, 5])
@pytest.mark.parametrize("by_n", [True, False], ids=["by-runtime-n", "by-8"])
def test_remainder_of_negative_runs_loads_each_element(by_n, shift):
    n = 16  # divisible by 16: the launch says so, as for `offs % N`
    d = n if by_n else 8
    x = np.arange(2 * d, dtype=np.float32) * 3 + 1
    out = run(load_at_remainders, (1,), x, np.zeros(BLOCK, np.float32), n, SHIFT=shift,
              BY_N=by_n, BLOCK=BLOCK)[1]
    expected = x[d + c_remainder(np.arange(BLOCK) - shift, d)]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shift", [32, 28])
def test_quotient_of_negative_runs_masks_each_element(shift):
    out = run(quotient_mask, (1,), np.zeros(BLOCK, np.int32), SHIFT=shift, BLOCK=BLOCK)
    q = np.trunc((np.arange(BLOCK) - shift) / 8)
    np.testing.assert_array_equal(out, (q < -3).astype(np.int32))
