"""The cost of ordering a scalar atomic for all of a program's threads
(docs/language.md, "Atomics") on a Vulkan device, lavapipe by default:
programs that each do ITERS scalar atomic adds (a counter per program, so
nothing contends) with sem relaxed, acquire, release and acq_rel, timed in
the same run, alternating. A relaxed atomic has the barriers of its
result's hand-out only (as every scalar atomic had before the orderings); a
release adds one barrier before it, an acquire makes the hand-out's barrier
order global memory. Each figure is the median of the rounds; the first
launch compiles, outside the timing. With --record, the table goes to
benchmarks/results/ with the machine and date.

    PYTHONPATH=python python3 benchmarks/scalar_atomics.py [--device vulkan:0] [--record]
"""
from __future__ import annotations

import argparse
import datetime

import numpy as np

from same_run_timing import machine_line, median_seconds, record

SEMS = ("relaxed", "acquire", "release", "acq_rel")
PROGRAMS, ITERS, WARPS = 256, 64, 4


def scalar_atomics_kernel():
    import kite
    import kite.language as kl

    @kite.kernel
    def scalar_atomic_adds(counter_ptr, ITERS: kl.constexpr, SEM: kl.constexpr):
        counter = counter_ptr + kl.program_id(0)
        total = 0
        for _ in range(ITERS):
            total += kl.atomic_add(counter, 1, sem=SEM)
        kl.store(counter_ptr + kl.num_programs(0) + kl.program_id(0), total)

    return scalar_atomic_adds


def measure(device: str, rounds: int, repeat: int = 3) -> dict:
    import kite
    kernel = scalar_atomics_kernel()
    counters = kite.zeros(2 * PROGRAMS, kite.language.int32, device=device)
    meta = {sem: dict(ITERS=ITERS, SEM=sem, num_warps=WARPS) for sem in SEMS}
    compiled = {sem: kernel.compile(counters, target=device, **meta[sem]) for sem in SEMS}
    runs = [lambda sem=sem: compiled[sem][(PROGRAMS,)](counters, **meta[sem]) for sem in SEMS]
    times = median_seconds(runs, rounds, repeat)
    # Every launch added ITERS to each counter; the last saw the sums before.
    launches = len(SEMS) * (1 + rounds * repeat)
    result = counters.numpy()
    np.testing.assert_array_equal(result[:PROGRAMS], launches * ITERS)
    before = (launches - 1) * ITERS
    np.testing.assert_array_equal(result[PROGRAMS:], ITERS * before + ITERS * (ITERS - 1) // 2)
    return dict(zip(SEMS, times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="vulkan:0")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    times = measure(args.device, args.rounds)
    atomics = PROGRAMS * ITERS
    lines = [f"# Scalar atomics by ordering on {args.device}, {datetime.date.today()}", "",
             machine_line(args.device),
             "Command: `PYTHONPATH=python python3 benchmarks/scalar_atomics.py --record`",
             f"{PROGRAMS} programs of {WARPS} warps, {ITERS} scalar `kl.atomic_add` each; "
             f"median of {args.rounds} rounds, the orderings alternating.", "",
             "| sem | per launch | per atomic | vs relaxed |", "| --- | --- | --- | --- |"]
    for sem in SEMS:
        lines.append(f"| {sem} | {times[sem] * 1e3:.2f} ms | "
                     f"{times[sem] / atomics * 1e9:.0f} ns | {times[sem] / times['relaxed']:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        record(text, "scalar-atomics", args.device)


if __name__ == "__main__":
    main()
