"""kite.Tensor on Vulkan devices (device buffers) and on the interpreter:
creation, copies back, addresses, freeing, device names and the default
(test_cuda_runtime.py has the same on cuda:N, against a fake driver)."""
import gc

import numpy as np
import pytest
from conftest import vulkan_device

import kite
import kite.language as kl


def test_devices_list_cuda_then_vulkan_then_the_interpreter_then_the_simulator():
    found = kite.devices()
    at = found.index("interpreter")
    backends = [d.split(":")[0] for d in found[:at]]
    assert set(backends) <= {"cuda", "vulkan"}
    assert backends == sorted(backends), found  # "cuda" < "vulkan"
    # cuda-sim is listed, never the default (docs/cuda-sim.md).
    assert found[at + 1:] == ["cuda-sim:sm_80", "cuda-sim:sm_90"]


def test_default_device_is_the_first_cuda_then_vulkan_device_else_the_interpreter(monkeypatch):
    monkeypatch.delenv("KITE_DEVICE", raising=False)
    assert kite.default_device() == kite.devices()[0]
    cuda = [d for d in kite.devices() if d.startswith("cuda:")]
    vulkan = [d for d in kite.devices() if d.startswith("vulkan:")]
    assert kite.default_device() == (cuda + vulkan + ["interpreter"])[0]


def test_kite_device_overrides_the_default(monkeypatch):
    device = vulkan_device()
    monkeypatch.setenv("KITE_DEVICE", device)
    assert kite.default_device() == device
    assert kite.empty(4, kl.int32).device == device
    monkeypatch.setenv("KITE_DEVICE", "vulkan:99")
    with pytest.raises(ValueError, match="unknown or unavailable KITE_DEVICE 'vulkan:99'"):
        kite.default_device()


@pytest.mark.parametrize("np_dtype", [np.int8, np.uint16, np.int32, np.int64, np.float16,
                                      np.float32, np.float64, np.bool_])
def test_from_numpy_and_back(np_dtype):
    device = vulkan_device()
    host = (np.arange(24).reshape(2, 3, 4) % 7).astype(np_dtype)
    t = kite.from_numpy(host, device=device)
    assert t.shape == (2, 3, 4) and t.device == device
    assert t.dtype == kl.dtypes.from_numpy_dtype(host.dtype)
    back = t.numpy()
    assert back.dtype == host.dtype
    np.testing.assert_array_equal(back, host)


@pytest.mark.parametrize("dtype", [kl.bfloat16, kl.float8e4m3, kl.float8e5m2])
def test_emulated_dtypes_come_back_as_float32_as_on_the_interpreter(dtype):
    host = np.array([1.0, 1.00390625, 3.14159, -0.375, 0.0], np.float32)
    on_device = kite.from_numpy(host, device=vulkan_device(), dtype=dtype).numpy()
    reference = kite.from_numpy(host, device="interpreter", dtype=dtype).numpy()
    assert on_device.dtype == np.float32
    np.testing.assert_array_equal(on_device, reference)


def test_zeros_and_empty():
    device = vulkan_device()
    z = kite.zeros((3, 5), kl.float16, device=device)
    assert z.shape == (3, 5) and z.dtype == kl.float16
    np.testing.assert_array_equal(z.numpy(), np.zeros((3, 5), np.float16))
    odd = kite.zeros(7, kl.int8, device=device)   # not a whole number of words
    np.testing.assert_array_equal(odd.numpy(), np.zeros(7, np.int8))
    e = kite.empty((2, 0), kl.float32, device=device)
    assert e.numpy().shape == (2, 0) and e.data_ptr() != 0


def test_data_ptr_is_the_device_address():
    device = vulkan_device()
    a, b = kite.empty(64, kl.float32, device=device), kite.empty(64, kl.float32, device=device)
    assert a.data_ptr() == a._buffer.address != 0
    assert a.data_ptr() != b.data_ptr()
    assert a.data_ptr() % 16 == 0


def test_device_memory_is_freed_when_the_tensor_dies():
    t = kite.zeros(1024, kl.float32, device=vulkan_device())
    buffer = t._buffer
    assert buffer.valid
    del t
    gc.collect()
    assert not buffer.valid


def test_vulkan_alias_names_the_first_device():
    assert kite.empty(1, device="vulkan").device == vulkan_device()


def test_unknown_device_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"unknown or unavailable device 'cuda:0'; "
                                         r"this build has: .*interpreter"):
        kite.zeros(4, kl.float32, device="cuda:0")


def test_interpreter_tensors_still_work():
    t = kite.from_numpy(np.arange(6, dtype=np.int32), device="interpreter")
    # A virtual address of the interpreter's: fixed, aligned, one per tensor.
    other = kite.from_numpy(np.arange(6, dtype=np.int32), device="interpreter")
    assert t.device == "interpreter" and t.data_ptr() == t.data_ptr()
    assert t.data_ptr() % 16 == 0 and t.data_ptr() != other.data_ptr()
    np.testing.assert_array_equal(t.numpy(), np.arange(6))
    with pytest.raises(ValueError, match="a tensor on 'vulkan:0' has no host storage"):
        kite.empty(1, device=vulkan_device()).host_storage()


@pytest.mark.parametrize("where", ["interpreter", "vulkan"])
def test_zero_and_copy_in_place(where):
    device = vulkan_device() if where == "vulkan" else "interpreter"
    t = kite.from_numpy(np.arange(6, dtype=np.float32), device=device)
    assert t.copy_(np.full(6, 2.5)) is t
    np.testing.assert_array_equal(t.numpy(), np.full(6, 2.5, np.float32))
    b = kite.from_numpy(np.ones(6, np.float32), device=device, dtype=kl.bfloat16)
    b.copy_(np.linspace(0, 1, 6))
    np.testing.assert_allclose(b.numpy(), np.linspace(0, 1, 6), atol=4e-3)
    t.zero_()
    assert not t.numpy().any()
    with pytest.raises(ValueError, match="source of shape"):
        t.copy_(np.zeros(5))


def test_interpreter_addresses_are_reused_once_they_run_out(monkeypatch):
    import itertools
    from kite.interpreter import memory
    live = kite.from_numpy(np.zeros(2, np.float32), device="interpreter")
    taken = live.data_ptr() >> memory.SHIFT
    monkeypatch.setattr(memory, "_tensor_ids", itertools.count(memory._LAST_TENSOR_ID + 1))
    fresh = kite.from_numpy(np.zeros(2, np.float32), device="interpreter")
    tid = fresh.data_ptr() >> memory.SHIFT
    assert memory._FIRST_TENSOR_ID <= tid <= memory._LAST_TENSOR_ID and tid != taken
    assert fresh.data_ptr() < 2 ** 63
