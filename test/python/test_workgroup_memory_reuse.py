"""A kernel with several transposes and reductions stages each in a
workgroup buffer of its own; buffers used one after the other share their
memory (docs/spirv-emitter.md, docs/lowering.md "Workgroup memory"), so a
kernel whose buffers add up to more than a Vulkan device's
maxComputeSharedMemorySize (lavapipe: 32 KiB) runs as long as the buffers
live at once fit. Run on KITE_TEST_DEVICE against numpy."""
import re

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, assert_close, line_of, run

N = 64  # a 64 x 64 tile of 4-byte elements: 16 KiB per staged copy


@kite.kernel
def symmetric_parts_kernel(x_ptr, y_ptr, out_ptr, rows_ptr, cols_ptr,
                           N: kl.constexpr):
    r = kl.arange(0, N)
    c = kl.arange(0, N)
    offs = r[:, None] * N + c[None, :]
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    sym = x + kl.trans(x)
    anti = y - kl.trans(y)
    kl.store(out_ptr + offs, sym * anti.to(sym.dtype))
    kl.store(rows_ptr + r, kl.sum(sym, axis=1))
    kl.store(cols_ptr + c, kl.max(kl.trans(anti), axis=0))


def _tile(rng, dtype):
    if np.dtype(dtype).kind == "i":
        return rng.integers(-50, 50, (N, N)).astype(dtype)
    return rng.standard_normal((N, N)).astype(dtype)


# (x, y): one element type, or f32 and i32 buffers (one 32-bit variable).
TYPES = [(np.float32, np.float32), (np.int32, np.int32), (np.float32, np.int32)]


@pytest.mark.parametrize("types", TYPES, ids=lambda t: "+".join(np.dtype(x).name for x in t))
def test_transposes_and_reductions(types):
    rng = np.random.default_rng(5)
    x, y = _tile(rng, types[0]), _tile(rng, types[1])
    out = np.zeros((N, N), x.dtype)
    rows = np.zeros(N, x.dtype)
    cols = np.zeros(N, y.dtype)
    # 8 warps whatever KITE_TEST_NUM_WARPS says: at 1 warp each thread holds
    # 128 elements of every 64 x 64 tile, and lavapipe took over 20 minutes
    # and 12 GB to compile the shader.
    got_out, got_rows, got_cols = run(symmetric_parts_kernel, (1,), x, y, out,
                                      rows, cols, N=N, num_warps=8)[2:]
    sym = x + x.T
    anti = y - y.T
    assert_close(got_out, sym * anti.astype(x.dtype))
    assert_close(got_rows, sym.sum(axis=1))
    assert_close(got_cols, anti.T.max(axis=0))


@pytest.mark.skipif(not DEVICE.startswith("vulkan"), reason="Vulkan workgroup variables")
@pytest.mark.parametrize("types", TYPES, ids=lambda t: "+".join(np.dtype(x).name for x in t))
def test_buffers_exceed_the_limit_but_share_one_variable(types):
    """What the test above exercises: the staged buffers add up to more than
    32 KiB, none alone does, and the SPIR-V declares one Workgroup variable
    for all of them."""
    rng = np.random.default_rng(5)
    x, y = _tile(rng, types[0]), _tile(rng, types[1])
    compiled = symmetric_parts_kernel.compile(x, y, x, x[0], y[0], target=DEVICE, N=N)
    sizes = [int(n) * 4 for n in
             re.findall(r"memref\.alloc\(\) : memref<(\d+)x(?:f32|i32), #gpu\.address_space<workgroup>>",
                        compiled.asm["threads"])]
    assert sum(sizes) > 32768 and max(sizes) <= 32768, sizes
    variables = re.findall(r"^\s*%\S+ = OpVariable %_ptr_Workgroup\S* Workgroup$",
                           compiled.asm["spirv"], re.MULTILINE)
    assert len(variables) == 1, variables


@kite.kernel
def two_widths_kernel(x_ptr, y_ptr, x_out_ptr, y_out_ptr, N: kl.constexpr):
    r = kl.arange(0, N)
    c = kl.arange(0, N)
    offs = r[:, None] * N + c[None, :]
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    kl.store(x_out_ptr + offs, x + kl.trans(x))
    # The transposes run in their loads' layouts; the conversions are of
    # their results.
    kl.store(y_out_ptr + offs, y + kl.trans(y))  # <- error


@pytest.mark.skipif(not DEVICE.startswith("vulkan"), reason="Vulkan workgroup variables")
def test_buffers_of_different_widths_add_up():
    """f32 and i64 buffers cannot share a SPIR-V variable: 16 KiB of f32 and
    32 KiB of i64 need 48 KiB together, an error at the line whose buffer
    crosses the device's limit."""
    from kite.runtime import registry
    limit = registry.vulkan_device(DEVICE).emitter_options()["max_compute_shared_memory_size"]
    if limit >= 49152:
        pytest.skip(f"the device has {limit} bytes of workgroup memory")
    x, y = np.zeros((N, N), np.float32), np.zeros((N, N), np.int64)
    with pytest.raises(kite.CompilationError) as info:
        two_widths_kernel.compile(x, y, x, y, target=DEVICE, N=N)
    text = str(info.value)
    assert (f"this kernel's workgroup memory reaches 49152 bytes here (this buffer: "
            f"32768), more than the device's maxComputeSharedMemorySize ({limit})") in text, text
    assert info.value.lineno == line_of(two_widths_kernel, "# <- error"), text
