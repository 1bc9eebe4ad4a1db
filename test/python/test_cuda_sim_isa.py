"""cuda-sim's warp-synchronous instructions, barriers and errors against the
PTX ISA (docs/cuda-sim.md). Each test is a hand-written NVVM kernel whose
results are compared with numpy written from the ISA's own definition of the
instruction (the pseudo-code of shfl.sync, vote.sync, redux.sync,
match.sync), not from the simulator's code. Tensor-core and asynchronous-copy
instructions are in test_cuda_sim_isa_tensor.py, math and carries in
test_cuda_sim_isa_math.py, barriers and the launch errors in
test_cuda_sim_isa_barriers.py."""
import numpy as np
import pytest

import kite
import kite.sim

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


def test_shfl_sync_in_a_partial_warp_and_on_float_bits():
    """Lanes 0-15 shuffle among themselves (membermask 0xffff, width 16:
    every source is a member); f32 values move bit for bit (-0, NaN payload)."""
    ir = """
declare float @llvm.nvvm.shfl.sync.bfly.f32(i32, float, i32, i32)
declare i32 @llvm.nvvm.shfl.sync.idx.i32(i32, i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %fv, ptr addrspace(1) %out) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %low = icmp ult i32 %tid, 16
  br i1 %low, label %a, label %b
a:
  %pf = getelementptr float, ptr addrspace(1) %fv, i32 %tid
  %f = load float, ptr addrspace(1) %pf
  %r = call float @llvm.nvvm.shfl.sync.bfly.f32(i32 65535, float %f, i32 5, i32 4127)
  %po = getelementptr float, ptr addrspace(1) %out, i32 %tid
  store float %r, ptr addrspace(1) %po
  %src = sub i32 15, %tid
  %i = call i32 @llvm.nvvm.shfl.sync.idx.i32(i32 65535, i32 %tid, i32 %src, i32 4127)
  %po2 = getelementptr i32, ptr addrspace(1) %out, i32 32
  %po3 = getelementptr i32, ptr addrspace(1) %po2, i32 %tid
  store i32 %i, ptr addrspace(1) %po3
  ret void
b:
  ret void
}
"""
    bits = np.arange(32, dtype=np.uint32) * 0x01010101 + 0x3f800000
    bits[3], bits[6] = 0x80000000, 0x7fc12345  # -0 and a NaN with a payload
    out = tensor(np.zeros(64, np.uint32))
    launch(ir, [("Q", tensor(bits)), ("Q", out)])
    lanes = np.arange(16)
    np.testing.assert_array_equal(out.numpy()[:16], bits[lanes ^ 5])
    np.testing.assert_array_equal(out.numpy()[32:48], 15 - lanes)
    np.testing.assert_array_equal(out.numpy()[16:32], 0)  # lanes 16-31 left


# --- vote, redux, match: lanes of `mask` take part, the others branch away ----

def members_kernel(body, decls=""):
    """Lanes whose bit is in %mask run `body` on their input %v; it leaves
    %r and %r2, stored at out[lane] and out[32 + lane]."""
    return decls + f"""
define ptx_kernel void @k(ptr addrspace(1) %in, ptr addrspace(1) %out, i32 %mask) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %bit = shl i32 1, %tid
  %m = and i32 %bit, %mask
  %member = icmp ne i32 %m, 0
  br i1 %member, label %op, label %done
op:
  %pi = getelementptr i32, ptr addrspace(1) %in, i32 %tid
  %v = load i32, ptr addrspace(1) %pi
  %p = icmp ne i32 %v, 0
  {body}
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %r, ptr addrspace(1) %po
  %po2 = getelementptr i32, ptr addrspace(1) %po, i32 32
  store i32 %r2, ptr addrspace(1) %po2
  br label %done
done:
  ret void
}}
"""


def run_members(body, decls, values, mask):
    out = tensor(np.full(64, 0xdeadbeef, np.uint32))
    launch(members_kernel(body, decls), [("Q", tensor(values.astype(np.uint32))), ("Q", out),
                                         ("I", mask)])
    got = out.numpy()
    lanes = [lane for lane in range(32) if mask >> lane & 1]
    assert all(got[lane] == 0xdeadbeef for lane in range(32) if lane not in lanes)
    return lanes, got[:32], got[32:]


MASKS = [0xffffffff, 0x000fffff, 0x80f0f00f]


def vote_reference(mode, values, lanes):
    preds = [values[lane] != 0 for lane in lanes]
    if mode == "ballot":
        return sum(1 << lane for lane in lanes if values[lane] != 0)
    return {"all": all(preds), "any": any(preds), "uni": len(set(preds)) == 1}[mode]


@pytest.mark.parametrize("mask", MASKS, ids=hex)
@pytest.mark.parametrize("form", ["intrinsic", "inline_ptx"])
@pytest.mark.parametrize("mode", ["all", "any", "uni", "ballot"])
@pytest.mark.parametrize("pattern", ["mixed", "all_true", "all_false"])
def test_vote_sync_over_the_membermask(mode, form, mask, pattern):
    rng = np.random.default_rng(7)
    values = {"mixed": rng.integers(0, 2, 32), "all_true": np.ones(32, int),
              "all_false": np.zeros(32, int)}[pattern]
    ty = "i32" if mode == "ballot" else "i1"
    if form == "intrinsic":
        decls = f"declare {ty} @llvm.nvvm.vote.{mode}.sync(i32, i1)\n"
        body = f"%x = call {ty} @llvm.nvvm.vote.{mode}.sync(i32 %mask, i1 %p)"
    else:
        decls = ""
        dtype = "b32" if mode == "ballot" else "pred"
        out = "$0" if mode == "ballot" else "q"
        tail = "" if mode == "ballot" else " selp.u32 $0, 1, 0, q;"
        body = (f'%x32 = call i32 asm sideeffect "{{ .reg .pred p, q; setp.ne.b32 p, $1, 0; '
                f'vote.sync.{mode}.{dtype} {out}, p, $2;{tail} }}", "=r,r,r"(i32 %v, i32 %mask)\n'
                f'  %x = {"add i32 %x32, 0" if mode == "ballot" else "icmp ne i32 %x32, 0"}')
    body += "\n  %r = " + ("add i32 %x, 0" if mode == "ballot" else "zext i1 %x to i32")
    body += "\n  %r2 = add i32 0, 0"
    lanes, got, _ = run_members(body, decls, values, mask)
    expected = int(vote_reference(mode, values, lanes))
    assert [int(got[lane]) for lane in lanes] == [expected] * len(lanes)


REDUX = {"add": lambda v: int(np.sum(v.astype(np.uint64)) & 0xffffffff),
         "min": lambda v: int(v.astype(np.int32).min()) & 0xffffffff,
         "max": lambda v: int(v.astype(np.int32).max()) & 0xffffffff,
         "umin": lambda v: int(v.min()), "umax": lambda v: int(v.max()),
         "and": lambda v: int(np.bitwise_and.reduce(v)),
         "or": lambda v: int(np.bitwise_or.reduce(v)),
         "xor": lambda v: int(np.bitwise_xor.reduce(v))}
REDUX_PTX = {"add": "add.u32", "min": "min.s32", "max": "max.s32", "umin": "min.u32",
             "umax": "max.u32", "and": "and.b32", "or": "or.b32", "xor": "xor.b32"}


@pytest.mark.parametrize("mask", MASKS, ids=hex)
@pytest.mark.parametrize("form", ["intrinsic", "inline_ptx"])
@pytest.mark.parametrize("op", list(REDUX))
def test_redux_sync_over_the_membermask(op, form, mask):
    rng = np.random.default_rng(11)
    # Signed and unsigned orders differ on these, and the sum wraps.
    values = rng.integers(0, 1 << 32, 32, dtype=np.uint64).astype(np.uint32)
    if form == "intrinsic":
        decls = f"declare i32 @llvm.nvvm.redux.sync.{op}(i32, i32)\n"
        body = f"%r = call i32 @llvm.nvvm.redux.sync.{op}(i32 %v, i32 %mask)"
    else:
        decls = ""
        body = (f'%r = call i32 asm sideeffect "redux.sync.{REDUX_PTX[op]} $0, $1, $2;", '
                f'"=r,r,r"(i32 %v, i32 %mask)')
    lanes, got, _ = run_members(body + "\n  %r2 = add i32 0, 0", decls, values, mask)
    expected = REDUX[op](values[lanes])
    assert [int(got[lane]) for lane in lanes] == [expected] * len(lanes)


@pytest.mark.parametrize("mask", MASKS, ids=hex)
@pytest.mark.parametrize("uniform", [False, True])
def test_match_any_and_all_sync(mask, uniform):
    rng = np.random.default_rng(3)
    values = np.full(32, 5) if uniform else rng.integers(0, 4, 32)
    decls = ("declare i32 @llvm.nvvm.match.any.sync.i32(i32, i32)\n"
             "declare {i32, i1} @llvm.nvvm.match.all.sync.i32p(i32, i32)\n")
    body = ("%r = call i32 @llvm.nvvm.match.any.sync.i32(i32 %mask, i32 %v)\n"
            "  %all = call {i32, i1} @llvm.nvvm.match.all.sync.i32p(i32 %mask, i32 %v)\n"
            "  %alld = extractvalue {i32, i1} %all, 0\n"
            "  %allp = extractvalue {i32, i1} %all, 1\n"
            "  %allp32 = zext i1 %allp to i32\n"
            "  %hi = shl i32 %allp32, 0\n"
            "  %same = icmp eq i32 %alld, %mask\n"
            "  %zero = icmp eq i32 %alld, 0\n"
            "  %ok = or i1 %same, %zero\n"
            "  %ok32 = zext i1 %ok to i32\n"
            "  %ok2 = shl i32 %ok32, 1\n"
            "  %same32 = zext i1 %same to i32\n"
            "  %s4 = shl i32 %same32, 2\n"
            "  %r2a = or i32 %allp32, %ok2\n"
            "  %r2 = or i32 %r2a, %s4")
    lanes, any_got, all_got = run_members(body, decls, values, mask)
    all_equal = len({int(values[lane]) for lane in lanes}) == 1
    for lane in lanes:
        same = sum(1 << other for other in lanes if values[other] == values[lane])
        assert any_got[lane] == same, lane
        # p is whether all members agree; d is the membermask then, else 0.
        assert all_got[lane] == (1 | 2 | 4 if all_equal else 2), lane


def test_match_any_sync_compares_all_64_bits():
    ir = """
declare i32 @llvm.nvvm.match.any.sync.i64(i32, i64)
define ptx_kernel void @k(ptr addrspace(1) %in, ptr addrspace(1) %out) {
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %pi = getelementptr i64, ptr addrspace(1) %in, i32 %tid
  %v = load i64, ptr addrspace(1) %pi
  %r = call i32 @llvm.nvvm.match.any.sync.i64(i32 -1, i64 %v)
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %r, ptr addrspace(1) %po
  ret void
}
"""
    # Equal low words, high words in three groups.
    values = (np.arange(32, dtype=np.uint64) % 3) << np.uint64(40) | np.uint64(7)
    out = tensor(np.zeros(32, np.uint32))
    launch(ir, [("Q", tensor(values)), ("Q", out)])
    expected = [sum(1 << j for j in range(32) if j % 3 == lane % 3) for lane in range(32)]
    np.testing.assert_array_equal(out.numpy(), expected)


def divergent_halves_kernel(mask_low, mask_high):
    return f"""
declare i32 @llvm.nvvm.vote.ballot.sync(i32, i1)
declare i32 @llvm.nvvm.shfl.sync.bfly.i32(i32, i32, i32, i32)
define ptx_kernel void @k(ptr addrspace(1) %out) {{
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %low = icmp ult i32 %tid, 16
  %odd = and i32 %tid, 1
  %p = icmp ne i32 %odd, 0
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  br i1 %low, label %a, label %b
a:
  %ra = call i32 @llvm.nvvm.vote.ballot.sync(i32 {mask_low}, i1 %p)
  store i32 %ra, ptr addrspace(1) %po
  ret void
b:
  %rb = call i32 @llvm.nvvm.shfl.sync.bfly.i32(i32 {mask_high}, i32 %tid, i32 1, i32 31)
  store i32 %rb, ptr addrspace(1) %po
  ret void
}}
"""


def test_divergent_halves_of_a_warp_sync_on_their_own_membermasks():
    """Since sm_70 each path of a diverged warp may run its own .sync
    instruction over the lanes of its membermask."""
    out = tensor(np.zeros(32, np.uint32))
    launch(divergent_halves_kernel(0x0000ffff, 0xffff0000 - (1 << 32)), [("Q", out)])
    lanes = np.arange(32)
    np.testing.assert_array_equal(out.numpy()[:16], 0xaaaa)
    np.testing.assert_array_equal(out.numpy()[16:], lanes[16:] ^ 1)
