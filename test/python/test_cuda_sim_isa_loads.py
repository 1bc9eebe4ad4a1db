"""cuda-sim's predicated global loads against the PTX ISA, in the form
Kite's and Triton's masked loads take (docs/nvptx-emitter.md, "Memory"):
`mov` of the fallback into the destination registers, then
`@p ld.global[.v2|.v4].b{8,16,32}` over them. Where the guard is false the
instruction does not execute: the registers keep the fallback and the
address, here one in the guard page past the tensor, is never read. A
`.b8` load into a 16-bit register zero-extends (the ISA's relaxed
type-checking rules for destination operands wider than the type). The
plain form runs as host code (InlinePtxLoads.cpp), the same load with a
memory-model qualifier (`.relaxed.gpu`) through the interpreter: both must
agree, counters included."""
import numpy as np
import pytest

import kite
import kite.sim

DEVICE = "cuda-sim:sm_80"
TID = "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"


def tensor(array):
    return kite.from_numpy(np.ascontiguousarray(array), device=DEVICE)


def launch(ir, args):
    kite.sim.launch_llvm_ir('target triple = "nvptx64-nvidia-cuda"\n' + TID + ir, "k", (1,), 1,
                            args, device=DEVICE)


# (PTX type and lanes, registers: LLVM type and constraint, bytes per lane)
FORMS = [("b8", 1, "i16", "h", 1), ("b16", 1, "i16", "h", 2), ("b32", 1, "i32", "r", 4),
         ("v2.b32", 2, "i32", "r", 4), ("v4.b32", 4, "i32", "r", 4), ("v2.b16", 2, "i16", "h", 2)]


def predicated_load_kernel(ptx_type, lanes, reg, constraint, offset, qualifier=""):
    """Lane t loads `lanes` words at src + offset + t * (lanes words) where
    t % 3 != 0; elsewhere its address is `far` (a guard page) and its
    registers start as fallback + lane. Each register is stored widened to
    an i32 of out."""
    outs = ", ".join(f"${i}" for i in range(lanes))
    dest = outs if lanes == 1 else "{" + outs + "}"
    movs = "".join(f"mov.b{reg[1:]} ${i}, ${lanes + 2 + i};" for i in range(lanes))
    ret = reg if lanes == 1 else "{" + ", ".join([reg] * lanes) + "}"
    constraints = ",".join([f"={constraint}"] * lanes + ["b", "l"] + [constraint] * lanes)
    fallbacks = ", ".join(f"{reg} %f{i}" for i in range(lanes))
    computes = "\n".join(f"  %f{i}w = add i32 %fb, {i}\n  %f{i} = trunc i32 %f{i}w to {reg}"
                         if reg != "i32" else f"  %f{i} = add i32 %fb, {i}" for i in range(lanes))
    stores = []
    for i in range(lanes):
        value = f"%v{i}"
        extract = (f"  %v{i} = extractvalue {ret} %r, {i}" if lanes > 1 else f"  %v{i} = add {reg} %r, 0")
        stores.append(f"""{extract}
  %w{i} = {"zext" if reg != "i32" else "add"} {reg} {value}{" to i32" if reg != "i32" else ", 0"}
  %o{i} = add i32 %obase, {i}
  %po{i} = getelementptr i32, ptr addrspace(1) %out, i32 %o{i}
  store i32 %w{i}, ptr addrspace(1) %po{i}""")
    stores = "\n".join(stores)
    return f"""
define ptx_kernel void @k(ptr addrspace(1) %src, ptr addrspace(1) %far, ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %rem = urem i32 %tid, 3
  %p = icmp ne i32 %rem, 0
  %word = mul i32 %tid, {lanes}
  %base = getelementptr {reg}, ptr addrspace(1) %src, i32 %word
  %at = select i1 %p, ptr addrspace(1) %base, ptr addrspace(1) %far
  %addr = ptrtoint ptr addrspace(1) %at to i64
  %fb = mul i32 %tid, 16
{computes}
  %r = call {ret} asm sideeffect "{movs}@${lanes} ld{qualifier}.global.{ptx_type} {dest}, [${lanes + 1} + {offset}];", "{constraints}"(i1 %p, i64 %addr, {fallbacks})
  %obase = mul i32 %tid, {lanes}
{stores}
  ret void
}}
"""


@pytest.mark.parametrize("qualifier", ["", ".relaxed.gpu"], ids=["host-code", "interpreted"])
@pytest.mark.parametrize("offset", [0, 16])
@pytest.mark.parametrize("ptx_type,lanes,reg,constraint,size", FORMS, ids=[f[0] for f in FORMS])
def test_predicated_load_reads_only_where_its_guard_holds(ptx_type, lanes, reg, constraint, size,
                                                          offset, qualifier):
    dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32}[size]
    # 4096 bytes of non-zero values: `far` is the first byte past them, in
    # the guard page.
    pad = np.random.default_rng(size * lanes).integers(1, 1 << (8 * size), 4096 // size,
                                                       dtype=np.uint64).astype(dtype)
    padded = tensor(pad)
    far = padded.data_ptr() + 4096
    out = tensor(np.zeros(32 * lanes, np.uint32))
    # The word stride of the address is the register's, not the memory type's.
    reg_bytes = 2 if reg == "i16" else 4
    step = lanes * reg_bytes // size  # memory elements between two lanes' addresses
    launch(predicated_load_kernel(ptx_type, lanes, reg, constraint, offset, qualifier),
           [("Q", padded), ("Q", far), ("Q", out)])
    # Counted where executed: the 21 lanes of 32 whose guard holds.
    stats = kite.sim.statistics(DEVICE)
    assert stats["global_load_bytes"] == 21 * size * lanes
    assert stats[f"global_loads_{8 * size * lanes}"] == 21
    got = out.numpy().reshape(32, lanes)
    for lane in range(32):
        for i in range(lanes):
            if lane % 3 == 0:  # not executed: the fallback, in full
                want = (lane * 16 + i) & ((1 << int(reg[1:])) - 1)
            else:  # zero-extended memory contents
                want = int(pad[lane * step + offset // size + i])
            assert got[lane, i] == want, (lane, i, got[lane, i], want)
