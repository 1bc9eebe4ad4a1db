"""The `kitegpu` stage from Python: kite._C.run_stage(..., num_warps=,
threads_per_warp=) gives a traced kernel's tensors layouts for that target."""
import numpy as np

import kite
import kite.language as kl
from kite import _C


@kite.kernel
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, x + y, mask=mask)


def traced_add(block=1024):
    x = np.zeros(4096, np.float32)
    return add_kernel.trace(x, x, x, 4096, BLOCK=block, stage="raw")


def test_vector_add_gets_128_bit_accesses_for_the_target():
    ok, ir, diagnostics = _C.run_stage(traced_add(), "kitegpu", num_warps=2, threads_per_warp=8)
    assert ok, [str(d) for d in diagnostics]
    assert '"kitegpu.num-warps" = 2 : i32' in ir
    assert '"kitegpu.threads-per-warp" = 8 : i32' in ir
    layout = "#kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>"
    assert layout in ir
    assert ir.count("#kitegpu.blocked") == 1, ir
    assert "kitegpu.convert_layout" not in ir


def test_default_target_is_four_warps_of_32():
    ok, ir, _ = _C.run_stage(traced_add(), "kitegpu")
    assert ok
    assert "threadsPerWarp = [32], warpsPerCTA = [4]" in ir


def test_bad_target_is_a_diagnostic():
    result = _C.run_stage(traced_add(), "kitegpu", num_warps=6)
    assert not result.ok
    assert [d.message for d in result.diagnostics] == [
        "num_warps and threads_per_warp must be powers of two, got 6 and 32"]


def test_kitegpu_is_a_stage():
    assert _C.stage_names() == ["verify", "kite", "kitegpu", "threads"]
