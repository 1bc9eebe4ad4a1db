"""kl.dot on NVIDIA tensor cores (sm_80 and later): mma.sync m16n8k16 for
f16 and bf16 operands (and fp8 widened to f16 before sm_89), m16n8k8 tf32
for f32 operands when input_precision allows it (Triton's default), and
m16n8k32 for int8 and, from sm_89, fp8; operands read by ldmatrix from
swizzled shared memory. Where the block's shape allows a grid of warps over
16x8 tiles and K is at least one instruction's; the FMA loop otherwise and
on every other target (docs/lowering.md, "Dots"). The numerics run on every
device of the tier; on cuda-sim they execute the tensor-core instructions."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, line_of, run


@kite.kernel
def dot_kernel(a_ptr, b_ptr, c_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr,
               K: kl.constexpr, PRECISION: kl.constexpr = "tf32",
               TRANS_A: kl.constexpr = False, TRANS_B: kl.constexpr = False):
    m = kl.arange(0, M)
    n = kl.arange(0, N)
    k = kl.arange(0, K)
    if TRANS_A:  # a stored column-major (K x M)
        a = kl.trans(kl.load(a_ptr + k[:, None] * M + m[None, :]))
    else:
        a = kl.load(a_ptr + m[:, None] * K + k[None, :])
    if TRANS_B:  # b stored as b^T (N x K), as in attention's q @ k^T
        b = kl.trans(kl.load(b_ptr + n[:, None] * K + k[None, :]))
    else:
        b = kl.load(b_ptr + k[:, None] * N + n[None, :])
    c = kl.load(c_ptr + m[:, None] * N + n[None, :])
    kl.store(out_ptr + m[:, None] * N + n[None, :],
             kl.dot(a, b, acc=c, input_precision=PRECISION))  # DOT


# name: (operands, accumulator, numpy accumulator, input_precision).
# bf16 with an f16 accumulator is not a kl.dot.
_TYPES = {"f16-f32": (kl.float16, kl.float32, np.float32, "tf32"),
          "f16-f16": (kl.float16, kl.float16, np.float16, "tf32"),
          "bf16-f32": (kl.bfloat16, kl.float32, np.float32, "tf32"),
          "f32-tf32": (kl.float32, kl.float32, np.float32, "tf32"),
          "f32-ieee": (kl.float32, kl.float32, np.float32, "ieee"),
          "i8-i32": (kl.int8, kl.int32, np.int32, "tf32"),
          "e4m3-f32": (kl.float8e4m3, kl.float32, np.float32, "tf32"),
          "e5m2-f32": (kl.float8e5m2, kl.float32, np.float32, "tf32")}

# (M, N, K, num_warps): shapes on tensor cores (one tile on one warp; 4 and
# 8 warps in 2x2, 4x1, 2x4 grids), and two the FMA loop keeps (K = 8; N too
# narrow for any grid of 4 warps). 8-bit operands need K >= 32 for m16n8k32.
# f32 operands of each fit lavapipe's 32 KiB of workgroup memory.
_SHAPES = [(16, 8, 16, 1), (64, 64, 32, 4), (32, 64, 64, 4), (128, 32, 16, 8),
           (64, 16, 64, 2), (16, 16, 8, 1), (16, 8, 32, 4), (32, 32, 128, 8)]


def _operands(name, M, N, K):
    """Values every operand type holds exactly (multiples of 1/8 in [-2, 2];
    of 1/4 for e5m2, whose mantissa has 2 bits; integers for int8) and c in
    [-8, 8]: every product and sum is exact in f32 (and tf32 keeps the
    operands), so a result is the same in any order of summation."""
    rng = np.random.default_rng(M * 10000 + N * 100 + K)
    _, _, acc, _ = _TYPES[name]
    scale = {"i8-i32": 1, "e5m2-f32": 4}.get(name, 8)
    a = rng.integers(-2 * scale, 2 * scale + 1, (M, K)) / scale
    b = rng.integers(-2 * scale, 2 * scale + 1, (K, N)) / scale
    c = (rng.integers(-64, 65, (M, N)) / 8).astype(acc)
    if name == "i8-i32":
        c = rng.integers(-1000, 1000, (M, N)).astype(np.int32)
    return a, b, c


def _run(name, M, N, K, num_warps, trans_a=False, trans_b=False):
    dtype, _, acc, precision = _TYPES[name]
    a, b, c = _operands(name, M, N, K)
    # c + a @ b, rounded once to the accumulator type.
    expected = (c.astype(np.float64) + a @ b).astype(acc)
    host = np.int8 if dtype == kl.int8 else np.float32
    a_stored = a.T if trans_a else a
    b_stored = b.T if trans_b else b
    ad, bd = (kite.from_numpy(np.ascontiguousarray(x).astype(host), device=DEVICE, dtype=dtype)
              for x in (a_stored, b_stored))
    meta = {} if DEVICE == "interpreter" else {"num_warps": num_warps}
    out = run(dot_kernel, (1,), ad, bd, c, np.zeros((M, N), acc), M=M, N=N, K=K,
              PRECISION=precision, TRANS_A=trans_a, TRANS_B=trans_b, **meta)[-1]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("types", list(_TYPES))
@pytest.mark.parametrize("M, N, K, num_warps", _SHAPES)
def test_dot_on_tensor_cores(types, M, N, K, num_warps):
    _run(types, M, N, K, num_warps)


@pytest.mark.parametrize("types", ["f16-f32", "bf16-f32", "f32-tf32", "i8-i32", "e4m3-f32"])
@pytest.mark.parametrize("trans_a, trans_b", [(True, False), (False, True), (True, True)])
def test_dot_of_transposed_operands(types, trans_a, trans_b):
    _run(types, 64, 32, 64, 4, trans_a, trans_b)


def _compile(target, dtype=kl.float16, acc=kl.float32, shape=(64, 64, 32), num_warps=4,
             **meta):
    M, N, K = shape
    return dot_kernel.compile(kl.pointer_type(dtype), kl.pointer_type(dtype),
                              kl.pointer_type(acc), kl.pointer_type(acc), target=target,
                              num_warps=num_warps, M=M, N=N, K=K, **meta)


# (arch, operands, accumulator, PTX instruction, its K).
_INSTRUCTIONS = [
    ("sm_80", kl.float16, kl.float32, "m16n8k16.row.col.f32.f16.f16.f32", 16),
    ("sm_90", kl.float16, kl.float16, "m16n8k16.row.col.f32.f16.f16.f32", 16),
    ("sm_80", kl.bfloat16, kl.float32, "m16n8k16.row.col.f32.bf16.bf16.f32", 16),
    ("sm_80", kl.float32, kl.float32, "m16n8k8.row.col.f32.tf32.tf32.f32", 8),
    ("sm_90", kl.int8, kl.int32, "m16n8k32.row.col.satfinite.s32.s8.s8.s32", 32),
    ("sm_89", kl.float8e4m3, kl.float32, "m16n8k32.row.col.f32.e4m3.e4m3.f32", 32),
    ("sm_90", kl.float8e5m2, kl.float32, "m16n8k32.row.col.f32.e5m2.e5m2.f32", 32),
    # No fp8 mma before sm_89: the operands are widened to f16 (exact).
    ("sm_80", kl.float8e4m3, kl.float32, "m16n8k16.row.col.f32.f16.f16.f32", 16),
]


@pytest.mark.parametrize("arch, dtype, acc, instruction, k", _INSTRUCTIONS)
def test_a_dot_is_mma_sync_on_sm_80_and_later(arch, dtype, acc, instruction, k):
    compiled = _compile(f"cuda:{arch}", dtype, acc)
    # 64x64 over 4 warps: a 2x2 grid of 32x32 blocks, 2x4 tiles of 16x8
    # each, for each (unrolled) step of K = 32.
    steps = 32 // k
    threads = compiled.asm["threads"]
    assert threads.count("kitethread.mma_sync") == 8 * steps
    # Fragments by ldmatrix.x4: one per 16 rows of a warp's A (2), one per
    # 16 columns of its B (2), each step.
    assert threads.count("kitethread.ldmatrix") == 4 * steps
    ptx = compiled.asm["ptx"]
    assert f"mma.sync.aligned.{instruction}" in ptx
    assert len(re.findall(r"ldmatrix\.sync\.aligned\.m8n8\.x4\.shared\.b16", ptx)) == 4 * steps
    assert not re.search(r"\bfma\.rn\.f32\b|\bmad\.lo\.s32\b", ptx)


def test_fp8_tensor_cores_raise_the_ptx_version_to_8_4():
    compiled = _compile("cuda:sm_89", kl.float8e4m3)
    assert re.search(r"^\.version 8\.4$", compiled.asm["ptx"], re.M)
    # f16 needs nothing newer than LLVM's default for the architecture.
    assert ".version 8.4" not in _compile("cuda:sm_89", kl.float16).asm["ptx"]


@pytest.mark.parametrize("target, dtype, shape, precision", [
    ("cuda:sm_80", kl.float32, (64, 64, 32), "ieee"),   # exact f32 products asked for
    ("cuda:sm_80", kl.float32, (64, 64, 32), "tf32x3"),  # computed as "ieee"
    ("cuda:sm_75", kl.float16, (64, 64, 32), "tf32"),   # before sm_80
    ("cuda:sm_80", kl.float16, (64, 64, 8), "tf32"),    # K is less than one mma's
    ("cuda:sm_80", kl.int8, (64, 64, 16), "tf32"),      # ... for int8 (32)
    ("generic", kl.float16, (64, 64, 32), "tf32"),
])
def test_other_dots_and_targets_keep_the_fma_loop(target, dtype, shape, precision):
    acc = kl.int32 if dtype == kl.int8 else kl.float32
    compiled = _compile(target, dtype, acc, shape=shape, PRECISION=precision)
    assert "kitethread.mma_sync" not in compiled.asm["threads"]
    assert "arith.mul" in compiled.asm["threads"]
    if "ptx" in compiled.asm:
        assert "mma.sync" not in compiled.asm["ptx"]


@pytest.mark.skipif(not DEVICE.startswith("vulkan"), reason="needs a Vulkan device")
def test_vulkan_keeps_the_fma_loop():
    compiled = _compile(DEVICE, kl.float32)
    assert "kitethread.mma_sync" not in compiled.asm["threads"]


# ---------------------------------------------------------- input_precision

@kite.kernel
def precision_kernel(a_ptr, out_ptr, MODE: kl.constexpr):
    i = kl.arange(0, 16)
    a = kl.load(a_ptr + i[:, None] * 16 + i[None, :])
    if MODE == "default":
        d = kl.dot(a, a)
    elif MODE == "no_tf32":
        d = kl.dot(a, a, allow_tf32=False)
    elif MODE == "both":
        d = kl.dot(a, a, input_precision="tf32", allow_tf32=True)  # BOTH
    else:
        d = kl.dot(a, a, input_precision=MODE)  # GIVEN
    kl.store(out_ptr + i[:, None] * 16 + i[None, :], d)


def _kite_ir(mode, dtype=kl.float32):
    return precision_kernel.compile(kl.pointer_type(dtype), kl.pointer_type(kl.float32),
                                    target="generic", MODE=mode).asm["kite"]


@pytest.mark.parametrize("mode, expected", [("default", "tf32"), ("no_tf32", "ieee"),
                                            ("ieee", "ieee"), ("tf32x3", "tf32x3")])
def test_input_precision_resolves_as_triton(mode, expected):
    ir = _kite_ir(mode)
    if expected == "ieee":  # the default value, not printed
        assert "input_precision" not in ir
    else:
        assert f'input_precision = "{expected}"' in ir


def test_input_precision_only_marks_f32_dots():
    assert "input_precision" not in _kite_ir("default", kl.float16)


@pytest.mark.parametrize("mode, message, marker", [
    ("both", "kl.dot: give input_precision or allow_tf32, not both", "# BOTH"),
    ("bf16x9", "kl.dot: input_precision must be one of 'tf32', 'tf32x3', 'ieee', got 'bf16x9'",
     "# GIVEN"),
])
def test_input_precision_errors(mode, message, marker):
    with pytest.raises(kite.CompilationError) as info:
        _kite_ir(mode)
    assert message in str(info.value), str(info.value)
    assert info.value.lineno == line_of(precision_kernel, marker)


@pytest.mark.skipif(DEVICE == "interpreter", reason="compiles for a device")
def test_tf32_rounds_f32_operands_on_tensor_cores():
    """f32 operands with bits below tf32's 10-bit mantissa: "ieee" is exact
    everywhere; the default "tf32" on tensor cores drops those bits (the
    hardware ignores the low 13 bits of each operand), elsewhere it is
    exact too."""
    a = np.full((16, 16), 1 + 2.0 ** -20, np.float32)
    ad = kite.from_numpy(a, device=DEVICE)
    exact = run(precision_kernel, (1,), ad, np.zeros((16, 16), np.float32), MODE="ieee",
                num_warps=1)[-1]
    np.testing.assert_array_equal(exact, np.float32(16 * (1 + 2.0 ** -20) ** 2))
    tf32 = run(precision_kernel, (1,), ad, np.zeros((16, 16), np.float32), MODE="default",
               num_warps=1)[-1]  # one warp: one 16x16 block of tiles
    tensor_cores = "kitethread.mma_sync" in precision_kernel.compile(
        kl.pointer_type(kl.float32), kl.pointer_type(kl.float32), target=DEVICE,
        num_warps=1, MODE="default").asm["threads"]
    assert tensor_cores == bool(re.match(r"cuda-sim:sm_([89]\d|\d{3})", DEVICE)) or \
        DEVICE.startswith("cuda:")
    np.testing.assert_array_equal(tf32, np.float32(16.0) if tensor_cores else exact)


# ------------------------------------------------------------ chained dots

@kite.kernel
def chained_kernel(a_ptr, b_ptr, c_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr,
                   K: kl.constexpr, SCALE: kl.constexpr):
    m = kl.arange(0, M)
    n = kl.arange(0, N)
    k = kl.arange(0, K)
    a = kl.load(a_ptr + m[:, None] * K + k[None, :])
    b = kl.load(b_ptr + k[:, None] * N + n[None, :])
    c = kl.load(c_ptr + n[:, None] * K + k[None, :])
    p = kl.dot(a, b)
    if SCALE:  # an element-wise step between the dots, as attention's softmax
        p = p * 0.5
    kl.store(out_ptr + m[:, None] * K + k[None, :], kl.dot(p.to(kl.float16), c))


def _chained_operands():
    rng = np.random.default_rng(5)
    a, b, c = (rng.integers(-8, 9, shape) / 8 for shape in ((64, 32), (32, 32), (32, 32)))
    return a, b, c


@pytest.mark.parametrize("scale", [False, True])
def test_chained_dots(scale):
    """P = A B (scaled), then P C: as attention's S = Q K^T and P V."""
    a, b, c = _chained_operands()
    p = (a @ b) * (0.5 if scale else 1.0)
    expected = p.astype(np.float16).astype(np.float64) @ c
    a, b, c = (kite.from_numpy(x.astype(np.float16), device=DEVICE) for x in (a, b, c))
    meta = {} if DEVICE == "interpreter" else {"num_warps": 4}
    out = run(chained_kernel, (1,), a, b, c, np.zeros((64, 32), np.float32), M=64, N=32, K=32,
              SCALE=scale, **meta)[-1]
    np.testing.assert_array_equal(out, expected.astype(np.float32))


@pytest.mark.parametrize("scale", [False, True])
def test_a_chained_dot_takes_p_from_registers(scale):
    compiled = chained_kernel.compile(*[kl.pointer_type(kl.float16)] * 3,
                                      kl.pointer_type(kl.float32), target="cuda:sm_80",
                                      num_warps=4, M=64, N=32, K=32, SCALE=scale)
    threads = compiled.asm["threads"]
    # All 4 warps along M (16 rows each) for both dots. The first reads A
    # (one x4 per K step) and B (two x4: 32 columns); the second only its B:
    # P's registers are its A fragments: the only 64x32 f16 buffer staged
    # is the first dot's A.
    assert threads.count("kitethread.ldmatrix") == 2 * (1 + 2) + 2 * 2
    assert "warpsPerCTA = [4, 1]" in compiled.asm["kitegpu"]
    assert threads.count("memref.alloc() : memref<2048xf16") == 1


# ------------------------------------------------------- flash attention

@kite.kernel
def attention_kernel(q_ptr, k_ptr, v_ptr, o_ptr, n_ctx, sm_scale, HEAD_DIM: kl.constexpr,
                     BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr, CAUSAL: kl.constexpr):
    # Triton's fused-attention forward: an online softmax over blocks of keys.
    start_m = kl.program_id(0)
    offs_m = start_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_n = kl.arange(0, BLOCK_N)
    offs_d = kl.arange(0, HEAD_DIM)
    q = kl.load(q_ptr + offs_m[:, None] * HEAD_DIM + offs_d[None, :])
    m_i = kl.zeros([BLOCK_M], dtype=kl.float32) - float("inf")
    l_i = kl.zeros([BLOCK_M], dtype=kl.float32) + 1.0
    acc = kl.zeros([BLOCK_M, HEAD_DIM], dtype=kl.float32)
    qk_scale = sm_scale * 1.44269504
    hi = (start_m + 1) * BLOCK_M if CAUSAL else n_ctx
    for start_n in range(0, hi, BLOCK_N):
        k = kl.load(k_ptr + (start_n + offs_n)[None, :] * HEAD_DIM + offs_d[:, None])
        qk = kl.dot(q, k)
        if CAUSAL:
            keep = offs_m[:, None] >= (start_n + offs_n)[None, :]
            qk = qk * qk_scale + kl.where(keep, 0, -1.0e6)
        else:
            qk = qk * qk_scale
        m_ij = kl.maximum(m_i, kl.max(qk, 1))
        p = kl.math.exp2(qk - m_ij[:, None])
        alpha = kl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + kl.sum(p, 1)
        acc = acc * alpha[:, None]
        v = kl.load(v_ptr + (start_n + offs_n)[:, None] * HEAD_DIM + offs_d[None, :])
        acc = kl.dot(p.to(kl.float16), v, acc)
        m_i = m_ij
    acc = acc / l_i[:, None]
    kl.store(o_ptr + offs_m[:, None] * HEAD_DIM + offs_d[None, :], acc.to(kl.float16))


_ATTENTION = dict(HEAD_DIM=32, BLOCK_M=64, BLOCK_N=32)


@pytest.mark.parametrize("causal", [False, True])
def test_flash_attention_forward(causal):
    n_ctx, d = 128, _ATTENTION["HEAD_DIM"]
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((n_ctx, d)).astype(np.float16) for _ in range(3))
    scale = 1 / np.sqrt(d)
    s = (q.astype(np.float64) @ k.astype(np.float64).T) * scale
    if causal:
        s = np.where(np.tril(np.ones((n_ctx, n_ctx), bool)), s, -np.inf)
    p = np.exp(s - s.max(1, keepdims=True))
    expected = (p / p.sum(1, keepdims=True)) @ v.astype(np.float64)
    qd, kd, vd = (kite.from_numpy(x, device=DEVICE) for x in (q, k, v))
    meta = {} if DEVICE == "interpreter" else {"num_warps": 4}
    out = run(attention_kernel, (n_ctx // _ATTENTION["BLOCK_M"],), qd, kd, vd,
              np.zeros((n_ctx, d), np.float16), n_ctx, float(scale), CAUSAL=causal,
              **_ATTENTION, **meta)[3]
    # P in f16 and the output in f16.
    np.testing.assert_allclose(out.astype(np.float64), expected, atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("causal", [False, True])
def test_flash_attention_keeps_its_scores_in_registers(causal):
    compiled = attention_kernel.compile(
        *[kl.pointer_type(kl.float16)] * 4, kl.int32, kl.float32, target="cuda:sm_80",
        num_warps=4, CAUSAL=causal, **_ATTENTION)
    gpu = compiled.asm["kitegpu"]
    loop = gpu[gpu.index("scf.for"):gpu.index("scf.yield")]
    # In the loop, no 2-D block changes layout: the scores, P and the
    # accumulator stay in the accumulators' layout (only row vectors do).
    assert not re.search(r"convert_layout %\w+ : tensor<\d+x\d+x", loop), loop
    threads = compiled.asm["threads"]
    # Q and P are read from registers: ldmatrix only for K and V, per K
    # step of 16 one x4 per 16 columns of the 4 warps' (all along M) B.
    assert threads.count("kitethread.ldmatrix") == (32 // 16) * (32 // 16) + (32 // 16) * (32 // 16)
    assert compiled.metadata["n_spills"] == 0
