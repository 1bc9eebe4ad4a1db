"""Runs a generated case: writes its source to a file (the frontend reads
kernels' source with inspect, so a kernel must live in a real file), imports
it, launches it on a device and reads every argument back."""
from __future__ import annotations

import importlib.util
import os

import kite
import kite.language as kl

from .compare import compare
from .kernel_generator import FuzzCase


def load_kernel(case: FuzzCase, directory: str):
    path = os.path.join(directory, f"fuzz_case_{case.seed}.py")
    with open(path, "w") as f:
        f.write(case.source)
    spec = importlib.util.spec_from_file_location(f"fuzz_case_{case.seed}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fuzz_kernel


def device_args(case: FuzzCase, device: str) -> list:
    """The case's arguments, arrays copied to ``device`` with their element
    types (bfloat16 arrays are float32 in numpy)."""
    return [kite.from_numpy(a, device=device, dtype=getattr(kl, t)) if t is not None else a
            for a, t in zip(case.args, case.arg_types)]


def launch(case: FuzzCase, kernel, device: str) -> list:
    args = device_args(case, device)
    # Exact comparisons need every operation rounded as written: no FMA
    # contraction (on by default for NVIDIA targets, as in Triton).
    kernel[case.grid](*args, num_warps=case.num_warps, enable_fp_fusion=False, **case.meta)
    return [a.numpy() if isinstance(a, kite.Tensor) else None for a in args]


def run_case(case: FuzzCase, kernel, device: str) -> list[str]:
    """The disagreements of ``device`` with the interpreter on ``case``."""
    return compare(case, launch(case, kernel, "interpreter"), launch(case, kernel, device))


def describe(case: FuzzCase, device: str, problems: list[str], path: str) -> str:
    """What a failure report says: enough to reproduce the case."""
    lines = [f"fuzz case seed={case.seed} on {device} disagrees with the interpreter "
             f"(grid={case.grid}, num_warps={case.num_warps}, meta={case.meta}):"]
    lines += ["  " + p for p in problems]
    lines += [f"source saved to {path}; rerun with "
              f"KITE_FUZZ_SEED={case.seed} KITE_FUZZ_COUNT=1 pytest test/python/test_fuzz.py", "",
              case.source]
    return "\n".join(lines)
