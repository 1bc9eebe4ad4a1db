"""A pass that fails reaches the user as a kite.CompilationError that names
the kernel and points at the failing op's line (or, where the op has none,
at the kernel's `def`). The failure is forced with the test-only pass
kite-test-fail, run in place of the `kitegpu` stage."""
import inspect

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import _C
from kite.frontend import tracer
from conftest import line_of


@kite.kernel
def add_one_kernel(x_ptr, y_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(y_ptr + offs, x + 1.0)  # ADD


def _failing_kitegpu_stage(monkeypatch, options: str):
    """The `kitegpu` stage replaced by kite-test-fail{options}, its
    diagnostics turned into an error as the stage's are."""
    real = tracer.run_stage

    def run_stage(module_text, stage, debug_info=False, **target):
        if stage != "kitegpu":
            return real(module_text, stage, debug_info, **target)
        result = _C.run_pass_pipeline(module_text, f"builtin.module(kite-test-fail{{{options}}})")
        assert not result.ok
        tracer._raise(result.diagnostics, "the 'kitegpu' stage failed")

    monkeypatch.setattr(tracer, "run_stage", run_stage)


def _compile():
    x = np.zeros(16, np.float32)
    with pytest.raises(kite.CompilationError) as info:
        add_one_kernel.compile(x, x, target="generic", BLOCK=16)
    return info.value


def _def_line(kernel):
    return inspect.getsourcelines(kernel.fn)[1]


def test_failing_op_line_and_kernel_name(monkeypatch):
    _failing_kitegpu_stage(monkeypatch, "op=arith.addf")
    error = _compile()
    assert error.message == ("in kernel 'add_one_kernel': the 'kitegpu' stage failed: "
                             "kite-test-fail: failing at 'arith.addf'")
    assert error.filename == __file__
    assert error.lineno == line_of(add_one_kernel, "# ADD")
    assert "kl.store(y_ptr + offs, x + 1.0)" in str(error)


def test_failure_without_diagnostic_names_the_pass_and_kernel(monkeypatch):
    _failing_kitegpu_stage(monkeypatch, "op=arith.addf silent=true")
    error = _compile()
    assert error.message == (
        "the 'kitegpu' stage failed: pass 'kite-test-fail' failed "
        "on kernel 'add_one_kernel' without a diagnostic (an internal error)")
    assert (error.filename, error.lineno) == (__file__, _def_line(add_one_kernel))


def test_failure_at_an_op_without_a_source_line_points_at_the_kernel(monkeypatch):
    _failing_kitegpu_stage(monkeypatch, "op=builtin.module")
    error = _compile()
    assert error.message == (
        "the 'kitegpu' stage failed: pass 'kite-test-fail' failed "
        "on kernel 'add_one_kernel'\nkite-test-fail: failing at 'builtin.module'")
    assert (error.filename, error.lineno) == (__file__, _def_line(add_one_kernel))


def test_cpp_api_names_the_pass_and_kernel():
    x = np.zeros(16, np.float32)
    raw = add_one_kernel.trace(x, x, BLOCK=16, stage="raw")
    result = _C.run_pass_pipeline(raw, "builtin.module(kite-test-fail{op=arith.addf})")
    assert not result.ok
    assert [(d.severity, d.message, d.line) for d in result.diagnostics] == [
        ("error", "kite-test-fail: failing at 'arith.addf'", line_of(add_one_kernel, "# ADD")),
        ("note", "pass 'kite-test-fail' failed on kernel 'add_one_kernel'",
         _def_line(add_one_kernel))]


def test_layout_conversions_never_fail_the_stage():
    # What used to fail the kitegpu stage with "did not converge": it now
    # compiles, with no warning of the pass's bound either.
    x, bias = np.zeros(4096, np.float16), np.zeros(4096, np.float32)
    raw = mixed_kernel.trace(x, bias, x, BLOCK=1024, stage="raw")
    result = _C.run_stage(raw, "kitegpu", num_warps=4, threads_per_warp=32,
                          max_vector_elements=16)
    assert result.ok and not result.diagnostics, [str(d) for d in result.diagnostics]


@kite.kernel
def mixed_kernel(x_ptr, bias_ptr, out_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, (kl.load(x_ptr + offs) + kl.load(bias_ptr + offs)).to(kl.float16))
