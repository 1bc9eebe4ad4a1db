"""The fuzzer's model of Kite's element types and promotion rules. The
generated kernels check every type the model predicts with
kl.static_assert, so a model that drifts from the language fails loudly."""
from __future__ import annotations

import numpy as np

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]
# bfloat16 has no numpy type: its arrays are float32 values, stored as bf16.
NUMPY = {name: np.dtype(name) for name in INTS + ["float16", "float32", "float64"]}
NUMPY["bfloat16"] = np.dtype(np.float32)
NUMPY["int1"] = np.dtype(np.bool_)


def is_int(t: str) -> bool:
    return t in INTS


def is_float(t: str) -> bool:
    return t in FLOATS


def is_unsigned(t: str) -> bool:
    return t.startswith("uint")


def bits(t: str) -> int:
    return {"int1": 1, "bfloat16": 16}.get(t) or NUMPY[t].itemsize * 8


def int_range(t: str) -> tuple[int, int]:
    info = np.iinfo(NUMPY[t])
    return int(info.min), int(info.max)


def float_max(t: str) -> float:
    return 3.3895313892515355e38 if t == "bfloat16" else float(np.finfo(NUMPY[t]).max)


def eps(t: str) -> float:
    return 2.0 ** -7 if t == "bfloat16" else float(np.finfo(NUMPY[t]).eps)


def _int_promote(a: str, b: str) -> str:
    if is_unsigned(a) == is_unsigned(b):
        return a if bits(a) >= bits(b) else b
    unsigned, signed = (a, b) if is_unsigned(a) else (b, a)
    return unsigned if bits(unsigned) >= bits(signed) else signed


def _float_promote(a: str, b: str) -> str:
    if a == b:
        return a
    if bits(a) == bits(b):  # float16 with bfloat16
        return "float16"
    return a if bits(a) > bits(b) else b


def promote(a: str, b: str, op: str = "+") -> str:
    """The type both operands of ``op`` are computed in; "weak_int" and
    "weak_float" stand for Python number literals."""
    if a.startswith("weak"):
        a = b if (a == "weak_int" or is_float(b)) else "float32"
    if b.startswith("weak"):
        b = a if (b == "weak_int" or is_float(a)) else "float32"
    if is_float(a) or is_float(b):
        result = _float_promote(a, b) if is_float(a) and is_float(b) else (a if is_float(a) else b)
    else:
        result = _int_promote(a, b)
    if op == "/" and not is_float(result):
        result = "float32"
    if op in ("/", "%") and result in ("float16", "bfloat16"):
        result = "float32"
    return result


def sum_type(t: str) -> str:
    if is_int(t) and bits(t) < 32:
        return "uint32" if is_unsigned(t) else "int32"
    return t


def minmax_type(t: str) -> str:
    """What kl.max/kl.min of a block of ``t`` returns."""
    if bits(t) < 32:
        return "float32" if is_float(t) else "int32"
    return t


def float_to_int_bounds(f: str, i: str) -> tuple[float, float]:
    """The widest [lo, hi] of ``f`` values that convert to ``i`` without
    overflow (a float outside an int's range converts to an undefined value)."""
    lo, hi = int_range(i)
    fmax = float_max(f)
    np_f = np.float32 if f == "bfloat16" else NUMPY[f].type

    def inside(v: int, toward: float) -> float:
        x = np_f(max(-fmax, min(fmax, v)))
        while abs(float(x)) > abs(v) or (f == "bfloat16" and float(x) != _bf16(float(x))):
            x = np.nextafter(x, np_f(toward)) if f != "bfloat16" else np_f(_bf16_down(float(x)))
        return float(x)
    return inside(lo, 0.0), inside(hi, 0.0)


def _bf16(x: float) -> float:
    bits32 = np.array([x], np.float32).view(np.uint32)[0]
    return float(np.array([bits32 & 0xFFFF0000], np.uint32).view(np.float32)[0])


def _bf16_down(x: float) -> float:
    """The next bfloat16 value toward zero from ``x`` (truncation of the bits)."""
    t = _bf16(x)
    if t != x:
        return t
    bits32 = int(np.array([x], np.float32).view(np.uint32)[0]) - 0x10000
    return float(np.array([bits32], np.uint32).view(np.float32)[0])
