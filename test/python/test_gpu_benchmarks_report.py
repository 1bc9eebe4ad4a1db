"""The GPU benchmark's arithmetic, options and report (benchmarks/gpu/metrics.py,
report.py, gpu_benchmarks.py's options), with no device: bytes and flops
per kernel, rates, ratios, repetition counts, table cells and rows, and the
Markdown and JSON files."""
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")))

from gpu import cases, metrics, report  # noqa: E402
import gpu_benchmarks  # noqa: E402


# ------------------------------------------------------------------ the arithmetic

def test_median_of_odd_and_even_counts():
    assert metrics.median([3.0, 1.0, 2.0]) == 2.0
    assert metrics.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError, match="median of no values"):
        metrics.median([])


def test_bytes_and_flops_of_each_kernel():
    assert metrics.vector_add_bytes(1 << 24) == 3 * 4 * (1 << 24)
    assert metrics.softmax_bytes(4096, 1024) == 2 * 4 * 4096 * 1024
    # x read and y written (fp16), w and b read (fp16), mean and rstd written (fp32)
    assert metrics.layernorm_bytes(4096, 1024) == 2 * 2 * 4096 * 1024 + 2 * 2 * 1024 + 2 * 4 * 4096
    assert metrics.matmul_flops(8192, 8192, 128) == 2 * 8192 * 8192 * 128
    assert metrics.copy_bytes(1 << 30) == 2 << 30


def test_rates_and_ratios():
    # 2^24-element fp32 add in 100 µs: 201326592 bytes / 1e-4 s = 2013.27 GB/s
    assert metrics.gb_per_s(metrics.vector_add_bytes(1 << 24), 1e-4) == pytest.approx(2013.26592)
    # 8192^3 in 2 ms: 1.0995e12 flops / 2e-3 s = 549.76 TFLOP/s
    assert metrics.tflop_per_s(metrics.matmul_flops(8192, 8192, 8192), 2e-3) == pytest.approx(549.7558)
    assert metrics.throughput("GB/s", 2e9, 1.0) == 2.0
    assert metrics.throughput("TFLOP/s", 3e12, 1.0) == 3.0
    with pytest.raises(ValueError, match="unknown unit 'ms' \\(GB/s or TFLOP/s\\)"):
        metrics.throughput("ms", 1, 1)
    assert metrics.ratio(3.0, 2.0) == 1.5
    assert metrics.ratio(None, 2.0) is None and metrics.ratio(3.0, None) is None
    assert metrics.ratio(3.0, 0.0) is None


def test_repetitions_fit_the_budget_within_bounds():
    assert metrics.repetitions(1e-3, 1.0, 10, 500, 15.0) == 500        # fast: capped
    assert metrics.repetitions(1e-2, 1.0, 10, 500, 15.0) == 100        # fits the budget
    assert metrics.repetitions(0.5, 1.0, 10, 500, 15.0) == 10          # slow: at least 10
    assert metrics.repetitions(5.0, 1.0, 10, 500, 15.0) == 3           # very slow: the ceiling
    assert metrics.repetitions(0.0, 1.0, 10, 500, 15.0) == 500
    with pytest.raises(ValueError, match="bad repetition bounds \\[2, 500\\] \\(at least 3\\)"):
        metrics.repetitions(1e-3, 1.0, 2, 500, 15.0)


def test_only_names_groups_and_rejects_unknown_ones(capsys):
    assert cases.parse_only("softmax, matmul") == ("softmax", "matmul")
    with pytest.raises(ValueError, match="unknown group\\(s\\) softmaxx; choose from vector_add, "
                                         "softmax, layernorm, matmul, launch"):
        cases.parse_only("softmaxx,matmul")
    with pytest.raises(SystemExit):
        gpu_benchmarks.parse_args(["--only", "gemm"])
    assert "unknown group(s) gemm" in capsys.readouterr().err
    args = gpu_benchmarks.parse_args(["--quick", "--only", "launch", "--out", "/tmp/r"])
    assert (args.quick, args.only, args.out, args.smoke) == (True, ("launch",), "/tmp/r", False)
    assert gpu_benchmarks.parse_args([]).only == cases.GROUPS


# ------------------------------------------------------------------ the report

def test_cells_numbers_and_names():
    assert report.cell("a | b\n  c") == "a \\| b c"
    assert report.cell("x" * 10, 5) == "xxxx…"
    assert [report.number(v) for v in (None, 2890.4, 123.4, 45.67, 0.01234)] == \
        ["—", "2890", "123", "45.7", "0.0123"]
    assert report.percent(0.876) == "88%" and report.percent(None) == "—"
    assert report.times(1.234) == "1.23×"
    assert report.device_slug("NVIDIA H100 80GB HBM3") == "nvidia-h100-80gb-hbm3"
    assert report.datasheet("NVIDIA H100 80GB HBM3") == (989, 3350)
    assert report.datasheet("NVIDIA H100 PCIe") == (756, 2000)
    assert report.datasheet("NVIDIA H200") == (989, 4800)
    assert report.datasheet("NVIDIA A100-SXM4-80GB") is None


def _timed(value, ms, host_bound=False):
    return dict(error=None, first_call_s=0.5, value=value,
                time=dict(median_s=ms / 1e3, runs=10, min_s=0, max_s=0, host_bound=host_bound))


SOFTMAX = dict(group="softmax", name="row softmax fp32", shape="4096x1024", unit="GB/s", work=1.0,
               impls=dict(kite=_timed(1500.0, 0.0224), triton=_timed(3000.0, 0.0112),
                          torch=dict(error="RuntimeError: CUDA error: an illegal memory | access",
                                     first_call_s=None, time=None, value=None)))


def test_a_case_row_shows_rates_ratio_fractions_times_and_errors():
    row = report.case_row(SOFTMAX, {"GB/s": 3000.0, "TFLOP/s": 800.0})
    assert dict(zip(report.CASE_HEADERS, row)) == {
        "kernel": "row softmax fp32", "shape": "4096x1024", "unit": "GB/s",
        "Kite": "1500", "Triton": "3000",
        "PyTorch": "error: RuntimeError: CUDA error: an illegal memory \\| access",
        "Kite ÷ Triton": "0.50×", "Kite % of peak": "50%", "Triton % of peak": "100%",
        "PyTorch % of peak": "—", "Kite ms": "0.022", "Triton ms": "0.011", "PyTorch ms": "—"}


def test_a_host_bound_measurement_is_marked():
    case = dict(SOFTMAX, impls=dict(kite=_timed(10.0, 5.0, host_bound=True)))
    row = dict(zip(report.CASE_HEADERS, report.case_row(case, {})))
    assert row["Kite"] == "10 (host-bound)" and row["Triton"] == "—"
    assert row["Kite % of peak"] == "—" and row["Kite ÷ Triton"] == "—"


def test_a_launch_row_compares_kite_with_triton():
    row = report.launch_row(dict(name="3 arguments", us_per_launch=dict(kite=12.0, torch=4.5),
                                 errors=dict(triton="RuntimeError: Triton: ImportError: no triton")))
    assert row == ["3 arguments", "12.00", "error: RuntimeError: Triton: ImportError: no triton",
                   "4.50", "—"]
    row = report.launch_row(dict(name="16 arguments", us_per_launch=dict(kite=30.0, triton=20.0),
                                 errors={}))
    assert row == ["16 arguments", "30.00", "20.00", "—", "1.50×"]


def _results():
    env = dict(device="NVIDIA H100 80GB HBM3", capability="9.0", sm_count=132, l2_mib=50.0,
               driver="570.86.15", cuda="12.8", torch="2.9.0", triton="3.6.0",
               kite="0.1.0 (build abc)", date="2026-11-22")
    return dict(environment=env, mode="quick", command="python3 benchmarks/gpu_benchmarks.py --quick",
                baselines=dict(copy_gb_s=3000.0, matmul_tflop_s=700.0), baseline_errors=[],
                cases=[SOFTMAX], launch=[dict(name="3 arguments", us_per_launch=dict(kite=12.0),
                                              errors={})], launch_count=500, seconds=100.0)


def test_the_markdown_report_has_the_environment_baselines_and_tables():
    text = report.markdown(_results())
    assert text.startswith("# Kite vs Triton vs PyTorch on NVIDIA H100 80GB HBM3, 2026-11-22\n")
    for fact in ("132 SMs", "compute capability 9.0", "L2 50.0 MiB", "driver 570.86.15",
                 "CUDA (PyTorch's) 12.8", "PyTorch 2.9.0", "Triton 3.6.0", "Kite 0.1.0 (build abc)",
                 "measured copy bandwidth: 3000 GB/s", "8192³: 700 TFLOP/s",
                 "datasheet: 3350 GB/s, 989 TFLOP/s", "500 launches back to back"):
        assert fact in text, fact
    lines = text.splitlines()
    header = "| " + " | ".join(report.CASE_HEADERS) + " |"
    assert lines[lines.index(header) + 2].startswith("| row softmax fp32 | 4096x1024 | GB/s | 1500 |")
    assert "| 3 arguments | 12.00 | — | — | — |" in lines


def test_results_are_written_as_markdown_and_json(tmp_path):
    import json
    md, js = report.write(_results(), str(tmp_path))
    assert os.path.basename(md) == "gpu-nvidia-h100-80gb-hbm3-2026-11-22.md"
    assert os.path.basename(js) == "gpu-nvidia-h100-80gb-hbm3-2026-11-22.json"
    assert json.load(open(js)) == _results()
    assert open(md).read() == report.markdown(_results())


def test_results_with_dataclasses_become_plain_data():
    from gpu.harness import CaseResult, ImplResult
    from gpu.timing import KernelTime
    case = CaseResult("softmax", "row softmax fp32", "4096x1024", "GB/s", 1.0,
                      dict(kite=ImplResult(first_call_s=0.5, time=KernelTime(1e-5, 10, 1e-5, 2e-5, False,
                                                                             [1e-5]), value=12.0)))
    plain = report.plain(dict(cases=[case]))
    assert plain["cases"][0]["impls"]["kite"]["time"] == dict(
        median_s=1e-5, runs=10, min_s=1e-5, max_s=2e-5, host_bound=False, samples=[1e-5])


def test_without_pytorch_the_run_says_to_use_smoke(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    assert gpu_benchmarks.run_gpu(gpu_benchmarks.parse_args([])) == 2
    err = capsys.readouterr().err
    assert "the GPU run needs PyTorch (" in err and "use --smoke on a machine without one" in err
