"""Compile-time benchmark: cold compile, disk-cache hit and memory-cache hit of
the vector add and the matmul kernel on one target, each in a fresh process
where the cache state demands it. Prints a Markdown table; with --record,
writes it to benchmarks/results/ with the machine, device and date.

    PYTHONPATH=python python3 benchmarks/compile_times.py [--target vulkan:0] [--record]
    (--target cuda:sm_90 compiles for an architecture, ptxas included, with no GPU)
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

CHILD = r'''
import json, sys, time
import numpy as np
import kite
import kite.language as kl
sys.path.insert(0, {here!r})
from kernels import add_kernel, matmul_kernel

target = {target!r}
# Once per process, outside the timings: opening the device, hashing the
# frontend's files and the library (reported separately).
start = time.perf_counter()
from kite import _C
from kite.frontend.cache_key import frontend_hash
from kite.runtime import registry
if target.split(":")[-1].isdigit():  # a device, not an architecture (cuda:sm_90)
    registry.device(target)
frontend_hash()
_C.build_id()
setup = time.perf_counter() - start
f32 = np.zeros(16, np.float32)
f16 = np.zeros(16, np.float16)
jobs = {{
    "vector add": (add_kernel, (f32, f32, f32, 1 << 20), dict(BLOCK=1024)),
    "matmul": (matmul_kernel, (f16, f16, f16, 512, 512, 512, 512, 1, 512, 1, 512, 1),
               dict(BLOCK_M=32, BLOCK_N=32, BLOCK_K=16, GROUP_M=8)),
}}
out = {{}}
for name, (kernel, args, meta) in jobs.items():
    start = time.perf_counter()
    kernel.compile(*args, target=target, **meta)
    first = time.perf_counter() - start
    hits = []
    for _ in range(20):
        start = time.perf_counter()
        kernel.compile(*args, target=target, **meta)
        hits.append(time.perf_counter() - start)
    out[name] = {{"first": first, "memory_hit": sorted(hits)[len(hits) // 2]}}
out["setup"] = setup
print(json.dumps(out))
'''


def run_child(target: str, cache_dir: str) -> dict:
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, KITE_CACHE_DIR=cache_dir)
    proc = subprocess.run([sys.executable, "-c", CHILD.format(here=here, target=target)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    import kite
    target = args.target or next(d for d in kite.devices() if d != "interpreter")
    cold, disk, memory, setup = {}, {}, {}, []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            first = run_child(target, cache)   # empty cache: a cold compile
            second = run_child(target, cache)  # new process, same cache: a disk hit
        setup += [first.pop("setup"), second.pop("setup")]
        for name in first:
            cold.setdefault(name, []).append(first[name]["first"])
            disk.setdefault(name, []).append(second[name]["first"])
            memory.setdefault(name, []).append(first[name]["memory_hit"])
    from kite import _C
    props = next((p for p in _C.list_devices() if p.name == target), None)
    device = f"{target} ({props.device_name}, {props.driver_info})" if props else target
    lines = [f"# Compile times, {datetime.date.today().isoformat()}", "",
             f"- machine: {platform.node()}, {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
             f"- target: {device}", f"- kite {kite.__version__}, build {_C.build_id()[:12]}",
             f"- medians of {args.repeats} runs; cold = empty cache, first compile in a new "
             "process; disk hit = a new process with the cache filled; memory hit = a repeated "
             "compile in one process. Not included: once per process, opening the device and "
             f"hashing the frontend and libkite took {statistics.median(setup) * 1e3:.0f} ms", "",
             "| kernel | cold compile | disk-cache hit | memory-cache hit |",
             "|---|---|---|---|"]
    for name in cold:
        lines.append(f"| {name} | {statistics.median(cold[name]) * 1e3:.1f} ms | "
                     f"{statistics.median(disk[name]) * 1e3:.2f} ms | "
                     f"{statistics.median(memory[name]) * 1e6:.0f} µs |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.record:
        slug = target.replace(":", "-")
        name = f"compile-times-{platform.node()}-{slug}-{datetime.date.today().isoformat()}.md"
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", name), "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
