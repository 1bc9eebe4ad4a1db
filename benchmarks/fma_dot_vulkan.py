"""The FMA dot (docs/lowering.md, "Dot") on a Vulkan device, lavapipe by
default: Triton's tutorial matmul in fp32 (fp32 inputs, accumulator and
output) at 512^3 and 1024^3, for a few BLOCK sizes and num_warps, against
numpy's ``a @ b`` in the same run. With ``--before PYTHONPATH`` a second
build of Kite (another checkout's ``python/`` directory, e.g. the main
branch's) runs the same kernels in a worker process of its own; the
launches of both builds and numpy alternate round by round
(same_run_timing.median_seconds), so that a drift of the machine touches
all alike. Every kernel's result is checked against numpy first. Each
figure is the median of the rounds, with the spread (lowest and highest
round); GFLOP/s = 2*M*N*K / seconds. With --record, the table goes to
benchmarks/results/ with the machine and date.

    PYTHONPATH=python python3 benchmarks/fma_dot_vulkan.py \\
        [--before ../main/python] [--device vulkan:0] [--record]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = (512, 1024)
# (BLOCK_M, BLOCK_N, BLOCK_K, num_warps): a thread's tile of the result is
# BLOCK_M * BLOCK_N / (32 * num_warps) elements (docs/lowering.md).
CONFIGS = ((64, 64, 32, 4), (64, 64, 32, 2), (32, 64, 32, 2))


def matmul_kernel():
    """The tutorial's matmul (kernels.py), imported with the Kite on this
    process's path; fp32 c receives the fp32 accumulator as is."""
    from kernels import matmul_kernel as kernel
    return kernel


def operands(size: int) -> tuple:
    rng = np.random.default_rng(size)
    return (rng.standard_normal((size, size), dtype=np.float32),
            rng.standard_normal((size, size), dtype=np.float32))


def cases(quick: bool = False) -> list:
    return [(size, config) for size in SIZES for config in CONFIGS[:1 if quick else None]]


def worker(device: str, quick: bool) -> None:
    """Compiles and checks every case with the Kite on this process's path,
    answers "ready", then launches case i once per line "i" it reads."""
    import kite
    kernel = matmul_kernel()
    launches = []
    for size, (bm, bn, bk, warps) in cases(quick):
        a_np, b_np = operands(size)
        a, b = (kite.from_numpy(x, device=device) for x in (a_np, b_np))
        c = kite.empty((size, size), kite.language.float32, device=device)
        grid = ((size // bm) * (size // bn),)
        args = (a, b, c, size, size, size, size, 1, size, 1, size, 1)
        meta = dict(BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=8, num_warps=warps)
        kernel[grid](*args, **meta)
        np.testing.assert_allclose(c.numpy(), a_np @ b_np, rtol=1e-3, atol=1e-3)
        launches.append(lambda grid=grid, args=args, meta=meta: kernel[grid](*args, **meta))
    print("ready", flush=True)
    for line in sys.stdin:
        launches[int(line)]()
        print("done", flush=True)


class Build:
    """A worker process running the Kite of one ``python/`` directory."""

    def __init__(self, pythonpath: str, device: str, quick: bool):
        env = dict(os.environ, PYTHONPATH=os.path.abspath(pythonpath))
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", "--device", device]
            + ["--quick"] * quick,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the worker of {pythonpath} failed")

    def launch(self, case: int) -> None:
        self.process.stdin.write(f"{case}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "done"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def seconds_per_round(launches: list, rounds: int) -> list:
    """Each launch's seconds in every round, the launches alternating (one
    untimed call of each first)."""
    samples = [[] for _ in launches]
    for launch in launches:
        launch()
    for _ in range(rounds):
        for launch, times in zip(launches, samples):
            start = time.perf_counter()
            launch()
            times.append(time.perf_counter() - start)
    return samples


def describe(pythonpath: str) -> str:
    """The checkout a ``python/`` directory belongs to, and its commit."""
    root = os.path.dirname(os.path.abspath(pythonpath))
    try:
        commit = subprocess.run(["git", "-C", root, "log", "-1", "--format=%h %s"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "not a git checkout"
    return f"`{root}` ({commit})"


def operating_system() -> str:
    try:
        with open("/etc/os-release") as f:
            fields = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        return fields.get("PRETTY_NAME", "").strip('"')
    except OSError:
        return ""


def gflops(size: int, seconds: float) -> float:
    return 2 * size ** 3 / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="vulkan:0")
    parser.add_argument("--before", help="PYTHONPATH of the Kite to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--quick", action="store_true", help="the first BLOCK config only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.device, args.quick)

    builds = {"after": Build(os.path.join(ROOT, "python"), args.device, args.quick)}
    if args.before:
        builds["before"] = Build(args.before, args.device, args.quick)
    names = ["numpy"] + [name for name in ("before", "after") if name in builds]
    lines = [f"# FMA dot, fp32 matmul on {args.device}, {datetime.date.today()}", ""]
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from same_run_timing import machine_line, record
    lines += [machine_line(args.device) + f" {operating_system()}.",
              f"after: {describe(os.path.join(ROOT, 'python'))}"
              + (f"; before: {describe(args.before)}" if args.before else "") + ".",
              "Command: `PYTHONPATH=python python3 benchmarks/fma_dot_vulkan.py "
              f"{'--before ' + args.before + ' ' if args.before else ''}--record`",
              f"Triton's tutorial matmul (fp32 in, fp32 accumulate and out, GROUP_M 8); "
              f"GFLOP/s = 2*M*N*K / s, median of {args.rounds} rounds (lowest-highest), "
              "numpy and the builds alternating.", "",
              "| M=N=K | BLOCK_M x BLOCK_N x BLOCK_K, warps | "
              + " | ".join(f"{name} GFLOP/s" for name in names)
              + (" | after / before |" if "before" in builds else " |"),
              "|---" * (len(names) + 2 + ("before" in builds)) + "|"]
    for size in SIZES:
        a_np, b_np = operands(size)
        indices = [i for i, (s, _) in enumerate(cases(args.quick)) if s == size]
        launches = [lambda: a_np @ b_np]
        for name in names[1:]:
            launches += [lambda i=i, build=builds[name]: build.launch(i) for i in indices]
        samples = seconds_per_round(launches, args.rounds)
        numpy_times = samples[0]
        per_build = {name: samples[1 + n * len(indices):1 + (n + 1) * len(indices)]
                     for n, name in enumerate(names[1:])}
        for j, i in enumerate(indices):
            bm, bn, bk, warps = cases(args.quick)[i][1]
            cells = []
            for name in names:
                times = numpy_times if name == "numpy" else per_build[name][j]
                cells.append(f"{gflops(size, statistics.median(times)):.2f} "
                             f"({gflops(size, max(times)):.2f}-{gflops(size, min(times)):.2f})")
            row = f"| {size} | {bm}x{bn}x{bk}, {warps} | " + " | ".join(cells)
            if "before" in builds:
                ratio = (statistics.median(per_build["before"][j])
                         / statistics.median(per_build["after"][j]))
                row += f" | {ratio:.2f}x"
            lines.append(row + " |")
    for build in builds.values():
        build.close()
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        print(record(text, "fma-dot", args.device))


if __name__ == "__main__":
    main()
