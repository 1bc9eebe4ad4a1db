"""The GPU benchmark's run: the device's baselines (measured copy bandwidth
and PyTorch's matmul rate), then each case of cases.py for Kite, Triton and
PyTorch, then the launch overhead. Every implementation of every case is
checked against the reference before it is timed, and stands alone: an
exception or a mismatch is recorded as its result and the run goes on."""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

from . import cases, launchers, metrics
from .timing import KernelTime, Timer


@dataclass
class ImplResult:
    error: Optional[str] = None        # why there is no measurement
    first_call_s: Optional[float] = None   # compile (where it does) + load + first run
    time: Optional[KernelTime] = None
    value: Optional[float] = None      # in the case's unit


@dataclass
class CaseResult:
    group: str
    name: str
    shape: str
    unit: str
    work: float
    impls: dict = field(default_factory=dict)   # {impl: ImplResult}


@dataclass
class LaunchResult:
    name: str
    us_per_launch: dict = field(default_factory=dict)   # {impl: float}
    errors: dict = field(default_factory=dict)          # {impl: str}


def describe(exc: BaseException) -> str:
    """An exception as one would report it: its type and message (the
    traceback's last frame for an exception without one)."""
    text = str(exc).strip()
    if not text:
        frames = traceback.extract_tb(exc.__traceback__)
        text = f"at {frames[-1].filename}:{frames[-1].lineno}" if frames else "(no message)"
    return f"{type(exc).__name__}: {text}"


class Unavailable:
    """Stands for a kernels module that could not be imported: every kernel
    launched from it fails with the reason, which the table then shows."""

    def __init__(self, why: str):
        self.why = why

    def __getattr__(self, name: str):
        raise RuntimeError(self.why)


def mismatch(torch, got: dict, expected: dict, tolerance: dict) -> Optional[str]:
    """None if every output in both ``got`` and ``expected`` is within its
    (rtol, atol) of the reference (NaN never is), else what differs where."""
    common = [name for name in expected if name in got]
    if not common:
        return f"no output to check (got {sorted(got)}, expected {sorted(expected)})"
    for name in common:
        actual, want = got[name], expected[name]
        if tuple(actual.shape) != tuple(want.shape):
            return f"{name}: shape {tuple(actual.shape)}, expected {tuple(want.shape)}"
        a, w = actual.float(), want.float()
        rtol, atol = tolerance[name]
        bad = ~torch.isclose(a, w, rtol=rtol, atol=atol)
        count = int(bad.sum().item())
        if count:
            flat = int(bad.flatten().nonzero()[0].item())
            index = _unravel(flat, tuple(want.shape))
            diff = (a - w).abs()
            finite = diff[torch.isfinite(diff)]
            worst = float(finite.max().item()) if finite.numel() else float("nan")
            return (f"{name}: {count} of {want.numel()} elements outside rtol={rtol:g}, "
                    f"atol={atol:g}; first at {list(index)}: got {float(a.flatten()[flat]):.6g}, "
                    f"expected {float(w.flatten()[flat]):.6g}; largest finite |diff| {worst:.3g}")
    return None


def _unravel(flat: int, shape: tuple) -> tuple:
    index = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return tuple(reversed(index))


def run_impl(torch, timer: Timer, case, fn, inputs, expected) -> ImplResult:
    result = ImplResult()
    try:
        outputs = case.make_outputs(inputs)
        torch.cuda.synchronize()
        start = time.perf_counter()
        got = fn(inputs, outputs)
        torch.cuda.synchronize()
        result.first_call_s = time.perf_counter() - start
        problem = mismatch(torch, got, expected, case.tolerance)
        if problem:
            result.error = f"wrong result: {problem}"
            return result
        result.time = timer.kernel(lambda: fn(inputs, outputs))
        result.value = metrics.throughput(case.unit, case.work, result.time.median_s)
    except Exception as exc:  # one implementation's failure is its result
        result.error = describe(exc)
        try:
            torch.cuda.synchronize()
        except Exception as later:
            result.error += f" (then the device failed: {describe(later)})"
    return result


def run_case(torch, timer: Timer, case, log=print) -> CaseResult:
    out = CaseResult(case.group, case.name, case.shape, case.unit, case.work)
    try:
        inputs = case.make_inputs()
        expected = case.reference(inputs)
    except Exception as exc:
        out.impls = {impl: ImplResult(error=f"setup: {describe(exc)}") for impl in case.impls}
        return out
    for impl, fn in case.impls.items():
        result = run_impl(torch, timer, case, fn, inputs, expected)
        out.impls[impl] = result
        what = result.error or f"{result.value:.4g} {case.unit} (median of {result.time.runs})"
        log(f"  {case.name} {case.shape} {impl}: {what}")
    del inputs, expected
    torch.cuda.empty_cache()
    return out


def device_failure(torch) -> Optional[str]:
    """None if the device still runs work, else why not. A kernel that
    faults (an illegal address) leaves the CUDA context unusable for the
    rest of the process: the run must stop there rather than record every
    later case as failed."""
    try:
        torch.cuda.synchronize()
        if float((torch.ones(1, device=cases.DEVICE) + 1).item()) != 2.0:
            return "1 + 1 != 2 on the device"
        return None
    except Exception as exc:
        return describe(exc)


def copy_bandwidth(torch, timer: Timer, nbytes: int = 1 << 30) -> float:
    """GB/s of a device-to-device copy of ``nbytes`` (read plus write): the
    practical ceiling of the memory-bound kernels."""
    src = torch.ones(nbytes // 4, dtype=torch.float32, device=cases.DEVICE)
    dst = torch.empty_like(src)
    seconds = timer.kernel(lambda: dst.copy_(src)).median_s
    return metrics.gb_per_s(metrics.copy_bytes(nbytes), seconds)


def matmul_peak(torch, timer: Timer, size: int = 8192) -> float:
    """TFLOP/s of PyTorch's fp16 matmul (cuBLAS, tensor cores) at size^3:
    the practical peak the matmul rows are compared with."""
    a = torch.randn(size, size, device=cases.DEVICE).half()
    b = torch.randn(size, size, device=cases.DEVICE).half()
    c = torch.empty(size, size, device=cases.DEVICE, dtype=torch.float16)
    seconds = timer.kernel(lambda: torch.matmul(a, b, out=c)).median_s
    return metrics.tflop_per_s(metrics.matmul_flops(size, size, size), seconds)


def launch_overhead(torch, timer: Timer, kernels: dict, launches: int, rounds: int,
                    log=print) -> list:
    """µs per launch of the tiny kernels (3 and 16 arguments, one program),
    host time, for each module in ``kernels`` ({impl: module}) and PyTorch's
    ``torch.add(x, 1.0, out=out)`` beside the 3-argument one. Each is
    checked once before it is timed."""
    n = launchers.TINY_N
    x = torch.randn(n, device=cases.DEVICE)
    ins = [torch.randn(n, device=cases.DEVICE) for _ in range(7)]
    out = torch.empty(n, device=cases.DEVICE)
    shift = float(sum(launchers.TINY_SCALARS))
    rows = [("3 arguments", x + 1.0, {impl: (lambda k=k: launchers.tiny3(k, x, out))
                                      for impl, k in kernels.items()}),
            ("16 arguments", sum(ins) + shift, {impl: (lambda k=k: launchers.tiny16(k, ins, out))
                                                for impl, k in kernels.items()})]
    rows[0][2]["torch"] = lambda: torch.add(x, 1.0, out=out)
    results = []
    for name, expected, fns in rows:
        row = LaunchResult(name)
        for impl, fn in fns.items():
            try:
                out.fill_(float("nan"))
                fn()
                problem = mismatch(torch, dict(out=out), dict(out=expected), dict(out=(1e-6, 1e-6)))
                if problem:
                    row.errors[impl] = f"wrong result: {problem}"
                    continue
                row.us_per_launch[impl] = timer.launch(fn, launches, rounds) * 1e6
                log(f"  launch {name} {impl}: {row.us_per_launch[impl]:.2f} µs")
            except Exception as exc:
                row.errors[impl] = describe(exc)
        results.append(row)
    return results
