"""Random element-wise expression trees over mixed dtypes, written as kernel
source one statement per node. Every node is exact (+ - * / // % bit ops,
shifts, min/max, abs, floor/ceil/sqrt, casts, comparisons and kl.where all
round correctly or not at all), so a device must match the interpreter bit
for bit; operations that would be undefined (integer division by zero,
INT_MIN // -1, shifts past the width, converting a float outside an
integer's range or NaN) are guarded in the generated code."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import dtypes as dt


@dataclass(frozen=True)
class Value:
    name: str
    t: str        # element type, as in dtypes.INTS / FLOATS
    shape: str    # "blk", "row" ([1, BN]), "col" ([BM, 1]) or "scalar"


def combine_shapes(a: str, b: str) -> str:
    if a == b or b == "scalar":
        return a
    if a == "scalar":
        return b
    return "blk"  # row with col, or anything with blk


class ExpressionWriter:
    """Emits ``name = expr`` lines through ``emit`` and returns the Value."""

    def __init__(self, rng: np.random.Generator, emit, fresh, avoid: set[str]):
        self.rng, self.emit, self.fresh, self.avoid = rng, emit, fresh, avoid

    def define(self, code: str, t: str, shape: str) -> Value:
        name = self.fresh()
        self.emit(f"{name} = {code}")
        # The fuzzer's type model is checked at every node.
        self.emit(f"kl.static_assert({name}.dtype == kl.{t})")
        return Value(name, t, shape)

    def literal(self, t: str) -> tuple[str, str]:
        """A Python number that is in range for ``t`` (weakly typed)."""
        if dt.is_float(t) and self.rng.random() < 0.5:
            return repr(float(self.rng.choice([0.5, -2.25, 3.0, 1e-3, 100.0, -0.0, 7.5]))), "weak_float"
        lo, hi = (0, 100) if dt.is_unsigned(t) else (-100, 100)
        return str(int(self.rng.integers(lo, hi, endpoint=True))), "weak_int"

    def cast(self, v: Value, t: str) -> Value:
        if v.t == t:
            return v
        if dt.is_float(v.t) and dt.is_int(t):
            lo, hi = dt.float_to_int_bounds(v.t, t)
            code = (f"kl.minimum(kl.maximum(kl.where({v.name} != {v.name}, 0, {v.name}), {lo!r}), "
                    f"{hi!r}).to(kl.{t})")
            return self.define(code, t, v.shape)
        return self.define(f"{v.name}.to(kl.{t})", t, v.shape)

    def tree(self, pool: list[Value], depth: int) -> Value:
        if depth <= 0 or self.rng.random() < 0.15:
            return pool[int(self.rng.integers(len(pool)))]
        kind = self.rng.choice(["binary", "binary", "binary", "unary", "cast", "where", "literal"])
        if kind == "unary":
            return self.unary(self.tree(pool, depth - 1))
        if kind == "cast":
            target = str(self.rng.choice(dt.INTS + dt.FLOATS))
            return self.cast(self.tree(pool, depth - 1), target)
        if kind == "where":
            cond = self.comparison(self.tree(pool, depth - 1), self.tree(pool, depth - 1))
            return self.where(cond, self.tree(pool, depth - 1), self.tree(pool, depth - 1))
        if kind == "literal":
            return self.with_literal(self.tree(pool, depth - 1))
        return self.binary(self.tree(pool, depth - 1), self.tree(pool, depth - 1))

    def unary(self, v: Value) -> Value:
        if dt.is_int(v.t):
            op = self.rng.choice(["-", "~", "abs"])
            code = f"kl.abs({v.name})" if op == "abs" else f"{op}{v.name}"
        else:
            op = self.rng.choice(["-", "abs", "floor", "ceil", "sqrt"])
            code = f"-{v.name}" if op == "-" else f"kl.{op}({v.name})"
        return self.define(code, v.t, v.shape)

    def comparison(self, a: Value, b: Value) -> Value:
        op = self.rng.choice(["<", "<=", ">", ">=", "==", "!="])
        return self.define(f"{a.name} {op} {b.name}", "int1", combine_shapes(a.shape, b.shape))

    def where(self, cond: Value, a: Value, b: Value) -> Value:
        t = dt.promote(a.t, b.t)
        shape = combine_shapes(cond.shape, combine_shapes(a.shape, b.shape))
        return self.define(f"kl.where({cond.name}, {a.name}, {b.name})", t, shape)

    def with_literal(self, v: Value) -> Value:
        lit, weak = self.literal(v.t)
        ops = ["+", "-", "*"] + (["//", "&", "|", "^"] if dt.is_int(v.t) and weak == "weak_int" else [])
        op = self.rng.choice(ops)
        if op == "//":
            lit = str(int(self.rng.integers(2, 9)))  # never 0 or -1
        t = dt.promote(v.t, weak, op)
        code = f"{v.name} {op} {lit}" if self.rng.random() < 0.5 or op == "//" else f"{lit} {op} {v.name}"
        return self.define(code, t, v.shape)

    def binary(self, a: Value, b: Value) -> Value:
        both_int = dt.is_int(a.t) and dt.is_int(b.t)
        ops = ["+", "-", "*", "/", "max", "min"] + (["//", "%", "&", "|", "^", "<<", ">>"] if both_int else [])
        op = str(self.rng.choice(ops))
        shape = combine_shapes(a.shape, b.shape)
        t = dt.promote(a.t, b.t, op)
        if op in ("max", "min"):
            return self.define(f"kl.{op}imum({a.name}, {b.name})", t, shape)
        if op in ("<<", ">>"):
            return self.define(f"{a.name} {op} ({b.name} & {dt.bits(t) - 1})", t, shape)
        if op in ("//", "%"):
            return self.division(op, self.cast(a, t), self.cast(b, t), shape)
        return self.define(f"{a.name} {op} {b.name}", t, shape)

    def division(self, op: str, a: Value, b: Value, shape: str) -> Value:
        t = a.t
        den = f"kl.where({b.name} == 0, 1, {b.name})"
        num = a.name
        if not dt.is_unsigned(t):
            lo = dt.int_range(t)[0]
            den = f"kl.where(({b.name} == -1) & ({a.name} == {lo}), 1, {den})"
            if op == "%" and "int_min_rem" in self.avoid and dt.bits(t) <= 32:
                num = f"kl.where({a.name} == {lo}, 0, {a.name})"
        d = self.define(den, t, b.shape)
        return self.define(f"({num}) {op} {d.name}", t, shape)
