"""cuda-sim from Python (docs/cuda-sim.md): what the last launch executed,
and launching another compiler's NVVM code — Triton's — on the simulator,
which is how the simulator's instruction semantics are checked against
code known to run correctly on GPUs.

    compiled = triton.compile(src, target=GPUTarget("cuda", 80, 32))
    kite.sim.launch_triton(compiled, (blocks,), x, y, out, n)
    kite.sim.statistics()   # {"global_load_bytes": ..., "mma_m16n8k16": ...}
"""
from __future__ import annotations

import re
import struct

from .runtime import registry

DEFAULT = "cuda-sim:sm_80"

# Triton's signature types -> struct formats of their parameters.
_SCALARS = {"i1": "I", "i8": "b", "i16": "h", "i32": "i", "i64": "q", "u1": "I",
            "u8": "B", "u16": "H", "u32": "I", "u64": "Q", "fp16": "e", "bf16": "H",
            "fp32": "f", "f32": "f", "fp64": "d"}


def statistics(device: str = DEFAULT) -> dict:
    """What the last launch on ``device`` executed, by counter."""
    return registry.device(device).last_launch_statistics()


def _address(value) -> int:
    from .tensor import Tensor
    if isinstance(value, Tensor):
        return value.data_ptr()
    if value is None:
        return 0
    return int(value)


def launch_llvm_ir(llir: str, entry: str, grid, num_warps: int, args, *,
                   shared: int = 0, device: str = DEFAULT) -> None:
    """Runs ``entry`` of LLVM IR for NVPTX on cuda-sim: ``args`` are
    ``(format, value)`` pairs (struct formats, "Q" for a pointer: a kite
    tensor, an address or None)."""
    out, sizes = bytearray(), []
    for fmt, value in args:
        size = struct.calcsize("<" + fmt)
        out.extend(b"\0" * (-len(out) % size))
        if fmt == "Q":
            value = _address(value)
        out.extend(struct.pack("<" + fmt, value))
        sizes.append(size if fmt != "?" else 4)
    grid = tuple(grid) + (1,) * (3 - len(tuple(grid)))
    dev = registry.device(device)
    kernel = dev.load_kernel(llir, entry, num_warps * 32, "llir", sizes, shared)
    dev.launch(kernel, grid, bytes(out))


def _float_literal(match, line: str) -> str:
    digits = match.group(1)
    if len(digits) == 16:
        return "0x" + digits
    if len(digits) == 8:  # a float's bits: LLVM 22 writes floats as doubles
        value = struct.unpack("<f", struct.pack("<I", int(digits, 16)))[0]
        return "0x%016X" % struct.unpack("<Q", struct.pack("<d", value))[0]
    return ("0xR" if "bfloat" in line else "0xH") + digits


# Infinities a newer LLVM writes as words (`phi float [ -inf, ... ]`).
_INFINITY = re.compile(r"(?<=[\s,\[(])([-+]?)inf\b")


def _infinity(match, line: str) -> str:
    negative = match.group(1) == "-"
    if "bfloat" in line:
        return "0xRFF80" if negative else "0xR7F80"
    if "half" in line:
        return "0xHFC00" if negative else "0xH7C00"
    return "0xFFF0000000000000" if negative else "0x7FF0000000000000"


def older_llvm_syntax(llir: str) -> str:
    """LLVM IR from a newer LLVM (Triton's) in the syntax of this one: float
    literals written f0x3FB8AA3B become 0x3FF7154760000000 (0xH/0xR for
    half and bfloat), and infinities written `inf`, `-inf` their bits."""
    if "f0x" not in llir and "inf" not in llir:
        return llir
    pattern = re.compile(r"\bf0x([0-9A-Fa-f]+)\b")
    return "\n".join(_INFINITY.sub(lambda m, line=line: _infinity(m, line),
                                   pattern.sub(lambda m, line=line: _float_literal(m, line),
                                               line))
                     for line in llir.split("\n"))


def launch_triton(compiled, grid, *args, device: str = DEFAULT) -> None:
    """Launches a kernel Triton compiled for an NVIDIA target (its ``llir``,
    with Triton's launch ABI: the non-constexpr arguments, then its global
    and profile scratch pointers, null here) on cuda-sim with ``args`` (kite
    tensors for pointers)."""
    signature = compiled.src.signature
    types = [t for t in signature.values() if t != "constexpr"]
    if len(types) != len(args):
        raise TypeError(f"{compiled.name} takes {len(types)} runtime arguments, "
                        f"{len(args)} given")
    packed = [("Q" if t.startswith("*") else _SCALARS[t], v) for t, v in zip(types, args)]
    llir = older_llvm_syntax(compiled.asm["llir"])
    # The kernel's parameters: its define line names each with a %.
    header = re.search(r"define [^@\n]*@" + re.escape(compiled.name) + r"\(([^\n]*)\)", llir)
    params = len(re.findall(r"%[\w.]+", header.group(1))) if header else len(packed)
    packed += [("Q", None)] * max(0, params - len(packed))
    metadata = compiled.metadata
    launch_llvm_ir(llir, compiled.name, grid, metadata.num_warps, packed,
                   shared=int(metadata.shared), device=device)
