"""Storage formats numpy lacks: bfloat16 and the two fp8 formats are kept as
raw bits in memory and computed on as float32, rounded to nearest-even."""
from __future__ import annotations

import numpy as np

from ..language import dtypes as dt


def _fp8_table(exp_bits: int, man_bits: int, bias: int, fn: bool) -> np.ndarray:
    values = np.zeros(256, dtype=np.float32)
    for code in range(256):
        sign = -1.0 if code & 0x80 else 1.0
        e = (code >> man_bits) & ((1 << exp_bits) - 1)
        m = code & ((1 << man_bits) - 1)
        if fn and e == (1 << exp_bits) - 1 and m == (1 << man_bits) - 1:
            values[code] = np.copysign(np.nan, sign)
        elif not fn and e == (1 << exp_bits) - 1:
            values[code] = sign * np.inf if m == 0 else np.copysign(np.nan, sign)
        elif e == 0:
            values[code] = sign * m * 2.0 ** (1 - bias - man_bits)
        else:
            values[code] = sign * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)
    return values


_FP8 = {"f8E4M3FN": _fp8_table(4, 3, 7, True), "f8E5M2": _fp8_table(5, 2, 15, False)}


def _encode_fp8(x: np.ndarray, table: np.ndarray, has_inf: bool) -> np.ndarray:
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
    # Out-of-range values and infinities saturate to the largest finite value,
    # as NVIDIA's cvt.rn.satfinite does; NaN stays NaN.
    out = np.where(mag >= values[-1], codes[-1], out).astype(np.uint8)
    nan_code = 0x7E if has_inf else 0x7F
    out = np.where(np.isnan(x), nan_code, out).astype(np.uint8)
    return (out | np.where(np.signbit(x), 0x80, 0).astype(np.uint8)).astype(np.uint8)


def encode(x, elem: dt.dtype) -> np.ndarray:
    """float32 values → the raw bits of ``elem`` (bf16 or fp8)."""
    x = np.asarray(x, dtype=np.float32)
    if elem.mlir == "bf16":
        bits = x.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        rounded = np.where(np.isnan(x), 0x7FC0, rounded)
        return rounded.astype(np.uint16)
    return _encode_fp8(x, _FP8[elem.mlir], elem.mlir == "f8E5M2")


def decode(raw, elem: dt.dtype) -> np.ndarray:
    raw = np.asarray(raw)
    if elem.mlir == "bf16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    return _FP8[elem.mlir][raw.astype(np.int64)]


def is_emulated(elem: dt.dtype) -> bool:
    return elem.mlir in ("bf16", "f8E4M3FN", "f8E5M2")


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
