"""The GPU benchmark's timer (benchmarks/gpu/timing.py) against a stand-in
for the parts of torch.cuda it uses, with a fake host clock and GPU
timeline: how many runs fit the budget, that samples are the kernel alone,
the host-bound flag, the flush size and the launch time per launch."""
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")))

from gpu import timing  # noqa: E402


# ------------------------------------------------------------------ the timer's logic

class FakeClocks:
    """A host clock and a GPU timeline, both advanced by the fake work."""
    host = 0.0
    gpu = 0.0


class FakeTorch:
    """Stands for the parts of torch that timing.Timer uses; events read the
    GPU timeline, the L2 flush costs 100 µs of it."""
    float32 = "float32"

    def __init__(self, l2_bytes):
        clocks = self.clocks = FakeClocks()

        class Event:
            def __init__(self, enable_timing):
                assert enable_timing

            def record(self):
                self.at = clocks.gpu

            def elapsed_time(self, end):
                return (end.at - self.at) * 1e3

        class Buffer:
            def sum(self):
                clocks.gpu += 1e-4

        class Cuda:
            synchronize = staticmethod(lambda: None)
            current_device = staticmethod(lambda: 0)
            get_device_properties = staticmethod(lambda i: type("P", (), dict(L2_cache_size=l2_bytes)))
            _sleep = staticmethod(lambda cycles: None)

        Cuda.Event = Event
        self.cuda = Cuda
        self.zeros = lambda n, dtype, device: Buffer()

    def work(self, host_s, gpu_s):
        def fn():
            self.clocks.host += host_s
            self.clocks.gpu += gpu_s
        return fn


@pytest.fixture
def fake_torch(monkeypatch):
    torch = FakeTorch(l2_bytes=100 << 20)
    monkeypatch.setattr(timing.time, "perf_counter", lambda: torch.clocks.host)
    return torch


def test_the_flush_buffer_is_at_least_256_mib_and_four_times_l2(fake_torch):
    assert timing.Timer(fake_torch, timing.FULL).flush_bytes == 400 << 20
    assert timing.Timer(FakeTorch(l2_bytes=50 << 20), timing.FULL).flush_bytes == 256 << 20


def test_kernel_time_is_the_median_of_runs_that_fit_the_budget(fake_torch):
    timer = timing.Timer(fake_torch, timing.Budget(seconds=0.1, at_least=10, at_most=500,
                                                   ceiling_s=15.0))
    result = timer.kernel(fake_torch.work(host_s=1e-6, gpu_s=2e-3))
    # 0.1 s / 2 ms = 50 runs; each sample is the kernel alone (not the flush)
    assert (result.runs, len(result.samples)) == (50, 50)
    assert result.median_s == pytest.approx(2e-3) and not result.host_bound


def test_a_host_slower_than_the_gpu_is_flagged(fake_torch):
    timer = timing.Timer(fake_torch, timing.QUICK)
    result = timer.kernel(fake_torch.work(host_s=1e-3, gpu_s=1e-6))
    assert result.host_bound and result.runs == timing.QUICK.at_most


def test_launch_time_is_host_time_per_launch(fake_torch):
    timer = timing.Timer(fake_torch, timing.QUICK)
    assert timer.launch(fake_torch.work(host_s=5e-6, gpu_s=2e-6), launches=100, rounds=3) == \
        pytest.approx(5e-6)
