"""The long fuzz run: ``python3 -m fuzz.long_run FIRST COUNT [DEVICE]`` (from
test/python, with PYTHONPATH=python). Unlike the pytest run it goes on after
failures: one line per failing seed on stdout, each failing case's report in
OUT_DIR (KITE_FUZZ_SAVE_DIR, default ./fuzz-failures), and a summary at the
end. KITE_TEST_COMPILE_FOR=cuda:sm_80 also compiles each kernel for NVIDIA;
KITE_FUZZ_AVOID as in test_fuzz.py."""
from __future__ import annotations

import collections
import os
import sys
import tempfile
import time

from .kernel_generator import KNOWN_BUGS, generate
from .runner import describe, device_args, load_kernel, run_case


def main(argv: list[str]) -> int:
    first, count = int(argv[0]), int(argv[1])
    device = argv[2] if len(argv) > 2 else "vulkan:0"
    avoid_env = os.environ.get("KITE_FUZZ_AVOID", ",".join(KNOWN_BUGS))
    avoid = set() if avoid_env == "none" else set(filter(None, avoid_env.split(",")))
    compile_for = os.environ.get("KITE_TEST_COMPILE_FOR", "")
    out_dir = os.environ.get("KITE_FUZZ_SAVE_DIR", "fuzz-failures")
    os.makedirs(out_dir, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="kite-fuzz-")
    failures, kinds = [], collections.Counter()
    start = time.time()
    for seed in range(first, first + count):
        case = generate(seed, avoid)
        try:
            kernel = load_kernel(case, scratch)
            if compile_for:
                kernel.compile(*device_args(case, "interpreter"), target=compile_for,
                               num_warps=case.num_warps, **case.meta)
            problems = run_case(case, kernel, device)
        except Exception as e:  # a crash or compile error is a finding too
            problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
        if problems:
            failures.append(seed)
            path = os.path.join(out_dir, f"fuzz_case_{seed}.txt")
            with open(path, "w") as f:
                f.write(describe(case, device, problems, path))
            kinds.update(p.split(":")[0].split(" (")[-1] if "output #" in p else p[:80] for p in problems)
            print(f"seed {seed}: FAIL {problems[0][:200]}", flush=True)
        elif seed % 50 == 0:
            print(f"seed {seed}: ok ({time.time() - start:.0f} s so far)", flush=True)
    print(f"{count} kernels from seed {first} on {device}"
          f"{' (+ compiled for ' + compile_for + ')' if compile_for else ''}: "
          f"{len(failures)} failed in {time.time() - start:.0f} s; failing seeds: {failures}")
    for kind, n in kinds.most_common():
        print(f"  {n:5d}  {kind}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
