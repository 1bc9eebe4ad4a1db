"""A CUDA device as kite tensors and compiled kernels use it: memory in the
device's primary context (shared with PyTorch and CuPy), copies to and from
numpy arrays, PTX or cubin kernels launched asynchronously on a stream, and
the identity of the exact device and driver for the JIT cache key
(docs/runtime.md, docs/cuda-abi.md)."""
from __future__ import annotations

from .. import _C
from .device import Device, NativeLaunch

_FORMATS = {"ptx": _C.KernelFormat.PTX, "cubin": _C.KernelFormat.CUBIN}


class CudaDevice(Device):
    @property
    def arch(self) -> str:
        """The compute capability as an architecture: ``"sm_90"``."""
        return str(self.properties.arch)

    def target_identity(self) -> str:
        """What distinguishes this device's code from another's in cache keys:
        the architecture and, since the driver compiles PTX further, the
        device UUID and the driver's version."""
        p = self.properties
        return (f"cuda device={p.device_name} arch={p.arch} uuid={p.uuid} "
                f"driver_version={p.driver_version}")

    # -- tensor maps ------------------------------------------------------
    def encode_tensor_map(self, address: int, elem, shape, strides, box,
                          swizzle: int) -> bytes:
        """The driver's CUtensorMap (cuTensorMapEncodeTiled) of the tensor at
        ``address`` with ``shape`` and ``strides`` (elements, outermost
        first, the last stride 1), read in boxes of ``box``, ``swizzle`` as
        CUtensorMapSwizzle numbers it; elements outside read as zeros."""
        import ctypes
        encode = _driver().cuTensorMapEncodeTiled
        rank = len(shape)
        bytes_ = elem.bits // 8
        dims = (ctypes.c_uint64 * rank)(*reversed([int(d) for d in shape]))
        byte_strides = [int(s) * bytes_ for s in reversed(strides)][1:]
        strides_ = (ctypes.c_uint64 * max(1, rank - 1))(*byte_strides or [0])
        boxes = (ctypes.c_uint32 * rank)(*reversed([int(b) for b in box]))
        ones = (ctypes.c_uint32 * rank)(*[1] * rank)
        out = ctypes.create_string_buffer(128)
        result = encode(out, _tensor_map_type(elem), rank, ctypes.c_void_p(address), dims,
                        strides_, boxes, ones, 0, swizzle, _L2_PROMOTION_128B, 0)
        if result != 0:
            raise _C.DeviceError(f"cuTensorMapEncodeTiled failed: CUresult {result} "
                                 f"(shape {list(shape)}, strides {list(strides)}, box "
                                 f"{list(box)}, {elem.name} at {address:#x})")
        return out.raw

    # -- kernels ----------------------------------------------------------
    def load_kernel(self, image, entry: str, num_threads: int, format: str = "ptx",
                    arg_sizes=(), shared_bytes: int = 0, pdl: bool = False):
        """Loads PTX text (``format="ptx"``) or a cubin (``"cubin"``) whose
        kernel ``entry`` runs ``num_threads`` threads per block and takes
        parameters of ``arg_sizes`` bytes (runtime/packing.py); ``pdl``:
        launched as a programmatic dependent launch (sm_90+, else plainly)."""
        if format not in _FORMATS:
            raise ValueError(f"format must be 'ptx' or 'cubin', not {format!r}")
        return self._device.load_kernel(image, entry_point=entry,
                                        local_size=(num_threads, 1, 1),
                                        format=_FORMATS[format],
                                        arg_sizes=list(arg_sizes),
                                        dynamic_shared_bytes=shared_bytes,
                                        programmatic_dependent_launch=pdl)

    def launch(self, kernel, grid: tuple, args: bytes, stream: int = 0) -> None:
        """Queues ``grid`` blocks on ``stream`` (a CUstream as an int; 0 is the
        legacy default stream) and returns without waiting."""
        self._device.launch(kernel, grid, args, stream)

    def synchronize(self) -> None:
        """Waits for every launch on the device."""
        self._device.synchronize()

    # -- compiled kernels (compiler.CompiledKernel) -------------------------
    def launcher(self, compiled):
        """``submit(grid, values)`` for a CompiledKernel: its cubin when ptxas
        made one, else its PTX (which the driver compiles for this device),
        loaded once with the dynamic shared memory it needs; launches are
        queued on the stream ``arguments.launch_stream`` picks (PyTorch's
        current one, a __cuda_array_interface__'s, else the default one)."""
        from .arguments import launch_stream
        from .packing import argument_sizes, make_packer
        threads = compiled.options["num_warps"] * compiled.target.threads_per_warp
        image, format = self._kernel_image(compiled)
        sizes = argument_sizes(compiled.specs)
        pack, launch, device = make_packer(compiled.specs), self._device.launch, self.name
        if compiled.options.get("check_memory"):  # runtime/memory_checks.py
            from .memory_checks import append_hidden, make_hidden_packer
            hidden = make_hidden_packer(compiled.specs, self.allocations,
                                        bool(compiled.metadata.get("allocation_table")))
            pointers = sum(1 for s in compiled.specs if not s.is_constexpr and s.type.is_ptr())
            sizes += [8] * (2 * pointers + 2)
            unchecked = pack
            pack = lambda values, keep=None: append_hidden(unchecked(values, keep),  # noqa: E731
                                                           hidden(values))
        kernel = self.load_kernel(image, compiled.name, threads, format, sizes,
                                  int(compiled.metadata.get("shared", 0)),
                                  bool(compiled.options.get("launch_pdl")))

        def submit(grid, values):
            keep: list = []  # external arrays: capsules alive until queued, streams
            args = pack(values, keep)
            launch(kernel, grid, args, launch_stream(values, device, keep))
        if not compiled.options.get("check_memory"):
            submit.native = NativeLaunch(self._device, kernel,
                                         lambda values: launch_stream(values, device), None)
        return submit

    def _kernel_image(self, compiled):
        """The code ``load_kernel`` gets: the cubin when ptxas made one, else
        the PTX, which the driver compiles for this device."""
        if compiled.binary:
            return compiled.binary, "cubin"
        return compiled.asm["ptx"], "ptx"

    def __repr__(self) -> str:
        return f"<kite CudaDevice {self.name}: {self.properties.device_name} ({self.arch})>"


# CUtensorMapL2promotion's CU_TENSOR_MAP_L2_PROMOTION_L2_128B.
_L2_PROMOTION_128B = 2
# CUtensorMapDataType by kite dtype name; other types (fp8, ...) as the
# unsigned integer of their size (a TMA copy moves bits).
_TENSOR_MAP_TYPES = {"int32": 3, "int64": 5, "fp16": 6, "fp32": 7, "fp64": 8, "bf16": 9}
_DRIVER = []


def _tensor_map_type(elem) -> int:
    found = _TENSOR_MAP_TYPES.get(elem.name)
    if found is not None:
        return found
    return {1: 0, 2: 1, 4: 2, 8: 4}[elem.bits // 8]


def _driver():
    """The CUDA driver library the runtime loaded (KITE_LIBCUDA, else
    libcuda.so.1), for the host-only calls made from Python."""
    if not _DRIVER:
        import ctypes
        import os
        library = ctypes.CDLL(os.environ.get("KITE_LIBCUDA") or "libcuda.so.1")
        library.cuTensorMapEncodeTiled.restype = ctypes.c_int
        _DRIVER.append(library)
    return _DRIVER[0]
