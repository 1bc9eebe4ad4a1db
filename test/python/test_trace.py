"""Frontend → IR: kernels traced with no device, checked with FileCheck."""
import numpy as np

import kite
import kite.language as kl
from filecheck import check_ir, run_filecheck

F32 = np.zeros(16, np.float32)
F16 = np.zeros(16, np.float16)
I32 = np.zeros(16, np.int32)


@kite.kernel
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    # CHECK-LABEL: func.func @add_kernel
    # CHECK-SAME: !kite.ptr<f32>
    # CHECK: kite.program_id x
    # CHECK: kite.make_range 0 to 128
    # CHECK: kite.addptr
    # CHECK: kite.load
    # CHECK: kite.load
    # CHECK: arith.addf
    # CHECK: kite.store
    # CHECK-NOT: scf.
    pid = kl.program_id(0)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, x + y, mask=mask)


def test_vector_add():
    run_filecheck(add_kernel, F32, F32, F32, 100, BLOCK=128)


def test_specialization_by_dtype_and_integer_width():
    ir16 = add_kernel.trace(F16, F16, F16, 100, BLOCK=128)
    assert "!kite.ptr<f16>" in ir16 and "!kite.ptr<f32>" not in ir16
    ir64 = add_kernel.trace(F32, F32, F32, 2 ** 40, BLOCK=128)
    check_ir(ir64, "CHECK: func.func @add_kernel({{.*}}: i64\n")
    ir32 = add_kernel.trace(F32, F32, F32, 100, BLOCK=128)
    check_ir(ir32, "CHECK: func.func @add_kernel({{.*}}: i32\n")


def test_pointer_and_integer_divisibility_are_specialised():
    ir = add_kernel.trace(F32, F32, F32, 64, BLOCK=128)
    assert ir.count("kite.divisibility = 16") == 4, ir
    ir = add_kernel.trace(F32, F32, F32, 65, BLOCK=128)
    assert ir.count("kite.divisibility = 16") == 3, ir


def test_dtypes_stand_for_arguments():
    ir = add_kernel.trace(kl.pointer_type(kl.bfloat16), kl.pointer_type(kl.bfloat16),
                          kl.pointer_type(kl.bfloat16), kl.int64, BLOCK=64)
    check_ir(ir, "CHECK: func.func @add_kernel(%arg0: !kite.ptr<bf16>\nCHECK-SAME: i64\n"
                 "CHECK: arith.addf {{.*}} : tensor<64xbf16>\n")


@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn,
                  stride_cm, stride_cn, BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr,
                  BLOCK_K: kl.constexpr, GROUP_M: kl.constexpr):
    # CHECK-LABEL: func.func @matmul_kernel
    # CHECK: scf.for
    # CHECK-NOT: scf.for
    # CHECK: kite.load
    # CHECK: kite.load
    # CHECK: kite.dot {{.*}} : tensor<32x16xf16> * tensor<16x64xf16> -> tensor<32x64xf32>
    # CHECK-NOT: kite.dot
    # CHECK: scf.yield
    # CHECK: arith.truncf
    # CHECK: kite.store
    pid = kl.program_id(0)
    num_pid_m = kl.cdiv(M, BLOCK_M)
    num_pid_n = kl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = kl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    offs_am = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_bn = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    offs_k = kl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BLOCK_K)):
        a = kl.load(a_ptrs, mask=(offs_am[:, None] < M) & (offs_k[None, :] < K - k * BLOCK_K), other=0.0)
        b = kl.load(b_ptrs, mask=(offs_k[:, None] < K - k * BLOCK_K) & (offs_bn[None, :] < N), other=0.0)
        acc += kl.dot(a, b)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c = acc.to(kl.float16)
    offs_cm = pid_m * BLOCK_M + kl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + kl.arange(0, BLOCK_N)
    kl.store(c_ptr + offs_cm[:, None] * stride_cm + offs_cn[None, :] * stride_cn, c,
             mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


def test_matmul_k_loop_is_one_scf_for_with_one_dot_for_any_k():
    for K in (16, 17, 4096, 100_000, 2 ** 33):
        ir = run_filecheck(matmul_kernel, F16, F16, F16, 256, 192, K, K, 1, 192, 1, 192, 1,
                           BLOCK_M=32, BLOCK_N=64, BLOCK_K=16, GROUP_M=8)
        assert ir.count("scf.for") == 1 and ir.count("kite.dot") == 1, ir


@kite.kernel
def unrolled_loops(x_ptr, n, STEPS: kl.constexpr):
    # CHECK-LABEL: func.func @unrolled_loops
    # CHECK-COUNT-7: kite.load
    # CHECK: scf.for
    # CHECK: kite.load
    # CHECK: scf.yield
    # CHECK-NOT: kite.load
    acc = 0.0
    for i in kl.static_range(4):
        acc += kl.load(x_ptr + i)
    for i in range(STEPS):
        acc += kl.load(x_ptr + i)
    for i in kl.range(STEPS):
        acc += kl.load(x_ptr + i)
    kl.store(x_ptr, acc)


def test_constexpr_ranges_unroll_and_kl_range_stays_a_loop():
    run_filecheck(unrolled_loops, F32, 4, STEPS=3)


@kite.kernel
def runtime_control_flow(x_ptr, n, m):
    # CHECK-LABEL: func.func @runtime_control_flow
    # CHECK: scf.if
    # CHECK: scf.yield
    # CHECK: } else {
    # CHECK: scf.yield
    # CHECK: scf.while
    # CHECK: scf.condition
    # CHECK: scf.for {{.*}} : i64
    v = 1.0
    if n > 3:
        v = kl.load(x_ptr + 1)
    else:
        v = v * 3.0
    i = 0
    while i < n:
        v = v + 1.0
        i += 1
    for j in range(0, m, 2):
        v = v * 0.5
    kl.store(x_ptr, v)


def test_runtime_if_while_and_for_become_scf_regions():
    run_filecheck(runtime_control_flow, F32, 5, 2 ** 40)


@kite.func
def scale(x, factor):
    return x * factor


@kite.kernel
def uses_helper(x_ptr, BLOCK: kl.constexpr):
    # CHECK-LABEL: func.func @uses_helper
    # CHECK-NOT: func.call
    # CHECK: arith.mulf
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, scale(kl.load(x_ptr + offs), 3.0))


def test_kite_func_is_inlined():
    ir = run_filecheck(uses_helper, F32, BLOCK=32)
    assert ir.count("func.func") == 1


@kite.kernel
def reductions(x_ptr, out_ptr, BLOCK: kl.constexpr):
    # CHECK-LABEL: func.func @reductions
    # CHECK: kite.reduce
    # CHECK: arith.addf
    # CHECK: kite.reduce.return
    # CHECK: kite.reduce
    # CHECK: arith.cmpf
    # CHECK: kite.reduce.return {{.*}} : f32, i32
    # CHECK: kite.scan
    # CHECK: arith.addf
    # CHECK: kite.scan.return
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(out_ptr, kl.sum(x, axis=0))
    kl.store(out_ptr + 1, kl.argmax(x, axis=0).to(kl.float32))
    kl.store(out_ptr + offs, kl.cumsum(x, axis=0))


def test_reductions_and_scans_have_combine_regions():
    run_filecheck(reductions, F32, F32, BLOCK=64)


@kite.kernel
def histogram(x_ptr, bins_ptr, n, BLOCK: kl.constexpr):
    # CHECK-LABEL: func.func @histogram
    # CHECK: kite.atomic_rmw add
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    v = kl.load(x_ptr + offs, mask=mask)
    kl.atomic_add(bins_ptr + v, 1, mask=mask)


def test_atomics():
    run_filecheck(histogram, I32, I32, 100, BLOCK=64)


def test_debug_info_carries_the_users_file_line_and_column():
    ir = add_kernel.trace(F32, F32, F32, 100, BLOCK=128, debug_info=True)
    assert f'"{__file__}":' in ir
    import inspect
    lines, first = inspect.getsourcelines(add_kernel.fn)
    load_line = first + next(i for i, l in enumerate(lines) if "x = kl.load" in l)
    assert f'"{__file__}":{load_line}:' in ir


def test_trace_is_cached_per_specialisation():
    a = add_kernel.trace(F32, F32, F32, 100, BLOCK=128)
    assert add_kernel.trace(F32, F32, F32, 101, BLOCK=128) is a
    assert add_kernel.trace(F32, F32, F32, 100, BLOCK=256) is not a


def test_kernel_keeps_the_original_function():
    assert add_kernel.fn.__name__ == "add_kernel"
    assert callable(add_kernel.fn)


@kite.kernel
def nested_control_flow(x_ptr, n):
    # CHECK-LABEL: func.func @nested_control_flow
    # CHECK: scf.for
    # CHECK: scf.while
    # CHECK: scf.condition
    # CHECK: scf.if
    # CHECK: kite.store
    for j in range(n):
        x = kl.load(x_ptr + j)
        while x != 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
        kl.store(x_ptr + j, x)


def test_nested_runtime_control_flow():
    run_filecheck(nested_control_flow, I32, 4)
