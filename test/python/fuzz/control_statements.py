"""Statements of fuzzed kernels that carry values through control flow and
memory: runtime for/while loops with loop-carried blocks, if/else on runtime
scalars, and atomics. A mixin of kernel_generator.KernelBuilder. Trip counts
stay small (at most 14) so that the interpreter, the reference, stays quick."""
from __future__ import annotations

import numpy as np

from . import dtypes as dt
from .expressions import Value
from .extreme_values import random_values


class ControlStatements:
    def small_int(self, lo: int, hi: int) -> int:
        v = int(self.rng.integers(lo, hi, endpoint=True))
        return 2 if v == 1 else v  # 1 would be specialised into a constexpr

    def carried_block(self, pool, t: str, inner: list[Value]) -> Value:
        """A new value of the carried type ``t`` and block shape, from ``inner``."""
        v = self.expr.cast(self.expr.tree(inner, 3), t)
        if v.shape != "blk":
            full = "(BM, BN)" if self.two_d else "(BLOCK,)"
            v = self.expr.define(f"kl.broadcast_to({v.name}, {full})", t, "blk")
        return v

    def stmt_loop(self, pool):
        start = self.blocks(pool)
        lc, it, cnt = self.fresh("carried"), self.fresh("it"), self.fresh("count")
        lo, hi = self.fresh("lo"), self.fresh("hi")
        first = self.small_int(-3, 5)
        self.param(lo, first, None)
        self.param(hi, self.small_int(first - 2, first + 9), None)
        self.emit(f"{lc} = {start.name}")
        self.emit(f"{cnt} = pid * 0")
        self.emit(f"for {it} in {self.choice(['range', 'kl.range'])}({lo}, {hi}):")
        self.indent += 1
        inner = pool + [Value(lc, start.t, "blk"), Value(it, "int32", "scalar")]
        self.emit(f"{lc} = {self.carried_block(pool, start.t, inner).name}")
        self.emit(f"{cnt} += {it}")
        self.indent -= 1
        result = Value(lc, start.t, "blk")
        pool.append(result)
        self.output(result, what="for loop")
        self.output(Value(cnt, "int32", "scalar"), what="for loop counter")

    def stmt_while(self, pool):
        start = self.blocks(pool)
        lc, k, hi = self.fresh("carried"), self.fresh("k"), self.fresh("hi")
        k0 = self.fresh("kstart")
        first = self.small_int(-4, 4)
        self.param(k0, first, None)
        self.param(hi, self.small_int(first - 2, first + 12), None)
        self.emit(f"{lc} = {start.name}")
        self.emit(f"{k} = {k0} + 0")
        self.emit(f"while {k} < {hi}:")
        self.indent += 1
        inner = pool + [Value(lc, start.t, "blk"), Value(k, "int32", "scalar")]
        self.emit(f"{lc} = {self.carried_block(pool, start.t, inner).name}")
        self.emit(f"{k} += {int(self.rng.integers(1, 4))}")
        self.indent -= 1
        result = Value(lc, start.t, "blk")
        pool.append(result)
        self.output(result, what="while loop")
        self.output(Value(k, "int32", "scalar"), what="while loop counter")

    def stmt_if(self, pool):
        inputs = [p for p in self.params if p.startswith("in")]
        conds = ["pid % 2 == 0"]
        if inputs:
            conds.append(f"kl.load({self.choice(inputs)}) > 0")
        scalars = [v for v in pool if v.shape == "scalar"]
        if scalars:
            s = self.choice(scalars)
            conds.append(f"{s.name} < {self.expr.literal(s.t)[0]}")
        name = self.fresh("branch")
        self.emit(f"if {self.choice(conds)}:")
        self.indent += 1
        then = self.carried_block(pool, str(self.rng.choice(dt.INTS + dt.FLOATS)), pool)
        self.emit(f"{name} = {then.name}")
        self.indent -= 1
        self.emit("else:")
        self.indent += 1
        self.emit(f"{name} = {self.carried_block(pool, then.t, pool).name}")
        self.indent -= 1
        result = Value(name, then.t, "blk")
        pool.append(result)
        self.output(result, what="if/else")

    def stmt_atomic(self, pool):
        t = self.choice(["int32", "uint32", "int64", "float32"])
        ops = ["add", "max", "min"] + (["and", "or", "xor"] if dt.is_int(t) else [])
        op = self.choice(ops)
        buckets = int(self.choice([1, 3, 7, 16]))
        v = self.expr.cast(self.blocks(pool), t)
        if op != "add" and dt.is_float(t):  # a NaN in a float max/min: the result depends on order
            v = self.expr.define(f"kl.where({v.name} != {v.name}, 0.0, {v.name})", t, "blk")
        init = random_values(self.rng, t, (buckets,), 0.3)
        if dt.is_float(t):  # NaN in memory: the interpreter's fmax drops it, a device's keeps it
            init[np.isnan(init)] = 0.0
        target = self.fresh("atomic")
        index = self.param(target, init, t)
        self.emit(f"kl.atomic_{op}({target} + index % {buckets}, {v.name}, mask=mask)")
        if op == "add" and dt.is_float(t):
            scale = self.fresh("atomic_scale")
            scale_index = self.param(scale, np.abs(init), t)
            self.emit(f"kl.atomic_add({scale} + index % {buckets}, kl.abs({v.name}), mask=mask)")
            total = int(np.prod(self.shape_of["blk"]))
            self.case.checks.append(self.Check(index, "accumulated", t, scale_index,
                                               total // buckets + 2, "kl.atomic_add float32"))
        else:
            self.case.checks.append(self.Check(index, "exact", t, what=f"kl.atomic_{op} {t}"))
