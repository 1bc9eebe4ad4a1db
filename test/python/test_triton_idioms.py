"""Idioms of real Triton kernels that must port unchanged (found in review)."""
import numpy as np
import pytest

import kite
import kite.language as kl

F32 = np.zeros(16, np.float32)
I32 = np.zeros(16, np.int32)
GLOBAL_BLOCK = kl.constexpr(16)
SCALE = 2.0


@kite.kernel
def uses_constexpr_global(x_ptr):
    offs = kl.arange(0, GLOBAL_BLOCK * 2)
    if GLOBAL_BLOCK > 8:
        kl.store(x_ptr + offs, offs.to(kl.float32) * SCALE)


def test_module_level_constexpr_arithmetic_and_live_globals():
    global SCALE
    out = kite.zeros(32, kl.float32)
    uses_constexpr_global[(1,)](out)
    np.testing.assert_array_equal(out.numpy(), np.arange(32) * 2.0)
    SCALE = 3.0
    try:
        uses_constexpr_global[(1,)](out)
    finally:
        SCALE = 2.0
    np.testing.assert_array_equal(out.numpy(), np.arange(32) * 3.0)


@kite.kernel
def guarded(x_ptr, n, BLOCK: kl.constexpr):
    pid = kl.program_id(0)
    if pid * BLOCK >= n:
        return
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, 1.0, mask=offs < n)


def test_early_return_on_a_runtime_guard():
    out = kite.zeros(40, kl.float32)
    guarded[(8,)](out, 40, BLOCK=16)
    np.testing.assert_array_equal(out.numpy(), np.ones(40))
    ir = guarded.trace(F32, 40, BLOCK=16)
    assert "scf.if" in ir and ir.count("kite.store") == 1


@kite.kernel
def ternary(x_ptr):
    pid = kl.program_id(0)
    s = 1.0 if pid == 0 else 2.5
    kl.store(x_ptr + pid, s)


def test_conditional_expression_on_a_runtime_scalar():
    out = kite.zeros(3, kl.float32)
    ternary[(3,)](out)
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.5, 2.5])
    assert "arith.select" in ternary.trace(F32) or "scf.if" in ternary.trace(F32)


@kite.kernel
def reverse_sum(x_ptr, out_ptr, n):
    acc = 0.0
    w = 1.0
    for i in range(n - 1, -1, -1):
        acc += kl.load(x_ptr + i) * w
        w = w * 10.0
    kl.store(out_ptr, acc)


def test_runtime_loop_with_negative_step():
    x = np.array([1, 2, 3], np.float32)
    out = kite.zeros(1, kl.float32)
    reverse_sum[(1,)](kite.from_numpy(x), out, 3)
    assert out.numpy()[0] == 3 + 20 + 100
    assert reverse_sum.trace(F32, F32, 3).count("scf.for") == 1


@kite.kernel
def int_accumulates_float(x_ptr, n):
    acc = 0
    for i in range(n):
        acc += kl.load(x_ptr + i)
    kl.store(x_ptr, acc)


def test_interpreter_checks_loop_carried_types_like_tracing():
    with pytest.raises(kite.CompilationError, match="'acc' changes from int32 to fp32"):
        int_accumulates_float[(1,)](kite.zeros(4, kl.float32), 4)


@kite.kernel
def asserts(x_ptr, n, LIMIT: kl.constexpr):
    assert LIMIT > 0, "LIMIT must be positive"
    pid = kl.program_id(0)
    assert pid < n, "pid out of range"
    kl.store(x_ptr + pid, 1.0)


def test_assert_on_runtime_values_is_a_device_assert():
    assert "kite.assert" in asserts.trace(F32, 4, LIMIT=1)
    with pytest.raises(kite.CompilationError, match="LIMIT must be positive"):
        asserts.trace(F32, 4, LIMIT=0)
    with pytest.raises(kite.KernelRuntimeError, match="pid out of range"):  # the interpreter checks
        asserts[(3,)](kite.zeros(3, kl.float32, device="interpreter"), 2, LIMIT=1)


@kite.kernel
def structural_builtins(a_ptr, b_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    ptrs = (a_ptr + offs, b_ptr + offs)
    vals = (kl.load(ptrs[0]), kl.load(ptrs[1]))
    kl.static_assert(len(vals) == 2 and isinstance(vals[0], kl.tensor))
    for p, v in zip(ptrs, vals):
        kl.store(p, v + 1.0)


def test_structural_builtins_accept_tensors():
    a, b = kite.zeros(8, kl.float32), kite.zeros(8, kl.float32)
    structural_builtins[(1,)](a, b, BLOCK=8)
    assert (a.numpy() == 1).all() and (b.numpy() == 1).all()


@kite.kernel
def tuple_state(x_ptr, n):
    accs = (0.0, 0.0)
    for i in range(n):  # error here
        v = kl.load(x_ptr + i)
        accs = (accs[0] + v, accs[1] + v * v)
    kl.store(x_ptr, accs[0])


def test_tuple_changed_in_a_runtime_loop_is_an_error_not_silently_dropped():
    with pytest.raises(kite.CompilationError, match="'accs' \\(tuple\\) changes in the loop"):
        tuple_state.trace(F32, 4)


@kite.kernel
def float_into_int(x_ptr):
    v = kl.load(x_ptr)
    if kl.program_id(0) == 0:
        v = 0.5
    kl.store(x_ptr, v)


def test_python_float_assigned_to_an_int_variable_in_a_runtime_if_is_an_error():
    with pytest.raises(kite.CompilationError, match="'v' is int32 but is assigned the Python float"):
        float_into_int.trace(I32)


@kite.kernel
def unsigned_shift(x_ptr, out_ptr):
    u = kl.load(x_ptr).to(kl.uint32, bitcast=True)
    kl.store(out_ptr, (u >> 28).to(kl.int32, bitcast=True))


def test_bitcast_to_unsigned_shifts_logically_in_the_interpreter():
    out = kite.zeros(1, kl.int32)
    unsigned_shift[(1,)](kite.from_numpy(np.array([-1], np.int32)), out)
    assert out.numpy()[0] == 15


@kite.kernel
def to_with_rounding(x_ptr, out_ptr):
    kl.store(out_ptr, kl.load(x_ptr).to(kl.float8e5m2, "rtz").to(kl.float32))


def test_to_takes_rounding_as_second_positional_argument():
    out = kite.zeros(1, kl.float32, device="interpreter")  # fp8 is not lowered for devices yet
    to_with_rounding[(1,)](kite.from_numpy(np.array([1.49], np.float32), device="interpreter"), out)
    assert out.numpy()[0] == 1.25  # 1.5 when rounding to nearest


@kite.kernel
def scaled(x_ptr, ALPHA: kl.constexpr):
    kl.store(x_ptr, kl.load(x_ptr) * ALPHA)


def test_constexpr_int_and_float_are_different_specialisations():
    assert "arith.muli" in scaled.trace(I32, ALPHA=2)
    assert "arith.sitofp" in scaled.trace(I32, ALPHA=2.0)


def test_kernel_defined_in_a_function_with_closure_default_and_keyword_only_block():
    block = 8

    @kite.kernel
    def fill(x_ptr, value=3.0, *, BLOCK: kl.constexpr = block):
        offs = kl.arange(0, BLOCK)
        kl.store(x_ptr + offs, value + offs.to(kl.float32) * 0.0)

    out = kite.zeros(8, kl.float32)
    fill[(1,)](out)
    np.testing.assert_array_equal(out.numpy(), np.full(8, 3.0))
    assert "tensor<8xf32>" in fill.trace(F32)


@kite.kernel
def static_loop_with_break_inside_runtime_if(x_ptr, n):
    acc = 0.0
    if n > 0:
        for i in range(4):
            if i == 2:
                break
            acc += 1.0
    kl.store(x_ptr, acc)


def test_static_loop_with_break_inside_a_runtime_if():
    out = kite.zeros(1, kl.float32)
    static_loop_with_break_inside_runtime_if[(1,)](out, 1)
    assert out.numpy()[0] == 2.0
    ir = static_loop_with_break_inside_runtime_if.trace(F32, kl.int32)
    assert "scf.if" in ir or "arith.select" in ir


@kite.kernel
def prints_newline(x_ptr):
    kl.device_print("a \"quoted\"\nline: ", kl.load(x_ptr))


def test_print_prefix_with_newline_and_quotes_gives_valid_ir():
    assert "kite.print" in prints_newline.trace(F32)


@kite.func
def pick_larger_magnitude(a, b):
    if kl.abs(a) >= kl.abs(b):
        return a
    return b


@kite.kernel
def max_magnitude_rows(x_ptr, out_ptr, R: kl.constexpr, C: kl.constexpr):
    offs = kl.arange(0, R)[:, None] * C + kl.arange(0, C)[None, :]
    x = kl.load(x_ptr + offs)
    kl.store(out_ptr + kl.arange(0, R), kl.reduce(x, 1, pick_larger_magnitude))


def test_combine_function_with_python_control_flow_in_the_interpreter():
    x = np.array([[1, -5, 3, 2], [-1, 0, 7, -8]], np.float32)
    out = kite.zeros(2, kl.float32)
    max_magnitude_rows[(1,)](kite.from_numpy(x), out, R=2, C=4)
    np.testing.assert_array_equal(out.numpy(), [-5.0, -8.0])
    ir = max_magnitude_rows.trace(F32, F32, R=2, C=4)
    assert "kite.reduce" in ir and ("scf.if" in ir or "arith.select" in ir)


@kite.func
def clamp_index(i, n):
    if i >= n:
        return n - 1
    return i


@kite.kernel
def gather_clamped(x_ptr, out_ptr, n):
    pid = kl.program_id(0)
    kl.store(out_ptr + pid, kl.load(x_ptr + clamp_index(pid, n)))


def test_helper_with_an_early_return_on_a_runtime_value():
    out = kite.zeros(5, kl.float32)
    gather_clamped[(5,)](kite.from_numpy(np.arange(3, dtype=np.float32)), out, 3)
    np.testing.assert_array_equal(out.numpy(), [0, 1, 2, 2, 2])
    ir = gather_clamped.trace(F32, F32, 3)
    assert "scf.if" in ir or "arith.select" in ir


@kite.kernel
def scalar_increment(counter_ptr, n):
    for i in range(n):
        kl.store(counter_ptr, kl.load(counter_ptr) + 1)


def test_scalar_load_modify_store_is_made_once_per_program():
    counter = kite.zeros(1, kl.int32)
    scalar_increment[(1,)](counter, 5, num_warps=4)
    assert counter.numpy()[0] == 5
