"""Seeded random graphs for kitegpu-remove-layout-conversions: loads of mixed
element types (each gets its own coalesced layout from kitegpu-coalesce),
casts that widen and narrow, element-wise ops, where, reductions broadcast
back, and dots, stored in other types. Only traced and run through the
`kitegpu` stage (test_layout_property.py), never launched: what matters is
where the layouts meet, not the values."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LOADED = ["int8", "int16", "int32", "int64", "float16", "float32", "float64"]
CASTS = LOADED + ["uint8", "uint32", "bfloat16"]
FLOATS = {"float16", "bfloat16", "float32", "float64"}


@dataclass
class GraphCase:
    seed: int
    source: str
    args: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    num_warps: int = 4


class _Graph:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.case = GraphCase(seed, "")
        self.lines: list[str] = []
        self.values: list[tuple[str, str]] = []  # (name, element type)
        self.count = 0

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def value(self, expr: str, t: str) -> str:
        self.count += 1
        name = f"v{self.count}"
        self.lines.append(f"    {name} = {expr}")
        self.values.append((name, t))
        return name

    def operand(self) -> tuple[str, str]:
        # Recent values more often: chains, where conversions move furthest.
        n = len(self.values)
        return self.values[max(0, n - 1 - int(self.rng.geometric(0.4)) + 1)]

    def binary(self):
        (a, ta), (b, tb) = self.operand(), self.operand()
        t = self.pick([ta, tb, self.pick(CASTS)])
        ops = ["+", "-", "*"] + (["/"] if t in FLOATS else ["&", "|", "^"])
        self.value(f"{a}.to(kl.{t}) {self.pick(ops)} {b}.to(kl.{t})", t)

    def cast(self):
        a, _ = self.operand()
        t = self.pick(CASTS)
        self.value(f"{a}.to(kl.{t})", t)

    def where(self):
        (a, ta), (b, tb), (c, _) = self.operand(), self.operand(), self.operand()
        self.value(f"kl.where({a} > {b}.to(kl.{ta}), {c}.to(kl.{tb}), {b})", tb)

    def unary(self):
        a, t = self.operand()
        if t in FLOATS:
            expr = self.pick([f"kl.exp({a}.to(kl.float32))", f"kl.abs({a})", f"-{a}",
                              f"kl.maximum({a}, {a} * 0.5)"])
            self.value(expr, "float32" if expr.startswith("kl.exp") else t)
        else:
            self.value(self.pick([f"kl.abs({a})", f"{a} << 1", f"{a} >> 1", f"-{a}"]), t)

    def reduce(self):
        a, t = self.operand()
        fn = self.pick(["kl.sum", "kl.max", "kl.min"])
        if self.two_d:
            axis = int(self.rng.integers(2))
            r = self.value(f"{fn}({a}, axis={axis})", t)
            self.values.pop()  # a row or column: not an operand of tile ops
            index = "[:, None]" if axis == 1 else "[None, :]"
            self.value(f"{a} + {r}{index}.to(kl.{t})", t)
        else:
            r = self.value(f"{fn}({a}, axis=0)", t)
            self.values.pop()
            self.value(f"{a} + {r}.to(kl.{t})", t)

    def dot(self):
        (a, _), (b, _) = self.operand(), self.operand()
        t = self.pick(["float16", "float32"])
        self.value(f"kl.dot({a}.to(kl.{t}), {b}.to(kl.{t}), input_precision=\"ieee\")", "float32")

    def build(self) -> GraphCase:
        rng = self.rng
        self.two_d = bool(rng.random() < 0.5)
        params, args = [], []
        inputs = [self.pick(LOADED) for _ in range(int(rng.integers(1, 5)))]
        outputs = [self.pick(LOADED) for _ in range(int(rng.integers(1, 4)))]
        for i, t in enumerate(inputs):
            params.append(f"in{i}")
            args.append(np.zeros(16, t))
        for i, t in enumerate(outputs):
            params.append(f"out{i}")
            args.append(np.zeros(16, t))
        params.append("n")
        args.append(16)
        if self.two_d:
            bm = int(self.pick([8, 16, 32, 64]))
            bn = bm if rng.random() < 0.5 else int(self.pick([8, 16, 32, 64]))
            self.case.meta = {"BM": bm, "BN": bn}
            params += ["BM: kl.constexpr", "BN: kl.constexpr"]
            self.lines += ["    rows = kl.program_id(0) * BM + kl.arange(0, BM)",
                           "    cols = kl.arange(0, BN)",
                           "    offs = rows[:, None] * BN + cols[None, :]",
                           "    mask = (rows[:, None] < n) & (cols[None, :] < BN)"]
        else:
            self.case.meta = {"BLOCK": int(self.pick([32, 64, 128, 256, 512, 1024, 2048]))}
            params.append("BLOCK: kl.constexpr")
            self.lines += ["    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)",
                           "    mask = offs < n"]
        for i, t in enumerate(inputs):
            masked = rng.random() < 0.7
            self.value(f"kl.load(in{i} + offs" + (", mask=mask, other=0)" if masked else ")"), t)
        steps = [self.binary, self.cast, self.where, self.unary, self.reduce]
        if self.two_d and self.case.meta["BM"] == self.case.meta["BN"]:
            steps.append(self.dot)
        for _ in range(int(rng.integers(2, 10))):
            self.pick(steps)()
        for i, t in enumerate(outputs):
            a, _ = self.operand()
            self.lines.append(f"    kl.store(out{i} + offs, {a}.to(kl.{t}), mask=mask)")
        self.case.args = args
        self.case.num_warps = int(self.pick([1, 2, 4, 8]))
        self.case.source = ("import kite\nimport kite.language as kl\n\n\n@kite.kernel\n"
                            f"def graph_kernel({', '.join(params)}):\n" + "\n".join(self.lines) + "\n")
        return self.case


def generate_graph(seed: int) -> GraphCase:
    return _Graph(seed).build()
