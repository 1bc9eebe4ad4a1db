"""kite._C.emit_ptx: thread-level IR to NVIDIA PTX through LLVM's NVPTX
backend, with no GPU. Every kernel of test_kernels.py, at the suite's block
sizes, compiles for sm_80 and sm_90 through kernel.compile(target=
"cuda:sm_XY"), and ptxas (CUDA toolkit) accepts the PTX with no
local-memory spills."""
import os
import re
import shutil

import numpy as np
import pytest

from kite import _C

import test_kernels as tk

PTXAS = shutil.which("ptxas") or next(
    (p for p in ["/usr/local/cuda/bin/ptxas"] if os.path.exists(p)), None)
needs_ptxas = pytest.mark.skipif(PTXAS is None, reason="ptxas (CUDA toolkit) not found on PATH or in /usr/local/cuda/bin")

STORE_PROGRAM_ID = """
module attributes {"kitethread.num-threads" = 128 : i32} {
  func.func @k() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %p = kitethread.program_id x : i32
    kitethread.store %a, %p align 4 : i32
    return
  }
}
"""


def f32(*shape):
    return np.zeros(shape, np.float32)


def f16(*shape):
    return np.zeros(shape, np.float16)


def i32(*shape):
    return np.zeros(shape, np.int32)


def _cases():
    """(id, kernel, args, meta): the launches of test_kernels.py, one per
    distinct specialisation (dtype and block sizes)."""
    cases = []
    for dt in (np.float32, np.float16, np.int32):
        a = np.zeros(64, dt)
        cases.append((f"add-{dt.__name__}", tk.add_kernel, (a, a, a, 64), dict(BLOCK_SIZE=256)))
    for dt in (np.float32, np.float16):
        for cols in (1, 100, 257, 1000):
            x = np.zeros((4, cols), dt)
            cases.append((f"softmax-{dt.__name__}-{cols}", tk.softmax_kernel, (x, x, cols, cols, cols),
                          dict(BLOCK_SIZE=tk.next_power_of_2(cols))))
        for block in (32, 128, 64):
            x = np.zeros((4, 100), dt)
            w = np.zeros(100, dt)
            cases.append((f"layernorm-{dt.__name__}-{block}", tk.layer_norm_fwd_kernel,
                          (x, x, w, w, f32(4), f32(4), 100, 100, 1e-5), dict(BLOCK_SIZE=block)))
    for bm, bn, bk, g in ((32, 32, 16, 2), (16, 32, 32, 4), (32, 16, 16, 3), (16, 16, 16, 1),
                          (16, 16, 16, 2)):
        a = f16(64, 64)
        cases.append((f"matmul-{bm}x{bn}x{bk}-g{g}", tk.matmul_kernel,
                      (a, a, a, 64, 64, 64, 64, 1, 64, 1, 64, 1),
                      dict(BLOCK_SIZE_M=bm, BLOCK_SIZE_N=bn, BLOCK_SIZE_K=bk, GROUP_SIZE_M=g)))
    for dt in (np.int32, np.float32):
        for cols in (64, 8):
            x = np.zeros((8, cols), dt)
            cases.append((f"cumsum-{dt.__name__}-{cols}", tk.cumsum_rows_kernel,
                          (x, x, 8, cols, cols), dict(BLOCK_ROWS=4, BLOCK_COLS=cols)))
    for block in (128, 4, 256):
        cases.append((f"argmax-{block}", tk.argmax_rows_kernel, (f32(4, 100), i32(4), f32(4), 100, 100),
                      dict(BLOCK=block)))
    cases.append(("histogram", tk.histogram_kernel, (f32(100), i32(10), 100, 10), dict(BLOCK_SIZE=64)))
    for bm, bn in ((16, 8), (32, 32), (8, 32), (8, 8)):
        cases.append((f"transpose-{bm}x{bn}", tk.transpose_kernel,
                      (f32(64, 64), f32(64, 64), 64, 64, 64, 1, 64, 1), dict(BLOCK_M=bm, BLOCK_N=bn)))
    return cases


CASES = _cases()


def test_emit_ptx_returns_ptx_llvm_ir_and_the_nvvm_module():
    result = _C.emit_ptx(STORE_PROGRAM_ID, chip="sm_80")
    assert result.ok, [str(d) for d in result.diagnostics]
    assert ".target sm_80" in result.ptx
    assert ".entry k(" in result.ptx
    assert "%ctaid.x" in result.ptx
    assert ".reqntid 128, 1, 1" in result.ptx
    assert "ptx_kernel void @k(i64" in result.llvm_ir
    assert "nvvm.kernel" in result.ir and "llvm.func @k(%arg0: i64)" in result.ir


def test_emit_ptx_takes_a_ptx_version():
    result = _C.emit_ptx(STORE_PROGRAM_ID, chip="sm_90a", ptx_version=80)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert ".version 8.0" in result.ptx and ".target sm_90a" in result.ptx


def test_emit_ptx_rejects_an_unknown_chip():
    result = _C.emit_ptx(STORE_PROGRAM_ID, chip="sm_12345")
    assert not result.ok
    assert any("unknown NVIDIA architecture 'sm_12345'" in d.message for d in result.diagnostics)


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_suite_kernel_compiles_for_the_architecture(case, chip):
    """kernel.compile(..., target="cuda:sm_XY"), as users call it: the PTX
    uses no local memory, and ptxas assembles it with no spills."""
    name, kernel, args, meta = case
    compiled = kernel.compile(*args, target=f"cuda:{chip}", **meta)
    ptx = compiled.asm["ptx"]
    assert f".target {chip}" in ptx
    assert ".local" not in ptx, "the kernel uses local memory"
    if PTXAS is None:
        pytest.skip("ptxas (CUDA toolkit) not found: the PTX is not assembled")
    assert compiled.asm["cubin"][:4] == b"\x7fELF"
    usage = compiled.metadata
    assert 0 < usage["n_regs"] <= 255, usage
    assert usage["n_spills"] == 0 and usage["stack_bytes"] == 0, usage


def branches_around_loads(ptx):
    """Conditional forward branches over one basic block holding a global
    load: how a masked load looks when it is a branch around the load."""
    lines = [line.strip() for line in ptx.splitlines()]
    found = []
    for i, line in enumerate(lines):
        branch = re.match(r"@!?%p\d+ bra(?:\.uni)?\s+(\$L__\w+);", line)
        if not branch:
            continue
        target = next((j for j in range(i + 1, len(lines)) if lines[j] == branch.group(1) + ":"),
                      None)
        skipped = lines[i + 1:target] if target is not None else []
        if any(s.endswith(":") for s in skipped):
            continue  # over several blocks: a loop's guard, not an if around one load
        if any("ld.global" in s for s in skipped):
            found.append(line)
    return found


MASKED = [("add", tk.add_kernel, (f32(1000), f32(1000), f32(1000), 1000), dict(BLOCK_SIZE=256)),
          ("matmul-masked-k-tail", tk.matmul_kernel,
           (f16(64, 48), f16(48, 64), f16(64, 64), 64, 64, 48, 48, 1, 64, 1, 64, 1),
           # One stage: pipelined, its loads are cp.async (zero-filled where
           # masked off; test_software_pipelining.py).
           dict(BLOCK_SIZE_M=64, BLOCK_SIZE_N=64, BLOCK_SIZE_K=32, GROUP_SIZE_M=8,
                num_stages=1))]


@pytest.mark.parametrize("case", MASKED, ids=[c[0] for c in MASKED])
def test_masked_loads_are_predicated_not_branched_around(case):
    """Every masked load is `@%p ld.global` with `other` moved into its
    registers first (as Triton emits it); no branch jumps over a load."""
    name, kernel, args, meta = case
    ptx = kernel.compile(*args, target="cuda:sm_80", **meta).asm["ptx"]
    loads = re.findall(r"^\s*(@%p\d+ )?ld\.global", ptx, re.M)
    assert loads and all(loads), "every global load of these kernels is masked, so predicated"
    assert branches_around_loads(ptx) == []


def shared_addresses(ptx):
    """The address operand of every shared-memory access (ldmatrix,
    cp.async into shared memory, ld.shared, st.shared), in order."""
    access = re.compile(r"^\s*(?:@!?%p\d+\s+)?(?:ldmatrix|cp\.async\.c[ag]\.shared|[ls]d\.shared)"
                        r"[^\[]*\[([^\]+]+)", re.M)
    return access.findall(ptx)


def test_shared_memory_addresses_are_32_bit():
    """Shared memory is addressed in 32 bits (as Triton does it): a
    pipelined tensor-core matmul's ldmatrix, cp.async and ld/st.shared take
    %r registers, and no address is converted to or from 64 bits."""
    ptx = tk.matmul_kernel.compile(
        f16(64, 64), f16(64, 64), f16(64, 64), 64, 64, 64, 64, 1, 64, 1, 64, 1,
        target="cuda:sm_80", BLOCK_SIZE_M=64, BLOCK_SIZE_N=64, BLOCK_SIZE_K=32, GROUP_SIZE_M=8,
        num_stages=3).asm["ptx"]
    addresses = shared_addresses(ptx)
    assert "ldmatrix" in ptx and "cp.async.cg.shared.global" in ptx and addresses
    assert all(re.fullmatch(r"%r\d+", a) for a in addresses), sorted(set(addresses))[:8]
    assert "cvta" not in ptx
