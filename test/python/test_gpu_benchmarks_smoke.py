"""The GPU benchmark (benchmarks/gpu_benchmarks.py --smoke) without a GPU,
PyTorch or Triton: its Kite kernels compute correctly on the Vulkan device
at every configuration the GPU run uses, each of its launches compiles for
sm_90 and ptxas accepts the PTX, and Kite compiles the one kernel text
that Triton compiles. The arithmetic and report: test_gpu_benchmarks_report.py;
the timer: test_gpu_benchmarks_timing.py."""
import os
import sys

import numpy as np
import pytest

from conftest import vulkan_device

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
sys.path.insert(0, os.path.abspath(BENCHMARKS))

from gpu import cases, launch_plan, launchers, load_kernels, smoke  # noqa: E402

from kite import ptxas  # noqa: E402

PTXAS = ptxas.find()
kite_kernels = load_kernels("kite")


# ------------------------------------------------------------------ the kernels compute

@pytest.mark.parametrize("name", list(smoke.CHECKS))
def test_benchmark_kernel_matches_numpy_on_vulkan(name):
    """On Vulkan, but the Hopper group's on cuda-sim:sm_90a (the code an
    H100 runs)."""
    smoke.CHECKS[name](vulkan_device(), np.random.default_rng(0))


def test_smoke_covers_every_kernel_and_matmul_configuration():
    names = " ".join(smoke.CHECKS)
    for what in ("vector add", "softmax", "layernorm", "matmul", "3 arguments", "16 arguments"):
        assert what in names
    configs = {launchers.matmul_config(*s) for s in cases.MATMUL_SHAPES}
    assert sum(n.startswith("matmul") for n in smoke.CHECKS) == len(configs) == 2
    # The Hopper group's (gpu/hopper.py): every matmul configuration in fp16
    # and fp8, and attention at both head dims, causal and not.
    assert sum(n.startswith("hopper matmul") for n in smoke.CHECKS) == 2 * 4
    assert sum(n.startswith("hopper attention") for n in smoke.CHECKS) == 4
    assert "hopper persistent matmul fp16" in smoke.CHECKS


def test_the_hopper_cases_run_on_wgmma_for_sm_90a():
    """What the Hopper group measures on an H100 is the wgmma path: the
    kernels compiled for sm_90a issue wgmma, and ptxas accepts them."""
    import kite
    import kite.language as kl
    from gpu import hopper
    config = hopper.MATMUL_CONFIGS[0]
    f16 = kite.from_numpy(np.zeros((256, 256), np.float32), device="cuda-sim:sm_90a",
                          dtype=kl.float16)
    compiled = kite_kernels.matmul_kernel.compile(
        f16, f16, f16, 256, 256, 256, 256, 256, 256, target="cuda:sm_90a", **config.meta())
    assert "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16" in compiled.asm["ptx"]
    if PTXAS:
        assert compiled.asm["cubin"][:4] == b"\x7fELF"


def test_smoke_run_reports_a_failing_check_and_goes_on(monkeypatch):
    def broken(device, rng):
        raise AssertionError("values differ")
    monkeypatch.setattr(smoke, "CHECKS", {"broken": broken, "fine": lambda device, rng: None})
    results = smoke.run(log=lambda line: None)
    assert [(name, error) for name, _, error in results] == [
        ("broken", "AssertionError: values differ"), ("fine", None)]


# ------------------------------------------------------------------ ... and compile for sm_90

PLANNED = launch_plan.planned_launches()

@pytest.mark.skipif(PTXAS is None, reason="ptxas (CUDA toolkit) not found on PATH or in /usr/local/cuda/bin")
@pytest.mark.parametrize("launch", PLANNED, ids=[f"{p.kernel}-{p.case}" for p in PLANNED])
def test_planned_launch_compiles_for_sm_90_and_ptxas_accepts_it(launch):
    compiled = getattr(kite_kernels, launch.kernel).compile(*launch.args, target="cuda:sm_90",
                                                            **launch.meta)
    assert ".target sm_90" in compiled.asm["ptx"]
    assert compiled.asm["cubin"][:4] == b"\x7fELF"
    usage = compiled.metadata
    assert usage["shared"] <= 232448, usage  # what one block may have on sm_90
    assert usage["n_spills"] == 0 and usage["stack_bytes"] == 0, usage


def test_the_plan_holds_each_specialisation_once_and_names_its_cases():
    kernels = [p.kernel for p in PLANNED]
    assert kernels.count("add_kernel") == 1
    add = next(p for p in PLANNED if p.kernel == "add_kernel")
    assert add.case == "vector_add 2^24, vector_add 2^28"
    softmax = [p.meta for p in PLANNED if p.kernel == "softmax_kernel"]
    assert softmax == [dict(BLOCK=1024, num_warps=4), dict(BLOCK=4096, num_warps=16),
                       dict(BLOCK=16384, num_warps=16)]
    assert kernels.count("matmul_kernel") == 2
    assert {"tiny3_kernel", "tiny16_kernel", "layernorm_kernel"} <= set(kernels)


# ------------------------------------------------------------------ one text for both compilers

KERNELS = {"add_kernel", "softmax_kernel", "layernorm_kernel", "matmul_kernel", "tiny3_kernel",
           "tiny16_kernel"}


def test_kite_compiles_the_one_kernel_text_with_tritons_names_bound_to_kites():
    # Triton's side (test_gpu_benchmarks_triton.py) executes the same file.
    import kite
    assert kite_kernels.triton is kite and kite_kernels.tl is kite.language
    found = {name for name, value in vars(kite_kernels).items()
             if isinstance(value, kite.KernelFunction)}
    assert found == KERNELS
    path = os.path.join(os.path.abspath(BENCHMARKS), "gpu", "kernels.py")
    assert {getattr(kite_kernels, name).fn.__code__.co_filename for name in found} == {path}
    assert load_kernels("kite") is kite_kernels  # loaded once


def test_launch_overhead_kernels_take_3_and_16_arguments_and_no_constexpr():
    import inspect
    for kernel, count in ((kite_kernels.tiny3_kernel, 3), (kite_kernels.tiny16_kernel, 16)):
        params = inspect.signature(kernel.fn).parameters
        assert len(params) == count
        assert all(p.annotation is inspect.Parameter.empty for p in params.values())
