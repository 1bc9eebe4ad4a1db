"""The SPIR-V emitter, the argument packing and the Vulkan runtime agree on
the kernel ABI (docs/vulkan-abi.md): a thread-level kernel with arguments of
every kind runs on the first Vulkan device (lavapipe in CI)."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import _C
from kite.frontend.specialization import ArgSpec
from kite.runtime import registry
from kite.runtime.packing import pack_arguments

VULKAN = [d for d in registry.devices() if d.startswith("vulkan:")]
pytestmark = pytest.mark.skipif(not VULKAN, reason="no Vulkan device (install mesa-vulkan-drivers)")

# out[i] = (flag ? x[i] * alpha : 0) + bias, for i < n; 64 threads, one element each.
AXPB = """
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @axpb() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i64
    %flag = kitethread.kernel_arg 1 : i1
    %out = kitethread.kernel_arg 2 : i64
    %n = kitethread.kernel_arg 3 : i32
    %alpha = kitethread.kernel_arg 4 : f32
    %bias = kitethread.kernel_arg 5 : i64
    %pid = kitethread.program_id x : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c64 = arith.constant 64 : i32
    %base = arith.muli %pid, %c64 : i32
    %i = arith.addi %base, %t : i32
    %mask = arith.cmpi slt, %i, %n : i32
    %i64 = arith.extsi %i : i32 to i64
    %c4 = arith.constant 4 : i64
    %off = arith.muli %i64, %c4 : i64
    %xa = arith.addi %x, %off : i64
    %oa = arith.addi %out, %off : i64
    %v = kitethread.load %xa, %mask align 4 : f32
    %scaled = arith.mulf %v, %alpha : f32
    %zero = arith.constant 0.0 : f32
    %picked = arith.select %flag, %scaled, %zero : f32
    %b = arith.sitofp %bias : i64 to f32
    %r = arith.addf %picked, %b : f32
    kitethread.store %oa, %r, %mask align 4 : f32
    return
  }
}
"""

SPECS = [ArgSpec("x", False, None, kl.pointer_type(kl.float32), True),
         ArgSpec("flag", False, None, kl.int1, False),
         ArgSpec("BLOCK", True, 64, None, False),
         ArgSpec("out", False, None, kl.pointer_type(kl.float32), True),
         ArgSpec("n", False, None, kl.int32, False),
         ArgSpec("alpha", False, None, kl.float32, False),
         ArgSpec("bias", False, None, kl.int64, False)]


def test_packing_follows_the_abi():
    packed = pack_arguments(SPECS, [0x1000, True, 64, 0x2000, 7, 0.5, -3])
    # x @0 (u64), flag @8 (u32), out @16 (u64, aligned), n @24, alpha @28, bias @32
    assert len(packed) == 40
    assert packed[0:8] == (0x1000).to_bytes(8, "little")
    assert packed[8:12] == (1).to_bytes(4, "little")
    assert packed[16:24] == (0x2000).to_bytes(8, "little")
    assert packed[24:28] == (7).to_bytes(4, "little")
    assert np.frombuffer(packed[28:32], np.float32)[0] == 0.5
    assert packed[32:40] == (-3).to_bytes(8, "little", signed=True)


@pytest.mark.parametrize("flag", [True, False])
def test_emitted_kernel_runs_with_packed_arguments(flag):
    device = registry.vulkan_device(VULKAN[0])
    result = _C.emit_spirv(AXPB, **device.emitter_options())
    assert result.ok, [str(d) for d in result.diagnostics]
    kernel = device.load_kernel(bytes(result.binary), "axpb", 64)
    n = 150
    x = kite.from_numpy(np.arange(n, dtype=np.float32), device=VULKAN[0])
    out = kite.zeros(n + 8, kl.float32, device=VULKAN[0])
    args = pack_arguments(SPECS, [x, flag, 64, out, n, 0.5, -3])
    device.launch(kernel, (3, 1, 1), args)
    expected = np.zeros(n + 8, np.float32)
    expected[:n] = (np.arange(n) * 0.5 if flag else 0) - 3
    np.testing.assert_array_equal(out.numpy(), expected)
