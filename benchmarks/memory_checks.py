"""The cost of memory checks (docs/runtime.md, "Memory safety") on a Vulkan
device, lavapipe by default: the GPU benchmark's vector add (f32, 2**22
elements) and softmax (4096 rows of 1024 f32), and a tiny launch (the
host's cost of the hidden arguments), each compiled with the checks and
without (KITE_MEMORY_CHECKS=1/0) and timed in the same run, alternating
between the two. Each figure is the median of the rounds; the first launch
compiles, outside the timing. With --record, the table goes to
benchmarks/results/ with the machine and date.

    PYTHONPATH=python python3 benchmarks/memory_checks.py [--device vulkan:0] [--record]
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

import numpy as np

from same_run_timing import machine_line, median_seconds, record

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def compiled_pair(kernel, args, meta, device):
    """(checked, unchecked) CompiledKernels of ``kernel`` for these arguments."""
    pair = []
    for flag in ("1", "0"):
        os.environ["KITE_MEMORY_CHECKS"] = flag
        pair.append(kernel.compile(*args, target=device, **meta))
    os.environ.pop("KITE_MEMORY_CHECKS")
    assert pair[0].options["check_memory"] and not pair[1].options["check_memory"]
    return pair


def time_pair(pair, grid, args, meta, rounds: int, repeat: int) -> tuple:
    """Median seconds per launch of each kernel of ``pair``, alternating."""
    runs = [lambda kernel=kernel: kernel[grid](*args, **meta) for kernel in pair]
    return tuple(median_seconds(runs, rounds, repeat))


def measure(device: str, rounds: int) -> list:
    import kite
    sys.path.insert(0, HERE)
    from gpu import load_kernels
    kk = load_kernels("kite")
    rng = np.random.default_rng(0)
    rows = []

    n = 1 << 22
    x, y = (kite.from_numpy(rng.standard_normal(n).astype(np.float32), device=device)
            for _ in range(2))
    out = kite.empty(n, kite.language.float32, device=device)
    args, meta = (x, y, out, n), dict(BLOCK=1024, num_warps=4)
    pair = compiled_pair(kk.add_kernel, args, meta, device)
    on, off = time_pair(pair, (n // 1024,), args, meta, rounds, 3)
    np.testing.assert_allclose(out.numpy(), x.numpy() + y.numpy(), rtol=1e-6)
    rows.append(("vector add, f32, 2^22", 3 * 4 * n / 1e9, on, off))

    m, cols = 4096, 1024
    a = kite.from_numpy(rng.standard_normal((m, cols)).astype(np.float32), device=device)
    o = kite.empty((m, cols), kite.language.float32, device=device)
    args, meta = (o, a, cols, cols), dict(BLOCK=1024, num_warps=4)
    pair = compiled_pair(kk.softmax_kernel, args, meta, device)
    on, off = time_pair(pair, (m,), args, meta, rounds, 3)
    e = np.exp(a.numpy() - a.numpy().max(axis=1, keepdims=True))
    np.testing.assert_allclose(o.numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-5,
                               atol=1e-7)
    rows.append(("softmax, 4096 x 1024 f32", 2 * 4 * m * cols / 1e9, on, off))

    t = kite.zeros(256, kite.language.float32, device=device)
    args, meta = (t, t, 256), {}
    pair = compiled_pair(kk.tiny3_kernel, args, meta, device)
    on, off = time_pair(pair, (1,), args, meta, rounds, 200)
    rows.append(("tiny launch (3 arguments)", 0.0, on, off))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="vulkan:0")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    rows = measure(args.device, args.rounds)
    lines = [f"# Memory checks on {args.device}, {datetime.date.today()}", "",
             machine_line(args.device),
             "Command: `PYTHONPATH=python python3 benchmarks/memory_checks.py --record`",
             f"Median of {args.rounds} rounds, checked and unchecked kernels alternating.", "",
             "| kernel | checked | unchecked | checked / unchecked |",
             "| --- | --- | --- | --- |"]
    for name, gigabytes, on, off in rows:
        def cell(seconds):
            rate = f" ({gigabytes / seconds:.2f} GB/s)" if gigabytes else ""
            return (f"{seconds * 1e3:.2f} ms" if seconds > 1e-3 else
                    f"{seconds * 1e6:.1f} µs") + rate
        lines.append(f"| {name} | {cell(on)} | {cell(off)} | {on / off:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        path = record(text, "memory-checks", args.device)
        print("recorded in", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
