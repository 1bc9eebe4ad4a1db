"""``kite.testing``: ``do_bench`` times a function that launches kernels, as
``triton.testing.do_bench`` does (milliseconds, after warm-up);
``Benchmark`` and ``perf_report`` make tables and plots of such timings
(kite/perf_report.py)."""
from __future__ import annotations

import statistics
import time
from typing import Callable, Optional, Sequence

from .perf_report import Benchmark, BenchmarkTable, Mark, perf_report  # noqa: F401


def synchronize() -> None:
    """Waits for every launch on every device opened so far (Vulkan launches
    and the interpreter's wait already; CUDA ones are queued)."""
    from .runtime import registry
    for device in registry.opened():
        device.synchronize()


def do_bench(fn: Callable, warmup: int = 25, rep: int = 100,
             quantiles: Optional[Sequence[float]] = None, return_mode: str = "mean",
             grad_to_none=None):
    """Runs ``fn`` for about ``warmup`` ms, then times it for about ``rep`` ms,
    each call waited for; returns the mean (or ``return_mode``: "min", "max",
    "median", "all") in milliseconds, or the given ``quantiles``."""
    if return_mode not in ("min", "max", "mean", "median", "all"):
        raise ValueError(f"return_mode must be min, max, mean, median or all, got "
                         f"{return_mode!r}")
    fn()
    synchronize()
    start = time.perf_counter()
    for _ in range(5):
        fn()
    synchronize()
    estimate_ms = max((time.perf_counter() - start) * 1000 / 5, 1e-6)
    for _ in range(max(1, int(warmup / estimate_ms))):
        fn()
    synchronize()
    times = []
    for _ in range(max(1, int(rep / estimate_ms))):
        begin = time.perf_counter()
        fn()
        synchronize()
        times.append((time.perf_counter() - begin) * 1000)
    if quantiles is not None:
        ordered = sorted(times)
        picked = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in quantiles]
        return picked[0] if len(picked) == 1 else picked
    if return_mode == "all":
        return times
    return {"min": min, "max": max, "mean": statistics.fmean,
            "median": statistics.median}[return_mode](times)
