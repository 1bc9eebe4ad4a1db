"""What a user who builds Kite from source sees when the machine lacks LLVM
and MLIR: the configure step says what to install, instead of a bare CMake
package error (or a silent install of the interpreter alone)."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(shutil.which("cmake") is None, reason="no cmake")
def test_a_machine_without_mlir_is_told_what_to_install(tmp_path):
    # MLIR made unfindable: every package search is confined to a root
    # that does not exist.
    run = subprocess.run(["cmake", "-S", ROOT, "-B", str(tmp_path / "build"),
                          "-DCMAKE_FIND_ROOT_PATH=/nonexistent",
                          "-DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY",
                          "-DKITE_BUILD_PYTHON=OFF", "-DKITE_BUILD_TESTS=OFF"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    message = " ".join((run.stdout + run.stderr).split())
    assert "Kite: LLVM and MLIR 22 were not found" in message, message[-2000:]
    assert "apt-get install llvm-22-dev libmlir-22-dev mlir-22-tools" in message
    assert "KITE_STATIC_LLVM=ON" in message


def test_kite_opt_comes_with_the_package(tmp_path):
    # The `kite-opt` command of the package (python/kite/tools/opt.py) runs
    # libkite's driver: the kite stage of a kernel, and the parser's error
    # with its line for text that is none.
    import sys
    good = tmp_path / "add.mlir"
    good.write_text(open(os.path.join(ROOT, "test", "unit", "data", "vector_add.kite.mlir")).read())
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    run = subprocess.run([sys.executable, "-m", "kite.tools.opt", str(good), "--kite-pipeline"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "func.func @add_kernel" in run.stdout and "kite.program_id" in run.stdout
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @k() {\n  %x = kite.nonsense\n}\n")
    run = subprocess.run([sys.executable, "-m", "kite.tools.opt", str(bad)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1
    assert "bad.mlir:2:" in run.stderr, run.stderr
