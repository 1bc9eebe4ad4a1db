"""The `threads` stage from Python: kite._C.run_stage(ir, "threads", ...)
gives thread-level IR (kitethread primitives, per-thread registers)."""
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


def test_vector_add_lowers_to_threads():
    x = np.zeros(4096, np.float32)
    traced = add_kernel.trace(x, x, x, 4096, BLOCK=1024, stage="raw")
    ok, ir, diagnostics = _C.run_stage(traced, "threads", num_warps=2, threads_per_warp=8)
    assert ok, [str(d) for d in diagnostics]
    assert '"kitethread.num-threads" = 16 : i32' in ir
    assert "func.func @add_kernel() attributes {kite.kernel}" in ir
    assert "tensor<" not in ir and "!kite.ptr" not in ir
    # 1024 elements over 16 threads, 4 per access: 16 vector loads of each
    # input, 16 vector stores.
    assert ir.count("align 16 : vector<4xf32>") == 48, ir
    assert "gpu.thread_id" in ir


def test_threads_is_the_last_stage():
    assert _C.stage_names()[-1] == "threads"
