"""kite.Tensor to numpy and other libraries (runtime/dlpack_export.py):
np.from_dlpack views of host-visible tensors (interpreter, cuda-sim) that
share memory both ways, the DLPack type codes of every kite dtype, the
capsule's lifetime (the tensor lives until the consumer releases it), the
refusals, __cuda_array_interface__ on CUDA, and np.asarray's copy."""
import ctypes
import gc

import numpy as np
import pytest

import kite
import kite.language as kl
from kite.interpreter import numerics
from kite.runtime import dlpack_export
from kite.runtime.external import _DLTensor, external_array

HOST_DEVICES = ["interpreter", "cuda-sim:sm_80"]


@kite.jit
def add_one(x, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(x + offs, kl.load(x + offs, mask=mask) + 1, mask=mask)


@kite.jit
def copy_kernel(src, dst, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(dst + offs, kl.load(src + offs, mask=mask), mask=mask)


def _launch_options(device):
    return {} if device == "interpreter" else {"num_warps": 4}


class _Capsule:
    """What a DLPack capsule points to, read as a consumer reads it."""

    _valid = ctypes.PyDLL(None).PyCapsule_IsValid
    _valid.restype, _valid.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
    _pointer = ctypes.PyDLL(None).PyCapsule_GetPointer
    _pointer.restype, _pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]

    def __init__(self, capsule):
        self.capsule = capsule
        if self._valid(capsule, b"dltensor_versioned"):
            managed = dlpack_export._DLManagedTensorVersioned.from_address(
                self._pointer(capsule, b"dltensor_versioned"))
            self.version = (managed.version.major, managed.version.minor)
            self.flags = managed.flags
            self.tensor = managed.dl_tensor
        else:
            assert self._valid(capsule, b"dltensor")
            managed = dlpack_export._DLManagedTensor.from_address(
                self._pointer(capsule, b"dltensor"))
            self.version, self.flags, self.tensor = None, None, managed.dl_tensor

    @property
    def type(self):
        return (self.tensor.dtype.code, self.tensor.dtype.bits, self.tensor.dtype.lanes)


# -- sharing memory --------------------------------------------------------

@pytest.mark.parametrize("device", HOST_DEVICES)
def test_a_write_through_the_numpy_view_is_seen_by_the_tensor(device):
    t = kite.from_numpy(np.arange(8, dtype=np.float32), device=device)
    view = np.from_dlpack(t)
    assert view.shape == (8,) and view.dtype == np.float32
    assert view.ctypes.data == t.data_ptr() or device == "interpreter"
    view[3] = 100.0
    assert t.numpy()[3] == 100.0
    # and a kernel reading the tensor reads it
    out = kite.empty((8,), device=device)
    copy_kernel[(1,)](t, out, 8, BLOCK=8, **_launch_options(device))
    assert out.numpy()[3] == 100.0


@pytest.mark.parametrize("device", HOST_DEVICES)
def test_a_launch_writing_the_tensor_is_seen_through_the_numpy_view(device):
    t = kite.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3), device=device)
    view = np.from_dlpack(t)
    assert view.shape == (2, 3) and view.strides == (12, 4)
    add_one[(1,)](t, 6, BLOCK=8, **_launch_options(device))
    np.testing.assert_array_equal(view, np.arange(1, 7).reshape(2, 3))


def test_the_interpreter_launches_on_the_numpy_view_itself():
    t = kite.zeros((16,), kl.int32, device="interpreter")
    view = np.from_dlpack(t)
    ones = kite.from_numpy(np.ones(16, np.int32), device="interpreter")
    copy_kernel[(2,)](ones, view, 16, BLOCK=8)  # a host array, written on the interpreter
    np.testing.assert_array_equal(t.numpy(), np.ones(16, np.int32))


@pytest.mark.parametrize("device", HOST_DEVICES)
def test_a_round_trip_through_numpy_back_to_a_kite_launch(device):
    t = kite.from_numpy(np.arange(10, dtype=np.float32), device=device)
    again = kite.from_numpy(np.from_dlpack(t), device=device)  # a copy, on the device
    add_one[(1,)](again, 10, BLOCK=16, **_launch_options(device))
    np.testing.assert_array_equal(again.numpy(), np.arange(1, 11, dtype=np.float32))
    np.testing.assert_array_equal(t.numpy(), np.arange(10, dtype=np.float32))


@pytest.mark.parametrize("device", HOST_DEVICES)
def test_numpy_asks_for_a_versioned_capsule_and_gets_one(device):
    t = kite.zeros((4,), device=device)
    capsule = _Capsule(t.__dlpack__(max_version=(1, 0)))
    assert capsule.version == (1, 0) and capsule.flags == 0
    assert capsule.tensor.device.device_type == 1 and capsule.tensor.device.device_id == 0
    assert t.__dlpack_device__() == (1, 0)
    assert _Capsule(t.__dlpack__(max_version=(1, 3))).version == (1, 1)
    assert _Capsule(t.__dlpack__()).version is None  # the legacy "dltensor"


# -- dtypes ------------------------------------------------------------------

_CODES = {kl.int1: (6, 8), kl.int8: (0, 8), kl.int16: (0, 16), kl.int32: (0, 32),
          kl.int64: (0, 64), kl.uint8: (1, 8), kl.uint16: (1, 16), kl.uint32: (1, 32),
          kl.uint64: (1, 64), kl.float16: (2, 16), kl.float32: (2, 32), kl.float64: (2, 64),
          kl.bfloat16: (4, 16), kl.float8e4m3: (10, 8), kl.float8e4b8: (11, 8),
          kl.float8e5m2: (12, 8), kl.float8e5b16: (13, 8), kl.float8e8m0: (14, 8)}


def test_every_kite_dtype_has_a_code():
    assert set(_CODES) == set(kl.dtypes.ALL_DTYPES)


@pytest.mark.parametrize("dtype", kl.dtypes.ALL_DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("device", HOST_DEVICES)
def test_each_dtype_is_exported_with_its_dlpack_code_and_its_bits(device, dtype):
    values = np.array([0, 1, 2, 3, 0.5, 1.5], np.float32)
    if dtype == kl.float8e8m0:
        values = np.array([1, 2, 4, 0.5, 0.25, 8], np.float32)
    t = kite.from_numpy(values, device=device, dtype=dtype)
    capsule = _Capsule(t.__dlpack__(max_version=(1, 1)))
    assert capsule.type == (*_CODES[dtype], 1)
    assert capsule.tensor.ndim == 1 and capsule.tensor.shape[0] == 6
    storage = numerics.storage_dtype(dtype)
    bits = np.frombuffer(ctypes.string_at(capsule.tensor.data, 6 * storage.itemsize), storage)
    np.testing.assert_array_equal(bits, t.numpy() if not numerics.is_emulated(dtype)
                                  else numerics.encode(t.numpy(), dtype))
    # and kite reads its own capsule back as the same dtype
    assert external_array(t).dtype == dtype


@pytest.mark.parametrize("dtype", [d for d in kl.dtypes.ALL_DTYPES if not numerics.is_emulated(d)],
                         ids=lambda d: d.name)
def test_numpy_views_every_dtype_it_has(dtype):
    t = kite.from_numpy(np.array([1, 0, 1, 1]), device="interpreter", dtype=dtype)
    view = np.from_dlpack(t)
    assert view.dtype == dtype.np_dtype
    np.testing.assert_array_equal(view, t.numpy())


def test_bfloat16_round_trips_as_its_bits():
    values = np.array([1.0, -2.5, 3.140625, 65280.0], np.float32)
    t = kite.from_numpy(values, device="interpreter", dtype=kl.bfloat16)
    with pytest.raises(RuntimeError, match="Unsupported dtype"):  # numpy has no bfloat16
        np.from_dlpack(t)
    capsule = _Capsule(t.__dlpack__())
    assert capsule.type == (4, 16, 1)
    bits = np.ctypeslib.as_array(ctypes.cast(capsule.tensor.data,
                                             ctypes.POINTER(ctypes.c_uint16)), (4,))
    np.testing.assert_array_equal(numerics.decode(bits, kl.bfloat16), values)


# -- lifetime ------------------------------------------------------------------

@pytest.mark.parametrize("device", HOST_DEVICES)
def test_the_tensor_lives_while_a_numpy_view_does(device):
    t = kite.from_numpy(np.arange(1024, dtype=np.int64), device=device)
    view = np.from_dlpack(t)
    live = len(dlpack_export._LIVE)
    del t
    gc.collect()
    kite.zeros((1024,), kl.int64, device=device)  # memory that might reuse the freed one
    np.testing.assert_array_equal(view, np.arange(1024))
    del view
    gc.collect()
    assert len(dlpack_export._LIVE) == live - 1  # the deleter ran
    dlpack_export.sweep()


def test_an_unconsumed_capsule_releases_the_tensor():
    t = kite.zeros((4,), device="interpreter")
    live = len(dlpack_export._LIVE)
    capsule = t.__dlpack__(max_version=(1, 0))
    legacy = t.__dlpack__()
    assert len(dlpack_export._LIVE) == live + 2
    del capsule, legacy
    gc.collect()
    dlpack_export.sweep()
    assert len(dlpack_export._LIVE) == live


def test_a_capsule_numpy_refuses_releases_the_tensor():
    t = kite.from_numpy(np.ones(2, np.float32), device="interpreter", dtype=kl.bfloat16)
    dlpack_export.sweep()
    live = len(dlpack_export._LIVE)
    with pytest.raises(RuntimeError, match="Unsupported dtype"):
        np.from_dlpack(t)
    dlpack_export.sweep()
    assert len(dlpack_export._LIVE) == live


# -- refusals and copies -------------------------------------------------------

def _fake_tensor(device, dtype=kl.float32, address=0x7F0000001000):
    class Buffer:
        def __init__(self):
            self.address = address

        def release(self):
            pass
    return kite.Tensor((2, 3), dtype, device, buffer=Buffer())


def test_a_vulkan_tensor_is_refused_with_the_way_to_copy():
    t = _fake_tensor("vulkan:0")
    assert t.__dlpack_device__() == (7, 0)
    with pytest.raises(BufferError, match=r"a tensor on 'vulkan:0' cannot be shared through "
                                          r"DLPack: Kite does not map Vulkan buffers into host "
                                          r"memory .* use tensor.numpy\(\) for a copy, or "
                                          r"np.from_dlpack\(tensor, copy=True\)"):
        np.from_dlpack(t)
    assert not hasattr(t, "__cuda_array_interface__")


def test_a_real_vulkan_tensor_copies_only_when_asked():
    from conftest import vulkan_device
    t = kite.from_numpy(np.arange(5, dtype=np.float32), device=vulkan_device())
    with pytest.raises(BufferError, match="use tensor.numpy"):
        np.from_dlpack(t)
    copied = np.from_dlpack(t, copy=True)
    np.testing.assert_array_equal(copied, np.arange(5))
    assert _Capsule(t.__dlpack__(max_version=(1, 0), copy=True)).flags == 2  # IS_COPIED


def test_copy_true_gives_a_copy_and_copy_false_a_view():
    t = kite.zeros((3,), device="interpreter")
    copied = np.from_dlpack(t, copy=True)
    copied[0] = 5
    assert t.numpy()[0] == 0
    view = np.from_dlpack(t, copy=False)
    view[0] = 5
    assert t.numpy()[0] == 5


def test_a_cuda_tensor_exports_its_device_pointer():
    t = _fake_tensor("cuda:1", kl.float16)
    assert t.__dlpack_device__() == (2, 1)
    capsule = _Capsule(t.__dlpack__(max_version=(1, 0)))
    assert (capsule.tensor.device.device_type, capsule.tensor.device.device_id) == (2, 1)
    assert capsule.tensor.data == 0x7F0000001000 and capsule.type == (2, 16, 1)
    assert t.__cuda_array_interface__ == {"shape": (2, 3), "typestr": "<f2",
                                          "data": (0x7F0000001000, False), "strides": None,
                                          "version": 3, "stream": 1}
    with pytest.raises(RuntimeError, match="Unsupported device"):
        np.from_dlpack(t)  # numpy takes only host memory
    with pytest.raises(BufferError, match=r"copy=True only to the host"):
        t.__dlpack__(copy=True)
    with pytest.raises(BufferError, match=r"cannot be exported to DLPack device \(7, 0\)"):
        t.__dlpack__(dl_device=(7, 0))
    with pytest.raises(BufferError, match=r"only with a copy, and copy=False"):
        t.__dlpack__(dl_device=(1, 0), copy=False)


def test_cuda_array_interface_is_only_for_cuda_and_numpy_dtypes():
    assert not hasattr(_fake_tensor("cuda:0", kl.bfloat16), "__cuda_array_interface__")
    assert not hasattr(_fake_tensor("cuda-sim:sm_80"), "__cuda_array_interface__")
    assert not hasattr(kite.zeros((2,), device="interpreter"), "__cuda_array_interface__")
    with pytest.raises(AttributeError, match="no typestr for bf16; use __dlpack__"):
        _fake_tensor("cuda:0", kl.bfloat16).__cuda_array_interface__


# -- np.asarray ---------------------------------------------------------------

@pytest.mark.parametrize("device", HOST_DEVICES)
def test_asarray_and_array_are_copies_of_the_values(device):
    t = kite.from_numpy(np.array([1.5, 2.25], np.float32), device=device, dtype=kl.bfloat16)
    for made in (np.asarray(t), np.array(t)):
        assert made.dtype == np.float32
        np.testing.assert_array_equal(made, [1.5, 2.25])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    copy = np.asarray(kite.zeros((2,), device=device))
    copy[0] = 1  # a copy: the tensor is not written
    with pytest.raises(ValueError, match=r"converts to numpy only by a copy; np.from_dlpack"):
        np.asarray(t, copy=False)


# -- other libraries -----------------------------------------------------------

def test_torch_views_a_kite_tensor():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    t = kite.from_numpy(np.arange(4, dtype=np.float32), device="interpreter")
    view = torch.from_dlpack(t)
    view[0] = 7
    assert t.numpy()[0] == 7
