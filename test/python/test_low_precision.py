"""fp8 and bf16 in the interpreter, and Triton's rules for integer constants.
(fp8 on devices, against the interpreter: test_fp8_numerics.py.)"""
import numpy as np
import pytest

import kite
import kite.language as kl


@kite.kernel
def round_trip(x_ptr, out_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(out_ptr + offs, x.to(DTYPE).to(kl.float32))


E4M3 = [0.0, 1.0, -1.0, 1.0625, 1.125, 0.015625, 448.0, 500.0, 1e9, -1e9, np.inf, 0.0019531, 2.0 ** -11]
E4M3_WANT = [0.0, 1.0, -1.0, 1.0, 1.125, 0.015625, 448.0, 448.0, 448.0, -448.0, 448.0, 2.0 ** -9, 0.0]
E5M2 = [0.0, 1.0, 1.125, 1.375, 57344.0, 1e9, -np.inf, 3.0517578e-05, 2.0 ** -18]
E5M2_WANT = [0.0, 1.0, 1.0, 1.5, 57344.0, 57344.0, -57344.0, 2.0 ** -15, 0.0]


@pytest.mark.parametrize("dtype,values,want", [(kl.float8e4m3, E4M3, E4M3_WANT),
                                               (kl.float8e5m2, E5M2, E5M2_WANT)])
def test_fp8_rounds_to_nearest_even_and_saturates(dtype, values, want):
    n = 16
    x = np.zeros(n, np.float32)
    x[: len(values)] = values
    expected = np.zeros(n, np.float32)
    expected[: len(want)] = want
    out = kite.zeros(n, kl.float32, device="interpreter")
    round_trip[(1,)](kite.from_numpy(x, device="interpreter"), out, BLOCK=n, DTYPE=dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_fp8_nan_stays_nan():
    x = np.full(4, np.nan, np.float32)
    out = kite.zeros(4, kl.float32, device="interpreter")
    round_trip[(1,)](kite.from_numpy(x, device="interpreter"), out, BLOCK=4, DTYPE=kl.float8e4m3)
    assert np.isnan(out.numpy()).all()


def test_fp8_storage():
    t = kite.from_numpy(np.array([0.5, 3.0, 1000.0], np.float32), dtype=kl.float8e5m2,
                        device="interpreter")
    np.testing.assert_array_equal(t.numpy(), np.array([0.5, 3.0, 1024.0], np.float32))


@kite.kernel
def add_constant(x_ptr, BLOCK: kl.constexpr, C: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, kl.load(x_ptr + offs) + C)


def test_integer_constant_out_of_range_of_the_block_type_is_an_error():
    with pytest.raises(kite.CompilationError, match=r"integer constant 1000 is out of range for int8"):
        add_constant.trace(np.zeros(4, np.int8), BLOCK=4, C=1000)
    with pytest.raises(kite.CompilationError, match=r"-1 is out of range for uint32"):
        add_constant.trace(np.zeros(4, np.uint32), BLOCK=4, C=-1)
    assert "arith.addi" in add_constant.trace(np.zeros(4, np.int8), BLOCK=4, C=100)


@kite.kernel
def count_true(x_ptr, out_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(out_ptr, kl.sum(x > 0, axis=0))


def test_sum_of_booleans_is_uint32_as_in_triton():
    out = np.zeros(1, np.uint32)
    x = np.array([1, -1, 2, 0, 5, -3, 7, 8], np.int32)
    t_out = kite.from_numpy(out)
    count_true[(1,)](kite.from_numpy(x), t_out, BLOCK=8)
    assert t_out.numpy()[0] == 5
    assert "-> i32" in count_true.trace(x, out, BLOCK=8)
