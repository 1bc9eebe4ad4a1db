"""``kite.Tensor``: a small contiguous array on a kite device, either
``cuda:N`` or ``vulkan:N`` (a device buffer with a 64-bit address) or the
``interpreter`` (a numpy array the interpreter reads and writes in place)."""
from __future__ import annotations

import math
import weakref
from typing import Optional

import numpy as np

from .interpreter import numerics
from .language import dtypes as dt
from .runtime import INTERPRETER, device as runtime_device, resolve_device


class Tensor:
    """A contiguous array on a device. ``numpy()`` copies it back to the host
    (bfloat16 and fp8 come back as float32). The device memory is freed when
    the tensor is garbage-collected."""

    def __init__(self, shape: tuple, dtype: dt.dtype, device: str, *,
                 host: Optional[np.ndarray] = None, buffer=None):
        self._shape = tuple(int(s) for s in shape)
        self.dtype = dtype
        self.device = device
        self._host = host          # interpreter tensors: the storage itself
        self._buffer = buffer      # CUDA and Vulkan tensors: a kite._C.Buffer
        # The device address, read once (every launch reads it, twice).
        self._address = int(buffer.address) if buffer is not None else None
        if buffer is not None:
            weakref.finalize(self, buffer.release).atexit = False

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def numel(self) -> int:
        return math.prod(self._shape)

    def element_size(self) -> int:
        return numerics.storage_dtype(self.dtype).itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.element_size()

    def data_ptr(self) -> int:
        """The address kernels see: a device address for CUDA and Vulkan
        tensors, a virtual address of the interpreter's for interpreter
        tensors (interpreter/memory.py), valid while the tensor lives."""
        if self._address is not None:
            return self._address
        from .interpreter.memory import tensor_address
        return tensor_address(self)

    def host_storage(self) -> np.ndarray:
        """The interpreter's storage (written in place by launches)."""
        if self._host is None:
            raise ValueError(f"a tensor on '{self.device}' has no host storage")
        return self._host

    def numpy(self) -> np.ndarray:
        if self._buffer is not None:
            storage = runtime_device(self.device).download(
                self._buffer, self._shape, numerics.storage_dtype(self.dtype))
        else:
            storage = self._host.copy()
        if numerics.is_emulated(self.dtype):
            return numerics.decode(storage, self.dtype)
        return storage

    def zero_(self) -> "Tensor":
        """Sets every element to zero, in place (as torch's zero_)."""
        if self._buffer is not None:
            runtime_device(self.device).zero(self._buffer)
        else:
            self._host[...] = 0
        return self

    def copy_(self, source) -> "Tensor":
        """Copies ``source`` (an array of this shape, or a kite.Tensor) into
        this tensor, converting to its dtype, in place (as torch's copy_)."""
        values = source.numpy() if isinstance(source, Tensor) else np.asarray(source)
        if values.shape != self._shape:
            raise ValueError(f"copy_: source of shape {values.shape} into a tensor of shape "
                             f"{self._shape}")
        storage = _storage_of(values, self.dtype)
        if self._buffer is not None:
            runtime_device(self.device).upload(self._buffer, storage)
        else:
            self._host[...] = storage
        return self

    # -- interop: numpy and other libraries (runtime/dlpack_export.py) ------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this tensor's memory, without a copy (unless
        ``copy=True``, or ``dl_device=(1, 0)`` for a device tensor): host
        memory (interpreter, cuda-sim) as kDLCPU, CUDA memory as kDLCUDA;
        the tensor stays alive until the consumer releases the capsule.
        bfloat16 and fp8 are exported as their bits (kDLBfloat, DLPack 1.1's
        float8 codes). Vulkan tensors raise BufferError (use ``numpy()``)."""
        from .runtime.dlpack_export import export
        return export(self, stream=stream, max_version=max_version, dl_device=dl_device,
                      copy=copy)

    def __dlpack_device__(self) -> tuple:
        """(DLPack device type, id): (1, 0) kDLCPU for interpreter and
        cuda-sim tensors, (2, N) kDLCUDA on cuda:N, (7, N) kDLVulkan."""
        from .runtime.dlpack_export import dlpack_device
        return dlpack_device(self)

    @property
    def __cuda_array_interface__(self) -> dict:
        """Version 3 of the interface, for CUDA tensors whose dtype numpy
        has (AttributeError otherwise)."""
        from .runtime.dlpack_export import cuda_array_interface
        return cuda_array_interface(self)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """``np.asarray(t)``, ``np.array(t)``: a copy, as ``numpy()`` makes
        (bfloat16 and fp8 as float32); ``np.from_dlpack(t)`` is the view."""
        if copy is False:
            raise ValueError("np.asarray(kite.Tensor, copy=False): a kite.Tensor converts to "
                             "numpy only by a copy; np.from_dlpack(tensor) shares host "
                             "memory (interpreter and cuda-sim tensors)")
        values = self.numpy()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"kite.Tensor(shape={self.shape}, dtype={self.dtype}, device='{self.device}')"


def _shape_of(shape) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _from_storage(storage: np.ndarray, dtype: dt.dtype, device: str) -> Tensor:
    if device == INTERPRETER:
        return Tensor(storage.shape, dtype, device, host=np.ascontiguousarray(storage))
    target = runtime_device(device)
    buffer = target.allocate(storage.nbytes)
    target.upload(buffer, storage)
    return Tensor(storage.shape, dtype, device, buffer=buffer)


def from_numpy(array, device=None, dtype: Optional[dt.dtype] = None) -> Tensor:
    """Copies a numpy array to ``device`` (default: ``kite.default_device()``);
    ``dtype`` converts it (e.g. to kl.bfloat16)."""
    device = resolve_device(device)
    array = np.asarray(array)
    if dtype is None:
        dtype = dt.from_numpy_dtype(array.dtype)
    return _from_storage(_storage_of(array, dtype), dtype, device)


def _storage_of(array: np.ndarray, dtype: dt.dtype) -> np.ndarray:
    """``array``'s values as ``dtype`` is stored (bfloat16 and fp8 encoded)."""
    if numerics.is_emulated(dtype):
        return numerics.encode(array.astype(np.float32), dtype)
    return array.astype(dtype.np_dtype, copy=True)


def empty(shape, dtype: dt.dtype = dt.float32, device=None) -> Tensor:
    """An uninitialised tensor on ``device``."""
    shape, device = _shape_of(shape), resolve_device(device)
    if device == INTERPRETER:
        return Tensor(shape, dtype, device, host=np.empty(shape, numerics.storage_dtype(dtype)))
    nbytes = math.prod(shape) * numerics.storage_dtype(dtype).itemsize
    return Tensor(shape, dtype, device, buffer=runtime_device(device).allocate(nbytes))


def zeros(shape, dtype: dt.dtype = dt.float32, device=None) -> Tensor:
    """A tensor of zeros on ``device`` (all-zero bits are zero in every dtype)."""
    tensor = empty(shape, dtype, device)
    if tensor._buffer is not None:
        runtime_device(tensor.device).zero(tensor._buffer)
    else:
        tensor._host[...] = 0
    return tensor
