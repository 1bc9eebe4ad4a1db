"""Which device a launch runs on (DESIGN.md §7)."""
from __future__ import annotations

import os

from .tensor import Tensor


def default_device() -> str:
    """``KITE_DEVICE``, else the best device this build has (the interpreter,
    until the GPU backends land)."""
    return os.environ.get("KITE_DEVICE", "interpreter")


def resolve_launch_device(args, kwargs) -> str:
    from .jit import interpret_requested
    if interpret_requested():
        return "interpreter"
    devices = {a.device for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)}
    if len(devices) > 1:
        raise ValueError(f"kernel arguments are on different devices: {sorted(devices)}")
    return devices.pop() if devices else default_device()
