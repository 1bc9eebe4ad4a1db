"""cuda-sim's sm_90 instructions against the PTX ISA (docs/cuda-sim.md), one
hand-written NVVM kernel each: mbarrier phases, arrivals and transaction
counts, elect.sync, branches inside inline PTX (Triton's wait loop), and
what the ISA leaves undefined or would hang on, each an error of the launch.
wgmma and the bulk copies of TMA are further down."""
import numpy as np
import pytest

import kite
import kite.sim
from kite import _C

DEVICE = "cuda-sim:sm_90"
HEADER = ('target triple = "nvptx64-nvidia-cuda"\n'
          "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"
          "declare void @llvm.nvvm.barrier0()\n"
          "@s = external addrspace(3) global [0 x i8]\n")

# Triton's wait for an mbarrier phase: a loop inside the asm statement.
WAIT = ('"\\0A{\\0A\\09.reg .pred complete;\\0A\\09waitLoop:\\0A\\09'
        'mbarrier.try_wait.parity.shared::cta.b64 complete, [$0], $1;\\0A\\09'
        '@!complete bra.uni waitLoop;\\0A}\\0A", "r,r"')


def launch(ir, args, num_warps=1, shared=1024, device=DEVICE):
    kite.sim.launch_llvm_ir(HEADER + ir, "k", (1,), num_warps, args, shared=shared,
                            device=device)


def tensor(array, device=DEVICE):
    return kite.from_numpy(np.ascontiguousarray(array), device=device)


def asm(text, constraints, *operands, result=None):
    """An inline-PTX call: `result` the IR type it returns, if any."""
    ops = ", ".join(operands)
    if result:
        return f'call {result} asm sideeffect "{text}", "{constraints}"({ops})'
    return f'call void asm sideeffect "{text}", "{constraints}"({ops})'


def single_thread_kernel(lines, results):
    """A kernel whose thread 0 runs IR `lines` (which may use %bar, the
    mbarrier at shared offset 0, and define i32 values %r0..) and storing
    %r0..%r<results-1> to out."""
    body = "\n  ".join(lines)
    stores = "\n  ".join(f"%p{i} = getelementptr i32, ptr addrspace(1) %out, i32 {i}\n"
                         f"  store i32 %r{i}, ptr addrspace(1) %p{i}" for i in range(results))
    return f"""
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %first = icmp eq i32 %tid, 0
  br i1 %first, label %run, label %done
run:
  %bar = getelementptr i8, ptr addrspace(3) @s, i32 0
  {body}
  {stores}
  br label %done
done:
  ret void
}}
"""


# --- mbarrier -----------------------------------------------------------------------

def test_mbarrier_phases_order_a_producer_and_a_consumer_warp():
    """Warp 1 produces four rounds of data in shared memory, warp 0 consumes
    them: `full` (32 arrivals of the producer) and `empty` (32 of the
    consumer) alternate their phases, the waits are Triton's try_wait loops
    on the phase parity. A wait that returned early would read the previous
    round's data or shared memory's initial 0xff bytes."""
    ir = f"""
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %lane = and i32 %tid, 31
  %warp = lshr i32 %tid, 5
  %full = getelementptr i8, ptr addrspace(3) @s, i32 0
  %empty = getelementptr i8, ptr addrspace(3) @s, i32 8
  %data = getelementptr i8, ptr addrspace(3) @s, i32 64
  %is0 = icmp eq i32 %tid, 0
  br i1 %is0, label %init, label %go
init:
  {asm("mbarrier.init.shared::cta.b64 [$0], 32;", "r", "ptr addrspace(3) %full")}
  {asm("mbarrier.init.shared::cta.b64 [$0], 32;", "r", "ptr addrspace(3) %empty")}
  br label %go
go:
  call void @llvm.nvvm.barrier0()
  %producer = icmp eq i32 %warp, 1
  br label %loop
loop:
  %i = phi i32 [0, %go], [%next, %latch]
  br i1 %producer, label %produce, label %consume
produce:
  %first = icmp eq i32 %i, 0
  br i1 %first, label %write, label %waitempty
waitempty:
  %ip = add i32 %i, 1
  %pe = and i32 %ip, 1
  call void asm sideeffect {WAIT}(ptr addrspace(3) %empty, i32 %pe)
  br label %write
write:
  %v = mul i32 %i, 100
  %v2 = add i32 %v, %lane
  %pd = getelementptr i32, ptr addrspace(3) %data, i32 %lane
  store i32 %v2, ptr addrspace(3) %pd
  %st = {asm("mbarrier.arrive.shared::cta.b64 $0, [$1];", "=l,r", "ptr addrspace(3) %full",
             result="i64")}
  br label %latch
consume:
  %pf = and i32 %i, 1
  call void asm sideeffect {WAIT}(ptr addrspace(3) %full, i32 %pf)
  %other = sub i32 31, %lane
  %pr = getelementptr i32, ptr addrspace(3) %data, i32 %other
  %r = load i32, ptr addrspace(3) %pr
  %oi = mul i32 %i, 32
  %oi2 = add i32 %oi, %lane
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %oi2
  store i32 %r, ptr addrspace(1) %po
  {asm("mbarrier.arrive.shared::cta.b64 _, [$0];", "r", "ptr addrspace(3) %empty")}
  br label %latch
latch:
  %next = add i32 %i, 1
  %more = icmp ult i32 %next, 4
  br i1 %more, label %loop, label %exit
exit:
  ret void
}}
"""
    out = tensor(np.zeros(128, np.uint32))
    launch(ir, [("Q", out)], num_warps=2)
    i, lane = np.divmod(np.arange(128), 32)
    np.testing.assert_array_equal(out.numpy(), i * 100 + 31 - lane)
    assert kite.sim.statistics(DEVICE)["mbarriers"] > 0


def test_mbarrier_states_parities_and_transaction_counts():
    """One thread walks a barrier of count 2 through the ISA's rules: an
    arrive's state names its phase (test_wait on it turns true when that
    phase completes), pending_count reads the arrivals left, and a phase
    with its arrivals done still waits for its tx-count to reach 0, even
    when complete_tx came first and made it negative."""
    test = lambda r, operand: asm("mbarrier.test_wait.parity.shared::cta.b64 $0, [$1], $2;",
                                  "=b,r,r", "ptr addrspace(3) %bar", operand, result="i1")
    lines = [
        asm("mbarrier.init.shared::cta.b64 [$0], 2;", "r", "ptr addrspace(3) %bar"),
        "%s1 = " + asm("mbarrier.arrive.shared::cta.b64 $0, [$1];", "=l,r",
                       "ptr addrspace(3) %bar", result="i64"),
        "%r0 = " + asm("mbarrier.pending_count.b64 $0, $1;", "=r,l", "i64 %s1", result="i32"),
        "%t1 = " + asm("mbarrier.test_wait.shared::cta.b64 $0, [$1], $2;", "=b,r,l",
                       "ptr addrspace(3) %bar", "i64 %s1", result="i1"),
        "%r1 = zext i1 %t1 to i32",
        "%s2 = " + asm("mbarrier.arrive.shared::cta.b64 $0, [$1];", "=l,r",
                       "ptr addrspace(3) %bar", result="i64"),
        "%t2 = " + asm("mbarrier.test_wait.shared::cta.b64 $0, [$1], $2;", "=b,r,l",
                       "ptr addrspace(3) %bar", "i64 %s1", result="i1"),
        "%r2 = zext i1 %t2 to i32",
        "%t3 = " + test(3, "i32 0"), "%r3 = zext i1 %t3 to i32",
        "%t4 = " + test(4, "i32 1"), "%r4 = zext i1 %t4 to i32",
        # Phase 1: one arrival with 16 transaction bytes expected, one plain.
        asm("mbarrier.arrive.expect_tx.shared::cta.b64 _, [$0], 16;", "r",
            "ptr addrspace(3) %bar"),
        asm("mbarrier.arrive.shared::cta.b64 _, [$0];", "r", "ptr addrspace(3) %bar"),
        "%t5 = " + test(5, "i32 1"), "%r5 = zext i1 %t5 to i32",
        asm("mbarrier.complete_tx.shared::cta.b64 [$0], 8;", "r", "ptr addrspace(3) %bar"),
        "%t6 = " + test(6, "i32 1"), "%r6 = zext i1 %t6 to i32",
        asm("mbarrier.complete_tx.shared::cta.b64 [$0], 8;", "r", "ptr addrspace(3) %bar"),
        "%t7 = " + test(7, "i32 1"), "%r7 = zext i1 %t7 to i32",
        # Phase 2: the transactions complete before they are expected.
        asm("mbarrier.complete_tx.shared::cta.b64 [$0], 4;", "r", "ptr addrspace(3) %bar"),
        asm("mbarrier.arrive.shared::cta.b64 _, [$0], 2;", "r", "ptr addrspace(3) %bar"),
        "%t8 = " + test(8, "i32 0"), "%r8 = zext i1 %t8 to i32",
        asm("mbarrier.expect_tx.shared::cta.b64 [$0], 4;", "r", "ptr addrspace(3) %bar"),
        "%t9 = " + test(9, "i32 0"), "%r9 = zext i1 %t9 to i32",
    ]
    out = tensor(np.zeros(10, np.uint32))
    launch(single_thread_kernel(lines, 10), [("Q", out)])
    np.testing.assert_array_equal(out.numpy(), [1, 0, 1, 1, 0, 0, 0, 1, 0, 1])


def test_mbarrier_intrinsics():
    """LLVM's mbarrier intrinsics, the older (.shared) and the scoped forms,
    reach the same semantics."""
    ir = """
declare void @llvm.nvvm.mbarrier.init.shared(ptr addrspace(3), i32)
declare i64 @llvm.nvvm.mbarrier.arrive.shared(ptr addrspace(3))
declare i64 @llvm.nvvm.mbarrier.arrive.noComplete.shared(ptr addrspace(3), i32)
declare i1 @llvm.nvvm.mbarrier.test.wait.shared(ptr addrspace(3), i64)
declare i32 @llvm.nvvm.mbarrier.pending.count(i64)
declare i64 @llvm.nvvm.mbarrier.arrive.expect.tx.scope.cta.space.cta(ptr addrspace(3), i32)
declare void @llvm.nvvm.mbarrier.complete.tx.scope.cta.space.cta(ptr addrspace(3), i32)
declare i1 @llvm.nvvm.mbarrier.try.wait.parity.scope.cta.space.cta(ptr addrspace(3), i32)
declare void @llvm.nvvm.mbarrier.inval.shared(ptr addrspace(3))
define ptx_kernel void @k(ptr addrspace(1) %out) {
  %bar = getelementptr i8, ptr addrspace(3) @s, i32 0
  call void @llvm.nvvm.mbarrier.init.shared(ptr addrspace(3) %bar, i32 3)
  %s1 = call i64 @llvm.nvvm.mbarrier.arrive.noComplete.shared(ptr addrspace(3) %bar, i32 2)
  %c1 = call i32 @llvm.nvvm.mbarrier.pending.count(i64 %s1)
  %w1 = call i1 @llvm.nvvm.mbarrier.test.wait.shared(ptr addrspace(3) %bar, i64 %s1)
  %s2 = call i64 @llvm.nvvm.mbarrier.arrive.shared(ptr addrspace(3) %bar)
  %w2 = call i1 @llvm.nvvm.mbarrier.test.wait.shared(ptr addrspace(3) %bar, i64 %s1)
  %s3 = call i64 @llvm.nvvm.mbarrier.arrive.expect.tx.scope.cta.space.cta(ptr addrspace(3) %bar, i32 32)
  %s4 = call i64 @llvm.nvvm.mbarrier.arrive.noComplete.shared(ptr addrspace(3) %bar, i32 2)
  call void @llvm.nvvm.mbarrier.complete.tx.scope.cta.space.cta(ptr addrspace(3) %bar, i32 32)
  %w3 = call i1 @llvm.nvvm.mbarrier.try.wait.parity.scope.cta.space.cta(ptr addrspace(3) %bar, i32 1)
  call void @llvm.nvvm.mbarrier.inval.shared(ptr addrspace(3) %bar)
  %v1 = zext i1 %w1 to i32
  %v2 = zext i1 %w2 to i32
  %v3 = zext i1 %w3 to i32
  %p1 = getelementptr i32, ptr addrspace(1) %out, i32 1
  %p2 = getelementptr i32, ptr addrspace(1) %out, i32 2
  %p3 = getelementptr i32, ptr addrspace(1) %out, i32 3
  store i32 %c1, ptr addrspace(1) %out
  store i32 %v1, ptr addrspace(1) %p1
  store i32 %v2, ptr addrspace(1) %p2
  store i32 %v3, ptr addrspace(1) %p3
  ret void
}
"""
    out = tensor(np.zeros(4, np.uint32))
    launch(ir, [("Q", out)])
    np.testing.assert_array_equal(out.numpy(), [1, 0, 1, 1])


def deadlock_kernel(lines):
    return single_thread_kernel(
        [asm("mbarrier.init.shared::cta.b64 [$0], 2;", "r", "ptr addrspace(3) %bar")] + lines
        + [f"call void asm sideeffect {WAIT}(ptr addrspace(3) %bar, i32 0)"], 0)


def test_waiting_for_a_phase_that_never_completes_is_a_deadlock():
    ir = deadlock_kernel([asm("mbarrier.arrive.shared::cta.b64 _, [$0];", "r",
                              "ptr addrspace(3) %bar")])
    with pytest.raises(_C.DeviceError, match=(
            r"kernel 'k' deadlocked: no thread can go on \(block \(0, 0, 0\): 0 threads at a "
            r"barrier, 0 in a warp-synchronous instruction, 1 waiting on an mbarrier \(shared "
            r"offset 0x0, for the phase of parity 0, which still waits for 1 of 2 arrivals and "
            r"a tx-count of 0 bytes\), 31 exited\)")):
        launch(ir, [("Q", tensor(np.zeros(1, np.uint32)))])


def test_transactions_that_never_arrive_are_a_deadlock():
    ir = deadlock_kernel([asm("mbarrier.arrive.expect_tx.shared::cta.b64 _, [$0], 4096;", "r",
                              "ptr addrspace(3) %bar"),
                          asm("mbarrier.arrive.shared::cta.b64 _, [$0];", "r",
                              "ptr addrspace(3) %bar")])
    with pytest.raises(_C.DeviceError, match=r"still waits for 0 of 2 arrivals and a tx-count "
                                             r"of 4096 bytes"):
        launch(ir, [("Q", tensor(np.zeros(1, np.uint32)))])


@pytest.mark.parametrize("case", ["uninitialised", "too_many_arrivals", "not_shared",
                                  "no_complete", "bad_count", "invalidated"])
def test_what_the_isa_leaves_undefined_is_an_error(case):
    init = asm("mbarrier.init.shared::cta.b64 [$0], 1;", "r", "ptr addrspace(3) %bar")
    arrive = asm("mbarrier.arrive.shared::cta.b64 _, [$0];", "r", "ptr addrspace(3) %bar")
    lines, message = {
        "uninitialised": ([arrive], r"mbarrier.arrive: the mbarrier at shared offset 0x0 is "
                                    r"not initialised"),
        "too_many_arrivals": ([init, asm("mbarrier.arrive.shared::cta.b64 _, [$0], 2;", "r",
                                         "ptr addrspace(3) %bar")],
                              r"2 arrival\(s\) on the mbarrier at shared offset 0x0, whose "
                              r"current phase has only 1 pending"),
        "not_shared": ([asm("mbarrier.init.b64 [$0], 1;", "l", "ptr addrspace(1) %out")],
                       r"mbarrier.init: the address 0x[0-9a-f]+ is not in the block's shared "
                       r"memory"),
        "no_complete": ([init, asm("mbarrier.arrive.noComplete.shared::cta.b64 _, [$0], 1;",
                                   "r", "ptr addrspace(3) %bar")],
                        r"noComplete completes the current phase"),
        "bad_count": ([asm("mbarrier.init.shared::cta.b64 [$0], 0;", "r",
                           "ptr addrspace(3) %bar")], r"the count 0 of the mbarrier at shared "
                                                      r"offset 0x0 is outside 1 to 2\^20 - 1"),
        "invalidated": ([init, asm("mbarrier.inval.shared::cta.b64 [$0];", "r",
                                   "ptr addrspace(3) %bar"), arrive], r"is not initialised"),
    }[case]
    with pytest.raises(_C.DeviceError, match=message):
        launch(single_thread_kernel(lines, 0), [("Q", tensor(np.zeros(1, np.uint32)))])


def test_sm90_instructions_are_errors_on_sm80():
    ir = single_thread_kernel([
        asm("mbarrier.init.shared::cta.b64 [$0], 1;", "r", "ptr addrspace(3) %bar"),
        f"call void asm sideeffect {WAIT}(ptr addrspace(3) %bar, i32 0)"], 0)
    with pytest.raises(_C.DeviceError, match=r"the simulator does not implement "
                                             r"`mbarrier.try_wait.parity.shared::cta.b64 "
                                             r"complete, \[\$0\], \$1` \(mbarrier needs sm_90 "
                                             r"or later, not sm_80\)"):
        launch(ir, [("Q", tensor(np.zeros(1, np.uint32), "cuda-sim:sm_80"))],
               device="cuda-sim:sm_80")


# --- elect.sync and branches in inline PTX ----------------------------------------

def test_elect_sync_elects_the_lowest_lane_of_the_membermask():
    """Every lane of warp 0 elects with a full membermask (inline PTX), lanes
    4 to 31 of warp 1 with theirs (LLVM's intrinsic); each stores the
    leader's lane and whether it is the leader."""
    ir = f"""
declare {{i32, i1}} @llvm.nvvm.elect.sync(i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %lane = and i32 %tid, 31
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  %w0 = icmp ult i32 %tid, 32
  br i1 %w0, label %a, label %b
a:
  %e = {asm("elect.sync $0|$1, $2;", "=r,=b,r", "i32 -1", result="{i32, i1}")}
  %l = extractvalue {{i32, i1}} %e, 0
  %p = extractvalue {{i32, i1}} %e, 1
  br label %done
b:
  %high = icmp uge i32 %lane, 4
  br i1 %high, label %c, label %skip
c:
  %f = call {{i32, i1}} @llvm.nvvm.elect.sync(i32 -16)
  %l2 = extractvalue {{i32, i1}} %f, 0
  %p2 = extractvalue {{i32, i1}} %f, 1
  br label %done
skip:
  store i32 99, ptr addrspace(1) %po
  ret void
done:
  %leader = phi i32 [%l, %a], [%l2, %c]
  %is = phi i1 [%p, %a], [%p2, %c]
  %isi = zext i1 %is to i32
  %v = mul i32 %leader, 2
  %v2 = add i32 %v, %isi
  store i32 %v2, ptr addrspace(1) %po
  ret void
}}
"""
    out = tensor(np.zeros(64, np.uint32))
    launch(ir, [("Q", out)], num_warps=2)
    expected = np.array([1] + [0] * 31 + [99] * 4 + [9] + [8] * 27)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_a_loop_inside_inline_ptx():
    lines = ["%r0 = " + asm("{ .reg .pred p; .reg .u32 i; mov.u32 i, 0; mov.u32 $0, 0; "
                            "again: add.u32 $0, $0, i; add.u32 i, i, 1; "
                            "setp.lt.u32 p, i, $1; @p bra.uni again; }",
                            "=r,r", "i32 5000", result="i32")]
    out = tensor(np.zeros(1, np.uint32))
    launch(single_thread_kernel(lines, 1), [("Q", out)])
    assert out.numpy()[0] == sum(range(5000))


def test_a_branch_to_a_missing_label_names_it():
    lines = [asm("bra.uni nowhere;", "")]
    with pytest.raises(_C.DeviceError, match=r"the simulator does not implement `bra.uni "
                                             r"nowhere` \(no label `nowhere` in the asm "
                                             r"statement\)"):
        launch(single_thread_kernel(lines, 0), [("Q", tensor(np.zeros(1, np.uint32)))])


# --- wgmma --------------------------------------------------------------------------
#
# Each test lays A (64 x K) and B (K x N) into a shared-memory image by the
# PTX ISA's canonical layouts (the CuTe layouts of "Shared Memory Matrix
# Layout", evaluated here mode by mode), the kernel copies the image to
# shared memory, builds the descriptors' addresses, runs one wgmma and stores
# each thread's accumulator registers, which go back through the ISA's
# fragment layout to be compared with numpy's A @ B + C.

from test_cuda_sim_isa_tensor import bf16_bits, f16_bits, fp8_bits  # noqa: E402

SWIZZLE_MODE = {0: 0, 128: 1, 64: 2, 32: 3}  # bytes -> the descriptor's bits 62-63


def cute(coordinate, shape, stride):
    """A CuTe layout of one flat mode: the coordinate's colexicographic
    decomposition over `shape`, dotted with `stride`."""
    offset = 0
    for size, step in zip(shape, stride):
        offset += (coordinate % size) * step
        coordinate //= size
    return offset


def canonical(major, swizzle, eb, lbo, sbo):
    """The byte offset (before the swizzle) of element (mn, k) in the ISA's
    canonical layout for `major` ("K" or "MN") and `swizzle` (bytes, 0 for
    none); LBO and SBO in bytes, the layouts' other strides in elements."""
    t, big = 16 // eb, 1 << 20
    x = swizzle // 16
    lb, sb = lbo // eb, sbo // eb
    if major == "K" and not swizzle:      # ((8,m),(T,2k)):((1T,SBO),(1,LBO))
        modes = ((8, big), (t, sb)), ((t, big), (1, lb))
    elif major == "K":                    # ((8,m),(T,2k)):((xT,SBO),(1,T))
        modes = ((8, big), (x * t, sb)), ((t, big), (1, t))
    elif not swizzle:                     # ((T,1,m),(8,k)):((1,T,SBO),(1T,LBO))
        modes = ((t, 1, big), (1, t, sb)), ((8, big), (t, lb))
    else:                                 # ((T,x,m),(8,k)):((1,T,LBO),(xT,SBO))
        modes = ((t, x, big), (1, t, lb)), ((8, big), (x * t, sb))
    (ms, md), (ks, kd) = modes
    return lambda mn, k: (cute(mn, ms, md) + cute(k, ks, kd)) * eb


def swizzled(address, swizzle):
    """Swizzle<B,4,3> on a byte address: bits 4.. XOR bits 7.. (B bits)."""
    bits = {0: 0, 32: 1, 64: 2, 128: 3}[swizzle]
    return address ^ (((address >> 7) & ((1 << bits) - 1)) << 4)


def lay_out(image, taken, bits, start, major, swizzle, eb, lbo, sbo):
    """Writes `bits` ([mn][k] element encodings) into `image` at `start`."""
    place = canonical(major, swizzle, eb, lbo, sbo)
    for (mn, k), value in np.ndenumerate(bits):
        address = swizzled(start + place(mn, k), swizzle)
        assert not taken[address:address + eb].any(), "the test's layout overlaps itself"
        taken[address:address + eb] = True
        image[address:address + eb] = np.frombuffer(int(value).to_bytes(eb, "little"), np.uint8)


def descriptor(offset, lbo, sbo, swizzle, base_offset=0):
    """The 64-bit matrix descriptor, its address field relative to the
    operand's start (`offset`) and completed by the kernel."""
    return ((offset >> 4) & 0x3FFF) | (lbo >> 4) << 16 | (sbo >> 4) << 32 | \
        base_offset << 49 | SWIZZLE_MODE[swizzle] << 62


def d_coordinates(thread, element):
    """The ISA's accumulator layout of wgmma .m64nNk*: thread `thread` of the
    warpgroup holds in its element `element` this row and column of D."""
    warp, lane = divmod(thread, 32)
    g, t = lane >> 2, lane & 3
    return 16 * warp + g + 8 * ((element >> 1) & 1), 8 * (element >> 2) + 2 * t + (element & 1)


def a_register_coordinates(thread, register, j, k, eb):
    """A in registers (four .b32 per thread, 4 / eb elements each, the
    first in the low bits): mma.sync's A fragment of the warp's 16 rows,
    element j of register `register` at this row and column."""
    warp, lane = divmod(thread, 32)
    g, t = lane >> 2, lane & 3
    per_register = 4 // eb
    return (16 * warp + g + 8 * (register % 2),
            (register // 2) * (k // 2) + t * per_register + j)


TYPES = {  # PTX type: (element bytes, K of one wgmma, encoder)
    "f16": (2, 16, f16_bits), "bf16": (2, 16, bf16_bits),
    "tf32": (4, 8, lambda x: x.astype(np.float32).view(np.uint32)),
    "e4m3": (1, 32, lambda x: fp8_bits(x, 4)), "e5m2": (1, 32, lambda x: fp8_bits(x, 5)),
    "s8": (1, 32, lambda x: x.astype(np.int8).view(np.uint8)),
    "u8": (1, 32, lambda x: x.astype(np.uint8)),
}


def operand_values(rng, ptx_type, shape):
    if ptx_type == "s8":
        return rng.integers(-128, 128, shape)
    if ptx_type == "u8":
        return rng.integers(0, 256, shape)
    if ptx_type in ("e4m3", "e5m2"):
        return rng.choice([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -3, 0.75], shape)
    return rng.integers(-3, 4, shape).astype(np.float64)


def wgmma_kernel(instruction, nd, acc, a_in_registers, immediates, poke=None):
    """128 threads: copy the image to shared memory, complete the
    descriptors' addresses, load C (or A's registers), run `instruction`
    as Triton writes it (accumulators tied in and out, then the descriptors
    and scale-d) and store the nd result registers of each thread.
    `poke` (a shared-memory offset and a byte): every thread stores the
    byte there after the commit and before the wait."""
    poke_text = "" if poke is None else f"""
  %pp = getelementptr i8, ptr addrspace(3) @s, i32 {poke[0]}
  store i8 {poke[1]}, ptr addrspace(3) %pp"""
    ty, con = ("float", "f") if acc == "f32" else ("i32", "r")
    c_loads = "\n  ".join(f"%c{i}p = getelementptr {ty}, ptr addrspace(1) %cb, i32 {i}\n"
                          f"  %c{i} = load {ty}, ptr addrspace(1) %c{i}p" for i in range(nd))
    a_loads = "\n  ".join(f"%a{i}p = getelementptr i32, ptr addrspace(1) %ab, i32 {i}\n"
                          f"  %a{i} = load i32, ptr addrspace(1) %a{i}p" for i in range(4))
    regs = ", ".join(f"${i}" for i in range(nd))
    n = 2 * nd
    if a_in_registers:
        a_text, a_con, a_ops = "{" + ", ".join(f"${n + i}" for i in range(4)) + "}", "r,r,r,r,", \
            "".join(f"i32 %a{i}, " for i in range(4))
        n += 4
        b_text = f"${n}, ${n + 1}"
    else:
        a_text, a_con, a_ops = f"${n}", "l,", "i64 %desca, "
        b_text = f"${n + 1}, ${n + 2}"
    text = f"{instruction} {{{regs}}}, {a_text}, {b_text}{immediates};"
    constraints = ",".join([f"={con}"] * nd + [str(i) for i in range(nd)]) + "," + a_con + "l,b"
    results = "{" + ", ".join([ty] * nd) + "}"
    operands = ", ".join(f"{ty} %c{i}" for i in range(nd)) + ", " + a_ops + \
        "i64 %descb, i1 %scaled"
    stores = "\n  ".join(f"%d{i} = extractvalue {results} %d, {i}\n"
                         f"  %o{i} = getelementptr {ty}, ptr addrspace(1) %ob, i32 {i}\n"
                         f"  store {ty} %d{i}, ptr addrspace(1) %o{i}" for i in range(nd))
    return f"""
declare void @llvm.nvvm.fence.proxy.async.shared_cta()
define ptx_kernel void @k(ptr addrspace(1) %img, i32 %bytes, i64 %da, i32 %oa, i64 %db, i32 %ob_,
                          ptr addrspace(1) %c, ptr addrspace(1) %a, ptr addrspace(1) %out,
                          i32 %scale) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %copy
copy:
  %i = phi i32 [%tid, %entry], [%inext, %copy]
  %src = getelementptr i8, ptr addrspace(1) %img, i32 %i
  %byte = load i8, ptr addrspace(1) %src
  %dst = getelementptr i8, ptr addrspace(3) @s, i32 %i
  store i8 %byte, ptr addrspace(3) %dst
  %inext = add i32 %i, 128
  %more = icmp ult i32 %inext, %bytes
  br i1 %more, label %copy, label %mma
mma:
  call void @llvm.nvvm.barrier0()
  call void @llvm.nvvm.fence.proxy.async.shared_cta()
  %base = ptrtoint ptr addrspace(3) @s to i64
  %oa64 = zext i32 %oa to i64
  %sa = add i64 %base, %oa64
  %sa4 = lshr i64 %sa, 4
  %sa14 = and i64 %sa4, 16383
  %desca = add i64 %da, %sa14
  %ob64 = zext i32 %ob_ to i64
  %sb = add i64 %base, %ob64
  %sb4 = lshr i64 %sb, 4
  %sb14 = and i64 %sb4, 16383
  %descb = add i64 %db, %sb14
  %scaled = icmp ne i32 %scale, 0
  %cbase = mul i32 %tid, {nd}
  %cb = getelementptr {ty}, ptr addrspace(1) %c, i32 %cbase
  %abase = mul i32 %tid, 4
  %ab = getelementptr i32, ptr addrspace(1) %a, i32 %abase
  %ob = getelementptr {ty}, ptr addrspace(1) %out, i32 %cbase
  {c_loads}
  {a_loads}
  call void asm sideeffect "wgmma.fence.sync.aligned;", ""()
  %d = call {results} asm sideeffect "{text}", "{constraints}"({operands})
  call void asm sideeffect "wgmma.commit_group.sync.aligned;", ""()
  {poke_text}
  call void asm sideeffect "wgmma.wait_group.sync.aligned 0;", ""()
  {stores}
  ret void
}}
"""


def run_wgmma(a_type, b_type, acc, n, a_layout, b_layout, *, k_slice=0, scale_d=True,
              scale_a=1, seed=0, base_offset=0, num_warps=4, device=DEVICE, poke=None):
    """One wgmma.m64nNkK: `a_layout` ("regs" or (major, swizzle, lbo, sbo,
    K extent of the tile)), `b_layout` likewise; the instruction reads the
    `k_slice`-th K of the tiles. Returns (D, expected)."""
    eb, k, encode = TYPES[a_type]
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, 1 << 16).astype(np.uint8)  # garbage where nothing is laid
    taken = np.zeros(image.size, bool)
    offsets, descriptors, tiles = [], [], []
    start = 0
    for name, ptx_type, rows, layout in (("A", a_type, 64, a_layout), ("B", b_type, n, b_layout)):
        if layout == "regs":
            tile = operand_values(rng, ptx_type, (rows, k))
            offsets.append(0)
            descriptors.append(0)
            tiles.append(tile)
            continue
        major, swizzle, lbo, sbo, extent = layout
        tile = operand_values(rng, ptx_type, (rows, extent))
        lay_out(image, taken, TYPES[ptx_type][2](tile), start, major, swizzle, eb, lbo, sbo)
        # The slice's start: the layout's (unswizzled) offset of (0, k * k_slice).
        offset = start + canonical(major, swizzle, eb, lbo, sbo)(0, k * k_slice)
        offsets.append(offset)
        descriptors.append(descriptor(0, lbo, sbo, swizzle, base_offset if name == "B" else 0))
        tiles.append(tile[:, k * k_slice:k * (k_slice + 1)])
        start = (int(np.nonzero(taken)[0].max()) + 1024) // 1024 * 1024
    a, b = tiles
    integer = acc == "s32"
    c = rng.integers(-8, 9, (64, n)).astype(np.float64)
    nd = n // 4 if acc == "f16" else n // 2
    # Per thread: its C registers (and A's when in registers), by the layouts.
    c_regs = np.zeros((128, nd), np.uint32)
    for thread in range(128):
        for e in range(n // 2):
            r, col = d_coordinates(thread, e)
            if acc == "f16":
                c_regs[thread, e // 2] |= int(f16_bits(c[r, col])) << (16 * (e % 2))
            elif integer:
                c_regs[thread, e] = np.int32(c[r, col]).view(np.uint32)
            else:
                c_regs[thread, e] = np.float32(c[r, col]).view(np.uint32)
    a_regs = np.zeros((128, 4), np.uint32)
    if a_layout == "regs":
        for thread in range(128):
            for register in range(4):
                for j in range(4 // eb):
                    r, col = a_register_coordinates(thread, register, j, k, eb)
                    a_regs[thread, register] |= int(encode(np.array(a[r, col]))) << (8 * eb * j)
    immediates = ""
    if not integer:  # imm-scale-a, imm-scale-b{, imm-trans-a}, imm-trans-b
        immediates = f", {scale_a}, 1"
        if eb == 2 and a_layout != "regs":
            immediates += f", {int(a_layout[0] == 'MN')}"
        if eb == 2:
            immediates += f", {int(b_layout[0] == 'MN')}"
    instruction = f"wgmma.mma_async.sync.aligned.m64n{n}k{k}.{acc}.{a_type}.{b_type}"
    out = tensor(np.zeros((128, nd), np.uint32), device)
    used = int(np.nonzero(taken)[0].max()) + 16 if taken.any() else 16
    poked = None
    if poke is not None:  # a byte that differs from what is there
        offset = poke(offsets, taken)
        poked = (offset, int(image[offset] ^ 1))
    kite.sim.launch_llvm_ir(
        HEADER + wgmma_kernel(instruction, nd, acc, a_layout == "regs", immediates,
                              poked),
        "k", (1,),
        num_warps,
        [("Q", tensor(image, device)), ("I", used), ("Q", descriptors[0]), ("I", offsets[0]),
         ("Q", descriptors[1]), ("I", offsets[1]), ("Q", tensor(c_regs, device)),
         ("Q", tensor(a_regs, device)), ("Q", out), ("I", int(scale_d))],
        shared=max(used, 1024), device=device)
    regs = out.numpy()
    d = np.zeros((64, n))
    for thread in range(128):
        for e in range(n // 2):
            r, col = d_coordinates(thread, e)
            word = int(regs[thread, e // 2 if acc == "f16" else e])
            if acc == "f16":
                d[r, col] = np.uint16((word >> (16 * (e % 2))) & 0xFFFF).view(np.float16)
            elif integer:
                d[r, col] = np.uint32(word).view(np.int32)
            else:
                d[r, col] = np.uint32(word).view(np.float32)
    expected = scale_a * a.astype(np.float64) @ b.astype(np.float64).T + (c if scale_d else 0)
    return d, expected


# name: A type, B type, accumulator, N, A layout, B layout, options. A layout
# (major, swizzle bytes, LBO, SBO, the tile's K extent); B's rows are N.
WGMMA = {
    # Triton's tutorial matmul: A K-major 128B, B N-major 128B, the second K slice.
    "f16_Ksw128_MNsw128": ("f16", "f16", "f32", 128, ("K", 128, 16, 1024, 64),
                           ("MN", 128, 8192, 1024, 32), {"k_slice": 1}),
    "f16_Knone_Knone": ("f16", "f16", "f32", 32, ("K", 0, 2048, 256, 16),
                        ("K", 0, 1024, 128, 16), {}),
    "f16_Ksw32_Ksw64": ("f16", "f16", "f32", 16, ("K", 32, 16, 256, 16),
                        ("K", 64, 16, 512, 32), {}),
    "f16_MNnone_MNsw32": ("f16", "f16", "f32", 32, ("MN", 0, 128, 256, 16),
                          ("MN", 32, 512, 256, 16), {}),
    "f16_MNsw64_MNnone": ("f16", "f16", "f32", 16, ("MN", 64, 4096, 512, 16),
                          ("MN", 0, 384, 128, 16), {}),
    "bf16_scale_d0_negated_a": ("bf16", "bf16", "f32", 64, ("K", 128, 16, 1024, 64),
                                ("MN", 64, 2048, 512, 32),
                                {"scale_d": False, "scale_a": -1, "k_slice": 1}),
    "f16_acc_f16": ("f16", "f16", "f16", 32, ("K", 64, 16, 512, 32), ("K", 128, 16, 1024, 64),
                    {}),
    "f16_a_in_registers": ("f16", "f16", "f32", 64, "regs", ("MN", 128, 8192, 1024, 16), {}),
    "tf32_a_in_registers": ("tf32", "tf32", "f32", 32, "regs", ("K", 128, 16, 1024, 32), {}),
    "e4m3_a_in_registers": ("e4m3", "e4m3", "f32", 16, "regs", ("K", 64, 16, 512, 64),
                            {"k_slice": 1}),
    "s8_a_in_registers": ("s8", "s8", "s32", 8, "regs", ("K", 32, 16, 256, 32), {}),
    "tf32": ("tf32", "tf32", "f32", 16, ("K", 128, 16, 1024, 32), ("K", 32, 16, 256, 8), {}),
    "e4m3_e5m2": ("e4m3", "e5m2", "f32", 24, ("K", 64, 16, 512, 64), ("K", 0, 384, 128, 64),
                  {"k_slice": 1}),
    "s8_u8": ("s8", "u8", "s32", 16, ("K", 32, 16, 256, 32), ("K", 128, 16, 1024, 128), {}),
}


@pytest.mark.parametrize("name", list(WGMMA))
def test_wgmma_with_the_isa_descriptors_and_layouts(name):
    a_type, b_type, acc, n, a_layout, b_layout, options = WGMMA[name]
    d, expected = run_wgmma(a_type, b_type, acc, n, a_layout, b_layout, **options)
    np.testing.assert_array_equal(d, expected)
    stats = kite.sim.statistics(DEVICE)
    assert stats["wgmma"] == 128
    k = TYPES[a_type][1]
    assert stats["int_ops" if acc == "s32" else "float_ops"] >= 2 * 64 * n * k


@pytest.mark.parametrize("where", ["A", "B", "elsewhere"])
def test_a_write_to_what_a_pending_wgmma_reads_is_an_error(where):
    """The hardware may read A and B until wgmma.wait_group retires the
    group, so a write to them before the wait (a pipeline slot refilled too
    early) is a race: cuda-sim checks at the wait that what each wgmma read
    is unchanged and reports the write. A write to bytes no wgmma reads is
    fine."""
    def poke(offsets, taken):
        if where == "A":
            return offsets[0]
        if where == "B":
            return offsets[1]
        return int(np.nonzero(~taken)[0][0])  # before A: nothing laid there

    a_type, b_type, acc, n, a_layout, b_layout, options = WGMMA["f16_Ksw128_MNsw128"]
    if where == "elsewhere":
        d, expected = run_wgmma(a_type, b_type, acc, n, a_layout, b_layout, poke=poke,
                                **options)
        np.testing.assert_array_equal(d, expected)
        return
    with pytest.raises(kite._C.DeviceError,
                       match=rf"wgmma.mma_async: shared memory that warpgroup 0's wgmma reads "
                             rf"through the descriptor of {where} \(0x[0-9a-f]+\) was written "
                             rf"before wgmma.wait_group retired its group"):
        run_wgmma(a_type, b_type, acc, n, a_layout, b_layout, poke=poke, **options)


def small_wgmma(desc_a, desc_b, *, leave=False, per_thread=False):
    """A wgmma.m64n8k16 with the given descriptors (their addresses as
    given); `leave`: warp 3 exits first; `per_thread`: A's descriptor
    differs by thread."""
    return f"""
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %gone = icmp uge i32 %tid, {96 if leave else 1024}
  br i1 %gone, label %exit, label %mma
mma:
  %t64 = zext i32 %tid to i64
  %da = add i64 {desc_a}, {"%t64" if per_thread else 0}
  %d = call {{float, float, float, float}} asm sideeffect "wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16 {{$0, $1, $2, $3}}, $4, $5, 0, 1, 1, 0, 0;", "=f,=f,=f,=f,l,l"(i64 %da, i64 {desc_b})
  %d0 = extractvalue {{float, float, float, float}} %d, 0
  %po = getelementptr float, ptr addrspace(1) %out, i32 %tid
  store float %d0, ptr addrspace(1) %po
  br label %exit
exit:
  ret void
}}
"""


@pytest.mark.parametrize("case", ["past_shared_memory", "base_offset", "not_a_warpgroup",
                                  "warp_exited", "different_descriptors", "sm80"])
def test_wgmma_errors(case):
    out = tensor(np.zeros(128, np.float32))
    num_warps, device = 4, DEVICE
    if case == "past_shared_memory":
        ir, message = small_wgmma(0x3FF0, 0), (r"wgmma.mma_async: the descriptor of A "
                                               r"\(0x3ff0, K-major\) puts element \(0, 0\) at "
                                               r"shared offset 0x3ff00, past the block's 1024 "
                                               r"bytes of shared memory")
    elif case == "base_offset":
        ir, message = small_wgmma(0, 1 << 49), (r"the descriptor of B \(0x2000000000000\) has a "
                                                r"matrix base offset of 1; the simulator "
                                                r"implements only 0")
    elif case == "not_a_warpgroup":
        ir, num_warps = small_wgmma(0, 0), 2
        message = (r"wgmma.mma_async is a warpgroup instruction, but thread \(\d+, 0, 0\) is in "
                   r"warpgroup 0, of which the block \(64 threads\) has only 64 threads")
    elif case == "warp_exited":
        ir, message = small_wgmma(0, 0, leave=True), (
            r"threads of warpgroup 0 wait in wgmma.mma_async, which thread \(\d+, 0, 0\) of the "
            r"warpgroup never reaches: it has exited")
    elif case == "different_descriptors":
        ir, message = small_wgmma(0, 0, per_thread=True), (
            r"the threads of warpgroup 0 give different descriptors or scale-d")
    else:
        ir, device = small_wgmma(0, 0), "cuda-sim:sm_80"
        out = tensor(np.zeros(128, np.float32), device)
        message = r"\(wgmma needs sm_90 or later, not sm_80\)"
    with pytest.raises(_C.DeviceError, match=message):
        launch(ir, [("Q", out)], num_warps=num_warps, device=device)


# --- cp.async.bulk and tensor maps (TMA) ---------------------------------------------
#
# The box lands in shared memory densely, innermost dimension first, its
# 16-byte chunks permuted by the swizzle of the shared address; elements
# outside the tensor read as zeros and are not written by stores.

COPY_LOOP = """
  br label %copy
copy:
  %i = phi i32 [%tid, %entry], [%inext, %copy]
  %from = getelementptr i8, {src}, i32 %i
  %byte = load i8, {src_ty} %from
  %to = getelementptr i8, {dst}, i32 %i
  store i8 %byte, {dst_ty} %to
  %inext = add i32 %i, 32
  %more = icmp ult i32 %inext, %bytes
  br i1 %more, label %copy, label %copied
copied:"""


def copy_loop(src, dst):
    """Every thread copies bytes tid, tid + 32, ... below %bytes."""
    def space(p):
        return "ptr addrspace(3)" if "@s" in p or p.startswith("%box") else "ptr addrspace(1)"
    return COPY_LOOP.format(src=f"{space(src)} {src}", src_ty=space(src),
                            dst=f"{space(dst)} {dst}", dst_ty=space(dst))


def box_image(values, swizzle):
    """The bytes of a box in shared memory: `values` (2-D, element bits) laid
    densely, then each 16-byte chunk moved by the swizzle of its address."""
    dense = np.ascontiguousarray(values).view(np.uint8).reshape(-1)
    image = np.zeros_like(dense)
    for chunk in range(dense.size // 16):
        at = swizzled(chunk * 16, swizzle)
        image[at:at + 16] = dense[chunk * 16:chunk * 16 + 16]
    return image


def tma_load_kernel(rank_text="2d"):
    return f"""
define ptx_kernel void @k(ptr byval([128 x i8]) align 64 "nvvm.grid_constant" %map, i32 %x,
                          i32 %y, i32 %bytes, i32 %at, ptr addrspace(1) %out,
                          ptr addrspace(1) %early) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %bar = getelementptr i8, ptr addrspace(3) @s, i32 0
  %box = getelementptr i8, ptr addrspace(3) @s, i32 %at
  %is0 = icmp eq i32 %tid, 0
  br i1 %is0, label %issue, label %wait
issue:
  {asm("mbarrier.init.shared::cta.b64 [$0], 1;", "r", "ptr addrspace(3) %bar")}
  {asm("mbarrier.arrive.expect_tx.shared::cta.b64 _, [$0], $1;", "r,r",
       "ptr addrspace(3) %bar", "i32 %bytes")}
  {asm(f"cp.async.bulk.tensor.{rank_text}.shared::cta.global.mbarrier::complete_tx::bytes "
       "[$0], [$1, {$2, $3}], [$4];", "r,l,r,r,r", "ptr addrspace(3) %box", "ptr %map",
       "i32 %x", "i32 %y", "ptr addrspace(3) %bar")}
  %e = load i32, ptr addrspace(3) %box
  store i32 %e, ptr addrspace(1) %early
  br label %wait
wait:
  call void @llvm.nvvm.barrier0()
  call void asm sideeffect {WAIT}(ptr addrspace(3) %bar, i32 0)
  {copy_loop("%box", "%out").replace("%entry", "%wait")}
  ret void
}}
"""


@pytest.mark.parametrize("swizzle", [0, 32, 64, 128])
def test_tma_load_of_a_box_with_swizzle_and_out_of_bounds_zeros(swizzle):
    """A 16 x (swizzle bytes / 2) box of f16 at (x, y) = (8, 10) of a 20 x 72
    tensor: rows 20 and on are outside and read as zeros. The box's bytes
    complete on the mbarrier; a read of the destination before the wait sees
    shared memory's initial bytes (the copy is performed when a thread
    waits)."""
    rows, cols, x, y = 20, 72, 8, 10
    box_rows, box_cols = 16, (swizzle or 64) // 2
    rng = np.random.default_rng(swizzle)
    t = rng.integers(0, 1 << 16, (rows, cols)).astype(np.uint16)
    g = tensor(t)
    data = kite.sim.tensor_map(g, [rows, cols], [cols, 1], [box_rows, box_cols], 2,
                               swizzle=SWIZZLE_MODE.get(swizzle, 0) and {32: 1, 64: 2, 128: 3}[
                                   swizzle])
    nbytes = box_rows * box_cols * 2
    out = tensor(np.zeros(nbytes, np.uint8))
    early = tensor(np.zeros(1, np.uint32))
    launch(tma_load_kernel(), [("128s", data), ("i", x), ("i", y), ("i", nbytes), ("i", 1024),
                               ("Q", out), ("Q", early)], shared=1024 + nbytes)
    box = np.zeros((box_rows, box_cols), np.uint16)
    inside = t[y:y + box_rows, x:x + box_cols]
    box[:inside.shape[0], :inside.shape[1]] = inside
    np.testing.assert_array_equal(out.numpy(), box_image(box, swizzle))
    assert early.numpy()[0] == 0xFFFFFFFF
    stats = kite.sim.statistics(DEVICE)
    assert stats["bulk_copies"] == 1 and stats["bulk_copy_bytes"] == nbytes
    assert stats["global_load_bytes"] >= inside.size * 2


def test_tma_store_writes_only_the_tensors_elements():
    """The block writes a swizzled 8 x 32 f16 box to shared memory; one
    thread stores it at (x, y) = (48, 4) of a 10 x 64 tensor through a 64B
    swizzled map, commits the bulk group and waits for its reads; rows 10
    and on and columns 64 and on are outside and stay as they were."""
    rows, cols, x, y, box_rows, box_cols = 10, 64, 48, 4, 8, 32
    rng = np.random.default_rng(7)
    box = rng.integers(0, 1 << 16, (box_rows, box_cols)).astype(np.uint16)
    image = box_image(box, 64)
    g = tensor(np.full((rows, cols), 0xABCD, np.uint16))
    data = kite.sim.tensor_map(g, [rows, cols], [cols, 1], [box_rows, box_cols], 2, swizzle=2)
    ir = f"""
define ptx_kernel void @k(ptr byval([128 x i8]) align 64 "nvvm.grid_constant" %map, i32 %x,
                          i32 %y, i32 %bytes, ptr addrspace(1) %img) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %box = getelementptr i8, ptr addrspace(3) @s, i32 1024
  {copy_loop("%img", "%box")}
  call void @llvm.nvvm.barrier0()
  {asm("fence.proxy.async.shared::cta;", "")}
  %is0 = icmp eq i32 %tid, 0
  br i1 %is0, label %store, label %done
store:
  {asm("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [$0, {$1, $2}], [$3];",
       "l,r,r,r", "ptr %map", "i32 %x", "i32 %y", "ptr addrspace(3) %box")}
  {asm("cp.async.bulk.commit_group;", "")}
  {asm("cp.async.bulk.wait_group.read 0;", "")}
  br label %done
done:
  ret void
}}
"""
    launch(ir, [("128s", data), ("i", x), ("i", y), ("i", image.size), ("Q", tensor(image))],
           shared=1024 + image.size)
    expected = np.full((rows, cols), 0xABCD, np.uint16)
    expected[y:, x:] = box[:rows - y, :cols - x]
    np.testing.assert_array_equal(g.numpy(), expected)


def test_linear_bulk_copies_and_their_intrinsic_groups():
    """cp.async.bulk of 256 bytes into shared memory (completing on an
    mbarrier), then back out to another place with the bulk group's LLVM
    intrinsics."""
    ir = f"""
declare void @llvm.nvvm.cp.async.bulk.commit.group()
declare void @llvm.nvvm.cp.async.bulk.wait.group(i32)
define ptx_kernel void @k(ptr addrspace(1) %src, ptr addrspace(1) %dst) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %bar = getelementptr i8, ptr addrspace(3) @s, i32 0
  %buf = getelementptr i8, ptr addrspace(3) @s, i32 128
  %is0 = icmp eq i32 %tid, 0
  br i1 %is0, label %go, label %done
go:
  {asm("mbarrier.init.shared::cta.b64 [$0], 1;", "r", "ptr addrspace(3) %bar")}
  {asm("mbarrier.arrive.expect_tx.shared::cta.b64 _, [$0], 256;", "r",
       "ptr addrspace(3) %bar")}
  {asm("cp.async.bulk.shared::cta.global.mbarrier::complete_tx::bytes [$0], [$1], 256, [$2];",
       "r,l,r", "ptr addrspace(3) %buf", "ptr addrspace(1) %src", "ptr addrspace(3) %bar")}
  call void asm sideeffect {WAIT}(ptr addrspace(3) %bar, i32 0)
  {asm("cp.async.bulk.global.shared::cta.bulk_group [$0], [$1], 256;", "l,r",
       "ptr addrspace(1) %dst", "ptr addrspace(3) %buf")}
  call void @llvm.nvvm.cp.async.bulk.commit.group()
  call void @llvm.nvvm.cp.async.bulk.wait.group(i32 0)
  br label %done
done:
  ret void
}}
"""
    data = np.random.default_rng(8).integers(0, 256, 256).astype(np.uint8)
    out = tensor(np.zeros(256, np.uint8))
    launch(ir, [("Q", tensor(data)), ("Q", out)])
    np.testing.assert_array_equal(out.numpy(), data)


@pytest.mark.parametrize("case", ["not_a_map", "misaligned", "rank"])
def test_tma_errors(case):
    g = tensor(np.zeros((16, 64), np.uint16))
    data = kite.sim.tensor_map(g, [16, 64], [64, 1], [8, 64], 2, swizzle=3)
    at, rank, message = 1024, "2d", ""
    if case == "not_a_map":
        data = bytes(128)
        message = r"cp.async.bulk.tensor: the tensor map at 0x[0-9a-f]+ is not a tensor map of " \
                  r"cuda-sim"
    elif case == "misaligned":
        at, message = 1088, r"the shared memory address \(offset 0x440\) is not 128-byte aligned"
    else:
        rank, message = "3d", r"a 3-d copy with a tensor map of rank 2"
    ir = tma_load_kernel(rank)
    if rank == "3d":
        ir = ir.replace("{$2, $3}", "{$2, $3, $2}")
    with pytest.raises(_C.DeviceError, match=message):
        launch(ir, [("128s", data), ("i", 0), ("i", 0), ("i", 1024), ("i", at),
                    ("Q", tensor(np.zeros(1024, np.uint8))),
                    ("Q", tensor(np.zeros(1, np.uint32)))], shared=4096)


@pytest.mark.parametrize("args,message", [
    (([16, 64], [64, 1], [8, 300], 2), r"box dimensions from 1 to 256"),
    (([16, 64], [64, 1], [8, 64], 2, 2), r"exceeds the swizzle's 64"),
    (([16, 60], [60, 1], [8, 8], 2), r"a stride of 120 bytes is no multiple of 16"),
    (([16, 64], [64, 2], [8, 8], 2), r"the innermost dimension must be contiguous"),
    (([16, 64], [64, 1], [8, 4], 2), r"the box's inner dimension, 8 bytes, is no multiple of 16"),
])
def test_tensor_map_encoding_checks(args, message):
    g = tensor(np.zeros((16, 64), np.uint16))
    shape, strides, box, element_bytes, *swizzle = args
    with pytest.raises(ValueError, match=message):
        kite.sim.tensor_map(g, shape, strides, box, element_bytes,
                            swizzle=swizzle[0] if swizzle else 0)


# --- stmatrix ------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["inline_ptx", "intrinsic"])
@pytest.mark.parametrize("transposed", [False, True], ids=["rows", "trans"])
def test_stmatrix_x4_stores_the_ldmatrix_fragments(form, transposed):
    """Four 8 x 8 b16 matrices: lane l holds, in register j, elements
    (l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1) of matrix j (of its
    transpose with .trans), and lanes 8j to 8j + 7 name the rows of matrix j
    in shared memory (here row r of matrix j at byte 128 j + 16 r)."""
    rng = np.random.default_rng(int(transposed))
    matrices = rng.integers(0, 1 << 16, (4, 8, 8)).astype(np.uint16)
    regs = np.zeros((32, 4), np.uint32)
    for lane in range(32):
        row, col = lane // 4, 2 * (lane % 4)
        for j in range(4):
            m = matrices[j].T if transposed else matrices[j]
            regs[lane, j] = int(m[row, col]) | int(m[row, col + 1]) << 16
    trans = ".trans" if transposed else ""
    if form == "inline_ptx":
        store = asm(f"stmatrix.sync.aligned.m8n8.x4{trans}.shared.b16 [$0], {{$1, $2, $3, $4}};",
                    "r,r,r,r,r", "ptr addrspace(3) %row", "i32 %r0", "i32 %r1", "i32 %r2",
                    "i32 %r3")
        declare = ""
    else:
        name = f"llvm.nvvm.stmatrix.sync.aligned.m8n8.x4{trans}.b16.p3"
        store = (f"call void @{name}(ptr addrspace(3) %row, i32 %r0, i32 %r1, i32 %r2, "
                 "i32 %r3)")
        declare = f"declare void @{name}(ptr addrspace(3), i32, i32, i32, i32)"
    loads = "\n  ".join(f"%base{j} = add i32 %base, {j}\n"
                        f"  %q{j} = getelementptr i32, ptr addrspace(1) %regs, i32 %base{j}\n"
                        f"  %r{j} = load i32, ptr addrspace(1) %q{j}" for j in range(4))
    ir = f"""
{declare}
define ptx_kernel void @k(ptr addrspace(1) %regs, ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %base = mul i32 %tid, 4
  {loads}
  %matrix = lshr i32 %tid, 3
  %r = and i32 %tid, 7
  %mo = mul i32 %matrix, 128
  %ro = mul i32 %r, 16
  %o = add i32 %mo, %ro
  %row = getelementptr i8, ptr addrspace(3) @s, i32 %o
  {store}
  call void @llvm.nvvm.barrier0()
  %bytes = add i32 0, 512
  {copy_loop("@s", "%out")}
  ret void
}}
"""
    out = tensor(np.zeros(512, np.uint8))
    launch(ir, [("Q", tensor(regs)), ("Q", out)])
    np.testing.assert_array_equal(out.numpy().view(np.uint16).reshape(4, 8, 8), matrices)
    assert kite.sim.statistics(DEVICE)["stmatrix"] == 32


# --- tensormap.replace ---------------------------------------------------------------

def tensormap_kernel(replaces):
    """Warp 0 zeroes 128 bytes of shared memory, thread 0 runs `replaces`
    (tensormap.replace statements on it, %g the tensor's address), and the
    warp publishes the map to global memory with tensormap.cp_fenceproxy."""
    lines = "\n  ".join(asm(f"tensormap.replace.tile.{text}", "l" + ",l" * len(ops),
                            "ptr addrspace(3) @s", *ops) for text, ops in replaces)
    return f"""
define ptx_kernel void @k(ptr addrspace(1) %g, ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %word = getelementptr i32, ptr addrspace(3) @s, i32 %tid
  store i32 0, ptr addrspace(3) %word
  call void @llvm.nvvm.barrier0()
  %is0 = icmp eq i32 %tid, 0
  br i1 %is0, label %write, label %publish
write:
  {lines}
  br label %publish
publish:
  call void @llvm.nvvm.barrier0()
  {asm("tensormap.cp_fenceproxy.global.shared::cta.tensormap::generic.release.gpu.sync."
       "aligned [$0], [$1], 0x80;", "l,r", "ptr addrspace(1) %out", "ptr addrspace(3) @s")}
  {asm("fence.proxy.tensormap::generic.acquire.gpu [$0], 0x80;", "l", "ptr addrspace(1) %out")}
  ret void
}}
"""


def test_tensormap_replace_writes_the_simulators_tensor_map():
    """Triton's in-kernel descriptors: tensormap.replace fills a zeroed
    template field by field (the rank less one, sizes and byte strides as
    they are, the PTX element type 6 for f16); the published map is the one
    kite.sim.tensor_map encodes on the host."""
    g = tensor(np.zeros((48, 96), np.uint16))
    replaces = [("global_address.shared::cta.b1024.b64 [$0], $1;", ["ptr addrspace(1) %g"]),
                ("rank.shared::cta.b1024.b32 [$0], 1;", []),
                ("box_dim.shared::cta.b1024.b32 [$0], 0, 64;", []),
                ("box_dim.shared::cta.b1024.b32 [$0], 1, 16;", []),
                ("global_dim.shared::cta.b1024.b32 [$0], 0, 96;", []),
                ("global_dim.shared::cta.b1024.b32 [$0], 1, 48;", []),
                ("global_stride.shared::cta.b1024.b64 [$0], 0, 192;", []),
                ("element_stride.shared::cta.b1024.b32 [$0], 0, 1;", []),
                ("element_stride.shared::cta.b1024.b32 [$0], 1, 1;", []),
                ("elemtype.shared::cta.b1024.b32 [$0], 6;", []),
                ("swizzle_mode.shared::cta.b1024.b32 [$0], 3;", [])]
    out = tensor(np.zeros(128, np.uint8))
    launch(tensormap_kernel(replaces), [("Q", g), ("Q", out)])
    expected = kite.sim.tensor_map(g, [48, 96], [96, 1], [16, 64], 2, swizzle=3, data_type=6)
    assert out.numpy().tobytes() == expected


def test_tensormap_replace_of_what_the_simulator_lacks_is_an_error():
    replaces = [("swizzle_mode.shared::cta.b1024.b32 [$0], 4;", [])]
    with pytest.raises(_C.DeviceError, match=r"tensormap.replace.swizzle_mode with the value 4 "
                                             r"is not implemented"):
        launch(tensormap_kernel(replaces), [("Q", tensor(np.zeros(1, np.uint8))),
                                            ("Q", tensor(np.zeros(128, np.uint8)))])
