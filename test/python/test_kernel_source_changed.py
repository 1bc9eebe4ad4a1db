"""A kernel's file edited after its module was imported: Kite reads kernel
source from the file at the line numbers recorded at import, so it checks
that the def it finds there is still the running function's (name,
parameters, first line) and says so where it is not, instead of compiling
other lines (docs/frontend.md, "Source from the file")."""
import importlib.util

import numpy as np
import pytest

import kite
import kite.language as kl

COPY = '''
@kite.jit
def copy(x_ptr, y_ptr, N, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, kl.load(x_ptr + offs, mask=offs < N), mask=offs < N)
'''
# A kernel of other parameters written above copy: copy's recorded line now
# holds it (what used to end in a TypeError about the arity of the traced
# function).
SCALE = '''
@kite.jit
def scale(x_ptr, N, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, 2 * kl.load(x_ptr + offs))
'''
HEADER = "import kite\nimport kite.language as kl\n"


def _import(path, text):
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"edited_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(kernel, how):
    x = np.arange(16, dtype=np.float32)
    if how == "compile":  # the compiled path: cache key, then the trace
        return kernel.compile(x, x, 16, BLOCK=16, target="generic")
    y = kite.zeros((16,), kl.float32, device="interpreter")
    kernel[(1,)](kite.from_numpy(x, device="interpreter"), y, 16, BLOCK=16)
    return y.numpy()


def _expect_changed(module, how, detail):
    first_line = module.copy.fn.__code__.co_firstlineno
    with pytest.raises(kite.CompilationError) as info:
        _launch(module.copy, how)
    error = info.value
    assert (error.filename, error.lineno) == (module.__file__, first_line)
    text = str(error)
    assert ("the source of kernel 'copy' changed on disk since it was imported "
            f"({detail}); re-import its module (importlib.reload) or restart the program "
            "to compile the new source") in text, text


@pytest.mark.parametrize("how", ["interpreter", "compile"])
def test_a_kernel_written_above_takes_the_recorded_line(tmp_path, how):
    module = _import(tmp_path / "kernels.py", HEADER + COPY)
    (tmp_path / "kernels.py").write_text(HEADER + SCALE + COPY)
    _expect_changed(module, how, "line 4 now defines scale(x_ptr, N, BLOCK), not "
                                 "copy(x_ptr, y_ptr, N, BLOCK)")


@pytest.mark.parametrize("how", ["interpreter", "compile"])
def test_lines_removed_above_move_the_def_up(tmp_path, how):
    # inspect looks back from the recorded line (now in copy's body) to the
    # nearest def: copy's own, one line earlier than the code object's
    # first line (its decorator's).
    module = _import(tmp_path / "kernels.py", HEADER + "\n\n" + COPY)
    (tmp_path / "kernels.py").write_text(HEADER + COPY)
    _expect_changed(module, how, "copy(x_ptr, y_ptr, N, BLOCK) now starts at line 5, not "
                                 "line 6")


def test_a_file_cut_short(tmp_path):
    module = _import(tmp_path / "kernels.py", HEADER + "\n" * 10 + COPY)
    (tmp_path / "kernels.py").write_text(HEADER)
    _expect_changed(module, "interpreter", "the file now ends at line 2")


def test_a_line_that_no_longer_starts_a_function(tmp_path):
    module = _import(tmp_path / "kernels.py", HEADER + COPY)
    (tmp_path / "kernels.py").write_text("# edited\n" * 12)
    _expect_changed(module, "interpreter", "line 4 no longer starts a function")


STACKED = '''
@kite.autotune(configs=[kite.Config({"BLOCK": 16})],
               key=["N"])
@kite.jit(
    do_not_specialize=["N"])
def copy(x_ptr, y_ptr, N, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, kl.load(x_ptr + offs, mask=offs < N), mask=offs < N)
'''


def test_kernels_whose_lines_did_not_move_still_compile(tmp_path):
    # Decorators over several lines: the code object's first line is the
    # first decorator's, the AST's def line is later. A function added at
    # the end of the file moves neither kernel.
    text = HEADER + STACKED + COPY.replace("copy", "copy2")
    module = _import(tmp_path / "kernels.py", text)
    (tmp_path / "kernels.py").write_text(text + SCALE)
    x = kite.from_numpy(np.arange(16, dtype=np.float32), device="interpreter")
    y = kite.zeros((16,), kl.float32, device="interpreter")
    module.copy[(1,)](x, y, 16)
    np.testing.assert_array_equal(y.numpy(), np.arange(16))
    np.testing.assert_array_equal(_launch(module.copy2, "interpreter"), np.arange(16))
    assert _launch(module.copy2, "compile").asm


def test_a_reimported_module_compiles_the_new_source(tmp_path):
    path = tmp_path / "kernels.py"
    module = _import(path, HEADER + COPY)
    path.write_text(HEADER + SCALE + COPY)
    with pytest.raises(kite.CompilationError):
        _launch(module.copy, "interpreter")
    module = _import(path, HEADER + SCALE + COPY)
    np.testing.assert_array_equal(_launch(module.copy, "interpreter"), np.arange(16))
