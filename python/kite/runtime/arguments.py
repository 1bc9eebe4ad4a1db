"""Checks of a launch's arguments, made before anything is compiled or run:
which device the launch runs on, and whether every argument can be passed
there. Each error names the argument."""
from __future__ import annotations

from typing import Optional, Sequence

from ..language import dtypes as dt
from .registry import INTERPRETER, default_device


def _is_host_array(value) -> bool:
    return hasattr(value, "__array_interface__") or type(value).__module__ == "numpy"


def launch_device(specs: Sequence, values: Sequence, *, interpret: bool = False,
                  target: Optional[str] = None) -> str:
    """The device a launch with these (bound) arguments runs on.

    ``interpret`` (KITE_INTERPRET=1) forces the interpreter and ``target`` (a
    compiled kernel's device) forces that device; otherwise the tensors'
    common device, else ``kite.default_device()``. Raises ValueError for
    tensors on different devices or on another device than the launch's, and
    TypeError for arguments that cannot be passed to that device."""
    from ..tensor import Tensor
    runtime = [(s.name, v) for s, v in zip(specs, values) if not s.is_constexpr]
    for name, value in runtime:
        if isinstance(value, dt.dtype):
            raise TypeError(f"argument '{name}' is the type {value.name}: types stand for "
                            "arguments in kernel.trace and kernel.compile, but a launch "
                            "needs a value")

    first_on: dict = {}
    for name, value in runtime:
        if isinstance(value, Tensor):
            first_on.setdefault(value.device, name)
    if len(first_on) > 1:
        where = ", ".join(f"'{name}' on '{device}'" for device, name in first_on.items())
        raise ValueError(f"kernel arguments are on different devices: {where}")

    if interpret:
        device, why = INTERPRETER, " (KITE_INTERPRET=1)"
    elif target is not None:
        device, why = target, " (the device it was compiled for)"
    elif first_on:
        device, why = next(iter(first_on)), ""
    else:
        device, why = default_device(), " (the default device)"

    for name, value in runtime:
        if isinstance(value, Tensor) and value.device != device:
            raise ValueError(f"argument '{name}' is on '{value.device}', but the kernel "
                             f"runs on '{device}'{why}")
        if device != INTERPRETER and not isinstance(value, Tensor) and _is_host_array(value):
            raise TypeError(f"argument '{name}' is a host array, but the kernel runs on "
                            f"'{device}'{why}, which needs device memory: pass "
                            f"kite.from_numpy({name}, device='{device}')")
    return device


def check_specialization(kernel_name: str, compiled: Sequence, given: Sequence) -> None:
    """Checks that arguments bound to a compiled kernel's signature (``given``)
    match the specialisation it was compiled for (``compiled``)."""
    for want, got in zip(compiled, given):
        if want.is_constexpr:
            if got.value != want.value or type(got.value) is not type(want.value):
                raise ValueError(f"{kernel_name}: constexpr '{want.name}' is {got.value!r}, "
                                 f"but the kernel was compiled for {want.value!r}")
            continue
        if got.type != want.type or got.type.name != want.type.name:
            raise TypeError(f"{kernel_name}: argument '{want.name}' is {got.type.name}, but "
                            f"the kernel was compiled for {want.type.name}")
        if want.divisible_by_16 and not got.divisible_by_16:
            what = "16-byte aligned" if want.type.is_ptr() else "divisible by 16"
            raise ValueError(f"{kernel_name}: argument '{want.name}' is not {what}, which "
                             "the kernel was compiled to assume; compile it for this "
                             "argument instead")
