"""Kernels whose layouts kitegpu-remove-layout-conversions used to move back
and forth for ever ("did not converge"): loads of mixed widths, each in its
own coalesced layout, meeting in one element-wise expression; and a dot's
accumulator through a leaky ReLU (Triton's attention backward does the
same). Run on KITE_TEST_DEVICE against numpy, and compiled for NVIDIA
architectures (ptxas checks the PTX where it is installed)."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import assert_close, compile_for, run

N = 3000  # not a multiple of any BLOCK: the last program is masked


@kite.kernel
def add_bias_kernel(x_ptr, bias_ptr, out_ptr, n, BLOCK: kl.constexpr):
    pid = kl.program_id(0)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    bias = kl.load(bias_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, (x + bias).to(out_ptr.dtype.element_ty), mask=mask)


# (x, bias, out): fp16 x + fp32 bias stored as fp16, and the same mix of
# widths in f64/f32 and i64/i32, stored in the wider type and in the
# narrower one (a narrowing cast before the store is what made the pass
# move a conversion back and forth).
MIXES = [(np.float16, np.float32, np.float16), (np.float64, np.float32, np.float64),
         (np.float64, np.float32, np.float32), (np.int64, np.int32, np.int64),
         (np.int64, np.int32, np.int32)]


def _mix_inputs(x_type, bias_type, out_type):
    rng = np.random.default_rng(0)
    if np.dtype(x_type).kind == "i":
        x = rng.integers(-2**40, 2**40, N).astype(x_type)
        bias = rng.integers(-2**30, 2**30, N).astype(bias_type)
    else:
        x = rng.standard_normal(N).astype(x_type)
        bias = rng.standard_normal(N).astype(bias_type)
    return x, bias, np.zeros(N, out_type)


@pytest.mark.parametrize("block", [256, 512, 1024, 2048])
@pytest.mark.parametrize("types", MIXES, ids=lambda t: "+".join(np.dtype(x).name for x in t))
def test_mixed_width_add(types, block):
    x, bias, out = _mix_inputs(*types)
    got = run(add_bias_kernel, (kite.cdiv(N, block),), x, bias, out, N, BLOCK=block)[2]
    expected = (x.astype(np.result_type(x, bias)) + bias).astype(out.dtype)
    assert_close(got, expected)


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("types", MIXES, ids=lambda t: "+".join(np.dtype(x).name for x in t))
def test_mixed_width_add_compiles_for_nvidia(types, arch):
    x, bias, out = _mix_inputs(*types)
    for block in (1024, 2048):
        for num_warps in (4, 8):  # one warp of 2048 f64 needs more than 255 registers
            compiled = compile_for(add_bias_kernel, f"cuda:{arch}", [x, bias, out, N],
                                   dict(BLOCK=block, num_warps=num_warps))
            assert "ptx" in compiled.asm


@kite.kernel
def dot_leaky_relu_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: kl.constexpr,
                          BLOCK_N: kl.constexpr, BLOCK_K: kl.constexpr):
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    offs_m = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    offs_k = kl.arange(0, BLOCK_K)
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=kl.float32)
    for k in range(0, K, BLOCK_K):
        a = kl.load(a_ptr + offs_m[:, None] * K + (k + offs_k)[None, :],
                    mask=(offs_m[:, None] < M) & ((k + offs_k)[None, :] < K), other=0.0)
        b = kl.load(b_ptr + (k + offs_k)[:, None] * N + offs_n[None, :],
                    mask=((k + offs_k)[:, None] < K) & (offs_n[None, :] < N), other=0.0)
        acc += kl.dot(a, b)
    acc = kl.where(acc >= 0, acc, 0.01 * acc)
    c = acc.to(c_ptr.dtype.element_ty)
    kl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], c,
             mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


def _dot_inputs(dtype, out_dtype, m=40, n=48, k=64):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return a, b, np.zeros((m, n), out_dtype), m, n, k


@pytest.mark.parametrize("dtype,out_dtype", [(np.float32, np.float32), (np.float16, np.float16)])
def test_dot_then_leaky_relu(dtype, out_dtype):
    a, b, c, m, n, k = _dot_inputs(dtype, out_dtype)
    got = run(dot_leaky_relu_kernel, (kite.cdiv(m, 32), kite.cdiv(n, 32)), a, b, c, m, n, k,
              BLOCK_M=32, BLOCK_N=32, BLOCK_K=32)[2]
    acc = a.astype(np.float32) @ b.astype(np.float32)
    expected = np.where(acc >= 0, acc, np.float32(0.01) * acc).astype(out_dtype)
    np.testing.assert_allclose(got.astype(np.float32), expected.astype(np.float32),
                               rtol=2e-2 if dtype == np.float16 else 1e-4, atol=1e-2)


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_dot_then_leaky_relu_compiles_for_nvidia(arch):
    a, b, c, m, n, k = _dot_inputs(np.float16, np.float16)
    for num_warps in (1, 2, 4, 8):
        compiled = compile_for(dot_leaky_relu_kernel, f"cuda:{arch}", [a, b, c, m, n, k],
                               dict(BLOCK_M=32, BLOCK_N=32, BLOCK_K=32, num_warps=num_warps))
        assert "ptx" in compiled.asm


@kite.kernel
def attention_backward_kernel(q_ptr, k_ptr, v_ptr, do_ptr, m_ptr, delta_ptr, dq_ptr, dk_ptr,
                              dv_ptr, sm_scale, N_CTX: kl.constexpr, HEAD_DIM: kl.constexpr):
    # One block of the backward pass of attention, as Triton's tutorial
    # writes it: dots of fp16 tiles, exp, element-wise products, transposes
    # (a head of 16 keeps the staged dots within lavapipe's 32 KiB).
    offs_n = kl.arange(0, N_CTX)
    offs_d = kl.arange(0, HEAD_DIM)
    tile = offs_n[:, None] * HEAD_DIM + offs_d[None, :]
    q = kl.load(q_ptr + tile)
    k = kl.load(k_ptr + tile)
    v = kl.load(v_ptr + tile)
    do = kl.load(do_ptr + tile)
    m = kl.load(m_ptr + offs_n)
    delta = kl.load(delta_ptr + offs_n)
    qk = kl.dot(q, kl.trans(k)) * sm_scale
    p = kl.exp(qk - m[:, None])
    dv = kl.dot(kl.trans(p.to(kl.float16)), do)
    dp = kl.dot(do, kl.trans(v))
    ds = p * (dp - delta[:, None])
    dq = kl.dot(ds.to(kl.float16), k) * sm_scale
    dk = kl.dot(kl.trans(ds.to(kl.float16)), q) * sm_scale
    kl.store(dq_ptr + tile, dq.to(kl.float16))
    kl.store(dk_ptr + tile, dk.to(kl.float16))
    kl.store(dv_ptr + tile, dv.to(kl.float16))


def _attention_inputs(n=32, d=16):
    rng = np.random.default_rng(2)
    q, k, v, do = (rng.standard_normal((n, d)).astype(np.float16) for _ in range(4))
    scale = np.float32(d ** -0.5)
    qk = q.astype(np.float32) @ k.astype(np.float32).T * scale
    m = qk.max(axis=1).astype(np.float32)
    delta = rng.standard_normal(n).astype(np.float32)
    return q, k, v, do, m, delta, scale


def test_attention_backward_block():
    q, k, v, do, m, delta, scale = _attention_inputs()
    outs = [np.zeros_like(q) for _ in range(3)]
    dq, dk, dv = run(attention_backward_kernel, (1,), q, k, v, do, m, delta, *outs, float(scale),
                     N_CTX=32, HEAD_DIM=16)[6:]
    f = lambda x: x.astype(np.float32)
    p = np.exp(f(q) @ f(k).T * scale - m[:, None])
    ds = p * (f(do) @ f(v).T - delta[:, None])
    expected = {"dq": ds.astype(np.float16) @ f(k) * scale,
                "dk": f(ds.astype(np.float16)).T @ f(q) * scale,
                "dv": f(p.astype(np.float16)).T @ f(do)}
    for name, got in (("dq", dq), ("dk", dk), ("dv", dv)):
        np.testing.assert_allclose(f(got), expected[name], rtol=2e-2, atol=5e-2, err_msg=name)


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_attention_backward_block_compiles_for_nvidia(arch):
    q, k, v, do, m, delta, scale = _attention_inputs()
    outs = [np.zeros_like(q) for _ in range(3)]
    for num_warps in (2, 4, 8):
        compiled = compile_for(attention_backward_kernel, f"cuda:{arch}",
                               [q, k, v, do, m, delta, *outs, float(scale)],
                               dict(N_CTX=32, HEAD_DIM=16, num_warps=num_warps))
        assert "ptx" in compiled.asm
