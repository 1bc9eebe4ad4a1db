"""Minimal reproducers of the Kite bugs the random-kernel fuzzer found
(docs/fuzzing.md), each compared with the interpreter on the first Vulkan
device. Those still open are strict xfails named after the bug: when a fix
lands, the test passes, pytest reports it, and the mark comes off (along
with the seeds test_fuzz.py expects to fail with the same bug). The fixed
ones (float reassociation, log of subnormals, float atomic max/min of
computed values, layout conversions that did not converge) stay as
regression tests."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import vulkan_device


def _both(kernel, args, **meta):
    """The arrays of ``args`` after launching ``kernel`` on the interpreter
    and on the Vulkan device."""
    out = []
    for device in ("interpreter", vulkan_device()):
        dev = [kite.from_numpy(a, device=device) if isinstance(a, np.ndarray) else a for a in args]
        kernel[(1,)](*dev, **meta)
        out.append([d.numpy() for d in dev if isinstance(d, kite.Tensor)])
    return out


@kite.kernel
def specials_kernel(x_ptr, sub_ptr, mul_ptr, div_ptr, add_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(sub_ptr + offs, x - x)      # NaN for inf and NaN
    kl.store(mul_ptr + offs, x * 0.0)    # NaN for inf and NaN, -0.0 for negative x
    kl.store(div_ptr + offs, x / 0.0)    # +-inf, NaN for 0 and NaN
    kl.store(add_ptr + offs, x + 0.0)    # -0.0 + 0.0 is +0.0


def _check_specials(dtype, outputs):
    x = np.array([0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan, 3.5], dtype)
    ref, dev = _both(specials_kernel, [x] + [np.zeros(8, dtype) for _ in range(4)], BLOCK=8)
    for i in outputs:
        r, d = ref[1 + i], dev[1 + i]
        np.testing.assert_array_equal(np.signbit(d) | np.isnan(d), np.signbit(r) | np.isnan(r))
        np.testing.assert_array_equal(d, r)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vulkan_float_specials_kept(dtype):
    # x - x and x * 0.0: fixed by NoContraction and the module's
    # SignedZeroInfNanPreserve execution mode.
    _check_specials(dtype, [0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vulkan_float_specials_of_zero_constants(dtype):
    # x / 0.0 and x + 0.0: Mesa's NIR folded them (NaN, and -0.0 kept)
    # whatever the execution mode says; ZeroOperands.cpp computes them.
    _check_specials(dtype, [2, 3])


# Every float op with a literal zero on either side: lavapipe folded
# x + 0.0, 0.0 - x, 0.0 / x, x / 0.0 and (f64) x % 0.0 as if signed zeros,
# infinities and NaNs did not exist.
_ZERO_FORMS = ["x + 0.0", "0.0 + x", "x + -0.0", "-0.0 + x", "x - 0.0", "x - -0.0",
               "0.0 - x", "-0.0 - x", "x * 0.0", "x * -0.0", "x / 0.0", "x / -0.0",
               "0.0 / x", "-0.0 / x", "x % 0.0", "x % -0.0", "0.0 % x", "-0.0 % x"]


@kite.kernel
def zero_form_kernel(x_ptr, y_ptr, FORM: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    if FORM == "x + 0.0":
        y = x + 0.0
    elif FORM == "0.0 + x":
        y = 0.0 + x
    elif FORM == "x + -0.0":
        y = x + -0.0
    elif FORM == "-0.0 + x":
        y = -0.0 + x
    elif FORM == "x - 0.0":
        y = x - 0.0
    elif FORM == "x - -0.0":
        y = x - -0.0
    elif FORM == "0.0 - x":
        y = 0.0 - x
    elif FORM == "-0.0 - x":
        y = -0.0 - x
    elif FORM == "x * 0.0":
        y = x * 0.0
    elif FORM == "x * -0.0":
        y = x * -0.0
    elif FORM == "x / 0.0":
        y = x / 0.0
    elif FORM == "x / -0.0":
        y = x / -0.0
    elif FORM == "0.0 / x":
        y = 0.0 / x
    elif FORM == "-0.0 / x":
        y = -0.0 / x
    elif FORM == "x % 0.0":
        y = x % 0.0
    elif FORM == "x % -0.0":
        y = x % -0.0
    elif FORM == "0.0 % x":
        y = 0.0 % x
    elif FORM == "-0.0 % x":
        y = -0.0 % x
    kl.store(y_ptr + offs, y)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("form", _ZERO_FORMS)
def test_vulkan_float_ops_on_zero_constants(form, dtype):
    x = np.array([0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan, 3.5], dtype)
    ref, dev = _both(zero_form_kernel, [x, np.zeros(8, dtype)], FORM=form, BLOCK=8)
    np.testing.assert_array_equal(np.signbit(dev[1]) | np.isnan(dev[1]),
                                  np.signbit(ref[1]) | np.isnan(ref[1]), err_msg=form)
    np.testing.assert_array_equal(dev[1], ref[1], err_msg=form)


@kite.kernel
def reassociation_kernel(a_ptr, b_ptr, sum_ptr, prod_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    a = kl.load(a_ptr + offs)
    b = kl.load(b_ptr + offs)
    kl.store(sum_ptr + offs, (a - b) + b)       # rounded twice, not a
    kl.store(prod_ptr + offs, (a * 3.0) * 5.0)  # rounded twice, not a * 15.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_vulkan_float_reassociation(dtype):
    rng = np.random.default_rng(1)
    a = rng.uniform(-2000, 2000, 256).astype(dtype)
    b = (rng.uniform(-1, 1, 256) * 1e-3).astype(dtype)
    ref, dev = _both(reassociation_kernel, [a, b, np.zeros(256, dtype), np.zeros(256, dtype)],
                     BLOCK=256)
    np.testing.assert_array_equal(dev[2], ref[2])
    np.testing.assert_array_equal(dev[3], ref[3])


@kite.kernel
def log_kernel(x_ptr, log_ptr, log2_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(log_ptr + offs, kl.log(x))
    kl.store(log2_ptr + offs, kl.log2(x))


def test_vulkan_log_of_subnormals():
    x = np.array([1e-40, 1e-45, 3e-39, 5e-44, 2e-38, 1.0, 0.5, 1e-30], np.float32)
    ref, dev = _both(log_kernel, [x, np.zeros(8, np.float32), np.zeros(8, np.float32)], BLOCK=8)
    np.testing.assert_allclose(dev[1], ref[1], rtol=1e-6)
    np.testing.assert_allclose(dev[2], ref[2], rtol=1e-6)


@kite.kernel
def mixed_width_add_kernel(a_ptr, b_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    a = kl.load(a_ptr + offs)  # float64
    b = kl.load(b_ptr + offs)  # float32
    kl.store(out_ptr + offs, a + b.to(kl.float64))  # stored as float32


@pytest.mark.parametrize("target", ["vulkan", "cuda:sm_80"])
def test_mixed_width_add_compiles(target):
    target = vulkan_device() if target == "vulkan" else target
    a, b = np.arange(128, dtype=np.float64), np.arange(128, dtype=np.float32)
    compiled = mixed_width_add_kernel.compile(a, b, np.zeros(128, np.float32), target=target,
                                              num_warps=1, BLOCK=128)
    assert compiled.asm


def test_mixed_width_add_matches_interpreter():
    a = np.linspace(-3, 3, 128).astype(np.float64)
    b = np.linspace(5, -5, 128).astype(np.float32)
    ref, dev = _both(mixed_width_add_kernel, [a, b, np.zeros(128, np.float32)], BLOCK=128,
                     num_warps=1)
    np.testing.assert_array_equal(dev[2], ref[2])


@kite.kernel
def atomic_of_computed_kernel(target_ptr, x_ptr, BLOCK: kl.constexpr, OP: kl.constexpr,
                              CONVERT: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    # Values loaded as float32 and passed on as they are work; computed ones do not.
    v = kl.load(x_ptr + offs).to(kl.float32) if CONVERT else kl.load(x_ptr + offs) * 2.0
    if OP == "max":
        kl.atomic_max(target_ptr + offs * 0, v)
    else:
        kl.atomic_min(target_ptr + offs * 0, v)


@pytest.mark.parametrize("convert", [True, False], ids=["converted", "doubled"])
@pytest.mark.parametrize("op", ["max", "min"])
def test_float_atomic_max_min_of_computed_values(op, convert):
    x = np.array([-32, -3, -1, -7], np.int32 if convert else np.float32)
    init = np.zeros(1, np.float32)
    ref, dev = _both(atomic_of_computed_kernel, [init, x], BLOCK=4, OP=op, CONVERT=convert)
    np.testing.assert_array_equal(ref[0], [0.0 if op == "max" else (-32.0 if convert else -64.0)])
    np.testing.assert_array_equal(dev[0], ref[0])
