"""kl.device_print and kl.device_assert on a real NVIDIA GPU (skipped
elsewhere: the fake driver runs no kernel). Each runs in a child process:
CUDA's printf reaches the process's stdout when the context synchronizes,
and a failed assert leaves the process's context unusable."""
import os
import subprocess
import sys

import numpy as np
import pytest

import kite
import kite.language as kl

HERE = os.path.dirname(os.path.abspath(__file__))


@kite.kernel
def print_kernel(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.program_id(0) * BLOCK + kl.arange(0, BLOCK))
    kl.device_print("vals: ", x)


@kite.kernel
def assert_kernel(x_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs, mask=offs < n, other=0)
    kl.device_assert(x >= 0, "x must be non-negative")  # ASSERT-LINE


def launch_print():
    x = kite.from_numpy(np.array([11, 22, 33, 44, 55, 66, 77, 88], np.int32), device="cuda:0")
    print_kernel[(2,)](x, BLOCK=4, num_warps=1)
    kite.runtime.device("cuda:0").synchronize()


def launch_failing_assert():
    x = kite.from_numpy(np.array([0, 1, 2, 3, 4, -5, 6, 7], np.int32), device="cuda:0")
    assert_kernel[(2,)](x, 8, BLOCK=4, num_warps=1)
    kite.runtime.device("cuda:0").synchronize()


def _has_gpu() -> bool:
    if os.environ.get("KITE_LIBCUDA"):  # a fake or a stub
        return False
    return any(d.startswith("cuda:") for d in kite.devices())


needs_gpu = pytest.mark.skipif(not _has_gpu(), reason="no CUDA GPU and driver here")


def _child(function: str) -> subprocess.CompletedProcess:
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, HERE,
                                                       os.environ.get("PYTHONPATH", "")]))
    code = f"import test_cuda_gpu_debug as t; t.{function}()"
    return subprocess.run([sys.executable, "-c", code], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=300)


@needs_gpu
def test_device_print_prints_each_threads_values_with_its_program_and_thread():
    run = _child("launch_print")
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if "vals: " in line]
    assert lines, run.stdout
    assert all(line.startswith("pid (") and " thread " in line for line in lines), lines
    printed = " ".join(line.split("vals: ", 1)[1] for line in lines).split()
    assert sorted(map(int, printed)) == [11, 22, 33, 44, 55, 66, 77, 88], lines
    assert any(line.startswith("pid (1, 0, 0)") and "55" in line for line in lines), lines


@needs_gpu
def test_a_failing_device_assert_raises_and_the_driver_names_the_line():
    run = _child("launch_failing_assert")
    assert run.returncode != 0
    assert "CUDA_ERROR_ASSERT" in run.stderr and "kl.device_assert failed" in run.stderr, run.stderr
    line = next(i for i, text in enumerate(open(__file__), 1) if "# ASSERT-LINE" in text)
    assert "x must be non-negative" in run.stderr and f":{line}" in run.stderr, run.stderr
