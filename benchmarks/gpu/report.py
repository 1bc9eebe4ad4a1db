"""The GPU benchmark's results as Markdown and JSON: the environment (device,
driver, CUDA, PyTorch, Triton and Kite versions, date), the device's
baselines, one row per case and one per launch-overhead kernel. The
formatting functions are pure (the smoke test checks them); ``environment``
reads the machine."""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import subprocess
from typing import Optional

from . import metrics

# NVIDIA's datasheet numbers, (dense fp16 tensor-core TFLOP/s with fp32
# accumulation, no sparsity; memory GB/s), printed for orientation only: the
# table's fractions use the MEASURED baselines. H100 SXM5 (its device name is
# "NVIDIA H100 80GB HBM3"): 989, 3350 (HBM3); H100 PCIe: 756, 2000; H100 NVL:
# 835, 3900; H200 (SXM): 989, 4800 (HBM3e); H200 NVL: 835, 4800.
DATASHEET = {"H100 PCIe": (756, 2000), "H100 NVL": (835, 3900), "H200 NVL": (835, 4800),
             "H100": (989, 3350), "H200": (989, 4800)}


def datasheet(device_name: str) -> Optional[tuple]:
    """(fp16 dense TFLOP/s, memory GB/s) of the datasheet, or None."""
    for key in DATASHEET:  # the more specific names first
        if key in device_name:
            return DATASHEET[key]
    return None


def device_slug(name: str) -> str:
    """A file-name part for a device: "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "device"


# ------------------------------------------------------------------ cells

def cell(text: str, limit: int = 0) -> str:
    """Text made safe for a Markdown table cell: one line, pipes escaped,
    cut at ``limit`` characters (0: no limit)."""
    text = " ".join(str(text).split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def number(value: Optional[float]) -> str:
    """Three significant digits at any magnitude, '—' for none."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def times(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}×"


def table(headers: list, rows: list) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ rows

CASE_HEADERS = ["kernel", "shape", "unit", "Kite", "Triton", "PyTorch", "Kite ÷ Triton",
                "Kite % of peak", "Triton % of peak", "PyTorch % of peak",
                "Kite ms", "Triton ms", "PyTorch ms"]


def case_row(case: dict, peaks: dict) -> list:
    """One table row of a case (as harness.CaseResult, asdict'ed). ``peaks``:
    {unit: measured peak}. A failed implementation shows its error."""
    impls = case["impls"]
    value = {impl: (impls.get(impl) or {}).get("value") for impl in ("kite", "triton", "torch")}

    def shown(impl: str) -> str:
        result = impls.get(impl)
        if result is None:
            return "—"
        if result.get("error"):
            return cell(f"error: {result['error']}", 160)
        text = number(result["value"])
        return text + " (host-bound)" if result["time"]["host_bound"] else text

    def ms(impl: str) -> str:
        result = impls.get(impl)
        return f"{result['time']['median_s'] * 1e3:.3f}" if result and result.get("time") else "—"

    peak = peaks.get(case["unit"])
    return [cell(case["name"]), case["shape"], case["unit"], shown("kite"), shown("triton"),
            shown("torch"), times(metrics.ratio(value["kite"], value["triton"])),
            percent(metrics.ratio(value["kite"], peak)), percent(metrics.ratio(value["triton"], peak)),
            percent(metrics.ratio(value["torch"], peak)), ms("kite"), ms("triton"), ms("torch")]


LAUNCH_HEADERS = ["kernel", "Kite µs/launch", "Triton µs/launch", "PyTorch µs/launch",
                  "Kite ÷ Triton"]


def launch_row(row: dict) -> list:
    us, errors = row["us_per_launch"], row["errors"]

    def shown(impl: str) -> str:
        if impl in errors:
            return cell(f"error: {errors[impl]}", 160)
        return f"{us[impl]:.2f}" if impl in us else "—"

    return [row["name"], shown("kite"), shown("triton"), shown("torch"),
            times(metrics.ratio(us.get("kite"), us.get("triton")))]


# ------------------------------------------------------------------ documents

def markdown(results: dict) -> str:
    env, base = results["environment"], results["baselines"]
    sheet = datasheet(env["device"])
    lines = [f"# Kite vs Triton vs PyTorch on {env['device']}, {env['date']}", "",
             f"- device: {env['device']} (cuda:0), {env['sm_count']} SMs, "
             f"compute capability {env['capability']}, L2 {env['l2_mib']} MiB",
             f"- driver {env['driver']}; CUDA (PyTorch's) {env['cuda']}; PyTorch {env['torch']}; "
             f"Triton {env['triton']}; Kite {env['kite']}",
             f"- mode: {results['mode']}; command: `{results['command']}`",
             f"- measured copy bandwidth: {number(base.get('copy_gb_s'))} GB/s (1 GiB "
             "device-to-device copy, read + write); PyTorch fp16 matmul 8192³: "
             f"{number(base.get('matmul_tflop_s'))} TFLOP/s"
             + (f" (datasheet: {sheet[1]} GB/s, {sheet[0]} TFLOP/s dense fp16)" if sheet else ""),
             "- each number: median over CUDA-event-timed runs (L2 flushed before each run), "
             "after a check against PyTorch; Kite ÷ Triton > 1 means Kite is faster; % of peak "
             "is of the measured copy bandwidth (GB/s rows) or of PyTorch's 8192³ matmul "
             "(TFLOP/s rows). Methodology: benchmarks/README.md.", ""]
    if results.get("stopped"):
        lines += [f"**The run stopped {cell(results['stopped'])}**; the cases after it were "
                  "not run (a fault leaves the CUDA context unusable).", ""]
    elif not results.get("complete", True):
        lines += ["**Incomplete**: the process ended before the last case (the rows below are "
                  "what it had measured).", ""]
    if results.get("baseline_errors"):
        lines += [f"- baseline error: {cell(e)}" for e in results["baseline_errors"]] + [""]
    peaks = {"GB/s": base.get("copy_gb_s"), "TFLOP/s": base.get("matmul_tflop_s")}
    if results["cases"]:
        lines += [table(CASE_HEADERS, [case_row(c, peaks) for c in results["cases"]]), ""]
    if results["launch"]:
        lines += ["Launch overhead: host time per launch of a one-program kernel, "
                  f"{results['launch_count']} launches back to back then one synchronize, "
                  "median of rounds; Kite ÷ Triton > 1 means Kite's launch is slower. "
                  "PyTorch: `torch.add(x, 1.0, out=out)`.", "",
                  table(LAUNCH_HEADERS, [launch_row(r) for r in results["launch"]]), ""]
    return "\n".join(lines)


def plain(results: dict) -> dict:
    """The harness's results (with dataclasses) as JSON-able dicts and lists,
    the form ``markdown`` and ``write`` take."""
    return json.loads(json.dumps(results, default=_as_dict))


def _as_dict(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write(results: dict, out_dir: str) -> tuple:
    """Writes gpu-<device>-<date>.md and .json (``results`` as ``plain``
    made them) into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, f"gpu-{device_slug(results['environment']['device'])}-"
                                 f"{results['environment']['date']}")
    with open(stem + ".md", "w") as f:
        f.write(markdown(results))
    with open(stem + ".json", "w") as f:
        f.write(json.dumps(results, indent=1) + "\n")
    return stem + ".md", stem + ".json"


# ------------------------------------------------------------------ the machine

def _driver_version() -> str:
    try:
        proc = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError):
        pass
    try:  # no nvidia-smi: the driver API's version number
        import ctypes
        version = ctypes.c_int()
        ctypes.CDLL("libcuda.so.1").cuDriverGetVersion(ctypes.byref(version))
        return f"CUDA driver API {version.value // 1000}.{version.value % 1000 // 10}"
    except OSError:
        return "unknown"


def environment(torch) -> dict:
    """The device and the software under test, for the report's header."""
    import kite
    try:
        from kite import _C
        kite_version = f"{kite.__version__} (build {_C.build_id()[:12]})"
    except ImportError:
        kite_version = kite.__version__
    try:
        import triton
        triton_version = triton.__version__
    except ImportError as exc:
        triton_version = f"unavailable ({exc})"
    props = torch.cuda.get_device_properties(0)
    return dict(device=props.name, capability=f"{props.major}.{props.minor}",
                sm_count=props.multi_processor_count,
                l2_mib=round(getattr(props, "L2_cache_size", 0) / (1 << 20), 1),
                driver=_driver_version(), cuda=torch.version.cuda, torch=torch.__version__,
                triton=triton_version, kite=kite_version,
                date=datetime.date.today().isoformat())
