"""kernel.compile(..., target="cuda:sm_XY"): compiling for an NVIDIA GPU this
machine does not have. The result carries every stage, the LLVM IR, the PTX
and (with ptxas) the cubin and its resource usage; it goes through the JIT
cache like any other target; print and assert become vprintf/__assertfail."""
import os
import stat
import warnings

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import compiler, ptxas
from kite.language.extra import libdevice

HAVE_PTXAS = ptxas.find() is not None
needs_ptxas = pytest.mark.skipif(not HAVE_PTXAS, reason="ptxas (CUDA toolkit) not found")


@kite.kernel
def scale_kernel(x_ptr, out_ptr, n, factor, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) * factor, mask=mask)


@kite.kernel
def print_kernel(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.device_print("x = ", x)


@kite.kernel
def assert_kernel(x_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.device_assert(x > 0, "x must be positive")


@kite.kernel
def exp64_kernel(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, kl.exp(kl.load(x_ptr + offs)))


X = np.zeros(1000, np.float32)


@pytest.fixture
def fresh_ptxas(monkeypatch):
    """Clears ptxas's lookup before and after a test that changes it."""
    ptxas.find.cache_clear()
    ptxas.version.cache_clear()
    ptxas.identity.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    ptxas.find.cache_clear()
    ptxas.version.cache_clear()
    ptxas.identity.cache_clear()


def fake_ptxas(tmp_path, message: str, code: int = 1) -> str:
    path = tmp_path / "ptxas"
    path.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && echo 'release 0.0, fake' && exit 0\n"
                    f"echo \"{message}\" >&2\nexit {code}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_compile_for_an_architecture_without_a_gpu():
    # n = 1024 is divisible by 16, so each thread loads 4 floats at once.
    compiled = scale_kernel.compile(X, X, 1024, 2.0, target="cuda:sm_90", BLOCK=512)
    assert compiled.target.name == "cuda:sm_90" and compiled.target.arch == "sm_90"
    assert compiled.metadata["arch"] == "sm_90"
    for stage in ("kite", "kitegpu", "threads", "llir", "ptx"):
        assert stage in compiled.asm
    assert ".target sm_90" in compiled.asm["ptx"]
    assert ".entry scale_kernel(" in compiled.asm["ptx"]
    assert "define ptx_kernel void @scale_kernel(" in compiled.asm["llir"]
    assert "ld.global.v4" in compiled.asm["ptx"]  # the coalescing pass's 128-bit loads


@needs_ptxas
def test_ptxas_makes_the_cubin_and_reports_resources():
    compiled = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_80", BLOCK=256)
    assert compiled.asm["cubin"][:4] == b"\x7fELF"
    assert compiled.binary == compiled.asm["cubin"]
    assert 0 < compiled.n_regs <= 255
    assert compiled.n_spills == 0 and compiled.metadata["stack_bytes"] == 0


def test_architectures_and_ptxas_are_in_the_cache_key():
    a = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_80", BLOCK=256)
    b = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=256)
    assert a.metadata["cache_key"] != b.metadata["cache_key"]
    assert f"ptxas={ptxas.identity()}" in b.target.identity


def test_a_new_process_takes_the_cubin_from_disk():
    first = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=128)
    scale_kernel._compiled.clear()  # what a new process starts with
    runs = compiler.stats.pipeline_runs
    again = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=128)
    assert compiler.stats.pipeline_runs == runs
    assert again.asm == first.asm and again.binary == first.binary
    assert again.metadata == first.metadata


def test_without_ptxas_the_ptx_is_left_to_the_driver(fresh_ptxas):
    fresh_ptxas.setenv("KITE_PTXAS", "none")
    compiled = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=64)
    assert "cubin" not in compiled.asm and compiled.binary == b""
    assert "ptx" in compiled.asm
    assert "driver compiles the PTX" in compiled.metadata["ptxas_note"]
    assert "ptxas=none" in compiled.target.identity


def test_a_ptxas_too_old_for_the_architecture_falls_back_to_ptx(fresh_ptxas, tmp_path):
    fresh_ptxas.setenv("KITE_PTXAS", fake_ptxas(
        tmp_path, "ptxas fatal   : Value 'sm_90' is not defined for option 'gpu-name'"))
    compiled = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=32)
    assert compiled.binary == b""
    assert "cannot target sm_90" in compiled.metadata["ptxas_note"]


def test_ptxas_rejecting_the_ptx_is_a_compilation_error(fresh_ptxas, tmp_path):
    fresh_ptxas.setenv("KITE_PTXAS", fake_ptxas(tmp_path, "ptxas error : Arguments mismatch"))
    with pytest.raises(kite.CompilationError, match=r"ptxas rejected the PTX of 'scale_kernel' "
                                                    r"for sm_90 (?s:.*)Arguments mismatch"):
        scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=16)


def test_an_architecture_target_cannot_launch():
    compiled = scale_kernel.compile(X, X, 1000, 2.0, target="cuda:sm_90", BLOCK=256)
    with pytest.raises(RuntimeError, match=r"compiled for 'cuda:sm_90', which is not a device"):
        compiled[(4,)](X, X, 1000, 2.0, BLOCK=256)


@pytest.mark.parametrize("target, message", [
    ("cuda:sm_9x", r"unknown target 'cuda:sm_9x': write 'cuda:N' .* or 'cuda:sm_XY'"),
    ("cuda:gpu", r"unknown target 'cuda:gpu'"),
    ("nvidia:sm_90", r"unknown target 'nvidia:sm_90'.*'cuda:sm_XY'"),
])
def test_bad_cuda_targets_are_named(target, message):
    with pytest.raises(ValueError, match=message):
        scale_kernel.compile(X, X, 1000, 2.0, target=target, BLOCK=256)


@pytest.mark.skipif(any(d.startswith("cuda:") for d in kite.runtime.devices()),
                    reason="this machine has a CUDA device")
def test_a_cuda_device_this_machine_lacks_is_named():
    with pytest.raises(ValueError, match=r"unknown or unavailable target 'cuda:0'"):
        scale_kernel.compile(X, X, 1000, 2.0, target="cuda:0", BLOCK=256)


def test_print_becomes_vprintf_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = print_kernel.compile(X, target="cuda:sm_90", BLOCK=128)
    ptx = compiled.asm["ptx"]
    assert "call.uni" in ptx and "vprintf" in ptx
    assert ".extern .func  (.param .b32 func_retval0) vprintf" in ptx


def test_assert_becomes_assertfail_with_the_users_file_and_line():
    compiled = assert_kernel.compile(X, target="cuda:sm_90", BLOCK=128)
    ptx = compiled.asm["ptx"]
    assert "__assertfail" in ptx
    # The strings are byte arrays in the PTX: look for the file's name there.
    name = os.path.basename(__file__).encode()
    encoded = ", ".join(str(b) for b in name)
    assert encoded in ptx.replace("\n", " ")


def test_f64_transcendentals_link_libdevice():
    if not kite._C.libdevice_path():
        pytest.skip("no libdevice (CUDA toolkit) on this machine")
    x = np.zeros(8, np.float64)
    compiled = exp64_kernel.compile(x, target="cuda:sm_90", BLOCK=8)
    assert "__nv_exp" not in compiled.asm["ptx"]  # linked and inlined
    assert "ex2.approx.f64" not in compiled.asm["ptx"]
    assert f"libdevice={compiler._libdevice_hash()}" in compiled.target.identity


def test_f64_transcendentals_without_libdevice_say_what_is_missing(monkeypatch):
    monkeypatch.setenv("KITE_LIBDEVICE", "/nonexistent/libdevice.10.bc")
    compiler._libdevice_hash.cache_clear()
    try:
        x = np.zeros(16, np.float64)
        with pytest.raises(kite.CompilationError, match=r"f64 math functions need libdevice .*"
                                                        r"set KITE_LIBDEVICE"):
            exp64_kernel.compile(x, target="cuda:sm_80", BLOCK=16)
    finally:
        monkeypatch.undo()
        compiler._libdevice_hash.cache_clear()


@kite.kernel
def loose_math_kernel(x_ptr, y_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    kl.store(y_ptr + offs, libdevice.pow(x, 3.0) + libdevice.sinh(x) + libdevice.log1p(x))


def test_libdevice_only_f32_functions_call_libdevice_or_keep_precision_without_it(monkeypatch):
    # With libdevice: its __nv_*f (as Triton); without: Kite's full-precision
    # formulas instead of MLIR's textbook expansions. Both compile and pass ptxas.
    x = np.zeros(16, np.float32)
    with_lib = loose_math_kernel.compile(x, x, target="cuda:sm_90", BLOCK=16)
    monkeypatch.setenv("KITE_LIBDEVICE", "/nonexistent/libdevice.10.bc")
    compiler._libdevice_hash.cache_clear()
    try:
        without = loose_math_kernel.compile(x, x, target="cuda:sm_90", BLOCK=16)
        assert without.asm["ptx"] != with_lib.asm["ptx"] or not kite._C.libdevice_path()
        assert without.metadata["n_spills"] == 0
    finally:
        monkeypatch.undo()
        compiler._libdevice_hash.cache_clear()


@pytest.mark.parametrize("arch, kib", [
    ("sm_52", 48), ("sm_53", 48), ("sm_61", 48), ("sm_62", 48), ("sm_70", 96), ("sm_72", 96),
    ("sm_75", 64), ("sm_80", 163), ("sm_86", 99), ("sm_87", 163), ("sm_89", 99),
    ("sm_90", 227), ("sm_90a", 227), ("sm_100f", 227), ("sm_103", 227), ("sm_110", 227),
    ("sm_120", 99), ("sm_121a", 99)])
def test_shared_memory_per_block_is_the_programming_guides(arch, kib):
    # "Technical Specifications per Compute Capability": maximum amount of
    # shared memory per thread block (with the opt-in).
    assert compiler._max_shared_bytes(arch) == kib * 1024


@kite.kernel
def transpose_kernel(x_ptr, out_ptr, M: kl.constexpr, N: kl.constexpr):
    rows, cols = kl.arange(0, M), kl.arange(0, N)
    x = kl.load(x_ptr + rows[:, None] * N + cols[None, :])
    kl.store(out_ptr + cols[:, None] * M + rows[None, :], kl.trans(x))


def test_a_block_over_the_architectures_shared_memory_is_a_compilation_error():
    def compile_for(arch):
        return transpose_kernel.compile(X, X, M=256, N=128, target=f"cuda:{arch}")

    shared = compile_for("sm_90").metadata["shared"]  # through shared memory
    assert 99 * 1024 < shared <= 163 * 1024, shared
    assert compile_for("sm_80").metadata["shared"] == shared
    # The layout change goes through shared memory: the op that needs more
    # than the architecture gives a block is the error, at its line. (The
    # transpose is done in the load's layout; the conversion is of its
    # 128x256 result, for the store.)
    for arch in ("sm_86", "sm_89", "sm_120", "sm_121"):
        with pytest.raises(kite.CompilationError,
                           match=rf"'kitegpu.convert_layout' needs {shared} bytes of workgroup "
                                 r"memory for a block of shape 128x256, more than the 101376 a "
                                 r"program has on this target"):
            compile_for(arch)


@kite.kernel
def axpy_kernel(x_ptr, y_ptr, a, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, a * kl.load(x_ptr + offs) + kl.load(y_ptr + offs))


def _float_ops(ptx: str) -> set:
    return {line.split()[0] for line in ptx.splitlines()
            if line.strip().startswith(("fma.", "mul.", "add.")) and "f32" in line}


def test_multiply_adds_fuse_unless_enable_fp_fusion_is_off():
    x = np.zeros(128, np.float32)
    fused = axpy_kernel.compile(x, x, 2.0, BLOCK=128, target="cuda:sm_90")
    assert "fma.rn.f32" in _float_ops(fused.asm["ptx"]), _float_ops(fused.asm["ptx"])
    separate = axpy_kernel.compile(x, x, 2.0, BLOCK=128, target="cuda:sm_90",
                                   enable_fp_fusion=False)
    ops = _float_ops(separate.asm["ptx"])
    assert "fma.rn.f32" not in ops and {"mul.rn.f32", "add.rn.f32"} <= ops, ops
    assert separate.metadata["cache_key"] != fused.metadata["cache_key"]
