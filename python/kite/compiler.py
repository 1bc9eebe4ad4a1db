"""``kernel.compile(...)``: a kernel through the named stages for one target,
through the JIT cache (docs/jit-cache.md).

The lookup order is: the kernel's in-memory map from its specialisation key
(argument types, constexprs, options, target name; no source hashing) to the
``CompiledKernel``; then the disk cache (``kite._C.Cache.default()``, in
``$KITE_CACHE_DIR``), keyed by the full key of ``frontend/cache_key.py``;
then the pipeline, whose every stage is stored on disk."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Optional

from .compiled_metadata import KernelAsm, KernelMetadata, shared_bytes
from .errors import CompilationError
from .frontend import cache_key, tracer
from .frontend.dependencies import dependency_key, on_disk, refresh_dependencies
from .runtime import memory_checks, registry
from .runtime.launch_options import (MAX_THREADS_PER_PROGRAM, check_options, check_threads,
                                     fuse_dequantize_mode,
                                     resolve_extern_libs)

_METADATA = "metadata.json"
_BINARY_FILES = {"vulkan": "kernel.spv", "cuda": "kernel.cubin"}
# An architecture as ptxas spells it: sm_80, sm_90a, sm_100f, ...
_CUDA_ARCH = re.compile(r"sm_\d+[af]?")


class CompileStats:
    """What this process's compilations did (tests read it to prove cache hits).
    ``count`` adds under a lock: autotune compiles on several threads."""

    def __init__(self):
        self.pipeline_runs = 0
        self.disk_hits = 0
        self.memory_hits = 0

    @property
    def fast_launches(self) -> int:
        """Launches the fast path ran (counted in C++: python/src/FastLaunch.cpp)."""
        try:
            from . import _C
        except ImportError:  # the interpreter only: no fast path
            return 0
        return _C.fast_launch_count()

    def count(self, name: str) -> None:
        with _STATS_LOCK:
            setattr(self, name, getattr(self, name) + 1)

    def as_dict(self) -> dict:
        return dict(vars(self), fast_launches=self.fast_launches)


_STATS_LOCK = threading.Lock()


stats = CompileStats()


@dataclass(frozen=True)
class Target:
    """What code is compiled for: ``name`` as users write it, the subgroup
    size layouts use, ``identity``, which the cache key hashes, the
    ``backend`` ("vulkan", "cuda" or "generic") and, for CUDA, the ``arch``
    ("sm_90")."""
    name: str
    threads_per_warp: int
    identity: str
    backend: str = "generic"
    arch: str = ""
    #: The device's type where there is one ("cpu" for lavapipe, "discrete-gpu").
    device_type: str = ""

    @property
    def is_device(self) -> bool:
        """A device to launch on ("vulkan:0", "cuda:1", "cuda-sim:sm_80"), not
        only an ISA."""
        prefix, _, index = self.name.partition(":")
        return (prefix in ("vulkan", "cuda") and index.isdigit()) or prefix == "cuda-sim"

    @property
    def simulated(self) -> bool:
        """cuda-sim: NVIDIA code (the CUDA backend's stages) run on the host."""
        return self.name.startswith("cuda-sim:")


def _cuda_target(name: str, arch: str, identity: str) -> Target:
    from . import ptxas
    return Target(name, 32, f"{identity} ptxas={ptxas.identity()} libdevice={_libdevice_hash()}",
                  "cuda", arch)


@functools.lru_cache(maxsize=None)
def _libdevice_hash() -> str:
    """sha256 of the libdevice the NVPTX emitter links for f64 math ("none")."""
    from . import _C
    path = _C.libdevice_path()
    if not path:
        return "none"
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def resolve_target(target: Optional[str]) -> Target:
    """``"cuda:N"`` or ``"vulkan:N"`` (that device's architecture or subgroup
    size, and identity), ``"cuda:sm_90"`` (an NVIDIA architecture, no GPU
    needed), ``"generic"`` or ``"generic:subgroup=N"`` (no device: N threads
    per warp, 32 by default). None means the default device if it compiles,
    else the first Vulkan device, else ``"generic"``."""
    if target is None:
        default = registry.default_device()
        vulkan = [d for d in registry.devices() if d.startswith("vulkan:")]
        target = (default if default.startswith(("vulkan:", "cuda:"))
                  else (vulkan[0] if vulkan else "generic"))
    if target == "cuda-sim" or target.startswith("cuda-sim:"):
        # The same code as for the architecture, and memory checks as on
        # every device whose addresses are this process's (docs/cuda-sim.md).
        device = registry.device(target)
        return Target(device.name, 32,
                      f"cuda-sim arch={device.arch} libdevice={_libdevice_hash()}",
                      "cuda", device.arch, device_type="cpu")
    if target.startswith("cuda:") and _CUDA_ARCH.fullmatch(target[len("cuda:"):]):
        arch = target[len("cuda:"):]
        return _cuda_target(target, arch, f"cuda arch={arch}")
    if target == "cuda" or target.startswith("cuda:"):
        if target != "cuda" and not target[len("cuda:"):].isdigit():
            raise ValueError(f"unknown target '{target}': write 'cuda:N' for a GPU of this "
                             "machine or 'cuda:sm_XY' (e.g. 'cuda:sm_90') for an architecture")
        name = registry.resolve_device(target, "target")
        device = registry.device(name)
        return _cuda_target(device.name, device.arch, device.target_identity())
    if target == "generic" or target.startswith("generic:"):
        size = 32
        if target != "generic":
            spec = target[len("generic:"):]
            if not spec.startswith("subgroup=") or not spec[len("subgroup="):].isdigit():
                raise ValueError(f"target '{target}': write 'generic' or 'generic:subgroup=N'")
            size = int(spec[len("subgroup="):])
        return Target(f"generic:subgroup={size}", size, f"generic threads_per_warp={size}")
    if target == registry.INTERPRETER:
        raise ValueError("the interpreter runs kernels without compiling them; compile for "
                         "'vulkan:N' or 'generic' instead")
    if target == "vulkan" or target.startswith("vulkan:"):
        device = registry.vulkan_device(registry.resolve_device(target, "target"))
        return Target(device.name, device.subgroup_size, device.target_identity(), "vulkan",
                      device_type=str(device.properties.device_type))
    raise ValueError(f"unknown target '{target}'; this build compiles for a device "
                     f"({', '.join(registry.devices()[:-1]) or 'none here'}), an NVIDIA "
                     "architecture 'cuda:sm_XY' (e.g. 'cuda:sm_90'), or "
                     "'generic[:subgroup=N]'")


class CompiledKernel:
    """A kernel compiled for one specialisation and target. ``asm`` maps each
    stage name to its text; ``compiled[grid](*args)`` launches it after
    checking that the arguments match what it was compiled for."""

    def __init__(self, kernel, specs, options: dict, target: Target, key: str,
                 entry: "_Entry"):
        self.kernel = kernel
        self.name = kernel.__name__
        self.specs = specs
        self.options = options
        self.target = target
        self.key = key
        self._launcher = None
        # For an entry read from disk: given the binary the device refused,
        # compiles the kernel afresh and replaces it on disk if that binary
        # is the one read (else None).
        self._recompile = None
        # Set by warmup() on arguments in the interpreter: launches run there.
        self.runs_on_interpreter = False
        self._adopt(entry)

    def _adopt(self, entry: "_Entry") -> None:
        self.asm = KernelAsm(entry.asm)
        # The SPIR-V module (Vulkan) or the cubin (CUDA; empty without ptxas,
        # and then the driver compiles asm["ptx"]).
        self.binary = entry.binary
        if self.target.backend == "cuda" and entry.binary:
            self.asm["cubin"] = entry.binary
        # num_stages is Triton's default where the launch gave none (loops
        # whose loads feed dots are pipelined that deep on NVIDIA sm_80+).
        # CUDA's entries say how much shared memory the launch gives ("shared").
        self.metadata = KernelMetadata({
            "name": self.name, "num_warps": self.options["num_warps"],
            "num_stages": self.options.get("num_stages", 3), "num_ctas": 1,
            "debug": bool(self.options.get("debug")),
            "threads_per_warp": self.target.threads_per_warp, "target": self.target.name,
            "arch": self.target.arch, "hash": self.key, "cache_key": self.key,
            "shared": shared_bytes(entry.asm.get("threads", "")), **entry.info})

    # Triton's spellings of what ptxas reported. cuda-sim runs the llir
    # stage and skips ptxas when compiling; asked, it assembles the same PTX
    # once for the architecture it simulates.
    @property
    def n_regs(self):
        return self._ptxas_metadata().get("n_regs")

    @property
    def n_spills(self):
        return self._ptxas_metadata().get("n_spills")

    def _ptxas_metadata(self) -> dict:
        if self.target.simulated and "n_regs" not in self.metadata and "ptx" in self.asm:
            from . import ptxas
            counts = ptxas.assemble(self.asm["ptx"], self.target.arch, self.name).metadata()
            counts.pop("shared")  # all of it is dynamic: the launch's "shared" stays
            self.metadata.update(counts)
        return self.metadata

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.run(grid, *args, **kwargs)

    def _init_handles(self) -> None:
        """Triton loads the binary here; Kite loads it at the first launch
        (code written for Triton calls this before reading n_regs)."""

    def run(self, grid, *args, **kwargs):
        from .runtime.arguments import check_specialization, launch_device
        specs, options, values = self.kernel.specialize(args, kwargs)
        if "extern_libs" in options:
            options["extern_libs"] = resolve_extern_libs(options["extern_libs"])
        for name, value in options.items():
            if self.options.get(name) != value:
                raise ValueError(f"{self.name}: {name}={value!r} at launch, but the kernel was "
                                 f"compiled with {name}={self.options.get(name)!r}")
        check_specialization(self.name, self.specs, specs)
        if self.runs_on_interpreter:
            self.kernel.run(grid, *args, **kwargs)
            return
        if not self.target.is_device:
            raise RuntimeError(f"{self.name} was compiled for '{self.target.name}', which is "
                               "not a device; compile it for a device ('cuda:N' or 'vulkan:N') to launch it")
        launch_device(specs, values, target=self.target.name)
        self.launch(grid, values)

    def launch(self, grid, values):
        """Runs the kernel on its device (arguments already checked); on CUDA
        it is queued on the stream that runtime/arguments.launch_stream picks."""
        self.launcher()(grid, values)

    def launcher(self):
        """``run(grid, values)`` for arguments already bound and checked: the
        kernel loaded on its device once, the argument layout precomputed
        (what every launch, and the launch fast path, calls)."""
        if self._launcher is None:
            self._launcher = self._make_launcher()
        return self._launcher

    def _make_launcher(self):
        from . import _C
        from .runtime import tensor_maps
        from .runtime.launch_options import grid_size
        device = registry.device(self.target.name)
        try:
            submit = device.launcher(self)
        except (_C.DeviceError, KeyError, TypeError, ValueError) as exc:
            # An entry that passed the cache's checks but that the device
            # refuses (written by a broken build, say) is evicted and compiled
            # again, once; the device's error stands if it refuses that too.
            recompile, self._recompile = self._recompile, None
            fresh = recompile(self.binary) if recompile is not None else None
            if fresh is None:
                raise
            warnings.warn(f"kite: {self.target.name} refused {self.name} from the JIT cache "
                          f"({exc}); compiled it again")
            self._adopt(fresh)
            submit = device.launcher(self)
        names = tuple(s.name for s in self.specs)
        maps = tensor_maps.map_arguments(self)

        def run(grid, values):
            sizes = grid_size(grid, dict(zip(names, values)) if callable(grid) else None)
            if 0 not in sizes:
                if maps:  # host descriptors' tensor maps, made on the device
                    values = tensor_maps.with_tensor_maps(maps, device, values)
                submit(sizes, values)
            return self  # kernel[grid](...) returns the compiled kernel, as in Triton
        native = getattr(submit, "native", None)
        read = any(box is not None for _, box in maps)
        if native is None or read:  # memory checks, debug buffers, maps: Python launches
            return run
        # The same launch in C++ (python/src/FastLaunch.cpp), with `run` for
        # the values it does not pack itself.
        from .runtime.packing import argument_fields
        from .tensor import Tensor
        fields, size = argument_fields(self.specs)
        packed = _C.PackedLauncher(native.device, native.kernel, fields, size, self, names,
                                   grid_size, native.stream, native.translate, run, Tensor)
        if not maps:
            return packed
        # Map arguments the kernel does not read (no TMA here): null pointers.
        unread = [i for i, _ in maps]

        def without_maps(grid, values):
            values = list(values)
            for i in unread:
                values[i] = 0
            return packed(grid, tuple(values))
        return without_maps

    def __repr__(self) -> str:
        return (f"<kite.CompiledKernel {self.name} for {self.target.name}, "
                f"num_warps={self.options['num_warps']}, key {self.metadata['cache_key'][:16]}>")


# `"kite.print"(...) ... loc("file":line:col)` in the traced (generic) IR.
_DEBUG_OP = re.compile(r'"kite\.(print|assert)"\(.*loc\("((?:[^"\\]|\\.)*)":(\d+):(\d+)\)\s*$',
                       re.MULTILINE)


def _warn_debug_ops(found) -> None:
    for message, file, line in found:
        warnings.warn_explicit(message, UserWarning, file, line)


@dataclass
class _Entry:
    """What a compilation produces and the cache stores: every stage's text,
    the binary a device loads, warnings repeated at every compilation
    (``[(message, file, line)]``) and facts for ``CompiledKernel.metadata``."""
    asm: dict
    binary: bytes = b""
    notes: list = field(default_factory=list)
    info: dict = field(default_factory=dict)


def _run_pipeline(kernel, specs, options: dict, target: Target) -> _Entry:
    stats.count("pipeline_runs")
    raw = tracer.trace_module(kernel.fn, kernel._traced(), specs, options.get("dot_precision"))
    try:
        return _compile_traced(kernel, raw, options, target)
    except CompilationError as exc:
        raise _in_kernel(exc, kernel) from None


def _in_kernel(exc: CompilationError, kernel) -> CompilationError:
    """``exc`` (a stage or an emitter failed) naming the kernel, at the
    failing op's line, or at the kernel's ``def`` where the op has none."""
    name = kernel.__name__
    if f"'{name}'" in exc.message:
        return exc
    where = (exc.filename, exc.lineno, exc.col)
    if exc.lineno is None:
        code = kernel.fn.__code__
        where = (code.co_filename, code.co_firstlineno, None)
    return CompilationError(f"in kernel '{name}': {exc.message}", *where)


def _compile_traced(kernel, raw: str, options: dict, target: Target) -> _Entry:
    from . import _C
    # NVPTX moves 8 f16 (16 i8) in one 128-bit access; SPIR-V's vectors have
    # 4 components at most.
    layout = {"num_warps": options["num_warps"], "threads_per_warp": target.threads_per_warp,
              "max_vector_elements": 16 if target.backend == "cuda" else 4,
              "max_elements_per_thread": _C.max_elements_per_thread(target.backend),
              "max_workgroup_bytes": _max_workgroup_bytes(target),
              "tensor_cores": _has_tensor_cores(target),
              # Triton's default depth; loops pipeline on sm_80 and later.
              "num_stages": int(options.get("num_stages", 3)),
              "check_memory": bool(options.get("check_memory")),
              # kite-quantize-dot; False keeps dots of dequantized operands.
              "quantize_dot": bool(options.get("quantize_dot", True)),
              # A tensor-core dot's operand decoded from 4- or 8-bit codes in
              # shared memory is decoded at its fragments where no other warp
              # decodes it again (weight-only GEMMs with one warp along M).
              "fuse_dequantize": fuse_dequantize_mode(options.get("fuse_dequantize", True)),
              # Hopper's wgmma needs the arch-specific features (sm_90a).
              "warpgroup_mma": _has_warpgroup_mma(target)}
    asm = {"kite": tracer.run_stage(raw, "kite", quantize_dot=layout["quantize_dot"]),
           "kitegpu": tracer.run_stage(raw, "kitegpu", **layout),
           "threads": tracer.run_stage(raw, "threads", **layout)}
    if target.backend == "vulkan":
        return _emit_vulkan(raw, asm, layout, target)
    if target.backend == "cuda":
        libdevice = dict((name, path) for name, path, _ in options.get("extern_libs", ()))
        return _emit_cuda(kernel.__name__, raw, asm, layout, target,
                          bool(options.get("enable_fp_fusion", True)),
                          libdevice.get("libdevice", ""))
    return _Entry(asm)


def _emit_vulkan(raw: str, asm: dict, layout: dict, target: Target) -> _Entry:
    device = registry.vulkan_device(target.name)
    # print and assert write into a debug buffer (runtime/debug_buffer.py),
    # whose records name the user's file and line: emit from IR that
    # carries locations when the kernel has them.
    source = asm["threads"]
    if _DEBUG_OP.search(raw) or layout["check_memory"]:
        source = tracer.run_stage(raw, "threads", debug_info=True, **layout)
    try:
        asm["spirv"], binary, records = tracer.emit_spirv(source, device.emitter_options())
    except CompilationError as exc:
        if exc.lineno or source is not asm["threads"]:
            raise
        # The stored stages carry no locations: emit again from IR that
        # does, so that the error points at the user's line.
        located = tracer.run_stage(raw, "threads", debug_info=True, **layout)
        tracer.emit_spirv(located, device.emitter_options())
        raise
    if source is asm["threads"] and any(r.startswith("limit\x1f") for r in records):
        # The driver's loop limit is checked (docs/spirv-emitter.md): its
        # errors name the loop's line, so emit from IR that has it.
        source = tracer.run_stage(raw, "threads", debug_info=True, **layout)
        asm["spirv"], binary, records = tracer.emit_spirv(source, device.emitter_options())
    info = {"debug_records": records} if records else {}
    return _Entry(asm, binary, [], dict(info, **_memory_check_info(asm)))


def _memory_check_info(asm: dict) -> dict:
    """Whether checked accesses read the table of live allocations (then the
    launcher uploads it; runtime/memory_checks.py), and the boxes the kernel
    reads host descriptors' tensor maps in (runtime/tensor_maps.py)."""
    from .runtime.tensor_maps import recorded_boxes
    info = {"allocation_table": True} if "kitethread.allocation-table" in asm["threads"] else {}
    boxes = recorded_boxes(asm["threads"])
    return dict(info, tensor_maps=boxes) if boxes else info


def _emit_cuda(name: str, raw: str, asm: dict, layout: dict, target: Target,
               fp_fusion: bool, libdevice: str = "") -> _Entry:
    """PTX through LLVM's NVPTX backend, then a cubin through ptxas when the
    toolkit is here (docs/nvptx-emitter.md). ``libdevice``: the bitcode
    extern_libs names ("": the one the target's identity hashes)."""
    from . import ptxas
    # __assertfail reports the user's file and line: emit from IR that
    # carries locations when the kernel asserts.
    source = asm["threads"]
    if any(op == "assert" for op, *_ in _DEBUG_OP.findall(raw)) or layout["check_memory"]:
        source = tracer.run_stage(raw, "threads", debug_info=True, **layout)
    try:
        asm["llir"], asm["ptx"], shared = tracer.emit_ptx(source, target.arch, fp_fusion,
                                                          libdevice)
    except CompilationError as exc:
        if exc.lineno or source is not asm["threads"]:
            raise
        tracer.emit_ptx(tracer.run_stage(raw, "threads", debug_info=True, **layout),
                        target.arch, fp_fusion, libdevice)
        raise
    most = _max_shared_bytes(target.arch)
    if shared > most:
        raise CompilationError(
            f"'{name}' needs {shared} bytes of shared memory at its peak, more than "
            f"{target.arch} allows a block ({most}); use smaller blocks (BLOCK sizes) or "
            "fewer stages (num_stages: a pipelined loop keeps num_stages - 1 copies of the "
            "tiles it loads)")
    if target.simulated:  # cuda-sim runs the llir stage; ptxas is not needed
        return _Entry(asm, b"", [], dict(shared=shared, **_memory_check_info(asm)))
    assembled = ptxas.assemble(asm["ptx"], target.arch, name)
    # All of a kernel's shared memory is dynamic: the launch gives it `shared`.
    return _Entry(asm, assembled.cubin, [], dict(assembled.metadata(), shared=shared,
                                                 **_memory_check_info(asm)))


def _max_workgroup_bytes(target: Target) -> int:
    """The workgroup (shared) memory one program may use on ``target``: a
    Vulkan device's maxComputeSharedMemorySize, an NVIDIA architecture's
    opt-in shared memory per block; 32 KiB for a generic target (what
    desktop Vulkan drivers and lavapipe offer). The Vulkan device's identity
    and the architecture are in the cache key, so is the limit."""
    if target.backend == "cuda":
        return _max_shared_bytes(target.arch)
    if target.backend == "vulkan":
        return int(registry.vulkan_device(target.name).properties.max_shared_memory_bytes)
    return 32 * 1024


def _has_tensor_cores(target: Target) -> int:
    """The compute capability (80 for sm_80) of a ``target`` with mma.sync
    (NVIDIA sm_80 and later, and cuda-sim at those architectures), 0 for
    none: dots of suitable operands then use it (fp8 natively from sm_89).
    The architecture is in the cache key, so is this."""
    match = re.match(r"sm_(\d+)", target.arch) if target.backend == "cuda" else None
    number = int(match.group(1)) if match else 0
    return number if number >= 80 else 0


def _has_warpgroup_mma(target: Target) -> bool:
    """Whether ``target`` has Hopper's warpgroup MMA (wgmma): sm_90a only,
    since plain sm_90 PTX may not use the ``a`` features."""
    return target.backend == "cuda" and target.arch == "sm_90a"


def _max_shared_bytes(arch: str) -> int:
    """The most shared memory one block may opt in to on ``arch`` ("sm_90a"):
    the table of libkite's ``maxSharedBytesPerBlock`` (the C++ JIT's too);
    an architecture the table does not know gets the closest older one's
    limit (the device checks again at launch)."""
    from . import _C
    return int(_C.max_shared_bytes_per_block(arch))


def _files(entry: _Entry, metadata: dict, target: Target) -> dict:
    files = {f"{stage}.mlir": text for stage, text in entry.asm.items()}
    binary_file = _BINARY_FILES.get(target.backend, "") if entry.binary else ""
    if binary_file:
        files[binary_file] = entry.binary
    files[_METADATA] = json.dumps(dict(metadata, binary=binary_file, info=entry.info),
                                  sort_keys=True)
    return files


# The stages every entry holds, and those each backend adds.
_STAGES = ("kite", "kitegpu", "threads")
_BACKEND_STAGES = {"vulkan": ("spirv",), "cuda": ("llir", "ptx")}


def _entry_of(files: Optional[dict], target: Target) -> Optional[_Entry]:
    """The entry a cache lookup found, or None if it lacks any part that
    ``target`` needs (never trusted half)."""
    if not files or _METADATA not in files:
        return None
    try:
        metadata = json.loads(files[_METADATA])
        asm = {stage: files[f"{stage}.mlir"].decode() for stage in metadata["stages"]}
        binary = bytes(files[metadata["binary"]]) if metadata.get("binary") else b""
        notes = [(str(m), str(f), int(n)) for m, f, n in metadata.get("warnings", [])]
        info = metadata.get("info", {})
        needed = _STAGES + _BACKEND_STAGES.get(target.backend, ())
        if (not isinstance(info, dict) or any(stage not in asm for stage in needed)
                or (target.backend == "vulkan" and not binary)):
            return None
        return _Entry(asm, binary, notes, info)
    except (KeyError, ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None


def _entry_from_disk(cache, key: str, target: Target) -> Optional[_Entry]:
    """The entry of ``key`` in ``cache``, or None. An entry that passed the
    cache's checks but lacks a part this frontend needs is removed, so that
    it is compiled again and replaced rather than missed forever."""
    files = cache.lookup(key)
    if files is None:
        return None
    entry = _entry_of(files, target)
    if entry is None:
        cache.remove(key)
    return entry


def _compile_and_store(kernel, specs, options: dict, target: Target, cache,
                       key: str) -> _Entry:
    """Runs the pipeline and stores its entry; a cache that cannot be written
    (a full disk, say) is a warning, and the kernel still runs."""
    from . import _C
    entry = _run_pipeline(kernel, specs, options, target)
    metadata = {"name": kernel.__name__, "stages": list(entry.asm),
                "warnings": [list(note) for note in entry.notes]}
    if cache is None:
        return entry
    try:
        # Another process may have published the same key first: use its
        # entry, so that every process runs identical bytes.
        return _entry_of(cache.store(key, _files(entry, metadata, target)), target) or entry
    except _C.CacheError as exc:
        warnings.warn(f"kite: could not store {kernel.__name__} in the JIT cache: {exc}")
        return entry


# KITE_DUMP_IR's files, named by their language: the MLIR stages, LLVM IR,
# PTX and SPIR-V assembly (the cubin is binary, and not dumped).
_DUMP_SUFFIXES = {"llir": ".ll", "ptx": ".ptx", "spirv": ".spvasm"}
# Values that switch dumping on without naming a folder (as Triton's
# MLIR_ENABLE_DUMP=1): the dumps go to ./kite_dump.
_DUMP_SWITCHES = {"1", "true", "yes", "on"}


def dump_folder() -> str:
    """Where KITE_DUMP_IR dumps ("" when it is unset, empty or 0/false)."""
    root = os.environ.get("KITE_DUMP_IR", "").strip()
    if root.lower() in ("", "0", "false", "no", "off"):
        return ""
    return "kite_dump" if root.lower() in _DUMP_SWITCHES else root


def _passes_dump_requested() -> bool:
    """Whether KITE_MLIR_DUMP asks the compiler's passes to print the IR
    (the C++ side reads it: lib/API/IRDump.cpp)."""
    return os.environ.get("KITE_MLIR_DUMP", "").strip().lower() not in (
        "", "0", "false", "no", "off")


def _dump(name: str, key: str, asm: dict) -> None:
    root = dump_folder()
    if not root:
        return
    folder = os.path.join(root, f"{name}-{key[:16]}")
    os.makedirs(folder, exist_ok=True)
    for stage, text in asm.items():
        if not isinstance(text, str):
            continue
        with open(os.path.join(folder, stage + _DUMP_SUFFIXES.get(stage, ".mlir")), "w") as f:
            f.write(text)


def compile_kernel(kernel, args, kwargs: dict, target: Optional[str] = None,
                   num_warps: int = 4) -> CompiledKernel:
    """The ``CompiledKernel`` of ``kernel`` for these arguments (which stand
    for their types, as in ``kernel.trace``) on ``target``."""
    specs, options, _values = kernel.specialize(args, dict(kwargs, num_warps=num_warps))
    return compile_specialized(kernel, specs, options, target)


def _threads_limit(target: Target) -> int:
    """The most threads one program may have on ``target``: a device's own
    limit, else CUDA's 1024 (NVIDIA architectures, generic targets)."""
    if target.is_device:
        p = registry.device(target.name).properties
        known = [int(n) for n in (p.max_work_group_invocations, p.max_work_group_size[0]) if n]
        return min(known, default=MAX_THREADS_PER_PROGRAM)
    return MAX_THREADS_PER_PROGRAM


def compile_specialized(kernel, specs, options: dict, target: Optional[str]) -> CompiledKernel:
    """``compile_kernel`` for arguments already bound by ``kernel.specialize``
    (a launch has bound them: the fast path binds once)."""
    from . import _C
    options.setdefault("num_warps", 4)
    check_options(options)
    if "extern_libs" in options:
        options["extern_libs"] = resolve_extern_libs(options["extern_libs"])
    resolved = resolve_target(target)
    check_threads(options["num_warps"], resolved.threads_per_warp, resolved.name,
                  _threads_limit(resolved))
    options["threads_per_warp"] = resolved.threads_per_warp
    options["check_memory"] = memory_checks.enabled(options, resolved.backend,
                                                    resolved.device_type)
    reads = dependency_key(kernel)
    fast_key = (tuple(s.key() for s in specs), tuple(sorted(options.items())), resolved.name,
                reads)
    compiled = kernel._compiled.get(fast_key)
    if compiled is not None:
        stats.count("memory_hits")
        return compiled
    # About to trace (or to look on disk): the key must be that of the values
    # traced now, also if a list or dict the kernel reads changed in place
    # since the key was last made (which the per-launch check does not see).
    fresh = refresh_dependencies(kernel)
    if fresh != reads:
        reads, fast_key = fresh, fast_key[:-1] + (fresh,)
        compiled = kernel._compiled.get(fast_key)
        if compiled is not None:
            stats.count("memory_hits")
            return compiled

    # launch_pdl changes how the kernel is launched, not its code.
    parts = cache_key.key_parts(kernel, specs,
                                {k: v for k, v in options.items() if k != "launch_pdl"},
                                resolved.identity, _C.build_id(), _C.version())
    key = cache_key.cache_key(parts)
    # A kernel that reads an object Kite knows only by identity cannot be
    # told apart on disk from one reading another such object: not stored.
    cache = _C.Cache.default() if on_disk(reads) else None
    # KITE_MLIR_DUMP shows the passes at work: they must run.
    dumping = _passes_dump_requested()
    entry = _entry_from_disk(cache, key, resolved) if cache is not None and not dumping else None
    from_disk = entry is not None
    if from_disk:
        stats.count("disk_hits")
    else:
        entry = _compile_and_store(kernel, specs, options, resolved, cache, key)
    _warn_debug_ops(entry.notes)
    compiled = CompiledKernel(kernel, specs, options, resolved, key, entry)
    if from_disk:
        def recompile(binary: bytes) -> Optional[_Entry]:
            if binary is not entry.binary:  # not what was read (changed since)
                return None
            cache.remove(key)
            return _compile_and_store(kernel, specs, options, resolved, cache, key)
        compiled._recompile = recompile
    _dump(compiled.name, key, entry.asm)
    kernel._compiled[fast_key] = compiled
    return compiled
