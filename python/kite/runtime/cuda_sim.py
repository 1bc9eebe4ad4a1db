"""cuda-sim as kite tensors and compiled kernels use it: the NVIDIA code of a
kernel (its ``llir`` stage, what LLVM's NVPTX backend compiles) run on the
host CPU thread by thread, with host memory behind guard pages
(docs/cuda-sim.md). Everything else is as on a CUDA device: the same
argument packing, the same stages, the same launches; a launch runs to
completion before it returns, and raises when the kernel faults, traps,
fails an assert or deadlocks."""
from __future__ import annotations

import re

from .. import _C
from ..errors import KernelRuntimeError
from .cuda import CudaDevice

# What SimRuntime.cpp reports for __assertfail (device_assert, and the
# memory checks' failures).
_ASSERT = re.compile(r"device-side assertion failed: (?P<file>.*?):(?P<line>\d+): (?P<kernel>[^:]*): "
                     r"(?P<where>block \(.*?\), thread \(.*?\)): Assertion `(?P<message>.*)` failed\.",
                     re.S)


def _kernel_error(exc):
    """The KernelRuntimeError of a failed device_assert or memory check in
    a launch's DeviceError, or None."""
    found = _ASSERT.search(str(exc))
    if not found:
        return None
    return KernelRuntimeError(f"{found['message']} ({found['where']})",
                              found["file"], int(found["line"]))


class CudaSimDevice(CudaDevice):
    def target_identity(self) -> str:
        return f"cuda-sim arch={self.arch}"

    def load_kernel(self, image, entry: str, num_threads: int, format: str = "llir",
                    arg_sizes=(), shared_bytes: int = 0, pdl: bool = False):
        """Loads a kernel's LLVM IR for NVPTX (``format="llir"``: Kite's llir
        stage, or Triton's), whose kernel ``entry`` runs ``num_threads``
        threads per block and takes parameters of ``arg_sizes`` bytes."""
        if format != "llir":
            raise ValueError(f"cuda-sim runs LLVM IR (format='llir'), not {format!r}")
        return self._device.load_kernel(image, entry_point=entry,
                                        local_size=(num_threads, 1, 1),
                                        format=_C.KernelFormat.LLVM_IR,
                                        arg_sizes=list(arg_sizes),
                                        dynamic_shared_bytes=shared_bytes,
                                        programmatic_dependent_launch=pdl)

    def launcher(self, compiled):
        """CudaDevice's launcher; a failed device_assert or memory check is a
        KernelRuntimeError naming the kernel's file and line, as on Vulkan
        and the interpreter."""
        submit = super().launcher(compiled)

        def run(grid, values):
            try:
                submit(grid, values)
            except _C.DeviceError as exc:
                error = _kernel_error(exc)
                if error is None:
                    raise
                raise error from None
        native = getattr(submit, "native", None)
        if native is not None:
            run.native = native._replace(translate=_kernel_error)
        return run

    def _kernel_image(self, compiled):
        return compiled.asm["llir"], "llir"

    def last_launch_statistics(self) -> dict:
        """What the last launch on this device executed, by counter
        (``global_load_bytes``, ``shuffles``, ``mma_m16n8k16``, ...)."""
        return dict(self._device.last_launch_statistics())

    def __repr__(self) -> str:
        return f"<kite CudaSimDevice {self.name}: {self.properties.device_name}>"
