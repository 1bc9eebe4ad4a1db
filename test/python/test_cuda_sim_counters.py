"""What cuda-sim counts of a launch (docs/cuda-sim.md, "Counters"): the
loads, stores, atomics and arithmetic of the kernel's own LLVM IR, by
address space and width, beside what the runtime counts (barriers,
shuffles, inline PTX). Counts are per thread, summed over the launch."""
import numpy as np
import pytest

import kite
import kite.language as kl

DEVICE = "cuda-sim:sm_80"
WIDTHS = (8, 16, 32, 64, 128)


def tensor(array):
    return kite.from_numpy(array, device=DEVICE)


def stats():
    return kite.sim.statistics(DEVICE)


def instructions(s, kind):
    """Memory instructions of `kind` ("global_loads", "global_stores") and
    the bytes they move according to their widths."""
    count = sum(s[f"{kind}_{w}"] for w in WIDTHS)
    return count, sum(s[f"{kind}_{w}"] * w // 8 for w in WIDTHS)


@kite.jit
def add_kernel(x, y, out, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out + offs, kl.load(x + offs, mask=mask) + kl.load(y + offs, mask=mask), mask=mask)


@kite.jit
def fma_kernel(x, y, z, out, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(out + offs, kl.load(x + offs) * kl.load(y + offs) + kl.load(z + offs))


@kite.jit
def row_sum_kernel(x, out, n_cols, BLOCK: kl.constexpr):
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    v = kl.load(x + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    kl.store(out + row, kl.sum(v, axis=0))


@kite.jit
def transpose_kernel(x, out, N: kl.constexpr):
    i = kl.arange(0, N)
    tile = kl.load(x + i[:, None] * N + i[None, :])
    kl.store(out + i[:, None] * N + i[None, :], kl.trans(tile))


@pytest.mark.parametrize("device", ["cuda-sim:sm_80", "cuda-sim:sm_90"])
@pytest.mark.parametrize("block", [256, 1024])
def test_vector_add_moves_each_element_once(device, block):
    n = 3000  # no multiple of the block: the masked-off lanes load nothing
    x, y = np.random.default_rng(0).random((2, n), dtype=np.float32)
    out = kite.empty((n,), device=device)
    add_kernel[(-(-n // block),)](kite.from_numpy(x, device=device),
                                  kite.from_numpy(y, device=device), out, n, BLOCK=block)
    np.testing.assert_array_equal(out.numpy(), x + y)
    s = kite.sim.statistics(device)
    assert s["global_load_bytes"] == 8 * n and s["global_store_bytes"] == 4 * n
    # The instructions by width account for exactly those bytes.
    assert instructions(s, "global_loads")[1] == 8 * n
    assert instructions(s, "global_stores")[1] == 4 * n
    assert s["shared_load_bytes"] == s["shared_store_bytes"] == 0
    assert s["barriers"] == s["shuffles"] == s["atomics"] == 0


def test_x_times_y_plus_z_is_two_float_ops_per_element():
    n, block = 2048, 512
    x, y, z = np.random.default_rng(1).random((3, n), dtype=np.float32)
    out = kite.empty((n,), device=DEVICE)
    fma_kernel[(n // block,)](tensor(x), tensor(y), tensor(z), out, BLOCK=block)
    np.testing.assert_allclose(out.numpy(), x * y + z, rtol=1e-6)
    s = stats()
    assert s["float_ops"] == 2 * n
    assert s["global_load_bytes"] == 12 * n and s["global_store_bytes"] == 4 * n
    assert s["int_ops"] > 0  # the offsets


def test_a_reduction_across_warps_shuffles_and_goes_through_shared_memory():
    rows, cols, warps = 5, 1000, 4
    x = np.random.default_rng(2).random((rows, cols), dtype=np.float32)
    out = kite.empty((rows,), device=DEVICE)
    row_sum_kernel[(rows,)](tensor(x), out, cols, BLOCK=1024, num_warps=warps)
    np.testing.assert_allclose(out.numpy(), x.sum(axis=1), rtol=1e-5)
    s = stats()
    threads = rows * warps * 32
    # A butterfly within each warp: log2(32) shuffles per thread at least.
    assert s["shuffles"] >= 5 * threads
    assert s["barriers"] >= threads
    # Each warp's partial sum is written to shared memory and read back.
    assert s["shared_store_bytes"] >= 4 * warps * rows
    assert s["shared_load_bytes"] >= 4 * warps * rows
    assert s["shared_stores"] > 0 and s["shared_loads"] > 0
    assert s["global_load_bytes"] == 4 * rows * cols
    assert s["float_ops"] >= rows * (cols - 1)  # the additions of the sum


def test_a_transpose_exchanges_its_tile_through_shared_memory():
    N = 32
    x = np.arange(N * N, dtype=np.float32).reshape(N, N)
    out = kite.empty((N, N), device=DEVICE)
    transpose_kernel[(1,)](tensor(x), out, N=N, num_warps=4)
    np.testing.assert_array_equal(out.numpy(), x.T)
    s = stats()
    assert s["global_load_bytes"] == s["global_store_bytes"] == 4 * N * N
    # Every element goes through shared memory once at least.
    assert s["shared_store_bytes"] >= 4 * N * N and s["shared_load_bytes"] >= 4 * N * N
    assert s["barriers"] > 0


# Hand-written NVVM IR, for what Kite's kernels do not show: generic
# addresses (classified when they run), a thread's own array (local
# memory), atomics, vector arithmetic, and instructions the simulator adds
# itself (inline PTX's operand slots, division guards), which must not count.
GENERIC_IR = r'''
target triple = "nvptx64-nvidia-cuda"
@buf = internal addrspace(3) global [32 x float] undef, align 4

define ptx_kernel void @generic(ptr %out, ptr addrspace(1) %counter, i32 %to_shared) {
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %i = zext i32 %tid to i64
  %s = getelementptr float, ptr addrspace(3) @buf, i64 %i
  %sg = addrspacecast ptr addrspace(3) %s to ptr
  %g = getelementptr float, ptr %out, i64 %i
  %c = icmp ne i32 %to_shared, 0
  %p = select i1 %c, ptr %sg, ptr %g
  store float 2.0, ptr %p, align 4
  %v = load float, ptr %p, align 4
  %a = alloca [4 x float], align 16
  %lane4 = and i32 %tid, 3
  %ai = getelementptr float, ptr %a, i32 %lane4
  store <4 x float> zeroinitializer, ptr %a, align 16
  store float %v, ptr %ai, align 4
  %w = load float, ptr %a, align 4
  %neg = fneg float %w
  %vec = insertelement <2 x float> zeroinitializer, float %neg, i32 0
  %sum = fadd <2 x float> %vec, <float 1.0, float 1.0>
  %e = extractelement <2 x float> %sum, i32 0
  %f = call float @llvm.fma.f32(float %e, float %e, float %e)
  %q = sdiv i32 %tid, %to_shared
  %r = call i32 asm "add.s32 $0, $1, $2;", "=r,r,r"(i32 %q, i32 %tid)
  %fr = sitofp i32 %r to float
  %h = fadd float %f, %fr
  store float %h, ptr %g, align 4
  %old = atomicrmw add ptr addrspace(1) %counter, i32 1 monotonic
  ret void
}
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare float @llvm.fma.f32(float, float, float)
'''


@pytest.mark.parametrize("to_shared", [0, 1])
def test_ir_counts_by_address_space_and_only_the_kernels_own_instructions(to_shared):
    threads = 32
    out = kite.zeros((threads,), device=DEVICE)
    counter = kite.zeros((1,), kl.int32, device=DEVICE)
    kite.sim.launch_llvm_ir(GENERIC_IR, "generic", (1,), 1,
                            [("Q", out), ("Q", counter), ("i", to_shared)], device=DEVICE)
    s = stats()
    # The store and load through %p go where it points, decided per launch.
    through_p = 4 * threads
    assert s["shared_store_bytes"] == (through_p if to_shared else 0)
    assert s["shared_load_bytes"] == (through_p if to_shared else 0)
    assert s["shared_stores"] == s["shared_loads"] == (threads if to_shared else 0)
    assert s["global_load_bytes"] == (0 if to_shared else through_p)
    assert s["global_store_bytes"] == 4 * threads + (0 if to_shared else through_p)
    assert s["global_stores_32"] == threads * (1 if to_shared else 2)
    # The array: one 16-byte and one 4-byte store, one 4-byte load; inline
    # PTX's operand slots (the simulator's) are not counted.
    assert s["local_store_bytes"] == 20 * threads and s["local_load_bytes"] == 4 * threads
    # fneg 1, the <2 x float> fadd 2, fma 2, fadd 1.
    assert s["float_ops"] == 6 * threads
    # icmp, and, sdiv (not its guards against zero and overflow); the
    # inline add is PTX's, not the IR's.
    assert s["int_ops"] == 3 * threads
    assert s["atomics"] == threads
    assert counter.numpy()[0] == threads


def test_kite_and_triton_move_the_same_bytes_in_the_instruction_mix_benchmark():
    # benchmarks/sim_instruction_mix.py: the same kernels for both compilers.
    # Kite's counts come from the instrumented IR, Triton's from its inline
    # PTX, mma.sync and cp.async: the two ways of counting agree on what
    # both kernels must do.
    pytest.importorskip("triton", reason="Triton (pip install triton) compiles the references")
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks",
                        "sim_instruction_mix.py")
    spec = importlib.util.spec_from_file_location("sim_instruction_mix", path)
    mix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mix)
    for case in mix.cases(np.random.default_rng(0)):
        k_out, k = mix.run_kite(case)
        t_out, t = mix.run_triton(case)
        assert mix.check(k_out, case) == mix.check(t_out, case) == "matches numpy", case.name
        for counter in ("global_load_bytes", "global_store_bytes"):
            assert k[counter] == t[counter], (case.name, counter)
        if case.name.startswith(("vector add", "matmul")):
            assert k["float_ops"] == t["float_ops"], case.name  # n adds; 2·M·N·K


LOOP_IR = '''target triple = "nvptx64-nvidia-cuda"
define ptx_kernel void @loop(ptr addrspace(1) %out, i32 %n) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  br label %body
body:
  %i = phi i32 [ 0, %entry ], [ %next, %body ]
  %acc = phi i32 [ %tid, %entry ], [ %sum, %body ]
  %sum = call i32 asm "{ .reg .b32 t; add.s32 t, $1, 1; add.s32 $0, t, $2; }", "=r,r,r"(i32 %acc, i32 %i)
  %next = add i32 %i, 1
  %more = icmp slt i32 %next, %n
  br i1 %more, label %body, label %done
done:
  %slot = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %sum, ptr addrspace(1) %slot, align 4
  ret void
}
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
'''


@pytest.mark.parametrize("n", [1, 5])
def test_instructions_counts_each_executed_instruction_and_inline_ptx_by_statement(n):
    threads = 32
    out = kite.zeros((threads,), kl.int32, device=DEVICE)
    kite.sim.launch_llvm_ir(LOOP_IR, "loop", (1,), 1, [("Q", out), ("i", n)], device=DEVICE)
    # entry: the tid read and the branch (2); each iteration: the asm's two
    # adds (its .reg declaration is none), add, icmp, br (5), the phis none;
    # done: getelementptr, store, ret (3).
    assert stats()["instructions"] == threads * (2 + 5 * n + 3)
    tid = np.arange(threads)
    assert (out.numpy() == tid + n + n * (n - 1) // 2).all()
