"""Timing on a CUDA device through PyTorch: kernels by CUDA events with the
L2 cache flushed before each run, launches by the host's clock.

How a kernel is timed (``Timer.kernel``): after the harness's first,
checked call, a few runs estimate its duration; the number of runs then
fits a time budget (``metrics.repetitions``). Before each run a read of a
buffer several times the L2 size evicts the inputs and outputs of the
previous one (a read, not a write, so that no dirty lines are written back
during the next timed kernel). Each run is bracketed by two events recorded
on the current stream (the one Kite and Triton launch on), so a sample is
the GPU time of the kernel alone. The host queues the runs ahead of the
GPU (a GPU-side sleep gives it a head start, and each flush takes longer on
the GPU than a launch takes on the host), so the Python launch cost does
not leak into the samples; where the host did fall behind, the measurement
says so (``host_bound``). The result is the median of the samples."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import metrics

_HEAD_START_CYCLES = 2_000_000  # about 1 ms of GPU time at 2 GHz


@dataclass
class Budget:
    """Per kernel and implementation: seconds of timed runs, bounds on their
    number, and a ceiling for kernels so slow that ``at_least`` runs would
    exceed it (metrics.repetitions)."""
    seconds: float
    at_least: int
    at_most: int
    ceiling_s: float
    estimate_runs: int = 2


FULL = Budget(seconds=1.0, at_least=10, at_most=500, ceiling_s=15.0)
QUICK = Budget(seconds=0.2, at_least=5, at_most=100, ceiling_s=4.0)


@dataclass
class KernelTime:
    median_s: float
    runs: int
    min_s: float
    max_s: float
    host_bound: bool   # the host fell behind the GPU: samples may hold idle gaps
    samples: list = field(default_factory=list, repr=False)


class Timer:
    def __init__(self, torch, budget: Budget):
        self.torch = torch
        self.budget = budget
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        l2 = getattr(props, "L2_cache_size", 0) or 64 << 20
        self.flush_bytes = max(256 << 20, 4 * l2)
        self._flush_buffer = torch.zeros(self.flush_bytes // 4, dtype=torch.float32, device="cuda")

    def flush_l2(self):
        self._flush_buffer.sum()

    def _timed_runs(self, fn, runs: int):
        torch = self.torch
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
        torch.cuda.synchronize()
        if hasattr(torch.cuda, "_sleep"):
            torch.cuda._sleep(_HEAD_START_CYCLES)
        host_start = time.perf_counter()
        for start, end in zip(starts, ends):
            self.flush_l2()
            start.record()
            fn()
            end.record()
        host_s = time.perf_counter() - host_start
        torch.cuda.synchronize()
        samples = [s.elapsed_time(e) / 1e3 for s, e in zip(starts, ends)]
        gpu_span_s = starts[0].elapsed_time(ends[-1]) / 1e3
        return samples, host_s > 0.9 * gpu_span_s

    def kernel(self, fn) -> KernelTime:
        """The median GPU time of ``fn()`` (which only queues GPU work)."""
        budget = self.budget
        estimate, _ = self._timed_runs(fn, budget.estimate_runs)
        runs = metrics.repetitions(min(estimate), budget.seconds, budget.at_least,
                                   budget.at_most, budget.ceiling_s)
        samples, host_bound = self._timed_runs(fn, runs)
        return KernelTime(metrics.median(samples), runs, min(samples), max(samples), host_bound,
                          samples)

    def launch(self, fn, launches: int, rounds: int) -> float:
        """Host seconds per call of ``fn`` (a launch of a kernel that does
        almost nothing on one program): ``launches`` calls back to back and
        one synchronize, the median over ``rounds``."""
        torch = self.torch
        fn()
        torch.cuda.synchronize()
        per_launch = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(launches):
                fn()
            torch.cuda.synchronize()
            per_launch.append((time.perf_counter() - start) / launches)
        return metrics.median(per_launch)
