"""kite-compile (tools/kite-compile): a kernel's kite IR compiled ahead of time
into OUT.h and OUT.cpp, built into a C++ program against libkite, and run on
lavapipe and on the fake CUDA driver; what it refuses, and what the program
is told when its device is none the kernel was compiled for."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import kite
import kite.language as kl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
TOOL = os.path.join(BUILD, "bin", "kite-compile")
LIBRARY = os.path.join(BUILD, "lib")
FAKE_CUDA = os.path.join(LIBRARY, "libkite_fake_cuda.so")
COMPILER = shutil.which("c++") or shutil.which("clang++") or shutil.which("g++")
VULKAN = [d for d in kite.devices() if d.startswith("vulkan:")]

pytestmark = pytest.mark.skipif(
    not os.path.exists(TOOL) or not os.path.exists(os.path.join(LIBRARY, "libkite.so")),
    reason="kite-compile and libkite.so are built into build/ by scripts/setup.sh")

PROGRAM = r'''
#include "add.h"

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  auto device = kite::Device::open(argv[1]);
  if (!device) {
    std::printf("no device: %s\n", device.message().c_str());
    return 1;
  }
  auto chosen = kite_aot::add_kernel_for(*device);
  if (!chosen) {
    std::printf("%s\n", chosen.message().c_str());
    return 3;
  }
  if (chosen->backend == "cuda")
    std::printf("PTX %s\n", chosen->ptx.substr(chosen->ptx.find(".target"), 14).c_str());
  const int32_t n = 3001;
  std::vector<float> x(n), y(n), out(n, -1.0f);
  for (int32_t i = 0; i < n; ++i) {
    x[i] = 0.25f * i;
    y[i] = 1.0f - i;
  }
  const uint64_t bytes = n * sizeof(float);
  auto bx = device->allocate(bytes), by = device->allocate(bytes), bout = device->allocate(bytes);
  (void)device->upload(*bx, x.data(), bytes);
  (void)device->upload(*by, y.data(), bytes);
  kite::Status status = kite_aot::add_kernel(*device, {(n + 1023) / 1024, 1, 1}, *bx, *by, *bout, n);
  if (!status) {
    std::printf("launch failed: %s\n", status.message().c_str());
    return 1;
  }
  (void)device->synchronize();
  (void)device->download(*bout, out.data(), bytes);
  int wrong = 0;
  for (int32_t i = 0; i < n; ++i)
    wrong += out[i] != x[i] + y[i];
  std::printf("launched, %d of %d wrong\n", wrong, n);
  return 0;
}
'''


@kite.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
    offsets = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offsets < n
    kl.store(out_ptr + offsets,
             kl.load(x_ptr + offsets, mask=mask) + kl.load(y_ptr + offsets, mask=mask), mask=mask)


def _kernel_ir(tmp_path):
    x = kite.from_numpy(np.zeros(16, np.float32), device="interpreter")
    path = tmp_path / "add.mlir"
    # n = 17: the kernel promises nothing about n (16 would be "divisible by 16")
    path.write_text(add_kernel.trace(x, x, x, 17, BLOCK=1024))
    return path


def _kite_compile(tmp_path, *targets, extra=()):
    args = [TOOL, str(_kernel_ir(tmp_path)), "-o", str(tmp_path / "add")]
    for target in targets:
        args += ["--target", target]
    return subprocess.run(args + list(extra), capture_output=True, text=True, timeout=600)


def _build(tmp_path):
    # scripts/setup.sh installs clang: a machine that runs these tests has one.
    assert COMPILER is not None, "no C++ compiler (c++, clang++ or g++) on PATH"
    (tmp_path / "main.cpp").write_text(PROGRAM)
    build = subprocess.run([COMPILER, "-std=c++17", "-O1", str(tmp_path / "main.cpp"),
                            str(tmp_path / "add.cpp"), "-o", str(tmp_path / "main"),
                            f"-I{tmp_path}", f"-I{os.path.join(ROOT, 'include')}",
                            f"-L{LIBRARY}", "-lkite", f"-Wl,-rpath,{LIBRARY}"],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    return str(tmp_path / "main")


def _run(program, device, **env):
    return subprocess.run([program, device], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **env))


@pytest.mark.skipif(not VULKAN, reason="no Vulkan device")
def test_a_kernel_compiled_ahead_of_time_runs_from_cpp(tmp_path):
    made = _kite_compile(tmp_path, "cuda:sm_80", "cuda:sm_90a", VULKAN[0])
    assert made.returncode == 0, made.stderr
    assert "add_kernel for cuda:sm_80, cuda:sm_90a, vulkan (subgroup" in made.stdout
    header = (tmp_path / "add.h").read_text()
    assert "kite::Status add_kernel(const kite::Device &device, std::array<uint32_t, 3> grid" \
        in header and "int32_t arg3 /* i32 */" in header
    program = _build(tmp_path)
    run = _run(program, VULKAN[0])
    assert run.returncode == 0 and "launched, 0 of 3001 wrong" in run.stdout, run.stdout + run.stderr
    if os.path.exists(FAKE_CUDA):  # cuda:0 of the fake driver is an sm_90: the sm_90a PTX
        run = _run(program, "cuda:0", KITE_LIBCUDA=FAKE_CUDA)
        assert run.returncode == 0 and "PTX .target sm_90a" in run.stdout, \
            run.stdout + run.stderr


@pytest.mark.skipif(not os.path.exists(FAKE_CUDA), reason="the fake CUDA driver is not built")
def test_older_ptx_runs_on_a_newer_gpu_and_other_devices_are_told(tmp_path):
    made = _kite_compile(tmp_path, "cuda:sm_80")
    assert made.returncode == 0, made.stderr
    program = _build(tmp_path)
    run = _run(program, "cuda:0", KITE_LIBCUDA=FAKE_CUDA)
    assert run.returncode == 0 and "PTX .target sm_80" in run.stdout, run.stdout + run.stderr
    if VULKAN:
        run = _run(program, VULKAN[0])
        assert run.returncode == 3
        assert f"add_kernel was compiled ahead of time for cuda:sm_80, not for '{VULKAN[0]}' " \
               "(subgroup" in run.stdout and "run kite-compile for it" in run.stdout, run.stdout


@pytest.mark.parametrize("targets, extra, code, message", [
    (["cuda:0"], [], 1, "name an NVIDIA architecture"),
    (["cuda:sm_80", "cuda:sm_80"], [], 1, "the same kind of kernel as an earlier target"),
    (["cuda:sm_80"], ["--num-warps", "3"], 1, "numWarps must be a power of two"),
    (["cuda:sm_80"], ["--num-warps", "x"], 2, "--num-warps takes a positive integer"),
    (["cuda:sm_80"], ["--namespace", "not valid"], 2, "--namespace must be a C++ identifier"),
    (["cuda:sm_80"], ["--frobnicate"], 2, "unknown option --frobnicate"),
])
def test_mistakes_are_named(tmp_path, targets, extra, code, message):
    made = _kite_compile(tmp_path, *targets, extra=extra)
    assert made.returncode == code and message in made.stderr, made.stderr
    assert not (tmp_path / "add.h").exists()


def test_a_kernel_named_like_a_cpp_keyword_is_refused(tmp_path):
    # `def new(...)` is a fine Python kernel; `kite::Status new(...)` is no C++.
    ir = tmp_path / "new.mlir"
    ir.write_text(_kernel_ir(tmp_path).read_text().replace("@add_kernel", "@new"))
    made = subprocess.run([TOOL, str(ir), "-o", str(tmp_path / "new")], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 1
    assert "the kernel's name 'new' is no C++ identifier (or is a C++ keyword)" in made.stderr
    made = _kite_compile(tmp_path, "cuda:sm_80", extra=["--namespace", "class"])
    assert made.returncode == 2 and "--namespace must be a C++ identifier" in made.stderr


def test_ir_that_does_not_compile_names_the_stage(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @k(%a: i32) attributes {kite.kernel} {\n  %x = kite.nonsense\n}\n")
    made = subprocess.run([TOOL, str(bad), "-o", str(tmp_path / "bad")], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 1 and "cuda:sm_80: compile: stage 'kite' failed" in made.stderr, \
        made.stderr
    missing = subprocess.run([TOOL, str(tmp_path / "none.mlir"), "-o", str(tmp_path / "x")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
