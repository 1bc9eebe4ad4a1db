"""cuda-sim (docs/cuda-sim.md): the NVIDIA code of a kernel executed on the
CPU. The numerics tier runs on it in CI (scripts/test.sh); these are the
device's own behaviours: choosing it, its errors, and that a bad kernel
leaves the process alive."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import _C
from kite.runtime import registry


@kite.jit
def add_kernel(x, y, out, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out + offs, kl.load(x + offs, mask=mask) + kl.load(y + offs, mask=mask), mask=mask)


@kite.jit
def unmasked_store(out, offset):
    kl.store(out + offset + kl.arange(0, 128), kl.full((128,), 1.0, kl.float32))


@pytest.mark.parametrize("device", ["cuda-sim:sm_80", "cuda-sim:sm_90", "cuda-sim"])
def test_vector_add_runs_on_each_simulated_architecture(device):
    n = 1000
    x = np.arange(n, dtype=np.float32)
    y = np.full(n, 0.5, np.float32)
    out = kite.empty((n,), device=device)
    add_kernel[(4,)](kite.from_numpy(x, device=device), kite.from_numpy(y, device=device),
                     out, n, BLOCK=256)
    np.testing.assert_array_equal(out.numpy(), x + y)
    stats = registry.device(device).last_launch_statistics()
    assert stats["barriers"] == 0 and "global_load_bytes" in stats


def test_the_simulator_is_listed_but_never_the_default(monkeypatch):
    monkeypatch.delenv("KITE_DEVICE", raising=False)
    assert "cuda-sim:sm_80" in kite.devices()
    assert not kite.default_device().startswith("cuda-sim")
    assert registry.resolve_device("cuda-sim") == "cuda-sim:sm_80"


def test_an_architecture_it_cannot_simulate_is_a_clear_error():
    with pytest.raises(_C.DeviceError, match="cuda-sim simulates sm_70 and later"):
        _C.Device.open("cuda-sim:sm_60")


def test_an_out_of_bounds_store_is_an_error_naming_the_tensor():
    out = kite.zeros((128,), device="cuda-sim:sm_80")
    with pytest.raises(kite.KernelRuntimeError, match="out-of-bounds store to 'out'") as error:
        unmasked_store[(1,)](out, 64)
    assert error.value.lineno == unmasked_store.fn.__code__.co_firstlineno + 2
    # The process and the device go on.
    unmasked_store[(1,)](out, 0)
    np.testing.assert_array_equal(out.numpy(), np.ones(128, np.float32))


def test_a_wild_store_without_memory_checks_faults_into_an_error(monkeypatch):
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "0")
    out = kite.zeros((128,), device="cuda-sim:sm_90")
    with pytest.raises(_C.DeviceError, match=r"kernel 'unmasked_store' accessed address 0x[0-9a-f]+, "
                                             r"which is in no tensor of cuda-sim"):
        unmasked_store[(1,)](out, 1 << 28)
    unmasked_store[(1,)](out, 0)
    np.testing.assert_array_equal(out.numpy(), np.ones(128, np.float32))


def test_it_runs_llvm_ir_only():
    device = _C.Device.open("cuda-sim:sm_80")
    with pytest.raises(_C.DeviceError, match="cuda-sim:sm_80 runs LLVM IR for NVPTX, not PTX"):
        device.load_kernel(".version 8.0", format=_C.KernelFormat.PTX)


def test_inline_ptx_it_does_not_know_fails_the_launch_that_reaches_it():
    ir = r'''
target triple = "nvptx64-nvidia-cuda"
define ptx_kernel void @k(ptr addrspace(1) %p) {
  %v = call i32 asm sideeffect "frobnicate.b32 $0;", "=r"()
  store i32 %v, ptr addrspace(1) %p
  ret void
}
'''
    device = _C.Device.open("cuda-sim:sm_80")
    kernel = device.load_kernel(ir, entry_point="k", local_size=(32, 1, 1),
                                format=_C.KernelFormat.LLVM_IR, arg_sizes=[8])
    buffer = device.allocate(4)
    args = np.array([buffer.address], np.uint64).tobytes()
    with pytest.raises(_C.DeviceError,
                       match="the simulator does not implement `frobnicate.b32 \\$0`"):
        device.launch(kernel, (1,), args)


@kite.jit
def spin_forever(flag):
    while kl.load(flag, volatile=True) == 0:
        pass


@kite.jit
def wait_for_earlier_block(flags, out):
    # Block i waits for block i - 1's flag, a plain load (no atomic): the
    # simulator must let the earlier block run while this one spins.
    pid = kl.program_id(0)
    if pid > 0:
        while kl.load(flags + pid - 1, volatile=True) == 0:
            pass
    kl.store(out + pid, pid)
    kl.debug_barrier()
    kl.store(flags + pid, 1)


def test_a_loop_that_never_ends_reaches_the_timeout(monkeypatch):
    monkeypatch.setenv("KITE_SIM_TIMEOUT", "1")
    flag = kite.zeros((1,), kl.int32, device="cuda-sim:sm_80")
    with pytest.raises(Exception, match="still runs after 1 s on cuda-sim"):
        spin_forever[(1,)](flag)


def test_a_block_spinning_on_a_plain_load_lets_an_earlier_block_run():
    flags = kite.zeros((6,), kl.int32, device="cuda-sim:sm_80")
    out = kite.zeros((6,), kl.int32, device="cuda-sim:sm_80")
    wait_for_earlier_block[(6,)](flags, out)
    np.testing.assert_array_equal(out.numpy(), np.arange(6))


@kite.jit
def print_and_assert(x, n, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    v = kl.load(x + offs, mask=offs < n)
    kl.device_print("v=", v)
    kl.device_assert(v < 3, "v too big")  # ASSERT-LINE


def test_device_print_and_assert_behave_as_on_a_gpu(capfd):
    x = kite.from_numpy(np.arange(4, dtype=np.int32), device="cuda-sim:sm_80")
    line = next(i for i, text in enumerate(open(__file__), 1) if "# ASSERT-LINE" in text)
    with pytest.raises(kite.KernelRuntimeError) as error:
        print_and_assert[(1,)](x, 4, BLOCK=4, num_warps=1)
    assert (error.value.filename, error.value.lineno) == (__file__, line)
    assert error.value.message == "v too big (block (0, 0, 0), thread (3, 0, 0))"
    printed = capfd.readouterr().out
    assert [f"pid (0, 0, 0) thread {i}: v={i}" for i in range(4)] == printed.split("\n")[:4]


def test_kernel_code_cannot_call_into_the_process():
    # The IR runs as host code: only math and compiler helpers resolve.
    ir = r'''
target triple = "nvptx64-nvidia-cuda"
@cmd = private constant [5 x i8] c"true\00"
declare i32 @system(ptr)
define ptx_kernel void @k(ptr addrspace(1) %p) {
  %r = call i32 @system(ptr @cmd)
  store i32 %r, ptr addrspace(1) %p
  ret void
}
'''
    device = _C.Device.open("cuda-sim:sm_80")
    with pytest.raises(_C.DeviceError, match="cuda-sim cannot compile 'k'"):
        device.load_kernel(ir, entry_point="k", local_size=(32, 1, 1),
                           format=_C.KernelFormat.LLVM_IR, arg_sizes=[8])
