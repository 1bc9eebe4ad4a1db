"""The arithmetic of the GPU benchmark, free of any device: the bytes and
floating-point operations each kernel must do, throughput, ratios and the
repetition count that fits a time budget. Times are in seconds."""
from __future__ import annotations

import math
from typing import Optional, Sequence


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ------------------------------------------------------------------ work per kernel
# Memory-bound kernels count the bytes a kernel must read and write at least
# once (each input read once, each output written once), whatever it re-reads
# from caches.

def vector_add_bytes(n: int, itemsize: int = 4) -> int:
    return 3 * n * itemsize  # x and y read, out written


def softmax_bytes(rows: int, cols: int, itemsize: int = 4) -> int:
    return 2 * rows * cols * itemsize  # x read, out written


def layernorm_bytes(rows: int, cols: int, itemsize: int = 2, stat_itemsize: int = 4) -> int:
    # x read and y written; weight and bias read once; mean and rstd written.
    return 2 * rows * cols * itemsize + 2 * cols * itemsize + 2 * rows * stat_itemsize


def matmul_flops(m: int, n: int, k: int) -> int:
    return 2 * m * n * k  # one multiply and one add per term


def copy_bytes(nbytes: int) -> int:
    """Traffic of a device-to-device copy of ``nbytes``: read plus write."""
    return 2 * nbytes


# ------------------------------------------------------------------ rates

def gb_per_s(nbytes: float, seconds: float) -> float:
    return nbytes / seconds / 1e9


def tflop_per_s(flops: float, seconds: float) -> float:
    return flops / seconds / 1e12


def throughput(unit: str, work: float, seconds: float) -> float:
    """``work`` (bytes or flops) per second in ``unit``: "GB/s" or "TFLOP/s"."""
    if unit == "GB/s":
        return gb_per_s(work, seconds)
    if unit == "TFLOP/s":
        return tflop_per_s(work, seconds)
    raise ValueError(f"unknown unit '{unit}' (GB/s or TFLOP/s)")


def ratio(numerator: Optional[float], denominator: Optional[float]) -> Optional[float]:
    """numerator / denominator, or None where either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def repetitions(estimate_s: float, budget_s: float, at_least: int, at_most: int,
                ceiling_s: float) -> int:
    """How many timed runs of about ``estimate_s`` each fit in ``budget_s``,
    clamped to [at_least, at_most]; but where ``at_least`` runs would take
    longer than ``ceiling_s`` (a very slow kernel), as many as fit in
    ``ceiling_s``, and never fewer than 3 (a median needs them)."""
    if at_least < 3 or at_most < at_least:
        raise ValueError(f"bad repetition bounds [{at_least}, {at_most}] (at least 3)")
    if estimate_s <= 0 or math.isnan(estimate_s):
        return at_most
    runs = max(at_least, min(at_most, int(budget_s / estimate_s)))
    if runs * estimate_s > ceiling_s:
        runs = max(3, int(ceiling_s / estimate_s))
    return runs
