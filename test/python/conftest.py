"""Shared helpers of the pytest tier (import them with ``from conftest import ...``)."""
import atexit
import os
import shutil
import sys
import tempfile

import numpy as np

# A JIT cache of this test session's own, never the user's ~/.cache/kite
# (read by kite._C.Cache.default() on first use, after this runs).
os.environ["KITE_CACHE_DIR"] = tempfile.mkdtemp(prefix="kite-test-cache-")
atexit.register(shutil.rmtree, os.environ["KITE_CACHE_DIR"], True)
# Triton (the reference some tests compile with) fuses a*b+c by default, as
# Kite's fp_fusion=True does; 3.9 warns unless the default is named.
os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")

try:
    import kite
except ImportError:  # run without PYTHONPATH=python: use this checkout's frontend
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python")))
    import kite

# The numerics tests run on the interpreter, and again on a compiled backend
# with KITE_TEST_DEVICE=vulkan:0 (and KITE_TEST_NUM_WARPS=1/2/4/8).
DEVICE = os.environ.get("KITE_TEST_DEVICE", "interpreter")
NUM_WARPS = int(os.environ.get("KITE_TEST_NUM_WARPS", "4"))
# KITE_TEST_COMPILE_FOR=cuda:sm_90 also compiles every kernel run() launches
# for that target (no GPU needed) and checks that ptxas takes the PTX with no
# spills: how CI covers the NVIDIA backend with the whole numerics suite.
COMPILE_FOR = os.environ.get("KITE_TEST_COMPILE_FOR", "")

# (rtol, atol) for results computed in a float type, compared with numpy.
TOL = {
    np.dtype(np.float16): (2e-3, 1e-3),
    np.dtype(np.float32): (1e-5, 1e-6),
    np.dtype(np.float64): (1e-12, 1e-13),
}


def run(kernel, grid, *args, **meta):
    """Launches ``kernel[grid](*args, **meta)`` on ``DEVICE``. numpy
    arrays (of rank >= 1) are copied to the device first; returns the host
    contents of every array argument after the launch, in order (one array
    alone is returned as is)."""
    dev = [kite.from_numpy(a, device=DEVICE) if isinstance(a, np.ndarray) and a.ndim else a
           for a in args]
    if DEVICE != "interpreter":
        meta.setdefault("num_warps", NUM_WARPS)
    if COMPILE_FOR:
        compile_for(kernel, COMPILE_FOR, args, meta)
    kernel[grid](*dev, **meta)
    outs = [a.numpy() for a in dev if isinstance(a, kite.Tensor)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def compile_for(kernel, target, args, meta):
    """Compiles ``kernel`` for ``target`` as ``run`` would launch it; for CUDA
    targets, checks what ptxas made of it (when ptxas is there): no
    registers spilled (a stack frame is fine: libdevice's sinf has one)."""
    meta = dict(meta)
    num_warps = meta.pop("num_warps", NUM_WARPS)
    compiled = kernel.compile(*args, target=target, num_warps=num_warps, **meta)
    if target.startswith("cuda:") and "cubin" in compiled.asm:
        usage = compiled.metadata
        assert usage["n_spills"] == 0, f"{kernel.__name__} spills registers for {target}: {usage}"
    return compiled


def line_of(kernel, marker):
    """The line number, in its file, of the one line of ``kernel`` containing
    ``marker`` (where a CompilationError about that line must point)."""
    import inspect
    lines, start = inspect.getsourcelines(kernel.fn)
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


def assert_close(actual, expected, dtype=None):
    """Exact for integers and bools, dtype-appropriate tolerance for floats."""
    dtype = np.dtype(dtype if dtype is not None else np.asarray(expected).dtype)
    assert np.shape(actual) == np.shape(expected), (np.shape(actual), np.shape(expected))
    if dtype.kind in "iub":
        np.testing.assert_array_equal(actual, expected)
    else:
        rtol, atol = TOL.get(dtype, TOL[np.dtype(np.float32)])
        np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                                   rtol=rtol, atol=atol)


def vulkan_device():
    """The first Vulkan device (lavapipe on CPU-only machines), or skip."""
    import pytest
    found = [d for d in kite.devices() if d.startswith("vulkan:")]
    if not found:
        pytest.skip("no usable Vulkan device in this process")
    return found[0]

