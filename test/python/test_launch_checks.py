"""Launch argument checks: each bad launch is a clear error naming the
argument, raised before anything is compiled or run."""
import numpy as np
import pytest
from conftest import vulkan_device

import kite
import kite.language as kl
from kite import compiler


@kite.kernel
def scale(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) * 2.0, mask=mask)


@pytest.fixture
def nothing_runs():
    """Asserts that the test's launch compiled nothing."""
    before = compiler.stats.pipeline_runs
    yield
    assert compiler.stats.pipeline_runs == before


def test_tensors_on_different_devices(nothing_runs):
    x = kite.zeros(16, kl.float32, device=vulkan_device())
    out = kite.from_numpy(np.full(16, 7, np.float32), device="interpreter")
    with pytest.raises(ValueError, match=r"kernel arguments are on different devices: "
                                         r"'x_ptr' on 'vulkan:\d+', 'out_ptr' on 'interpreter'"):
        scale[(1,)](x, out, 16, BLOCK=16)
    np.testing.assert_array_equal(out.numpy(), np.full(16, 7))  # nothing ran


def test_tensor_not_on_the_launch_device(monkeypatch, nothing_runs):
    monkeypatch.setenv("KITE_INTERPRET", "1")
    x = kite.zeros(16, kl.float32, device=vulkan_device())
    with pytest.raises(ValueError, match=r"argument 'x_ptr' is on 'vulkan:\d+', but the kernel "
                                         r"runs on 'interpreter' \(KITE_INTERPRET=1\)"):
        scale[(1,)](x, x, 16, BLOCK=16)


def test_host_array_where_a_device_pointer_is_needed(nothing_runs):
    x = kite.zeros(16, kl.float32, device=vulkan_device())
    with pytest.raises(TypeError, match=r"argument 'out_ptr' is a host array, but the kernel "
                                        r"runs on 'vulkan:\d+', which needs device memory: "
                                        r"pass kite.from_numpy\(out_ptr, device='vulkan:\d+'\)"):
        scale[(1,)](x, np.zeros(16, np.float32), 16, BLOCK=16)


def test_host_arrays_under_kite_device_are_refused(monkeypatch, nothing_runs):
    monkeypatch.setenv("KITE_DEVICE", vulkan_device())
    with pytest.raises(TypeError, match=r"argument 'x_ptr' is a host array, but the kernel runs "
                                        r"on 'vulkan:\d+' \(the default device\)"):
        scale[(1,)](np.zeros(16, np.float32), np.zeros(16, np.float32), 16, BLOCK=16)


def test_host_arrays_are_fine_for_the_interpreter(monkeypatch):
    monkeypatch.setenv("KITE_DEVICE", "interpreter")
    out = np.zeros(20, np.float32)
    scale[(2,)](np.arange(20, dtype=np.float32), out, 20, BLOCK=16)
    np.testing.assert_array_equal(out, 2 * np.arange(20))


def test_too_many_arguments(nothing_runs):
    x = kite.zeros(16, kl.float32)
    with pytest.raises(TypeError, match=r"scale takes 4 positional arguments \(x_ptr, out_ptr, "
                                        r"n, BLOCK\), but 5 were given"):
        scale[(1,)](x, x, 16, 16, 3)


def test_missing_argument_is_named(nothing_runs):
    with pytest.raises(TypeError, match="missing a required argument: 'n'"):
        scale[(1,)](kite.zeros(16, kl.float32), kite.zeros(16, kl.float32), BLOCK=16)


def test_unsupported_argument_type_is_named(nothing_runs):
    x = kite.zeros(16, kl.float32)
    with pytest.raises(TypeError, match="argument 'n' of Python type dict cannot be passed"):
        scale[(1,)](x, x, {"n": 16}, BLOCK=16)


def test_a_type_is_not_a_launch_argument(nothing_runs):
    x = kite.zeros(16, kl.float32)
    with pytest.raises(TypeError, match="argument 'n' is the type int32: types stand for "
                                        "arguments in kernel.trace and kernel.compile"):
        scale[(1,)](x, x, kl.int32, BLOCK=16)


def test_launch_on_vulkan_runs_the_compiled_kernel():
    device = vulkan_device()
    x = kite.from_numpy(np.arange(20, dtype=np.float32), device=device)
    out = kite.zeros(20, kl.float32, device=device)
    scale[(2,)](x, out, 20, BLOCK=16)
    np.testing.assert_array_equal(out.numpy(), np.arange(20) * 2.0)


# A compiled kernel checks its arguments against its specialisation.

@pytest.fixture
def compiled():
    x = kite.zeros(64, kl.float32, device=vulkan_device())
    return scale.compile(x, x, 64, BLOCK=32, target=x.device), x


def test_compiled_kernel_rejects_another_dtype(compiled):
    kernel, x = compiled
    half = kite.zeros(64, kl.float16, device=x.device)
    with pytest.raises(TypeError, match=r"scale: argument 'out_ptr' is pointer<fp16>, but the "
                                        r"kernel was compiled for pointer<fp32>"):
        kernel[(2,)](x, half, 64, BLOCK=32)


def test_compiled_kernel_rejects_another_constexpr(compiled):
    kernel, x = compiled
    with pytest.raises(ValueError, match="scale: constexpr 'BLOCK' is 64, but the kernel was "
                                         "compiled for 32"):
        kernel[(2,)](x, x, 64, BLOCK=64)


def test_compiled_kernel_rejects_a_broken_divisibility_assumption(compiled):
    kernel, x = compiled
    with pytest.raises(ValueError, match="scale: argument 'n' is not divisible by 16, which the "
                                         "kernel was compiled to assume"):
        kernel[(2,)](x, x, 63, BLOCK=32)


def test_compiled_kernel_rejects_another_argument_count(compiled):
    kernel, x = compiled
    with pytest.raises(TypeError, match="missing a required argument: 'n'"):
        kernel[(2,)](x, x, BLOCK=32)


def test_compiled_kernel_rejects_tensors_on_another_device(compiled):
    kernel, _ = compiled
    y = kite.zeros(64, kl.float32, device="interpreter")
    with pytest.raises(ValueError, match=r"argument 'x_ptr' is on 'interpreter', but the kernel "
                                         r"runs on 'vulkan:\d+' \(the device it was compiled for\)"):
        kernel[(2,)](y, y, 64, BLOCK=32)


def test_compiled_kernel_rejects_other_options(compiled):
    kernel, x = compiled
    with pytest.raises(ValueError, match="num_warps=8 at launch, but the kernel was compiled "
                                         "with num_warps=4"):
        kernel[(2,)](x, x, 64, BLOCK=32, num_warps=8)


def test_compiled_kernel_with_good_arguments_runs(compiled):
    kernel, x = compiled
    kernel[(2,)](x, x, 64, BLOCK=32)
    np.testing.assert_array_equal(x.numpy(), np.zeros(64, np.float32))


def test_a_kernel_compiled_for_no_device_cannot_launch():
    ptr = kl.pointer_type(kl.float32)
    kernel = scale.compile(ptr, ptr, kl.int32, BLOCK=32, target="generic")
    x = kite.zeros(64, kl.float32)
    with pytest.raises(RuntimeError, match="compiled for 'generic:subgroup=32', which is not a "
                                           "device"):
        kernel[(2,)](x, x, 64, BLOCK=32)


class _HostDLPackArray:
    """A host array of another library, known only through DLPack (as a CPU
    torch tensor is)."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()


def test_a_dlpack_host_array_is_refused_by_a_device_and_written_by_the_interpreter(monkeypatch):
    host = np.arange(16, dtype=np.float32)
    out = np.zeros(16, np.float32)
    with pytest.raises(TypeError, match=f"^argument 'x_ptr' is a host array, but the kernel "
                                        f"runs on '{vulkan_device()}', which needs device memory"):
        scale[(1,)](_HostDLPackArray(host), kite.zeros(16, kl.float32, device=vulkan_device()),
                    16, BLOCK=16)
    monkeypatch.setenv("KITE_INTERPRET", "1")
    scale[(1,)](_HostDLPackArray(host), _HostDLPackArray(out), 16, BLOCK=16)
    np.testing.assert_array_equal(out, host * 2)
