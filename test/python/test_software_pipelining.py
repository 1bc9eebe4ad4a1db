"""Software pipelining (docs/lowering.md, "Software pipelining"): on NVIDIA
sm_80 and later, the loads that feed a dot in a loop become cp.async copies
num_stages - 1 iterations ahead into multi-buffered shared memory. The
numerics run on every device of the tier (pipelined on cuda-sim at sm_80
and sm_90, as they were elsewhere); the rest compiles for cuda:sm_80 (no
device needed) or runs on cuda-sim."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import COMPILE_FOR, DEVICE, line_of, run

# Loops are pipelined for NVIDIA only (run there, or compiled for it with
# KITE_TEST_COMPILE_FOR): elsewhere every num_stages compiles the same code.
FOR_NVIDIA = DEVICE.startswith("cuda") or COMPILE_FOR.startswith("cuda")


@kite.jit
def matmul_loop(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn,
                BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr,
                INT_ACC: kl.constexpr = False, EVEN_K: kl.constexpr = False):
    offs_m = kl.program_id(0) * BM + kl.arange(0, BM)
    offs_n = kl.program_id(1) * BN + kl.arange(0, BN)
    offs_k = kl.arange(0, BK)
    a_ptrs = a_ptr + offs_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :] * stride_bn
    if INT_ACC:
        acc = kl.zeros((BM, BN), dtype=kl.int32)
    else:
        acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BK)):
        if EVEN_K:  # masks that do not change along K: hoisted out of the loop
            a = kl.load(a_ptrs, mask=offs_m[:, None] < M, other=0)
            b = kl.load(b_ptrs, mask=offs_n[None, :] < N, other=0)
        else:
            a = kl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k * BK),
                        other=0)
            b = kl.load(b_ptrs, mask=(offs_k[:, None] < K - k * BK) & (offs_n[None, :] < N),
                        other=0)
        acc = kl.dot(a, b, acc)
        a_ptrs += BK * stride_ak
        b_ptrs += BK * stride_bk
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    kl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], acc, mask=mask)


_DTYPES = {"f16": (kl.float16, np.float32), "bf16": (kl.bfloat16, np.float32),
           "f32": (kl.float32, np.float32), "i8": (kl.int8, np.int32)}


def _matmul(dtype, M, N, K, num_stages, trans_a=False, trans_b=False, BM=32, BN=32, BK=16,
            num_warps=4, even_k=False):
    """c = a @ b by matmul_loop, checked exactly: the operands are multiples
    of 1/8 in [-2, 2] (integers for int8), so every product and partial sum
    is exact in f32 whatever the order."""
    kind, acc = _DTYPES[dtype]
    rng = np.random.default_rng(M * 1000 + N * 10 + K + num_stages)
    scale = 1 if dtype == "i8" else 8
    a = rng.integers(-2 * scale, 2 * scale + 1, (M, K)) / scale
    b = rng.integers(-2 * scale, 2 * scale + 1, (K, N)) / scale
    host = np.int8 if dtype == "i8" else np.float32
    # A transposed is stored K x M (M contiguous), B transposed N x K.
    a_stored = np.ascontiguousarray(a.T if trans_a else a).astype(host)
    b_stored = np.ascontiguousarray(b.T if trans_b else b).astype(host)
    strides_a = (1, M) if trans_a else (K, 1)
    strides_b = (1, K) if trans_b else (N, 1)
    ad = kite.from_numpy(a_stored, device=DEVICE, dtype=kind)
    bd = kite.from_numpy(b_stored, device=DEVICE, dtype=kind)
    meta = {"num_warps": num_warps, "num_stages": num_stages}
    grid = (-(-M // BM), -(-N // BN))
    out = run(matmul_loop, grid, ad, bd, np.zeros((M, N), acc), M, N, K, *strides_a,
              *strides_b, BM=BM, BN=BN, BK=BK, INT_ACC=dtype == "i8", EVEN_K=even_k, **meta)[-1]
    np.testing.assert_array_equal(out, (a @ b).astype(acc))


# K: none (the loop never runs), half a tile (one masked trip, fewer than
# num_stages - 1), one tile, 3.5 tiles (a masked tail), 16 tiles.
@pytest.mark.parametrize("num_stages", [1, 2, 3, 4] if FOR_NVIDIA else [3])
@pytest.mark.parametrize("K", [0, 8, 16, 56, 256])
def test_pipelined_matmul_matches_numpy(num_stages, K):
    _matmul("f16", 48, 40, K, num_stages)


@pytest.mark.parametrize("num_stages", [2, 3] if FOR_NVIDIA else [3])
def test_pipelined_matmul_with_masks_invariant_along_k(num_stages):
    # The copies issued ahead reuse the mask from outside the loop (this
    # crashed the pipeliner once).
    _matmul("f16", 40, 24, 64, num_stages, even_k=True)


@pytest.mark.parametrize("dtype", ["bf16", "f32", "i8"])
def test_pipelined_matmul_of_other_types(dtype):
    # int8's m16n8k32 takes K tiles of 32.
    _matmul(dtype, 64, 32, 120, 3, BK=32 if dtype == "i8" else 16)


@pytest.mark.parametrize("trans_a, trans_b", [(True, False), (False, True), (True, True)])
def test_pipelined_matmul_of_transposed_operands(trans_a, trans_b):
    _matmul("f16", 64, 64, 72, 3, trans_a, trans_b)


# 128 x 128 where the f32 block's 64 KiB change of layout (for the store)
# fits: NVIDIA's shared memory, the interpreter (and KITE_TEST_COMPILE_FOR
# with it). Vulkan's 64 x 64 fits lavapipe's 32 KiB of workgroup memory
# beside the staged operands.
@pytest.mark.parametrize("BM, BN", [(64, 64) if DEVICE.startswith("vulkan") else (128, 128)])
def test_pipelined_matmul_at_8_warps_and_large_tiles(BM, BN):
    _matmul("f16", BM, BN, 96, 4, BM=BM, BN=BN, BK=32, num_warps=8)


# Compiled for sm_80 (no device needed): what the pipeline made.

def _compile(target="cuda:sm_80", num_stages=3, BM=128, BN=128, BK=32, num_warps=8,
             kernel=None, dtype=np.float16, **meta):
    # Arrays and sizes as a launch would pass them: 16-byte aligned, the
    # sizes divisible by 16 (what lets the copies move 16 bytes).
    a, b = np.zeros((256, 256), dtype), np.zeros((256, 256), dtype)
    c = np.zeros((256, 256), np.float32)
    kernel = kernel or matmul_loop
    return kernel.compile(a, b, c, 256, 256, 256, 256, 1, 256, 1, target=target,
                          num_warps=num_warps, num_stages=num_stages, BM=BM, BN=BN, BK=BK,
                          **meta)


@pytest.mark.parametrize("num_stages", [2, 3, 4])
def test_loads_feeding_a_dot_become_cp_async_num_stages_deep(num_stages):
    compiled = _compile(num_stages=num_stages)
    ptx = compiled.asm["ptx"]
    assert f'kitegpu.pipeline = "pipelined: {num_stages} stages"' in compiled.asm["kitegpu"]
    # 128x32 and 32x128 f16 tiles over 256 threads: two 16-byte copies each
    # per operand, for the num_stages - 1 iterations of the prologue and
    # once in the loop; no operand goes through registers any more.
    assert len(re.findall(r"cp\.async\.cg\.shared\.global", ptx)) == 4 * num_stages
    assert "ld.global" not in ptx
    assert re.search(rf"cp\.async\.wait_group\s+{num_stages - 2};", ptx)
    assert re.search(r"cp\.async\.wait_group\s+0;", ptx)
    # K x N f16 b is read by ldmatrix.trans where the copies put it.
    assert re.search(r"ldmatrix\.sync\.aligned\.m8n8\.x4\.trans\.shared\.b16", ptx)
    # num_stages - 1 slots of each 128x32 (32x128) operand tile, as Triton
    # takes; the epilogue's 64 KiB (the f32 block changing layout for the
    # store) reuses them.
    buffers = re.findall(r"memref.alloc\(\) : memref<(\d+)xf16, #gpu.address_space<workgroup>>",
                         compiled.asm["threads"])
    assert buffers == [str((num_stages - 1) * 128 * 32)] * 2, buffers
    assert compiled.metadata["shared"] == 65536
    assert compiled.n_spills == 0


def test_one_stage_is_not_pipelined():
    compiled = _compile(num_stages=1)
    assert 'kitegpu.pipeline = "not pipelined: num_stages=1"' in compiled.asm["kitegpu"]
    assert "cp.async" not in compiled.asm["ptx"]


def test_targets_without_async_copies_say_so():
    compiled = _compile(target="generic", BM=64, BN=64)
    assert ('"not pipelined: the target has no asynchronous copies (cp.async: NVIDIA '
            'sm_80 and later)"') in compiled.asm["kitegpu"]


# One loop body, and the variants of it that the pipeliner must leave alone
# (each says why in kitegpu.pipeline), switched by constexprs.

@kite.jit
def loop_variant(a_ptr, b_ptr, c_ptr, rows_ptr, K, B: kl.constexpr, BK: kl.constexpr,
                 STAGES: kl.constexpr = None, OTHER: kl.constexpr = 0.0,
                 GATHER: kl.constexpr = False, STORE_AHEAD: kl.constexpr = False,
                 PRECISION: kl.constexpr = None, TRANSPOSED_SUM: kl.constexpr = False):
    """c = a @ b for a B x K, b K x B (row-major), in K tiles of BK.
    STAGES: the loop's own num_stages (None: the launch's). OTHER: what a's
    masked tail reads. GATHER: the rows of b come from a table read in the
    loop (a grouped GEMM's pointer chasing), so b's loads cannot be issued
    ahead of that read. STORE_AHEAD: each iteration stores its b tile over
    the rows the next one loads (a copy issued ahead would read them before
    they are written). PRECISION="ieee": exact f32 products, an FMA loop
    that stages its operands itself. TRANSPOSED_SUM: the product and its
    transpose meet, so one of them changes layout inside the loop while the
    slots are live."""
    offs = kl.arange(0, B)
    offs_k = kl.arange(0, BK)
    acc = kl.zeros((B, B), dtype=kl.float32)
    for k in kl.range(0, K, BK, num_stages=STAGES):
        rows = k + offs_k
        if GATHER:
            rows = kl.load(rows_ptr + k // BK) + offs_k
        a = kl.load(a_ptr + offs[:, None] * K + (k + offs_k)[None, :],
                    mask=(k + offs_k)[None, :] < K, other=OTHER)
        b = kl.load(b_ptr + rows[:, None] * B + offs[None, :])
        if TRANSPOSED_SUM:
            d = kl.dot(a, b)
            acc = acc + d + kl.trans(d)
        else:
            acc = kl.dot(a, b, acc, input_precision=PRECISION)
        if STORE_AHEAD:
            kl.store(b_ptr + (rows + BK)[:, None] * B + offs[None, :], b)
    kl.store(c_ptr + offs[:, None] * B + offs[None, :], acc)


def _compile_staged(stages=None, num_stages=3, B=64, BK=32, dtype=np.float16, **switches):
    a = np.zeros((B, 1024), dtype)
    return loop_variant.compile(
        a, np.zeros((1024 + BK, B), dtype), np.zeros((B, B), np.float32),
        np.zeros(1024 // BK, np.int32), 1024, B=B, BK=BK, STAGES=stages, num_warps=4,
        num_stages=num_stages, target="cuda:sm_80", **switches)


_NOT_PIPELINED = {
    "ieee_dot": ({"PRECISION": "ieee"},
                 "its dots run as FMA loops (no tensor-core instruction for their operand "
                 "types, input_precision or shape)"),
    "nonzero_other": ({"OTHER": 1.0}, "a dot operand's load has an `other` that is not zero"),
    "gathered_rows": ({"GATHER": True},
                      "the address or mask of a dot operand's load depends on a memory access"),
    "running_sum_in_memory": ({"STORE_AHEAD": True}, "the loop writes memory or waits for it"),
}


@pytest.mark.parametrize("variant", list(_NOT_PIPELINED))
def test_loops_that_cannot_be_pipelined_say_why(variant):
    switches, reason = _NOT_PIPELINED[variant]
    dtype = np.float32 if variant == "ieee_dot" else np.float16
    compiled = _compile_staged(B=32, BK=16, dtype=dtype, **switches)
    assert f'kitegpu.pipeline = "not pipelined: {reason}' in compiled.asm["kitegpu"]
    assert "cp.async" not in compiled.asm["ptx"]


def _loop_variant_reference(a, b, rows, K, BK, OTHER=0.0, GATHER=False, STORE_AHEAD=False,
                            TRANSPOSED_SUM=False, **_):
    """What loop_variant computes, tile by tile: c, and b after its stores."""
    B = a.shape[0]
    acc, b = np.zeros((B, B)), b.astype(np.float64)
    for tile, k in enumerate(range(0, K, BK)):
        a_tile = np.full((B, BK), OTHER)
        a_tile[:, :min(BK, K - k)] = a[:, k:k + BK]
        start = rows[tile] if GATHER else k
        b_tile = b[start:start + BK].copy()
        d = a_tile @ b_tile
        acc = acc + d + d.T if TRANSPOSED_SUM else acc + d
        if STORE_AHEAD:
            b[start + BK:start + 2 * BK] = b_tile
    return acc, b


@pytest.mark.parametrize("variant", ["staged_loop", "transposed_sum", *_NOT_PIPELINED])
def test_loop_variants_match_numpy(variant):
    # K = 3.5 tiles: a's masked tail reads OTHER. Multiples of 1/8 in
    # [-2, 2]: every product and sum is exact in f32, in any order.
    switches = {"staged_loop": {"STAGES": 2}, "transposed_sum": {"TRANSPOSED_SUM": True},
                **{name: s for name, (s, _) in _NOT_PIPELINED.items()}}[variant]
    B, BK, K = 32, 16, 56
    tiles = -(-K // BK)
    rng = np.random.default_rng(7)
    dtype = np.float32 if variant == "ieee_dot" else np.float16
    a = (rng.integers(-16, 17, (B, K)) / 8).astype(dtype)
    b = (rng.integers(-16, 17, ((tiles + 1) * BK, B)) / 8).astype(dtype)
    rows = rng.integers(0, tiles * BK + 1, tiles).astype(np.int32)
    _, b_after, c, _ = run(loop_variant, (1,), a, b, np.zeros((B, B), np.float32), rows, K,
                           B=B, BK=BK, num_stages=3, **switches)
    expected_c, expected_b = _loop_variant_reference(a, b, rows, K, BK, **switches)
    np.testing.assert_array_equal(c, expected_c.astype(np.float32))
    np.testing.assert_array_equal(b_after, expected_b.astype(dtype))


# On cuda-sim: what the copies do when run.

SIM = "cuda-sim:sm_80"


def test_cuda_sim_executes_the_copies():
    a = np.ones((64, 64), np.float16)
    ad, bd = (kite.from_numpy(a, device=SIM) for _ in range(2))
    out = kite.zeros((64, 64), kl.float32, device=SIM)
    matmul_loop[(2, 2)](ad, bd, out, 64, 64, 64, 64, 1, 64, 1, BM=32, BN=32, BK=16,
                        num_warps=4, num_stages=3)
    # 32x16 and 16x32 f16 tiles over 128 threads: one 8-byte copy each per
    # operand, for 2 prologue iterations and 4 in the loop, in 4 programs.
    stats = kite.sim.statistics(SIM)
    assert stats["cp_async"] == 4 * 128 * 2 * (2 + 4), stats
    assert stats["cp_async_bytes"] == 8 * stats["cp_async"]
    np.testing.assert_array_equal(out.numpy(), np.full((64, 64), 64, np.float32))


@kite.jit
def unmasked_matmul(a_ptr, b_ptr, c_ptr, K, BM: kl.constexpr, BK: kl.constexpr):
    offs = kl.arange(0, BM)
    offs_k = kl.arange(0, BK)
    acc = kl.zeros((BM, BM), dtype=kl.float32)
    for k in range(0, K, BK):
        a = kl.load(a_ptr + offs[:, None] * K + (k + offs_k)[None, :])
        b = kl.load(b_ptr + (k + offs_k)[:, None] * BM + offs[None, :])  # LOAD B
        acc = kl.dot(a, b, acc)
    kl.store(c_ptr + offs[:, None] * BM + offs[None, :], acc)


def test_memory_checks_bound_the_async_copies():
    # b has 32 rows where the loop reads 64: the copies of the second half
    # are reported, at the load they came from.
    a = kite.from_numpy(np.ones((32, 64), np.float16), device=SIM)
    b = kite.from_numpy(np.ones((32, 32), np.float16), device=SIM)
    out = kite.zeros((32, 32), kl.float32, device=SIM)
    with pytest.raises(kite.KernelRuntimeError, match="out-of-bounds load from 'b_ptr'") as error:
        unmasked_matmul[(1,)](a, b, out, 64, BM=32, BK=16, num_warps=4, num_stages=3)
    assert error.value.lineno == line_of(unmasked_matmul, "# LOAD B")


@pytest.mark.parametrize("stages, expected", [(1, "not pipelined: num_stages=1"),
                                              (2, "pipelined: 2 stages"),
                                              (4, "pipelined: 4 stages")])
def test_a_loops_own_num_stages_overrides_the_launchs(stages, expected):
    compiled = _compile_staged(stages, num_stages=3)
    assert f'kitegpu.pipeline = "{expected}"' in compiled.asm["kitegpu"]


@pytest.mark.parametrize("stages", [0, 2.5, "3"])
def test_a_loops_num_stages_must_be_a_positive_integer(stages):
    with pytest.raises(kite.CompilationError, match=r"num_stages must be a positive integer"):
        _compile_staged(stages)


def test_a_kernel_over_shared_memory_at_its_peak_names_num_stages():
    # 2 slots of 128x128 f16 tiles (128 KiB) and the 64 KiB conversion
    # are more than sm_80's 163 KiB; one stage fits.
    with pytest.raises(kite.CompilationError) as info:
        _compile_staged(None, B=128, BK=128, TRANSPOSED_SUM=True)
    assert ("'loop_variant' needs 196608 bytes of shared memory at its peak, more than "
            "sm_80 allows a block (166912); use smaller blocks (BLOCK sizes) or fewer stages "
            "(num_stages") in str(info.value), str(info.value)
    assert _compile_staged(None, num_stages=1, B=128, BK=128,
                           TRANSPOSED_SUM=True).metadata["shared"] == 65536


# Weight-only quantization: b's loads reach the dot through their
# dequantization (int8 -> f16 times a per-column scale, itself loaded in the
# loop), so the copies carry the raw int8 bytes and the scales, and the
# dequantization runs on what the slots hold.

@kite.jit
def w8a16_loop(a_ptr, q_ptr, s_ptr, c_ptr, K, B: kl.constexpr, BK: kl.constexpr):
    offs = kl.arange(0, B)
    offs_k = kl.arange(0, BK)
    acc = kl.zeros((B, B), dtype=kl.float32)
    for k in range(0, K, BK):
        kk = k + offs_k
        a = kl.load(a_ptr + offs[:, None] * K + kk[None, :], mask=kk[None, :] < K, other=0.0)
        q = kl.load(q_ptr + kk[:, None] * B + offs[None, :], mask=kk[:, None] < K, other=0)
        s = kl.load(s_ptr + (k // BK) * B + offs[None, :])
        acc = kl.dot(a, q.to(kl.float16) * s, acc)
    kl.store(c_ptr + offs[:, None] * B + offs[None, :], acc)


def _w8a16_inputs(B, BK, K):
    # Multiples of 1/8 times small integers: every product and sum is exact
    # in f32, in any order.
    rng = np.random.default_rng(11)
    tiles = -(-K // BK)
    a = (rng.integers(-16, 17, (B, K)) / 8).astype(np.float16)
    q = rng.integers(-128, 128, (K, B)).astype(np.int8)
    s = (rng.integers(1, 5, (tiles, B)) / 64).astype(np.float16)
    return a, q, s


def test_dequantized_operands_are_copied_as_their_raw_bytes():
    B, BK, K = 64, 32, 256
    a, q, s = _w8a16_inputs(B, BK, K)
    compiled = w8a16_loop.compile(a, q, s, np.zeros((B, B), np.float32), K, B=B, BK=BK,
                                  num_warps=4, num_stages=3, target="cuda:sm_80")
    ir = compiled.asm["kitegpu"]
    assert 'kitegpu.pipeline = "pipelined: 3 stages"' in ir
    # Slots of int8 weights and f16 scales, and no global load left in the loop.
    assert re.search(r"local_alloc -> !kitegpu.memdesc<2x32x64xi8", ir), ir
    assert re.search(r"local_alloc -> !kitegpu.memdesc<2x1x64xf16", ir), ir
    assert "kite.load" not in ir.split("scf.for")[1].split("kitegpu.pipeline")[0]
    assert "cp.async.cg.shared.global" in compiled.asm["ptx"] or "cp.async" in compiled.asm["ptx"]
    assert compiled.n_spills == 0


def test_dequantized_operands_pipelined_match_numpy():
    # 6 full K tiles and a masked tail of 8.
    B, BK, K = 32, 32, 200
    a, q, s = _w8a16_inputs(B, BK, K)
    c = run(w8a16_loop, (1,), a, q, s, np.zeros((B, B), np.float32), K, B=B, BK=BK,
            num_stages=3)[3]
    w = q.astype(np.float64) * np.repeat(s.astype(np.float64), BK, axis=0)[:K]
    np.testing.assert_array_equal(c, (a.astype(np.float64) @ w).astype(np.float32))
