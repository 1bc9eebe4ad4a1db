"""``kernel.compile(...)``: a kernel through the named stages for one target,
through the JIT cache of DESIGN.md §6.

The lookup order is: the kernel's in-memory map from its specialisation key
(argument types, constexprs, options, target name; no source hashing) to the
``CompiledKernel``; then the disk cache (``kite._C.Cache.default()``, in
``$KITE_CACHE_DIR``), keyed by the full key of ``frontend/cache_key.py``;
then the pipeline, whose every stage is stored on disk."""
from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass
from typing import Optional

from .errors import CompilationError
from .frontend import cache_key, tracer
from .runtime import registry

STAGES = ("kite", "kitegpu")
_METADATA = "metadata.json"
_BINARY = "kernel.spv"


class CompileStats:
    """What this process's compilations did (tests read it to prove cache hits)."""

    def __init__(self):
        self.pipeline_runs = 0
        self.disk_hits = 0
        self.memory_hits = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


stats = CompileStats()


@dataclass(frozen=True)
class Target:
    """What code is compiled for: ``name`` as users write it, the subgroup
    size layouts use, and ``identity``, which the cache key hashes."""
    name: str
    threads_per_warp: int
    identity: str

    @property
    def is_device(self) -> bool:
        return self.name.startswith("vulkan:")


def resolve_target(target: Optional[str]) -> Target:
    """``"vulkan:N"`` (that device's subgroup size and identity), ``"generic"``
    or ``"generic:subgroup=N"`` (no device: N threads per warp, 32 by
    default). None means the default device if it compiles, else the first
    Vulkan device, else ``"generic"``."""
    if target is None:
        default = registry.default_device()
        vulkan = [d for d in registry.devices() if d.startswith("vulkan:")]
        target = default if default.startswith("vulkan:") else (vulkan[0] if vulkan else "generic")
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
        return Target(device.name, device.subgroup_size, device.target_identity())
    raise ValueError(f"unknown target '{target}'; this build compiles for 'vulkan:N' "
                     f"({', '.join(registry.devices()[:-1]) or 'none here'}) or "
                     "'generic[:subgroup=N]'")


class CompiledKernel:
    """A kernel compiled for one specialisation and target. ``asm`` maps each
    stage name to its text; ``compiled[grid](*args)`` launches it after
    checking that the arguments match what it was compiled for."""

    def __init__(self, kernel, specs, options: dict, target: Target, key: str, asm: dict,
                 binary: bytes = b""):
        self.kernel = kernel
        self.name = kernel.__name__
        self.specs = specs
        self.options = options
        self.target = target
        self.asm = asm
        self.binary = binary  # the SPIR-V module, for device targets
        self._loaded = None
        self.metadata = {"name": self.name, "num_warps": options["num_warps"],
                         "threads_per_warp": target.threads_per_warp,
                         "target": target.name, "cache_key": key}

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.run(grid, *args, **kwargs)

    def run(self, grid, *args, **kwargs):
        from .runtime.arguments import check_specialization, launch_device
        specs, options, values = self.kernel.specialize(args, kwargs)
        for name, value in options.items():
            if self.options.get(name) != value:
                raise ValueError(f"{self.name}: {name}={value!r} at launch, but the kernel was "
                                 f"compiled with {name}={self.options.get(name)!r}")
        check_specialization(self.name, self.specs, specs)
        if not self.target.is_device:
            raise RuntimeError(f"{self.name} was compiled for '{self.target.name}', which is "
                               "not a device; compile it for 'vulkan:N' to launch it")
        launch_device(specs, values, target=self.target.name)
        self.launch(grid, values)

    def launch(self, grid, values):
        """Runs the kernel on its device (arguments already checked); on CUDA
        it is queued on the current stream (runtime/cuda.py)."""
        from .interpreter.launcher import grid_size
        device = registry.device(self.target.name)
        if self._loaded is None:
            self._loaded = device.load_compiled(self)
        meta = {s.name: v for s, v in zip(self.specs, values)}
        sizes = grid_size(grid, meta)
        if 0 in sizes:
            return
        device.launch_compiled(self._loaded, sizes, self.specs, values)

    def __repr__(self) -> str:
        return (f"<kite.CompiledKernel {self.name} for {self.target.name}, "
                f"num_warps={self.options['num_warps']}, key {self.metadata['cache_key'][:16]}>")


# `"kite.print"(...) ... loc("file":line:col)` in the traced (generic) IR.
_DEBUG_OP = re.compile(r'"kite\.(print|assert)"\(.*loc\("((?:[^"\\]|\\.)*)":(\d+):(\d+)\)\s*$',
                       re.MULTILINE)
_DEBUG_NAMES = {"print": "kl.device_print", "assert": "kl.device_assert"}


def _unsupported_debug_ops(raw: str, target: Target) -> list:
    """Where the traced IR uses kl.device_print / kl.device_assert, which the
    Vulkan target drops (no debug printf there; docs/spirv-emitter.md):
    ``[(message, file, line)]``, warned about at every compilation."""
    found = []
    for op, file, line, col in _DEBUG_OP.findall(raw):
        found.append((f"{file}:{line}:{col}: {_DEBUG_NAMES[op]} is not supported on "
                      f"'{target.name}' (Vulkan has no debug printf): the kernel runs without "
                      "it; run on the interpreter (KITE_INTERPRET=1) to see it",
                      file, int(line)))
    return found


def _warn_debug_ops(found) -> None:
    for message, file, line in found:
        warnings.warn_explicit(message, UserWarning, file, line)


def _run_pipeline(kernel, specs, options: dict, target: Target):
    """Every stage's text, and the SPIR-V binary for a device target."""
    stats.pipeline_runs += 1
    raw = tracer.trace_module(kernel.fn, kernel._traced(), specs)
    layout = {"num_warps": options["num_warps"], "threads_per_warp": target.threads_per_warp}
    asm = {"kite": tracer.run_stage(raw, "kite"),
           "kitegpu": tracer.run_stage(raw, "kitegpu", **layout),
           "threads": tracer.run_stage(raw, "threads", **layout)}
    if not target.is_device:
        return asm, b"", []
    device = registry.vulkan_device(target.name)
    try:
        asm["spirv"], binary = tracer.emit_spirv(asm["threads"], device.emitter_options())
    except CompilationError as exc:
        if exc.lineno:
            raise
        # The stored stages carry no locations: emit again from IR that
        # does, so that the error points at the user's line.
        located = tracer.run_stage(raw, "threads", debug_info=True, **layout)
        tracer.emit_spirv(located, device.emitter_options())
        raise
    return asm, binary, _unsupported_debug_ops(raw, target)


def _files(asm: dict, binary: bytes, notes: list, metadata: dict) -> dict:
    files = {f"{stage}.mlir": text for stage, text in asm.items()}
    if binary:
        files[_BINARY] = binary
    files[_METADATA] = json.dumps(metadata, sort_keys=True)
    return files


def _entry_of(files: Optional[dict]):
    """(stages, binary, warnings) of a cache entry, or None if it lacks any
    part (never trusted half)."""
    if not files or _METADATA not in files:
        return None
    try:
        metadata = json.loads(files[_METADATA])
        asm = {stage: files[f"{stage}.mlir"].decode() for stage in metadata["stages"]}
        binary = files[_BINARY] if metadata.get("binary") else b""
        notes = [(str(m), str(f), int(n)) for m, f, n in metadata.get("warnings", [])]
        return asm, bytes(binary), notes
    except (KeyError, ValueError, TypeError, UnicodeDecodeError):
        return None


def _dump(name: str, key: str, asm: dict) -> None:
    root = os.environ.get("KITE_DUMP_IR", "")
    if not root:
        return
    folder = os.path.join(root, f"{name}-{key[:16]}")
    os.makedirs(folder, exist_ok=True)
    for stage, text in asm.items():
        with open(os.path.join(folder, f"{stage}.mlir"), "w") as f:
            f.write(text)


def compile_kernel(kernel, args, kwargs: dict, target: Optional[str] = None,
                   num_warps: int = 4) -> CompiledKernel:
    """The ``CompiledKernel`` of ``kernel`` for these arguments (which stand
    for their types, as in ``kernel.trace``) on ``target``."""
    specs, options, _values = kernel.specialize(args, dict(kwargs, num_warps=num_warps))
    return compile_specialized(kernel, specs, options, target)


def compile_specialized(kernel, specs, options: dict, target: Optional[str]) -> CompiledKernel:
    """``compile_kernel`` for arguments already bound by ``kernel.specialize``
    (a launch has bound them: the fast path binds once)."""
    from . import _C
    options.setdefault("num_warps", 4)
    num_warps = options["num_warps"]
    if not isinstance(num_warps, int) or num_warps < 1 or num_warps & (num_warps - 1):
        raise ValueError(f"num_warps must be a positive power of two, got {num_warps!r}")
    resolved = resolve_target(target)
    options["threads_per_warp"] = resolved.threads_per_warp
    fast_key = (tuple(s.key() for s in specs), tuple(sorted(options.items())), resolved.name,
                cache_key.global_values(kernel))
    compiled = kernel._compiled.get(fast_key)
    if compiled is not None:
        stats.memory_hits += 1
        return compiled

    parts = cache_key.key_parts(kernel, specs, options, resolved.identity,
                                _C.build_id(), _C.version())
    key = cache_key.cache_key(parts)
    cache = _C.Cache.default()
    entry = _entry_of(cache.lookup(key))
    if entry is not None:
        stats.disk_hits += 1
    else:
        entry = _run_pipeline(kernel, specs, options, resolved)
        metadata = {"name": kernel.__name__, "stages": list(entry[0]), "binary": bool(entry[1]),
                    "warnings": [list(note) for note in entry[2]]}
        try:
            # Another process may have published the same key first: use its
            # entry, so that every process runs identical bytes.
            entry = _entry_of(cache.store(key, _files(*entry, metadata))) or entry
        except _C.CacheError as exc:
            warnings.warn(f"kite: could not store {kernel.__name__} in the JIT cache: {exc}")
    asm, binary, notes = entry
    _warn_debug_ops(notes)
    compiled = CompiledKernel(kernel, specs, options, resolved, key, asm, binary)
    _dump(compiled.name, key, asm)
    kernel._compiled[fast_key] = compiled
    return compiled
