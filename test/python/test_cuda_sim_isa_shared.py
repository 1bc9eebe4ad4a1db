"""cuda-sim's ldmatrix and cp.async against the PTX ISA (docs/cuda-sim.md):
the rows each lane addresses and the fragment each lane receives, with and
without .trans; cp.async groups, wait_group N and src-size zero fill."""
import numpy as np
import pytest

import kite
import kite.sim

HEADER = ('target triple = "nvptx64-nvidia-cuda"\n'
          "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"
          "@s = external addrspace(3) global [0 x i8]\n")


def launch(ir, args, shared):
    kite.sim.launch_llvm_ir(HEADER + ir, "k", (1,), 1, args, shared=shared,
                            device="cuda-sim:sm_80")


def tensor(array):
    return kite.from_numpy(np.ascontiguousarray(array), device="cuda-sim:sm_80")


# --- ldmatrix ------------------------------------------------------------------

def ldmatrix_kernel(count, trans, form):
    """The warp copies 1024 bytes to shared memory, then each lane gives the
    byte offset of one row (lanes 8m..8m+7 the rows of matrix m) and
    ldmatrix fills `count` registers per lane."""
    t = ".trans" if trans else ""
    ty = "i32" if count == 1 else "{" + ", ".join(["i32"] * count) + "}"
    if form == "intrinsic":
        decl = f"declare {ty} @llvm.nvvm.ldmatrix.sync.aligned.m8n8.x{count}{t}.b16.p3(ptr addrspace(3))\n"
        call = f"call {ty} @llvm.nvvm.ldmatrix.sync.aligned.m8n8.x{count}{t}.b16.p3(ptr addrspace(3) %row)"
    else:
        decl = ""
        regs = "{" + ", ".join(f"${i}" for i in range(count)) + "}"
        call = (f'call {ty} asm sideeffect "ldmatrix.sync.aligned.m8n8.x{count}{t}.shared.b16 '
                f'{regs}, [${count}];", "{",".join(["=r"] * count)},r"(i32 %row32)')
    stores = []
    for i in range(count):
        value = "%d" if count == 1 else f"%d{i}"
        if count > 1:
            stores.append(f"%d{i} = extractvalue {ty} %d, {i}")
        stores.append(f"%o{i}i = add i32 %obase, {i}")
        stores.append(f"%o{i} = getelementptr i32, ptr addrspace(1) %out, i32 %o{i}i")
        stores.append(f"store i32 {value}, ptr addrspace(1) %o{i}")
    body = "\n  ".join(stores)
    return decl + f"""
declare void @llvm.nvvm.barrier0()
define ptx_kernel void @k(ptr addrspace(1) %src, ptr addrspace(1) %offsets, ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %copy
copy:
  %i = phi i32 [ 0, %entry ], [ %next, %copy ]
  %word = mul i32 %i, 32
  %w = add i32 %word, %tid
  %ps = getelementptr i32, ptr addrspace(1) %src, i32 %w
  %v = load i32, ptr addrspace(1) %ps
  %pd = getelementptr i32, ptr addrspace(3) @s, i32 %w
  store i32 %v, ptr addrspace(3) %pd
  %next = add i32 %i, 1
  %more = icmp ult i32 %next, 8
  br i1 %more, label %copy, label %load
load:
  call void @llvm.nvvm.barrier0()
  %po = getelementptr i32, ptr addrspace(1) %offsets, i32 %tid
  %off = load i32, ptr addrspace(1) %po
  %row = getelementptr i8, ptr addrspace(3) @s, i32 %off
  %row32 = ptrtoint ptr addrspace(3) %row to i32
  %d = {call}
  %obase = mul i32 %tid, {count}
  {body}
  ret void
}}
"""


@pytest.mark.parametrize("form", ["intrinsic", "inline_ptx"])
@pytest.mark.parametrize("trans", [False, True], ids=["", "trans"])
@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize("unused", ["valid", "wild"])
def test_ldmatrix_gives_each_lane_its_row_and_columns(count, trans, form, unused):
    rng = np.random.default_rng(count * 2 + trans)
    shared = rng.integers(0, 1 << 16, 512).astype(np.uint16)
    # 16-byte rows anywhere in the 1024 bytes, in no particular order.
    offsets = (rng.permutation(64)[:32] * 16).astype(np.uint32)
    if unused == "wild":  # .x1 reads the addresses of lanes 0-7, .x2 of 0-15
        offsets[8 * count:] = 1 << 24
    out = tensor(np.zeros((32, count), np.uint32))
    launch(ldmatrix_kernel(count, trans, form),
           [("Q", tensor(shared.view(np.uint32))), ("Q", tensor(offsets)), ("Q", out)],
           shared=1024)
    expected = np.zeros((32, count), np.uint32)
    for m in range(count):
        matrix = np.array([shared[offsets[m * 8 + r] // 2:][:8] for r in range(8)])
        if trans:
            matrix = matrix.T
        for lane in range(32):  # row lane / 4, columns 2 (lane % 4) and the next
            row, col = lane // 4, 2 * (lane % 4)
            expected[lane, m] = int(matrix[row, col]) | int(matrix[row, col + 1]) << 16
    np.testing.assert_array_equal(out.numpy(), expected)


# --- cp.async ------------------------------------------------------------------

def cp_async_kernel(form):
    """Each lane fills two 16-byte chunks of shared memory with 0x11 bytes,
    starts two copies in two groups (the second copying 4 of 16 bytes), and
    reads chunk 0 before any wait, chunk 0 after wait_group 1 and chunk 1
    after wait_group 0."""
    if form == "intrinsic":
        copy = ("call void @llvm.nvvm.cp.async.cg.shared.global.16.s(ptr addrspace(3) %dst{n}, "
                "ptr addrspace(1) %src{n}, i32 {size})")
        commit = "call void @llvm.nvvm.cp.async.commit.group()"
        wait = "call void @llvm.nvvm.cp.async.wait.group(i32 {n})"
        decls = ("declare void @llvm.nvvm.cp.async.cg.shared.global.16.s(ptr addrspace(3), ptr addrspace(1), i32)\n"
                 "declare void @llvm.nvvm.cp.async.commit.group()\n"
                 "declare void @llvm.nvvm.cp.async.wait.group(i32 immarg)\n")
    else:  # Triton's asm strings
        copy = ('call void asm sideeffect "cp.async.cg.shared.global [ $0 + 0 ], [ $1 + 0 ], 0x10, $2;", '
                '"r,l,r"(i32 %dst{n}i, ptr addrspace(1) %src{n}, i32 {size})')
        commit = 'call void asm sideeffect "cp.async.commit_group ;", ""()'
        wait = 'call void asm sideeffect "cp.async.wait_group {n};", ""()'
        decls = ""
    store = lambda i, v: (f"%q{i} = getelementptr i32, ptr addrspace(1) %out, i32 %ob{i}\n"
                          f"  store i32 {v}, ptr addrspace(1) %q{i}")
    reads = []
    for phase, chunk in ((0, 0), (1, 0), (2, 1)):
        for word in range(4):
            i = phase * 4 + word
            reads.append(f"%r{i}p = getelementptr i32, ptr addrspace(3) %dst{chunk}, i32 {word}\n"
                         f"  %r{i} = load volatile i32, ptr addrspace(3) %r{i}p\n"
                         f"  %ob{i} = add i32 %obase, {i}\n  " + store(i, f"%r{i}"))
    return decls + f"""
define ptx_kernel void @k(ptr addrspace(1) %src, ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %sbase = mul i32 %tid, 8
  %src0 = getelementptr i32, ptr addrspace(1) %src, i32 %sbase
  %src1 = getelementptr i32, ptr addrspace(1) %src0, i32 4
  %dst0 = getelementptr i32, ptr addrspace(3) @s, i32 %sbase
  %dst1 = getelementptr i32, ptr addrspace(3) %dst0, i32 4
  %dst0i = ptrtoint ptr addrspace(3) %dst0 to i32
  %dst1i = ptrtoint ptr addrspace(3) %dst1 to i32
  %obase = mul i32 %tid, 12
  store <4 x i32> <i32 286331153, i32 286331153, i32 286331153, i32 286331153>, ptr addrspace(3) %dst0
  store <4 x i32> <i32 286331153, i32 286331153, i32 286331153, i32 286331153>, ptr addrspace(3) %dst1
  {copy.format(n=0, size=16)}
  {commit}
  {copy.format(n=1, size=4)}
  {commit}
  {reads[0]}
  {reads[1]}
  {reads[2]}
  {reads[3]}
  {wait.format(n=1)}
  {reads[4]}
  {reads[5]}
  {reads[6]}
  {reads[7]}
  {wait.format(n=0)}
  {reads[8]}
  {reads[9]}
  {reads[10]}
  {reads[11]}
  ret void
}}
"""


@pytest.mark.parametrize("form", ["intrinsic", "inline_ptx"])
def test_cp_async_lands_at_its_wait_group_and_zero_fills_past_src_size(form):
    src = np.arange(1, 32 * 8 + 1, dtype=np.uint32) * 0x01010101
    out = tensor(np.zeros((32, 12), np.uint32))
    launch(cp_async_kernel(form), [("Q", tensor(src)), ("Q", out)], shared=1024)
    got, chunks = out.numpy(), src.reshape(32, 2, 4)
    old = np.full((32, 4), 0x11111111, np.uint32)
    # The simulator completes copies at the wait (hardware may do it earlier:
    # the ISA leaves reads before the wait unordered).
    np.testing.assert_array_equal(got[:, 0:4], old, err_msg="read before the wait")
    # wait_group 1: all but the newest group have landed.
    np.testing.assert_array_equal(got[:, 4:8], chunks[:, 0], err_msg="after wait_group 1")
    # src-size 4 of cp-size 16: 4 bytes copied, the other 12 zero.
    zero_filled = np.zeros((32, 4), np.uint32)
    zero_filled[:, 0] = chunks[:, 1, 0]
    np.testing.assert_array_equal(got[:, 8:12], zero_filled, err_msg="after wait_group 0")
    stats = kite.sim.statistics("cuda-sim:sm_80")
    assert stats["cp_async"] == 64


@pytest.mark.parametrize("size", [4, 8, 16])
def test_cp_async_ca_of_each_size_lands_at_wait_all(size):
    """cp.async.ca copies 4, 8 or 16 bytes; cp.async.wait_all commits and
    waits for every copy."""
    ir = f"""
declare void @llvm.nvvm.cp.async.ca.shared.global.{size}(ptr addrspace(3), ptr addrspace(1))
declare void @llvm.nvvm.cp.async.wait.all()
define ptx_kernel void @k(ptr addrspace(1) %src, ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %byte = mul i32 %tid, {size}
  %from = getelementptr i8, ptr addrspace(1) %src, i32 %byte
  %to = getelementptr i8, ptr addrspace(3) @s, i32 %byte
  call void @llvm.nvvm.cp.async.ca.shared.global.{size}(ptr addrspace(3) %to, ptr addrspace(1) %from)
  call void @llvm.nvvm.cp.async.wait.all()
  %v = load <{size // 4} x i32>, ptr addrspace(3) %to
  %dst = getelementptr i8, ptr addrspace(1) %out, i32 %byte
  store <{size // 4} x i32> %v, ptr addrspace(1) %dst
  ret void
}}
"""
    src = np.random.default_rng(size).integers(0, 1 << 32, 8 * size, dtype=np.uint64)
    src = src.astype(np.uint32)
    out = tensor(np.zeros(8 * size, np.uint32))
    launch(ir, [("Q", tensor(src)), ("Q", out)], shared=32 * size)
    np.testing.assert_array_equal(out.numpy(), src)
    assert kite.sim.statistics("cuda-sim:sm_80")["cp_async_bytes"] == 32 * size
