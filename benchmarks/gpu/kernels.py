"""The kernels of the GPU benchmark, written once for both compilers with
Triton's names; gpu.load_kernels("kite") and gpu.load_kernels("triton")
bind them to either compiler (benchmarks/kernel_text.py), so both compile
the very same lines. The algorithms, block sizes and warp counts (chosen
in launchers.py) are identical: the comparison measures the compilers,
not the kernels.

Every tensor is contiguous and row-major; kernels take the row stride and
treat the last dimension as unit-stride (see launchers.py for why)."""
if globals().get("COMPILER") == "kite":  # set by kernel_text.load()
    import kite as triton
    import kite.language as tl
else:
    import triton
    import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)


@triton.jit
def softmax_kernel(out_ptr, x_ptr, stride, n_cols, BLOCK: tl.constexpr):
    # One program per row; the whole row is one block (BLOCK >= n_cols).
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"))
    z = x - tl.max(x, axis=0)
    num = tl.exp(z)
    den = tl.sum(num, axis=0)
    tl.store(out_ptr + row * stride + cols, num / den, mask=mask)


@triton.jit
def layernorm_kernel(x_ptr, y_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, stride, n_cols, eps,
                     BLOCK: tl.constexpr):
    # One program per row, the whole row in registers (BLOCK >= n_cols): x is
    # read once; statistics in fp32; y = (x - mean) * rstd * w + b in fp32,
    # stored as the output's dtype; mean and rstd (fp32) are stored per row.
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / n_cols
    diff = tl.where(mask, x - mean, 0.0)
    var = tl.sum(diff * diff, axis=0) / n_cols
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = diff * rstd * w + b
    tl.store(y_ptr + row * stride + cols, y.to(tl.float16), mask=mask)
    tl.store(mean_ptr + row, mean)
    tl.store(rstd_ptr + row, rstd)


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, lda, ldb, ldc, BLOCK_M: tl.constexpr,
                  BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr):
    # C[M, N] (fp16) = A[M, K] @ B[K, N] (fp16), accumulated in fp32. Programs
    # are ordered in groups of GROUP_M block-rows so that neighbours share
    # tiles of A and B in L2.
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    pids_per_group = GROUP_M * num_pid_n
    first_pid_m = (pid // pids_per_group) * GROUP_M
    group_rows = tl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + (pid % pids_per_group) % group_rows
    pid_n = (pid % pids_per_group) // group_rows
    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    ks = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rows[:, None] * lda + ks[None, :]
    b_ptrs = b_ptr + ks[:, None] * ldb + cols[None, :]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=(rows[:, None] < M) & (ks[None, :] < k_left), other=0.0)
        b = tl.load(b_ptrs, mask=(ks[:, None] < k_left) & (cols[None, :] < N), other=0.0)
        acc += tl.dot(a, b)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K * ldb
    c_ptrs = c_ptr + rows[:, None] * ldc + cols[None, :]
    tl.store(c_ptrs, acc.to(tl.float16), mask=(rows[:, None] < M) & (cols[None, :] < N))


# Launch overhead: kernels that do almost nothing, with 3 and with 16
# runtime arguments (8 tensors and 8 integers) and no constexpr, launched on
# one program.

@triton.jit
def tiny3_kernel(x_ptr, out_ptr, n):
    offs = tl.arange(0, 128)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) + 1.0, mask=mask)


@triton.jit
def tiny16_kernel(p0, p1, p2, p3, p4, p5, p6, out_ptr, n, s0, s1, s2, s3, s4, s5, s6):
    offs = tl.arange(0, 128)
    mask = offs < n
    total = (tl.load(p0 + offs, mask=mask) + tl.load(p1 + offs, mask=mask)
             + tl.load(p2 + offs, mask=mask) + tl.load(p3 + offs, mask=mask)
             + tl.load(p4 + offs, mask=mask) + tl.load(p5 + offs, mask=mask)
             + tl.load(p6 + offs, mask=mask))
    shift = s0 + s1 + s2 + s3 + s4 + s5 + s6
    tl.store(out_ptr + offs, total + shift, mask=mask)
