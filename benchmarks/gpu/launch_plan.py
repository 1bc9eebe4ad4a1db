"""Every distinct Kite launch of the full GPU run, without a device: the
launch functions of launchers.py run against a recorder that stands for the
kernels' module and keeps what they would launch, with small numpy arrays
standing for the tensors (a compile needs only their dtypes). The PTX test
compiles exactly these for sm_90."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import cases, launchers


class PlannedLaunch(NamedTuple):
    case: str            # the cases that launch it, comma-separated
    kernel: str          # the kernel's name in gpu/kernels.py
    args: tuple
    meta: dict


class _Recorder:
    """Stands for a kernels module: ``rec.softmax_kernel[grid](*args, **meta)``
    records the launch instead of running it."""

    def __init__(self):
        self.launches = []
        self.case = ""

    def __getattr__(self, kernel: str):
        recorder = self

        class _Launcher:
            def __getitem__(self, grid):
                def launch(*args, **meta):
                    recorder.launches.append(PlannedLaunch(recorder.case, kernel, args, meta))
                return launch
        return _Launcher()


def _stand_in(dtype) -> np.ndarray:
    return np.zeros(16, dtype)


def _specialisation(launch: PlannedLaunch) -> tuple:
    """What a compile depends on: the kernel, its meta-parameters, the
    dtype of each array and whether each integer is divisible by 16."""
    args = tuple(a.dtype.name if isinstance(a, np.ndarray) else (type(a).__name__, a % 16 == 0)
                 if isinstance(a, int) else type(a).__name__ for a in launch.args)
    return launch.kernel, tuple(sorted(launch.meta.items())), args


def planned_launches() -> list:
    """[PlannedLaunch] of every case of cases.py and both launch-overhead
    kernels, one per distinct specialisation."""
    f16, f32 = _stand_in(np.float16), _stand_in(np.float32)
    rec = _Recorder()
    for log2_n in cases.VECTOR_ADD_LOG2:
        rec.case = f"vector_add 2^{log2_n}"
        launchers.vector_add(rec, f32, f32, f32, 1 << log2_n)
    for rows, cols in cases.SOFTMAX_SHAPES:
        rec.case = f"softmax {rows}x{cols}"
        launchers.softmax(rec, f32, f32, rows, cols)
    for rows, cols in cases.LAYERNORM_SHAPES:
        rec.case = f"layernorm {rows}x{cols}"
        launchers.layernorm(rec, f16, f16, f16, f16, f32, f32, rows, cols)
    for m, n, k in cases.MATMUL_SHAPES:
        rec.case = f"matmul {m}x{n}x{k}"
        launchers.matmul(rec, f16, f16, f16, m, n, k)
    rec.case = "launch 3 arguments"
    launchers.tiny3(rec, f32, f32)
    rec.case = "launch 16 arguments"
    launchers.tiny16(rec, [f32] * 7, f32)
    distinct: dict = {}
    for launch in rec.launches:
        key = _specialisation(launch)
        if key in distinct:
            first = distinct[key]
            distinct[key] = first._replace(case=f"{first.case}, {launch.case}")
        else:
            distinct[key] = launch
    return list(distinct.values())
