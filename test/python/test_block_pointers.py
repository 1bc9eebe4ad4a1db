"""kl.make_block_ptr, kl.advance, and loads and stores through block pointers
(boundary_check, padding_option), carried through loops and branches: the
form of Triton's block-pointer matmul and attention kernels. Numerics against
numpy through the interpreter and on each device."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, line_of, run



@kite.kernel
def copy_kernel(src_ptr, dst_ptr, M, N, stride_m, stride_n, out_stride,
                BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr, PADDING: kl.constexpr):
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    src = kl.make_block_ptr(base=src_ptr, shape=(M, N), strides=(stride_m, stride_n),
                            offsets=(pid_m * BLOCK_M, pid_n * BLOCK_N),
                            block_shape=(BLOCK_M, BLOCK_N), order=(1, 0))
    # The destination is (M + BLOCK_M) x (N + BLOCK_N): the padding lands in it.
    dst = kl.make_block_ptr(dst_ptr, (M + BLOCK_M, N + BLOCK_N), (out_stride, 1),
                            (pid_m * BLOCK_M, pid_n * BLOCK_N), (BLOCK_M, BLOCK_N), (1, 0))
    block = kl.load(src, boundary_check=(0, 1), padding_option=PADDING)
    kl.store(dst, block)


@pytest.mark.parametrize("padding", ["zero", "nan"])
@pytest.mark.parametrize("transposed", [False, True], ids=["row-major", "column-major"])
def test_load_pads_outside_the_tensor_and_follows_strides(padding, transposed):
    M, N, BM, BN = 37, 45, 16, 32
    x = np.random.default_rng(0).standard_normal((M, N)).astype(np.float32)
    src = np.asfortranarray(x) if transposed else x
    flat = src.ravel(order="K")
    stride_m, stride_n = (1, M) if transposed else (N, 1)
    out = np.full((M + BM, N + BN), -7.0, np.float32)
    grid = (kl.cdiv(M, BM), kl.cdiv(N, BN))
    out = run(copy_kernel, grid, flat, out.ravel(), M, N, stride_m, stride_n, N + BN,
              BLOCK_M=BM, BLOCK_N=BN, PADDING=padding)[1].reshape(M + BM, N + BN)
    np.testing.assert_array_equal(out[:M, :N], x)
    covered = out[:grid[0] * BM, :grid[1] * BN].copy()
    covered[:M, :N] = 0
    if padding == "zero":
        assert np.all(covered == 0)
    else:
        pad = np.ones_like(covered, bool)
        pad[:M, :N] = False
        assert np.all(np.isnan(covered[pad]))


@kite.kernel
def clipped_store_kernel(src_ptr, dst_ptr, n, BLOCK: kl.constexpr):
    pid = kl.program_id(0)
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (pid * BLOCK,), (BLOCK,), (0,))
    dst = kl.make_block_ptr(dst_ptr, (n,), (1,), (pid * BLOCK,), (BLOCK,), (0,))
    kl.store(dst, kl.load(src, boundary_check=(0,), padding_option="zero") * 2,
             boundary_check=(0,))


def test_store_with_boundary_check_writes_nothing_outside():
    n = 100
    x = np.arange(n + 28, dtype=np.int32)
    out = np.full(n + 28, -1, np.int32)
    out = run(clipped_store_kernel, (4,), x, out, n, BLOCK=32)[1]
    np.testing.assert_array_equal(out[:n], x[:n] * 2)
    assert np.all(out[n:] == -1)


@kite.kernel
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn,
                  stride_cm, stride_cn, BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr,
                  BLOCK_K: kl.constexpr):
    # Triton's block-pointer matmul, ported by the import.
    pid_m = kl.program_id(0)
    pid_n = kl.program_id(1)
    a_block_ptr = kl.make_block_ptr(base=a_ptr, shape=(M, K), strides=(stride_am, stride_ak),
                                    offsets=(pid_m * BLOCK_M, 0),
                                    block_shape=(BLOCK_M, BLOCK_K), order=(1, 0))
    b_block_ptr = kl.make_block_ptr(base=b_ptr, shape=(K, N), strides=(stride_bk, stride_bn),
                                    offsets=(0, pid_n * BLOCK_N),
                                    block_shape=(BLOCK_K, BLOCK_N), order=(1, 0))
    acc = kl.zeros((BLOCK_M, BLOCK_N), dtype=kl.float32)
    for k in range(0, K, BLOCK_K):
        a = kl.load(a_block_ptr, boundary_check=(0, 1), padding_option="zero")
        b = kl.load(b_block_ptr, boundary_check=(0, 1), padding_option="zero")
        acc += kl.dot(a, b)
        a_block_ptr = kl.advance(a_block_ptr, (0, BLOCK_K))
        b_block_ptr = kl.advance(b_block_ptr, (BLOCK_K, 0))
    c_block_ptr = kl.make_block_ptr(base=c_ptr, shape=(M, N), strides=(stride_cm, stride_cn),
                                    offsets=(pid_m * BLOCK_M, pid_n * BLOCK_N),
                                    block_shape=(BLOCK_M, BLOCK_N), order=(1, 0))
    kl.store(c_block_ptr, acc.to(kl.float16), boundary_check=(0, 1))


@pytest.mark.parametrize("mnk", [(64, 64, 64), (50, 70, 45), (16, 96, 200)])
def test_block_pointer_matmul_carries_the_pointers_through_the_loop(mnk):
    M, N, K = mnk
    rng = np.random.default_rng(1)
    a = rng.standard_normal((M, K)).astype(np.float16)
    b = rng.standard_normal((K, N)).astype(np.float16)
    c = np.zeros((M, N), np.float16)
    grid = (kl.cdiv(M, 32), kl.cdiv(N, 32))
    c = run(matmul_kernel, grid, a.ravel(), b.ravel(), c.ravel(), M, N, K, K, 1, N, 1, N, 1,
            BLOCK_M=32, BLOCK_N=32, BLOCK_K=16)[2].reshape(M, N)
    expected = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.astype(np.float32), expected, rtol=2e-2, atol=2e-2)


@kite.kernel
def branch_kernel(src_ptr, dst_ptr, n, shift, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    if shift > 0:
        src = kl.advance(src, (shift,))
    dst = kl.make_block_ptr(dst_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    kl.store(dst, kl.load(src, boundary_check=(0,), padding_option="zero"), boundary_check=(0,))


@pytest.mark.parametrize("shift", [0, 5])
def test_a_branch_may_advance_a_block_pointer(shift):
    x = np.arange(1, 41, dtype=np.float32)
    out = run(branch_kernel, (1,), x, np.zeros_like(x), 40, shift, BLOCK=64)[1]
    expected = np.concatenate([x[shift:], np.zeros(shift, np.float32)])
    np.testing.assert_array_equal(out, expected)


@kite.kernel
def mask_kernel(src_ptr, n, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    x = kl.load(src, mask=kl.arange(0, BLOCK) < n)
    kl.store(src_ptr + kl.arange(0, BLOCK), x)


@kite.kernel
def boundary_on_plain_pointer_kernel(src_ptr, BLOCK: kl.constexpr):
    x = kl.load(src_ptr + kl.arange(0, BLOCK), boundary_check=(0,))
    kl.store(src_ptr + kl.arange(0, BLOCK), x)


@kite.kernel
def rank_mismatch_kernel(src_ptr, n, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n, n), (n, 1), (0,), (BLOCK, BLOCK), (1, 0))
    kl.store(src_ptr, kl.sum(kl.load(src)))


@kite.kernel
def int_nan_padding_kernel(src_ptr, n, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    kl.store(src_ptr + kl.arange(0, BLOCK), kl.load(src, boundary_check=(0,),
                                                     padding_option="nan"))


@kite.kernel
def changing_block_kernel(src_ptr, n, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    for i in range(0, n):
        src = kl.make_block_ptr(src_ptr, (n,), (1,), (i,), (2 * BLOCK,), (0,))
    kl.store(src_ptr, kl.sum(kl.load(src, boundary_check=(0,))))


@pytest.mark.parametrize("kernel,args,message,marker", [
    (mask_kernel, (np.ones(8, np.float32), 8), "takes boundary_check and padding_option, "
     "not mask and other", "kl.load(src"),
    (boundary_on_plain_pointer_kernel, (np.ones(8, np.float32),),
     "boundary_check and padding_option are for block pointers", "kl.load("),
    (rank_mismatch_kernel, (np.ones(8, np.float32), 8), "need one value per dimension",
     "make_block_ptr("),
    (int_nan_padding_kernel, (np.ones(8, np.int32), 8), "padding_option='nan' needs "
     "floating-point elements", "kl.load("),
    (changing_block_kernel, (np.ones(8, np.float32), 8), "must keep its kind, length, block shape",
     "(i,), (2 * BLOCK,)"),
])
def test_block_pointer_errors_name_the_line(kernel, args, message, marker):
    with pytest.raises(kite.CompilationError, match=message) as info:
        run(kernel, (1,), *args, BLOCK=8)
    assert info.value.lineno == line_of(kernel, marker)


@kite.kernel
def tuple_loop_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    # A tuple of running values (a runtime count too) and one of block
    # pointers, carried by a loop.
    offs = kl.arange(0, BLOCK)
    stats = (kl.zeros((BLOCK,), kl.float32), kl.full((BLOCK,), float("-inf"), kl.float32), n * 0)
    ptrs = (kl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,)), x_ptr + offs)
    for i in range(0, n, BLOCK):
        x = kl.load(ptrs[0], boundary_check=(0,), padding_option="zero")
        total, biggest, count = stats
        stats = (total + x, kl.maximum(biggest, x), count + 1)
        ptrs = (kl.advance(ptrs[0], (BLOCK,)), ptrs[1] + BLOCK)
    kl.store(out_ptr + offs, stats[0])
    kl.store(out_ptr + BLOCK + offs, stats[1])
    kl.store(out_ptr + 2 * BLOCK + offs, stats[2].to(kl.float32) + kl.zeros((BLOCK,), kl.float32))


def test_tuples_of_tensors_and_block_pointers_are_loop_carried():
    n, block = 96, 32
    x = np.random.default_rng(5).standard_normal(n).astype(np.float32)
    out = run(tuple_loop_kernel, (1,), x, np.zeros(3 * block, np.float32), n, BLOCK=block)[1]
    rows = x.reshape(-1, block)
    np.testing.assert_allclose(out[:block], rows.sum(0), rtol=1e-5)
    np.testing.assert_array_equal(out[block:2 * block], rows.max(0))
    np.testing.assert_array_equal(out[2 * block:], np.full(block, 3, np.float32))


@kite.kernel
def tuple_length_kernel(x_ptr, n, BLOCK: kl.constexpr):
    pair = (kl.load(x_ptr), kl.load(x_ptr + 1))
    for i in range(0, n):
        pair = (pair[0], pair[1], pair[0])
    kl.store(x_ptr, pair[0])


def test_a_loop_changing_a_tuples_length_is_an_error():
    with pytest.raises(kite.CompilationError, match="must keep its kind, length, block shape") as info:
        run(tuple_length_kernel, (1,), np.ones(4, np.float32), 3, BLOCK=4)
    assert info.value.lineno == line_of(tuple_length_kernel, "pair = (pair[0], pair[1], pair[0])")


@kite.kernel
def descriptor_copy_kernel(src_ptr, dst_ptr, M, N, BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr):
    src = kl.make_tensor_descriptor(src_ptr, shape=[M, N], strides=[N, 1],
                                    block_shape=[BLOCK_M, BLOCK_N])
    dst = kl.make_tensor_descriptor(dst_ptr, [M, N], [N, 1], [BLOCK_M, BLOCK_N])
    off_m = kl.program_id(0) * BLOCK_M
    off_n = kl.program_id(1) * BLOCK_N
    block = src.load([off_m, off_n])
    dst.store([off_m, off_n], block + 1)
    dst.atomic_add([off_m, off_n], kl.full((BLOCK_M, BLOCK_N), 10, kl.int32))


def test_tensor_descriptor_loads_stores_and_atomics_stay_inside_the_tensor():
    M, N = 37, 45
    x = np.random.default_rng(6).integers(-50, 50, (M, N)).astype(np.int32)
    out = run(descriptor_copy_kernel, (kl.cdiv(M, 16), kl.cdiv(N, 32)), x.ravel(),
              np.zeros(M * N, np.int32), M, N, BLOCK_M=16, BLOCK_N=32)[1]
    np.testing.assert_array_equal(out.reshape(M, N), x + 11)


@kite.kernel
def attention_kernel(q_ptr, k_ptr, v_ptr, o_ptr, seq, sm_scale, HEAD: kl.constexpr,
                     BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr):
    # The shape of Triton's fused-attention forward (online softmax over
    # blocks of keys), with tensor descriptors made in the kernel.
    q_desc = kl.make_tensor_descriptor(q_ptr, [seq, HEAD], [HEAD, 1], [BLOCK_M, HEAD])
    k_desc = kl.make_tensor_descriptor(k_ptr, [seq, HEAD], [HEAD, 1], [BLOCK_N, HEAD])
    v_desc = kl.make_tensor_descriptor(v_ptr, [seq, HEAD], [HEAD, 1], [BLOCK_N, HEAD])
    o_desc = kl.make_tensor_descriptor(o_ptr, [seq, HEAD], [HEAD, 1], [BLOCK_M, HEAD])
    start_m = kl.program_id(0) * BLOCK_M
    q = q_desc.load([start_m, 0])
    m_i = kl.full([BLOCK_M], float("-inf"), kl.float32)
    l_i = kl.zeros([BLOCK_M], kl.float32)
    acc = kl.zeros([BLOCK_M, HEAD], kl.float32)
    qk_scale = sm_scale * 1.44269504
    for start_n in range(0, seq, BLOCK_N):
        k = k_desc.load([start_n, 0])
        qk = kl.dot(q, k.T) * qk_scale
        cols = start_n + kl.arange(0, BLOCK_N)
        qk = kl.where(cols[None, :] < seq, qk, float("-inf"))
        m_ij = kl.maximum(m_i, kl.max(qk, 1))
        p = kl.math.exp2(qk - m_ij[:, None])
        alpha = kl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + kl.sum(p, 1)
        acc = acc * alpha[:, None] + kl.dot(p.to(kl.float16), v_desc.load([start_n, 0]))
        m_i = m_ij
    o_desc.store([start_m, 0], (acc / l_i[:, None]).to(kl.float16))


@pytest.mark.parametrize("seq", [64, 50])
def test_attention_with_tensor_descriptors(seq):
    head = 16
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((seq, head)).astype(np.float16) for _ in range(3))
    scale = 1 / np.sqrt(head)
    out = run(attention_kernel, (kl.cdiv(seq, 16),), q.ravel(), k.ravel(), v.ravel(),
              np.zeros(seq * head, np.float16), seq, scale, HEAD=head, BLOCK_M=16,
              BLOCK_N=16)[3].reshape(seq, head)
    s = (q.astype(np.float32) @ k.astype(np.float32).T) * scale
    p = np.exp(s - s.max(1, keepdims=True))
    expected = (p / p.sum(1, keepdims=True)) @ v.astype(np.float32)
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=2e-2, atol=2e-2)


@kite.kernel
def descriptor_bad_offsets_kernel(src_ptr, BLOCK: kl.constexpr):
    desc = kl.make_tensor_descriptor(src_ptr, [BLOCK, BLOCK], [BLOCK, 1], [BLOCK, BLOCK])
    kl.store(src_ptr + kl.arange(0, BLOCK), kl.sum(desc.load([0]), 1))


def test_a_descriptor_load_with_too_few_offsets_is_an_error():
    with pytest.raises(kite.CompilationError, match="needs one offset per dimension") as info:
        run(descriptor_bad_offsets_kernel, (1,), np.ones(64, np.float32), BLOCK=8)
    assert info.value.lineno == line_of(descriptor_bad_offsets_kernel, "desc.load(")


@kite.kernel
def host_descriptor_kernel(a_desc, out_desc, BLOCK_M: kl.constexpr, BLOCK_N: kl.constexpr):
    off_m = kl.program_id(0) * BLOCK_M
    off_n = kl.program_id(1) * BLOCK_N
    out_desc.store([off_m, off_n], a_desc.load([off_m, off_n]) * 3)


@pytest.mark.parametrize("transposed", [False, True], ids=["row-major", "column-major"])
def test_host_tensor_descriptors_are_passed_as_pointer_shape_and_strides(transposed):
    M, N, BM, BN = 40, 72, 16, 32
    x = np.random.default_rng(8).standard_normal((M, N)).astype(np.float32)
    a = kite.from_numpy(np.asfortranarray(x).ravel(order="K"), device=DEVICE)
    out = kite.from_numpy(np.zeros(M * N, np.float32), device=DEVICE)
    strides = [1, M] if transposed else [N, 1]
    a_desc = kite.TensorDescriptor(a, [M, N], strides if transposed else [N, 1],
                                   [BM, BN])
    if not transposed:
        a = kite.from_numpy(x.ravel(), device=DEVICE)
        a_desc = kite.TensorDescriptor(a, [M, N], [N, 1], [BM, BN])
    out_desc = kite.TensorDescriptor(out, [M, N], [N, 1], [BM, BN])
    run(host_descriptor_kernel, (kl.cdiv(M, BM), kl.cdiv(N, BN)), a_desc, out_desc,
        BLOCK_M=BM, BLOCK_N=BN)
    np.testing.assert_array_equal(out.numpy().reshape(M, N), x * 3)


def test_tensor_descriptor_from_a_numpy_array_takes_its_strides():
    x = np.zeros((6, 8), np.float32)[:, ::2]
    desc = kite.TensorDescriptor.from_tensor(x, [2, 4])
    assert desc.shape == [6, 4] and desc.strides == [8, 2]
    with pytest.raises(ValueError, match="powers of two"):
        kite.TensorDescriptor.from_tensor(x, [3, 4])


@kite.kernel
def far_offsets_kernel(x_ptr, out_ptr, BLOCK: kl.constexpr):
    # Positions past 2^31 elements: the base is moved back so that the block
    # lands on x; offsets + arange and the advances are 64-bit sums.
    far = 2 ** 31 - 8
    src = kl.make_block_ptr(x_ptr - far, (2 ** 40,), (1,), (far - BLOCK,), (BLOCK,), (0,))
    src = kl.advance(src, (BLOCK,))
    kl.store(out_ptr + kl.arange(0, BLOCK), kl.load(src, boundary_check=(0,)))


def test_block_positions_past_two_to_the_31_do_not_wrap():
    x = np.arange(1, 17, dtype=np.float32)
    out = run(far_offsets_kernel, (1,), x, np.zeros_like(x), BLOCK=16)[1]
    np.testing.assert_array_equal(out, x)


@kite.kernel
def wide_offset_kernel(x_ptr, start, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(x_ptr, (BLOCK,), (1,), (start,), (BLOCK,), (0,))
    kl.store(x_ptr + kl.arange(0, BLOCK), kl.load(src))


@kite.kernel
def huge_advance_kernel(x_ptr, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(x_ptr, (BLOCK,), (1,), (0,), (BLOCK,), (0,))
    src = kl.advance(src, (2 ** 32 + 4,))
    kl.store(x_ptr + kl.arange(0, BLOCK), kl.load(src))


def test_offsets_wider_than_32_bits_are_errors_not_truncated():
    with pytest.raises(kite.CompilationError, match="offsets must be 32-bit integers, got int64"):
        run(wide_offset_kernel, (1,), np.ones(8, np.float32), 2 ** 33, BLOCK=8)
    with pytest.raises(kite.CompilationError, match="offset 4294967300 does not fit in 32 bits") \
            as info:
        run(huge_advance_kernel, (1,), np.ones(8, np.float32), BLOCK=8)
    assert info.value.lineno == line_of(huge_advance_kernel, "kl.advance(")


@kite.kernel
def tuple_constants_kernel(x_ptr, n, BLOCK: kl.constexpr):
    # Numbers (and None) in a carried tuple stay compile-time constants.
    state = (BLOCK, kl.zeros((BLOCK,), kl.float32), None)
    for i in range(0, n):
        state = (state[0], state[1] + 1.0, state[2])
    if n > 2:
        state = (state[0], state[1] * 2.0, None)
    kl.store(x_ptr + kl.arange(0, state[0]), state[1])


def test_compile_time_elements_of_carried_tuples_stay_constants():
    out = run(tuple_constants_kernel, (1,), np.zeros(8, np.float32), 3, BLOCK=8)
    np.testing.assert_array_equal(out, np.full(8, 6.0, np.float32))


@kite.kernel
def tuple_constant_changes_kernel(x_ptr, n, BLOCK: kl.constexpr):
    state = (1, kl.zeros((BLOCK,), kl.float32))
    for i in range(0, n):
        state = (state[0] + 1, state[1] + 1.0)
    kl.store(x_ptr + kl.arange(0, BLOCK), state[1])


def test_a_loop_changing_a_tuples_constant_element_is_an_error():
    with pytest.raises(kite.CompilationError, match="compile-time elements") as info:
        run(tuple_constant_changes_kernel, (1,), np.zeros(8, np.float32), 3, BLOCK=8)
    assert info.value.lineno == line_of(tuple_constant_changes_kernel, "state = (state[0] + 1")
