"""cuda-sim from Python (docs/cuda-sim.md): what the last launch executed,
and launching another compiler's NVVM code — Triton's — on the simulator,
which is how the simulator's instruction semantics are checked against
code known to run correctly on GPUs.

    compiled = triton.compile(src, target=GPUTarget("cuda", 80, 32))
    kite.sim.launch_triton(compiled, (blocks,), x, y, out, n)
    kite.sim.statistics()   # {"global_load_bytes": ..., "mma_m16n8k16": ...}

Kernels that take tensor descriptors (TMA, sm_90) get them as Triton's
``TensorDescriptor`` (or any object with ``base``, ``shape``, ``strides``):
the simulator's own CUtensorMap (``tensor_map``) is made from it and the
block shape and swizzle Triton chose when compiling.
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
        # As the device packs them: at an offset aligned to the size, at
        # most 8 (a byte string, "128s", is a byval struct: a tensor map).
        out.extend(b"\0" * (-len(out) % min(size, 8)))
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


_TENSOR_MAP_MAGIC = 0x4D54534B  # "KSTM"


def tensor_map(base, shape, strides, box, element_bytes: int, *, swizzle: int = 0,
               nan_fill: bool = False, data_type: int = 0) -> bytes:
    """The simulator's CUtensorMap for a tiled TMA copy (what
    cuTensorMapEncodeTiled makes on a GPU; the real one is opaque, so
    cuda-sim reads only this encoding, docs/cuda-sim.md): ``base`` a kite
    tensor or an address, ``shape``, ``strides`` (in elements) and ``box``
    outermost first as numpy and Triton give them, the last stride 1;
    ``swizzle`` CUtensorMapSwizzle's value (0 none, 1 32B, 2 64B, 3 128B);
    ``nan_fill`` fills elements outside the tensor with NaN, else zeros."""
    address = _address(base)
    rank = len(shape)
    if not 1 <= rank <= 5 or len(strides) != rank or len(box) != rank:
        raise ValueError(f"a tensor map has 1 to 5 dimensions, as many strides and box "
                         f"dimensions (shape {shape}, strides {strides}, box {box})")
    if element_bytes not in (1, 2, 4, 8):
        raise ValueError(f"element size {element_bytes} is not 1, 2, 4 or 8 bytes")
    if address % 16:
        raise ValueError(f"the tensor's address {address:#x} is not 16-byte aligned")
    if strides[-1] != 1:
        raise ValueError(f"the innermost dimension must be contiguous (strides {strides})")
    for stride in strides[:-1]:
        if (stride * element_bytes) % 16 or not 0 < stride * element_bytes < 1 << 40:
            raise ValueError(f"a stride of {stride * element_bytes} bytes is no multiple of "
                             f"16 below 2^40 (strides {strides})")
    for dim, b in zip(shape, box):
        if not 1 <= dim < 1 << 32 or not 1 <= b <= 256:
            raise ValueError(f"dimensions go from 1 to 2^32 - 1 and box dimensions from 1 "
                             f"to 256 (shape {shape}, box {box})")
    inner = box[-1] * element_bytes
    if inner % 16:
        raise ValueError(f"the box's inner dimension, {inner} bytes, is no multiple of 16")
    if swizzle not in (0, 1, 2, 3):
        raise ValueError(f"swizzle {swizzle} is not 0 (none), 1 (32B), 2 (64B) or 3 (128B)")
    if swizzle and inner > 16 << swizzle:
        raise ValueError(f"the box's inner dimension, {inner} bytes, exceeds the swizzle's "
                         f"{16 << swizzle}")
    dims = list(reversed([int(d) for d in shape])) + [0] * (5 - rank)
    boxes = list(reversed([int(b) for b in box])) + [0] * (5 - rank)
    byte_strides = [int(s) * element_bytes for s in reversed(strides)][1:]
    byte_strides += [0] * (4 - len(byte_strides))
    element_strides = [1] * rank + [0] * (5 - rank)
    data = struct.pack("<IBBBBQ5I5I4Q5II", _TENSOR_MAP_MAGIC, rank, element_bytes, swizzle,
                       1 if nan_fill else 0, address, *dims, *boxes, *byte_strides,
                       *element_strides, data_type)
    return data + b"\0" * (128 - len(data))


def _descriptor_arguments(descriptor, meta) -> list:
    """A tensor descriptor's kernel arguments as Triton's launcher makes
    them: the tensor map, the shape (i32s), the strides (i64s)."""
    if meta is None:
        raise NotImplementedError("tensor descriptors without Triton's TMA metadata (a target "
                                  "before sm_90) are not supported by kite.sim.launch_triton")
    shape, strides = list(descriptor.shape), list(descriptor.strides)
    nan = getattr(descriptor, "padding", "zero") == "nan"
    block = list(meta["block_size"])
    block = [1] * (len(shape) - len(block)) + block
    data = tensor_map(descriptor.base, shape, strides, block, meta["elem_size"],
                      swizzle=meta["swizzle"], nan_fill=nan, data_type=meta["elem_type"])
    return ([("128s", data)] + [("i", int(d)) for d in shape]
            + [("q", int(s)) for s in strides])


def launch_triton(compiled, grid, *args, device: str = DEFAULT) -> None:
    """Launches a kernel Triton compiled for an NVIDIA target (its ``llir``,
    with Triton's launch ABI: the non-constexpr arguments, then its global
    and profile scratch pointers, null here) on cuda-sim with ``args`` (kite
    tensors for pointers; for a ``tensordesc`` parameter an object with
    ``base``, ``shape`` and ``strides``, as Triton's TensorDescriptor)."""
    signature = compiled.src.signature
    types = [t for t in signature.values() if t != "constexpr"]
    if len(types) != len(args):
        raise TypeError(f"{compiled.name} takes {len(types)} runtime arguments, "
                        f"{len(args)} given")
    metas = iter(getattr(compiled.metadata, "tensordesc_meta", None) or [])
    packed = []
    for t, v in zip(types, args):
        if t.startswith("tensordesc"):
            packed += _descriptor_arguments(v, next(metas, None))
        else:
            packed.append(("Q" if t.startswith("*") else _SCALARS[t], v))
    llir = older_llvm_syntax(compiled.asm["llir"])
    # The kernel's parameters: its define line names each with a %. Then
    # come Triton's global scratch memory (per program, for descriptors made
    # in the kernel) and its profile scratch (none here).
    header = re.search(r"define [^@\n]*@" + re.escape(compiled.name) + r"\(([^\n]*)\)", llir)
    params = len(re.findall(r"%[\w.]+", header.group(1))) if header else len(packed)
    metadata = compiled.metadata
    scratch = None
    size = getattr(metadata, "global_scratch_size", 0)
    if size:
        from . import empty
        from .language import int8
        programs = 1
        for g in tuple(grid):
            programs *= int(g)
        scratch = empty((size * programs,), int8, device=device)
    extra = params - len(packed)
    packed += ([("Q", scratch)] + [("Q", None)] * (extra - 1)) if extra > 0 else []
    launch_llvm_ir(llir, compiled.name, grid, metadata.num_warps, packed,
                   shared=int(metadata.shared), device=device)
