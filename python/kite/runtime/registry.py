"""Device names: ``cuda:N`` (a CUDA device, through the driver API),
``vulkan:N`` (a Vulkan physical device, lavapipe included) and
``interpreter`` (numpy, no compilation); ``device(name)`` is the process-wide
runtime object of a CUDA or Vulkan device."""
from __future__ import annotations

import functools
import os

from .environ import interpret_requested

INTERPRETER = "interpreter"


@functools.lru_cache(maxsize=None)
def _device_names() -> tuple:
    """The usable CUDA and Vulkan devices, CUDA first, each in its driver's
    order (listed once per process)."""
    try:
        from .. import _C
    except ImportError:  # the frontend without libkite: the interpreter only
        return ()
    return tuple(p.name for p in _C.list_devices() if not p.unsupported_reason)


def _names_of(backend: str) -> tuple:
    return tuple(n for n in _device_names() if n.startswith(backend + ":"))


SIMULATOR = "cuda-sim"


def devices() -> list:
    """Every device kernels can be given tensors on, in order of preference:
    CUDA devices, Vulkan devices, the interpreter, then the NVIDIA simulator
    (``cuda-sim:sm_80``, ...), which is never the default."""
    names = _device_names()
    simulated = [n for n in names if n.startswith(SIMULATOR + ":")]
    return [n for n in names if n not in simulated] + [INTERPRETER] + simulated


def default_device() -> str:
    """The interpreter under ``KITE_INTERPRET=1`` (so that a script runs
    unchanged there, its tensors included, as under ``TRITON_INTERPRET=1``),
    else ``KITE_DEVICE`` if set, else the device launches use by default."""
    if interpret_requested():
        return INTERPRETER
    override = os.environ.get("KITE_DEVICE", "")
    if override:
        return resolve_device(override, "KITE_DEVICE")
    # docs/runtime.md: the first CUDA device, else the first Vulkan device, else
    # the interpreter.
    return devices()[0]


def resolve_device(device, what: str = "device") -> str:
    """The canonical name of ``device`` (None: the default; "cuda" and
    "vulkan": the first device of that backend); ValueError for a device this
    process does not have."""
    if device is None:
        return default_device()
    name = str(device)
    available = devices()
    if name in ("cuda", "vulkan", SIMULATOR) and _names_of(name):
        return _names_of(name)[0]
    if name.startswith(SIMULATOR + ":") and name not in available:
        # Any architecture cuda-sim simulates, not only those it lists.
        try:
            from .. import _C
            _C.Device.open(name)
            return name
        except Exception as exc:
            raise ValueError(str(exc)) from None
    if name not in available:
        raise ValueError(f"unknown or unavailable {what} '{name}'; this build has: "
                         f"{', '.join(available)}")
    return name


@functools.lru_cache(maxsize=None)
def device(name: str):
    """The process-wide ``CudaDevice`` or ``VulkanDevice`` for ``cuda:N`` or
    ``vulkan:N`` ("cuda", "vulkan": the first one), opened on first use.
    Cached by the name given, since every launch asks."""
    return _open(resolve_device(name))


_OPENED: list = []  # the devices opened so far, in order


def opened() -> list:
    """The CudaDevice and VulkanDevice objects this process has opened."""
    return list(_OPENED)


@functools.lru_cache(maxsize=None)
def _open(name: str):
    if name.startswith("cuda:"):
        from .cuda import CudaDevice
        _OPENED.append(CudaDevice(name))
        return _OPENED[-1]
    if name.startswith("vulkan:"):
        from .vulkan import VulkanDevice
        _OPENED.append(VulkanDevice(name))
        return _OPENED[-1]
    if name.startswith(SIMULATOR + ":"):
        from .cuda_sim import CudaSimDevice
        _OPENED.append(CudaSimDevice(name))
        return _OPENED[-1]
    raise ValueError(f"'{name}' has no device memory (the interpreter uses numpy arrays)")


def vulkan_device(name: str):
    """The process-wide ``VulkanDevice`` for ``vulkan:N``."""
    found = device(name)
    if not found.name.startswith("vulkan:"):
        raise ValueError(f"'{name}' is not a Vulkan device")
    return found
