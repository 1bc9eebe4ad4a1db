"""kite.Tensor to other libraries without a copy: the DLPack capsules
``Tensor.__dlpack__`` returns and ``Tensor.__cuda_array_interface__``
(runtime/external.py is the other direction). Memory the host can read is
exported as ``kDLCPU``: an interpreter tensor's numpy storage, and a
cuda-sim tensor's buffer (the simulator's memory is this process's host
memory, docs/cuda-sim.md). A CUDA tensor is ``kDLCUDA`` with its device
pointer. A Vulkan buffer is refused: ``kite._C.Buffer`` gives only its device
address, not a host mapping (and a discrete GPU's memory has none).

The capsule is built with ctypes: a ``DLManagedTensor`` (or, for a consumer
that passes ``max_version`` >= 1.0, a ``DLManagedTensorVersioned`` in a
"dltensor_versioned" capsule) whose shape, strides and owning Tensor are kept
in ``_LIVE`` until the consumer calls its deleter; a capsule dropped
unconsumed (still named "dltensor") is found by the next export's sweep."""
from __future__ import annotations

import ctypes
import sys
from typing import Optional

import numpy as np

from .external import _DL_CPU, _DL_CUDA, _DLDataType, _DLDevice, _DLTensor

_DL_VULKAN = 7

# kite dtype name -> DLPack (type code, bits): kDLInt 0, kDLUInt 1, kDLFloat 2,
# kDLBfloat 4, kDLBool 6, and DLPack 1.1's float8 codes (kDLFloat8_e4m3fn 10,
# kDLFloat8_e4m3fnuz 11, kDLFloat8_e5m2 12, kDLFloat8_e5m2fnuz 13,
# kDLFloat8_e8m0fnu 14). Bool is one byte a value, as kite stores it.
DLPACK_CODES = {"int1": (6, 8), "int8": (0, 8), "int16": (0, 16), "int32": (0, 32),
                "int64": (0, 64), "uint8": (1, 8), "uint16": (1, 16), "uint32": (1, 32),
                "uint64": (1, 64), "fp16": (2, 16), "fp32": (2, 32), "fp64": (2, 64),
                "bf16": (4, 16), "fp8e4m3": (10, 8), "fp8e4b8": (11, 8), "fp8e5m2": (12, 8),
                "fp8e5b16": (13, 8), "fp8e8m0": (14, 8)}

# The DLPack version a versioned capsule reports: 1.1 (the float8 codes), or
# 1.0 to a consumer whose max_version is 1.0 (minor versions only add codes).
_VERSION = (1, 1)

_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", _Deleter)]


class _DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", _DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                ("deleter", _Deleter), ("flags", ctypes.c_uint64), ("dl_tensor", _DLTensor)]


_FLAG_IS_COPIED = 1 << 1

# Capsule names, at addresses that live as long as the module (a capsule
# keeps only the pointer).
_NAME = ctypes.create_string_buffer(b"dltensor")
_NAME_VERSIONED = ctypes.create_string_buffer(b"dltensor_versioned")

_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
# Called on a capsule being destroyed: a borrowed PyObject* as a plain
# pointer, so that ctypes touches no reference count.
_is_valid = ctypes.PyDLL(None).PyCapsule_IsValid
_is_valid.restype = ctypes.c_int
_is_valid.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_get_pointer = ctypes.PyDLL(None).PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.c_void_p, ctypes.c_void_p]

#: Address of each exported DLManagedTensor(Versioned) -> what it needs alive
#: (the struct, its shape and strides, the Tensor or array owning the data).
_LIVE: dict = {}


@_Deleter
def _delete(address):
    """The DLPack deleter: the consumer is done with the memory."""
    live = _LIVE  # None once the module is torn down at exit
    if live is not None:
        live.pop(address, None)


def _sweep() -> None:
    """Forgets the capsules no consumer took and nobody holds any more (only
    ``_LIVE`` refers to them), releasing their tensors, and stops holding
    the consumed ones (renamed "used_...": the consumer calls the deleter).
    Capsules get no destructor: one written with ctypes cannot run while a
    consumer that refused the capsule (numpy: "Unsupported dtype") has its
    exception set, since no ctypes call can put that exception back."""
    for address, entry in list(_LIVE.items()):
        capsule = entry[-1]
        if capsule is None:
            continue
        if not (_is_valid(id(capsule), ctypes.addressof(_NAME))
                or _is_valid(id(capsule), ctypes.addressof(_NAME_VERSIONED))):
            _LIVE[address] = entry[:-1] + (None,)
        elif sys.getrefcount(capsule) <= 3:  # _LIVE's entry, ``capsule``, the argument
            del _LIVE[address]


def sweep() -> None:
    """Releases the tensors of capsules dropped unconsumed (done on each
    export; tests call it after gc)."""
    _sweep()


def dlpack_device(tensor) -> tuple:
    """``(device type, device id)`` of a kite.Tensor's memory as DLPack names it."""
    device = tensor.device
    if tensor._buffer is None or device.startswith("cuda-sim:"):
        return (_DL_CPU, 0)
    index = int(device.rsplit(":", 1)[1])
    if device.startswith("cuda:"):
        return (_DL_CUDA, index)
    return (_DL_VULKAN, index)


def _refuse_vulkan(tensor) -> BufferError:
    return BufferError(
        f"a tensor on '{tensor.device}' cannot be shared through DLPack: Kite does not map "
        "Vulkan buffers into host memory (only their device address is known); use "
        "tensor.numpy() for a copy, or np.from_dlpack(tensor, copy=True)")


def _host_copy(tensor) -> np.ndarray:
    """The tensor's storage (bfloat16 and fp8 as their bits) in a new array."""
    from ..interpreter import numerics
    if tensor._buffer is None:
        return tensor._host.copy()
    from .registry import device as runtime_device
    return runtime_device(tensor.device).download(
        tensor._buffer, tensor.shape, numerics.storage_dtype(tensor.dtype))


def export(tensor, *, stream=None, max_version=None, dl_device=None, copy=None):
    """``tensor.__dlpack__(...)``: a "dltensor" capsule, or a
    "dltensor_versioned" one when ``max_version`` is 1.x. ``copy=True``
    exports a host copy of the storage (flagged as copied); ``copy=False``
    and a ``dl_device`` other than the tensor's own (or the host, with a
    copy) raise BufferError, as does a Vulkan tensor without ``copy=True``."""
    code = DLPACK_CODES.get(tensor.dtype.name)
    if code is None:
        raise BufferError(f"a tensor of dtype {tensor.dtype} has no DLPack type code")
    own = dlpack_device(tensor)
    if dl_device is not None:
        dl_device = (int(dl_device[0]), int(dl_device[1]))
    to_host = dl_device == (_DL_CPU, 0) and own != dl_device
    if dl_device is not None and dl_device != own and not to_host:
        raise BufferError(f"a tensor on '{tensor.device}' cannot be exported to DLPack "
                          f"device {dl_device}; its own is {own}")
    if to_host and copy is False:
        raise BufferError(f"a tensor on '{tensor.device}' can reach the host "
                          f"(dl_device={dl_device}) only with a copy, and copy=False")
    if copy is True and own[0] == _DL_CUDA and not to_host:
        raise BufferError(f"a tensor on '{tensor.device}' is exported with copy=True only "
                          "to the host (dl_device=(1, 0)); Kite makes no device copies")
    copied = copy is True or to_host
    if own[0] == _DL_VULKAN and not copied:
        raise _refuse_vulkan(tensor)
    if stream is not None and stream != -1 and own[0] == _DL_CUDA and not copied:
        # The consumer's stream must see every launch that wrote the tensor:
        # wait for the device (launches go on several streams).
        from .registry import device as runtime_device
        runtime_device(tensor.device).synchronize()

    owner: object = tensor
    if copied:
        owner = _host_copy(tensor)
        pointer, device = owner.ctypes.data, (_DL_CPU, 0)
    elif tensor._buffer is None:
        pointer, device = tensor._host.ctypes.data, own
    else:
        pointer, device = tensor._address, own

    ndim = len(tensor.shape)
    shape = (ctypes.c_int64 * max(ndim, 1))(*tensor.shape)
    strides = (ctypes.c_int64 * max(ndim, 1))()
    step = 1
    for axis in reversed(range(ndim)):
        strides[axis] = step
        step *= tensor.shape[axis]
    versioned = max_version is not None and int(max_version[0]) >= 1
    if versioned:
        managed = _DLManagedTensorVersioned()
        minor = _VERSION[1] if tuple(max_version[:2]) >= _VERSION else 0
        managed.version = _DLPackVersion(1, minor)
        managed.flags = _FLAG_IS_COPIED if copied else 0
    else:
        managed = _DLManagedTensor()
    managed.deleter = _delete
    dl = managed.dl_tensor
    dl.data = pointer
    dl.device = _DLDevice(*device)
    dl.ndim = ndim
    dl.dtype = _DLDataType(code[0], code[1], 1)
    dl.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    dl.strides = ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64))
    dl.byte_offset = 0
    address = ctypes.addressof(managed)
    name = _NAME_VERSIONED if versioned else _NAME
    _sweep()
    capsule = _new_capsule(address, ctypes.addressof(name), None)
    _LIVE[address] = (managed, shape, strides, owner, capsule)
    return capsule


def cuda_array_interface(tensor) -> dict:
    """``tensor.__cuda_array_interface__`` (version 3) of a CUDA tensor;
    AttributeError (so that ``hasattr`` is False) for other devices and for
    dtypes the interface has no typestr for (bfloat16, fp8: use DLPack)."""
    from ..interpreter import numerics
    if not tensor.device.startswith("cuda:"):
        raise AttributeError(f"a tensor on '{tensor.device}' has no __cuda_array_interface__ "
                             "(it is not CUDA device memory); use __dlpack__ or numpy()")
    if numerics.is_emulated(tensor.dtype):
        raise AttributeError(f"__cuda_array_interface__ has no typestr for {tensor.dtype}; "
                             "use __dlpack__")
    # Stream 1, the legacy default stream: kite launches go on it unless a
    # torch tensor or another stream was passed, and it waits for the others.
    return {"shape": tensor.shape, "typestr": numerics.storage_dtype(tensor.dtype).str,
            "data": (tensor._address, False), "strides": None, "version": 3, "stream": 1}
