"""Hopper's warpgroup MMA: on cuda-sim:sm_90a (the code `cuda:sm_90a` and a
Hopper device get), a dot whose warps go in fours along M runs on
`wgmma.mma_async` and matches numpy, for every operand type wgmma has
(f16, bf16, tf32, int8, fp8 e4m3), b K-major or N-major, N split into
instructions of at most 256 columns, K rows longer than 128 bytes in
slabs, one or two warpgroups, in a software-pipelined loop; a dot whose
tile has no room for warpgroups stays on mma.sync; plain sm_90 never uses
wgmma (docs/lowering.md, "Dot on Hopper's warpgroup MMA")."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import ptxas

HOPPER = "cuda-sim:sm_90a"


@kite.jit
def dot_kernel(a_ptr, b_ptr, c_ptr, K_TOTAL, M: kl.constexpr, N: kl.constexpr, K: kl.constexpr,
               B_K_MAJOR: kl.constexpr, TF32: kl.constexpr):
    # c = a @ b over K_TOTAL in steps of K (a loop the pipeliner stages);
    # b is [K_TOTAL, N] row-major, or [N, K_TOTAL] when B_K_MAJOR.
    rm = kl.arange(0, M)
    rn = kl.arange(0, N)
    rk = kl.arange(0, K)
    acc = kl.zeros((M, N), dtype=kl.int32 if c_ptr.dtype.element_ty == kl.int32 else kl.float32)
    for k0 in range(0, K_TOTAL, K):
        a = kl.load(a_ptr + rm[:, None] * K_TOTAL + (k0 + rk)[None, :])
        if B_K_MAJOR:
            b = kl.load(b_ptr + rn[None, :] * K_TOTAL + (k0 + rk)[:, None])
        else:
            b = kl.load(b_ptr + (k0 + rk)[:, None] * N + rn[None, :])
        if TF32:
            acc = kl.dot(a, b, acc, input_precision="tf32")
        else:
            acc = kl.dot(a, b, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


# name: (kite dtype, numpy inputs, accumulator, rtol)
TYPES = {
    "f16": (kl.float16, np.float16, np.float32, 1e-2),
    "bf16": (kl.bfloat16, np.float32, np.float32, 2e-2),
    "tf32": (kl.float32, np.float32, np.float32, 1e-2),
    "i8": (kl.int8, np.int8, np.int32, 0),
    "e4m3": (kl.float8e4nv, np.float32, np.float32, 1e-2),
}
# (M, N, K step, K total, num_warps, the instruction's m64nNk of f16)
SHAPES = [
    (64, 64, 32, 64, 4),     # one warpgroup, 64-byte rows of f16: the 64-byte swizzle
    (128, 128, 64, 128, 8),  # two warpgroups
    (64, 512, 64, 64, 4),    # N over two instructions of 256; K rows of 8-bit and 32-bit
                             # types over 128 bytes: slabs
    (128, 256, 64, 128, 8),  # Triton's H100 tile
]


def _operands(name, M, N, K_total, b_k_major, rng):
    kind, np_type, acc, _ = TYPES[name]
    if name == "i8":
        a = rng.integers(-8, 8, (M, K_total)).astype(np.int8)
        b = rng.integers(-8, 8, (K_total, N)).astype(np.int8)
    else:  # values every type holds exactly (e4m3's 3 mantissa bits included)
        a = (rng.integers(-8, 8, (M, K_total)) / 8).astype(np.float32)
        b = (rng.integers(-8, 8, (K_total, N)) / 8).astype(np.float32)
    b_stored = np.ascontiguousarray(b.T) if b_k_major else b
    to = lambda x: kite.from_numpy(x.astype(np_type), device=HOPPER,  # noqa: E731
                                   **({} if name in ("f16", "i8") else dict(dtype=kind)))
    return to(a), to(b_stored), a.astype(np.float64) @ b.astype(np.float64), acc


def _run(name, M, N, K, K_total, warps, b_k_major, device=HOPPER):
    rng = np.random.default_rng(M + N + K)
    a, b, expected, acc = _operands(name, M, N, K_total, b_k_major, rng)
    c = kite.from_numpy(np.zeros((M, N), acc), device=HOPPER)
    handle = dot_kernel[(1,)](a, b, c, K_total, M=M, N=N, K=K, B_K_MAJOR=b_k_major,
                              TF32=name == "tf32", num_warps=warps)
    np.testing.assert_allclose(c.numpy().astype(np.float64), expected,
                               rtol=TYPES[name][3], atol=TYPES[name][3])
    return handle.asm["ptx"]


@pytest.mark.parametrize("b_k_major", [False, True], ids=["b_n_major", "b_k_major"])
@pytest.mark.parametrize("name", list(TYPES))
@pytest.mark.parametrize("M, N, K, K_total, warps", SHAPES)
def test_dot_runs_on_wgmma_and_matches_numpy(name, M, N, K, K_total, warps, b_k_major):
    ptx = _run(name, M, N, K, K_total, warps, b_k_major)
    k = {"tf32": 8, "i8": 32, "e4m3": 32}.get(name, 16)
    assert f"wgmma.mma_async.sync.aligned.m64n{min(N, 256)}k{k}." in ptx
    assert "mma.sync" not in ptx


def test_int8_products_saturate_at_int32_as_on_mma_sync():
    """wgmma's s32 accumulators saturate (.satfinite) as mma.sync's do: 127 *
    127 * 32 added to an accumulator near INT32_MAX stays INT32_MAX."""
    results = {}
    for device in ("cuda-sim:sm_90", HOPPER):
        a = kite.from_numpy(np.full((64, 32), 127, np.int8), device=device)
        b = kite.from_numpy(np.full((32, 64), 127, np.int8), device=device)
        c = kite.from_numpy(np.zeros((64, 64), np.int32), device=device)
        handle = saturating_kernel[(1,)](a, b, c, num_warps=4)
        results[device] = c.numpy()
        assert ("wgmma" in handle.asm["ptx"]) == (device == HOPPER)
    for values in results.values():
        np.testing.assert_array_equal(values, np.iinfo(np.int32).max)


@kite.jit
def saturating_kernel(a_ptr, b_ptr, c_ptr):
    r64 = kl.arange(0, 64)
    r32 = kl.arange(0, 32)
    a = kl.load(a_ptr + r64[:, None] * 32 + r32[None, :])
    b = kl.load(b_ptr + r32[:, None] * 64 + r64[None, :])
    acc = kl.full((64, 64), 2147483000, kl.int32)
    kl.store(c_ptr + r64[:, None] * 64 + r64[None, :], kl.dot(a, b, acc))


@kite.jit
def product_kernel(a_ptr, b_ptr, c_ptr):
    r64 = kl.arange(0, 64)
    r32 = kl.arange(0, 32)
    a = kl.load(a_ptr + r64[:, None] * 32 + r32[None, :])
    b = kl.load(b_ptr + r32[:, None] * 64 + r64[None, :])
    kl.store(c_ptr + r64[:, None] * 64 + r64[None, :], kl.dot(a, b))


def _scale_d(ptx):
    """The value each wgmma's scale-d predicate is set to (0 or -1)."""
    values = []
    for predicate in re.findall(r"wgmma\.mma_async[^;]*\}, %rd\d+, (%p\d+)[,;]", ptx):
        setting = re.findall(rf"mov\.pred\s+{predicate}, (-?\d+);", ptx)
        assert len(setting) == 1, (predicate, setting)
        values.append(int(setting[0]))
    assert values, ptx
    return values


def test_a_dot_without_accumulator_has_wgmma_ignore_c():
    """A dot without an accumulator (attention's q @ k.T) sets wgmma's
    scale-d false, D = A * B, so that its accumulator registers need no
    zeros: C's registers are then undefined, which hardware would add were
    scale-d true (cuda-sim reads them as zeros, so the PTX is checked).
    The later K steps and a dot with an accumulator keep scale-d true."""
    rng = np.random.default_rng(3)
    a = rng.integers(-8, 8, (64, 32)).astype(np.float16)
    b = rng.integers(-8, 8, (32, 64)).astype(np.float16)
    c = kite.from_numpy(np.full((64, 64), np.nan, np.float32), device=HOPPER)
    handle = product_kernel[(1,)](kite.from_numpy(a, device=HOPPER),
                                  kite.from_numpy(b, device=HOPPER), c, num_warps=4)
    np.testing.assert_array_equal(c.numpy(), a.astype(np.float32) @ b.astype(np.float32))
    # Its first K step ignores C; the second adds the first's D.
    assert _scale_d(handle.asm["ptx"]) == [0, -1]
    a8 = kite.from_numpy(np.zeros((64, 32), np.int8), device=HOPPER)
    c8 = kite.from_numpy(np.zeros((64, 64), np.int32), device=HOPPER)
    compiled = saturating_kernel.compile(a8, a8, c8, target="cuda:sm_90a", num_warps=4)
    assert set(_scale_d(compiled.asm["ptx"])) == {-1}


def test_a_tile_without_room_for_warpgroups_stays_on_mma_sync():
    # 32 rows cannot give four warps 16 rows each along M with all of N.
    ptx = _run("f16", 32, 64, 32, 64, 4, False)
    assert "wgmma" not in ptx and "mma.sync" in ptx


def test_plain_sm_90_keeps_mma_sync():
    """wgmma needs sm_90a's own features; PTX for sm_90 may not use them."""
    a = kite.from_numpy(np.zeros((64, 64), np.float16), device=HOPPER)
    c = kite.from_numpy(np.zeros((64, 64), np.float32), device=HOPPER)
    for target, has_wgmma in (("cuda:sm_90", False), ("cuda:sm_90a", True)):
        compiled = dot_kernel.compile(a, a, c, 64, M=64, N=64, K=32, B_K_MAJOR=False,
                                      TF32=False, target=target, num_warps=4)
        assert ("wgmma.mma_async" in compiled.asm["ptx"]) == has_wgmma, target


@kite.jit
def invariant_operand_kernel(a_ptr, b_ptr, c_ptr, STEPS, M: kl.constexpr, N: kl.constexpr,
                             K: kl.constexpr, INVARIANT_A: kl.constexpr):
    # One operand loaded once, the other anew each step: a invariant as
    # attention's q (a dot without accumulator, summed), or b invariant (the
    # dot accumulates, staging b from registers every step).
    rm = kl.arange(0, M)
    rn = kl.arange(0, N)
    rk = kl.arange(0, K)
    a = kl.load(a_ptr + rm[:, None] * K + rk[None, :])
    b = kl.load(b_ptr + rk[:, None] * N + rn[None, :])
    acc = kl.zeros((M, N), dtype=kl.float32)
    for s in range(STEPS):
        if INVARIANT_A:
            acc += kl.dot(a, kl.load(b_ptr + s * K * N + rk[:, None] * N + rn[None, :]))
        else:
            acc = kl.dot(kl.load(a_ptr + s * M * K + rm[:, None] * K + rk[None, :]), b, acc)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


# (M, N, K step, warps, dtype): one warpgroup over two tile rows (64-byte
# swizzle); two warpgroups, one tile row each; two warpgroups of two tile
# rows, K over two 128-byte slabs; bf16.
@pytest.mark.parametrize("M, N, K, warps, name", [(128, 64, 32, 4, "f16"),
                                                  (128, 128, 64, 8, "f16"),
                                                  (256, 64, 128, 8, "f16"),
                                                  (64, 128, 64, 4, "bf16"),
                                                  (128, 128, 64, 8, "e4m3"),
                                                  (64, 256, 128, 4, "i8")])
def test_a_pipelined_a_is_read_through_its_descriptor(M, N, K, warps, name):
    """An 8- or 16-bit a the pipeliner copies into slots has its slots' 8-row blocks
    placed in the order wgmma's descriptor reads them (the copies write
    them there), and wgmma reads a through that descriptor: no ldmatrix,
    no A registers (docs/lowering.md)."""
    K_total = 3 * K
    rng = np.random.default_rng(M + N + K + warps)
    a, b, expected, acc = _operands(name, M, N, K_total, False, rng)
    c = kite.from_numpy(np.full((M, N), -1 if acc == np.int32 else np.nan, acc), device=HOPPER)
    handle = dot_kernel[(1,)](a, b, c, K_total, M=M, N=N, K=K, B_K_MAJOR=False, TF32=False,
                              num_warps=warps, num_stages=3)
    # Exact: multiples of 1/8 (integers for i8), summed in f32 (i32).
    np.testing.assert_array_equal(c.numpy(), expected)
    ptx = handle.asm["ptx"]
    assert "cp.async" in ptx and "ldmatrix" not in ptx, ptx
    assert re.search(r"wgmma\.mma_async\.sync\.aligned\.m64n\d+k(16|32)\S* \{[^}]*\}, "
                     r"%rd\d+, %rd\d+,", ptx), ptx
    assert not re.search(r"wgmma\.mma_async[^;]*\}, \{", ptx)


@pytest.mark.parametrize("M, N, K, warps", [(128, 128, 64, 8), (64, 64, 32, 4)])
def test_a_pipelined_dot_leaves_one_wgmma_group_in_flight(M, N, K, warps):
    """A matmul whose loop's one dot reads both operands through descriptors
    gets a slot more from the pipeliner and keeps iteration i's wgmma group
    in flight while iteration i + 1 copies and issues (wait_group 1 in the
    loop), the last retired after it (wait_group 0). cuda-sim checks that no
    slot is refilled while a pending group reads it; ptxas does not have to
    serialize the wgmma (no accumulator defined by anything else between a
    wgmma and its wait, on any path)."""
    K_total = 4 * K
    rng = np.random.default_rng(M + K)
    a, b, expected, acc = _operands("f16", M, N, K_total, False, rng)
    c = kite.from_numpy(np.full((M, N), np.nan, acc), device=HOPPER)
    handle = dot_kernel[(1,)](a, b, c, K_total, M=M, N=N, K=K, B_K_MAJOR=False, TF32=False,
                              num_warps=warps, num_stages=3)
    np.testing.assert_array_equal(c.numpy(), expected)
    assert "the dot asynchronous (a slot more)" in str(handle.asm["kitegpu"])
    ptx = handle.asm["ptx"]
    assert ptx.count("wgmma.wait_group.sync.aligned 1;") == 1, ptx
    assert ptx.count("wgmma.wait_group.sync.aligned 0;") == 1, ptx
    # Three slots of each operand, not two.
    assert re.search(rf"memdesc<3x{M}x{K}xf16", str(handle.asm["kitegpu"]))
    if ptxas.find():  # as for a GPU (cuda-sim's memory checks add calls)
        compiled = dot_kernel.compile(a, b, c, K_total, M=M, N=N, K=K, B_K_MAJOR=False,
                                      TF32=False, num_warps=warps, num_stages=3,
                                      target="cuda:sm_90a")
        log = ptxas.assemble(compiled.asm["ptx"], "sm_90a", "dot_kernel").log
        assert "serialized" not in log and "wgmma.wait_group.sync.aligned 1;" in \
            compiled.asm["ptx"], log
    # Zero iterations: the loop's inits (zeros) come out, no wgmma waited.
    c0 = kite.from_numpy(np.full((M, N), np.nan, acc), device=HOPPER)
    dot_kernel[(1,)](a, b, c0, 0, M=M, N=N, K=K, B_K_MAJOR=False, TF32=False, num_warps=warps,
                     num_stages=3)
    np.testing.assert_array_equal(c0.numpy(), np.zeros((M, N)))


def test_a_dot_that_stages_b_each_iteration_waits_for_its_group():
    """b in registers is staged by the dot every iteration, into the buffer
    the previous iteration's wgmma read: that dot may not stay in flight
    (cuda-sim reports a buffer written under a pending group)."""
    M, N, K, steps = 128, 64, 64, 3
    rng = np.random.default_rng(7)
    a = (rng.integers(-8, 8, (steps, M, K)) / 8).astype(np.float16)
    b = (rng.integers(-8, 8, (K, N)) / 8).astype(np.float16)
    c = kite.from_numpy(np.full((M, N), np.nan, np.float32), device=HOPPER)
    handle = invariant_operand_kernel[(1,)](kite.from_numpy(a, device=HOPPER),
                                            kite.from_numpy(b, device=HOPPER), c, steps, M=M,
                                            N=N, K=K, INVARIANT_A=False, num_warps=4,
                                            num_stages=3)
    expected = sum(a[s].astype(np.float64) @ b.astype(np.float64) for s in range(steps))
    np.testing.assert_array_equal(c.numpy(), expected)
    assert "wgmma.wait_group.sync.aligned 1;" not in handle.asm["ptx"]


# (M, K, warps): one warpgroup with two tile rows; two warpgroups of one
# tile row each; two warpgroups of two tile rows, K over a 128-byte slab.
@pytest.mark.parametrize("M, K, warps", [(128, 64, 4), (128, 64, 8), (256, 128, 8)])
def test_a_loop_invariant_a_is_read_through_its_descriptor(M, K, warps):
    """An a the loop reads unchanged is staged once before the loop, its
    8-row blocks placed in the order wgmma's descriptor reads them, and
    read through the descriptor every step: no A registers held through the
    loop (docs/lowering.md)."""
    N, steps = 64, 3
    rng = np.random.default_rng(M + K + warps)
    a = (rng.integers(-8, 8, (M, K)) / 8).astype(np.float16)
    b = (rng.integers(-8, 8, (steps, K, N)) / 8).astype(np.float16)
    c = kite.from_numpy(np.zeros((M, N), np.float32), device=HOPPER)
    handle = invariant_operand_kernel[(1,)](kite.from_numpy(a, device=HOPPER),
                                            kite.from_numpy(b, device=HOPPER), c, steps, M=M,
                                            N=N, K=K, INVARIANT_A=True, num_warps=warps)
    expected = sum(a.astype(np.float64) @ b[s].astype(np.float64) for s in range(steps))
    np.testing.assert_allclose(c.numpy(), expected, rtol=1e-6)
    ptx = handle.asm["ptx"]
    assert re.search(r"wgmma\.mma_async\.sync\.aligned\.m64n64k16\S* \{[^}]*\}, %rd\d+, %rd\d+,",
                     ptx), ptx
    assert not re.search(r"wgmma\.mma_async[^;]*\}, \{", ptx)
