"""The GPU benchmark of gpu_benchmarks.py: Kite against Triton and PyTorch on
one NVIDIA GPU. Modules: kernels (the kernels, one text for both compilers:
``load_kernels``), launchers (grids and block sizes, shared by both), cases
(sizes, inputs, references, tolerances), timing (CUDA events), metrics (the
arithmetic), harness (checks, timing, errors), report (Markdown and JSON),
smoke (the kernels without a GPU) and launch_plan (every launch, for the PTX
test). Only timing, cases and harness touch PyTorch, and only through the
module they are given."""
import os


def load_kernels(compiler: str):
    """gpu/kernels.py's kernels compiled by ``compiler``: "kite" or "triton"
    (which needs Triton installed)."""
    from kernel_text import load  # benchmarks/, on sys.path wherever gpu is
    return load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels.py"),
                compiler)
