"""Devices and their memory (docs/runtime.md): which devices exist, the default
one, and the CUDA and Vulkan device wrappers behind ``kite.Tensor``."""
from .registry import INTERPRETER, default_device, device, devices, resolve_device, vulkan_device

__all__ = ["INTERPRETER", "default_device", "device", "devices", "resolve_device",
           "vulkan_device"]
