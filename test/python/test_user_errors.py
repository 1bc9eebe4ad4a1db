"""Every user mistake the issue lists raises kite.CompilationError at the right
line, with a message saying what is wrong and the source line shown."""
import inspect
import math

import numpy as np
import pytest

import kite
import kite.language as kl

F32 = np.zeros(4, np.float32)
F16 = np.zeros(4, np.float16)


def _marked_line(kernel) -> int:
    lines, first = inspect.getsourcelines(kernel.fn)
    for i, line in enumerate(lines):
        if "# <- error" in line:
            return first + i
    raise AssertionError("kernel has no '# <- error' marker")


def _expect_error(kernel, args, meta, *fragments):
    with pytest.raises(kite.CompilationError) as info:
        kernel.trace(*args, **meta)
    exc = info.value
    assert exc.filename == __file__
    assert exc.lineno == _marked_line(kernel), str(exc)
    text = str(exc)
    assert f"{__file__}:{exc.lineno}" in text
    assert "# <- error" in text, "the message shows the source line"
    for fragment in fragments:
        assert fragment in text, text
    return exc


@kite.kernel
def shape_mismatch(x_ptr, BLOCK: kl.constexpr):
    a = kl.arange(0, BLOCK)
    b = kl.arange(0, BLOCK * 2)
    kl.store(x_ptr + a, a + b)  # <- error


def test_shape_mismatch():
    _expect_error(shape_mismatch, (F32,), {"BLOCK": 64}, "incompatible shapes", "[64]", "[128]")


@kite.kernel
def dtype_mismatch(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    y = x << 2  # <- error
    kl.store(x_ptr + kl.arange(0, BLOCK), y)


def test_dtype_mismatch_bitwise_on_float():
    _expect_error(dtype_mismatch, (F32,), {"BLOCK": 16}, "'<<'", "integer")


@kite.kernel
def dot_dtype_mismatch(a_ptr, b_ptr, BLOCK: kl.constexpr):
    r = kl.arange(0, BLOCK)
    a = kl.load(a_ptr + r[:, None] * BLOCK + r[None, :])
    b = kl.load(b_ptr + r[:, None] * BLOCK + r[None, :])
    c = kl.dot(a, b)  # <- error
    kl.store(a_ptr + r[:, None] * BLOCK + r[None, :], c)


def test_dot_dtype_mismatch():
    _expect_error(dot_dtype_mismatch, (F16, F32), {"BLOCK": 16}, "same dtype", "fp16", "fp32")


@kite.kernel
def non_power_of_two(x_ptr):
    offs = kl.arange(0, 100)  # <- error
    kl.store(x_ptr + offs, 1.0)


def test_non_power_of_two_block():
    _expect_error(non_power_of_two, (F32,), {}, "100 elements", "powers of two")


@kite.kernel
def runtime_block(x_ptr, n):
    offs = kl.arange(0, n)  # <- error
    kl.store(x_ptr + offs, 1.0)


def test_runtime_block_size():
    _expect_error(runtime_block, (F32, 128), {}, "compile-time constant", "kl.constexpr")


@kite.kernel
def runtime_where_constexpr(x_ptr, n):
    acc = kl.zeros((n,), dtype=kl.float32)  # <- error
    kl.store(x_ptr, kl.sum(acc))


def test_runtime_value_where_constexpr_needed():
    _expect_error(runtime_where_constexpr, (F32, 8), {}, "compile-time constant")


@kite.kernel
def runtime_static_range(x_ptr, n):
    acc = 0.0
    for i in kl.static_range(n):  # <- error
        acc += 1.0
    kl.store(x_ptr, acc)


def test_static_range_needs_constexpr():
    _expect_error(runtime_static_range, (F32, 8), {}, "static_range", "compile-time constant")


@kite.kernel
def undefined_on_a_path(x_ptr, n):
    if n > 0:
        y = 1.0
    kl.store(x_ptr, y)  # <- error


def test_name_not_defined_on_every_path():
    _expect_error(undefined_on_a_path, (F32, 4), {}, "'y'", "not defined on every path", "one branch")


@kite.kernel
def defined_only_in_loop(x_ptr, n):
    for i in range(n):
        t = i * 2
    kl.store(x_ptr, t)  # <- error


def test_name_defined_only_inside_a_runtime_loop():
    _expect_error(defined_only_in_loop, (F32, 4), {}, "'t'", "only inside the loop")


@kite.kernel
def loop_changes_type(x_ptr, n, BLOCK: kl.constexpr):
    acc = 0
    for i in range(n):
        acc += kl.load(x_ptr + i)  # <- error
    kl.store(x_ptr, acc)


def test_loop_carried_value_changes_type_at_its_assignment():
    line = _marked_line(loop_changes_type) - 1
    _expect_error(loop_changes_type, (F32, 4), {"BLOCK": 16}, "'acc'", "int32", "fp32",
                  f"in the loop at line {line}")


@kite.kernel
def loop_changes_shape(x_ptr, n, BLOCK: kl.constexpr):
    acc = kl.zeros((BLOCK,), kl.float32)
    for i in range(n):
        acc = acc[:, None] + kl.zeros((BLOCK, BLOCK), kl.float32)  # <- error
    kl.store(x_ptr + kl.arange(0, BLOCK), kl.sum(acc, axis=1))


def test_loop_carried_value_changes_shape_at_its_assignment():
    _expect_error(loop_changes_shape, (F32, 4), {"BLOCK": 16}, "'acc'", "[16]", "[16, 16]")


@kite.kernel
def loop_changes_type_late(x_ptr, n):
    acc = 0
    for i in range(n):
        acc = acc + i
        if i > 2:
            t = acc * 2
        acc = kl.load(x_ptr + i)  # <- error
    kl.store(x_ptr, acc)


def test_loop_carried_value_points_at_the_last_assignment():
    _expect_error(loop_changes_type_late, (F32, 4), {}, "'acc'", "from int32 to fp32")


@kite.kernel
def nested_loop_changes_type(x_ptr, n):
    acc = 0
    for i in range(n):
        for j in range(n):
            if j > i:
                acc = acc + 0.5  # <- error
    kl.store(x_ptr, acc)


def test_loop_carried_value_changed_in_a_nested_branch():
    _expect_error(nested_loop_changes_type, (F32, 4), {}, "'acc'", "int32", "fp32")


@kite.kernel
def while_changes_type(x_ptr, n):
    i = 0
    x = 0
    while i < n:
        x = x + kl.load(x_ptr + i)  # <- error
        i += 1
    kl.store(x_ptr, x)


def test_while_carried_value_changes_type_at_its_assignment():
    line = _marked_line(while_changes_type) - 1
    _expect_error(while_changes_type, (F32, 4), {}, "'x'", "int32", "fp32",
                  f"in the while loop at line {line}")


@kite.kernel
def loop_assigns_python_float(x_ptr, n):
    acc = kl.load(x_ptr)
    k = kl.load(x_ptr).to(kl.int32)
    for i in range(n):
        k = 1.5  # <- error
        acc += k
    kl.store(x_ptr, acc)


def test_loop_carried_value_assigned_a_python_float_at_its_assignment():
    _expect_error(loop_assigns_python_float, (F32, 4), {}, "'k'", "int32", "Python float 1.5")


@pytest.mark.parametrize("device", ["interpreter", "vulkan"])
@pytest.mark.parametrize("kernel", [loop_changes_type, while_changes_type, loop_changes_type_late])
def test_launches_report_the_same_line(kernel, device):
    """The interpreter runs the loop in Python, vulkan:0 traces it: one line."""
    if device == "vulkan":
        from conftest import vulkan_device
        device = vulkan_device()
    x = kite.from_numpy(np.zeros(4, np.float32), device=device)
    with pytest.raises(kite.CompilationError) as info:
        kernel[(1,)](x, 4, **({"BLOCK": 16} if kernel is loop_changes_type else {}))
    assert (info.value.filename, info.value.lineno) == (__file__, _marked_line(kernel))


@kite.kernel
def calls_python_math(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    y = math.exp(x)  # <- error
    kl.store(x_ptr + kl.arange(0, BLOCK), y)


def test_call_to_python_function_outside_the_language():
    _expect_error(calls_python_math, (F32,), {"BLOCK": 16}, "math.exp", "not part of kite.language")


def plain_helper(x):
    return x * 2


@kite.kernel
def calls_undecorated_helper(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(x_ptr + kl.arange(0, BLOCK), plain_helper(x))  # <- error


def test_call_to_undecorated_helper_suggests_kite_func():
    _expect_error(calls_undecorated_helper, (F32,), {"BLOCK": 16}, "plain_helper", "@kite.func")


@kite.kernel
def bad_axis(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(x_ptr, kl.sum(x, axis=1))  # <- error


def test_bad_axis():
    _expect_error(bad_axis, (F32,), {"BLOCK": 16}, "axis 1", "rank 1")


@kite.kernel
def dot_inner_mismatch(a_ptr, M: kl.constexpr, K: kl.constexpr, N: kl.constexpr):
    a = kl.zeros((M, K), kl.float32)
    b = kl.zeros((K * 2, N), kl.float32)
    c = kl.dot(a, b)  # <- error
    kl.store(a_ptr + kl.arange(0, M)[:, None] * N + kl.arange(0, N)[None, :], c)


def test_dot_inner_dimensions_mismatch():
    _expect_error(dot_inner_mismatch, (F32,), {"M": 16, "K": 16, "N": 16},
                  "inner dimensions differ", "16 != 32")


@kite.kernel
def block_condition(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    if x > 0:  # <- error
        x = x * 2
    kl.store(x_ptr + kl.arange(0, BLOCK), x)


def test_if_on_a_block_condition():
    _expect_error(block_condition, (F32,), {"BLOCK": 16}, "must be a scalar", "kl.where")


@kite.kernel
def load_from_integer(x_ptr, n):
    v = kl.load(n)  # <- error
    kl.store(x_ptr, v)


def test_load_needs_a_pointer():
    _expect_error(load_from_integer, (F32, 3), {}, "needs a pointer", "int32")


@kite.kernel
def python_round_on_runtime(x_ptr, n):
    kl.store(x_ptr, round(n))  # <- error


def test_python_round_on_a_runtime_value_points_to_kl_floor():
    _expect_error(python_round_on_runtime, (F32, 3), {}, "Python's round()", "kl.floor")


@kite.kernel
def undefined_name(x_ptr):
    kl.store(x_ptr, not_defined_anywhere)  # <- error  # noqa: F821


def test_undefined_name_is_a_compilation_error_at_its_line():
    _expect_error(undefined_name, (F32,), {}, "not_defined_anywhere")


def test_wrong_argument_count_is_a_type_error_naming_the_signature():
    with pytest.raises(TypeError, match="shape_mismatch"):
        shape_mismatch.trace(F32, F32, BLOCK=16)


@kite.kernel
def split_last_dim_not_two(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK)[:, None] * 4 + kl.arange(0, 4)[None, :])
    lo, hi = kl.split(x)  # <- error
    kl.store(x_ptr + kl.arange(0, BLOCK), lo + hi)


def test_split_needs_a_last_dimension_of_two():
    _expect_error(split_last_dim_not_two, (F32,), {"BLOCK": 8}, "kl.split",
                  "last dimension is 2", "[8, 4]")


@kite.kernel
def split_method_on_scalar(x_ptr):
    lo, hi = kl.load(x_ptr).split()  # <- error
    kl.store(x_ptr, lo + hi)


def test_split_of_a_scalar():
    _expect_error(split_method_on_scalar, (F32,), {}, "kl.split", "last dimension is 2", "a scalar")


@kite.kernel
def join_dtype_mismatch(a_ptr, b_ptr):
    a = kl.load(a_ptr + kl.arange(0, 4))
    b = kl.load(b_ptr + kl.arange(0, 4))
    c = kl.join(a, b)  # <- error
    kl.store(a_ptr + kl.arange(0, 4)[:, None] * 2 + kl.arange(0, 2)[None, :], c)


def test_join_needs_one_dtype():
    _expect_error(join_dtype_mismatch, (F32, F16), {}, "kl.join", "same dtype", "fp32", "fp16")


@kite.kernel
def join_shape_mismatch(a_ptr):
    c = kl.join(kl.arange(0, 4), kl.arange(0, 8))  # <- error
    kl.store(a_ptr, kl.sum(kl.sum(c, axis=1), axis=0))


def test_join_operands_must_broadcast():
    _expect_error(join_shape_mismatch, (np.zeros(4, np.int32),), {}, "incompatible shapes",
                  "kl.join", "[4]", "[8]")


@kite.kernel
def cat_without_reorder(a_ptr):
    a = kl.load(a_ptr + kl.arange(0, 4))
    c = kl.cat(a, a)  # <- error
    kl.store(a_ptr + kl.arange(0, 8), c)


def test_cat_needs_can_reorder():
    # Triton 3.6 supports only can_reorder=True (and says so the same way).
    _expect_error(cat_without_reorder, (F32,), {}, "can_reorder=False",
                  "always may reorder elements", "can_reorder=True")


@kite.kernel
def cat_of_2d_blocks(a_ptr):
    a = kl.load(a_ptr + kl.arange(0, 2)[:, None] * 2 + kl.arange(0, 2)[None, :])
    c = kl.cat(a, a, can_reorder=True)  # <- error
    kl.store(a_ptr + kl.arange(0, 8), kl.reshape(c, 8))


def test_cat_needs_1d_blocks():
    _expect_error(cat_of_2d_blocks, (F32,), {}, "kl.cat", "1-D blocks", "[2, 2]")


@kite.kernel
def cat_dtype_mismatch(a_ptr, b_ptr):
    c = kl.cat(kl.load(a_ptr + kl.arange(0, 4)), kl.load(b_ptr + kl.arange(0, 4)),  # <- error
               can_reorder=True)
    kl.store(a_ptr + kl.arange(0, 8), c)


def test_cat_needs_one_dtype():
    _expect_error(cat_dtype_mismatch, (F32, F16), {}, "kl.cat", "same dtype")


I32 = np.zeros(4, np.int32)


@kite.kernel
def gather_rank_mismatch(x_ptr, i_ptr):
    x = kl.load(x_ptr + kl.arange(0, 4)[:, None] * 4 + kl.arange(0, 4)[None, :])
    i = kl.load(i_ptr + kl.arange(0, 4))
    y = kl.gather(x, i, 0)  # <- error
    kl.store(x_ptr + kl.arange(0, 4), y)


def test_gather_needs_one_rank():
    _expect_error(gather_rank_mismatch, (F32, I32), {}, "kl.gather", "same rank",
                  "[4, 4]", "[4]")


@kite.kernel
def gather_shape_mismatch(x_ptr, i_ptr):
    x = kl.load(x_ptr + kl.arange(0, 4)[:, None] * 8 + kl.arange(0, 8)[None, :])
    i = kl.load(i_ptr + kl.arange(0, 2)[:, None] * 8 + kl.arange(0, 8)[None, :])
    y = x.gather(i, 1)  # <- error
    kl.store(x_ptr + kl.arange(0, 2)[:, None] * 8 + kl.arange(0, 8)[None, :], y)


def test_gather_other_dimensions_must_match():
    _expect_error(gather_shape_mismatch, (F32, I32), {}, "kl.gather", "index shape [2, 8]",
                  "src shape [4, 8]", "dimension 0", "not the axis (1)")


@kite.kernel
def gather_float_index(x_ptr):
    x = kl.load(x_ptr + kl.arange(0, 8))
    y = kl.gather(x, x, 0)  # <- error
    kl.store(x_ptr + kl.arange(0, 8), y)


def test_gather_needs_an_integer_index():
    _expect_error(gather_float_index, (F32,), {}, "kl.gather", "integer index", "fp32",
                  ".to(kl.int32)")


@kite.kernel
def gather_bool_index(x_ptr):
    x = kl.load(x_ptr + kl.arange(0, 8))
    y = kl.gather(x, x > 0, 0)  # <- error
    kl.store(x_ptr + kl.arange(0, 8), y)


def test_gather_index_is_not_a_mask():
    _expect_error(gather_bool_index, (F32,), {}, "kl.gather", "integer index", "int1")


@kite.kernel
def gather_bad_axis(x_ptr, i_ptr, AXIS: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, 4)[:, None] * 4 + kl.arange(0, 4)[None, :])
    i = kl.load(i_ptr + kl.arange(0, 4)[:, None] * 4 + kl.arange(0, 4)[None, :])
    y = kl.gather(x, i, AXIS)  # <- error
    kl.store(x_ptr + kl.arange(0, 4)[:, None] * 4 + kl.arange(0, 4)[None, :], y)


@pytest.mark.parametrize("axis", [2, -3])
def test_gather_axis_out_of_range(axis):
    _expect_error(gather_bad_axis, (F32, I32), {"AXIS": axis}, "kl.gather",
                  f"axis {axis} is out of range", "rank 2")


@kite.kernel
def gather_runtime_axis(x_ptr, i_ptr, axis):
    x = kl.load(x_ptr + kl.arange(0, 8))
    y = kl.gather(x, kl.load(i_ptr + kl.arange(0, 8)), axis)  # <- error
    kl.store(x_ptr + kl.arange(0, 8), y)


def test_gather_axis_must_be_a_constexpr():
    _expect_error(gather_runtime_axis, (F32, I32, 3), {}, "kl.gather axis",
                  "compile-time constant")


@kite.kernel
def gather_scalar_source(x_ptr, i_ptr):
    y = kl.gather(kl.load(x_ptr), kl.load(i_ptr + kl.arange(0, 8)), 0)  # <- error
    kl.store(x_ptr + kl.arange(0, 8), y)


def test_gather_needs_blocks():
    _expect_error(gather_scalar_source, (F32, I32), {}, "kl.gather needs blocks",
                  "a scalar as src")
