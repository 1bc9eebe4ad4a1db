"""Checks of a launch's arguments, made before anything is compiled or run:
which device the launch runs on, and whether every argument can be passed
there. Each error names the argument."""
from __future__ import annotations

import sys

from typing import Optional, Sequence

from ..language import dtypes as dt
from .external import external_array, external_device, is_torch_tensor
from .registry import INTERPRETER, default_device


def _is_host_array(value) -> bool:
    return hasattr(value, "__array_interface__") or type(value).__module__ == "numpy"


def _device_of(spec, value) -> Optional[str]:
    """Where a pointer argument's memory is: a kite.Tensor's device, an
    external array's ("cuda:N", "host", "unknown"), "host" for numpy arrays,
    or None when it has none (numbers, null pointers)."""
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        return value.device
    if spec.part == ("tensor_map",):  # made on the launch's device
        return None
    if spec.type is None or not spec.type.is_ptr() or isinstance(value, dt.dtype):
        return None
    if _is_host_array(value):
        return "host"
    external = external_array(value, spec.name)
    return None if external is None else external_device(external)


def launch_device(specs: Sequence, values: Sequence, *, interpret: bool = False,
                  target: Optional[str] = None) -> str:
    """The device a launch with these (bound) arguments runs on.

    ``interpret`` (KITE_INTERPRET=1) forces the interpreter and ``target`` (a
    compiled kernel's device) forces that device; otherwise the tensors'
    common device (kite.Tensor or another library's CUDA array: "cuda:N"),
    else ``kite.default_device()``. Raises ValueError for arrays on different
    devices or on another device than the launch's, and TypeError for
    arguments that cannot be passed to that device (host arrays)."""
    runtime = [(s, v) for s, v in zip(specs, values) if not s.is_constexpr]
    for spec, value in runtime:
        if isinstance(value, dt.dtype):
            raise TypeError(f"argument '{spec.name}' is the type {value.name}: types stand "
                            "for arguments in kernel.trace and kernel.compile, but a launch "
                            "needs a value")

    where = {spec.name: _device_of(spec, value) for spec, value in runtime}
    first_on: dict = {}
    for name, on in where.items():
        if on is not None and on not in ("host", "unknown"):
            first_on.setdefault(on, name)
    if len(first_on) > 1:
        listed = ", ".join(f"'{name}' on '{device}'" for device, name in first_on.items())
        raise ValueError(f"kernel arguments are on different devices: {listed}")

    if interpret:
        device, why = INTERPRETER, " (KITE_INTERPRET=1)"
    elif target is not None:
        device, why = target, " (the device it was compiled for)"
    elif first_on:
        device, why = next(iter(first_on)), ""
    else:
        device, why = default_device(), " (the default device)"

    for name, on in where.items():
        if on is None or on == device or (on == "host" and device == INTERPRETER):
            continue
        if on == "host":
            raise TypeError(f"argument '{name}' is a host array, but the kernel runs on "
                            f"'{device}'{why}, which needs device memory: pass "
                            f"kite.from_numpy({name}, device='{device}')")
        if on == "unknown":
            raise ValueError(f"argument '{name}' points to memory of no CUDA device "
                             f"(its __cuda_array_interface__ pointer is not device memory "
                             f"the driver knows), but the kernel runs on '{device}'{why}")
        raise ValueError(f"argument '{name}' is on '{on}', but the kernel runs on "
                         f"'{device}'{why}")
    return device


def launch_stream(values: Sequence, device: str, externals: Sequence = ()) -> int:
    """The CUDA stream a launch on ``device`` is queued on, so that the
    kernel is ordered with the work around it: PyTorch's current stream there
    when a torch tensor is among the arguments, else the stream of the first
    ``__cuda_array_interface__`` argument that names one (``externals``: the
    ExternalArrays the packer kept, runtime/packing.py), else 0, the legacy
    default stream."""
    torch = sys.modules.get("torch")  # no torch tensor without torch imported
    if torch is None or not any(isinstance(v, torch.Tensor) for v in values):
        for external in externals:
            if external.stream is not None:
                return external.stream
        return 0
    index = int(device.split(":")[1])
    current = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    if current is not None:  # what torch.cuda.current_stream reads, without the object
        return int(current(index))
    return int(torch.cuda.current_stream(index).cuda_stream)


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
