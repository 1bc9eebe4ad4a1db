"""Integers equal to 1 are compiled in, as Triton does (a unit stride then
makes contiguous, vectorised accesses), unless the kernel says
``do_not_specialize``."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import compiler

F32 = kl.pointer_type(kl.float32)


@kite.kernel
def strided_copy(x_ptr, out_ptr, stride, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + offs * stride))


@kite.kernel(do_not_specialize=["stride"])
def strided_copy_runtime(x_ptr, out_ptr, stride, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + offs * stride))


def test_an_integer_equal_to_one_is_a_constexpr():
    specs, _, _ = strided_copy.specialize((F32, F32, 1), {"BLOCK": 64})
    assert specs[2].is_constexpr and specs[2].value == 1
    assert "%arg2" not in strided_copy.trace(F32, F32, 1, BLOCK=64).split("\n")[1]
    specs, _, _ = strided_copy.specialize((F32, F32, 2), {"BLOCK": 64})
    assert not specs[2].is_constexpr


def test_do_not_specialize_keeps_it_a_runtime_argument():
    specs, _, _ = strided_copy_runtime.specialize((F32, F32, 1), {"BLOCK": 64})
    assert not specs[2].is_constexpr and specs[2].type == kl.int32
    by_index = kite.kernel(do_not_specialize=[2])(strided_copy.fn)
    assert not by_index.specialize((F32, F32, 1), {"BLOCK": 64})[0][2].is_constexpr


def test_do_not_specialize_names_a_parameter():
    with pytest.raises(TypeError, match=r"do_not_specialize of strided_copy: 'strides' is not "
                                        r"one of its parameters \(x_ptr, out_ptr, stride, BLOCK\)"):
        kite.kernel(do_not_specialize=["strides"])(strided_copy.fn)


def test_a_unit_stride_vectorises():
    a = np.zeros(512, np.float32)  # 16-byte aligned, like device memory
    unit = strided_copy.compile(a, a, 1, BLOCK=512, target="cuda:sm_90")
    runtime = strided_copy_runtime.compile(a, a, 1, BLOCK=512, target="cuda:sm_90")
    assert "ld.global.v4" in unit.asm["ptx"]
    assert "ld.global.v4" not in runtime.asm["ptx"]


@pytest.mark.skipif(not any(d.startswith("vulkan:") for d in kite.devices()),
                    reason="no Vulkan device")
def test_launches_with_one_and_with_other_strides_each_get_their_kernel():
    x = np.arange(256, dtype=np.float32)
    device = next(d for d in kite.devices() if d.startswith("vulkan:"))
    tx = kite.from_numpy(x, device=device)
    for stride in (1, 2, 1, 2):
        out = kite.zeros(64, kl.float32, device=device)
        strided_copy[(1,)](tx, out, stride, BLOCK=64)
        np.testing.assert_array_equal(out.numpy(), x[::stride][:64])
    assert compiler.stats.fast_launches >= 2
