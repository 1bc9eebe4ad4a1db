"""Traces a kernel into kite IR: rewrite its AST, run it with proxy values
under the IR builder, and hand the module to libkite to verify and optimise."""
from __future__ import annotations

import re

from ..errors import CompilationError
from ..language.core import building, tensor
from . import control_flow
from .ast_rewriter import rewrite
from .ir_builder import IRBuilder
from .location import Location, traceback_location
from .specialization import call_arguments


def rewritten(fn):
    return rewrite(fn, control_flow.RUNTIME_NAMESPACE)


def _wrap_unexpected(exc: BaseException) -> CompilationError:
    loc = traceback_location(exc.__traceback__)
    message = f"{type(exc).__name__}: {exc}"
    if loc.line == 0:
        return CompilationError(message)
    return CompilationError(message, loc.filename, loc.line)


def trace_module(fn, traced_fn, specs, dot_precision=None) -> str:
    """The kite IR module (generic form, with locations) of ``fn`` for
    ``specs``; ``dot_precision``: the launch option of that name (kl.dot)."""
    builder = IRBuilder()
    builder.dot_precision = dot_precision
    builder.none_arguments = [s.name for s in specs if s.is_constexpr and s.value is None]
    runtime = [s for s in specs if not s.is_constexpr]
    body = builder.push_region([s.type.mlir for s in runtime])
    handles = iter(h for h, _ in body.args)
    call_args, params = [], []
    for spec in specs:
        if spec.is_constexpr:
            call_args.append(spec.value)
            continue
        handle = next(handles)
        call_args.append(tensor(handle, spec.type))
        attrs = {"kite.divisibility": "16 : i32"} if spec.divisible_by_16 else {}
        params.append((handle, spec.type.mlir, attrs, spec.name))
    try:
        with building(builder):
            args, kwargs = call_arguments(specs, call_args)
            traced_fn(*args, **kwargs)
    except CompilationError:
        raise
    except RecursionError as exc:
        raise _wrap_unexpected(exc) from None
    except Exception as exc:
        raise _wrap_unexpected(exc) from exc
    code = fn.__code__
    loc = Location(code.co_filename, code.co_firstlineno, 1)
    return builder.module_text(fn.__name__, params, builder.pop_region(), loc)


def run_stage(module_text: str, stage: str, debug_info: bool = False, **target) -> str:
    """Verifies and optimises a module in libkite (``target``: num_warps and
    threads_per_warp for the kitegpu stage); its diagnostics become
    CompilationErrors at the user's line."""
    from .. import _C
    result = _C.run_stage(module_text, stage, debug_info=debug_info, **target)
    if not result.ok:
        what = ("the traced IR does not verify" if stage in ("verify", "kite")
                else f"the '{stage}' stage failed")
        _raise(result.diagnostics, what)
    return result.ir


def _raise(diagnostics, what: str):
    """A CompilationError from libkite's diagnostics, at the first error's line."""
    diags = [d for d in diagnostics if d.severity == "error"] or list(diagnostics)
    first = diags[0] if diags else None
    text = "\n".join(d.message for d in diags) or "no diagnostic"
    missing = re.fullmatch(r"failed to legalize operation '([\w.]+)'", text)
    if missing:  # MLIR's words for an op this target's lowering does not handle
        text = (f"'{missing.group(1)}' cannot be compiled for this target yet; the interpreter "
                "runs it (device='interpreter' or KITE_INTERPRET=1)")
    if first is not None and first.file and first.line and first.file != "<kite-ir>":
        raise CompilationError(f"{what}: {text}", first.file, first.line, first.column)
    raise CompilationError(f"{what}: {text}")


def emit_spirv(thread_ir: str, options: dict):
    """(disassembly, binary, debug records) of thread-level IR for a Vulkan
    device (the records: runtime/debug_buffer.py); errors are
    CompilationErrors at the user's line where the IR knows it."""
    from .. import _C
    result = _C.emit_spirv(thread_ir, **options)
    if not result.ok:
        _raise(result.diagnostics, "the SPIR-V emitter failed")
    return result.disassembly, bytes(result.binary), list(result.debug_records)


def emit_ptx(thread_ir: str, arch: str, fp_fusion: bool = True, libdevice: str = ""):
    """(LLVM IR, PTX, bytes of dynamic shared memory) of thread-level IR for an
    NVIDIA architecture ("sm_90"); errors are CompilationErrors at the user's
    line where the IR knows it. ``fp_fusion``: multiplies and adds may fuse;
    ``libdevice``: the bitcode f64 math links ("": the toolkit's)."""
    from .. import _C
    result = _C.emit_ptx(thread_ir, chip=arch, fp_fusion=fp_fusion, libdevice=libdevice)
    if not result.ok:
        _raise(result.diagnostics, f"the NVPTX emitter failed for {arch}")
    return result.llvm_ir, result.ptx, int(result.shared_bytes)
