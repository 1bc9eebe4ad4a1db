"""Launching kernels: Triton's kernel[grid](...) with grids as tuples or
functions of the meta-parameters, KITE_INTERPRET, and argument checks."""
import numpy as np
import pytest

import kite
import kite.language as kl


@kite.kernel
def fill_pid(out_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.program_id(0) + kl.zeros((BLOCK,), kl.int32), mask=offs < n)


def test_grid_as_function_of_meta_parameters():
    out = kite.zeros(100, kl.int32, device="interpreter")
    seen = {}

    def grid(meta):
        seen.update(meta)
        return (kite.cdiv(meta["n"], meta["BLOCK"]),)

    fill_pid[grid](out, 100, BLOCK=32, num_warps=4)
    np.testing.assert_array_equal(out.numpy(), np.arange(100) // 32)
    assert seen["BLOCK"] == 32 and seen["n"] == 100


def test_kite_interpret_runs_on_numpy_arrays_in_place(monkeypatch):
    monkeypatch.setenv("KITE_INTERPRET", "1")
    out = np.full(70, -1, np.int32)
    fill_pid[(3,)](out, 70, BLOCK=32)
    np.testing.assert_array_equal(out, np.arange(70) // 32)


def test_tensor_api():
    t = kite.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3), device="interpreter")
    assert t.shape == (2, 3) and t.dtype == kl.float32 and t.device == "interpreter"
    assert isinstance(t.data_ptr(), int) and t.data_ptr() != 0
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3))
    b = kite.from_numpy(np.array([1.0, 1.00390625, 3.14159], np.float32), dtype=kl.bfloat16)
    np.testing.assert_array_equal(b.numpy(), np.array([1.0, 1.0, 3.140625], np.float32))


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown or unavailable device 'cuda:0'"):
        kite.empty(4, kl.float32, device="cuda:0")


def test_calling_a_kernel_without_a_grid_says_how():
    with pytest.raises(TypeError, match=r"fill_pid\[grid\]"):
        fill_pid(np.zeros(4, np.int32), 4, BLOCK=4)


def test_bad_grid():
    with pytest.raises(ValueError, match="grid"):
        fill_pid[(1, 1, 1, 1)](kite.zeros(4, kl.int32), 4, BLOCK=4)


def test_unsupported_argument_type():
    with pytest.raises(TypeError, match="argument 'n' of Python type str"):
        fill_pid[(1,)](kite.zeros(4, kl.int32), "four", BLOCK=4)


def test_host_cdiv():
    assert kite.cdiv(10, 4) == 3 and kite.cdiv(8, 4) == 2


@kite.kernel
def loop_variable_is_a_scalar(out_ptr, n):
    acc = 0.0
    for i in range(n):
        acc += i.to(kl.float32) * 0.5
    kl.store(out_ptr, acc)


def test_runtime_loop_variable_is_an_int32_scalar_in_the_interpreter():
    out = kite.zeros(1, kl.float32, device="interpreter")
    loop_variable_is_a_scalar[(1,)](out, 5)
    assert out.numpy()[0] == 5.0
    assert "scf.for" in loop_variable_is_a_scalar.trace(out, 5)


@kite.kernel
def uses_undefined(out_ptr, n):
    if n > 10:
        y = 1.0
    kl.store(out_ptr, y)


def test_interpreter_reports_a_variable_undefined_on_the_taken_path():
    with pytest.raises(kite.CompilationError, match="'y' is used here but is not defined"):
        uses_undefined[(1,)](kite.zeros(1, kl.float32, device="interpreter"), 3)
    out = kite.zeros(1, kl.float32, device="interpreter")
    uses_undefined[(1,)](out, 30)
    assert out.numpy()[0] == 1.0


@kite.kernel
def stops_in_debugger(out_ptr, n):
    x = n * 2
    breakpoint()
    kl.store(out_ptr, x)


def test_breakpoint_stops_in_the_kernels_frame_with_its_values(monkeypatch):
    import pdb
    seen = {}

    def fake_set_trace(self, frame=None):
        seen["function"] = frame.f_code.co_name
        seen["x"] = int(frame.f_locals["x"])

    monkeypatch.setattr(pdb.Pdb, "set_trace", fake_set_trace)
    out = kite.zeros(1, kl.int32, device="interpreter")  # only the interpreter runs Python
    stops_in_debugger[(1,)](out, 21)
    assert seen == {"function": "stops_in_debugger", "x": 42}
    assert out.numpy()[0] == 42
