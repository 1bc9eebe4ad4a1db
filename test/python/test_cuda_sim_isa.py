"""cuda-sim's warp-synchronous instructions, barriers and errors against the
PTX ISA (docs/cuda-sim.md). Each test is a hand-written NVVM kernel whose
results are compared with numpy written from the ISA's own definition of the
instruction (the pseudo-code of shfl.sync, vote.sync, redux.sync,
match.sync), not from the simulator's code. Tensor-core and asynchronous-copy
instructions are in test_cuda_sim_isa_tensor.py, math and carries in
test_cuda_sim_isa_math.py."""
import numpy as np
import pytest

import kite
import kite.sim
from kite import _C

DEVICE = "cuda-sim:sm_80"
TID = "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"


def tensor(array):
    return kite.from_numpy(np.ascontiguousarray(array), device=DEVICE)


def launch(ir, args, num_warps=1, shared=0):
    kite.sim.launch_llvm_ir('target triple = "nvptx64-nvidia-cuda"\n' + TID + ir, "k", (1,),
                            num_warps, args, shared=shared, device=DEVICE)


# --- shfl.sync ---------------------------------------------------------------

def shfl_reference(mode, a, b, c):
    """The PTX ISA's pseudo-code of shfl.sync, lane by lane."""
    seg, clamp = (c >> 8) & 31, c & 31
    d, p = np.zeros(32, np.uint32), np.zeros(32, np.uint32)
    for lane in range(32):
        bval = int(b[lane]) & 31
        max_lane = (lane & seg) | (clamp & ~seg & 31)
        min_lane = lane & seg
        if mode == "up":
            j = lane - bval
            ok = j >= max_lane
        elif mode == "down":
            j = lane + bval
            ok = j <= max_lane
        elif mode == "bfly":
            j = lane ^ bval
            ok = j <= max_lane
        else:
            j = min_lane | (bval & ~seg & 31)
            ok = j <= max_lane
        d[lane], p[lane] = a[j if ok else lane], ok
    return d, p


def cuda_width(mode, width):
    """c as CUDA's __shfl_*_sync(..., width) encodes it: the segment mask in
    c[12:8], the clamp in c[4:0] (0 for up, 31 otherwise)."""
    return ((32 - width) << 8) | (0 if mode == "up" else 0x1f)


def shfl_kernel(mode, form):
    if form == "intrinsic":
        decl = f"declare {{i32, i1}} @llvm.nvvm.shfl.sync.{mode}.i32p(i32, i32, i32, i32)\n"
        call = f"call {{i32, i1}} @llvm.nvvm.shfl.sync.{mode}.i32p(i32 -1, i32 %a, i32 %b, i32 %c)"
        unpack = "%d = extractvalue {i32, i1} %r, 0\n  %p1 = extractvalue {i32, i1} %r, 1\n" \
                 "  %p = zext i1 %p1 to i32"
    else:  # as Triton and Kite write it: the predicate lives in the asm block
        decl = ""
        call = (f'call {{i32, i32}} asm sideeffect "{{ .reg .pred q; shfl.sync.{mode}.b32 '
                f'$0|q, $2, $3, $4, 0xffffffff; selp.u32 $1, 1, 0, q; }}", "=r,=r,r,r,r"'
                f'(i32 %a, i32 %b, i32 %c)')
        unpack = "%d = extractvalue {i32, i32} %r, 0\n  %p = extractvalue {i32, i32} %r, 1"
    return decl + f"""
define ptx_kernel void @k(ptr addrspace(1) %av, ptr addrspace(1) %bv, ptr addrspace(1) %out, i32 %c) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %pa = getelementptr i32, ptr addrspace(1) %av, i32 %tid
  %a = load i32, ptr addrspace(1) %pa
  %pb = getelementptr i32, ptr addrspace(1) %bv, i32 %tid
  %b = load i32, ptr addrspace(1) %pb
  %r = {call}
  {unpack}
  %i = mul i32 %tid, 2
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %i
  store i32 %d, ptr addrspace(1) %po
  %po1 = getelementptr i32, ptr addrspace(1) %po, i32 1
  store i32 %p, ptr addrspace(1) %po1
  ret void
}}
"""


SHFL_C = [("width32", None, 32), ("width16", None, 16), ("width8", None, 8),
          ("clamp13", 13, None), ("seg4_clamp2", (0x1c << 8) | 2, None)]


@pytest.mark.parametrize("form", ["intrinsic", "inline_ptx"])
@pytest.mark.parametrize("mode", ["idx", "up", "down", "bfly"])
@pytest.mark.parametrize("name,c,width", SHFL_C, ids=[s[0] for s in SHFL_C])
def test_shfl_sync_follows_the_isa_pseudo_code(mode, form, name, c, width):
    rng = np.random.default_rng(hash((mode, name)) & 0xffff)
    if c is None:
        c = cuda_width(mode, width)
    a = rng.integers(0, 1 << 32, 32, dtype=np.uint64).astype(np.uint32)
    # b per lane, some of them 32 or more: only b[4:0] counts.
    b = rng.integers(0, 40, 32).astype(np.uint32) if mode in ("idx", "bfly") \
        else rng.integers(0, 12, 32).astype(np.uint32)
    b[5] = 33
    out = tensor(np.zeros(64, np.uint32))
    launch(shfl_kernel(mode, form), [("Q", tensor(a)), ("Q", tensor(b)), ("Q", out), ("I", c)])
    d, p = shfl_reference(mode, a, b, c)
    got = out.numpy().reshape(32, 2)
    np.testing.assert_array_equal(got[:, 1], p, err_msg="the .p predicate")
    np.testing.assert_array_equal(got[:, 0], d)
