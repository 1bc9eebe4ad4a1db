"""The Kite kernels of the GPU benchmark. triton_kernels.py holds the same
kernels written for Triton, line for line: the algorithms, block sizes and
warp counts (chosen in launchers.py) are identical, so the comparison
measures the compilers, not the kernels.

Every tensor is contiguous and row-major; kernels take the row stride and
treat the last dimension as unit-stride (see launchers.py for why)."""
import kite
import kite.language as kl


@kite.kernel
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    pid = kl.program_id(0)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, x + y, mask=mask)


@kite.kernel
def softmax_kernel(out_ptr, x_ptr, stride, n_cols, BLOCK: kl.constexpr):
    # One program per row; the whole row is one block (BLOCK >= n_cols).
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    mask = cols < n_cols
    x = kl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"))
    z = x - kl.max(x, axis=0)
    num = kl.exp(z)
    den = kl.sum(num, axis=0)
    kl.store(out_ptr + row * stride + cols, num / den, mask=mask)


@kite.kernel
def layernorm_kernel(x_ptr, y_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, stride, n_cols, eps,
                     BLOCK: kl.constexpr):
    # One program per row, the whole row in registers (BLOCK >= n_cols): x is
    # read once; statistics in fp32; y = (x - mean) * rstd * w + b in fp32,
    # stored as the output's dtype; mean and rstd (fp32) are stored per row.
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    mask = cols < n_cols
    x = kl.load(x_ptr + row * stride + cols, mask=mask, other=0.0).to(kl.float32)
    mean = kl.sum(x, axis=0) / n_cols
    diff = kl.where(mask, x - mean, 0.0)
    var = kl.sum(diff * diff, axis=0) / n_cols
    rstd = 1.0 / kl.sqrt(var + eps)
    w = kl.load(w_ptr + cols, mask=mask, other=0.0).to(kl.float32)
    b = kl.load(b_ptr + cols, mask=mask, other=0.0).to(kl.float32)
    y = diff * rstd * w + b
    kl.store(y_ptr + row * stride + cols, y.to(kl.float16), mask=mask)
    kl.store(mean_ptr + row, mean)
    kl.store(rstd_ptr + row, rstd)


@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, lda, ldb, ldc, BLOCK_M: kl.constexpr,
                  BLOCK_N: kl.constexpr, BLOCK_K: kl.constexpr, GROUP_M: kl.constexpr):
    # C[M, N] (fp16) = A[M, K] @ B[K, N] (fp16), accumulated in fp32. Programs
    # are ordered in groups of GROUP_M block-rows so that neighbours share
    # tiles of A and B in L2.
    pid = kl.program_id(0)
    num_pid_m = kl.cdiv(M, BLOCK_M)
    num_pid_n = kl.cdiv(N, BLOCK_N)
    pids_per_group = GROUP_M * num_pid_n
    first_pid_m = (pid // pids_per_group) * GROUP_M
    group_rows = kl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + (pid % pids_per_group) % group_rows
    pid_n = (pid % pids_per_group) // group_rows
    rows = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    ks = kl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rows[:, None] * lda + ks[None, :]
    b_ptrs = b_ptr + ks[:, None] * ldb + cols[None, :]
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = kl.load(a_ptrs, mask=(rows[:, None] < M) & (ks[None, :] < k_left), other=0.0)
        b = kl.load(b_ptrs, mask=(ks[:, None] < k_left) & (cols[None, :] < N), other=0.0)
        acc += kl.dot(a, b)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K * ldb
    c_ptrs = c_ptr + rows[:, None] * ldc + cols[None, :]
    kl.store(c_ptrs, acc.to(kl.float16), mask=(rows[:, None] < M) & (cols[None, :] < N))


# Launch overhead: kernels that do almost nothing, with 3 and with 16
# runtime arguments (8 tensors and 8 integers) and no constexpr, launched on
# one program.

@kite.kernel
def tiny3_kernel(x_ptr, out_ptr, n):
    offs = kl.arange(0, 128)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) + 1.0, mask=mask)


@kite.kernel
def tiny16_kernel(p0, p1, p2, p3, p4, p5, p6, out_ptr, n, s0, s1, s2, s3, s4, s5, s6):
    offs = kl.arange(0, 128)
    mask = offs < n
    total = (kl.load(p0 + offs, mask=mask) + kl.load(p1 + offs, mask=mask)
             + kl.load(p2 + offs, mask=mask) + kl.load(p3 + offs, mask=mask)
             + kl.load(p4 + offs, mask=mask) + kl.load(p5 + offs, mask=mask)
             + kl.load(p6 + offs, mask=mask))
    shift = s0 + s1 + s2 + s3 + s4 + s5 + s6
    kl.store(out_ptr + offs, total + shift, mask=mask)
