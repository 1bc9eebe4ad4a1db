"""Arrays of other libraries passed to kernels without a copy: any object
with ``__cuda_array_interface__`` (PyTorch CUDA tensors, CuPy, Numba) or with
``__dlpack__`` and ``__dlpack_device__`` (PyTorch, CuPy, JAX, ...). A kernel
gets only the data pointer and the element type, so, as in Triton, any
strides are accepted: the kernel's indexing is what reads them. The stream a
version 3 interface names is where the launch goes (runtime/arguments.py's
``launch_stream``)."""
from __future__ import annotations

import ctypes
from typing import NamedTuple, Optional

from ..language import dtypes as dt

# DLPack's DLDeviceType values Kite tells apart.
_DL_CPU, _DL_CUDA, _DL_CUDA_HOST, _DL_CUDA_MANAGED = 1, 2, 3, 13

# __cuda_array_interface__ typestr (without its byte order) -> kite dtype.
_TYPESTRS = {"b1": dt.int1, "i1": dt.int8, "i2": dt.int16, "i4": dt.int32, "i8": dt.int64,
             "u1": dt.uint8, "u2": dt.uint16, "u4": dt.uint32, "u8": dt.uint64,
             "f2": dt.float16, "f4": dt.float32, "f8": dt.float64}

# DLPack (type code, bits) -> kite dtype.
_DLPACK_TYPES = {(0, 8): dt.int8, (0, 16): dt.int16, (0, 32): dt.int32, (0, 64): dt.int64,
                 (1, 8): dt.uint8, (1, 16): dt.uint16, (1, 32): dt.uint32, (1, 64): dt.uint64,
                 (2, 16): dt.float16, (2, 32): dt.float32, (2, 64): dt.float64,
                 (4, 16): dt.bfloat16, (6, 8): dt.int1,
                 (10, 8): dt.float8e4m3, (11, 8): dt.float8e4b8, (12, 8): dt.float8e5m2,
                 (13, 8): dt.float8e5b16, (14, 8): dt.float8e8m0}


class ExternalArray(NamedTuple):
    dtype: dt.dtype
    pointer: int
    #: "cuda:N", "host" (CPU memory), or None when the device is found from
    #: the pointer (a __cuda_array_interface__ without __dlpack_device__).
    device: Optional[str]
    #: The DLPack capsule the pointer came from, kept while it is used.
    capsule: object = None
    #: The stream a __cuda_array_interface__ (version 3) asks its consumer to
    #: order work after (a CUstream: 1 the legacy default stream, 2 the
    #: per-thread one), or None.
    stream: Optional[int] = None


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    """The head of a DLManagedTensor, which a "dltensor" capsule points to."""
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_valid.restype = ctypes.c_int
_capsule_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _device_name(device_type: int, device_id: int) -> str:
    if device_type in (_DL_CUDA, _DL_CUDA_MANAGED):
        return f"cuda:{device_id}"
    if device_type in (_DL_CPU, _DL_CUDA_HOST):
        return "host"
    return f"DLPack device type {device_type}"


def _cuda_array_interface(value) -> Optional[dict]:
    # PyTorch raises (not only AttributeError) for tensors it cannot describe
    # this way, e.g. bfloat16 ones; DLPack may still describe them.
    try:
        return getattr(value, "__cuda_array_interface__", None)
    except Exception:
        return None


def _from_interface(name: str, value, interface: dict) -> Optional[ExternalArray]:
    typestr = str(interface.get("typestr", ""))
    order, code = typestr[:1], typestr[1:]
    # Byte order matters except for single bytes ('>' is big-endian).
    dtype = _TYPESTRS.get(code) if order in ("<", "|", "=") or code[1:] == "1" else None
    if dtype is None:
        if hasattr(value, "__dlpack__"):
            return None  # DLPack may name it (bfloat16, fp8)
        raise TypeError(f"argument '{name}': __cuda_array_interface__ typestr {typestr!r} "
                        "has no kite dtype")
    if interface.get("mask") is not None:
        raise TypeError(f"argument '{name}': masked __cuda_array_interface__ arrays cannot "
                        "be passed to a kernel")
    pointer = int(interface["data"][0] or 0)
    device = None
    if hasattr(value, "__dlpack_device__"):
        device = _device_name(*value.__dlpack_device__())
    return ExternalArray(dtype, pointer, device, None, _stream(name, interface.get("stream")))


def _stream(name: str, stream) -> Optional[int]:
    """A __cuda_array_interface__ "stream": None, or a CUstream as an int
    (1 and 2 are the driver's CU_STREAM_LEGACY and CU_STREAM_PER_THREAD)."""
    if stream is None:
        return None
    if type(stream) is not int or stream <= 0:
        raise ValueError(f"argument '{name}': __cuda_array_interface__ stream {stream!r} is "
                         "not a stream: version 3 allows None, 1 (the legacy default "
                         "stream), 2 (the per-thread default stream) or a cudaStream_t as "
                         "a positive int (0 is disallowed)")
    return stream


def _from_dlpack(name: str, value) -> ExternalArray:
    device_type, device_id = value.__dlpack_device__()
    capsule = value.__dlpack__()
    if not _capsule_valid(capsule, b"dltensor"):
        raise TypeError(f"argument '{name}': __dlpack__ returned no 'dltensor' capsule")
    tensor = _DLTensor.from_address(_capsule_pointer(capsule, b"dltensor"))
    key = (int(tensor.dtype.code), int(tensor.dtype.bits))
    if key not in _DLPACK_TYPES or tensor.dtype.lanes != 1:
        raise TypeError(f"argument '{name}': DLPack type (code {key[0]}, {key[1]} bits, "
                        f"{tensor.dtype.lanes} lanes) has no kite dtype")
    pointer = int(tensor.data or 0) + int(tensor.byte_offset)
    return ExternalArray(_DLPACK_TYPES[key], pointer, _device_name(device_type, device_id),
                         capsule)


def external_array(value, name: str = "") -> Optional[ExternalArray]:
    """What a kernel needs of an array from another library, or None if
    ``value`` is not one. TypeError names ``name`` when it is one Kite cannot
    pass (an element type with no kite dtype)."""
    interface = _cuda_array_interface(value)
    if interface is not None:
        found = _from_interface(name, value, interface)
        if found is not None:
            return found
    if hasattr(value, "__dlpack__") and hasattr(value, "__dlpack_device__"):
        return _from_dlpack(name, value)
    return None


def external_device(array: ExternalArray) -> Optional[str]:
    """The device an external array lives on: "cuda:N", "host", "unknown"
    for a pointer that is no CUDA device's memory, or None for a null
    pointer (an empty array), which any device accepts."""
    if array.device is not None:
        return array.device
    if array.pointer == 0:
        return None
    from .. import _C
    return _C.device_of_address(array.pointer) or "unknown"


def is_torch_tensor(value) -> bool:
    return type(value).__module__.startswith("torch")
