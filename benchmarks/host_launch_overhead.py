"""Host cost of a Kite launch, without a GPU: µs per ``kernel[grid](...)`` of
the GPU benchmark's tiny kernels (3 and 16 arguments), launched on cuda:0 of
the fake CUDA driver the build makes for the tests (test/unit/fake_cuda:
launches are recorded, never run), so what is timed is Kite's launch path
(python/src/FastLaunch.cpp) and the fake driver's call. The driver's own
cost is measured apart: the same packed bytes given to Device::launch in a
C++ loop (``PackedLauncher.time_driver``); *Kite* is the difference. Each
figure is the median of 7 rounds of 20000 launches (the fast path; the first
launch compiles, outside the timing). numpy's BLAS threads are limited to
one: idle, they spin and take a core of a 2-core machine. With --record, the
table goes to benchmarks/results/ with the machine and date.

    PYTHONPATH=python python3 benchmarks/host_launch_overhead.py [--record]
"""
from __future__ import annotations

import argparse
import datetime
import glob
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fake_driver() -> str:
    found = sorted(glob.glob(os.path.join(ROOT, "build*", "lib", "libkite_fake_cuda.so")))
    if not found:
        sys.exit("libkite_fake_cuda.so not found under build*/lib: build Kite first")
    return found[0]


def measure(rounds: int, launches: int) -> dict:
    import kite
    sys.path.insert(0, HERE)
    from gpu import launchers, load_kernels
    kk = load_kernels("kite")
    x = [kite.zeros((launchers.TINY_N,), device="cuda:0") for _ in range(8)]
    runs = {"3 arguments": lambda: launchers.tiny3(kk, x[0], x[1]),
            "16 arguments": lambda: launchers.tiny16(kk, x[:7], x[7])}
    kernels = {"3 arguments": (kk.tiny3_kernel, (x[0], x[1], launchers.TINY_N)),
               "16 arguments": (kk.tiny16_kernel,
                                (*x[:7], x[7], launchers.TINY_N, *launchers.TINY_SCALARS))}
    results = {}
    for name, launch in runs.items():
        launch()  # compiles
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(launches):
                launch()
            samples.append((time.perf_counter() - start) / launches * 1e6)
        results[name] = (statistics.median(samples), driver_cost(*kernels[name], rounds,
                                                                launches))
    from kite.compiler import stats
    assert stats.fast_launches >= rounds * launches, "the launches missed the fast path"
    return results


def driver_cost(kernel, args: tuple, rounds: int, launches: int) -> float:
    """µs per Device::launch (and the fake driver) of the bytes a launch
    with ``args`` packs, timed in C++."""
    from kite import _C
    fast = kernel._fast_path
    key, values = fast.binder.bind(args, {})
    launcher = fast.launchers[key]
    assert isinstance(launcher, _C.PackedLauncher), "no C++ launcher"
    return statistics.median(launcher.time_driver((1,), values, launches)
                             for _ in range(rounds)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--launches", type=int, default=20000)
    args = parser.parse_args()
    if os.environ.get("KITE_LIBCUDA") is None:  # run again on the fake driver
        env = dict(os.environ, KITE_LIBCUDA=fake_driver(), OPENBLAS_NUM_THREADS="1")
        sys.exit(subprocess.call([sys.executable] + sys.argv, env=env))
    results = measure(args.rounds, args.launches)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    lines = [f"# Kite host launch cost, {datetime.date.today()}", "",
             f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores; Python "
             f"{platform.python_version()}; cuda:0 of the fake driver (no GPU).",
             "Command: `PYTHONPATH=python python3 benchmarks/host_launch_overhead.py --record`",
             "", "| kernel | µs per launch | of which the fake driver | Kite |",
             "| --- | --- | --- | --- |"]
    lines += [f"| tiny, {name} | {us:.1f} | {driver:.1f} | {us - driver:.1f} |"
              for name, (us, driver) in results.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        path = os.path.join(HERE, "results", f"host-launch-vm-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("recorded in", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
