"""Real kernels, written as a Triton user writes them, checked against numpy
through the interpreter. Sizes are deliberately not multiples of the blocks,
and outputs start as NaN (or a sentinel) so that an element no program wrote
is caught."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, assert_close, run


def next_power_of_2(n: int) -> int:
    return 1 << (n - 1).bit_length()


# ------------------------------------------------------------------ vector add

@kite.kernel
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: kl.constexpr):
    pid = kl.program_id(axis=0)
    block_start = pid * BLOCK_SIZE
    offsets = block_start + kl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = kl.load(x_ptr + offsets, mask=mask)
    y = kl.load(y_ptr + offsets, mask=mask)
    kl.store(out_ptr + offsets, x + y, mask=mask)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("n", [1, 127, 1000, 3333])
def test_vector_add_with_masked_tail(n, dtype):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 10).astype(dtype)
    y = (rng.standard_normal(n) * 10).astype(dtype)
    x_d, y_d = kite.from_numpy(x, device=DEVICE), kite.from_numpy(y, device=DEVICE)
    out = kite.from_numpy(np.full(n + 7, 99, dtype), device=DEVICE)  # 7 guard elements
    grid = lambda meta: (kite.cdiv(n, meta["BLOCK_SIZE"]),)
    add_kernel[grid](x_d, y_d, out, n, BLOCK_SIZE=256)
    result = out.numpy()
    assert_close(result[:n], x + y)
    assert_close(result[n:], np.full(7, 99, dtype))


# ------------------------------------------------------------------ softmax

@kite.kernel
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_cols,
                   BLOCK_SIZE: kl.constexpr):
    row_idx = kl.program_id(0)
    row_start_ptr = input_ptr + row_idx * input_row_stride
    col_offsets = kl.arange(0, BLOCK_SIZE)
    input_ptrs = row_start_ptr + col_offsets
    row = kl.load(input_ptrs, mask=col_offsets < n_cols, other=-float("inf"))
    row_minus_max = row - kl.max(row, axis=0)
    numerator = kl.exp(row_minus_max)
    denominator = kl.sum(numerator, axis=0)
    softmax_output = numerator / denominator
    output_row_start_ptr = output_ptr + row_idx * output_row_stride
    kl.store(output_row_start_ptr + col_offsets, softmax_output, mask=col_offsets < n_cols)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("n_rows,n_cols", [(1, 1), (7, 100), (13, 257), (4, 1000)])
def test_row_softmax(n_rows, n_cols, dtype):
    x = (np.random.default_rng(n_cols).standard_normal((n_rows, n_cols)) * 5).astype(dtype)
    x[0, 0] = 80.0  # a large value: the max subtraction is what keeps exp finite
    out = np.full((n_rows, n_cols), np.nan, dtype)
    out = run(softmax_kernel, (n_rows,), out, x, x.shape[1], out.shape[1], n_cols,
              BLOCK_SIZE=next_power_of_2(n_cols))[0]
    z = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    expected = z / z.sum(axis=1, keepdims=True)
    # fp16 rows are reduced in fp32 (kl.max of fp16 is fp32): one rounding at the store.
    rtol, atol = (1e-5, 1e-7) if dtype == np.float32 else (1e-3, 1e-6)
    np.testing.assert_allclose(out.astype(np.float64), expected, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ layernorm

@kite.kernel
def layer_norm_fwd_kernel(X, Y, W, B, Mean, Rstd, stride, N, eps, BLOCK_SIZE: kl.constexpr):
    row = kl.program_id(0)
    Y += row * stride
    X += row * stride
    # mean
    _mean = kl.zeros([BLOCK_SIZE], dtype=kl.float32)
    for off in range(0, N, BLOCK_SIZE):
        cols = off + kl.arange(0, BLOCK_SIZE)
        a = kl.load(X + cols, mask=cols < N, other=0.).to(kl.float32)
        _mean += a
    mean = kl.sum(_mean, axis=0) / N
    # variance
    _var = kl.zeros([BLOCK_SIZE], dtype=kl.float32)
    for off in range(0, N, BLOCK_SIZE):
        cols = off + kl.arange(0, BLOCK_SIZE)
        x = kl.load(X + cols, mask=cols < N, other=0.).to(kl.float32)
        x = kl.where(cols < N, x - mean, 0.)
        _var += x * x
    var = kl.sum(_var, axis=0) / N
    rstd = 1 / kl.sqrt(var + eps)
    kl.store(Mean + row, mean)
    kl.store(Rstd + row, rstd)
    # normalize and apply the affine transform
    for off in range(0, N, BLOCK_SIZE):
        cols = off + kl.arange(0, BLOCK_SIZE)
        mask = cols < N
        w = kl.load(W + cols, mask=mask)
        b = kl.load(B + cols, mask=mask)
        x = kl.load(X + cols, mask=mask, other=0.).to(kl.float32)
        x_hat = (x - mean) * rstd
        y = x_hat * w + b
        kl.store(Y + cols, y, mask=mask)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("M,N,BLOCK", [(5, 100, 32), (3, 300, 128), (2, 17, 64)])
def test_layernorm_forward(M, N, BLOCK, dtype):
    rng = np.random.default_rng(N)
    x = (rng.standard_normal((M, N)) * 3 + 1.5).astype(dtype)
    w = rng.uniform(0.5, 1.5, N).astype(dtype)
    b = rng.uniform(-1, 1, N).astype(dtype)
    eps = 1e-5
    _, y, _, _, mean, rstd = run(layer_norm_fwd_kernel, (M,), x, np.full((M, N), np.nan, dtype), w, b,
                                 np.full(M, np.nan, np.float32), np.full(M, np.nan, np.float32),
                                 x.shape[1], N, eps, BLOCK_SIZE=BLOCK)
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=1)
    var = x64.var(axis=1)
    r = 1 / np.sqrt(var + eps)
    expected = (x64 - mu[:, None]) * r[:, None] * w.astype(np.float64) + b
    np.testing.assert_allclose(mean, mu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rstd, r, rtol=1e-5)
    tol = 1e-5 if dtype == np.float32 else 5e-3
    np.testing.assert_allclose(y.astype(np.float64), expected, rtol=tol, atol=tol)


# ------------------------------------------------------------------ matmul

@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_SIZE_M: kl.constexpr, BLOCK_SIZE_N: kl.constexpr,
                  BLOCK_SIZE_K: kl.constexpr, GROUP_SIZE_M: kl.constexpr):
    pid = kl.program_id(axis=0)
    num_pid_m = kl.cdiv(M, BLOCK_SIZE_M)
    num_pid_n = kl.cdiv(N, BLOCK_SIZE_N)
    num_pid_in_group = GROUP_SIZE_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_SIZE_M
    group_size_m = kl.minimum(num_pid_m - first_pid_m, GROUP_SIZE_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m

    offs_am = (pid_m * BLOCK_SIZE_M + kl.arange(0, BLOCK_SIZE_M)) % M
    offs_bn = (pid_n * BLOCK_SIZE_N + kl.arange(0, BLOCK_SIZE_N)) % N
    offs_k = kl.arange(0, BLOCK_SIZE_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)

    accumulator = kl.zeros((BLOCK_SIZE_M, BLOCK_SIZE_N), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BLOCK_SIZE_K)):
        a = kl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_SIZE_K, other=0.0)
        b = kl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_SIZE_K, other=0.0)
        accumulator = kl.dot(a, b, accumulator)
        a_ptrs += BLOCK_SIZE_K * stride_ak
        b_ptrs += BLOCK_SIZE_K * stride_bk
    c = accumulator.to(kl.float16)

    offs_cm = pid_m * BLOCK_SIZE_M + kl.arange(0, BLOCK_SIZE_M)
    offs_cn = pid_n * BLOCK_SIZE_N + kl.arange(0, BLOCK_SIZE_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
    kl.store(c_ptrs, c, mask=c_mask)


@pytest.mark.parametrize("M,N,K,BM,BN,BK,GROUP_M", [
    (70, 50, 45, 32, 32, 16, 2),
    (33, 100, 70, 16, 32, 32, 4),
    (100, 20, 17, 32, 16, 16, 3),
    (16, 16, 16, 16, 16, 16, 1),
])
def test_matmul_fp16_grouped(M, N, K, BM, BN, BK, GROUP_M):
    rng = np.random.default_rng(M * N + K)
    a = rng.uniform(-1, 1, (M, K)).astype(np.float16)
    b = rng.uniform(-1, 1, (K, N)).astype(np.float16)
    c = np.full((M, N), np.nan, np.float16)
    grid = lambda meta: (kite.cdiv(M, meta["BLOCK_SIZE_M"]) * kite.cdiv(N, meta["BLOCK_SIZE_N"]),)
    c = run(matmul_kernel, grid, a, b, c, M, N, K, a.strides[0] // 2, a.strides[1] // 2,
            b.strides[0] // 2, b.strides[1] // 2, c.strides[0] // 2, c.strides[1] // 2,
            BLOCK_SIZE_M=BM, BLOCK_SIZE_N=BN, BLOCK_SIZE_K=BK, GROUP_SIZE_M=GROUP_M)[2]
    expected = a.astype(np.float64) @ b.astype(np.float64)
    assert not np.isnan(c).any(), "some output tiles were never written"
    # fp32 accumulation, one fp16 rounding of the result.
    np.testing.assert_allclose(c.astype(np.float64), expected, rtol=2e-3, atol=2e-3)


def test_matmul_transposed_operand_through_strides():
    # B^T stored row-major, read through its strides as a K x N matrix.
    M, N, K = 40, 24, 33
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (M, K)).astype(np.float16)
    bt = rng.uniform(-1, 1, (N, K)).astype(np.float16)
    c = np.full((M, N), np.nan, np.float16)
    grid = (kite.cdiv(M, 16) * kite.cdiv(N, 16),)
    c = run(matmul_kernel, grid, a, bt, c, M, N, K, K, 1, 1, K, N, 1, BLOCK_SIZE_M=16,
            BLOCK_SIZE_N=16, BLOCK_SIZE_K=16, GROUP_SIZE_M=2)[2]
    np.testing.assert_allclose(c.astype(np.float64), a.astype(np.float64) @ bt.T.astype(np.float64),
                               rtol=2e-3, atol=2e-3)


# ------------------------------------------------------------------ row-wise scans and argmax

@kite.kernel
def cumsum_rows_kernel(x_ptr, out_ptr, n_rows, n_cols, stride, BLOCK_ROWS: kl.constexpr,
                       BLOCK_COLS: kl.constexpr):
    rows = kl.program_id(0) * BLOCK_ROWS + kl.arange(0, BLOCK_ROWS)
    cols = kl.arange(0, BLOCK_COLS)
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    offsets = rows[:, None] * stride + cols[None, :]
    x = kl.load(x_ptr + offsets, mask=mask, other=0)
    kl.store(out_ptr + offsets, kl.cumsum(x, axis=1), mask=mask)


@pytest.mark.parametrize("dtype", [np.int32, np.float32])
@pytest.mark.parametrize("n_rows,n_cols", [(10, 37), (3, 64), (9, 5)])
def test_cumsum_of_rows(n_rows, n_cols, dtype):
    rng = np.random.default_rng(n_rows * n_cols)
    x = rng.integers(-100, 100, (n_rows, n_cols)).astype(dtype)
    if dtype == np.float32:
        x = x + rng.uniform(0, 1, x.shape).astype(np.float32)
    out = np.full(x.shape, -12345, dtype)
    out = run(cumsum_rows_kernel, (kite.cdiv(n_rows, 4),), x, out, n_rows, n_cols, n_cols,
              BLOCK_ROWS=4, BLOCK_COLS=next_power_of_2(n_cols))[1]
    expected = np.cumsum(x.astype(np.float64), axis=1)
    if dtype == np.int32:
        assert_close(out, expected.astype(np.int32))
    else:
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


@kite.kernel
def argmax_rows_kernel(x_ptr, idx_ptr, max_ptr, n_cols, stride, BLOCK: kl.constexpr):
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=-float("inf"))
    kl.store(idx_ptr + row, kl.argmax(x, axis=0))
    kl.store(max_ptr + row, kl.max(x, axis=0))


@pytest.mark.parametrize("n_rows,n_cols", [(6, 100), (5, 3), (3, 130)])
def test_argmax_of_rows(n_rows, n_cols):
    rng = np.random.default_rng(n_cols)
    x = rng.standard_normal((n_rows, n_cols)).astype(np.float32)
    x[0, :] = -5.0  # all tied: index 0
    x[1, [n_cols // 3, n_cols - 1]] = 50.0  # two maxima: the first wins
    x[2, n_cols - 1] = 60.0  # the maximum in the last (tail) column
    idx, mx = run(argmax_rows_kernel, (n_rows,), x, np.full(n_rows, -1, np.int32),
                  np.full(n_rows, np.nan, np.float32), n_cols, n_cols,
                  BLOCK=next_power_of_2(n_cols))[1:]
    assert_close(idx, np.argmax(x, axis=1).astype(np.int32))
    assert_close(mx, x.max(axis=1))


# ------------------------------------------------------------------ histogram

@kite.kernel
def histogram_kernel(x_ptr, hist_ptr, n, num_bins, BLOCK_SIZE: kl.constexpr):
    pid = kl.program_id(0)
    offsets = pid * BLOCK_SIZE + kl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    x = kl.load(x_ptr + offsets, mask=mask, other=0.0)
    bins = kl.minimum((x * num_bins).to(kl.int32), num_bins - 1)
    kl.atomic_add(hist_ptr + bins, 1, mask=mask)


@pytest.mark.parametrize("n,num_bins", [(1000, 10), (777, 16), (50, 3)])
def test_histogram_with_atomic_add(n, num_bins):
    x = np.random.default_rng(n).uniform(0, 1, n).astype(np.float32)
    x[:3] = [0.0, 0.9999999, 1.0]
    hist = run(histogram_kernel, (kite.cdiv(n, 64),), x, np.zeros(num_bins, np.int32), n, num_bins,
               BLOCK_SIZE=64)[1]
    bins = np.minimum((x * np.float32(num_bins)).astype(np.int32), num_bins - 1)
    assert_close(hist, np.bincount(bins, minlength=num_bins).astype(np.int32))
    assert hist.sum() == n


# ------------------------------------------------------------------ 2D transpose

@kite.kernel
def transpose_kernel(x_ptr, y_ptr, M, N, stride_xm, stride_xn, stride_ym, stride_yn,
                     BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr):
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    rm = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    x = kl.load(x_ptr + rm[:, None] * stride_xm + rn[None, :] * stride_xn, mask=mask)
    y_ptrs = y_ptr + rn[:, None] * stride_ym + rm[None, :] * stride_yn
    kl.store(y_ptrs, kl.trans(x), mask=kl.trans(mask))


@pytest.mark.parametrize("M,N,BM,BN", [(37, 23, 16, 8), (64, 64, 32, 32), (5, 70, 8, 32)])
def test_transpose_2d_blocks(M, N, BM, BN):
    x = np.random.default_rng(M + N).standard_normal((M, N)).astype(np.float32)
    y = np.full((N, M), np.nan, np.float32)
    grid = (kite.cdiv(M, BM), kite.cdiv(N, BN))
    y = run(transpose_kernel, grid, x, y, M, N, N, 1, M, 1, BLOCK_M=BM, BLOCK_N=BN)[1]
    np.testing.assert_array_equal(y, x.T)


def test_transpose_of_a_strided_view():
    # Every other column of a wider array, read through its strides.
    M, N = 19, 12
    base = np.random.default_rng(1).standard_normal((M, 2 * N)).astype(np.float32)
    y = np.full((N, M), np.nan, np.float32)
    y = run(transpose_kernel, (kite.cdiv(M, 8), kite.cdiv(N, 8)), base, y, M, N, 2 * N, 2, M, 1,
            BLOCK_M=8, BLOCK_N=8)[1]
    np.testing.assert_array_equal(y, base[:, ::2].T)
