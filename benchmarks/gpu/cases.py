"""The GPU benchmark's cases: for each kernel and size, the inputs (on
cuda:0, through PyTorch), the reference result, the tolerance of the check,
the work done (bytes or flops) and the three implementations: Kite and
Triton through launchers.py, PyTorch through its own operator.

An implementation is ``fn(inputs, outputs) -> {name: tensor}``: Kite and
Triton write into ``outputs`` (fresh buffers, NaN-filled for the check, so
an element no program wrote is caught), PyTorch returns new tensors. They
run in the order PyTorch, Triton, Kite: the newest code runs last, so that
if it breaks the device, the others' results for the case are in."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from . import launchers, metrics

# Where every tensor is made (the run makes cuda:0 the current device; the
# tests of the harness's PyTorch side use "cpu").
DEVICE = "cuda"

GROUPS = ("vector_add", "softmax", "layernorm", "matmul", "launch", "hopper")

# The sizes of issue 4's table.
VECTOR_ADD_LOG2 = (24, 28)
SOFTMAX_SHAPES = ((4096, 1024), (4096, 4096), (4096, 16384))
LAYERNORM_SHAPES = ((4096, 1024), (4096, 8192))
MATMUL_SHAPES = ((1024, 1024, 1024), (4096, 4096, 4096), (8192, 8192, 8192), (8192, 8192, 128))

# (rtol, atol) per output, shared with the smoke test. softmax: fp32 with a
# fast exp is a few ulp per element plus a rounding per add of the row sum;
# 1e-5 still catches a row sum missing one typical element. layernorm: y is
# fp16 (an ulp is 4e-3 at 8), the statistics are fp32 sums of a row.
# matmul: fp16 results of about N(0, 1), fp32 accumulation in any order.
TOLERANCE = {"vector_add": dict(out=(0.0, 0.0)),
             "softmax": dict(out=(1e-5, 1e-8)),
             "layernorm": dict(y=(1e-2, 1e-2), mean=(1e-4, 1e-5), rstd=(1e-4, 1e-5)),
             "matmul": dict(c=(1e-2, 1e-2))}


@dataclass
class Case:
    group: str
    name: str
    shape: str
    unit: str                                   # "GB/s" or "TFLOP/s"
    work: float                                 # bytes or flops of one run
    make_inputs: Callable[[], dict]
    make_outputs: Callable[[dict], dict]
    reference: Callable[[dict], dict]           # {output name: expected tensor}
    tolerance: dict                             # {output name: (rtol, atol)}
    impls: dict   # {"torch"|"triton"|"kite": fn}, in the order they run


def fp32_matmul(torch, a, b):
    """a @ b in fp32 from the same inputs, without TF32: the reference of
    the matmul cases."""
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        return a.float() @ b.float()
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def _nan(torch, shape, dtype):
    return torch.full(shape, float("nan"), dtype=dtype, device=DEVICE)


def vector_add_case(torch, kk, tk, log2_n: int) -> Case:
    n = 1 << log2_n

    def make_inputs():
        return dict(x=torch.randn(n, device=DEVICE), y=torch.randn(n, device=DEVICE))

    def launch(k):
        def fn(i, o):
            launchers.vector_add(k, i["x"], i["y"], o["out"], n)
            return o
        return fn

    return Case("vector_add", "vector add fp32", f"2^{log2_n}", "GB/s", metrics.vector_add_bytes(n),
                make_inputs, lambda i: dict(out=_nan(torch, (n,), torch.float32)),
                lambda i: dict(out=i["x"] + i["y"]), TOLERANCE["vector_add"],
                dict(torch=lambda i, o: dict(out=torch.add(i["x"], i["y"], out=o["out"])),
                     triton=launch(tk), kite=launch(kk)))


def softmax_case(torch, kk, tk, rows: int, cols: int) -> Case:
    def make_inputs():
        return dict(x=torch.randn(rows, cols, device=DEVICE))

    def launch(k):
        def fn(i, o):
            launchers.softmax(k, o["out"], i["x"], rows, cols)
            return o
        return fn

    def reference(i):
        return dict(out=torch.softmax(i["x"].double(), dim=1).float())

    return Case("softmax", "row softmax fp32", f"{rows}x{cols}", "GB/s",
                metrics.softmax_bytes(rows, cols), make_inputs,
                lambda i: dict(out=_nan(torch, (rows, cols), torch.float32)), reference,
                TOLERANCE["softmax"],
                dict(torch=lambda i, o: dict(out=torch.softmax(i["x"], dim=1)),
                     triton=launch(tk), kite=launch(kk)))


def layernorm_case(torch, kk, tk, rows: int, cols: int) -> Case:
    eps = launchers.LAYERNORM_EPS

    def make_inputs():
        return dict(x=(torch.randn(rows, cols, device=DEVICE) * 2 + 0.5).half(),
                    w=(torch.rand(cols, device=DEVICE) + 0.5).half(),
                    b=(torch.randn(cols, device=DEVICE) * 0.5).half())

    def make_outputs(i):
        return dict(y=_nan(torch, (rows, cols), torch.float16),
                    mean=_nan(torch, (rows,), torch.float32),
                    rstd=_nan(torch, (rows,), torch.float32))

    def launch(k):
        def fn(i, o):
            launchers.layernorm(k, i["x"], o["y"], i["w"], i["b"], o["mean"], o["rstd"], rows, cols)
            return o
        return fn

    def reference(i):
        x = i["x"].double()
        mean = x.mean(dim=1)
        rstd = 1 / torch.sqrt(x.var(dim=1, unbiased=False) + eps)
        y = (x - mean[:, None]) * rstd[:, None] * i["w"].double() + i["b"].double()
        return dict(y=y.half(), mean=mean.float(), rstd=rstd.float())

    def torch_layernorm(i, o):
        return dict(y=torch.nn.functional.layer_norm(i["x"], (cols,), i["w"], i["b"], eps))

    return Case("layernorm", "layernorm fwd fp16", f"{rows}x{cols}", "GB/s",
                metrics.layernorm_bytes(rows, cols), make_inputs, make_outputs, reference,
                TOLERANCE["layernorm"],
                dict(torch=torch_layernorm, triton=launch(tk), kite=launch(kk)))


def matmul_case(torch, kk, tk, m: int, n: int, k: int) -> Case:
    def make_inputs():
        # B scaled by 1/sqrt(K): the entries of C are about N(0, 1) at every K.
        return dict(a=torch.randn(m, k, device=DEVICE).half(),
                    b=(torch.randn(k, n, device=DEVICE) / math.sqrt(k)).half())

    def launch(kernels):
        def fn(i, o):
            launchers.matmul(kernels, i["a"], i["b"], o["c"], m, n, k)
            return o
        return fn

    def reference(i):
        return dict(c=fp32_matmul(torch, i["a"], i["b"]).half())

    return Case("matmul", "matmul fp16 (fp32 acc)", f"{m}x{n}x{k}", "TFLOP/s",
                metrics.matmul_flops(m, n, k), make_inputs,
                lambda i: dict(c=_nan(torch, (m, n), torch.float16)), reference,
                TOLERANCE["matmul"],
                dict(torch=lambda i, o: dict(c=torch.matmul(i["a"], i["b"])),
                     triton=launch(tk), kite=launch(kk)))


def all_cases(torch, kite_kernels, triton_kernels, groups=GROUPS) -> list:
    """The cases of the issue's table, in order, restricted to ``groups``
    (launch overhead is measured apart: harness.launch_overhead)."""
    kk, tk = kite_kernels, triton_kernels
    cases = [vector_add_case(torch, kk, tk, log2_n) for log2_n in VECTOR_ADD_LOG2]
    cases += [softmax_case(torch, kk, tk, *shape) for shape in SOFTMAX_SHAPES]
    cases += [layernorm_case(torch, kk, tk, *shape) for shape in LAYERNORM_SHAPES]
    cases += [matmul_case(torch, kk, tk, *shape) for shape in MATMUL_SHAPES]
    if "hopper" in groups:  # the wgmma issue's shapes (gpu/hopper.py)
        from . import hopper
        cases += hopper.cases(torch, kk, tk)
    return [c for c in cases if c.group in groups]


def parse_only(text: str) -> tuple:
    """``--only softmax,matmul`` as a tuple of groups; ValueError naming the
    unknown ones."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in GROUPS]
    if unknown or not names:
        raise ValueError(f"unknown group(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(GROUPS)}")
    return names
