"""Memory checks on the compiled path (docs/runtime.md, "Memory safety"):
on a CPU Vulkan device (lavapipe) a device address is an address of this
process, so an access out of bounds must be stopped and reported as a
KernelRuntimeError naming the kernel, the argument and the line, never
rewrite a neighbouring tensor or crash. Each case runs in a subprocess,
since without the checks it corrupts or kills the process."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import vulkan_device

# The subprocess imports the kite this process imported.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))

# Kernels every case may launch; `case` adds the launches.
PRELUDE = '''
import json, sys
import numpy as np
import kite, kite.language as kl

@kite.kernel
def store_block(y_ptr, start, BLOCK: kl.constexpr):
    offs = start + kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, kl.full([BLOCK], 7.0, kl.float32))  # STORE

@kite.kernel
def load_block(x_ptr, out_ptr, start, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(out_ptr + offs, kl.load(x_ptr + start + offs))  # LOAD

@kite.kernel
def masked_far(x_ptr, out_ptr, n, far, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    # Lanes at and past n are masked off and point 2**40 elements away.
    ptrs = kl.where(offs < n, offs, offs + far)
    kl.store(out_ptr + ptrs, kl.load(x_ptr + ptrs, mask=offs < n, other=-1.0), mask=offs < n)

@kite.kernel
def atomic_past(c_ptr, start, BLOCK: kl.constexpr):
    offs = start + kl.arange(0, BLOCK)
    kl.atomic_add(c_ptr + offs, kl.full([BLOCK], 1, kl.int32))  # ATOMIC

@kite.kernel
def cas_past(c_ptr, start):
    kl.atomic_cas(c_ptr + start, 0, 5)  # CAS

@kite.kernel
def store_tile(y_ptr, stride, BM: kl.constexpr, BN: kl.constexpr):
    rows = kl.arange(0, BM)[:, None]
    cols = kl.arange(0, BN)[None, :]
    kl.store(y_ptr + rows * stride + cols, kl.full([BM, BN], 3.0, kl.float32))  # TILE

@kite.kernel
def block_copy(src_ptr, dst_ptr, n, CHECK: kl.constexpr, BLOCK: kl.constexpr):
    src = kl.make_block_ptr(src_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    dst = kl.make_block_ptr(dst_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    if CHECK:
        kl.store(dst, kl.load(src, boundary_check=(0,), padding_option="zero"),
                 boundary_check=(0,))
    else:
        kl.store(dst, kl.load(src))  # BLOCKPTR

@kite.kernel
def store_through_table(table_ptr, BLOCK: kl.constexpr):
    # An array of addresses, as grouped GEMM passes its operands.
    target = kl.load(table_ptr).to(kl.pointer_type(kl.float32))
    kl.store(target + kl.arange(0, BLOCK), kl.full([BLOCK], 9.0, kl.float32))  # TABLE

def outcome(launch):
    """Runs launch(); the error's message and line, or None."""
    try:
        launch()
    except kite.KernelRuntimeError as exc:
        return {"message": exc.message, "line": exc.lineno, "file": exc.filename}
    return None

def report(**values):
    print("RESULT " + json.dumps(values))
'''


def run_case(tmp_path, body: str, env=None) -> dict:
    """Runs PRELUDE + body in a fresh process on the first Vulkan device;
    returns what it reported, and the line numbers of the markers."""
    device = vulkan_device()
    source = PRELUDE + textwrap.dedent(body)
    path = tmp_path / "case.py"
    path.write_text(source)
    # A cache of its own: an entry compiled from another file's copy of
    # these kernels would report that file.
    environ = dict(os.environ, KITE_DEVICE=device, KITE_CACHE_DIR=str(tmp_path / "cache"),
                   PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environ.pop("KITE_MEMORY_CHECKS", None)
    if kite.runtime.registry.device(device).properties.device_type != "cpu":
        environ["KITE_DEBUG"] = "1"  # a GPU checks on request only
    environ.update(env or {})
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=environ, timeout=600)
    assert done.returncode == 0, f"the case died ({done.returncode}):\n{done.stderr[-3000:]}"
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert found, done.stdout + done.stderr
    result = json.loads(found[-1][len("RESULT "):])
    lines = source.splitlines()
    result["lines"] = {marker: i + 1 for i, line in enumerate(lines)
                       for marker in ("STORE", "LOAD", "ATOMIC", "CAS", "TILE", "BLOCKPTR",
                                      "TABLE") if f"# {marker}" in line}
    result["path"] = str(path)
    return result


def assert_reported(result, error, what, name, kernel, marker):
    assert error is not None, "the out-of-bounds access was not reported"
    assert f"out-of-bounds {what}" in error["message"], error
    assert f"'{name}'" in error["message"] and f"kernel '{kernel}'" in error["message"], error
    assert error["line"] == result["lines"][marker], error
    assert error["file"] == result["path"], error


def test_store_past_the_end_spares_the_neighbour_and_names_the_line(tmp_path):
    result = run_case(tmp_path, """
        y = kite.zeros(16, kl.float32)
        z = kite.from_numpy(np.arange(4096, dtype=np.float32))
        error = outcome(lambda: store_block[(1,)](y, 0, BLOCK=1024))
        report(error=error, y=y.numpy().tolist(), z_intact=bool(
            (z.numpy() == np.arange(4096, dtype=np.float32)).all()))
    """)
    assert_reported(result, result["error"], "store to", "y_ptr", "store_block", "STORE")
    assert "tensor of 64 bytes" in result["error"]["message"]
    assert result["z_intact"]
    assert result["y"] == [7.0] * 16  # the in-bounds part is stored


@pytest.mark.parametrize("start", [1 << 40, -(1 << 40), -1],
                         ids=["far", "far-negative", "minus-one"])
def test_far_and_negative_stores_and_loads_are_reported(tmp_path, start):
    result = run_case(tmp_path, f"""
        x = kite.from_numpy(np.ones(64, np.float32))
        out = kite.zeros(64, kl.float32)
        stored = outcome(lambda: store_block[(1,)](x, {start}, BLOCK=64))
        loaded = outcome(lambda: load_block[(1,)](x, out, {start}, BLOCK=64))
        report(stored=stored, loaded=loaded, x=x.numpy().tolist())
    """)
    assert_reported(result, result["stored"], "store to", "y_ptr", "store_block", "STORE")
    assert_reported(result, result["loaded"], "load from", "x_ptr", "load_block", "LOAD")
    assert "(tensor of 256 bytes)" in result["stored"]["message"]
    assert "(tensor of 256 bytes)" in result["loaded"]["message"]
    if start != -1:
        assert result["x"] == [1.0] * 64


def test_load_past_the_end_raises_instead_of_returning_garbage(tmp_path):
    result = run_case(tmp_path, """
        x = kite.from_numpy(np.arange(40, dtype=np.float32))
        out = kite.zeros(64, kl.float32)
        error = outcome(lambda: load_block[(1,)](x, out, 0, BLOCK=64))
        report(error=error, out=out.numpy().tolist())
    """)
    assert_reported(result, result["error"], "load from", "x_ptr", "load_block", "LOAD")
    # The lanes in bounds read the tensor, the others nothing (zeros).
    assert result["out"] == list(range(40)) + [0.0] * 24


def test_atomics_out_of_bounds_are_reported_and_not_run(tmp_path):
    result = run_case(tmp_path, """
        c = kite.zeros(8, kl.int32)
        z = kite.zeros(1024, kl.int32)
        added = outcome(lambda: atomic_past[(1,)](c, 4, BLOCK=16))
        swapped = outcome(lambda: cas_past[(1,)](c, 1 << 30))
        report(added=added, swapped=swapped, c=c.numpy().tolist(),
               z_zero=bool((z.numpy() == 0).all()))
    """)
    assert_reported(result, result["added"], "atomic on", "c_ptr", "atomic_past", "ATOMIC")
    assert_reported(result, result["swapped"], "atomic on", "c_ptr", "cas_past", "CAS")
    assert result["c"] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert result["z_zero"]


def test_two_dimensional_store_past_the_end(tmp_path):
    result = run_case(tmp_path, """
        y = kite.zeros((16, 16), kl.float32)
        error = outcome(lambda: store_tile[(1,)](y, 32, BM=16, BN=16))
        report(error=error)
    """)
    assert_reported(result, result["error"], "store to", "y_ptr", "store_tile", "TILE")


def test_block_pointers_out_of_bounds_only_without_boundary_check(tmp_path):
    result = run_case(tmp_path, """
        src = kite.from_numpy(np.arange(40, dtype=np.float32))
        dst = kite.zeros(40, kl.float32)
        checked = outcome(lambda: block_copy[(1,)](src, dst, 40, CHECK=True, BLOCK=64))
        copied = dst.numpy().tolist()
        unchecked = outcome(lambda: block_copy[(1,)](src, dst, 40, CHECK=False, BLOCK=64))
        report(checked=checked, copied=copied, unchecked=unchecked)
    """)
    assert result["checked"] is None  # boundary_check makes it legal
    assert result["copied"] == list(range(40))
    error = result["unchecked"]
    assert error is not None and "out-of-bounds" in error["message"], error
    assert error["line"] == result["lines"]["BLOCKPTR"]


def test_masked_off_lanes_may_point_anywhere(tmp_path):
    result = run_case(tmp_path, """
        x = kite.from_numpy(np.arange(8, dtype=np.float32))
        out = kite.zeros(8, kl.float32)
        error = outcome(lambda: masked_far[(1,)](x, out, 8, 1 << 40, BLOCK=64))
        report(error=error, out=out.numpy().tolist())
    """)
    assert result["error"] is None
    assert result["out"] == list(range(8))


def test_pointers_loaded_from_memory_are_checked_against_every_allocation(tmp_path):
    result = run_case(tmp_path, """
        y = kite.zeros(64, kl.float32)
        inside = kite.from_numpy(np.array([y.data_ptr()], np.int64))
        fine = outcome(lambda: store_through_table[(1,)](inside, BLOCK=64))
        host = np.zeros(64, np.float32)  # memory of this process, not Kite's
        outside = kite.from_numpy(np.array([host.ctypes.data], np.int64))
        wild = outcome(lambda: store_through_table[(1,)](outside, BLOCK=64))
        past = kite.from_numpy(np.array([y.data_ptr() + 4 * 32], np.int64))
        overhang = outcome(lambda: store_through_table[(1,)](past, BLOCK=64))
        report(fine=fine, y=y.numpy().tolist(), wild=wild, host=host.tolist(),
               overhang=overhang)
    """)
    assert result["fine"] is None
    assert result["y"] == [9.0] * 64
    for error in (result["wild"], result["overhang"]):
        assert error is not None
        assert "out-of-bounds store to an address in no Kite allocation" in error["message"]
        assert "kernel 'store_through_table'" in error["message"]
        assert error["line"] == result["lines"]["TABLE"]
    assert result["host"] == [0.0] * 64


@kite.kernel
def copy_kernel(x_ptr, y_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, kl.load(x_ptr + offs, mask=offs < n), mask=offs < n)


def test_checks_are_on_by_default_on_cpu_devices_and_part_of_the_cache_key(monkeypatch):
    device = vulkan_device()
    monkeypatch.delenv("KITE_DEBUG", raising=False)
    monkeypatch.delenv("KITE_MEMORY_CHECKS", raising=False)
    x = np.zeros(256, np.float32)
    default = copy_kernel.compile(x, x, 256, BLOCK=128, target=device)
    on_cpu = kite.runtime.registry.device(device).properties.device_type == "cpu"
    assert default.options["check_memory"] == on_cpu
    debug = copy_kernel.compile(x, x, 256, BLOCK=128, target=device, debug=True)
    assert debug.options["check_memory"]
    assert "kitethread.memory_check" in debug.asm["threads"]
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "0")
    unchecked = copy_kernel.compile(x, x, 256, BLOCK=128, target=device)
    assert not unchecked.options["check_memory"]
    assert "kitethread.memory_check" not in unchecked.asm["threads"]
    assert unchecked.metadata["cache_key"] != debug.metadata["cache_key"]
    # Checks keep the vector accesses AxisInfo allowed.
    assert debug.asm["threads"].count("vector<4xf32>") == unchecked.asm["threads"].count(
        "vector<4xf32>") > 0


def test_correct_kernels_give_the_same_results_with_checks(monkeypatch):
    device = vulkan_device()
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "1")
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    src, dst = kite.from_numpy(x, device=device), kite.zeros(1000, kl.float32, device=device)
    copy_kernel[(kl.cdiv(1000, 128),)](src, dst, 1000, BLOCK=128)
    np.testing.assert_array_equal(dst.numpy(), x)


def test_cuda_compiles_with_checks_on_request_only():
    x = np.zeros(256, np.float32)
    plain = copy_kernel.compile(x, x, 256, BLOCK=128, target="cuda:sm_80")
    checked = copy_kernel.compile(x, x, 256, BLOCK=128, target="cuda:sm_80", debug=True)
    assert not plain.options["check_memory"] and checked.options["check_memory"]
    assert "__assertfail" not in plain.asm["ptx"]
    # Two pointers: [begin, size] each, then the table: six more parameters.
    params = lambda c: c.asm["ptx"].count(".param .u")  # noqa: E731 (the kernel's)
    assert params(checked) == params(plain) + 6
    assert "__assertfail" in checked.asm["ptx"]
    if "cubin" in plain.asm:  # ptxas took both
        assert checked.asm["cubin"]


def test_the_setting_is_read_at_every_launch(monkeypatch):
    """KITE_MEMORY_CHECKS (and KITE_DEBUG) are part of the fast path's key:
    changing them between launches compiles the other variant."""
    device = vulkan_device()

    @kite.kernel
    def double(x_ptr, n, BLOCK: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        kl.store(x_ptr + offs, kl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)

    x = kite.from_numpy(np.arange(100, dtype=np.float32), device=device)
    seen = []
    for flag in ("1", "0", "1"):
        monkeypatch.setenv("KITE_MEMORY_CHECKS", flag)
        double[(1,)](x, 100, BLOCK=128)
        seen.append(sorted(c.options["check_memory"] for c in double._compiled.values()))
    assert seen == [[True], [False, True], [False, True]]
    np.testing.assert_array_equal(x.numpy(), np.arange(100, dtype=np.float32) * 8)
