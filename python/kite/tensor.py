"""``kite.Tensor``: a small array on a kite device (for now, the interpreter)."""
from __future__ import annotations

import numpy as np

from .interpreter import numerics
from .language import dtypes as dt

DEVICES = ("interpreter",)


def _check_device(device) -> str:
    device = "interpreter" if device is None else str(device)
    if device not in DEVICES:
        raise ValueError(f"unknown or unavailable device '{device}'; this build has: "
                         f"{', '.join(DEVICES)}")
    return device


class Tensor:
    """A contiguous array on a device. ``numpy()`` copies it back to the host
    (bfloat16 and fp8 come back as float32)."""

    def __init__(self, storage: np.ndarray, dtype: dt.dtype, device: str):
        self._storage = np.ascontiguousarray(storage)
        self.dtype = dtype
        self.device = device

    @property
    def shape(self) -> tuple:
        return self._storage.shape

    @property
    def ndim(self) -> int:
        return self._storage.ndim

    def numel(self) -> int:
        return int(self._storage.size)

    def element_size(self) -> int:
        return self._storage.itemsize

    def data_ptr(self) -> int:
        return int(self._storage.ctypes.data)

    def numpy(self) -> np.ndarray:
        if numerics.is_emulated(self.dtype):
            return numerics.decode(self._storage, self.dtype)
        return self._storage.copy()

    def __repr__(self) -> str:
        return f"kite.Tensor(shape={self.shape}, dtype={self.dtype}, device='{self.device}')"


def from_numpy(array, device=None, dtype=None) -> Tensor:
    """Copies a numpy array to ``device``; ``dtype`` converts it (e.g. to kl.bfloat16)."""
    device = _check_device(device)
    array = np.asarray(array)
    if dtype is None:
        dtype = dt.from_numpy_dtype(array.dtype)
    if numerics.is_emulated(dtype):
        storage = numerics.encode(array.astype(np.float32), dtype)
    else:
        storage = array.astype(dtype.np_dtype, copy=True)
    return Tensor(storage, dtype, device)


def empty(shape, dtype=dt.float32, device=None) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.empty(shape, numerics.storage_dtype(dtype)), dtype, _check_device(device))


def zeros(shape, dtype=dt.float32, device=None) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.zeros(shape, numerics.storage_dtype(dtype)), dtype, _check_device(device))
