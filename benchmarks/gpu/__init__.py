"""The GPU benchmark of gpu_benchmarks.py: Kite against Triton and PyTorch on
one NVIDIA GPU. Modules: kite_kernels / triton_kernels (the same kernels),
launchers (grids and block sizes, shared by both), cases (sizes, inputs,
references, tolerances), timing (CUDA events), metrics (the arithmetic),
harness (checks, timing, errors), report (Markdown and JSON), smoke (the
kernels without a GPU) and launch_plan (every launch, for the PTX test).
Only timing, cases and harness touch PyTorch, and only through the module
they are given."""
