"""Triton's own NVVM code for its tutorials' kernels, run on cuda-sim and
compared with numpy: code known to run correctly on GPUs checks the
simulator's instruction semantics (loads, stores and conversions in inline
PTX, shuffles, mma.sync, ldmatrix, cp.async with commit and wait groups;
for sm_90 wgmma with its descriptors and swizzles, mbarrier, TMA).
Triton compiles without a GPU; where it is not installed these are skipped."""
import re

import numpy as np
import pytest

import kite

triton = pytest.importorskip("triton", reason="Triton (pip install triton) compiles the "
                                                "reference kernels")
from triton_kernels import tutorials as t  # noqa: E402

DEVICE = "cuda-sim:sm_80"
HOPPER = "cuda-sim:sm_90"


def tensor(array, device=DEVICE):
    return kite.from_numpy(array, device=device)


def test_vector_add():
    n = 3000
    x, y = np.random.default_rng(0).random((2, n), dtype=np.float32)
    compiled = t.compile_for(t.add_kernel, {"x_ptr": "*fp32", "y_ptr": "*fp32",
                                            "out_ptr": "*fp32", "n": "i32"}, {"BLOCK": 1024},
                             divisible=("x_ptr", "y_ptr", "out_ptr"))
    out = kite.empty((n,), device=DEVICE)
    kite.sim.launch_triton(compiled, (3,), tensor(x), tensor(y), out, n, device=DEVICE)
    np.testing.assert_array_equal(out.numpy(), x + y)
    stats = kite.sim.statistics(DEVICE)
    assert stats["global_load_bytes"] == 2 * 4 * n and stats["global_store_bytes"] == 4 * n


def test_row_softmax():
    rows, cols = 37, 781
    x = np.random.default_rng(1).standard_normal((rows, cols)).astype(np.float32)
    compiled = t.compile_for(t.softmax_kernel, {"out_ptr": "*fp32", "in_ptr": "*fp32",
                                                "in_stride": "i32", "out_stride": "i32",
                                                "n_rows": "i32", "n_cols": "i32"},
                             {"BLOCK": 1024}, num_warps=8)
    out = kite.empty((rows, cols), device=DEVICE)
    kite.sim.launch_triton(compiled, (rows,), out, tensor(x), cols, cols, rows, cols,
                           device=DEVICE)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-5,
                               atol=1e-7)
    assert kite.sim.statistics(DEVICE)["shuffles"] > 0


def test_fp16_layer_norm():
    rows, n = 9, 1500
    rng = np.random.default_rng(2)
    x = rng.standard_normal((rows, n)).astype(np.float16)
    w = rng.standard_normal(n).astype(np.float16)
    b = rng.standard_normal(n).astype(np.float16)
    compiled = t.compile_for(t.layer_norm_kernel, {"x_ptr": "*fp16", "y_ptr": "*fp16",
                                                   "w_ptr": "*fp16", "b_ptr": "*fp16",
                                                   "stride": "i32", "n": "i32", "eps": "fp32"},
                             {"BLOCK": 512}, divisible=("x_ptr", "y_ptr", "w_ptr", "b_ptr"))
    y = kite.empty((rows, n), kite.language.float16, device=DEVICE)
    kite.sim.launch_triton(compiled, (rows,), tensor(x), y, tensor(w), tensor(b), n, n, 1e-5,
                           device=DEVICE)
    x32 = x.astype(np.float32)
    ref = ((x32 - x32.mean(1, keepdims=True)) / np.sqrt(x32.var(1, keepdims=True) + 1e-5)
           * w.astype(np.float32) + b.astype(np.float32))
    np.testing.assert_allclose(y.numpy().astype(np.float32), ref, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("K", [96, 80], ids=lambda k: f"K{k}")
def test_fp16_matmul_on_tensor_cores(K):
    # 80 is no multiple of BLOCK_SIZE_K: the last cp.async copies are masked
    # (a source size of 0 fills with zeros).
    M, N = 128, 192
    rng = np.random.default_rng(3)
    a = rng.standard_normal((M, K)).astype(np.float16)
    b = rng.standard_normal((K, N)).astype(np.float16)
    signature = {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32", "N": "i32",
                 "K": "i32", "stride_am": "i32", "stride_bk": "i32", "stride_cm": "i32"}
    compiled = t.compile_for(
        t.matmul_kernel, signature,
        {"BLOCK_SIZE_M": 64, "BLOCK_SIZE_N": 64, "BLOCK_SIZE_K": 32, "GROUP_SIZE_M": 8,
         "stride_ak": 1, "stride_bn": 1, "stride_cn": 1},
        divisible=("a_ptr", "b_ptr", "c_ptr", "M", "N", "K", "stride_am", "stride_bk",
                   "stride_cm"))
    llir = compiled.asm["llir"]
    assert "mma.sync.aligned.m16n8k16" in llir and "ldmatrix" in llir and "cp.async" in llir
    c = kite.empty((M, N), kite.language.float16, device=DEVICE)
    kite.sim.launch_triton(compiled, ((M // 64) * (N // 64),), tensor(a), tensor(b), c, M, N, K,
                           K, N, N, device=DEVICE)
    ref = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.numpy().astype(np.float32), ref, rtol=1e-2, atol=2e-2)
    stats = kite.sim.statistics(DEVICE)
    # 6 blocks x 4 warps x (64x64 / (16x8) / 4 warps) mmas per 16 of K.
    assert stats["mma_m16n8k16"] == 6 * 32 * (64 * 64 // (16 * 8)) * ((K + 31) // 32 * 2)
    assert stats["cp_async"] > 0 and stats["ldmatrix"] > 0


MATMUL_SIGNATURE = {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32",
                    "N": "i32", "K": "i32", "stride_am": "i32", "stride_bk": "i32",
                    "stride_cm": "i32"}


@pytest.mark.parametrize("num_warps,K", [(8, 128), (4, 96)], ids=["8warps_K128", "4warps_K96"])
def test_fp16_matmul_on_hopper_tensor_cores(num_warps, K):
    """The tutorial matmul compiled for sm_90a: wgmma.mma_async m64n128k16
    reading both operands from shared memory through 128B-swizzled matrix
    descriptors (A K-major, B N-major), fed by a 3-stage cp.async pipeline;
    8 warps are two warpgroups. K = 96 masks the second K tile."""
    M, N = 128, 256
    rng = np.random.default_rng(4)
    a = rng.standard_normal((M, K)).astype(np.float16)
    b = rng.standard_normal((K, N)).astype(np.float16)
    compiled = t.compile_for(
        t.matmul_kernel, MATMUL_SIGNATURE,
        {"BLOCK_SIZE_M": 128, "BLOCK_SIZE_N": 128, "BLOCK_SIZE_K": 64, "GROUP_SIZE_M": 8,
         "stride_ak": 1, "stride_bn": 1, "stride_cn": 1},
        divisible=tuple(MATMUL_SIGNATURE), arch=90, num_warps=num_warps)
    llir = compiled.asm["llir"]
    assert "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16" in llir
    c = kite.empty((M, N), kite.language.float16, device=HOPPER)
    kite.sim.launch_triton(compiled, ((M // 128) * (N // 128),), tensor(a, HOPPER),
                           tensor(b, HOPPER), c, M, N, K, K, N, N, device=HOPPER)
    ref = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.numpy().astype(np.float32), ref, rtol=1e-2, atol=2e-2)
    # Per thread, as mma.sync: 2 blocks, each 128 x 128 in m64n128k16 steps.
    k_tiles = (K + 63) // 64
    assert kite.sim.statistics(HOPPER)["wgmma"] == 2 * (2 * 4 * k_tiles) * 128


def test_chained_dots_with_a_from_registers_on_hopper():
    """Two products, the first one's result (converted to f16, in registers)
    the second one's A: Triton's sm_90a code gives wgmma its A as four
    registers per thread in the ISA's fragment layout."""
    M, N, K, P = 64, 64, 32, 64
    rng = np.random.default_rng(6)
    a, b, c = (rng.integers(-2, 3, shape).astype(np.float16)
               for shape in ((M, K), (K, N), (N, P)))
    compiled = t.compile_for(t.chained_dot_kernel, {"a_ptr": "*fp16", "b_ptr": "*fp16",
                                                    "c_ptr": "*fp16", "out_ptr": "*fp32"},
                             {"M": M, "N": N, "K": K, "P": P}, arch=90)
    assert re.search(r"wgmma.mma_async[^\"]*\}, \{\$\d+,\$\d+,\$\d+,\$\d+\}",
                     compiled.asm["llir"])
    out = kite.empty((M, P), device=HOPPER)
    kite.sim.launch_triton(compiled, (1,), tensor(a, HOPPER), tensor(b, HOPPER),
                           tensor(c, HOPPER), out, device=HOPPER)
    s = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(out.numpy(), s.astype(np.float32) @ c.astype(np.float32))


@pytest.mark.parametrize("num_warps", [4, 8])
def test_fp16_matmul_with_tensor_descriptors_on_hopper(num_warps):
    """A matmul whose tiles come in and go out through host tensor
    descriptors, compiled for sm_90a: TMA loads (cp.async.bulk.tensor into
    128B-swizzled shared memory, completing on mbarriers that the consumers
    wait on by phase parity), wgmma, stmatrix and a TMA store. K = 96 makes
    the last K box reach past the tensor: its zeros must not count."""
    M, N, K, BM, BN, BK = 128, 256, 96, 128, 128, 64
    rng = np.random.default_rng(5)
    a = rng.standard_normal((M, K)).astype(np.float16)
    b = rng.standard_normal((K, N)).astype(np.float16)
    signature = {"a_desc": f"tensordesc<fp16[{BM}, {BK}]>", "b_desc": f"tensordesc<fp16[{BK}, {BN}]>",
                 "c_desc": f"tensordesc<fp16[{BM}, {BN}]>", "K": "i32"}
    compiled = t.compile_for(t.descriptor_matmul_kernel, signature,
                             {"BLOCK_M": BM, "BLOCK_N": BN, "BLOCK_K": BK}, arch=90,
                             num_warps=num_warps)
    llir = compiled.asm["llir"]
    assert "cp.async.bulk.tensor.2d" in llir and "mbarrier.try_wait" in llir and "wgmma" in llir
    c = kite.empty((M, N), kite.language.float16, device=HOPPER)
    descriptor = kite.TensorDescriptor.from_tensor  # its block shape is the compiled one
    kite.sim.launch_triton(compiled, (M // BM, N // BN), descriptor(tensor(a, HOPPER), [BM, BK]),
                           descriptor(tensor(b, HOPPER), [BK, BN]), descriptor(c, [BM, BN]), K,
                           device=HOPPER)
    ref = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.numpy().astype(np.float32), ref, rtol=1e-2, atol=2e-2)
    stats = kite.sim.statistics(HOPPER)
    # Per block and K step one box of A and two of B (64 columns each, the
    # 128B swizzle's width), then two boxes of C out.
    assert stats["bulk_copies"] == 2 * (2 * 3 + 2)
    assert stats["mbarriers"] > 0 and stats["stmatrix"] > 0


def test_fp16_matmul_with_descriptors_made_in_the_kernel_on_hopper():
    """The same matmul with tl.make_tensor_descriptor: each program writes
    its tensor maps with tensormap.replace into a zeroed template in shared
    memory, publishes them to Triton's global scratch memory with
    tensormap.cp_fenceproxy, and the TMA copies read them there."""
    M, N, K, BM, BN, BK = 128, 256, 96, 128, 128, 64
    rng = np.random.default_rng(7)
    a = rng.standard_normal((M, K)).astype(np.float16)
    b = rng.standard_normal((K, N)).astype(np.float16)
    compiled = t.compile_for(t.device_descriptor_matmul_kernel,
                             {"a_ptr": "*fp16", "b_ptr": "*fp16", "c_ptr": "*fp16", "M": "i32",
                              "N": "i32", "K": "i32"},
                             {"BLOCK_M": BM, "BLOCK_N": BN, "BLOCK_K": BK}, arch=90,
                             divisible=("a_ptr", "b_ptr", "c_ptr", "N", "K"))
    assert "tensormap.replace" in compiled.asm["llir"] and compiled.metadata.global_scratch_size
    c = kite.empty((M, N), kite.language.float16, device=HOPPER)
    kite.sim.launch_triton(compiled, (M // BM, N // BN), tensor(a, HOPPER), tensor(b, HOPPER), c,
                           M, N, K, device=HOPPER)
    ref = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.numpy().astype(np.float32), ref, rtol=1e-2, atol=2e-2)
    assert kite.sim.statistics(HOPPER)["bulk_copies"] == 2 * (2 * 3 + 2)


def test_loop_carried_infinity():
    # Triton's LLVM writes the phi's initial -inf as a word, which this
    # LLVM reads only as bits (kite.sim.older_llvm_syntax).
    rows, cols = 3, 300
    x = -np.abs(np.random.default_rng(5).standard_normal((rows, cols))).astype(np.float32)
    compiled = t.compile_for(t.row_max_kernel, {"x_ptr": "*fp32", "out_ptr": "*fp32",
                                                "n_cols": "i32"}, {"BLOCK": 128})
    out = kite.empty((rows,), device=DEVICE)
    kite.sim.launch_triton(compiled, (rows,), tensor(x), out, cols, device=DEVICE)
    np.testing.assert_array_equal(out.numpy(), x.max(axis=1))


def test_infinity_words_become_bits():
    ir = ("  %m = phi float [ -inf, %entry ], [ %n, %body ]\n"
          "  %h = fadd half inf, %g\n  %b = fmul bfloat -inf, %c\n  %inf = fadd float %x, %y")
    assert kite.sim.older_llvm_syntax(ir) == (
        "  %m = phi float [ 0xFFF0000000000000, %entry ], [ %n, %body ]\n"
        "  %h = fadd half 0xH7C00, %g\n  %b = fmul bfloat 0xRFF80, %c\n"
        "  %inf = fadd float %x, %y")
