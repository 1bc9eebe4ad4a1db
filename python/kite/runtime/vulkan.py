"""A Vulkan device as kite tensors use it: memory with 64-bit device
addresses, copies to and from numpy arrays, and the identity of the exact
device and driver for the JIT cache key (docs/vulkan-abi.md)."""
from __future__ import annotations

import re

from .. import _C
from .device import Device, NativeLaunch


class VulkanDevice(Device):
    def target_identity(self) -> str:
        """What distinguishes this device's code from another's in cache keys:
        the device UUID and the driver, which compiles the SPIR-V further."""
        p = self.properties
        return (f"vulkan uuid={p.uuid} driver_version={p.driver_version} "
                f"driver={p.driver_name} ({p.driver_info}) subgroup={p.subgroup_size}")

    # -- kernels ----------------------------------------------------------
    def emitter_options(self) -> dict:
        """What the SPIR-V emitter may use on this device."""
        p = self.properties
        return {"subgroup_size": int(p.subgroup_size), "int8": bool(p.int8 and p.storage8),
                "int16": bool(p.int16 and p.storage16), "int64": bool(p.int64),
                "float16": bool(p.fp16 and p.storage16), "float64": bool(p.fp64),
                "atomic_float_add": bool(p.fp32_atomic_add),
                "signed_zero_inf_nan_preserve_widths": p.signed_zero_inf_nan_preserve_widths,
                "max_compute_shared_memory_size": int(p.max_shared_memory_bytes),
                # print and assert: runtime/debug_buffer.py
                "debug_buffer": True,
                "loop_iteration_limit": self.loop_iteration_limit()}

    def loop_iteration_limit(self) -> int:
        """Loop iterations the driver runs per invocation, all of a kernel's
        loops together, before it silently leaves them (0: no limit).
        llvmpipe's (lavapipe's) gallivm has a budget of 65535 back-edges;
        the emitter makes a loop that runs out of it fail the launch. Mesa 25
        has no budget (measured: 25.0.7 ran a 30,000,000-trip loop); the
        versions between 22.3 and 25 are assumed to have it, which costs
        only the emitter's probe where they do not."""
        p = self.properties
        if p.driver_name != "llvmpipe":
            return 0
        version = re.match(r"Mesa (\d+)\.", p.driver_info)
        return 0 if version and int(version.group(1)) >= 25 else 65535

    def load_kernel(self, spirv: bytes, entry_point: str, num_threads: int):
        # The emitter reads the arguments through the address that follows the
        # 24-byte launch header (ArgumentPassing.BUFFER).
        return self._device.load_kernel(spirv, entry_point=entry_point,
                                        local_size=(num_threads, 1, 1),
                                        push_constant_bytes=_C.LAUNCH_HEADER_BYTES + 8,
                                        argument_passing=_C.ArgumentPassing.BUFFER)

    def launch(self, kernel, grid: tuple, args: bytes) -> None:
        """Runs ``grid`` workgroups and waits for them."""
        self._device.launch(kernel, grid, args)

    def synchronize(self) -> None:
        """Nothing to wait for: every operation waited already."""

    # -- compiled kernels (compiler.CompiledKernel) -------------------------
    def launcher(self, compiled):
        """``submit(grid, values)`` for a CompiledKernel: its pipeline loaded
        once, its arguments packed by a precomputed layout."""
        from .packing import make_packer
        threads = compiled.options["num_warps"] * compiled.target.threads_per_warp
        kernel = self.load_kernel(compiled.binary, compiled.name, threads)
        pack, launch = make_packer(compiled.specs), self._device.launch
        hidden = None
        if compiled.options.get("check_memory"):
            pack, hidden = self._with_hidden_arguments(pack, compiled)
        records = compiled.metadata.get("debug_records")
        if not records:
            def submit(grid, values):
                launch(kernel, grid, pack(values))
            if hidden is None:
                submit.native = NativeLaunch(self._device, kernel, None, None)
            return submit
        import threading
        from .debug_buffer import DebugBuffer
        debug, one_at_a_time = DebugBuffer(self, records), threading.Lock()

        def submit(grid, values):
            with one_at_a_time:  # one buffer: a launch resets, runs, reads it
                launch(kernel, grid, debug.append_address(pack(values)))
                # prints, then raises for a failed memory check or device_assert
                debug.report(hidden.last if hidden is not None else {})
        return submit

    def _with_hidden_arguments(self, pack, compiled):
        """(``pack`` followed by the allocation ranges a kernel compiled with
        memory checks reads, the function packing those; runtime/memory_checks.py)."""
        from .memory_checks import append_hidden, make_hidden_packer
        hidden = make_hidden_packer(compiled.specs, self.allocations,
                                    bool(compiled.metadata.get("allocation_table")))
        return (lambda values: append_hidden(pack(values), hidden(values))), hidden

    def __repr__(self) -> str:
        return f"<kite VulkanDevice {self.name}: {self.properties.device_name}>"
