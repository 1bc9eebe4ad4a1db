"""What every compiled-code device (runtime/vulkan.py, runtime/cuda.py) does
the same way over ``kite._C.Device``: opening it, and memory as kite tensors
use it (whole 32-bit words, so that ``zero`` is one 32-bit fill and an empty
tensor still has an address)."""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import numpy as np

from .. import _C
from .memory_checks import AllocationTable


class NativeLaunch(NamedTuple):
    """What a launcher's ``native`` attribute tells the compiled kernel, to
    launch in C++ as the launcher would (kite._C.PackedLauncher,
    python/src/FastLaunch.cpp)."""
    device: "_C.Device"
    kernel: "_C.Kernel"
    stream: Optional[Callable]     # values -> CUstream where torch is imported; None: 0
    translate: Optional[Callable]  # DeviceError -> the exception to raise, or None


class Device:
    def __init__(self, name: str):
        self.name = name
        self._device = _C.Device.open(name)
        self.properties = self._device.properties
        # What checked kernels may reach (runtime/memory_checks.py).
        self.allocations = AllocationTable(self)

    @property
    def subgroup_size(self) -> int:
        return int(self.properties.subgroup_size)

    def allocate(self, nbytes: int) -> "_C.Buffer":
        buffer = self._device.allocate(max(4, (nbytes + 3) // 4 * 4))
        self.allocations.add(buffer)
        return buffer

    def upload(self, buffer, array: np.ndarray) -> None:
        if array.nbytes:
            self._device.upload(buffer, np.ascontiguousarray(array))

    def download(self, buffer, shape: tuple, dtype: np.dtype) -> np.ndarray:
        out = np.empty(shape, dtype)
        if out.nbytes:
            self._device.download_into(buffer, out)
        return out

    def zero(self, buffer) -> None:
        self._device.fill(buffer, 0)
