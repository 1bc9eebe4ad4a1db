"""Inputs for fuzzed kernels: random values of a dtype with the values where
implementations part ways mixed in (the ends of each integer range, 2^24 ± 1
where float32 stops being exact, ±0, subnormals, infinities, NaN, huge
magnitudes)."""
from __future__ import annotations

import numpy as np

from . import dtypes as dt


def special_values(t: str) -> list:
    if dt.is_int(t):
        lo, hi = dt.int_range(t)
        vals = [lo, lo + 1, hi - 1, hi, 0, 1, 2, 3, 7, -1, -2, -7, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1,
                -(2 ** 24) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 53 + 1]
        return [v for v in vals if lo <= v <= hi]
    fmax = dt.float_max(t)
    tiny = {"float16": 2.0 ** -14, "bfloat16": 2.0 ** -126, "float32": 2.0 ** -126,
            "float64": 2.0 ** -1022}[t]
    mant = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}[t]
    subnormal = tiny * 2.0 ** -mant
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, fmax, -fmax, tiny, -tiny, subnormal, -subnormal,
            tiny - subnormal, 1.0, -1.0, 0.5, 2.0 ** 24 - 1, 2.0 ** 24 + 1, -(2.0 ** 24) - 1,
            1e9, -1e9, 3.0e38, 65504.0, 2147483647.0, -2147483648.0, 1e300, 1e-300]
    return [v for v in vals if not np.isfinite(v) or abs(v) <= fmax]


def random_values(rng: np.random.Generator, t: str, shape, extreme_fraction: float) -> np.ndarray:
    """An array of ``shape`` with ``extreme_fraction`` of its elements taken
    from special_values(t); bfloat16 arrays are float32 values rounded to bf16."""
    n = int(np.prod(shape)) if shape else 1
    np_t = dt.NUMPY[t]
    if dt.is_int(t):
        lo, hi = dt.int_range(t)
        narrow = rng.integers(max(lo, -100), min(hi, 100), n, endpoint=True)
        wide = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64 if t != "uint64" else np.uint64)
        values = np.where(rng.random(n) < 0.5, narrow.astype(np_t), wide.astype(np_t)).astype(np_t)
    else:
        normal = rng.standard_normal(n) * 10.0
        wide = np.exp2(rng.uniform(-30, 30, n)) * rng.choice([-1.0, 1.0], n)
        with np.errstate(over="ignore"):
            values = np.where(rng.random(n) < 0.7, normal, wide).astype(np_t)
    special = special_values(t)
    pick = rng.random(n) < extreme_fraction
    if pick.any():
        with np.errstate(over="ignore", invalid="ignore"):
            chosen = np.array([special[i] for i in rng.integers(0, len(special), int(pick.sum()))],
                              dtype=np.float64 if dt.is_float(t) else object)
            values[pick] = chosen.astype(np_t)
    if t == "bfloat16":
        bits = values.astype(np.float32).view(np.uint32)
        values = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
        values = np.where(np.isnan(values), np.float32(np.nan), values)
    return values.reshape(shape)


def random_scalar(rng: np.random.Generator, t: str):
    """A launch argument: an int32 that is never 1 (1 is specialised into a
    constexpr, which would change the argument's type) or a float32."""
    if t == "int32":
        v = int(random_values(rng, "int32", (), 0.3).item())
        return 2 if v == 1 else v
    return float(random_values(rng, "float32", (), 0.3).item())
