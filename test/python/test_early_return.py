"""Early returns as Triton kernels write them: under a runtime `if`, nested in
compile-time and runtime ifs, in kernels and in @kite.func helpers; only a
return inside a runtime loop is refused (at its loop's line). A variable
given another type after the return is dead on the returning path, so it is
no type conflict."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import assert_close, line_of, run

F32 = np.zeros(4, np.float32)
I32 = np.zeros(4, np.int32)


@kite.kernel
def bias_rows_kernel(x_ptr, bias_ptr, out_ptr, n_rows, n_cols, HAS_BIAS: kl.constexpr,
                     BLOCK: kl.constexpr):
    # A runtime guard inside a compile-time branch, then more work after both.
    row = kl.program_id(0)
    cols = kl.arange(0, BLOCK)
    mask = cols < n_cols
    x = kl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    if HAS_BIAS:
        if row >= n_rows:
            return
        x += kl.load(bias_ptr + cols, mask=mask, other=0.0)
    kl.store(out_ptr + row * n_cols + cols, x * 2.0, mask=mask)


@pytest.mark.parametrize("has_bias", [True, False])
def test_return_under_a_runtime_if_inside_a_constexpr_if(has_bias):
    rows, cols, grid = 5, 12, 8  # three programs past the last row
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (grid, cols)).astype(np.float32)
    bias = rng.uniform(-1, 1, cols).astype(np.float32)
    out = run(bias_rows_kernel, (grid,), x, bias, np.full((grid, cols), -7.0, np.float32),
              rows, cols, HAS_BIAS=has_bias, BLOCK=16)[2]
    if has_bias:
        assert_close(out[:rows], (x[:rows] + bias) * 2.0)
        np.testing.assert_array_equal(out[rows:], -7.0)  # returned before storing
    else:
        assert_close(out, x * 2.0)


@kite.kernel
def convert_after_guard_kernel(out_ptr, s, n, BLOCK: kl.constexpr):
    # `s` is an int32 argument; after the guard it becomes fp32 (dead on the
    # returning path, so no conflict where the paths meet).
    pid = kl.program_id(0)
    if pid >= n:
        return
    s = s.to(kl.float32)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, offs.to(kl.float32) * s / 4)


def test_variable_changing_type_after_an_early_return():
    n, block, grid = 3, 8, 5
    out = run(convert_after_guard_kernel, (grid,), np.full(grid * block, -1.0, np.float32), 3,
              n, BLOCK=block)
    assert_close(out[:n * block], np.arange(n * block, dtype=np.float32) * 3 / 4)
    np.testing.assert_array_equal(out[n * block:], -1.0)


@kite.kernel
def nested_runtime_returns_kernel(out_ptr, n, limit, BLOCK: kl.constexpr):
    # Returns under runtime ifs nested in a runtime if, code after each.
    pid = kl.program_id(0)
    offs = pid * BLOCK + kl.arange(0, BLOCK)
    value = offs * 0 + pid
    if pid < n:
        if pid % 2 == 1:
            kl.store(out_ptr + offs, value * 10)
            return
        value += 100
        if pid > limit:
            return
    kl.store(out_ptr + offs, value)


def test_returns_nested_in_runtime_ifs():
    n, limit, block, grid = 6, 3, 4, 8
    out = run(nested_runtime_returns_kernel, (grid,), np.full(grid * block, -1, np.int32),
              n, limit, BLOCK=block)
    expected = []
    for pid in range(grid):
        if pid < n and pid % 2 == 1:
            expected += [pid * 10] * block
        elif pid < n and pid > limit:
            expected += [-1] * block
        else:
            expected += [pid + (100 if pid < n else 0)] * block
    np.testing.assert_array_equal(out, expected)


@kite.func
def clamp_index(i, n, HAS_LIMIT: kl.constexpr):
    if HAS_LIMIT:
        if i >= n:
            return n - 1
        if i < 0:
            return 0
    return i


@kite.kernel
def helper_returns_kernel(out_ptr, n):
    pid = kl.program_id(0)
    kl.store(out_ptr + pid, clamp_index(pid - 2, n, True))
    kl.store(out_ptr + 8 + pid, clamp_index(pid - 2, n, False))


def test_helper_returning_values_under_nested_ifs():
    out = run(helper_returns_kernel, (8,), np.zeros(16, np.int32), 4)
    np.testing.assert_array_equal(out[:8], np.clip(np.arange(8) - 2, 0, 3))
    np.testing.assert_array_equal(out[8:], np.arange(8) - 2)


def test_one_store_traced_per_path_and_no_result_for_dead_variables():
    ir = convert_after_guard_kernel.trace(F32, 3, 3, BLOCK=8)
    assert ir.count("kite.store") == 1 and ir.count("scf.if") == 1, ir
    # The scf.if has no results: `s` is not read after it.
    assert "= scf.if" not in ir, ir


@kite.kernel
def still_a_conflict(out_ptr, s, n):
    pid = kl.program_id(0)
    if pid < n:
        s = s.to(kl.float32)  # <- conflict
    kl.store(out_ptr + pid, s)


def test_a_live_variable_of_two_types_is_still_an_error():
    with pytest.raises(kite.CompilationError) as info:
        still_a_conflict.trace(F32, 3, 3)
    assert info.value.lineno == line_of(still_a_conflict, "# <- conflict")
    assert "variable 's' is fp32 in one branch" in str(info.value)


@kite.kernel
def return_in_runtime_for(out_ptr, n):
    for i in range(n):  # <- loop
        if i == 3:
            return
        kl.store(out_ptr + i, i)


@kite.kernel
def return_in_runtime_while(out_ptr, n):
    i = 0
    while i < n:  # <- loop
        if i == 3:
            return
        kl.store(out_ptr + i, i)
        i += 1


@pytest.mark.parametrize("kernel", [return_in_runtime_for, return_in_runtime_while])
def test_return_inside_a_runtime_loop_is_refused_at_the_loop(kernel):
    with pytest.raises(kite.CompilationError) as info:
        kernel.trace(I32, 5)
    assert info.value.lineno == line_of(kernel, "# <- loop"), str(info.value)
    line = line_of(kernel, "            return")
    assert f"holds `return` at line {line}" in str(info.value), str(info.value)
    assert "a runtime loop cannot be left early" in str(info.value)


@kite.kernel
def return_in_static_loop_kernel(out_ptr, STOP: kl.constexpr):
    for i in kl.static_range(8):
        if i == STOP:
            return
        kl.store(out_ptr + i, i + 1)


def test_return_inside_an_unrolled_loop_still_works():
    out = run(return_in_static_loop_kernel, (1,), np.zeros(8, np.int32), STOP=5)
    np.testing.assert_array_equal(out, [1, 2, 3, 4, 5, 0, 0, 0])


@kite.kernel
def guard_and_return_in_unrolled_loop(out_ptr, n, STOP: kl.constexpr):
    if kl.program_id(0) >= n:  # <- guard
        return  # <- first return
    for i in kl.static_range(8):
        if i == STOP:
            return
        kl.store(out_ptr + i, i + 1)


def test_runtime_guard_beside_a_return_in_an_unrolled_loop_is_refused_at_the_guard():
    with pytest.raises(kite.CompilationError) as info:
        guard_and_return_in_unrolled_loop.trace(I32, 1, STOP=5)
    assert info.value.lineno == line_of(guard_and_return_in_unrolled_loop, "# <- guard")
    line = line_of(guard_and_return_in_unrolled_loop, "# <- first return")
    assert f"this if holds `return` at line {line}" in str(info.value), str(info.value)
    assert "no return inside a loop" in str(info.value)


@kite.kernel
def many_nested_guards(out_ptr, a, b):
    if a > 0:
        if b > 0:
            return
    if a > 1:
        if b > 1:
            return
    if a > 2:
        if b > 2:
            return
    if a > 3:
        if b > 3:
            return
    if a > 4:
        if b > 4:
            return
    if a > 5:
        if b > 5:
            return
    if a > 6:
        if b > 6:
            return
    if a > 7:
        if b > 7:
            return
    kl.store(out_ptr, a + b)


def test_returns_that_would_copy_the_code_exponentially_are_refused():
    # Each `if a > i` continues on both paths: the code after it is traced
    # once per path, 2**8 times here.
    with pytest.raises(kite.CompilationError) as info:
        many_nested_guards.trace(I32, 3, 3)
    # At the `if` whose copy goes past the limit (16 statements per statement).
    assert str(info.value).splitlines()[1].strip().startswith("if a > "), str(info.value)
    assert "copy the code after them into too many paths" in str(info.value)
    assert "`if a and b: return`" in str(info.value)


@kite.kernel
def counted_after_branch_kernel(out_ptr, n):
    # `steps` is read after the runtime if by `+=` alone, and `unused` not at
    # all (its two types do not matter).
    pid = kl.program_id(0)
    steps = pid
    unused = pid
    if pid < n:
        steps = steps * 10
        unused = 0.5
    steps += 1
    kl.store(out_ptr + pid, pid * 2)


def test_augmented_assignment_after_a_branch_reads_the_merged_value():
    out = run(counted_after_branch_kernel, (6,), np.zeros(6, np.int32), 3)
    np.testing.assert_array_equal(out, np.arange(6) * 2)
