"""Numerics of every kite.language op against numpy, through the interpreter.

Each op gets a parametrized test; integer results are compared exactly, float
results with a tolerance suited to their dtype (see conftest.TOL)."""
import inspect
import math
import os

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, assert_close, run, vulkan_device

INT_DTYPES = [np.int32, np.int64, np.uint32]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
ALL_DTYPES = INT_DTYPES + FLOAT_DTYPES
KL_OF = {np.dtype(np.int8): kl.int8, np.dtype(np.int16): kl.int16, np.dtype(np.int32): kl.int32,
         np.dtype(np.int64): kl.int64, np.dtype(np.uint8): kl.uint8, np.dtype(np.uint32): kl.uint32,
         np.dtype(np.float16): kl.float16, np.dtype(np.float32): kl.float32,
         np.dtype(np.float64): kl.float64, np.dtype(np.bool_): kl.int1}


def _ids(dtypes):
    return [np.dtype(d).name for d in dtypes]


def _line_of(kernel, marker):
    """The line number, in this file, of the line of ``kernel`` containing ``marker``."""
    lines, start = inspect.getsourcelines(kernel.fn)
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


def _same_file(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


# ------------------------------------------------------------------ helpers used in kernels

@kite.func
def load_block(ptr, shape):
    """Loads a contiguous row-major block of ``shape`` (rank 1 to 3) at ``ptr``."""
    if len(shape) == 1:
        return kl.load(ptr + kl.arange(0, shape[0]))
    elif len(shape) == 2:
        rows = kl.arange(0, shape[0])[:, None]
        cols = kl.arange(0, shape[1])[None, :]
        return kl.load(ptr + rows * shape[1] + cols)
    else:
        i = kl.arange(0, shape[0])[:, None, None]
        j = kl.arange(0, shape[1])[None, :, None]
        k = kl.arange(0, shape[2])[None, None, :]
        return kl.load(ptr + (i * shape[1] + j) * shape[2] + k)


@kite.func
def store_block(ptr, value):
    """Stores ``value`` (a scalar or a block of rank 1 to 3) contiguously at ``ptr``."""
    shape = value.shape
    if len(shape) == 0:
        kl.store(ptr, value)
    elif len(shape) == 1:
        kl.store(ptr + kl.arange(0, shape[0]), value)
    elif len(shape) == 2:
        rows = kl.arange(0, shape[0])[:, None]
        cols = kl.arange(0, shape[1])[None, :]
        kl.store(ptr + rows * shape[1] + cols, value)
    else:
        i = kl.arange(0, shape[0])[:, None, None]
        j = kl.arange(0, shape[1])[None, :, None]
        k = kl.arange(0, shape[2])[None, None, :]
        kl.store(ptr + (i * shape[1] + j) * shape[2] + k, value)


# ------------------------------------------------------------------ program ids, arange, full

@kite.kernel
def pid_kernel(out_ptr):
    p0 = kl.program_id(0)
    p1 = kl.program_id(axis=1)
    p2 = kl.program_id(2)
    n0 = kl.num_programs(0)
    n1 = kl.num_programs(axis=1)
    n2 = kl.num_programs(2)
    lin = (p2 * n1 + p1) * n0 + p0
    i = kl.arange(0, 8)
    vals = kl.where(i == 0, p0, kl.where(i == 1, p1, kl.where(i == 2, p2, kl.where(
        i == 3, n0, kl.where(i == 4, n1, n2)))))
    kl.store(out_ptr + lin * 6 + i, vals, mask=i < 6)


@pytest.mark.parametrize("as_function", [False, True], ids=["tuple", "lambda"])
@pytest.mark.parametrize("grid", [(5,), (3, 4), (2, 3, 4)], ids=["1d", "2d", "3d"])
def test_program_id_and_num_programs(grid, as_function):
    sizes = tuple(grid) + (1,) * (3 - len(grid))
    total = int(np.prod(sizes))
    out = run(pid_kernel, (lambda meta: grid) if as_function else grid,
              np.full((total, 6), -1, np.int32))
    expected = np.array([[x, y, z, *sizes] for z in range(sizes[2]) for y in range(sizes[1])
                         for x in range(sizes[0])], np.int32)
    assert_close(out, expected)


@kite.kernel
def arange_kernel(out_ptr, START: kl.constexpr, END: kl.constexpr):
    r = kl.arange(START, END)
    kl.static_assert(r.dtype == kl.int32)
    kl.static_assert(r.shape == [END - START])
    kl.store(out_ptr + kl.arange(0, END - START), r)


@pytest.mark.parametrize("start,end", [(0, 1), (0, 16), (8, 16), (32, 64), (5, 9)])
def test_arange(start, end):
    out = run(arange_kernel, (1,), np.full(end - start, -1, np.int32), START=start, END=end)
    assert_close(out, np.arange(start, end, dtype=np.int32))


@kite.kernel
def full_kernel(out_ptr, value, KIND: kl.constexpr, DTYPE: kl.constexpr):
    if KIND == "zeros":
        x = kl.zeros((4, 8), DTYPE)
    elif KIND == "zeros_list_shape":
        x = kl.zeros([4, 8], dtype=DTYPE)
    elif KIND == "full":
        x = kl.full((4, 8), 3, DTYPE)
    elif KIND == "full_runtime_value":
        x = kl.full([4, 8], value, DTYPE)
    elif KIND == "zeros_like":
        x = kl.zeros_like(kl.full((4, 8), 7, DTYPE))
    else:
        x = kl.full_like(kl.zeros((4, 8), DTYPE), 5)
    kl.static_assert(x.dtype == DTYPE)
    kl.static_assert(x.shape == [4, 8])
    store_block(out_ptr, x)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint32, np.float16, np.float32, np.float64],
                         ids=_ids([np.int8, np.int32, np.uint32, np.float16, np.float32, np.float64]))
@pytest.mark.parametrize("kind,fill", [("zeros", 0), ("zeros_list_shape", 0), ("full", 3),
                                       ("full_runtime_value", None), ("zeros_like", 0),
                                       ("full_like", 5)])
def test_zeros_and_full(kind, fill, dtype):
    dtype = np.dtype(dtype)
    value = 2.5 if dtype.kind == "f" else (9 if dtype.kind == "u" else -7)
    if fill is None:
        fill = value
    out = run(full_kernel, (1,), np.full((4, 8), 1, dtype), value, KIND=kind, DTYPE=KL_OF[dtype])
    assert_close(out, np.full((4, 8), fill, dtype))


# ------------------------------------------------------------------ load / store

@kite.kernel
def masked_copy_kernel(x_ptr, out_ptr, n_load, n_store, OTHER: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    if OTHER == "scalar":
        x = kl.load(x_ptr + offs, mask=offs < n_load, other=-1.5)
    else:
        x = kl.load(x_ptr + offs, mask=offs < n_load, other=offs.to(kl.float32) * 10.0)
    kl.store(out_ptr + offs, x, mask=offs < n_store)


@pytest.mark.parametrize("other", ["scalar", "block"])
def test_load_store_mask_and_other(other):
    x = np.random.default_rng(0).standard_normal(10).astype(np.float32)
    out = run(masked_copy_kernel, (1,), x, np.full(16, 100.0, np.float32), 10, 13,
              OTHER=other, BLOCK=16)[1]
    fill = np.full(3, -1.5, np.float32) if other == "scalar" else np.arange(10, 13) * 10.0
    expected = np.concatenate([x, fill, np.full(3, 100.0)]).astype(np.float32)
    assert_close(out, expected)


@kite.kernel
def masked_2d_copy_kernel(x_ptr, out_ptr, M, N, stride, BM: kl.constexpr, BN: kl.constexpr):
    rows = kl.arange(0, BM)
    cols = kl.arange(0, BN)
    mask = (rows[:, None] < M) & (cols[None, :] < N)
    x = kl.load(x_ptr + rows[:, None] * stride + cols[None, :], mask=mask, other=0)
    kl.store(out_ptr + rows[:, None] * BN + cols[None, :], x + 1)


def test_load_2d_mask_and_stride():
    x = np.arange(5 * 9, dtype=np.int32).reshape(5, 9)
    out = run(masked_2d_copy_kernel, (1,), x, np.full((8, 8), -5, np.int32), 5, 7, 9, BM=8, BN=8)[1]
    expected = np.zeros((8, 8), np.int32)
    expected[:5, :7] = x[:5, :7]
    assert_close(out, expected + 1)


@kite.kernel
def scalar_load_store_kernel(x_ptr, out_ptr):
    pid = kl.program_id(0)
    s = kl.load(x_ptr + pid)
    kl.static_assert(s.shape == [])
    kl.store(out_ptr + pid, s * 2 + 1)


def test_scalar_load_store():
    x = np.arange(-3, 4, dtype=np.int64) * (2 ** 35)
    out = run(scalar_load_store_kernel, (7,), x, np.zeros(7, np.int64))[1]
    assert_close(out, x * 2 + 1)


@kite.kernel
def masked_tail_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) * 3, mask=mask)


def test_loads_beyond_the_array_masked_off_do_not_raise():
    # Program 1 computes offsets 16..31 of a 20-element array and 2 of 32..47:
    # all the out-of-range ones are masked.
    x = np.arange(20, dtype=np.int32)
    out = run(masked_tail_kernel, (3,), x, np.zeros(20, np.int32), 20, BLOCK=16)[1]
    assert_close(out, x * 3)


# ------------------------------------------------------------------ binary operators

def _c_div(a, b):
    """Integer division truncating toward zero (C), computed with Python ints."""
    a, b = np.broadcast_arrays(a, b)
    q = [(abs(x) // abs(y)) * (1 if (x < 0) == (y < 0) else -1)
         for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
    return np.array(q, dtype=object).reshape(a.shape)


def _c_mod(a, b):
    """Remainder whose sign follows the dividend (C), computed with Python ints."""
    a_, b_ = np.broadcast_arrays(a, b)
    q = _c_div(a, b)
    return np.array([x - y * z for x, y, z in zip(a_.ravel().tolist(), b_.ravel().tolist(),
                                                    q.ravel().tolist())], dtype=object).reshape(a_.shape)


def _wrap(values, dtype):
    """Python ints to ``dtype`` with two's complement wrap-around."""
    bits = np.dtype(dtype).itemsize * 8
    mask = (1 << bits) - 1
    out = [(int(v) & mask) for v in np.ravel(values).tolist()]
    if np.dtype(dtype).kind == "i":
        out = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in out]
    return np.array(out, dtype=dtype).reshape(np.shape(values))


def _operands(dtype, op, n, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    half = n // 2
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        small_lo = 0 if dtype.kind == "u" else -20
        big_lo, big_hi = (int(info.min) + 1, int(info.max))
        if dtype == np.int64:
            big_lo, big_hi = -(2 ** 62), 2 ** 62
        x = np.concatenate([rng.integers(small_lo, 20, half), rng.integers(big_lo, big_hi, n - half)])
        y = np.concatenate([rng.integers(small_lo, 20, half), rng.integers(big_lo, big_hi, n - half)])
        x, y = x.astype(dtype), y.astype(dtype)
        if dtype.kind == "i":
            # C semantics of // and % show on operands of mixed signs.
            x[:8] = [-7, 7, -7, 7, -1, 0, -6, 5]
            y[:8] = [2, -2, -2, 2, 5, -3, 3, -5]
        if op in ("/", "//", "%"):
            y[y == 0] = 3
        if op in ("<<", ">>"):
            y = rng.integers(0, dtype.itemsize * 8, n).astype(dtype)
    else:
        x = rng.uniform(-10, 10, n).astype(dtype)
        y = rng.uniform(-10, 10, n).astype(dtype)
        if op in ("/", "%"):
            y = (np.sign(y) * np.maximum(np.abs(y), 0.5)).astype(dtype)
            x[:4] = [-7.5, 7.5, -7.5, 7.5]
            y[:4] = [2, -2, -2, 2]
    if op in ("<", "<=", ">", ">=", "==", "!="):
        y[::3] = x[::3]
    return x, y


_BINOPS = ["+", "-", "*", "/", "//", "%", "&", "|", "^", "<<", ">>",
           "<", "<=", ">", ">=", "==", "!="]


@kite.kernel
def binop_kernel(x_ptr, y_ptr, out_ptr, n, OP: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    if OP == "+":
        z = x + y
    elif OP == "-":
        z = x - y
    elif OP == "*":
        z = x * y
    elif OP == "/":
        z = x / y
    elif OP == "//":
        z = x // y
    elif OP == "%":
        z = x % y
    elif OP == "&":
        z = x & y
    elif OP == "|":
        z = x | y
    elif OP == "^":
        z = x ^ y
    elif OP == "<<":
        z = x << y
    elif OP == ">>":
        z = x >> y
    elif OP == "<":
        z = x < y
    elif OP == "<=":
        z = x <= y
    elif OP == ">":
        z = x > y
    elif OP == ">=":
        z = x >= y
    elif OP == "==":
        z = x == y
    else:
        z = x != y
    kl.store(out_ptr + offs, z, mask=mask)


def _binop_reference(op, x, y):
    """numpy reference and its dtype, with Triton's result types."""
    dtype = x.dtype
    is_int = dtype.kind in "iu"
    if op in ("<", "<=", ">", ">=", "==", "!="):
        fn = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
              "==": np.equal, "!=": np.not_equal}[op]
        return fn(x, y)
    if op == "/":
        if is_int:
            return x.astype(np.float32) / y.astype(np.float32)
        if dtype == np.float16:  # fp16 division is done in fp32 (Triton)
            return x.astype(np.float32) / y.astype(np.float32)
        return x / y
    if op == "//":
        return _wrap(_c_div(x.astype(object), y.astype(object)), dtype)
    if op == "%":
        if is_int:
            return _wrap(_c_mod(x.astype(object), y.astype(object)), dtype)
        return np.fmod(x.astype(np.float64), y.astype(np.float64)).astype(
            np.float32 if dtype == np.float16 else dtype)
    fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "&": np.bitwise_and,
          "|": np.bitwise_or, "^": np.bitwise_xor, "<<": np.left_shift, ">>": np.right_shift}[op]
    return fn(x, y)


_BINOP_CASES = [(op, d) for op in _BINOPS for d in ALL_DTYPES
                if not (np.dtype(d).kind == "f" and op in ("//", "&", "|", "^", "<<", ">>"))]


@pytest.mark.parametrize("op,dtype", _BINOP_CASES,
                         ids=[f"{op}-{np.dtype(d).name}" for op, d in _BINOP_CASES])
def test_binary_operator(op, dtype):
    n = 100
    x, y = _operands(dtype, op, n, seed=len(op) * 7 + np.dtype(dtype).itemsize)
    expected = _binop_reference(op, x, y)
    out = np.zeros(n, expected.dtype if expected.dtype != np.bool_ else np.int8)
    out = run(binop_kernel, (1,), x, y, out, n, OP=op, BLOCK=128)[2]
    assert_close(out, expected.astype(out.dtype))


@pytest.mark.parametrize("op", ["//", "&", "|", "^", "<<", ">>"])
def test_integer_only_operators_reject_floats(op):
    with pytest.raises(kite.CompilationError, match="integer"):
        run(binop_kernel, (1,), np.ones(4, np.float32), np.ones(4, np.float32),
            np.zeros(4, np.float32), 4, OP=op, BLOCK=4)


@kite.kernel
def scalar_operand_kernel(x_ptr, out_ptr, n, OP: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    if OP == "x//3":
        z = x // 3
    elif OP == "x//-3":
        z = x // -3
    elif OP == "x%3":
        z = x % 3
    elif OP == "x%-3":
        z = x % -3
    elif OP == "-7//x":
        z = -7 // x
    elif OP == "-7%x":
        z = -7 % x
    elif OP == "1-x":
        z = 1 - x
    elif OP == "x*2":
        z = x * 2
    else:
        z = 100 >> (x & 3)
    kl.static_assert(z.dtype == kl.int32)
    kl.store(out_ptr + offs, z, mask=mask)


@pytest.mark.parametrize("op", ["x//3", "x//-3", "x%3", "x%-3", "-7//x", "-7%x", "1-x", "x*2",
                                "100>>(x&3)"])
def test_operators_with_python_int_operands(op):
    x = np.array([v for v in range(-9, 10) if v != 0], np.int32)
    ox = x.astype(object)
    expected = {"x//3": _c_div(ox, 3), "x//-3": _c_div(ox, -3), "x%3": _c_mod(ox, 3),
                "x%-3": _c_mod(ox, -3), "-7//x": _c_div(-7, ox), "-7%x": _c_mod(-7, ox),
                "1-x": 1 - ox, "x*2": ox * 2, "100>>(x&3)": 100 >> (x & 3)}[op]
    out = run(scalar_operand_kernel, (1,), x, np.zeros(len(x), np.int32), len(x), OP=op, BLOCK=32)[1]
    assert_close(out, np.asarray(expected).astype(np.int32))


@kite.kernel
def unary_kernel(x_ptr, out_ptr, n, OP: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    if OP == "neg":
        y = -x
    elif OP == "pos":
        y = +x
    elif OP == "invert":
        y = ~x
    else:
        y = kl.abs(x)
    kl.static_assert(y.dtype == x.dtype)
    kl.store(out_ptr + offs, y, mask=mask)


_UNARY_CASES = ([("neg", d) for d in ALL_DTYPES] + [("pos", np.float32)]
                + [("invert", d) for d in INT_DTYPES + [np.int8]]
                + [("abs", d) for d in [np.int32, np.int64] + FLOAT_DTYPES])


@pytest.mark.parametrize("op,dtype", _UNARY_CASES,
                         ids=[f"{op}-{np.dtype(d).name}" for op, d in _UNARY_CASES])
def test_unary_operator(op, dtype):
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(3)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(int(info.min), int(info.max), 50, endpoint=True).astype(dtype)
        x[:3] = [info.min, info.max, 0]
    else:
        x = rng.uniform(-100, 100, 50).astype(dtype)
        x[:2] = [0.0, -0.0]
    ref = {"neg": np.negative, "pos": np.positive, "invert": np.invert, "abs": np.abs}[op]
    out = run(unary_kernel, (1,), x, np.zeros_like(x), len(x), OP=op, BLOCK=64)[1]
    assert_close(out, ref(x))
    if op == "neg" and dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(out), np.signbit(-x))


# ------------------------------------------------------------------ type promotion

@kite.kernel
def promote_kernel(x_ptr, y_ptr, out_ptr, CASE: kl.constexpr, EXPECTED: kl.constexpr,
                   BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    y = kl.load(y_ptr + offs)
    if CASE == "x+y":
        z = x + y
    elif CASE == "x*y":
        z = x * y
    elif CASE == "x/y":
        z = x / y
    elif CASE == "1.5*x":
        z = 1.5 * x
    elif CASE == "x+3":
        z = x + 3
    elif CASE == "x*2.0":
        z = x * 2.0
    else:
        z = x / 2.0
    kl.static_assert(z.dtype == EXPECTED, "unexpected result dtype")
    kl.store(out_ptr + offs, z)


_PROMOTIONS = [
    # (case, x dtype, y dtype, expected kite dtype, numpy reference)
    ("x+y", np.int32, np.float16, kl.float16, lambda x, y: x.astype(np.float16) + y),
    ("x+y", np.int8, np.int32, kl.int32, lambda x, y: x.astype(np.int32) + y),
    ("x+y", np.int16, np.int64, kl.int64, lambda x, y: x.astype(np.int64) + y),
    ("x+y", np.uint32, np.int32, kl.uint32, lambda x, y: x + y.astype(np.uint32)),
    ("x+y", np.uint8, np.int32, kl.int32, lambda x, y: x.astype(np.int32) + y),
    ("x+y", np.float16, np.float32, kl.float32, lambda x, y: x.astype(np.float32) + y),
    ("x*y", np.float32, np.float64, kl.float64, lambda x, y: x.astype(np.float64) * y),
    ("x*y", np.int64, np.float32, kl.float32, lambda x, y: x.astype(np.float32) * y),
    ("x/y", np.int32, np.int32, kl.float32, lambda x, y: x.astype(np.float32) / y.astype(np.float32)),
    ("x/y", np.float16, np.float16, kl.float32,
     lambda x, y: x.astype(np.float32) / y.astype(np.float32)),
    ("1.5*x", np.int32, np.int32, kl.float32, lambda x, y: np.float32(1.5) * x.astype(np.float32)),
    ("1.5*x", np.float16, np.float16, kl.float16, lambda x, y: np.float16(1.5) * x),
    ("x+3", np.int8, np.int8, kl.int8, lambda x, y: x + np.int8(3)),
    ("x+3", np.uint32, np.uint32, kl.uint32, lambda x, y: x + np.uint32(3)),
    ("x+3", np.int64, np.int64, kl.int64, lambda x, y: x + 3),
    ("x+3", np.float16, np.float16, kl.float16, lambda x, y: x + np.float16(3)),
    ("x*2.0", np.float64, np.float64, kl.float64, lambda x, y: x * 2.0),
    ("x/2.0", np.float16, np.float16, kl.float32, lambda x, y: x.astype(np.float32) / 2),
]


@pytest.mark.parametrize("case,xd,yd,expected,ref", _PROMOTIONS,
                         ids=[f"{c}-{np.dtype(x).name}-{np.dtype(y).name}"
                              for c, x, y, _, _ in _PROMOTIONS])
def test_type_promotion(case, xd, yd, expected, ref):
    rng = np.random.default_rng(5)
    x = rng.integers(1, 50, 16).astype(xd)
    y = rng.integers(1, 50, 16).astype(yd)
    want = ref(x, y)
    assert want.dtype == expected.np_dtype
    out = run(promote_kernel, (1,), x, y, np.zeros(16, want.dtype), CASE=case, EXPECTED=expected,
              BLOCK=16)[2]
    assert_close(out, want)


def test_fp16_with_bf16_promotes_to_fp16():
    # Triton's rule: "if one operand is half, the other is converted to half".
    x = np.array([1.5, -2.25, 3.0, 0.125], np.float16)
    y = np.array([0.5, 1.0, -4.0, 8.0], np.float32)
    xd = kite.from_numpy(x, device=DEVICE)
    yd = kite.from_numpy(y, device=DEVICE, dtype=kl.bfloat16)
    out = kite.zeros(4, kl.float16, device=DEVICE)
    promote_kernel[(1,)](xd, yd, out, CASE="x+y", EXPECTED=kl.float16, BLOCK=4)
    assert_close(out.numpy(), x + y.astype(np.float16))


# ------------------------------------------------------------------ select, min/max, math

@kite.kernel
def select_kernel(x_ptr, y_ptr, out_ptr, n, OP: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    if OP == "where":
        z = kl.where(x > y, x, y + y)
    elif OP == "where_scalar":
        z = kl.where(x < y, x, 3)
    elif OP == "where_int_condition":
        z = kl.where(offs % 3, x, y)
    elif OP == "maximum":
        z = kl.maximum(x, y)
    elif OP == "minimum":
        z = kl.minimum(x, y)
    else:
        z = kl.clamp(x, y, y + y)
    kl.store(out_ptr + offs, z, mask=mask)


_SELECT_REFS = {
    "where": lambda x, y, i: np.where(x > y, x, y + y),
    "where_scalar": lambda x, y, i: np.where(x < y, x, 3).astype(x.dtype),
    "where_int_condition": lambda x, y, i: np.where(i % 3 != 0, x, y),
    "maximum": lambda x, y, i: np.fmax(x, y),
    "minimum": lambda x, y, i: np.fmin(x, y),
    "clamp": lambda x, y, i: np.minimum(np.maximum(x, y), y + y),
}


_SELECT_CASES = [(op, d) for op in _SELECT_REFS for d in ALL_DTYPES
                 if op != "clamp" or np.dtype(d).kind == "f"]  # kl.clamp is for floats


@pytest.mark.parametrize("op,dtype", _SELECT_CASES,
                         ids=[f"{op}-{np.dtype(d).name}" for op, d in _SELECT_CASES])
def test_where_maximum_minimum(op, dtype):
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(11)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        hi = min(int(info.max), 2 ** 40)
        lo = 0 if dtype.kind == "u" else -hi
        x = rng.integers(lo, hi, 60).astype(dtype)
        y = rng.integers(lo, hi, 60).astype(dtype)
    else:
        x = rng.uniform(-10, 10, 60).astype(dtype)
        y = rng.uniform(-10, 10, 60).astype(dtype)
        if op == "clamp":
            y = np.abs(y)
    y[::4] = x[::4]
    expected = _SELECT_REFS[op](x, y, np.arange(60))
    out = run(select_kernel, (1,), x, y, np.zeros(60, dtype), 60, OP=op, BLOCK=64)[2]
    assert_close(out, expected.astype(dtype))


def test_maximum_minimum_ignore_nan():
    # kl.maximum/minimum default to propagate_nan=NONE: a NaN operand yields the other one.
    x = np.array([np.nan, 1.0, np.nan, -2.0], np.float32)
    y = np.array([3.0, np.nan, np.nan, 5.0], np.float32)
    mx = run(select_kernel, (1,), x, y, np.zeros(4, np.float32), 4, OP="maximum", BLOCK=4)[2]
    mn = run(select_kernel, (1,), x, y, np.zeros(4, np.float32), 4, OP="minimum", BLOCK=4)[2]
    np.testing.assert_array_equal(mx, np.fmax(x, y))
    np.testing.assert_array_equal(mn, np.fmin(x, y))


@kite.kernel
def math_kernel(x_ptr, out_ptr, n, FN: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask, other=1.0)
    kl.store(out_ptr + offs, FN(x), mask=mask)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_MATH = {
    "exp": (kl.exp, np.exp, (-5, 5)),
    "exp2": (kl.exp2, np.exp2, (-5, 5)),
    "log": (kl.log, np.log, (0.01, 100)),
    "log2": (kl.log2, np.log2, (0.01, 100)),
    "sqrt": (kl.sqrt, np.sqrt, (0, 100)),
    "rsqrt": (kl.rsqrt, lambda v: 1 / np.sqrt(v), (0.01, 100)),
    "abs": (kl.abs, np.abs, (-10, 10)),
    "sin": (kl.sin, np.sin, (-6, 6)),
    "cos": (kl.cos, np.cos, (-6, 6)),
    "erf": (kl.erf, _erf, (-3, 3)),
    "floor": (kl.floor, np.floor, (-10, 10)),
    "ceil": (kl.ceil, np.ceil, (-10, 10)),
    "sigmoid": (kl.sigmoid, lambda v: 1 / (1 + np.exp(-v)), (-10, 10)),
}


# Functions a Vulkan device has no float64 version of (the Vulkan tier
# checks the CompilationError instead).
_NO_F64_ON_VULKAN = {"exp", "exp2", "log", "log2", "sin", "cos", "erf", "sigmoid"}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=_ids(FLOAT_DTYPES))
@pytest.mark.parametrize("name", list(_MATH))
def test_math(name, dtype):
    fn, ref, (lo, hi) = _MATH[name]
    x = np.random.default_rng(2).uniform(lo, hi, 100).astype(dtype)
    if name in ("floor", "ceil"):
        x[:6] = [-2.0, -1.5, -0.5, 0.0, 0.5, 2.0]
    if DEVICE.startswith("vulkan") and dtype == np.float64 and name in _NO_F64_ON_VULKAN:
        # GLSL.std.450 has exp/log/sin/cos for 16- and 32-bit floats only.
        with pytest.raises(kite.CompilationError, match="on f64 is not supported on Vulkan") as info:
            run(math_kernel, (1,), x, np.zeros_like(x), len(x), FN=fn, BLOCK=128)
        assert info.value.lineno == _line_of(math_kernel, "FN(x)")
        return
    out = run(math_kernel, (1,), x, np.zeros_like(x), len(x), FN=fn, BLOCK=128)[1]
    assert_close(out, ref(x.astype(np.float64)).astype(dtype))


def test_math_rejects_integers():
    with pytest.raises(kite.CompilationError, match="floating-point"):
        run(math_kernel, (1,), np.ones(4, np.int32), np.zeros(4, np.int32), 4, FN=kl.exp, BLOCK=4)


@kite.kernel
def fma_kernel(x_ptr, y_ptr, z_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    z = kl.load(z_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, kl.fma(x, y, z), mask=mask)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=_ids(FLOAT_DTYPES))
def test_fma(dtype):
    rng = np.random.default_rng(4)
    x, y, z = (rng.uniform(-4, 4, 50).astype(dtype) for _ in range(3))
    out = run(fma_kernel, (1,), x, y, z, np.zeros_like(x), 50, BLOCK=64)[3]
    expected = x.astype(np.float64) * y + z
    assert_close(out, expected.astype(dtype))


@pytest.mark.parametrize("dtype,mant", [(np.float16, 10), (np.float32, 23)], ids=["float16", "float32"])
def test_fma_rounds_once(dtype, mant):
    # (1 + e)^2 - (1 + 2e) = e^2 exactly; a multiply rounded before the add gives 0.
    e = 2.0 ** -mant
    x = np.array([1 + e, 1 + e], dtype)
    z = np.array([-(1 + 2 * e), -1.0], dtype)
    out = run(fma_kernel, (1,), x, x, z, np.zeros(2, dtype), 2, BLOCK=2)[3]
    np.testing.assert_array_equal(out, np.array([e * e, 2 * e + e * e]).astype(dtype))


# ------------------------------------------------------------------ shapes

@kite.kernel
def shape_kernel(a_ptr, b_ptr, out_ptr, OP: kl.constexpr):
    a = kl.load(a_ptr + kl.arange(0, 4))  # shape [4]
    b = kl.load(b_ptr + kl.arange(0, 8))  # shape [8]
    if OP == "none_indexing":
        y = a[:, None] * 100 + b[None, :]
    elif OP == "expand_dims":
        y = kl.expand_dims(a, 1) * 100 + kl.expand_dims(b, 0)
    elif OP == "expand_dims_negative_axis":
        y = kl.expand_dims(a, -1) * 100 + kl.expand_dims(b, -2)
    elif OP == "broadcast_to":
        y = kl.broadcast_to(a[:, None], (4, 8)) * 100 + kl.broadcast_to(b, [4, 8])
    elif OP == "broadcast_to_scalar":
        y = kl.broadcast_to(kl.sum(a, axis=0), (4, 8)) * 100 + kl.broadcast_to(b[None, :], 4, 8)
    elif OP == "broadcast":
        p, q = kl.broadcast(a[:, None], b[None, :])
        kl.static_assert(p.shape == [4, 8] and q.shape == [4, 8])
        y = p * 100 + q
    elif OP == "expand_dims_tuple":
        y = kl.reshape(kl.expand_dims(a, (0, 2)) * 100 + b[None, None, :], (4, 8))
    else:
        y = a[None, :] * 100 + b[:, None]  # [8, 4]
    store_block(out_ptr, y)


@pytest.mark.parametrize("op", ["none_indexing", "expand_dims", "expand_dims_negative_axis",
                                "broadcast_to", "broadcast_to_scalar", "broadcast",
                                "expand_dims_tuple", "transposed_outer"])
def test_broadcasting_and_new_axes(op):
    a = np.arange(1, 5, dtype=np.int32)
    b = np.arange(10, 18, dtype=np.int32)
    if op == "transposed_outer":
        expected = a[None, :] * 100 + b[:, None]
    elif op == "broadcast_to_scalar":
        expected = np.broadcast_to(a.sum() * 100 + b[None, :], (4, 8))
    else:
        expected = a[:, None] * 100 + b[None, :]
    out = run(shape_kernel, (1,), a, b, np.zeros(expected.shape, np.int32), OP=op)[2]
    assert_close(out, expected)


@kite.kernel
def reshape_kernel(x_ptr, out_ptr, IN_SHAPE: kl.constexpr, OP: kl.constexpr, ARG: kl.constexpr):
    x = load_block(x_ptr, IN_SHAPE)
    if OP == "reshape":
        y = kl.reshape(x, ARG)
    elif OP == "reshape_varargs":
        y = kl.reshape(x, *ARG)
    elif OP == "view":
        y = kl.view(x, ARG)
    elif OP == "method_reshape":
        y = x.reshape(ARG)
    elif OP == "ravel":
        y = kl.ravel(x)
    elif OP == "trans":
        y = kl.trans(x)
    elif OP == "T":
        y = x.T
    elif OP == "trans_dims":
        y = kl.trans(x, *ARG)
    elif OP == "permute":
        y = kl.permute(x, ARG)
    else:
        y = kl.permute(x, *ARG)
    store_block(out_ptr, y)


_RESHAPES = [
    ("reshape", (32,), (4, 8), lambda x: x.reshape(4, 8)),
    ("reshape", (4, 8), (2, 4, 4), lambda x: x.reshape(2, 4, 4)),
    ("reshape_varargs", (4, 8), (8, 4), lambda x: x.reshape(8, 4)),
    ("view", (2, 4, 4), (32,), lambda x: x.reshape(32)),
    ("method_reshape", (4, 8), (16, 2), lambda x: x.reshape(16, 2)),
    ("ravel", (4, 8), None, lambda x: x.ravel()),
    ("trans", (4, 8), None, lambda x: x.T),
    ("T", (8, 2), None, lambda x: x.T),
    ("trans_dims", (2, 4, 8), (1, 2, 0), lambda x: x.transpose(1, 2, 0)),
    ("permute", (2, 4, 8), (2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("permute_varargs", (2, 4, 8), (0, 2, 1), lambda x: x.transpose(0, 2, 1)),
    ("permute", (4, 8), (1, 0), lambda x: x.T),
]


@pytest.mark.parametrize("op,in_shape,arg,ref", _RESHAPES,
                         ids=[f"{op}-{'x'.join(map(str, s))}" for op, s, _, _ in _RESHAPES])
def test_reshape_trans_permute(op, in_shape, arg, ref):
    x = np.arange(int(np.prod(in_shape)), dtype=np.float32).reshape(in_shape) * 1.5 - 7
    expected = np.ascontiguousarray(ref(x))
    out = run(reshape_kernel, (1,), x, np.zeros(expected.shape, np.float32), IN_SHAPE=in_shape,
              OP=op, ARG=arg)[1]
    assert_close(out, expected)


# ------------------------------------------------------------------ reductions

@kite.kernel
def reduce_kernel(x_ptr, out_ptr, SHAPE: kl.constexpr, OP: kl.constexpr, AXIS: kl.constexpr,
                  KEEP: kl.constexpr, OUT_SHAPE: kl.constexpr):
    x = load_block(x_ptr, SHAPE)
    if OP == "sum":
        y = kl.sum(x, axis=AXIS, keep_dims=KEEP)
    elif OP == "max":
        y = kl.max(x, axis=AXIS, keep_dims=KEEP)
    elif OP == "min":
        y = kl.min(x, AXIS, keep_dims=KEEP)
    elif OP == "method_sum":
        y = x.sum(axis=AXIS, keep_dims=KEEP)
    else:
        y = kl.xor_sum(x, axis=AXIS, keep_dims=KEEP)
    kl.static_assert(y.shape == list(OUT_SHAPE), "unexpected result shape")
    store_block(out_ptr, y)


_REDUCE_REFS = {"sum": np.sum, "max": np.max, "min": np.min, "method_sum": np.sum,
                "xor_sum": np.bitwise_xor.reduce}


REDUCE_DTYPES = [np.int32, np.float32, np.float64]


@pytest.mark.parametrize("keep", [False, True], ids=["drop", "keep_dims"])
@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("dtype", REDUCE_DTYPES, ids=_ids(REDUCE_DTYPES))
@pytest.mark.parametrize("op", ["sum", "max", "min", "method_sum"])
def test_reduce_sum_max_min(op, dtype, axis, keep):
    rng = np.random.default_rng(6)
    shape = (8, 16)
    x = (rng.integers(-1000, 1000, shape) if np.dtype(dtype).kind == "i"
         else rng.uniform(-10, 10, shape)).astype(dtype)
    ref = _REDUCE_REFS[op]
    expected = np.asarray(ref(x, axis=axis, keepdims=keep)).astype(dtype)
    out = np.zeros(expected.shape if expected.shape else (1,), dtype)
    out = run(reduce_kernel, (1,), x, out, SHAPE=shape, OP=op, AXIS=axis, KEEP=keep,
              OUT_SHAPE=expected.shape)[1]
    assert_close(out.reshape(expected.shape), expected)


@pytest.mark.parametrize("axis", [0, 1, None])
def test_xor_sum(axis):
    x = np.random.default_rng(7).integers(0, 2 ** 31, (4, 8)).astype(np.int32)
    expected = np.bitwise_xor.reduce(x, axis=axis) if axis is not None else \
        np.bitwise_xor.reduce(x.ravel())
    expected = np.asarray(expected)
    out = run(reduce_kernel, (1,), x, np.zeros(expected.shape or (1,), np.int32), SHAPE=(4, 8),
              OP="xor_sum", AXIS=axis, KEEP=False, OUT_SHAPE=expected.shape)[1]
    assert_close(out.reshape(expected.shape), expected)


@kite.kernel
def sum_dtype_kernel(x_ptr, out_ptr, N: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, N))
    s = kl.sum(x, axis=0)
    kl.static_assert(s.dtype == kl.int32, "int8 sums accumulate in int32")
    kl.store(out_ptr, s)


def test_sum_of_int8_accumulates_in_int32():
    x = np.full(64, 100, np.int8)
    out = run(sum_dtype_kernel, (1,), x, np.zeros(1, np.int32), N=64)[1]
    assert_close(out, np.array([6400], np.int32))


@kite.kernel
def reduce_dtype_kernel(x_ptr, out_ptr, OP: kl.constexpr, EXPECTED: kl.constexpr, N: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, N))
    if OP == "sum":
        y = kl.sum(x, axis=0)
    elif OP == "max":
        y = kl.max(x, axis=0)
    elif OP == "min":
        y = kl.min(x, axis=0)
    elif OP == "max_with_indices":
        y, _ = kl.max(x, 0, return_indices=True)
    else:
        y = kl.cumsum(x, 0)
    kl.static_assert(y.dtype == EXPECTED, "unexpected result dtype")
    store_block(out_ptr, y)


_REDUCE_DTYPES = [
    # (op, input kite dtype, Triton's result dtype)
    ("sum", kl.int8, kl.int32), ("sum", kl.uint8, kl.uint32), ("sum", kl.float16, kl.float16),
    ("sum", kl.bfloat16, kl.bfloat16), ("sum", kl.int64, kl.int64),
    ("max", kl.float16, kl.float32), ("max", kl.bfloat16, kl.float32), ("max", kl.int8, kl.int32),
    ("min", kl.uint8, kl.int32), ("min", kl.int16, kl.int32), ("max", kl.int64, kl.int64),
    ("max", kl.float32, kl.float32),
    ("max_with_indices", kl.float16, kl.float16), ("max_with_indices", kl.bfloat16, kl.float32),
    ("max_with_indices", kl.int8, kl.int8),
    ("cumsum", kl.int8, kl.int32), ("cumsum", kl.bfloat16, kl.float32),
    ("cumsum", kl.float16, kl.float16),
]


@pytest.mark.parametrize("op,src,dst", _REDUCE_DTYPES, ids=[f"{o}-{s}" for o, s, _ in _REDUCE_DTYPES])
def test_reduction_result_dtypes(op, src, dst):
    n = 16
    values = np.random.default_rng(21).integers(0, 8, n).astype(np.float64)
    if src.is_int_signed():
        values -= 3
    x = kite.from_numpy(values, device=DEVICE, dtype=src)
    ref = {"sum": np.sum, "max": np.max, "min": np.min, "max_with_indices": np.max,
           "cumsum": np.cumsum}[op](values)
    out = kite.zeros(np.shape(ref) or (1,), dst, device=DEVICE)
    reduce_dtype_kernel[(1,)](x, out, OP=op, EXPECTED=dst, N=n)
    np.testing.assert_array_equal(out.numpy().reshape(np.shape(ref)), ref)


@kite.kernel
def argreduce_kernel(x_ptr, idx_ptr, val_ptr, SHAPE: kl.constexpr, OP: kl.constexpr,
                     AXIS: kl.constexpr):
    x = load_block(x_ptr, SHAPE)
    if OP == "argmax":
        i = kl.argmax(x, AXIS)
    elif OP == "argmin":
        i = kl.argmin(x, axis=AXIS)
    elif OP == "max_with_indices":
        v, i = kl.max(x, AXIS, return_indices=True)
        store_block(val_ptr, v)
    else:
        v, i = kl.min(x, axis=AXIS, return_indices=True)
        store_block(val_ptr, v)
    kl.static_assert(i.dtype == kl.int32)
    store_block(idx_ptr, i)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float16],
                         ids=_ids([np.int32, np.float32, np.float16]))
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("op", ["argmax", "argmin", "max_with_indices", "min_with_indices"])
def test_argmax_argmin_first_index_wins_ties(op, axis, dtype):
    # Values drawn from {-2..2}: every row and column has ties for its extremum.
    x = np.random.default_rng(8).integers(-2, 3, (8, 16)).astype(dtype)
    x[3, :] = 1  # a row that is one long tie
    x[:, 5] = -2  # and a column
    is_max = "max" in op
    idx = (np.argmax if is_max else np.argmin)(x, axis=axis).astype(np.int32)
    vals = (np.max if is_max else np.min)(x, axis=axis)
    _, out_idx, out_val = run(argreduce_kernel, (1,), x, np.full(idx.shape, -1, np.int32),
                              np.zeros(vals.shape, dtype), SHAPE=(8, 16), OP=op, AXIS=axis)
    assert_close(out_idx, idx)
    if "with_indices" in op:
        assert_close(out_val, vals)


@kite.func
def mul_combine(a, b):
    return a * b


@kite.func
def absmax_combine(a, b):
    return kl.maximum(kl.abs(a), kl.abs(b))


@kite.func
def sum_and_count_combine(s1, c1, s2, c2):
    return s1 + s2, c1 + c2


@kite.kernel
def custom_reduce_kernel(x_ptr, out_ptr, cnt_ptr, SHAPE: kl.constexpr, COMBINE: kl.constexpr,
                         AXIS: kl.constexpr):
    x = load_block(x_ptr, SHAPE)
    if COMBINE == "product":
        y = kl.reduce(x, AXIS, mul_combine)
    elif COMBINE == "absmax":
        y = kl.reduce(x, axis=AXIS, combine_fn=absmax_combine)
    elif COMBINE == "absmax_keep_dims":
        y = kl.reduce(x, AXIS, absmax_combine, keep_dims=True)
    else:
        positive = (x > 0).to(kl.int32)
        y, c = kl.reduce((kl.where(x > 0, x, 0), positive), AXIS, sum_and_count_combine)
        store_block(cnt_ptr, c)
    store_block(out_ptr, y)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("combine", ["product", "absmax", "absmax_keep_dims", "sum_and_count"])
def test_reduce_with_custom_combine(combine, axis):
    rng = np.random.default_rng(9)
    x = rng.uniform(-2, 2, (4, 8)).astype(np.float32)
    keep = combine.endswith("keep_dims")
    if combine == "product":
        expected = np.prod(x.astype(np.float64), axis=axis)
    elif combine.startswith("absmax"):
        expected = np.max(np.abs(x), axis=axis, keepdims=keep)
    else:
        expected = np.sum(np.where(x > 0, x, 0), axis=axis)
    count = np.sum(x > 0, axis=axis).astype(np.int32)
    out, cnt = run(custom_reduce_kernel, (1,), x, np.zeros(expected.shape, np.float32),
                   np.zeros(count.shape, np.int32), SHAPE=(4, 8), COMBINE=combine, AXIS=axis)[1:]
    assert_close(out, expected.astype(np.float32))
    if combine == "sum_and_count":
        assert_close(cnt, count)


def test_reduce_combine_of_integers():
    x = np.random.default_rng(10).integers(-3, 4, (4, 8)).astype(np.int32)
    out = run(custom_reduce_kernel, (1,), x, np.zeros(8, np.int32), np.zeros(8, np.int32),
              SHAPE=(4, 8), COMBINE="product", AXIS=0)[1]
    assert_close(out, np.prod(x, axis=0).astype(np.int32))


# ------------------------------------------------------------------ scans

@kite.func
def max_combine(a, b):
    return kl.maximum(a, b)


@kite.func
def linear_recurrence_combine(a1, b1, a2, b2):
    # (a1, b1) then (a2, b2): h -> a2 * (a1 * h + b1) + b2
    return a1 * a2, b1 * a2 + b2


@kite.kernel
def scan_kernel(x_ptr, out_ptr, SHAPE: kl.constexpr, OP: kl.constexpr, AXIS: kl.constexpr,
                REVERSE: kl.constexpr):
    x = load_block(x_ptr, SHAPE)
    if OP == "cumsum":
        y = kl.cumsum(x, axis=AXIS, reverse=REVERSE)
    elif OP == "cumprod":
        y = kl.cumprod(x, AXIS, reverse=REVERSE)
    else:
        y = kl.associative_scan(x, AXIS, max_combine, reverse=REVERSE)
    store_block(out_ptr, y)


def _scan_reference(op, x, axis, reverse):
    if reverse:
        x = np.flip(x, axis)
    y = {"cumsum": np.cumsum, "cumprod": np.cumprod,
         "cummax": np.maximum.accumulate}[op](x, axis=axis)
    return np.flip(y, axis) if reverse else y


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.float32], ids=_ids([np.int32, np.float32]))
@pytest.mark.parametrize("op", ["cumsum", "cumprod", "cummax"])
def test_scans(op, dtype, axis, reverse):
    rng = np.random.default_rng(12)
    if np.dtype(dtype).kind == "i":
        x = rng.integers(-3 if op != "cumprod" else 1, 4, (4, 16)).astype(dtype)
    else:
        x = rng.uniform(-2, 2, (4, 16)).astype(dtype)
        if op == "cumprod":
            x = rng.uniform(0.8, 1.2, (4, 16)).astype(dtype)
    expected = _scan_reference(op, x.astype(np.float64) if dtype == np.float32 else x, axis, reverse)
    out = run(scan_kernel, (1,), x, np.zeros_like(x), SHAPE=(4, 16), OP=op, AXIS=axis,
              REVERSE=reverse)[1]
    assert_close(out, expected.astype(dtype))


@kite.kernel
def cumsum_1d_kernel(x_ptr, out_ptr, N: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, N))
    y = kl.cumsum(x)
    kl.static_assert(y.dtype == kl.int32, "int8 cumsum accumulates in int32")
    kl.store(out_ptr + kl.arange(0, N), y)


def test_cumsum_default_axis_and_int8_accumulation():
    x = np.full(32, 100, np.int8)
    out = run(cumsum_1d_kernel, (1,), x, np.zeros(32, np.int32), N=32)[1]
    assert_close(out, np.cumsum(x, dtype=np.int32))


@kite.kernel
def recurrence_kernel(a_ptr, b_ptr, out_ptr, N: kl.constexpr, REVERSE: kl.constexpr):
    offs = kl.arange(0, N)
    a = kl.load(a_ptr + offs)
    b = kl.load(b_ptr + offs)
    _, h = kl.associative_scan((a, b), 0, linear_recurrence_combine, reverse=REVERSE)
    kl.store(out_ptr + offs, h)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_associative_scan_of_a_tuple(reverse):
    rng = np.random.default_rng(13)
    a = rng.uniform(0.5, 1.0, 32).astype(np.float32)
    b = rng.uniform(-1, 1, 32).astype(np.float32)
    order = range(31, -1, -1) if reverse else range(32)
    h, expected = 0.0, np.zeros(32)
    for t in order:
        h = float(a[t]) * h + float(b[t])
        expected[t] = h
    out = run(recurrence_kernel, (1,), a, b, np.zeros(32, np.float32), N=32, REVERSE=reverse)[2]
    assert_close(out, expected.astype(np.float32))


# ------------------------------------------------------------------ dot

@kite.kernel
def dot_kernel(a_ptr, b_ptr, acc_ptr, c_ptr, M: kl.constexpr, N: kl.constexpr, K: kl.constexpr,
               MODE: kl.constexpr, EXPECTED: kl.constexpr):
    a = load_block(a_ptr, (M, K))
    b = load_block(b_ptr, (K, N))
    if MODE == "plain":
        c = kl.dot(a, b)
    elif MODE == "acc":
        c = kl.dot(a, b, acc=load_block(acc_ptr, (M, N)))
    elif MODE == "acc_positional":
        c = kl.dot(a, b, load_block(acc_ptr, (M, N)))
    elif MODE == "fp16_out":
        c = kl.dot(a, b, out_dtype=kl.float16)
    else:  # b given transposed in memory
        c = kl.dot(a, kl.trans(load_block(b_ptr, (N, K))))
    kl.static_assert(c.dtype == EXPECTED, "unexpected dot result dtype")
    store_block(c_ptr, c)


_DOTS = [
    (np.float32, "plain", np.float32), (np.float32, "acc", np.float32),
    (np.float16, "plain", np.float32), (np.float16, "acc", np.float32),
    (np.float16, "fp16_out", np.float16), (np.float32, "trans_b", np.float32),
    (np.int8, "plain", np.int32), (np.int8, "acc_positional", np.int32),
]


@pytest.mark.parametrize("mnk", [(16, 16, 16), (32, 16, 64), (16, 64, 32)],
                         ids=["16x16x16", "32x16x64", "16x64x32"])
@pytest.mark.parametrize("dtype,mode,out_dtype", _DOTS,
                         ids=[f"{np.dtype(d).name}-{m}" for d, m, _ in _DOTS])
def test_dot(dtype, mode, out_dtype, mnk):
    M, N, K = mnk
    rng = np.random.default_rng(14)
    if dtype == np.int8:
        a = rng.integers(-128, 128, (M, K)).astype(np.int8)
        b = rng.integers(-128, 128, (K, N)).astype(np.int8)
        acc = rng.integers(-10 ** 6, 10 ** 6, (M, N)).astype(np.int32)
    else:
        a = rng.uniform(-1, 1, (M, K)).astype(dtype)
        b = rng.uniform(-1, 1, (K, N)).astype(dtype)
        acc = rng.uniform(-1, 1, (M, N)).astype(np.float32)
    wide = np.int64 if dtype == np.int8 else np.float64
    expected = a.astype(wide) @ b.astype(wide)
    if mode.startswith("acc"):
        expected = expected + acc
    b_in = np.ascontiguousarray(b.T) if mode == "trans_b" else b
    out = run(dot_kernel, (1,), a, b_in, acc, np.zeros((M, N), out_dtype), M=M, N=N, K=K, MODE=mode,
              EXPECTED=KL_OF[np.dtype(out_dtype)])[3]
    if dtype == np.int8:
        assert_close(out, expected.astype(np.int32))
    elif out_dtype == np.float16:
        np.testing.assert_allclose(out.astype(np.float64), expected, rtol=1e-2, atol=1e-2)
    elif dtype == np.float32 and DEVICE.startswith("cuda"):
        # Triton's default input_precision, "tf32", on tensor cores: each
        # operand keeps 10 bits of mantissa, each product is off by at most
        # 2^-10 of |a| |b| <= 1.
        np.testing.assert_allclose(out.astype(np.float64), expected, rtol=0, atol=K * 2.0 ** -10)
    else:
        np.testing.assert_allclose(out.astype(np.float64), expected, rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------ atomics

@kite.kernel
def atomic_kernel(target_ptr, val_ptr, old_ptr, n, OP: kl.constexpr, NBINS: kl.constexpr,
                  BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    v = kl.load(val_ptr + offs, mask=mask)
    ptrs = target_ptr + offs % NBINS
    if OP == "add":
        old = kl.atomic_add(ptrs, v, mask=mask)
    elif OP == "max":
        old = kl.atomic_max(ptrs, v, mask=mask)
    elif OP == "min":
        old = kl.atomic_min(ptrs, v, mask=mask)
    elif OP == "and":
        old = kl.atomic_and(ptrs, v, mask=mask)
    elif OP == "or":
        old = kl.atomic_or(ptrs, v, mask=mask)
    elif OP == "xor":
        old = kl.atomic_xor(ptrs, v, mask=mask)
    else:
        old = kl.atomic_xchg(ptrs, v, mask=mask)
    kl.store(old_ptr + offs, old, mask=mask)


_ATOMIC_UFUNC = {"add": np.add, "max": np.maximum, "min": np.minimum, "and": np.bitwise_and,
                 "or": np.bitwise_or, "xor": np.bitwise_xor}
_ATOMICS = ([(op, np.int32) for op in ["add", "max", "min", "and", "or", "xor", "xchg"]]
            + [("max", np.uint32), ("min", np.uint32), ("add", np.int64), ("xor", np.uint32),
               ("add", np.float32), ("max", np.float32), ("min", np.float32), ("xchg", np.float32)])


def _atomic_values(op, dtype, n, rng):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.uniform(-100, 100, n).astype(dtype) if op != "add" else \
            rng.integers(1, 100, n).astype(dtype)  # exact sums in any order
    if op in ("and", "or", "xor") or dtype.kind == "u":
        info = np.iinfo(dtype)
        return rng.integers(int(info.min), int(info.max), n, endpoint=True).astype(dtype)
    if op == "add":
        return rng.integers(1, 1000, n).astype(dtype)
    return rng.integers(-10 ** 6, 10 ** 6, n).astype(dtype)


@pytest.mark.parametrize("nbins", [1, 5], ids=["one_address", "five_addresses"])
@pytest.mark.parametrize("op,dtype", _ATOMICS, ids=[f"{op}-{np.dtype(d).name}" for op, d in _ATOMICS])
def test_atomic_rmw(op, dtype, nbins):
    n, block = 150, 64  # 3 programs, the last one partly masked
    rng = np.random.default_rng(15)
    vals = _atomic_values(op, dtype, n, rng)
    init = _atomic_values(op, dtype, nbins, rng)
    target, old = run(atomic_kernel, (kite.cdiv(n, block),), init.copy(), vals,
                      np.zeros(n, dtype), n, OP=op, NBINS=nbins, BLOCK=block)[::2]
    for b in range(nbins):
        lanes = np.arange(b, n, nbins)
        v, o = vals[lanes], old[lanes]
        if op == "xchg":
            # Some order of exchanges: the old values and the final value are
            # the initial value and the written values, each once.
            np.testing.assert_array_equal(np.sort(np.append(o, target[b])),
                                          np.sort(np.append(v, init[b])))
            continue
        expected = _ATOMIC_UFUNC[op].reduce(np.append(v, init[b]).astype(dtype))
        assert_close(target[b], expected)
        if op == "add":
            # Values are positive: sorting the old values gives the order the
            # additions happened in, each adding its own value to the previous.
            order = np.argsort(o, kind="stable")
            chain = np.cumsum(np.concatenate([[init[b]], v[order]])).astype(dtype)
            assert_close(o[order], chain[:-1])
        elif op != "xor":
            # max/min/and/or only move one way: every old value lies between
            # the initial value and the final one.
            fn = _ATOMIC_UFUNC[op]
            np.testing.assert_array_equal(fn(o, target[b]), np.full_like(o, target[b]))
            np.testing.assert_array_equal(fn(init[b], o), o)
            if op in ("max", "min"):
                assert np.isin(o, np.append(v, init[b])).all()


@kite.kernel
def ticket_kernel(counter_ptr, tickets_ptr):
    pid = kl.program_id(0)
    ticket = kl.atomic_add(counter_ptr, 1)
    kl.store(tickets_ptr + pid, ticket)


def test_atomic_add_on_a_scalar_pointer_gives_unique_tickets():
    counter, tickets = run(ticket_kernel, (9,), np.array([100], np.int32), np.zeros(9, np.int32))
    assert counter[0] == 109
    np.testing.assert_array_equal(np.sort(tickets), np.arange(100, 109))


@kite.kernel
def cas_lock_kernel(lock_ptr, old_ptr):
    pid = kl.program_id(0)
    old = kl.atomic_cas(lock_ptr, 0, pid + 1)
    kl.store(old_ptr + pid, old)


def test_atomic_cas_exactly_one_program_wins():
    lock, olds = run(cas_lock_kernel, (6,), np.zeros(1, np.int32), np.full(6, -1, np.int32))
    winners = np.flatnonzero(olds == 0)
    assert len(winners) == 1
    assert lock[0] == winners[0] + 1
    np.testing.assert_array_equal(np.delete(olds, winners), np.full(5, lock[0]))


@kite.kernel
def cas_block_kernel(ptr, cmp_ptr, val_ptr, old_ptr, N: kl.constexpr):
    offs = kl.arange(0, N)
    old = kl.atomic_cas(ptr + offs, kl.load(cmp_ptr + offs), kl.load(val_ptr + offs))
    kl.store(old_ptr + offs, old)


CAS_DTYPES = [np.int32, np.int64, np.float32]


@pytest.mark.parametrize("dtype", CAS_DTYPES, ids=_ids(CAS_DTYPES))
def test_atomic_cas_elementwise(dtype):
    rng = np.random.default_rng(16)
    cur = rng.integers(0, 4, 32).astype(dtype)
    cmp = rng.integers(0, 4, 32).astype(dtype)
    val = rng.integers(10, 20, 32).astype(dtype)
    final, old = run(cas_block_kernel, (1,), cur.copy(), cmp, val, np.zeros(32, dtype), N=32)[::3]
    assert_close(old, cur)
    assert_close(final, np.where(cur == cmp, val, cur))


@kite.kernel
def cas_many_lanes_kernel(ptr, old_ptr, N: kl.constexpr):
    offs = kl.arange(0, N)
    # Every lane tries to move the same word from its own index to index + 1:
    # only the lane whose compare value is current succeeds, in some order.
    old = kl.atomic_cas(ptr + offs * 0, offs, offs + 1)
    kl.store(old_ptr + offs, old)


def test_atomic_cas_many_lanes_same_address():
    word, old = run(cas_many_lanes_kernel, (1,), np.zeros(1, np.int32), np.full(16, -1, np.int32), N=16)
    # The word only moves k -> k + 1, by lane k: whatever the order, the lanes
    # that succeeded are 0 .. final - 1 and each saw its own index.
    succeeded = old == np.arange(16)
    assert word[0] == succeeded.sum()
    np.testing.assert_array_equal(np.flatnonzero(succeeded), np.arange(word[0]))
    assert np.all(old <= word[0])


# ------------------------------------------------------------------ casts

@kite.kernel
def cast_kernel(x_ptr, out_ptr, n, DST: kl.constexpr, HOW: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    if HOW == "to":
        y = x.to(DST)
    elif HOW == "cast":
        y = kl.cast(x, DST)
    elif HOW == "bitcast":
        y = x.to(DST, bitcast=True)
    else:
        y = kl.cast(x, DST, bitcast=True)
    kl.static_assert(y.dtype == DST)
    kl.store(out_ptr + offs, y, mask=mask)


_CASTS = [
    # (source values, destination numpy dtype)
    (np.array([0, 1, -1, 2 ** 24, 2 ** 24 + 1, -(2 ** 31), 2 ** 31 - 1, 123456789], np.int32), np.float32),
    (np.array([-2.7, -0.5, 0.0, 2.5, 3.99, -3.99, 1e9, -1e9], np.float32), np.int32),
    (np.array([0.5, 1.7, 2.5, 200.9, 255.0, 0.0], np.float32), np.uint8),
    (np.array([1.0, 1.0 / 3, 65504.0, 70000.0, -1e-8, 1e-5, 2049.0, -0.0], np.float32), np.float16),
    (np.array([1.0, 1.0 / 3, 65504.0, -1e-7, 6e-8], np.float16), np.float32),
    (np.array([1.0 / 3, 1e300, -1e-50, np.pi], np.float64), np.float32),
    (np.array([1.0 / 3, 3e38, -np.pi], np.float32), np.float64),
    (np.array([300, -129, 127, -128, 255, 256, -1, 0], np.int32), np.int8),
    (np.array([-1, -128, 127, 0, 5], np.int8), np.int32),
    (np.array([-1, -128, 127, 0], np.int8), np.uint32),
    (np.array([255, 128, 0, 7], np.uint8), np.int32),
    (np.array([-1, -(2 ** 31), 5, 2 ** 31 - 1], np.int32), np.uint32),
    (np.array([4_000_000_000, 2 ** 31, 1, 0], np.uint32), np.float32),
    (np.array([2 ** 33 + 5, -(2 ** 40) - 3, 7, -1], np.int64), np.int32),
    (np.array([-5, 7, 2 ** 31 - 1], np.int32), np.int64),
    (np.array([0, 3, -2, 0, 1], np.int32), np.bool_),
    (np.array([0.0, 0.5, -2.0, np.nan], np.float32), np.bool_),
    (np.array([True, False, True]), np.int32),
    (np.array([True, False, True]), np.float32),
    (np.array([3.25, -7.0, 100.5], np.float16), np.int32),
]


@pytest.mark.parametrize("how", ["to", "cast"])
@pytest.mark.parametrize("src,dst", _CASTS,
                         ids=[f"{s.dtype.name}-to-{np.dtype(d).name}-{i}" for i, (s, d) in enumerate(_CASTS)])
def test_cast(src, dst, how):
    n = len(src)
    with np.errstate(all="ignore"):
        expected = src.astype(dst)
    if src.dtype.kind == "f" and np.dtype(dst).kind in "iu" and np.dtype(dst) != np.bool_:
        expected = np.trunc(src.astype(np.float64)).astype(dst)  # truncation toward zero
    out = run(cast_kernel, (1,), src, np.zeros(n, dst), n, DST=KL_OF[np.dtype(dst)], HOW=how, BLOCK=8)[1]
    assert_close(out, expected)


def _bf16_reference(x):
    """Round float64 values to bfloat16 (8 significant bits, nearest-even)."""
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    nz = (x != 0) & np.isfinite(x)
    exp = np.floor(np.log2(np.abs(x[nz])))
    ulp = 2.0 ** (exp - 7)
    out[nz] = np.round(x[nz] / ulp) * ulp  # np.round rounds halves to even
    out[~nz] = x[~nz]
    return out.astype(np.float32)


@kite.kernel
def bf16_kernel(x_ptr, y_ptr, sum_ptr, f32_ptr, from_f32_ptr, w_ptr, n, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    kl.static_assert(x.dtype == kl.bfloat16)
    s = x + y
    kl.static_assert(s.dtype == kl.bfloat16)
    kl.store(sum_ptr + offs, s, mask=mask)
    kl.store(f32_ptr + offs, x.to(kl.float32) * 3.0, mask=mask)
    w = kl.load(w_ptr + offs, mask=mask)
    kl.store(from_f32_ptr + offs, w.to(kl.bfloat16), mask=mask)


def test_bfloat16():
    rng = np.random.default_rng(17)
    n = 40
    x_host = rng.uniform(-100, 100, n).astype(np.float32)
    y_host = rng.uniform(-100, 100, n).astype(np.float32)
    w = rng.uniform(-5, 5, n).astype(np.float32)
    # Exact ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 (rounds to even: 1),
    # 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6 (rounds to 1 + 2^-6).
    w[:4] = [1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.140625]
    x = kite.from_numpy(x_host, device=DEVICE, dtype=kl.bfloat16)
    y = kite.from_numpy(y_host, device=DEVICE, dtype=kl.bfloat16)
    xr, yr = _bf16_reference(x_host), _bf16_reference(y_host)
    assert x.dtype == kl.bfloat16
    np.testing.assert_array_equal(x.numpy(), xr)
    assert x.numpy().dtype == np.float32
    s = kite.zeros(n, kl.bfloat16, device=DEVICE)
    f32 = kite.zeros(n, kl.float32, device=DEVICE)
    from_f32 = kite.zeros(n, kl.bfloat16, device=DEVICE)
    bf16_kernel[(1,)](x, y, s, f32, from_f32, kite.from_numpy(w, device=DEVICE), n, BLOCK=64)
    np.testing.assert_array_equal(s.numpy(), _bf16_reference(xr.astype(np.float64) + yr))
    np.testing.assert_array_equal(f32.numpy(), xr * np.float32(3.0))
    np.testing.assert_array_equal(from_f32.numpy(), _bf16_reference(w))
    np.testing.assert_array_equal(from_f32.numpy()[:4], [1.0, 1 + 2 ** -6, -1.0, 3.140625])


_BITCASTS = [
    (np.array([1.0, -2.5, 0.0, -0.0, np.inf, 1e-40], np.float32), np.int32),
    (np.array([0, 1, -1, 0x3F800000, 0x7F800000, -(2 ** 31)], np.int32), np.float32),
    (np.array([1.0, -2.5, 65504.0, 6e-8], np.float16), np.int16),
    (np.array([-1, 5, -(2 ** 31)], np.int32), np.uint32),
    (np.array([1.0, -2.5, 1e300], np.float64), np.int64),
]


@pytest.mark.parametrize("how", ["bitcast", "cast_bitcast"])
@pytest.mark.parametrize("src,dst", _BITCASTS,
                         ids=[f"{s.dtype.name}-to-{np.dtype(d).name}" for s, d in _BITCASTS])
def test_bitcast(src, dst, how):
    n = len(src)
    out = run(cast_kernel, (1,), src, np.zeros(n, dst), n, DST=KL_OF[np.dtype(dst)], HOW=how, BLOCK=8)[1]
    np.testing.assert_array_equal(out.view(np.uint8), src.view(dst).view(np.uint8))


def test_bitcast_between_different_widths_is_an_error():
    with pytest.raises(kite.CompilationError, match="different widths"):
        run(cast_kernel, (1,), np.zeros(4, np.float32), np.zeros(4, np.int64), 4, DST=kl.int64,
            HOW="bitcast", BLOCK=4)


# ------------------------------------------------------------------ hints and loops

@kite.kernel
def hinted_copy_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    offs = kl.max_contiguous(kl.multiple_of(offs, BLOCK), BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    rows = kl.multiple_of(kl.arange(0, 2)[:, None] * 8, [8, 1])
    y = kl.max_contiguous(rows + kl.arange(0, 8)[None, :], [1, 8])
    kl.store(out_ptr + offs, x + kl.sum(kl.sum(y, axis=1), axis=0), mask=mask)


def test_multiple_of_and_max_contiguous_do_not_change_results():
    x = np.arange(50, dtype=np.float32)
    out = run(hinted_copy_kernel, (4,), x, np.zeros(50, np.float32), 50, BLOCK=16)[1]
    assert_close(out, x + np.arange(16).sum())


@kite.kernel
def static_range_kernel(x_ptr, out_ptr, BLOCK: kl.constexpr, ROWS: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    acc = kl.zeros([BLOCK], dtype=kl.float32)
    for i in kl.static_range(ROWS):
        acc += kl.load(x_ptr + i * BLOCK + offs) * (i + 1)
    for j in kl.static_range(1, 7, 2):
        acc += j
    kl.store(out_ptr + offs, acc)


def test_static_range():
    x = np.random.default_rng(18).standard_normal((4, 16)).astype(np.float32)
    out = run(static_range_kernel, (1,), x, np.zeros(16, np.float32), BLOCK=16, ROWS=4)[1]
    expected = (x * np.arange(1, 5)[:, None]).sum(axis=0) + (1 + 3 + 5)
    assert_close(out, expected.astype(np.float32))


@kite.kernel
def runtime_for_kernel(x_ptr, out_ptr, count_ptr, start, end, step, KIND: kl.constexpr,
                       BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    acc = kl.zeros([BLOCK], dtype=kl.float32)
    count = 0
    if KIND == "range":
        for i in range(start, end, step):
            acc += kl.load(x_ptr + i * BLOCK + offs) * i
            count += 1
    else:
        for i in kl.range(start, end, step):
            acc += kl.load(x_ptr + i * BLOCK + offs) * i
            count += 1
    kl.store(out_ptr + offs, acc)
    kl.store(count_ptr, count)


@pytest.mark.parametrize("kind", ["range", "kl.range"])
@pytest.mark.parametrize("start,end,step", [(0, 8, 1), (1, 8, 3), (2, 7, 2), (5, 5, 1), (6, 2, 1)])
def test_runtime_for_with_runtime_bounds_and_step(kind, start, end, step):
    x = np.random.default_rng(19).standard_normal((8, 16)).astype(np.float32)
    out, count = run(runtime_for_kernel, (1,), x, np.full(16, -1.0, np.float32),
                     np.full(1, -1, np.int32), start, end, step, KIND=kind, BLOCK=16)[1:]
    idx = list(range(start, end, step))
    expected = sum((x[i].astype(np.float64) * i for i in idx), np.zeros(16))
    assert_close(out, expected.astype(np.float32))
    assert count[0] == len(idx)


@kite.kernel
def collatz_kernel(x_ptr, steps_ptr, peak_ptr):
    pid = kl.program_id(0)
    x = kl.load(x_ptr + pid)
    steps = 0
    peak = x
    while x != 1:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        peak = kl.maximum(peak, x)
        steps += 1
    kl.store(steps_ptr + pid, steps)
    kl.store(peak_ptr + pid, peak)


def test_while_and_if_on_runtime_scalars():
    starts = np.array([1, 2, 3, 6, 7, 27], np.int32)
    steps, peaks = [], []
    for v in starts.tolist():
        s, p = 0, v
        while v != 1:
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            p, s = max(p, v), s + 1
        steps.append(s)
        peaks.append(p)
    out_steps, out_peak = run(collatz_kernel, (len(starts),), starts, np.zeros(6, np.int32),
                              np.zeros(6, np.int32))[1:]
    assert_close(out_steps, np.array(steps, np.int32))
    assert_close(out_peak, np.array(peaks, np.int32))


@kite.kernel
def if_else_kernel(x_ptr, out_ptr, flag, BLOCK: kl.constexpr):
    pid = kl.program_id(0)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    first = kl.load(x_ptr + pid * BLOCK)
    if flag > 0:
        y = x * 2.0
    else:
        y = x - 1.0
    if first < 0:
        y = -y
    elif first < 1:
        y = y + 100.0
    kl.store(out_ptr + offs, y)


@pytest.mark.parametrize("flag", [1, 0, -3])
def test_if_else_on_runtime_scalars(flag):
    x = np.array([-5, 1, 2, 3, 0.5, 6, 7, 8, 3, 1, 1, 1], np.float32)
    out = run(if_else_kernel, (3,), x, np.zeros(12, np.float32), flag, BLOCK=4)[1]
    y = (x * 2 if flag > 0 else x - 1).reshape(3, 4)
    first = x.reshape(3, 4)[:, :1]
    expected = np.where(first < 0, -y, np.where(first < 1, y + 100, y))
    assert_close(out, expected.ravel().astype(np.float32))


# ------------------------------------------------------------------ debugging ops and errors

@kite.kernel
def print_kernel(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.program_id(0) * BLOCK + kl.arange(0, BLOCK))
    kl.device_print("vals: ", x)


# Only the interpreter checks the bounds of every access, and print's format
# differs per device: these tests run on the interpreter whatever
# KITE_TEST_DEVICE says (Vulkan's print and assert: the tests after them).
INTERPRETER = "interpreter"


def run_on_interpreter(kernel, grid, *args, **meta):
    """``run`` on the interpreter: numpy arrays are updated in place."""
    kernel[grid](*[kite.from_numpy(a, device=INTERPRETER) if isinstance(a, np.ndarray) and a.ndim
                   else a for a in args], **meta)


def test_device_print(capsys):
    run_on_interpreter(print_kernel, (2,), np.array([11, 22, 33, 44, 55, 66, 77, 88], np.int32),
                       BLOCK=4)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "vals: " in ln]
    assert len(lines) == 2
    first = next(ln for ln in lines if "(0, 0, 0)" in ln)
    second = next(ln for ln in lines if "(1, 0, 0)" in ln)
    assert all(v in first for v in ("11", "22", "33", "44")) and "55" not in first
    assert all(v in second for v in ("55", "66", "77", "88")) and "44" not in second


@kite.kernel
def assert_kernel(x_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask, other=0)
    kl.device_assert(x >= 0, "x must be non-negative")  # ASSERT-LINE
    kl.device_assert(x < 100, "masked lanes are ignored", mask=mask)


def test_device_assert_passes():
    run_on_interpreter(assert_kernel, (2,), np.arange(8, dtype=np.int32), 6, BLOCK=4)


def test_device_assert_failure_raises_kernel_runtime_error():
    x = np.array([0, 1, 2, 3, 4, -5, 6, 7], np.int32)
    with pytest.raises(kite.KernelRuntimeError, match="x must be non-negative") as info:
        run_on_interpreter(assert_kernel, (2,), x, 8, BLOCK=4)
    assert info.value.lineno == _line_of(assert_kernel, "# ASSERT-LINE")
    assert _same_file(info.value.filename, __file__)


def test_device_assert_with_mask_fails_on_unmasked_lane():
    x = np.array([0, 1, 2, 300, 4, 5], np.int32)
    with pytest.raises(kite.KernelRuntimeError, match="masked lanes are ignored"):
        run_on_interpreter(assert_kernel, (2,), x, 6, BLOCK=4)


def test_device_print_on_vulkan_prints_each_value_once_with_its_program_and_thread(capfd):
    device = vulkan_device()
    x = kite.from_numpy(np.array([11, 22, 33, 44, 55, 66, 77, 88], np.int32), device=device)
    print_kernel[(2,)](x, BLOCK=4)
    lines = [ln for ln in capfd.readouterr().out.splitlines() if "vals: " in ln]
    assert len(lines) == 8, lines  # 4 values per program, each once (no replicas)
    assert all(ln.startswith(("pid (0, 0, 0) thread ", "pid (1, 0, 0) thread ")) for ln in lines)
    assert sorted(int(ln.split("vals: ")[1]) for ln in lines) == [11, 22, 33, 44, 55, 66, 77, 88]
    y = kite.from_numpy(np.array([1.5, -2.25, 3.0, 4.0], np.float32), device=device)
    print_kernel[(1,)](y, BLOCK=4)
    assert "vals: -2.250000" in capfd.readouterr().out


@kite.kernel
def print_kinds_kernel(u_ptr, f_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    u = kl.load(u_ptr + offs)
    f = kl.load(f_ptr + offs)
    kl.device_print("u: ", u)
    kl.device_print("h: ", u, f, hex=True)


@pytest.mark.parametrize("where", ["interpreter", "vulkan"])
def test_device_print_of_unsigned_integers_and_in_hex(where, capfd):
    device = INTERPRETER if where == "interpreter" else vulkan_device()
    u = kite.from_numpy(np.array([4000000000, 7], np.uint32), device=device)
    f = kite.from_numpy(np.array([1.0, -2.0], np.float32), device=device)
    print_kinds_kernel[(1,)](u, f, BLOCK=2, num_warps=1)
    out = capfd.readouterr().out
    for text in ("4000000000", "0xee6b2800", "0x3f800000", "0xc0000000"):
        assert text in out, out
    assert "-294967296" not in out  # 4000000000 read as signed


@kite.kernel
def print_two_layouts_kernel(x_ptr, BLOCK: kl.constexpr):
    kl.device_print("v ", kl.arange(0, 4), kl.load(x_ptr + kl.arange(0, BLOCK)))


def test_device_print_of_tensors_of_different_layouts_loses_no_value(capfd):
    device = vulkan_device()
    x = kite.from_numpy(np.arange(1000, 1256, dtype=np.int32), device=device)
    print_two_layouts_kernel[(1,)](x, BLOCK=256)
    printed = {int(v) for ln in capfd.readouterr().out.splitlines() if ln.count("v ")
               for v in ln.split("v ", 1)[1].split()}
    assert set(range(1000, 1256)) <= printed


@kite.kernel
def overflow_kernel(n, fail_at):
    kl.device_assert(n >= 0, "n must be non-negative")
    for i in range(n):
        kl.device_print("v ", i, i, i, i)
    kl.device_assert(n < fail_at, "n is too large")


def test_an_overflowing_debug_buffer_drops_prints_but_not_asserts(capfd):
    vulkan_device()
    overflow_kernel[(1,)](4000, 1 << 30, num_warps=1)  # no assert fails
    err = capfd.readouterr().err
    assert "the debug buffer" in err and "overflowed" in err
    with pytest.raises(kite.KernelRuntimeError, match="n is too large"):
        overflow_kernel[(1,)](4000, 10, num_warps=1)  # fails after the buffer is full


def test_a_failed_device_assert_on_vulkan_raises_at_the_users_line():
    device = vulkan_device()
    good = kite.from_numpy(np.arange(8, dtype=np.int32), device=device)
    assert_kernel[(2,)](good, 6, BLOCK=4)
    bad = kite.from_numpy(np.array([0, 1, 2, 3, 4, -5, 6, 7], np.int32), device=device)
    with pytest.raises(kite.KernelRuntimeError,
                       match=r"device_assert failed in pid \(1, 0, 0\) thread \d+: "
                             r"x must be non-negative") as info:
        assert_kernel[(2,)](bad, 8, BLOCK=4)
    assert info.value.lineno == _line_of(assert_kernel, "# ASSERT-LINE")
    assert _same_file(info.value.filename, __file__)
    masked = kite.from_numpy(np.array([0, 1, 2, 300, 4, 5], np.int32), device=device)
    with pytest.raises(kite.KernelRuntimeError, match="masked lanes are ignored"):
        assert_kernel[(2,)](masked, 6, BLOCK=4)
    assert_kernel[(2,)](masked, 3, BLOCK=4)  # 300 is masked off


@kite.kernel
def oob_load_kernel(x_ptr, out_ptr, SHIFT: kl.constexpr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK) + SHIFT
    x = kl.load(x_ptr + offs)  # OOB-LOAD
    kl.store(out_ptr + kl.program_id(0) * BLOCK + kl.arange(0, BLOCK), x)


@kite.kernel
def oob_store_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs, mask=offs < n, other=0.0)
    kl.store(out_ptr + offs, x)  # OOB-STORE


@pytest.mark.parametrize("grid,n,shift,element", [((1,), 10, 0, 10), ((2,), 20, 0, 20),
                                                  ((1,), 10, -1, -1)],
                         ids=["past_the_end", "second_program", "before_the_start"])
def test_out_of_bounds_load_raises(grid, n, shift, element):
    x = np.arange(n, dtype=np.float32)
    with pytest.raises(kite.KernelRuntimeError) as info:
        run_on_interpreter(oob_load_kernel, grid, x, np.zeros(32, np.float32), SHIFT=shift, BLOCK=16)
    err = info.value
    assert f"element {element} of argument 'x_ptr'" in str(err)
    assert "load" in str(err)
    assert err.lineno == _line_of(oob_load_kernel, "# OOB-LOAD")
    assert _same_file(err.filename, __file__)
    assert f":{err.lineno}:" in str(err)


def test_out_of_bounds_store_raises():
    x = np.arange(20, dtype=np.float32)
    with pytest.raises(kite.KernelRuntimeError) as info:
        run_on_interpreter(oob_store_kernel, (2,), x, np.zeros(20, np.float32), 20, BLOCK=16)
    err = info.value
    assert "element 20 of argument 'out_ptr'" in str(err)
    assert "store" in str(err)
    assert err.lineno == _line_of(oob_store_kernel, "# OOB-STORE")
    assert _same_file(err.filename, __file__)


@kite.kernel
def widened_compare_kernel(out_ptr, BLOCK: kl.constexpr, OP: kl.constexpr, C: kl.constexpr,
                           UNSIGNED: kl.constexpr):
    # Indices compared as 64-bit values with a constant, as block pointers'
    # bounds checks do (lavapipe once miscompiled `sext(i) < 16`).
    offs = kl.arange(0, BLOCK) - 8
    wide = offs.to(kl.uint32, bitcast=True).to(kl.uint64) if UNSIGNED else offs.to(kl.int64)
    if OP == "lt":
        hit = wide < C
    elif OP == "le":
        hit = wide <= C
    elif OP == "gt":
        hit = wide > C
    elif OP == "ge":
        hit = wide >= C
    elif OP == "eq":
        hit = wide == C
    else:
        hit = wide != C
    kl.store(out_ptr + kl.arange(0, BLOCK), hit.to(kl.int32))


@pytest.mark.parametrize("unsigned", [False, True], ids=["sext", "zext"])
@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge", "eq", "ne"])
@pytest.mark.parametrize("c", [16, 3, 0])
def test_comparisons_of_widened_integers_with_constants(name, c, unsigned):
    import operator
    op = getattr(operator, name)
    out = run(widened_compare_kernel, (1,), np.zeros(32, np.int32), BLOCK=32, OP=name, C=c,
              UNSIGNED=unsigned)
    values = np.arange(32, dtype=np.int64) - 8
    if unsigned:
        values = values.astype(np.int32).view(np.uint32).astype(np.uint64)
    np.testing.assert_array_equal(out, op(values, c).astype(np.int32))


@kite.kernel
def zero_trip_kernel(x_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    a = kl.load(x_ptr + offs)
    b = a + 100
    total = 0
    for i in range(n):  # n may be 0: the loop's results are its initial values
        a, b = b * 2, a + 1
        total += i
    kl.store(out_ptr + offs, a + b + total)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_runtime_loops_that_run_no_iteration_keep_their_initial_values(n):
    x = np.arange(8, dtype=np.int32)
    out = run(zero_trip_kernel, (1,), x, np.zeros_like(x), n, BLOCK=8)[1]
    a, b, total = x.copy(), x + 100, 0
    for i in range(n):
        a, b = b * 2, a + 1
        total += i
    np.testing.assert_array_equal(out, a + b + total)
