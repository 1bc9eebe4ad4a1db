"""Triton's host API as Triton code calls it, with ``import kite as triton``:
``@triton.jit`` (bare and with options), a kernel parameter named like a
launch option, what a launch and ``warmup`` return and the
``CompiledKernel`` surface (``metadata.shared``, ``asm``, ``n_regs``), and
``KITE_INTERPRET=1`` running an unchanged script. Kernels run on
KITE_TEST_DEVICE. (Autotune's hooks: test_autotune_hooks.py.)"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kite as triton
import kite.language as tl
from conftest import DEVICE, NUM_WARPS, run


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


def test_jit_is_the_decorator_and_kernel_its_alias():
    assert triton.jit is triton.kernel
    assert isinstance(add_kernel, triton.KernelFunction)
    x = np.arange(100, dtype=np.float32)
    y = np.full(100, 0.5, np.float32)
    out = run(add_kernel, (triton.cdiv(100, 64),), x, y, np.zeros_like(x), 100,
              BLOCK_SIZE=64)[2]
    np.testing.assert_array_equal(out, x + y)


@triton.jit
def _leaky(x, slope):
    # A helper decorated as Triton code decorates helpers: inlined where called.
    return tl.where(x >= 0, x, x * slope)


@triton.jit
def leaky_kernel(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, _leaky(tl.load(x_ptr + offs), 0.01))


def test_jit_helpers_are_called_from_jit_kernels():
    x = np.linspace(-4, 4, 64, dtype=np.float32)
    out = run(leaky_kernel, (1,), x, np.zeros_like(x), BLOCK=64)[1]
    np.testing.assert_allclose(out, np.where(x >= 0, x, x * np.float32(0.01)), rtol=1e-6)


def _scale(x_ptr, n, factor, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(x_ptr + offs, tl.load(x_ptr + offs, mask=offs < n) * factor, mask=offs < n)


def test_jit_called_on_a_function_and_with_options():
    plain = triton.jit(_scale)
    chosen = triton.jit(do_not_specialize=["n"], debug=False,
                        do_not_specialize_on_alignment=["x_ptr"], noinline=True)(_scale)
    x = np.arange(16, dtype=np.float32)
    np.testing.assert_array_equal(run(plain, (1,), x, 16, 3.0, BLOCK=16), x * 3)
    np.testing.assert_array_equal(run(chosen, (1,), x, 1, 3.0, BLOCK=16), np.r_[0, x[1:]])
    # n=1 stays an argument; x_ptr is compiled without its 16-byte alignment.
    signature = next(line for line in chosen.trace(x, 1, 2.0, BLOCK=16).splitlines()
                     if "func.func" in line)
    assert "%arg1: i32" in signature and "%arg0: !kite.ptr<f32>," in signature
    aligned = next(line for line in plain.trace(x, 32, 2.0, BLOCK=16).splitlines()
                   if "func.func" in line)
    assert "%arg0: !kite.ptr<f32> {kite.divisibility = 16" in aligned


def test_jit_debug_is_the_launches_default():
    checked = triton.jit(debug=True)(_scale)
    x = np.zeros(16, np.float32)
    assert checked.specialize((x, 16, 1.0), {"BLOCK": 16})[1]["debug"] is True
    assert checked.specialize((x, 16, 1.0), {"BLOCK": 16, "debug": False})[1]["debug"] is False
    with pytest.raises(ValueError, match=r"debug of _scale must be True, False or None, got 1"):
        triton.jit(debug=1)(_scale)
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_warp'"):
        triton.jit(num_warp=4)(_scale)


@triton.jit
def warps_kernel(out_ptr, num_warps: tl.constexpr, num_stages: tl.constexpr):
    # Triton passes num_warps= and num_stages= to the option and to the
    # parameter of the same name.
    offs = tl.arange(0, 32)
    tl.store(out_ptr + offs, tl.full((32,), num_warps * 10 + num_stages, tl.int32))


def test_a_parameter_named_like_a_launch_option_gets_the_value_too():
    out = np.zeros(32, np.int32)
    result = run(warps_kernel, (1,), out, num_warps=2, num_stages=3)
    np.testing.assert_array_equal(result, np.full(32, 23))
    if DEVICE != "interpreter":
        device_out = triton.zeros(32, tl.int32, device=DEVICE)
        compiled = warps_kernel[(1,)](device_out, num_warps=2, num_stages=3)
        assert compiled.metadata.num_warps == 2 and compiled.metadata.num_stages == 3


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, BLOCK: tl.constexpr):
    # A reduction across warps: it needs shared memory.
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr, tl.sum(tl.load(x_ptr + offs), axis=0))


def test_a_launch_and_warmup_return_the_compiled_kernel():
    if DEVICE == "interpreter":
        pytest.skip("the interpreter compiles nothing: a launch there returns None")
    x = triton.from_numpy(np.arange(256, dtype=np.float32), device=DEVICE)
    out = triton.zeros(1, tl.float32, device=DEVICE)
    warmed = row_sum_kernel.warmup(x, out, BLOCK=256, num_warps=NUM_WARPS, grid=(1,))
    assert out.numpy()[0] == 0  # warmup launches nothing
    launched = row_sum_kernel[(1,)](x, out, BLOCK=256, num_warps=NUM_WARPS)
    assert out.numpy()[0] == np.arange(256).sum()
    assert launched is warmed
    again = row_sum_kernel[(1,)](x, out, BLOCK=256, num_warps=NUM_WARPS)  # the fast path
    assert again is launched
    metadata = launched.metadata
    assert metadata.name == "row_sum_kernel" and metadata.num_warps == NUM_WARPS
    assert metadata.num_stages == 3  # Triton's default: none was given
    assert metadata["shared"] == metadata.shared
    # One partial sum per warp goes through shared memory.
    assert metadata.shared >= (4 * NUM_WARPS if NUM_WARPS > 1 else 0)
    assert launched.asm["ttir"] == launched.asm["kite"]
    assert launched.asm["ttgir"] == launched.asm["kitegpu"]
    with pytest.raises(AttributeError, match="metadata has no 'cluster'"):
        metadata.cluster


def test_compiled_kernel_for_sm_90_reports_shared_memory_and_registers():
    from kite import ptxas
    if ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) is not installed")
    compiled = row_sum_kernel.compile(np.zeros(1, np.float32), np.zeros(1, np.float32),
                                      BLOCK=1024, num_warps=8, target="cuda:sm_90")
    assert compiled.metadata.shared >= 8 * 4
    assert compiled.n_regs > 0 and compiled.n_spills == 0
    for stage in ("ttir", "ttgir", "llir", "ptx", "cubin"):  # Triton's asm keys for CUDA
        assert compiled.asm[stage], stage


_UNCHANGED_SCRIPT = """
import numpy as np
import kite as triton
import kite.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask)
             + tl.load(y_ptr + offsets, mask=mask), mask=mask)


x = triton.from_numpy(np.arange(1000, dtype=np.float32))
y = triton.from_numpy(np.ones(1000, np.float32))
out = triton.empty(x.shape, tl.float32)
zeros = triton.zeros(4)
grid = lambda meta: (triton.cdiv(1000, meta["BLOCK_SIZE"]),)
add_kernel[grid](x, y, out, 1000, BLOCK_SIZE=256)
assert (out.numpy() == np.arange(1000) + 1).all()
print(triton.default_device(), x.device, out.device, zeros.device)
"""


def test_kite_interpret_runs_an_unchanged_script_on_the_interpreter(tmp_path):
    script = tmp_path / "add.py"
    script.write_text(textwrap.dedent(_UNCHANGED_SCRIPT))
    env = dict(os.environ, KITE_INTERPRET="1",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("KITE_DEVICE", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["interpreter"] * 4


def test_kite_interpret_makes_the_interpreter_the_default_device(monkeypatch):
    monkeypatch.setenv("KITE_INTERPRET", "1")
    monkeypatch.setenv("KITE_DEVICE", triton.devices()[0])
    assert triton.default_device() == "interpreter"
    assert triton.empty(3).device == "interpreter"
    monkeypatch.setenv("KITE_INTERPRET", "0")
    assert triton.default_device() == triton.devices()[0]


@triton.jit
def exp_kernel(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.exp(tl.load(x_ptr + offs)))


def _libdevice():
    from kite import _C
    path = _C.libdevice_path()
    if not path:
        pytest.skip("no libdevice (the CUDA toolkit) here")
    return path


def test_extern_libs_names_the_libdevice_to_link(tmp_path):
    import shutil
    copy = tmp_path / "libdevice.10.bc"
    shutil.copyfile(_libdevice(), copy)
    # A launch on any device accepts it (only NVIDIA targets link it; Vulkan
    # has no f64 exp, so the launch is f32).
    x32 = np.linspace(-2, 2, 32, dtype=np.float32)
    out = run(exp_kernel, (1,), x32, np.zeros_like(x32), BLOCK=32,
              extern_libs={"libdevice": str(copy)})[1]
    np.testing.assert_allclose(out, np.exp(x32), rtol=1e-6)
    x = x32.astype(np.float64)

    def compile_with(**meta):
        return exp_kernel.compile(x, np.zeros_like(x), BLOCK=32, target="cuda:sm_90",
                                      **meta)
    linked = compile_with(extern_libs={"libdevice": str(copy)})
    assert "__nv_exp" not in linked.asm["ptx"]  # linked and inlined
    assert linked.metadata.hash != compile_with().metadata.hash  # the file is in the key
    copy.write_bytes(b"not bitcode")
    with pytest.raises(triton.CompilationError, match=r"cannot parse libdevice '.*libdevice"):
        compile_with(extern_libs={"libdevice": str(copy)})


def test_extern_libs_errors(tmp_path):
    x = np.zeros(32)
    with pytest.raises(ValueError, match=r"extern_libs: Kite links only libdevice \(for f64 "
                                         r"math on NVIDIA\), not 'mylib'"):
        exp_kernel.compile(x, x, BLOCK=32, extern_libs={"mylib": __file__})
    with pytest.raises(ValueError, match=r"extern_libs: libdevice '.*missing.bc' is not a file"):
        exp_kernel.compile(x, x, BLOCK=32, extern_libs={"libdevice": str(tmp_path / "missing.bc")})
    with pytest.raises(ValueError, match=r"extern_libs must be a dict of library name to path"):
        exp_kernel.compile(x, x, BLOCK=32, extern_libs=["libdevice"])
