"""kl.dot stages its operands in workgroup (shared) memory in their own type
(2 bytes for f16 and bf16, 1 for fp8 and int8), and a program may use as
much of it as the target gives one: the Vulkan device's
maxComputeSharedMemorySize, the NVIDIA architecture's opt-in shared memory
per block (docs/lowering.md, "Workgroup memory")."""
import re
import shutil

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, line_of, run


@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr, BLOCK_K: kl.constexpr,
                  DTYPE: kl.constexpr, ACC: kl.constexpr):
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    offs_m = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    offs_k = kl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :] * stride_bn
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    for k in range(0, kl.cdiv(K, BLOCK_K)):
        a = kl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0)
        b = kl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0)
        acc += kl.dot(a.to(DTYPE), b.to(DTYPE))  # DOT
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn
    kl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


# Operand dtype: (kite dtype, accumulator).
_TYPES = {
    "int8": (kl.int8, kl.int32),
    "float16": (kl.float16, kl.float32),
    "bfloat16": (kl.bfloat16, kl.float32),
    "float8e4nv": (kl.float8e4nv, kl.float32),
    "float8e5m2": (kl.float8e5m2, kl.float32),
}


def _operands(M, N, K):
    """a, b and a @ b, exact in every operand type: small integers, whose
    products and sums f32 (and i32) hold exactly."""
    rng = np.random.default_rng(11)
    a = rng.integers(-4, 5, (M, K))
    b = rng.integers(-4, 5, (K, N))
    return a, b, a @ b


def _scalars(M, N, K):
    return (M, N, K, K, 1, N, 1, N, 1)


def _meta(name, BM, BN, BK):
    dtype, acc = _TYPES[name]
    return dict(BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, DTYPE=dtype, ACC=acc)


def _specs(name, M, N, K):
    """compile()'s arguments: operands stored in their own type, as a Triton
    matmul's are."""
    dtype, acc = _TYPES[name]
    return (kl.pointer_type(dtype), kl.pointer_type(dtype), kl.pointer_type(acc),
            *_scalars(M, N, K))


# ------------------------------------------------------------ numerics

# 64x128 and 128x16 operands: 10240 elements, 40 KiB as f32 (which bf16, fp8
# and int8 were staged as), 20 KiB as bf16, 10 KiB as fp8 and int8: within
# lavapipe's 32 KiB only when each is staged in its own type. 8 warps, as
# Triton's matmuls of this size take: at fewer, lavapipe compiles for long.
@pytest.mark.parametrize("name", ["int8", "bfloat16", "float8e4nv", "float8e5m2"])
def test_a_dot_of_narrow_operands_over_32_kib_as_f32_runs(name):
    M, N, K = 128, 32, 256
    dtype, acc = _TYPES[name]
    a, b, expected = _operands(M, N, K)
    a, b = (kite.from_numpy(x, device=DEVICE, dtype=dtype) for x in (a, b))
    c = np.zeros((M, N), np.int32 if name == "int8" else np.float32)
    out = run(matmul_kernel, (M // 64, N // 16), a, b, c, *_scalars(M, N, K),
              num_warps=8, **_meta(name, 64, 16, 128))[2]
    np.testing.assert_array_equal(out, expected.astype(out.dtype))


# A pipelined loop leaves b (K x N, N contiguous) N-major in its slots;
# tensor cores read 8-bit b K-major, so the dot transposes each slot shared
# memory to shared memory, 4 x 4 bytes at a time (docs/lowering.md): 16, 8
# and 4 rows of K per thread's block, at 4 and 8 warps, K over several
# tiles (the masked last one included), with values at both ends of int8.
@pytest.mark.skipif(DEVICE.startswith("vulkan"),
                    reason="the transpose is the tensor cores' (lavapipe runs these dots as "
                           "FMA loops, and compiles 128 x 128 ones for minutes)")
# Blocks of 8 rows in one pass and in two (their row indices reused a swizzle
# period on), of 4 rows, none (128x64x32 on 8 warps: the old path), and
# 128x256x64, whose 256-byte rows Hopper's slots keep in 128-byte slabs.
@pytest.mark.parametrize("name, BM, BN, BK, warps", [
    ("int8", 128, 128, 64, 4), ("int8", 64, 64, 64, 4), ("int8", 128, 64, 32, 8),
    ("int8", 64, 128, 32, 4), ("int8", 128, 128, 32, 8), ("float8e4nv", 128, 128, 64, 8),
    # wgmma's tile: on mma.sync (sm_80, sm_90) its 128 accumulators spill.
    pytest.param("float8e4nv", 128, 256, 64, 8, marks=pytest.mark.skipif(
        DEVICE not in ("cuda-sim:sm_90a", "interpreter"),
        reason="Hopper's tile: on mma.sync its 128 f32 accumulators per thread spill"))])
def test_n_major_8_bit_b_pipelined_matches_numpy(name, BM, BN, BK, warps):
    M, N, K = BM, BN, 3 * BK + BK // 2
    dtype, acc = _TYPES[name]
    rng = np.random.default_rng(5)
    if name == "int8":
        a = rng.integers(-128, 128, (M, K))
        b = rng.integers(-128, 128, (K, N))
    else:
        a, b = rng.integers(-4, 5, (M, K)), rng.integers(-4, 5, (K, N))
    expected = a @ b
    a_dev, b_dev = (kite.from_numpy(x, device=DEVICE, dtype=dtype) for x in (a, b))
    c = np.zeros((M, N), np.int32 if name == "int8" else np.float32)
    meta = dict(num_stages=3, **_meta(name, BM, BN, BK))
    if DEVICE != "interpreter":
        meta["num_warps"] = warps
    out = run(matmul_kernel, (1, 1), a_dev, b_dev, c, *_scalars(M, N, K), **meta)[2]
    np.testing.assert_array_equal(out, expected.astype(out.dtype))


@pytest.mark.skipif(DEVICE != "interpreter",
                    reason="compiles for cuda:sm_XX whatever the device: once, in the pytest tier")
@pytest.mark.parametrize("arch", ["sm_80", "sm_90a"])
def test_n_major_8_bit_b_is_transposed_shared_to_shared(arch):
    # 64 x 64 x 64 int8 on 4 warps: one block of 8 rows by 4 columns per
    # thread, 8 word loads and 4 8-byte stores, byte shuffles between.
    compiled = matmul_kernel.compile(*_specs("int8", 256, 256, 256), target=f"cuda:{arch}",
                                     num_warps=4, num_stages=3, **_meta("int8", 64, 64, 64))
    ptx = compiled.asm["ptx"]
    assert ptx.count("prmt.b32") >= 16 and ptx.count("ld.shared.b32") >= 8, ptx
    assert "st.shared.v2.b32" in ptx


# ------------------------------------------------- what the stages make

@pytest.mark.parametrize("name, stored", [("int8", "i8"), ("float8e4nv", "i8"),
                                          ("float8e5m2", "i8"), ("bfloat16", "i16"),
                                          ("float16", "f16")])
def test_dot_operands_are_staged_in_their_own_width(name, stored):
    compiled = matmul_kernel.compile(*_specs(name, 128, 32, 256), target="generic",
                                     **_meta(name, 64, 16, 128))
    threads = compiled.asm["threads"]
    staged = re.findall(r"memref<(\d+)x(\w+), #gpu.address_space<workgroup>>", threads)
    assert ("8192", stored) in staged and ("2048", stored) in staged, staged
    # Nothing else of the dot's size is widened on the way.
    assert not [s for s in staged if s[0] in ("8192", "2048") and s[1] != stored], staged


def test_a_dot_over_the_targets_workgroup_memory_is_an_error_at_its_line():
    # bf16 operands 64x256 and 256x64: 65536 bytes; a target without a device
    # gives a program 32 KiB.
    with pytest.raises(kite.CompilationError) as info:
        matmul_kernel.compile(*_specs("bfloat16", 64, 64, 256), target="generic",
                              **_meta("bfloat16", 64, 64, 256))
    assert ("'kite.dot' needs 65536 bytes of workgroup memory for operands 64x256 and "
            "256x64 (as bf16), more than the 32768 a program has on this target; use "
            "smaller blocks (BLOCK_M, BLOCK_N, BLOCK_K)") in str(info.value), str(info.value)
    assert info.value.lineno == line_of(matmul_kernel, "# DOT")


@pytest.mark.skipif(not DEVICE.startswith("vulkan"), reason="the Vulkan device's limit")
def test_the_vulkan_limit_is_the_devices():
    from kite.runtime import registry
    limit = int(registry.vulkan_device(DEVICE).properties.max_shared_memory_bytes)
    # The smallest power-of-two BLOCK_K whose f16 operands (64xK and Kx64)
    # need more than the device has.
    block_k = 16
    while 2 * 64 * block_k * 2 <= limit:
        block_k *= 2
    with pytest.raises(kite.CompilationError, match=rf"more than the {limit} a program has"):
        matmul_kernel.compile(*_specs("float16", 64, 64, block_k), target=DEVICE,
                              **_meta("float16", 64, 64, block_k))


# ----------------------------------------------------------------- NVIDIA

def _compile_cuda(name, arch, BM, BN, BK, num_warps=8):
    # One stage: the dot stages its operands itself (pipelined loops copy
    # them into slots instead; test_software_pipelining.py).
    return matmul_kernel.compile(*_specs(name, 256, 256, 256), target=f"cuda:{arch}",
                                 num_warps=num_warps, num_stages=1,
                                 **_meta(name, BM, BN, BK))


# Triton's matmul tiles. A block's shared memory holds the operands during
# the loop, then the accumulator (4 bytes an element) as it changes layout
# for the store; the NVPTX emitter gives both the same bytes, so a block
# needs the larger of the two. Before, int8 and fp8 operands were staged as
# 4-byte values and any dot over 32 KiB was refused.
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name, tile, operands, stored", [
    ("float16", (128, 128, 64), 32768, "f16"),
    ("float16", (128, 128, 128), 65536, "f16"),  # over 48 KiB: opted in at launch
    ("int8", (128, 128, 64), 16384, "i8"),
    ("float8e4nv", (128, 128, 64), 16384, "i8"),
])
def test_matmul_tiles_compile_for_nvidia_with_the_shared_memory_of_their_operands(
        arch, name, tile, operands, stored):
    BM, BN, BK = tile
    if name == "float8e4nv" and arch == "sm_80":
        # No fp8 tensor cores before sm_89: widened to f16 for mma.sync.
        operands, stored = 2 * operands, "f16"
    compiled = _compile_cuda(name, arch, BM, BN, BK)
    buffers = re.findall(r"memref.alloc\(\) : memref<(\d+)x(\w+), #gpu.address_space<workgroup>>",
                         compiled.asm["threads"])
    # (On tensor cores, the accumulator's f32 buffers come and go around them.)
    assert (str(BM * BK), stored) in buffers and (str(BK * BN), stored) in buffers, buffers
    assert compiled.metadata["shared"] == max(operands, BM * BN * 4)
    assert ".extern .shared .align 16 .b8 __kite_shared[]" in compiled.asm["ptx"]
    if shutil.which("ptxas"):  # it takes the PTX
        assert "cubin" in compiled.asm and compiled.binary


def test_a_dot_over_the_architectures_shared_memory_names_the_op_the_bytes_and_the_limit():
    # f16 operands 128x256 and 256x128 need 128 KiB: sm_90 has 227 KiB per
    # block, sm_86 99 KiB.
    assert _compile_cuda("float16", "sm_90", 128, 128, 256).metadata["shared"] == 131072
    with pytest.raises(kite.CompilationError) as info:
        _compile_cuda("float16", "sm_86", 128, 128, 256)
    assert ("'kite.dot' needs 131072 bytes of workgroup memory for operands 128x256 and "
            "256x128 (as f16), more than the 101376 a program has on this target"
            ) in str(info.value), str(info.value)
    assert info.value.lineno == line_of(matmul_kernel, "# DOT")
