"""cuda-sim's barriers and the errors of what hardware would hang on or leave
undefined (docs/cuda-sim.md): named barriers with thread counts as the PTX
ISA defines bar.sync a, b; a deadlock, a barrier or shuffle waiting on exited
threads, and an instruction the simulator lacks, each a DeviceError after
which the process and the device go on."""
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


# --- barriers -------------------------------------------------------------------

SHARED = "@s = external addrspace(3) global [0 x i8]\n"


def test_named_barriers_with_a_thread_count_synchronise_only_their_warps():
    """Warps 0-1 meet at barrier 1 and warps 2-3 at barrier 2 (64 threads
    each: `bar.sync 1, 64` as inline PTX, barrier.sync.cnt as NVVM), then all
    128 at barrier 0; each phase reads what another warp wrote before it."""
    ir = SHARED + """
declare void @llvm.nvvm.barrier.sync.cnt(i32, i32)
declare void @llvm.nvvm.barrier0()
define ptx_kernel void @k(ptr addrspace(1) %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ps = getelementptr i32, ptr addrspace(3) @s, i32 %tid
  %v = mul i32 %tid, 3
  %v1 = add i32 %v, 1
  store i32 %v1, ptr addrspace(3) %ps
  %first = icmp ult i32 %tid, 64
  br i1 %first, label %one, label %two
one:
  call void asm sideeffect "bar.sync 1, 64;", ""()
  br label %pair
two:
  call void @llvm.nvvm.barrier.sync.cnt(i32 2, i32 64)
  br label %pair
pair:
  %partner = xor i32 %tid, 32
  %pp = getelementptr i32, ptr addrspace(3) @s, i32 %partner
  %w = load i32, ptr addrspace(3) %pp
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %w, ptr addrspace(1) %po
  call void @llvm.nvvm.barrier0()
  %far = xor i32 %tid, 64
  %pf = getelementptr i32, ptr addrspace(3) @s, i32 %far
  %x = load i32, ptr addrspace(3) %pf
  %po2 = getelementptr i32, ptr addrspace(1) %po, i32 128
  store i32 %x, ptr addrspace(1) %po2
  ret void
}
"""
    out = tensor(np.zeros(256, np.uint32))
    launch(ir, [("Q", out)], num_warps=4, shared=512)
    tid = np.arange(128, dtype=np.uint32)
    got = out.numpy()
    np.testing.assert_array_equal(got[:128], (tid ^ 32) * 3 + 1)
    np.testing.assert_array_equal(got[128:], (tid ^ 64) * 3 + 1)
    assert kite.sim.statistics(DEVICE)["barriers"] > 0


def warp_split_kernel(warp0, warp1):
    """Warp 0 runs `warp0`, warp 1 runs `warp1` (LLVM IR lines)."""
    return f"""
declare void @llvm.nvvm.barrier0()
declare i32 @llvm.nvvm.shfl.sync.idx.i32(i32, i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %w0 = icmp ult i32 %tid, 32
  br i1 %w0, label %a, label %b
a:
  {warp0}
  ret void
b:
  {warp1}
  ret void
}}
"""


def assert_device_survives():
    """After a failed launch the device runs the next kernel correctly,
    a shuffle and a barrier included."""
    ir = """
declare void @llvm.nvvm.barrier0()
declare i32 @llvm.nvvm.shfl.sync.bfly.i32(i32, i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  call void @llvm.nvvm.barrier0()
  %r = call i32 @llvm.nvvm.shfl.sync.bfly.i32(i32 -1, i32 %tid, i32 1, i32 31)
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %r, ptr addrspace(1) %po
  ret void
}
"""
    out = tensor(np.zeros(64, np.uint32))
    launch(ir, [("Q", out)], num_warps=2)
    np.testing.assert_array_equal(out.numpy(), np.arange(64) ^ 1)


def test_a_count_that_never_fills_is_reported_as_a_deadlock():
    ir = warp_split_kernel('call void asm sideeffect "bar.sync 1, 64;", ""()',
                           'call void asm sideeffect "bar.sync 2, 64;", ""()')
    with pytest.raises(_C.DeviceError, match=r"kernel 'k' deadlocked: no thread can go on"):
        launch(ir, [("Q", tensor(np.zeros(64, np.uint32)))], num_warps=2)
    assert_device_survives()


def test_a_barrier_that_exited_threads_never_reach_is_an_error():
    ir = warp_split_kernel("call void @llvm.nvvm.barrier0()", "")
    with pytest.raises(_C.DeviceError, match=r"threads wait at barrier 0 for 64, but 32 threads "
                                             r"of the block have exited"):
        launch(ir, [("Q", tensor(np.zeros(64, np.uint32)))], num_warps=2)
    assert_device_survives()


def test_a_counted_barrier_waiting_on_an_exited_warp_is_an_error():
    ir = warp_split_kernel('call void asm sideeffect "bar.sync 1, 64;", ""()', "")
    with pytest.raises(_C.DeviceError, match=r"threads wait at barrier 1 for 64, but 32 threads "
                                             r"of the block have exited"):
        launch(ir, [("Q", tensor(np.zeros(64, np.uint32)))], num_warps=2)
    assert_device_survives()


def test_a_shuffle_whose_membermask_names_an_exited_lane_is_an_error():
    ir = """
declare i32 @llvm.nvvm.shfl.sync.idx.i32(i32, i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %low = icmp ult i32 %tid, 16
  br i1 %low, label %a, label %b
a:
  %r = call i32 @llvm.nvvm.shfl.sync.idx.i32(i32 -1, i32 %tid, i32 0, i32 31)
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %r, ptr addrspace(1) %po
  ret void
b:
  ret void
}
"""
    with pytest.raises(_C.DeviceError,
                       match=r"whose membermask names lane (1[6-9]|2\d|3[01]), which has exited"):
        launch(ir, [("Q", tensor(np.zeros(32, np.uint32)))])
    assert_device_survives()


# --- what the simulator lacks fails the launch that reaches it --------------------

@pytest.mark.parametrize("reached", [True, False])
def test_an_instruction_it_does_not_implement_fails_only_when_reached(reached):
    # fns (find the n-th set bit) is a real PTX instruction the simulator lacks.
    ir = f"""
define ptx_kernel void @k(ptr addrspace(1) %out, i32 %go) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  %g = icmp ne i32 %go, 0
  br i1 %g, label %a, label %b
a:
  %r = call i32 asm sideeffect "fns.b32 $0, $1, 0, 1;", "=r,r"(i32 %tid)
  store i32 %r, ptr addrspace(1) %po
  ret void
b:
  store i32 7, ptr addrspace(1) %po
  ret void
}}
"""
    out = tensor(np.zeros(32, np.uint32))
    if reached:
        with pytest.raises(_C.DeviceError,
                           match=r"the simulator does not implement `fns.b32 \$0, \$1, 0, 1`"):
            launch(ir, [("Q", out), ("I", 1)])
    else:
        launch(ir, [("Q", out), ("I", 0)])
        np.testing.assert_array_equal(out.numpy(), np.full(32, 7, np.uint32))


def test_an_nvvm_intrinsic_it_does_not_implement_names_itself():
    ir = """
declare i32 @llvm.nvvm.fns(i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %r = call i32 @llvm.nvvm.fns(i32 %tid, i32 0, i32 1)
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %r, ptr addrspace(1) %po
  ret void
}
"""
    with pytest.raises(_C.DeviceError, match=r"the simulator does not implement `llvm\.nvvm\.fns"):
        launch(ir, [("Q", tensor(np.zeros(32, np.uint32)))])
    assert_device_survives()


def test_lanes_of_one_membermask_at_different_instructions_is_an_error():
    """Both paths name the whole warp, so each waits for lanes that are at
    another instruction: undefined in the ISA, an error here."""
    from test_cuda_sim_isa import divergent_halves_kernel
    with pytest.raises(_C.DeviceError, match=r"lanes of warp 0 reached different "
                                             r"warp-synchronous instructions"):
        launch(divergent_halves_kernel(-1, -1), [("Q", tensor(np.zeros(32, np.uint32)))])
    assert_device_survives()
