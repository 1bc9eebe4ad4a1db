"""The Hopper cases of the GPU benchmark (group ``hopper``, the wgmma issue):
the tutorial matmul at the block shapes Triton uses on an H100 (fp16 and
fp8 e4m3, 128x128x64 and 128x256x64 tiles of 8 warps, 3 and 4 stages),
the tutorial's persistent matmul (one program per SM looping over tiles,
fp16 128x128x64, 8 warps, 3 stages), the matmul through host tensor
descriptors (TMA in both compilers; 128x128x64 and 128x256x64, 8 warps,
3 stages) and a flash-attention forward (head
dims 64 and 128, causal and not), each for Kite, Triton and cuBLAS
(PyTorch's matmul; ``torch._scaled_mm`` for fp8) or PyTorch's
scaled_dot_product_attention. On a Hopper device Kite
compiles for sm_90a, so its dots run on wgmma, as Triton's do.

The kernels are the texts both compilers compile (gpu/kernels.py's matmul,
benchmarks/tensor_core_kernels.py's attention, persistent and descriptor
matmuls); the launches are ``matmul``, ``persistent_matmul``,
``descriptor_matmul`` and ``attention`` here, the
same for both. ``smoke`` checks
each configuration without a GPU, on cuda-sim:sm_90a (the code a Hopper
runs) at a small size."""
from __future__ import annotations

import math

import numpy as np

from . import launchers, metrics
from .cases import DEVICE, TOLERANCE, Case, _nan, fp32_matmul

# Triton's tutorial configurations for an H100 (8 warps).
MATMUL_CONFIGS = tuple(launchers.MatmulConfig(128, n, 64, 8, 8, stages)
                       for n in (128, 256) for stages in (3, 4))
MATMUL_SIZE = 8192
# (batch x heads, context, head dim, causal): 32 heads of 4096 tokens.
ATTENTION_SHAPES = tuple((32, 4096, d, causal) for d in (64, 128) for causal in (False, True))
ATTENTION_BLOCK_M, ATTENTION_BLOCK_N, ATTENTION_WARPS, ATTENTION_STAGES = 128, 64, 8, 3
# attention: an fp16 output of values within the inputs' range.
HOPPER_TOLERANCE = dict(TOLERANCE, attention=dict(o=(2e-2, 2e-2)),
                        matmul_fp8=dict(c=(3e-2, 3e-2)))


def tensor_core_kernels(compiler: str):
    """tensor_core_kernels.py's attention and persistent matmul, compiled by
    ``compiler``."""
    import tensor_core_kernels  # benchmarks/, on sys.path wherever gpu is
    return tensor_core_kernels.load(compiler)


def attention(k, q, kk, v, o, heads: int, n_ctx: int, head_dim: int, causal: bool):
    """One program per 128 query rows of one head; q, k, v, o are
    [heads, n_ctx, head_dim] contiguous."""
    grid = (n_ctx // ATTENTION_BLOCK_M, heads)
    k.attention_kernel[grid](q, kk, v, o, n_ctx * head_dim, head_dim, n_ctx,
                             1.0 / math.sqrt(head_dim), HEAD_DIM=head_dim,
                             BLOCK_M=ATTENTION_BLOCK_M, BLOCK_N=ATTENTION_BLOCK_N,
                             CAUSAL=causal, num_warps=ATTENTION_WARPS,
                             num_stages=ATTENTION_STAGES)


# Triton's persistent-matmul configuration for an H100 (fp16).
PERSISTENT_CONFIG = dict(BLOCK_SIZE_M=128, BLOCK_SIZE_N=128, BLOCK_SIZE_K=64, GROUP_SIZE_M=8)
PERSISTENT_WARPS, PERSISTENT_STAGES = 8, 3


def persistent_matmul(k, a, b, c, m: int, n: int, kk: int, programs: int):
    """tensor_core_kernels.py's persistent matmul: ``programs`` programs
    (the SM count), each looping over the output tiles ``programs`` apart;
    a, b, c row-major."""
    tiles = math.ceil(m / 128) * math.ceil(n / 128)
    grid = (min(programs, tiles),)
    k.matmul_kernel_persistent[grid](a, b, c, m, n, kk, kk, 1, n, 1, n, 1,
                                     NUM_SMS=grid[0], num_warps=PERSISTENT_WARPS,
                                     num_stages=PERSISTENT_STAGES, **PERSISTENT_CONFIG)


# The descriptor matmul's tiles (TMA in both compilers; host descriptors).
DESCRIPTOR_TILES = ((128, 128, 64), (128, 256, 64))
DESCRIPTOR_WARPS, DESCRIPTOR_STAGES = 8, 3


def descriptor_class(k):
    """The TensorDescriptor class of the compiler ``k``'s kernels were
    loaded with (kite.TensorDescriptor, or Triton's)."""
    import importlib
    return importlib.import_module(k.triton.__name__ + ".tools.tensor_descriptor").TensorDescriptor


def descriptor_matmul(k, a, b, c, tile):
    """tensor_core_kernels.py's descriptor matmul: a, b, c row-major, one
    program per ``tile`` = (BM, BN, BK) of C, every operand a host
    descriptor (TMA on sm_90a)."""
    bm, bn, bk = tile
    make = descriptor_class(k).from_tensor
    m, n = c.shape
    k.descriptor_matmul_kernel[(math.ceil(m / bm), math.ceil(n / bn))](
        make(a, [bm, bk]), make(b, [bk, bn]), make(c, [bm, bn]), a.shape[1],
        BLOCK_SIZE_M=bm, BLOCK_SIZE_N=bn, BLOCK_SIZE_K=bk, num_warps=DESCRIPTOR_WARPS,
        num_stages=DESCRIPTOR_STAGES)


def config_name(config: launchers.MatmulConfig) -> str:
    return (f"{config.BLOCK_M}x{config.BLOCK_N}x{config.BLOCK_K} tiles, "
            f"{config.num_warps} warps, {config.num_stages} stages")


def matmul_case(torch, kk, tk, config: launchers.MatmulConfig, fp8: bool) -> Case:
    m = n = k = MATMUL_SIZE
    dtype = torch.float8_e4m3fn if fp8 else torch.float16

    def make_inputs():
        # B scaled by 1/sqrt(K): C is about N(0, 1).
        a = torch.randn(m, k, device=DEVICE)
        b = torch.randn(k, n, device=DEVICE) / math.sqrt(k)
        if fp8:  # B times 16: N(0, 1/K) would be mostly e4m3 subnormals
            a, b = a.clamp(-448, 448), (b * 16).clamp(-448, 448)
        return dict(a=a.to(dtype), b=b.to(dtype))

    def launch(kernels):
        def fn(i, o):
            launchers.matmul(kernels, i["a"], i["b"], o["c"], m, n, k, config)
            return o
        return fn

    def reference(i):
        return dict(c=fp32_matmul(torch, i["a"], i["b"]).half())

    def cublas(i, o):
        if not fp8:
            return dict(c=torch.matmul(i["a"], i["b"]))
        one = torch.ones((), device=DEVICE)
        # cuBLAS's fp8 GEMM wants B column-major.
        return dict(c=torch._scaled_mm(i["a"], i["b"].t().contiguous().t(), scale_a=one,
                                       scale_b=one, out_dtype=torch.float16))

    group = "matmul_fp8" if fp8 else "matmul"
    return Case("hopper", f"matmul {'fp8 e4m3' if fp8 else 'fp16'} (fp32 acc), "
                f"{config_name(config)}", f"{m}x{n}x{k}", "TFLOP/s",
                metrics.matmul_flops(m, n, k), make_inputs,
                lambda i: dict(c=_nan(torch, (m, n), torch.float16)), reference,
                HOPPER_TOLERANCE[group],
                dict(torch=cublas, triton=launch(tk), kite=launch(kk)))


def persistent_matmul_case(torch, kk, tk) -> Case:
    m = n = k = MATMUL_SIZE

    def make_inputs():
        a = torch.randn(m, k, device=DEVICE)
        b = torch.randn(k, n, device=DEVICE) / math.sqrt(k)
        return dict(a=a.half(), b=b.half())

    def launch(kernels):
        def fn(i, o):
            sms = torch.cuda.get_device_properties(0).multi_processor_count
            persistent_matmul(kernels, i["a"], i["b"], o["c"], m, n, k, sms)
            return o
        return fn

    def reference(i):
        return dict(c=fp32_matmul(torch, i["a"], i["b"]).half())

    return Case("hopper", "persistent matmul fp16 (fp32 acc), 128x128x64 tiles, "
                f"{PERSISTENT_WARPS} warps, {PERSISTENT_STAGES} stages, one program per SM",
                f"{m}x{n}x{k}", "TFLOP/s", metrics.matmul_flops(m, n, k), make_inputs,
                lambda i: dict(c=_nan(torch, (m, n), torch.float16)), reference,
                HOPPER_TOLERANCE["matmul"],
                dict(torch=lambda i, o: dict(c=torch.matmul(i["a"], i["b"])),
                     triton=launch(tk), kite=launch(kk)))


def descriptor_matmul_case(torch, kk, tk, tile) -> Case:
    m = n = k = MATMUL_SIZE

    def make_inputs():
        a = torch.randn(m, k, device=DEVICE)
        b = torch.randn(k, n, device=DEVICE) / math.sqrt(k)
        return dict(a=a.half(), b=b.half())

    def launch(kernels):
        def fn(i, o):
            descriptor_matmul(kernels, i["a"], i["b"], o["c"], tile)
            return o
        return fn

    def reference(i):
        return dict(c=fp32_matmul(torch, i["a"], i["b"]).half())

    return Case("hopper", "descriptor (TMA) matmul fp16 (fp32 acc), "
                f"{tile[0]}x{tile[1]}x{tile[2]} tiles, {DESCRIPTOR_WARPS} warps, "
                f"{DESCRIPTOR_STAGES} stages", f"{m}x{n}x{k}", "TFLOP/s",
                metrics.matmul_flops(m, n, k), make_inputs,
                lambda i: dict(c=_nan(torch, (m, n), torch.float16)), reference,
                HOPPER_TOLERANCE["matmul"],
                dict(torch=lambda i, o: dict(c=torch.matmul(i["a"], i["b"])),
                     triton=launch(tk), kite=launch(kk)))


def attention_case(torch, ka, ta, heads: int, n_ctx: int, head_dim: int, causal: bool) -> Case:
    shape = (heads, n_ctx, head_dim)

    def make_inputs():
        return {name: (torch.randn(shape, device=DEVICE) / 2).half() for name in "qkv"}

    def launch(kernels):
        def fn(i, o):
            attention(kernels, i["q"], i["k"], i["v"], o["o"], heads, n_ctx, head_dim, causal)
            return o
        return fn

    def reference(i):
        q, k, v = (i[name].float() for name in "qkv")
        s = q @ k.transpose(1, 2) / math.sqrt(head_dim)
        if causal:
            s = s.masked_fill(~torch.ones(n_ctx, n_ctx, dtype=torch.bool,
                                          device=DEVICE).tril(), float("-inf"))
        return dict(o=(torch.softmax(s, -1) @ v).half())

    def sdpa(i, o):
        import torch.nn.functional as F
        return dict(o=F.scaled_dot_product_attention(i["q"][None], i["k"][None], i["v"][None],
                                                     is_causal=causal)[0])

    # Two products of 2 n_ctx^2 d flops per head, halved when causal.
    flops = 4.0 * heads * n_ctx * n_ctx * head_dim * (0.5 if causal else 1.0)
    return Case("hopper", f"attention fwd fp16, d={head_dim}{' causal' if causal else ''}",
                f"{heads}x{n_ctx}x{head_dim}", "TFLOP/s", flops, make_inputs,
                lambda i: dict(o=_nan(torch, shape, torch.float16)), reference,
                HOPPER_TOLERANCE["attention"],
                dict(torch=sdpa, triton=launch(ta), kite=launch(ka)))


def cases(torch, kite_kernels, triton_kernels) -> list:
    kite_tc, triton_tc = (_or_failure(tensor_core_kernels, "kite"),
                          _or_failure(tensor_core_kernels, "triton"))
    out = [matmul_case(torch, kite_kernels, triton_kernels, c, fp8)
           for fp8 in (False, True) for c in MATMUL_CONFIGS]
    out.append(persistent_matmul_case(torch, kite_tc, triton_tc))
    out += [descriptor_matmul_case(torch, kite_tc, triton_tc, t) for t in DESCRIPTOR_TILES]
    out += [attention_case(torch, kite_tc, triton_tc, *s) for s in ATTENTION_SHAPES]
    return out


class _Unavailable:
    """Kernels that could not be loaded: each fails with why."""

    def __init__(self, why: str):
        self.why = why

    def __getattr__(self, name):
        raise RuntimeError(self.why)


def _or_failure(load, compiler: str):
    try:
        return load(compiler)
    except Exception as exc:  # the column then shows why
        return _Unavailable(f"{compiler}'s kernels did not load: {exc}")


# ------------------------------------------------------------------ without a GPU

SMOKE_DEVICE = "cuda-sim:sm_90a"


def smoke_matmul(config: launchers.MatmulConfig, fp8: bool):
    """One block-row and a ragged one, a K that ends inside a block, on
    cuda-sim:sm_90a."""
    def check(device, rng):
        import kite
        import kite.language as kl
        from . import load_kernels
        m, n, k = config.BLOCK_M + 3, config.BLOCK_N + 5, 2 * config.BLOCK_K + 7
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        dtype = kl.float8e4nv if fp8 else kl.float16
        ta = kite.from_numpy(a, device=SMOKE_DEVICE, dtype=dtype)
        tb = kite.from_numpy(b, device=SMOKE_DEVICE, dtype=dtype)
        c = kite.from_numpy(np.full((m, n), np.nan, np.float16), device=SMOKE_DEVICE)
        launchers.matmul(load_kernels("kite"), ta, tb, c, m, n, k, config)
        expected = ta.numpy().astype(np.float32) @ tb.numpy().astype(np.float32)
        np.testing.assert_allclose(c.numpy().astype(np.float64), expected, rtol=1e-2, atol=1e-2)
    return check


def smoke_persistent_matmul():
    """Tiles cut at both edges, K ending inside a block, over fewer programs
    than tiles, on cuda-sim:sm_90a."""
    def check(device, rng):
        import kite
        m, n, k = 2 * 128 + 3, 128 + 5, 2 * 64 + 7
        a = (rng.standard_normal((m, k)) / 2).astype(np.float16)
        b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float16)
        c = kite.from_numpy(np.full((m, n), np.nan, np.float16), device=SMOKE_DEVICE)
        persistent_matmul(tensor_core_kernels("kite"), kite.from_numpy(a, device=SMOKE_DEVICE),
                          kite.from_numpy(b, device=SMOKE_DEVICE), c, m, n, k, programs=2)
        expected = a.astype(np.float64) @ b.astype(np.float64)
        np.testing.assert_allclose(c.numpy().astype(np.float64), expected, rtol=1e-2, atol=1e-2)
    return check


def smoke_descriptor_matmul(tile):
    """C tiles cut at both edges, K ending inside a block (strides still
    multiples of 16 elements, so TMA copies), on cuda-sim:sm_90a."""
    def check(device, rng):
        import kite
        m, n, k = tile[0] + 16, tile[1] + 32, 2 * tile[2] + 16
        a = (rng.standard_normal((m, k)) / 2).astype(np.float16)
        b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float16)
        c = kite.from_numpy(np.full((m, n), np.nan, np.float16), device=SMOKE_DEVICE)
        descriptor_matmul(tensor_core_kernels("kite"), kite.from_numpy(a, device=SMOKE_DEVICE),
                          kite.from_numpy(b, device=SMOKE_DEVICE), c, tile)
        expected = a.astype(np.float64) @ b.astype(np.float64)
        np.testing.assert_allclose(c.numpy().astype(np.float64), expected, rtol=1e-2, atol=1e-2)
    return check


def smoke_attention(head_dim: int, causal: bool):
    def check(device, rng):
        import kite
        heads, n_ctx = 1, 2 * ATTENTION_BLOCK_M
        q, k, v = (rng.standard_normal((3, heads, n_ctx, head_dim)) / 2).astype(np.float16)
        o = kite.from_numpy(np.full(q.shape, np.nan, np.float16), device=SMOKE_DEVICE)
        attention(tensor_core_kernels("kite"), *(kite.from_numpy(x, device=SMOKE_DEVICE)
                                               for x in (q, k, v)), o, heads, n_ctx,
                  head_dim, causal)
        s = q.astype(np.float64) @ k.astype(np.float64).transpose(0, 2, 1) / math.sqrt(head_dim)
        if causal:
            s = np.where(np.tril(np.ones((n_ctx, n_ctx), bool)), s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        expected = (p / p.sum(-1, keepdims=True)) @ v.astype(np.float64)
        np.testing.assert_allclose(o.numpy().astype(np.float64), expected, rtol=2e-2, atol=2e-2)
    return check


def smoke_checks() -> dict:
    """{name: check(device, rng)} of every Hopper configuration."""
    checks = {}
    for fp8 in (False, True):
        for config in MATMUL_CONFIGS:
            checks[f"hopper matmul {'fp8' if fp8 else 'fp16'}, {config_name(config)}"] = \
                smoke_matmul(config, fp8)
    checks["hopper persistent matmul fp16"] = smoke_persistent_matmul()
    for tile in DESCRIPTOR_TILES:
        checks[f"hopper descriptor matmul fp16 {tile[0]}x{tile[1]}x{tile[2]}"] = \
            smoke_descriptor_matmul(tile)
    for _, _, head_dim, causal in ATTENTION_SHAPES:
        checks[f"hopper attention d={head_dim}{' causal' if causal else ''}"] = \
            smoke_attention(head_dim, causal)
    return checks
