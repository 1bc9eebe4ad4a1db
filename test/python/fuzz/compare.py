"""Judges a device's outputs against the interpreter's (the reference).

- "exact": integers bit for bit; floats equal value for value, NaN where
  the reference has NaN (its sign and payload, and the sign of a zero, are
  not compared).
- "approx" (exp, log, sin, ... which devices compute to a few ulp): NaN
  positions match, infinities match, finite values within APPROX_TOL;
  overflow at the edge of the range counts as the largest finite value.
- "accumulated" (float sums, scans, dots, atomic adds: a device may add in
  another order and in float32 where the interpreter uses float64): NaN
  positions match, and |device - reference| <= 2 * terms * eps * scale,
  scale being the same computation on absolute values. Where the scale
  overflowed, partial sums may overflow in one order and not another (and
  give inf - inf = NaN): nothing is compared there."""
from __future__ import annotations

import numpy as np

from . import dtypes as dt

# (relative, absolute) tolerance of a transcendental result, by dtype. For
# float32, Vulkan allows exp/exp2 3 + 2|x| ulp: 181 ulp (2.2e-5) at x = 89,
# beyond which exp overflows; lavapipe's exp(85) is 38 ulp off.
APPROX_TOL = {"float16": (2e-3, 1e-4), "bfloat16": (1.6e-2, 1e-4), "float32": (2.2e-5, 1e-6)}


def _mismatch(what: str, bad: np.ndarray, got, want) -> str:
    where = np.argwhere(bad)[:5]
    shown = ", ".join(f"{tuple(int(i) for i in w)}: got {got[tuple(w)]!r}, want {want[tuple(w)]!r}"
                      for w in where)
    return f"{what}: {int(bad.sum())} of {bad.size} elements differ ({shown})"


def check_output(check, got: np.ndarray, want: np.ndarray, scale: np.ndarray | None) -> str | None:
    """None when ``got`` passes ``check`` against ``want``, else a description."""
    what = f"output #{check.index} ({check.what}, {check.t}, {check.mode})"
    if got.shape != want.shape:
        return f"{what}: shape {got.shape} != {want.shape}"
    if dt.is_int(check.t):
        bad = got != want
        return _mismatch(what, bad, got, want) if bad.any() else None
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    nan_bad = np.isnan(got64) != np.isnan(want64)
    if check.mode == "accumulated":  # overflowed partial sums: inf - inf in one order only
        nan_bad &= ~np.isposinf(scale.astype(np.float64))
    if nan_bad.any():
        return _mismatch(what + " NaN positions", nan_bad, got, want)
    both = ~np.isnan(want64)
    if check.mode == "exact":
        bad = both & (got64 != want64)
    elif check.mode == "approx":
        rtol, atol = APPROX_TOL[check.t]
        fmax = dt.float_max(check.t)
        g, w = np.clip(got64, -fmax, fmax), np.clip(want64, -fmax, fmax)
        bad = both & ~(np.abs(g - w) <= atol + rtol * np.abs(w))
    else:
        s = np.abs(scale.astype(np.float64))
        bound = 2 * check.terms * dt.eps(check.t) * s + 1e-300
        with np.errstate(invalid="ignore"):
            ok = (got64 == want64) | (np.abs(got64 - want64) <= bound) | ~np.isfinite(s)
        bad = both & ~ok
    return _mismatch(what, bad, got, want) if bad.any() else None


def compare(case, reference: list, device: list) -> list[str]:
    """Every failed check of ``case``; ``reference``/``device`` hold the
    host contents of every argument (None for scalars)."""
    problems = []
    for check in case.checks:
        scale = reference[check.scale_index] if check.scale_index is not None else None
        problem = check_output(check, device[check.index], reference[check.index], scale)
        if problem:
            problems.append(problem)
    return problems
