"""A seeded random-kernel generator: ``generate(seed)`` writes the source of
one @kite.kernel with its inputs, grid and the checks its outputs need.

A kernel is a 1-D block (BLOCK elements, the last program partly masked) or a
2-D block (BM rows per program, N <= BN columns, rows and columns masked);
it loads inputs of mixed dtypes holding extreme values, then runs a random
list of statements: element-wise expression trees (expressions.py),
transcendental functions, reductions, scans, kl.dot on 16/32 tiles, runtime
for/while loops with loop-carried values, if/else on runtime values, and
atomics. Exact results are compared bit for bit; float sums, scans, dots and
float atomic adds also store the same computation on absolute values, whose
result bounds the rounding error that a different summation order may make."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import dtypes as dt
from .control_statements import ControlStatements
from .expressions import ExpressionWriter, Value
from .extreme_values import random_scalar, random_values

# Known Kite bugs the generator keeps away from by default (KITE_FUZZ_AVOID
# names the set to avoid; "none" lets the fuzzer find them again):
KNOWN_BUGS = {
    "int_min_rem": "INT_MIN % b has the wrong sign for int8/16/32 on vulkan:0",
    "sin_cos_huge": "sin/cos are off by up to 2.0 for |x| near 1e9 on vulkan:0",
}
APPROX_OPS = ["exp", "exp2", "log", "log2", "sin", "cos", "erf", "rsqrt", "sigmoid"]


@dataclass
class Check:
    """How output argument ``index`` is compared: "exact", "approx" (a
    transcendental: ulp-level tolerance) or "accumulated" (within
    terms * eps * the value at ``scale_index``)."""
    index: int
    mode: str
    t: str
    scale_index: int | None = None
    terms: int = 1
    what: str = ""


@dataclass
class FuzzCase:
    seed: int
    source: str
    args: list = field(default_factory=list)       # numpy arrays and Python scalars
    arg_types: list = field(default_factory=list)  # element type of each array, None for scalars
    grid: tuple = (1,)
    meta: dict = field(default_factory=dict)
    num_warps: int = 4
    checks: list = field(default_factory=list)


class KernelBuilder:
    def __init__(self, seed: int, avoid: set[str]):
        self.rng = np.random.default_rng(seed)
        self.case = FuzzCase(seed, "")
        self.avoid = avoid
        self.params: list[str] = []
        self.funcs: list[str] = []
        self.body: list[str] = []
        self.indent = 1
        self.count = 0
        self.expr = ExpressionWriter(self.rng, self.emit, self.fresh, avoid)

    # ---------------------------------------------------------- plumbing
    def emit(self, line: str):
        self.body.append("    " * self.indent + line)

    def fresh(self, prefix: str = "v") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def param(self, name: str, value, t: str | None) -> int:
        self.params.append(name)
        self.case.args.append(value)
        self.case.arg_types.append(t)
        return len(self.case.args) - 1

    def choice(self, items):
        return items[int(self.rng.integers(len(items)))]

    # ---------------------------------------------------------- layout
    def layout(self):
        rng = self.rng
        self.two_d = rng.random() < 0.5
        if self.two_d:
            self.BM, self.BN = int(self.choice([2, 4, 8, 16, 32])), int(self.choice([4, 8, 16, 32, 64]))
            self.M = int(rng.integers(1, 3 * self.BM + 1))
            self.N = int(self.choice([self.BN, int(rng.integers(1, self.BN + 1))]))
            self.case.grid = (-(-self.M // self.BM),)
            self.case.meta.update(BM=self.BM, BN=self.BN)
            self.emit("pid = kl.program_id(0)")
            self.emit("rows = pid * BM + kl.arange(0, BM)")
            self.emit("cols = kl.arange(0, BN)")
            self.emit("mask = (rows[:, None] < M) & (cols[None, :] < N)")
            self.emit("index = rows[:, None] * N + cols[None, :]")
            self.shape_of = {"blk": (self.M, self.N), "row": (self.N,), "col": (self.M,)}
        else:
            self.BLOCK = int(self.choice([16, 32, 64, 128, 256]))
            self.n = int(rng.integers(1, 3 * self.BLOCK + 1))
            self.case.grid = (-(-self.n // self.BLOCK),)
            self.case.meta.update(BLOCK=self.BLOCK)
            self.emit("pid = kl.program_id(0)")
            self.emit("offs = pid * BLOCK + kl.arange(0, BLOCK)")
            self.emit("mask = offs < n")
            self.emit("index = offs")
            self.shape_of = {"blk": (self.n,)}
        # At most 8 elements per thread: compile time grows much faster than
        # the block (a 32x64 block on one warp took 240 s to compile on lavapipe).
        elements = self.BM * self.BN if self.two_d else self.BLOCK
        self.case.num_warps = int(self.choice([w for w in (1, 2, 4, 8) if elements <= 8 * 32 * w]))

    def size_params(self):
        if self.two_d:
            self.param("M", self.M, None)
            self.param("N", self.N, None)
        else:
            self.param("n", self.n, None)

    def load(self, t: str, shape: str) -> Value:
        arr = random_values(self.rng, t, self.shape_of[shape], float(self.rng.uniform(0.05, 0.5)))
        ptr = self.fresh("in")
        self.param(ptr, arr, t)
        other = "0" if self.rng.random() < 0.5 else self.expr.literal(t)[0]
        where = {"blk": ("index", "mask"), "row": ("cols[None, :]", "cols[None, :] < N"),
                 "col": ("rows[:, None]", "rows[:, None] < M")}[shape]
        return self.expr.define(f"kl.load({ptr} + {where[0]}, mask={where[1]}, other={other})", t, shape)

    def scalar(self) -> Value:
        t = self.choice(["int32", "float32"])
        name = self.fresh("s")
        self.param(name, random_scalar(self.rng, t), None)
        return self.expr.define(f"{name} + 0", t, "scalar")

    # ---------------------------------------------------------- outputs
    def output(self, v: Value, mode: str = "exact", scale: Value | None = None, terms: int = 1,
               what: str = "", checked: bool = True) -> int:
        if v.shape == "scalar":  # one value per program
            arr = np.zeros(self.case.grid[0], dt.NUMPY[v.t])
            target, mask, code = "pid", None, v.name
        else:
            arr = np.zeros(self.shape_of["blk"], dt.NUMPY[v.t])
            target, mask = "index", "mask"
            full = "(BM, BN)" if self.two_d else "(BLOCK,)"
            code = v.name if v.shape == "blk" else f"kl.broadcast_to({v.name}, {full})"
        ptr = self.fresh("out")
        index = self.param(ptr, arr, v.t)
        self.emit(f"kl.store({ptr} + {target}, {code}{', mask=' + mask if mask else ''})")
        scale_index = self.output(scale, checked=False) if scale is not None else None
        if checked:  # a scale is an error bound, itself rounded in any order
            self.case.checks.append(Check(index, mode, v.t, scale_index, terms, what))
        return index

    # ---------------------------------------------------------- statements
    def statement(self, pool: list[Value]):
        kinds = ["tree", "tree", "approx", "reduce", "scan", "loop", "while", "if", "atomic"]
        if self.two_d and self.BM in (16, 32) and self.BN in (16, 32):
            kinds += ["dot", "dot"]
        getattr(self, "stmt_" + self.choice(kinds))(pool)

    def stmt_tree(self, pool):
        v = self.expr.tree(pool, int(self.rng.integers(1, 5)))
        pool.append(v)
        self.output(v, what="expression")

    def float_value(self, pool) -> Value:
        v = self.expr.tree(pool, 2)
        if not dt.is_float(v.t) or v.t == "float64":  # Vulkan has no f64 transcendentals
            v = self.expr.cast(v, self.choice(["float16", "bfloat16", "float32"]))
        return v

    def stmt_approx(self, pool):
        op = self.choice(APPROX_OPS)
        v = self.float_value(pool)
        if op in ("sin", "cos") and "sin_cos_huge" in self.avoid:
            v = self.expr.define(f"kl.minimum(kl.maximum({v.name}, -1e5), 1e5)", v.t, v.shape)
        t = dt.promote(v.t, "weak_float", "/") if op == "sigmoid" else v.t  # 1 / (1 + exp(-x))
        self.output(self.expr.define(f"kl.{op}({v.name})", t, v.shape), "approx", what=f"kl.{op}")

    def blocks(self, pool) -> Value:
        v = self.expr.tree(pool, 2)
        if v.shape != "blk":
            full = "(BM, BN)" if self.two_d else "(BLOCK,)"
            v = self.expr.define(f"kl.broadcast_to({v.name}, {full})", v.t, "blk")
        return v

    def reduce_axis(self):
        """(axis, shape of the result, number of terms, expansion code)."""
        if not self.two_d:
            return 0, "scalar", self.BLOCK, ""
        return self.choice([(0, "row", self.BM, "[None, :]"), (1, "col", self.BN, "[:, None]"),
                            (None, "scalar", self.BM * self.BN, "")])

    def stmt_reduce(self, pool):
        v = self.blocks(pool)
        axis, shape, terms, expand = self.reduce_axis()
        op = self.choice(["sum", "max", "min", "argmax", "argmin"])
        if op.startswith("arg"):
            axis, shape, terms, expand = (0, "scalar", self.BLOCK, "") if not self.two_d else \
                self.choice([(0, "row", self.BM, "[None, :]"), (1, "col", self.BN, "[:, None]")])
        if op.startswith("arg") and dt.is_float(v.t):
            # With a NaN the first-index-wins combine is not associative: the
            # result depends on the reduction tree, in Kite as in Triton.
            v = self.expr.define(f"kl.where({v.name} != {v.name}, 0.0, {v.name})", v.t, v.shape)
        t = {"sum": dt.sum_type, "max": dt.minmax_type, "min": dt.minmax_type}.get(op, lambda _: "int32")(v.t)
        r = self.expr.define(f"kl.{op}({v.name}, axis={axis}){expand}", t, shape)
        if op == "sum" and dt.is_float(t):
            scale = self.expr.define(f"kl.sum(kl.abs({v.name}), axis={axis}){expand}", t, shape)
            self.output(r, "accumulated", scale, terms, f"kl.sum axis={axis}")
        else:
            pool.append(r)
            self.output(r, what=f"kl.{op} axis={axis}")

    def stmt_scan(self, pool):
        v = self.blocks(pool)
        axis = int(self.rng.integers(2)) if self.two_d else 0
        terms = (self.BM if axis == 0 else self.BN) if self.two_d else self.BLOCK
        reverse = bool(self.rng.random() < 0.3)
        if self.rng.random() < 0.5:
            t = "float32" if v.t == "bfloat16" else dt.sum_type(v.t)
            r = self.expr.define(f"kl.cumsum({v.name}, axis={axis}, reverse={reverse})", t, "blk")
            if dt.is_float(t):
                scale = self.expr.define(f"kl.cumsum(kl.abs({v.name}), axis={axis}, reverse={reverse})",
                                         t, "blk")
                return self.output(r, "accumulated", scale, terms, "kl.cumsum")
        else:
            combine = self.fresh("combine")
            body = self.choice(["kl.maximum(a, b)", "kl.minimum(a, b)"] +
                               (["a ^ b", "a + b", "a | b"] if dt.is_int(v.t) else []))
            self.funcs.append(f"@kite.func\ndef {combine}(a, b):\n    return {body}\n")
            r = self.expr.define(f"kl.associative_scan({v.name}, {axis}, {combine}, reverse={reverse})",
                                 v.t, "blk")
        pool.append(r)
        self.output(r, what="scan")

    def stmt_dot(self, pool):
        t = self.choice(["float16", "bfloat16", "float32", "int8"])
        K = int(self.choice([16, 32]))
        a = random_values(self.rng, t, (self.M, K), 0.1)
        b = random_values(self.rng, t, (K, self.N), 0.1)
        if dt.is_float(t):  # no finite overflow inside a sum, where the order would matter
            with np.errstate(over="ignore", invalid="ignore"):
                a, b = [np.where(np.isfinite(x) & (np.abs(x) > 1e15), np.sign(x) * 1e15, x).astype(x.dtype)
                        for x in (a, b)]
        pa, pb = self.fresh("dota"), self.fresh("dotb")
        self.param(pa, a, t)
        self.param(pb, b, t)
        ka = self.fresh("k")
        self.emit(f"{ka} = kl.arange(0, {K})")
        va = self.expr.define(f"kl.load({pa} + rows[:, None] * {K} + {ka}[None, :], "
                              "mask=rows[:, None] < M, other=0)", t, "blk")
        vb = self.expr.define(f"kl.load({pb} + {ka}[:, None] * N + cols[None, :], "
                              "mask=cols[None, :] < N, other=0)", t, "blk")
        out_t = "int32" if t == "int8" else "float32"
        acc = [p for p in pool if p.t == out_t and p.shape == "blk"]
        use_acc = bool(acc) and self.rng.random() < 0.5
        acc_code = f", acc={acc[0].name}" if use_acc else ""
        # Exact f32 products: the comparison's tolerance is f32's (tf32,
        # Triton's default on tensor cores, keeps 10 mantissa bits).
        precision = ', input_precision="ieee"' if t == "float32" else ""
        c = self.expr.define(f"kl.dot({va.name}, {vb.name}{acc_code}{precision})", out_t, "blk")
        if t == "int8":
            pool.append(c)
            return self.output(c, what="kl.dot int8")
        acc_abs = f", acc=kl.abs({acc[0].name})" if use_acc else ""
        scale = self.expr.define(f"kl.dot(kl.abs({va.name}), kl.abs({vb.name}){acc_abs}{precision})",
                                 out_t, "blk")
        self.output(c, "accumulated", scale, K + 1, f"kl.dot {t}")


class FuzzKernelBuilder(KernelBuilder, ControlStatements):
    Check = Check


def generate(seed: int, avoid: set[str] | None = None) -> FuzzCase:
    """The kernel, inputs and checks for ``seed`` (the same on every machine)."""
    b = FuzzKernelBuilder(seed, set(KNOWN_BUGS) if avoid is None else avoid)
    b.layout()
    b.size_params()
    pool = []
    for _ in range(int(b.rng.integers(1, 5))):
        t = b.choice(dt.INTS + dt.FLOATS)
        shape = b.choice(["blk", "blk", "row", "col"]) if b.two_d else "blk"
        pool.append(b.load(t, shape))
    for _ in range(int(b.rng.integers(0, 3))):
        pool.append(b.scalar())
    if b.rng.random() < 0.3:
        pool.append(Value("index", "int32", "blk"))
    for _ in range(int(b.rng.integers(1, 6))):
        b.statement(pool)
    constexprs = ["BM: kl.constexpr", "BN: kl.constexpr"] if b.two_d else ["BLOCK: kl.constexpr"]
    header = f'"""Fuzz case {seed} (test/python/fuzz/kernel_generator.py)."""\nimport kite\nimport kite.language as kl\n\n\n'
    b.case.source = (header + "\n\n".join(b.funcs) + ("\n\n" if b.funcs else "") + "@kite.kernel\n"
                     f"def fuzz_kernel({', '.join(b.params + constexprs)}):\n" + "\n".join(b.body) + "\n")
    return b.case
