"""Masked loads on cuda-sim, which runs the NVIDIA code (predicated
`ld.global`, docs/nvptx-emitter.md) with guard pages around every tensor:
a masked-off lane touches no memory, wherever it points, with the memory
checks on or off; the checks still stop and report an active lane out of
bounds, and only an active one."""
import numpy as np
import pytest

import kite
import kite.language as kl
import kite.sim
from kite import _C

DEVICE = "cuda-sim:sm_80"
N = 1024  # 4 KiB of f32: the tensor ends where a guard page starts


@kite.jit
def masked_copy(x_ptr, out_ptr, n, far, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    # Masked-off lanes point `far` elements further (0: just past the end).
    x = kl.load(x_ptr + kl.where(mask, offs, offs + far), mask=mask, other=-1)
    kl.store(out_ptr + offs, x)


@kite.jit
def offset_copy(x_ptr, out_ptr, n, start, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + start + offs, mask=offs < n, other=-1)  # LOAD
    kl.store(out_ptr + offs, x)


def line_of(kernel, marker):
    import inspect
    lines, start = inspect.getsourcelines(kernel.fn)
    return next(start + i for i, line in enumerate(lines) if marker in line)


@pytest.mark.parametrize("checks", ["1", "0"], ids=["checked", "unchecked"])
@pytest.mark.parametrize("far", [0, 1 << 20, -(1 << 20)], ids=["past-the-end", "far", "before"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.float64])
def test_masked_off_lanes_touch_no_memory(monkeypatch, dtype, far, checks):
    """Two programs of 512: the second reads past the end of x (into the
    guard page, or far away) in every lane, all masked off; the first is
    cut inside a vector, so its last elements are loaded one by one."""
    monkeypatch.setenv("KITE_MEMORY_CHECKS", checks)
    n = N * 4 // np.dtype(dtype).itemsize
    x = np.arange(n).astype(dtype)
    out = kite.zeros((2 * n,), {np.float32: kl.float32, np.float16: kl.float16,
                                np.int8: kl.int8, np.float64: kl.float64}[dtype], device=DEVICE)
    valid = n - 3
    masked_copy[(2 * n // 512,)](kite.from_numpy(x, device=DEVICE), out, valid, far, BLOCK=512)
    expected = np.full(2 * n, -1, dtype)
    expected[:valid] = x[:valid]
    np.testing.assert_array_equal(out.numpy(), expected)


def test_without_a_mask_the_same_address_faults(monkeypatch):
    """What the guard page does to an active lane past the end: the
    predicate, not luck, keeps the masked-off lanes above from faulting."""
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "0")
    x = kite.from_numpy(np.zeros(N, np.float32), device=DEVICE)
    out = kite.zeros((512,), kl.float32, device=DEVICE)
    with pytest.raises(_C.DeviceError, match=r"kernel 'offset_copy' accessed address 0x[0-9a-f]+, "
                                             r"which is in no tensor of cuda-sim"):
        offset_copy[(1,)](x, out, 512, N, BLOCK=512)


@pytest.mark.parametrize("n,start", [(512, N - 256), (9, N - 8), (512, N)],
                         ids=["vectors", "one-element", "all-past-the-end"])
def test_memory_checks_report_an_active_lane_out_of_bounds(n, start):
    x = kite.from_numpy(np.arange(N, dtype=np.float32), device=DEVICE)
    out = kite.zeros((512,), kl.float32, device=DEVICE)
    with pytest.raises(kite.KernelRuntimeError, match="out-of-bounds load from 'x_ptr'") as error:
        offset_copy[(1,)](x, out, n, start, BLOCK=512)
    assert error.value.lineno == line_of(offset_copy, "# LOAD")


@pytest.mark.parametrize("n,start", [(256, N - 256), (8, N - 8), (0, N), (5, N - 5)],
                         ids=["vectors", "elements", "none-active", "odd"])
def test_memory_checks_ignore_masked_off_lanes_out_of_bounds(n, start):
    x = np.arange(N, dtype=np.float32)
    out = kite.zeros((512,), kl.float32, device=DEVICE)
    offset_copy[(1,)](kite.from_numpy(x, device=DEVICE), out, n, start, BLOCK=512)
    expected = np.full(512, -1, np.float32)
    expected[:n] = x[start:start + n]
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("n", [1008, 1013, 0])
def test_masked_loads_count_only_the_active_lanes(monkeypatch, n):
    """The simulator's load counters (docs/cuda-sim.md, "Counters") count a
    masked load where it runs: n elements, in 16-byte vectors when the mask
    is constant over them (n a multiple of 16), else one by one."""
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "0")
    x = kite.from_numpy(np.arange(N, dtype=np.float32), device=DEVICE)
    out = kite.zeros((N,), kl.float32, device=DEVICE)
    offset_copy[(1,)](x, out, n, 0, BLOCK=N)
    stats = kite.sim.statistics(DEVICE)
    assert stats["global_load_bytes"] == 4 * n
    if n % 16 == 0:
        assert stats["global_loads_128"] == n // 4 and stats["global_loads_32"] == 0
    else:
        assert stats["global_loads_32"] == n and stats["global_loads_128"] == 0
