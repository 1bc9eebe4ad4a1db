"""Storage formats numpy lacks: bfloat16 and the fp8 formats are kept as
raw bits in memory and computed on as float32, rounded to nearest-even."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..language import dtypes as dt


class _Float8Format(NamedTuple):
    """An 8-bit float format by its fields, as dialects/Kite/Float8Formats.h
    describes it. ``nan``: "ieee" (infinities and NaNs at the largest
    exponent), "all_ones" (s.1111.111 is NaN, no infinity) or "fnuz" (0x80,
    negative zero's code, is the one NaN; no infinity, no -0)."""
    exponent_bits: int
    mantissa_bits: int
    bias: int
    nan: str
    scale: bool = False  # e8m0: code c is 2^(c - 127), 0xFF NaN; no sign, no zero

    def table(self) -> np.ndarray:
        """The float32 value of each of the 256 codes."""
        if self.scale:
            return np.append(2.0 ** (np.arange(255) - 127.0), np.nan).astype(np.float32)
        values = np.zeros(256, dtype=np.float32)
        top = (1 << self.exponent_bits) - 1
        for code in range(256):
            sign = -1.0 if code & 0x80 else 1.0
            e = (code >> self.mantissa_bits) & top
            m = code & ((1 << self.mantissa_bits) - 1)
            if self.nan == "fnuz" and code == 0x80:
                values[code] = np.nan
            elif self.nan == "all_ones" and code & 0x7F == 0x7F:
                values[code] = np.copysign(np.nan, sign)
            elif self.nan == "ieee" and e == top:
                values[code] = sign * np.inf if m == 0 else np.copysign(np.nan, sign)
            elif e == 0:
                values[code] = sign * m * 2.0 ** (1 - self.bias - self.mantissa_bits)
            else:
                values[code] = sign * (1 + m / (1 << self.mantissa_bits)) * 2.0 ** (e - self.bias)
        return values

    def nan_code(self) -> int:
        if self.nan == "fnuz":
            return 0x80
        if self.nan == "all_ones":
            return 0x7F
        return ((1 << self.exponent_bits) - 1) << self.mantissa_bits | 1 << (self.mantissa_bits - 1)


_FORMATS = {"f8E4M3FN": _Float8Format(4, 3, 7, "all_ones"),
            "f8E5M2": _Float8Format(5, 2, 15, "ieee"),
            "f8E4M3FNUZ": _Float8Format(4, 3, 8, "fnuz"),
            "f8E5M2FNUZ": _Float8Format(5, 2, 16, "fnuz"),
            "f8E8M0FNU": _Float8Format(8, 0, 127, "all_ones", scale=True)}
_TABLES = {name: fmt.table() for name, fmt in _FORMATS.items()}


def _encode_scale(x: np.ndarray) -> np.ndarray:
    """e8m0 as ml_dtypes rounds to it: the f32 exponent field (the same
    bias), one up from half the mantissa (ties up); below 2^-127, 2^-127;
    zero, negative values, overflow, inf and NaN are NaN (0xFF)."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.int64)
    exponent, mantissa = bits >> 23, bits & 0x7FFFFF
    code = np.where(exponent == 0, (mantissa >= 0x600000).astype(np.int64),
                    exponent + (mantissa >= 0x400000))
    return np.where((bits == 0) | (code >= 0xFF), 0xFF, code).astype(np.uint8)


def _encode_fp8(x: np.ndarray, name: str) -> np.ndarray:
    """Nearest-even; finite magnitudes past the largest saturate to it (as
    Triton's conversions do, where ml_dtypes gives inf or NaN); infinities
    saturate too, except in the fnuz formats, where they are NaN."""
    fmt, table = _FORMATS[name], _TABLES[name]
    if fmt.scale:
        return _encode_scale(x)
    x = np.asarray(x, dtype=np.float32)
    positive = np.arange(128)
    finite = positive[np.isfinite(table[:128])]
    values = table[finite]
    order = np.argsort(values)
    values, codes = values[order], finite[order]
    mag = np.abs(x)
    idx = np.clip(np.searchsorted(values, mag), 1, len(values) - 1)
    lo, hi = values[idx - 1], values[idx]
    pick_hi = (mag - lo > hi - mag) | ((mag - lo == hi - mag) & (codes[idx] % 2 == 0))
    out = np.where(pick_hi, codes[idx], codes[idx - 1]).astype(np.uint8)
    out = np.where(mag >= values[-1], codes[-1], out).astype(np.uint8)
    sign = np.where(np.signbit(x), 0x80, 0).astype(np.uint8)
    if fmt.nan == "fnuz":  # no -0: zero is +0 whatever x's sign
        out = out | np.where(out == 0, 0, sign).astype(np.uint8)
        return np.where(np.isnan(x) | np.isinf(x), 0x80, out).astype(np.uint8)
    out = np.where(np.isnan(x), fmt.nan_code(), out).astype(np.uint8)
    return (out | sign).astype(np.uint8)


def encode(x, elem: dt.dtype) -> np.ndarray:
    """float32 values → the raw bits of ``elem`` (bf16 or fp8)."""
    x = np.asarray(x, dtype=np.float32)
    if elem.mlir == "bf16":
        bits = x.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        rounded = np.where(np.isnan(x), 0x7FC0, rounded)
        return rounded.astype(np.uint16)
    return _encode_fp8(x, elem.mlir)


def decode(raw, elem: dt.dtype) -> np.ndarray:
    raw = np.asarray(raw)
    if elem.mlir == "bf16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    return _TABLES[elem.mlir][raw.astype(np.int64)]


def is_emulated(elem: dt.dtype) -> bool:
    return elem.mlir == "bf16" or elem.mlir in _FORMATS


def storage_dtype(elem: dt.dtype) -> np.dtype:
    if elem.mlir == "bf16":
        return np.dtype(np.uint16)
    if elem.is_fp8():
        return np.dtype(np.uint8)
    if elem.is_ptr():
        return np.dtype(np.int64)
    return elem.np_dtype


def round_to(x, elem: dt.dtype) -> np.ndarray:
    """Values computed in float32 rounded to what ``elem`` can hold."""
    if is_emulated(elem):
        return decode(encode(x, elem), elem)
    return np.asarray(x).astype(elem.np_dtype, copy=False)


def largest_finite(elem: dt.dtype) -> float:
    """The largest finite value of an fp8 format."""
    table = _TABLES[elem.mlir]
    return float(np.max(table[np.isfinite(table)]))
