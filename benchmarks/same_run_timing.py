"""What the Vulkan benchmarks that compare variants of a kernel in one run
(memory_checks.py, scalar_atomics.py) share: the alternating timing loop,
the machine line of their results, and writing them to benchmarks/results/."""
from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from typing import Callable, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))


def median_seconds(launches: Sequence[Callable[[], None]], rounds: int,
                   repeat: int) -> list[float]:
    """Median seconds per call of each of ``launches``. Each is called once
    first, outside the timing (that loads its pipeline); then every round
    times ``repeat`` calls of each in turn, so that a drift of the machine
    (clock, other load) touches all of them alike."""
    samples: list[list[float]] = [[] for _ in launches]
    for launch in launches:
        launch()
    for _ in range(rounds):
        for launch, times in zip(launches, samples):
            start = time.perf_counter()
            for _ in range(repeat):
                launch()
            times.append((time.perf_counter() - start) / repeat)
    return [statistics.median(times) for times in samples]


def machine_line(device: str) -> str:
    """The host and the device the results were taken on."""
    import kite
    props = kite.runtime.registry.device(device).properties
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    return (f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores; "
            f"{device} = {props.device_name} ({props.device_type}, "
            f"{props.driver_info}).")


def record(text: str, benchmark: str, device: str) -> str:
    """Writes ``text`` to benchmarks/results/<benchmark>-<device>-<date>.md;
    returns the path."""
    name = device.replace(":", "-")
    path = os.path.join(HERE, "results", f"{benchmark}-{name}-{datetime.date.today()}.md")
    with open(path, "w") as f:
        f.write(text)
    return path
