"""The PyTorch side of the GPU benchmark's harness (benchmarks/gpu/), run on
the CPU where PyTorch is installed (skipped elsewhere; CI has no PyTorch, a
GPU machine has): each case's reference agrees with PyTorch's operator at
its tolerance, the result check names what differs, and one
implementation's exception or wrong result is recorded without stopping
the others. CUDA events and synchronisation are replaced by stand-ins."""
import os
import sys

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the GPU machine has it)")

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")))

from gpu import cases, harness, launchers  # noqa: E402
from gpu.timing import KernelTime  # noqa: E402
import gpu_benchmarks  # noqa: E402


class CpuTimer:
    """Stands for timing.Timer: runs the function once, 'takes' 1 ms (or
    2 µs per launch)."""

    def kernel(self, fn):
        fn()
        return KernelTime(1e-3, 1, 1e-3, 1e-3, False, [1e-3])

    def launch(self, fn, launches, rounds):
        fn()
        return 2e-6


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch):
    monkeypatch.setattr(cases, "DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: None)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda *a: None)
    torch.manual_seed(0)


def small_cases():
    return [cases.vector_add_case(torch, None, None, 10), cases.softmax_case(torch, None, None, 7, 300),
            cases.layernorm_case(torch, None, None, 5, 300), cases.matmul_case(torch, None, None, 33, 40, 50)]


@pytest.mark.parametrize("index", range(4), ids=["vector_add", "softmax", "layernorm", "matmul"])
def test_pytorch_agrees_with_the_reference_at_the_case_tolerance(index):
    case = small_cases()[index]
    inputs = case.make_inputs()
    got = case.impls["torch"](inputs, case.make_outputs(inputs))
    assert harness.mismatch(torch, got, case.reference(inputs), case.tolerance) is None


def test_implementations_run_pytorch_then_triton_then_kite():
    assert all(list(c.impls) == ["torch", "triton", "kite"] for c in small_cases())


def test_mismatch_names_the_first_element_outside_tolerance():
    expected = dict(out=torch.zeros(3, 4))
    assert harness.mismatch(torch, dict(out=torch.full((3, 4), 1e-3)), expected,
                            dict(out=(0.0, 1e-2))) is None
    wrong = torch.zeros(3, 4)
    wrong[1, 2], wrong[2, 0] = 0.5, float("nan")
    assert harness.mismatch(torch, dict(out=wrong), expected, dict(out=(0.0, 1e-2))) == (
        "out: 2 of 12 elements outside rtol=0, atol=0.01; first at [1, 2]: got 0.5, expected 0; "
        "largest finite |diff| 0.5")


def test_mismatch_reports_shapes_and_missing_outputs():
    expected = dict(y=torch.zeros(2, 3))
    assert harness.mismatch(torch, dict(y=torch.zeros(3, 2)), expected, dict(y=(0, 0))) == \
        "y: shape (3, 2), expected (2, 3)"
    assert harness.mismatch(torch, dict(z=torch.zeros(2, 3)), expected, dict(y=(0, 0))) == \
        "no output to check (got ['z'], expected ['y'])"


def test_a_case_records_each_implementation_on_its_own():
    case = cases.vector_add_case(torch, None, None, 10)

    def raises(inputs, outputs):
        raise RuntimeError("kite: compile failed at line 3")

    def wrong(inputs, outputs):
        outputs["out"].zero_()
        return outputs

    case.impls = dict(torch=case.impls["torch"], triton=raises, kite=wrong)
    result = harness.run_case(torch, CpuTimer(), case, log=lambda line: None)
    torch_result = result.impls["torch"]
    assert torch_result.error is None and torch_result.time.median_s == 1e-3
    assert torch_result.value == pytest.approx(3 * 4 * 1024 / 1e-3 / 1e9)
    assert result.impls["triton"].error == "RuntimeError: kite: compile failed at line 3"
    assert result.impls["kite"].error.startswith("wrong result: out: ")
    assert result.impls["kite"].value is None and result.impls["kite"].first_call_s is not None


def test_a_case_whose_inputs_fail_records_the_setup_error_for_everyone():
    case = cases.vector_add_case(torch, None, None, 10)
    case.make_inputs = lambda: (_ for _ in ()).throw(MemoryError("out of memory"))
    result = harness.run_case(torch, CpuTimer(), case, log=lambda line: None)
    assert {i: r.error for i, r in result.impls.items()} == {
        i: "setup: MemoryError: out of memory" for i in ("torch", "triton", "kite")}


class TinyKernels:
    """Stands for a kernels module: the tiny kernels computed by PyTorch."""

    class _Kernel:
        def __init__(self, fn):
            self.fn = fn

        def __getitem__(self, grid):
            return self.fn

    tiny3_kernel = _Kernel(lambda x, out, n: out.copy_(x + 1))
    tiny16_kernel = _Kernel(lambda *a: a[7].copy_(sum(a[:7]) + sum(a[9:])))


def test_launch_overhead_checks_then_times_each_kernel():
    rows = harness.launch_overhead(torch, CpuTimer(), dict(
        kite=TinyKernels(), triton=harness.Unavailable("Triton: ImportError: no module")),
        launches=10, rounds=3, log=lambda line: None)
    assert [r.name for r in rows] == ["3 arguments", "16 arguments"]
    assert rows[0].us_per_launch == dict(kite=pytest.approx(2.0), torch=pytest.approx(2.0))
    assert rows[1].us_per_launch == dict(kite=pytest.approx(2.0))
    assert rows[0].errors == rows[1].errors == dict(triton="RuntimeError: Triton: ImportError: no module")
    assert launchers.TINY_N == 128


def test_a_wrong_tiny_kernel_is_not_timed():
    class Wrong(TinyKernels):
        tiny3_kernel = TinyKernels._Kernel(lambda x, out, n: out.copy_(x))
    rows = harness.launch_overhead(torch, CpuTimer(), dict(kite=Wrong()), 10, 3, log=lambda line: None)
    assert "kite" not in rows[0].us_per_launch
    assert rows[0].errors["kite"].startswith("wrong result: out: 128 of 128 elements")


def test_the_device_is_healthy_when_it_computes():
    assert harness.device_failure(torch) is None


def test_without_a_gpu_the_run_says_to_use_smoke(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_benchmarks.run_gpu(gpu_benchmarks.parse_args([])) == 2
    assert "no CUDA device visible to PyTorch; use --smoke" in capsys.readouterr().err


ENVIRONMENT = dict(device="Test CPU", capability="0.0", sm_count=2, l2_mib=1.0, driver="none",
                   cuda=None, torch=torch.__version__, triton="unavailable", kite="0.1.0",
                   date="2026-11-22")


@pytest.fixture
def cpu_run(monkeypatch):
    """gpu_benchmarks.run_gpu on the CPU: small cases, the stand-in timer."""
    from gpu import report, timing
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    monkeypatch.setattr(timing, "Timer", lambda torch_, budget: CpuTimer())
    monkeypatch.setattr(report, "environment", lambda torch_: dict(ENVIRONMENT))
    copy, peak = harness.copy_bandwidth, harness.matmul_peak
    monkeypatch.setattr(harness, "copy_bandwidth", lambda torch_, timer: copy(torch_, timer, 1 << 20))
    monkeypatch.setattr(harness, "matmul_peak", lambda torch_, timer: peak(torch_, timer, 64))
    monkeypatch.setattr(cases, "all_cases", lambda torch_, kk, tk, groups: [
        cases.vector_add_case(torch, kk, tk, 10), cases.softmax_case(torch, kk, tk, 7, 300)])


def test_a_run_records_every_case_and_writes_the_report(cpu_run, tmp_path):
    import json
    assert gpu_benchmarks.main(["--quick", "--out", str(tmp_path)]) == 0
    results = json.load(open(tmp_path / "gpu-test-cpu-2026-11-22.json"))
    assert results["complete"] and results["stopped"] is None and results["mode"] == "quick"
    assert set(results["baselines"]) == {"copy_gb_s", "matmul_tflop_s"}
    assert [(c["name"], c["shape"]) for c in results["cases"]] == [
        ("vector add fp32", "2^10"), ("row softmax fp32", "7x300")]
    for case in results["cases"]:
        assert case["impls"]["torch"]["error"] is None and case["impls"]["torch"]["value"] > 0
        # Kite takes no CPU tensors; Triton is not installed here (or takes none either)
        assert case["impls"]["kite"]["error"] and case["impls"]["kite"]["value"] is None
        assert case["impls"]["triton"]["error"] and case["impls"]["triton"]["value"] is None
    assert [r["name"] for r in results["launch"]] == ["3 arguments", "16 arguments"]
    assert results["launch"][0]["us_per_launch"] == dict(torch=pytest.approx(2.0))
    markdown = open(tmp_path / "gpu-test-cpu-2026-11-22.md").read()
    assert "| vector add fp32 | 2^10 | GB/s |" in markdown and "error: " in markdown


def test_a_device_failure_stops_the_run_and_says_where(cpu_run, tmp_path, monkeypatch, capsys):
    import json
    monkeypatch.setattr(harness, "device_failure", lambda torch_: "CUDA error: illegal address")
    assert gpu_benchmarks.main(["--only", "softmax,launch", "--out", str(tmp_path)]) == 1
    results = json.load(open(tmp_path / "gpu-test-cpu-2026-11-22.json"))
    assert len(results["cases"]) == 1 and results["launch"] == [] and not results["complete"]
    assert results["stopped"] == ("after vector add fp32 2^10, the device failed: "
                                  "CUDA error: illegal address")
    assert "**The run stopped after vector add fp32 2^10" in capsys.readouterr().out
