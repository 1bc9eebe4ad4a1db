"""The Triton side of the GPU benchmark (benchmarks/gpu/kernels.py compiled by Triton),
where Triton is installed (setup.sh installs it; skipped where it could not): every launch the GPU run makes compiles for sm_90 with no
GPU, through triton.compile, at the same block sizes and warp counts as
Kite's (benchmarks/gpu/launch_plan.py)."""
import os
import sys

import numpy as np
import pytest

triton = pytest.importorskip("triton", reason="Triton is not installed")

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")))

from gpu import launch_plan  # noqa: E402

PLANNED = launch_plan.planned_launches()
POINTER = {"float32": "*fp32", "float16": "*fp16"}


def signature(fn, args, meta):
    """Triton's (signature, constexprs) for the launch's arguments."""
    sig, constexprs = {}, {}
    for name, arg in zip(fn.arg_names, args):
        if isinstance(arg, np.ndarray):
            sig[name] = POINTER[arg.dtype.name]
        else:
            sig[name] = "fp32" if isinstance(arg, float) else "i32"
    for name in fn.arg_names[len(args):]:
        sig[name], constexprs[name] = "constexpr", meta[name]
    return sig, constexprs


@pytest.mark.parametrize("launch", PLANNED, ids=[f"{p.kernel}-{p.case}" for p in PLANNED])
def test_planned_launch_compiles_with_triton_for_sm_90(launch):
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    from gpu import load_kernels
    fn = getattr(load_kernels("triton"), launch.kernel)
    sig, constexprs = signature(fn, launch.args, launch.meta)
    options = {k: v for k, v in launch.meta.items() if k in ("num_warps", "num_stages")}
    compiled = triton.compile(ASTSource(fn, sig, constexprs), target=GPUTarget("cuda", 90, 32),
                              options=options)
    assert ".target sm_90" in compiled.asm["ptx"]
    assert compiled.metadata.num_warps == launch.meta.get("num_warps", 4)


def test_triton_compiles_the_lines_kite_compiles():
    import inspect
    from gpu import load_kernels
    kite_side, triton_side = load_kernels("kite"), load_kernels("triton")
    assert triton_side.triton is triton
    for launch in PLANNED:
        assert (inspect.getsourcelines(getattr(triton_side, launch.kernel).fn)
                == inspect.getsourcelines(getattr(kite_side, launch.kernel).fn)), launch.kernel
