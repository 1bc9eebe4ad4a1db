"""Hopper's tensor-copy engine (TMA) for host ``kite.TensorDescriptor``s on
cuda-sim:sm_90a: a descriptor whose loads feed a pipelined dot is copied by
``cp.async.bulk.tensor`` into the slots, completing on mbarriers, from a
tensor map the launch encodes (docs/lowering.md, "TMA"). Results match
numpy at every edge (boxes past the tensor read zeros, on either side),
inside a loop that runs again per tile (persistent), and where TMA cannot
be used (strides that are no multiples of 16 elements, sm_80) the same
kernel runs on cp.async."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import TensorDescriptor

SIM = "cuda-sim:sm_90a"


@kite.jit
def descriptor_matmul(a_desc, b_desc, c_ptr, M, N, K, SHIFT,
                      BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    pid_m, pid_n = kl.program_id(0), kl.program_id(1)
    acc = kl.zeros((BM, BN), dtype=kl.float32)
    for k in range(0, kl.cdiv(K, BK)):
        a = a_desc.load([pid_m * BM - SHIFT, k * BK])
        b = b_desc.load([k * BK, pid_n * BN])
        acc = kl.dot(a, b, acc)
    rm = pid_m * BM + kl.arange(0, BM)
    rn = pid_n * BN + kl.arange(0, BN)
    kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc,
             mask=(rm[:, None] < M) & (rn[None, :] < N))


@kite.jit
def persistent_descriptor_matmul(a_desc, b_desc, c_ptr, M, N, K, PROGRAMS: kl.constexpr,
                                 BM: kl.constexpr, BN: kl.constexpr, BK: kl.constexpr):
    tiles_n = kl.cdiv(N, BN)
    for tile in range(kl.program_id(0), kl.cdiv(M, BM) * tiles_n, PROGRAMS):
        pid_m, pid_n = tile // tiles_n, tile % tiles_n
        acc = kl.zeros((BM, BN), dtype=kl.float32)
        for k in range(0, kl.cdiv(K, BK)):
            acc = kl.dot(a_desc.load([pid_m * BM, k * BK]), b_desc.load([k * BK, pid_n * BN]),
                         acc)
        rm = pid_m * BM + kl.arange(0, BM)
        rn = pid_n * BN + kl.arange(0, BN)
        kl.store(c_ptr + rm[:, None] * N + rn[None, :], acc,
                 mask=(rm[:, None] < M) & (rn[None, :] < N))


def _operands(M, N, K, dtype, device, seed=0):
    """numpy operands (rounded to ``dtype``) and the device's, of ``dtype``
    (np.float16, or kl.bfloat16)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    if dtype is kl.bfloat16:
        import ml_dtypes
        a, b = (x.astype(ml_dtypes.bfloat16).astype(np.float32) for x in (a, b))
        return a, b, [kite.from_numpy(x, device=device, dtype=kl.bfloat16) for x in (a, b)]
    a, b = a.astype(dtype), b.astype(dtype)
    return a, b, [kite.from_numpy(x, device=device) for x in (a, b)]


def _matmul(M, N, K, *, shift=0, dtype=np.float16, device=SIM, BM=128, BN=128, BK=64,
            num_warps=8, num_stages=3):
    a, b, (at, bt) = _operands(M, N, K, dtype, device)
    c = kite.from_numpy(np.zeros((M, N), np.float32), device=device)
    compiled = descriptor_matmul[(kl.cdiv(M, BM), kl.cdiv(N, BN))](
        TensorDescriptor.from_tensor(at, [BM, BK]), TensorDescriptor.from_tensor(bt, [BK, BN]),
        c, M, N, K, shift, BM=BM, BN=BN, BK=BK, num_warps=num_warps, num_stages=num_stages)
    rows = np.arange(M) - shift
    shifted = np.where(((rows >= 0) & (rows < M))[:, None], a[np.clip(rows, 0, M - 1)], 0)
    expected = shifted.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(c.numpy(), expected, rtol=2e-3, atol=2e-3)
    return compiled


@pytest.mark.parametrize("M, N, K, shift", [
    (256, 256, 256, 0),
    (200, 144, 112, 0),   # every edge ragged, strides still multiples of 16
    (128, 128, 48, 0),    # one K tile, partly past K
    (256, 128, 128, 40),  # boxes starting above row 0 (negative coordinates)
    (256, 128, 128, -200),
])
def test_descriptor_matmul_copies_with_tma_and_matches_numpy(M, N, K, shift):
    kite.sim.statistics(SIM)  # the counts of the launch below
    compiled = _matmul(M, N, K, shift=shift)
    # A's slots are placed for wgmma's descriptor: 8-row boxes; B in 64-column slabs.
    assert compiled.metadata["tensor_maps"] == [[4, 8, 64, 128], [9, 64, 64, 128]]
    assert "cp.async.bulk.tensor.2d" in compiled.asm["ptx"]
    assert "cp.async.cg" not in compiled.asm["ptx"]
    if K:
        assert kite.sim.statistics(SIM)["bulk_copies"] > 0


def test_bf16_descriptor_matmul_on_tma():
    compiled = _matmul(128, 256, 192, dtype=kl.bfloat16, BN=256, num_stages=4)
    assert compiled.metadata["tensor_maps"]


def test_fp8_descriptor_matmul_on_tma():
    # 8-bit rows of 128 elements: boxes of 128 columns (128 bytes).
    M, N, K = 128, 128, 256
    rng = np.random.default_rng(4)
    at, bt = (kite.from_numpy(x, device=SIM, dtype=kl.float8e4nv) for x in (
        rng.standard_normal((M, K)).astype(np.float32),
        (rng.standard_normal((K, N)) / 8).astype(np.float32)))
    c = kite.from_numpy(np.zeros((M, N), np.float32), device=SIM)
    compiled = descriptor_matmul[(1, 1)](
        TensorDescriptor.from_tensor(at, [128, 128]), TensorDescriptor.from_tensor(bt, [128, 128]),
        c, M, N, K, 0, BM=128, BN=128, BK=128, num_warps=8)
    assert compiled.metadata["tensor_maps"] == [[4, 8, 128, 128], [9, 128, 128, 128]]
    expected = at.numpy().astype(np.float32) @ bt.numpy().astype(np.float32)
    np.testing.assert_allclose(c.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_a_loop_that_never_runs_leaves_the_accumulator_zero():
    # K = 0: a tensor of no columns has no tensor map (cp.async's loop, no trip).
    compiled = _matmul(128, 128, 0)
    assert "tensor_maps" not in compiled.metadata


def test_a_persistent_loop_reinitialises_its_barriers_per_tile():
    M, N, K, programs = 384, 256, 192, 2  # 6 tiles over 2 programs: 3 K loops each
    a, b, (at, bt) = _operands(M, N, K, np.float16, SIM, seed=1)
    c = kite.from_numpy(np.zeros((M, N), np.float32), device=SIM)
    compiled = persistent_descriptor_matmul[(programs,)](
        TensorDescriptor.from_tensor(at, [128, 64]), TensorDescriptor.from_tensor(bt, [64, 128]),
        c, M, N, K, PROGRAMS=programs, BM=128, BN=128, BK=64, num_warps=8)
    assert compiled.metadata["tensor_maps"]
    assert compiled.asm["ptx"].count("mbarrier.inval") >= 1
    np.testing.assert_allclose(c.numpy(), a.astype(np.float32) @ b.astype(np.float32),
                               rtol=2e-3, atol=2e-3)


def test_strides_tma_cannot_take_fall_back_to_cp_async():
    # A's rows of 100 f16 elements are 200 bytes apart, no multiple of 16:
    # A has no tensor map and is copied by cp.async; B's rows (128
    # elements) are, in the same loop, by TMA.
    compiled = _matmul(128, 128, 100)
    assert compiled.metadata["tensor_maps"] == [[8, 64, 64, 128]]
    assert "cp.async.bulk.tensor" in compiled.asm["ptx"]
    assert "cp.async.wait_group" in compiled.asm["ptx"]


def test_without_tma_the_map_argument_is_passed_as_zero():
    compiled = _matmul(128, 128, 128, device="cuda-sim:sm_80", num_warps=4)
    assert "tensor_maps" not in compiled.metadata
    assert "cp.async.bulk.tensor" not in compiled.asm["ptx"]


def test_each_launch_encodes_the_map_of_its_own_tensor():
    # Same specialisation, other tensors: the second launch must not read
    # the first launch's map (the maps are cached by their bytes).
    for seed in (2, 3):
        a, b, (at, bt) = _operands(128, 128, 128, np.float16, SIM, seed=seed)
        c = kite.from_numpy(np.zeros((128, 128), np.float32), device=SIM)
        descriptor_matmul[(1, 1)](TensorDescriptor.from_tensor(at, [128, 64]),
                                  TensorDescriptor.from_tensor(bt, [64, 128]), c, 128, 128, 128,
                                  0, BM=128, BN=128, BK=64, num_warps=8)
        np.testing.assert_allclose(c.numpy(), a.astype(np.float32) @ b.astype(np.float32),
                                   rtol=2e-3, atol=2e-3)


def test_a_kernel_from_the_disk_cache_still_gets_its_tensor_maps(tmp_path):
    # The boxes each map is read in are part of the cached kernel's
    # metadata: a new process that finds the kernel on disk encodes the
    # same maps (without them it would pass 0 and TMA would fault).
    import os
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, %r); import test_tma, kite; "
            "c = test_tma._matmul(128, 128, 128); "
            "print(kite.compiler.stats.pipeline_runs, c.metadata['tensor_maps'])"
            % os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, KITE_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=600) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert runs[0].stdout.split()[0] == "1"  # compiled
    assert runs[1].stdout.split()[0] == "0"  # found on disk
    assert runs[1].stdout.split(None, 1)[1] == runs[0].stdout.split(None, 1)[1]


@pytest.mark.parametrize("shape, strides, why", [
    ([2 ** 31, 64], [64, 1], "a dimension of 2^31"),
    ([128, 64], [-64, 1], "a negative stride"),
    ([128, 64], [72, 1], "a stride of 72 elements"),
    ([128, 64], [2 ** 31, 1], "a stride of 2^31 elements"),
    ([64, 128], [1, 64], "a last stride that is not 1"),
    ([0, 64], [64, 1], "an empty dimension"),
])
def test_descriptors_tma_cannot_describe_have_no_tensor_map(shape, strides, why):
    from kite.tensor_descriptor import tma_eligible
    desc = TensorDescriptor(None, shape, strides, [64, 64])
    assert not tma_eligible(desc, 2, True), why
    assert tma_eligible(TensorDescriptor(None, [128, 64], [64, 1], [64, 64]), 2, True)
    assert not tma_eligible(TensorDescriptor(None, [128, 64], [64, 1], [64, 64]), 2, False)


@pytest.mark.parametrize("record", [[4, 8, 64, 96], [4, 0, 64, 128], [4, 8, 512, 128],
                                    [-1, 8, 64, 128], [4, 8, 64], "4:8x64:128"])
def test_a_damaged_tensor_map_record_is_refused(record):
    # The records come back from the JIT cache on disk: a box the kernel
    # does not copy in would make TMA write elsewhere in shared memory.
    from kite.runtime import tensor_maps
    compiled = _matmul(128, 128, 128)
    compiled.metadata["tensor_maps"] = [record]
    with pytest.raises(ValueError, match="is not one Kite writes"):
        tensor_maps.map_arguments(compiled)
