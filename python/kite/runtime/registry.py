"""Device names: ``vulkan:N`` (a Vulkan physical device, lavapipe included)
and ``interpreter`` (numpy, no compilation). ``cuda:N`` joins them with the
NVIDIA backend."""
from __future__ import annotations

import functools
import os

INTERPRETER = "interpreter"


@functools.lru_cache(maxsize=None)
def _vulkan_names() -> tuple:
    """The usable Vulkan devices, in the loader's order (listed once per process)."""
    try:
        from .. import _C
    except ImportError:  # the frontend without libkite: the interpreter only
        return ()
    return tuple(p.name for p in _C.list_devices() if not p.unsupported_reason)


def devices() -> list:
    """Every device kernels can be given tensors on, in order of preference."""
    return list(_vulkan_names()) + [INTERPRETER]


def default_device() -> str:
    """``KITE_DEVICE`` if set, else the device launches use by default."""
    override = os.environ.get("KITE_DEVICE", "")
    if override:
        return resolve_device(override, "KITE_DEVICE")
    # DESIGN.md §7: the first CUDA device (with the NVIDIA backend), else the
    # first Vulkan device, else the interpreter.
    return devices()[0]


def resolve_device(device, what: str = "device") -> str:
    """The canonical name of ``device`` (None: the default; "vulkan": the first
    Vulkan device); ValueError for a device this process does not have."""
    if device is None:
        return default_device()
    name = str(device)
    available = devices()
    if name == "vulkan" and _vulkan_names():
        return _vulkan_names()[0]
    if name not in available:
        raise ValueError(f"unknown or unavailable {what} '{name}'; this build has: "
                         f"{', '.join(available)}")
    return name


@functools.lru_cache(maxsize=None)
def vulkan_device(name: str):
    """The process-wide ``VulkanDevice`` for ``vulkan:N`` (opened on first use)."""
    from .vulkan import VulkanDevice
    return VulkanDevice(resolve_device(name))
