"""kite._C.emit_spirv: thread-level IR to a validated Vulkan SPIR-V binary."""
import struct

from kite import _C

STORE_PROGRAM_ID = """
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @store_pid() attributes {kite.kernel} {
    %out = kitethread.kernel_arg 0 : i64
    %pid = kitethread.program_id x : i32
    kitethread.store %out, %pid align 4 : i32
    return
  }
}
"""


def test_emit_spirv_returns_a_binary_and_its_disassembly():
    result = _C.emit_spirv(STORE_PROGRAM_ID)
    assert result.ok, [str(d) for d in result.diagnostics]
    magic, version = struct.unpack_from("<II", result.binary)
    assert magic == 0x07230203
    assert version == 0x00010500
    assert "spirv.module @store_pid" in result.ir
    if result.disassembly:  # empty when libkite has no SPIRV-Tools
        assert "OpEntryPoint GLCompute" in result.disassembly


def test_emit_spirv_names_the_missing_feature():
    kernel = STORE_PROGRAM_ID.replace("kernel_arg 0 : i64", "kernel_arg 0 : i64\n    %h = kitethread.kernel_arg 1 : f64")
    result = _C.emit_spirv(kernel)
    assert not result.ok
    assert "shaderFloat64" in result.diagnostics[0].message
    assert result.diagnostics[0].line == 5
    assert _C.emit_spirv(kernel, float64=True).ok
