"""The launch fast path in C++ (python/src/FastLaunch.cpp, FastLaunchBinder.cpp):
the bytes it packs are pack_arguments' bytes, what it cannot pack goes to the
Python launcher, Python's binding rules and the environment still decide,
and it neither leaks nor keeps kernels alive."""
import gc
import os
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import _C, compiler
from kite.frontend.specialization import ArgSpec
from kite.language import dtypes as dt
from kite.runtime import fast_launch
from kite.runtime.launch_options import grid_size
from kite.runtime.packing import argument_fields, pack_arguments
from conftest import vulkan_device


@pytest.fixture(autouse=True)
def without_memory_checks(monkeypatch):
    """Memory checks (on by default on lavapipe, whose device memory is this
    process's) launch through Python, with their allocation table and debug
    buffer; the C++ launcher is what launches without them, as on a GPU."""
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "0")


@kite.kernel
def scale_kernel(x_ptr, out_ptr, n, factor, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) * factor, mask=mask)


def _launch(n=256, factor=2.0, grid=None, device=None):
    device = device or vulkan_device()
    x = np.arange(n, dtype=np.float32)
    tx, out = kite.from_numpy(x, device=device), kite.zeros(n, kl.float32, device=device)
    result = scale_kernel[grid or (kite.cdiv(n, 64),)](tx, out, n, factor, BLOCK=64)
    return x * np.float32(factor), out, result


def _packed_launcher(specs, fallback=None):
    """A PackedLauncher over `specs` on the Vulkan device, loaded with
    scale_kernel's code (pack() never launches)."""
    _, _, compiled = _launch()
    native = compiled.launcher()
    assert isinstance(native, _C.PackedLauncher)
    device = kite.runtime.registry.device(vulkan_device())
    kernel = device.load_kernel(compiled.binary, compiled.name, 32)
    fields, size = argument_fields(specs)
    return _C.PackedLauncher(device._device, kernel, fields, size, "result",
                             tuple(s.name for s in specs), grid_size, None, None,
                             fallback or (lambda grid, values: "fallback"), kite.Tensor)


SPECS = [ArgSpec("a", False, None, dt.int1, False), ArgSpec("b", False, None, dt.int8, False),
         ArgSpec("c", False, None, dt.int64, False), ArgSpec("K", True, 4, None, False),
         ArgSpec("d", False, None, dt.float16, False),
         ArgSpec("p", False, None, dt.pointer_type(dt.float32), True),
         ArgSpec("e", False, None, dt.float32, False), ArgSpec("f", False, None, dt.uint32, False),
         ArgSpec("g", False, None, dt.float64, False), ArgSpec("h", False, None, dt.int16, False),
         ArgSpec("u", False, None, dt.uint64, False), ArgSpec("i", False, None, dt.int32, False)]


@pytest.mark.parametrize("values", [
    [True, -3, 2 ** 40, 4, 1.5, 4096, 2.5, 7, 1e300, -7, 2 ** 64 - 1, -2 ** 31],
    [False, 127, -2 ** 63, 4, -0.0, 0, float("nan"), 2 ** 32 - 1, float("-inf"), 2 ** 15 - 1, 0,
     2 ** 31 - 1],
    [5, -128, 2 ** 63 - 1, 4, 65504.0, 2 ** 64 - 16, float("inf"), 0, 5e-324, -2 ** 15, 1, 0],
    [1, 0, 1, 4, 1, 8, 3, True, 2, False, True, True],  # ints and bools for floats and ints
])
def test_the_bytes_are_pack_arguments_bytes(values):
    launcher = _packed_launcher(SPECS)
    assert launcher.pack(tuple(values)) == pack_arguments(SPECS, values)


@pytest.mark.parametrize("index, value", [
    (1, 128), (1, -129),            # i8
    (2, 2 ** 63), (10, -1),         # i64, u64
    (10, 2 ** 64), (7, 2 ** 32),    # u64, u32
    (11, 2 ** 31), (9, 2 ** 15),    # i32, i16
    (4, 1e6), (6, 1e39),            # f16 and f32 overflow
    (6, 2 ** 1024),                 # no float holds it
    (2, 1.0), (4, "1.5"),           # not an integer, not a number
    (2, np.int64(3)),               # struct takes __index__; Python's launcher does
    (5, np.zeros(4)),               # a host array: the slow path's error
])
def test_what_it_cannot_pack_goes_to_the_python_launcher(index, value):
    values = [True, -3, 2 ** 40, 4, 1.5, 4096, 2.5, 7, 1.0, -7, 1, 0]
    values[index] = value
    calls = []
    launcher = _packed_launcher(SPECS, lambda grid, v: calls.append((grid, v)) or "python")
    assert launcher.pack(tuple(values)) is None
    assert launcher((3,), tuple(values)) == "python" and calls == [((3,), tuple(values))]


@pytest.mark.parametrize("ty", [dt.int1, dt.int8, dt.uint8, dt.int16, dt.uint16, dt.int32,
                                dt.uint32, dt.int64, dt.uint64, dt.float16, dt.float32,
                                dt.float64, dt.pointer_type(dt.float32)], ids=str)
def test_every_type_packs_as_the_last_field(ty):
    # The last field ends at the size: its width must be the type's.
    specs = [ArgSpec("a", False, None, dt.int8, False), ArgSpec("x", False, None, ty, False)]
    launcher = _packed_launcher(specs)
    values = (-1, 1 if not ty.is_floating() else 0.5)
    assert launcher.pack(values) == pack_arguments(specs, values)


@pytest.mark.parametrize("fields, size, message", [
    ([(-1, "P", 0)], 8, "negative value index"),
    ([(0, "H", 1)], 2, "ends past the size"),
    ([(0, "x", 0)], 8, "unknown field format"),
    ([], -1, "bytes of arguments"),
    ([], 1 << 20, "bytes of arguments"),
])
def test_a_launcher_refuses_layouts_it_would_misread(fields, size, message):
    _, _, compiled = _launch()
    device = kite.runtime.registry.device(vulkan_device())
    kernel = device.load_kernel(compiled.binary, compiled.name, 32)
    with pytest.raises((ValueError, TypeError), match=message):
        _C.PackedLauncher(device._device, kernel, fields, size, None, (), grid_size, None, None,
                          lambda grid, values: None, kite.Tensor)


def test_a_grid_function_runs_once_when_python_packs():
    calls, handed = [], []

    def grid(meta):
        calls.append(meta["K"])
        return (0,)  # no launch: this launcher's kernel is not SPECS's
    launcher = _packed_launcher(SPECS, lambda g, values: handed.append(g) or "python")
    packable = (True, -3, 2 ** 40, 4, 1.5, 4096, 2.5, 7, 1.0, -7, 1, 0)
    assert launcher(grid, packable) == "result" and calls == [4] and handed == []
    unpackable = packable[:1] + (128,) + packable[2:]  # i8 out of range
    assert launcher(grid, unpackable) == "python"
    assert calls == [4] and handed == [grid]  # the grid is Python's to compute


def test_a_value_python_cannot_pack_fails_there_with_its_words():
    with pytest.raises(Exception, match="format requires|out of range|argument out of range"):
        pack_arguments(SPECS, [True, 128, 2 ** 40, 4, 1.5, 4096, 2.5, 7, 1.0, -7, 1, 0])


def test_launches_match_numpy_and_return_the_compiled_kernel():
    before = compiler.stats.fast_launches
    for factor in (2.0, -0.5, 3.0):
        expected, out, result = _launch(factor=factor)
        np.testing.assert_array_equal(out.numpy(), expected)
        assert isinstance(result, compiler.CompiledKernel)
    assert compiler.stats.fast_launches - before >= 2


@pytest.mark.parametrize("grid", [(0,), (4, 0), [4], 4, lambda meta: (kite.cdiv(256, meta["BLOCK"]),)])
def test_grids_of_every_form(grid):
    expected, out, _ = _launch(grid=grid)
    empty = isinstance(grid, tuple) and 0 in grid
    np.testing.assert_array_equal(out.numpy(), np.zeros(256, np.float32) if empty else expected)


@pytest.mark.parametrize("grid, message", [
    ((-1,), r"grid size -1 in grid \(-1,\) is outside \[0, 2147483647\]"),
    ((2 ** 31,), "is outside"),
    ((1, 2, 3, 4), "1 to 3"),
    (lambda meta: None, "returned None"),
])
def test_bad_grids_keep_their_words(grid, message):
    _launch()  # the fast path has the launcher
    with pytest.raises((ValueError, TypeError), match=message):
        _launch(grid=grid)


def test_the_environment_is_read_at_every_launch(monkeypatch):
    monkeypatch.delenv("KITE_MEMORY_CHECKS")
    binder = fast_launch.make_binder(scale_kernel)
    for name, index in (("KITE_DEVICE", 3), ("KITE_DEBUG", 4), ("KITE_MEMORY_CHECKS", 5)):
        monkeypatch.delenv(name, raising=False)
        assert binder.bind((1, 2, 3, 4.0, 64), {})[0][index] == ""
        monkeypatch.setenv(name, "vulkan:0")
        assert binder.bind((1, 2, 3, 4.0, 64), {})[0][index] == "vulkan:0"
        monkeypatch.setenv(name, "caf\u00e9")  # not ASCII
        assert binder.bind((1, 2, 3, 4.0, 64), {})[0][index] == "caf\u00e9"
        monkeypatch.delenv(name)
        assert binder.bind((1, 2, 3, 4.0, 64), {})[0][index] == ""


def test_the_interpreter_and_unknown_keys_take_the_slow_path(monkeypatch):
    calls = []
    launchers = {}
    binder = fast_launch.make_binder(scale_kernel, launchers,
                                     lambda grid, args, kwargs, key: calls.append(key) or "slow")
    monkeypatch.delenv("KITE_INTERPRET", raising=False)
    assert binder.at((1,))(1, 2, 3, 4.0, BLOCK=64) == "slow"
    key = calls[-1]
    launchers[key] = lambda grid, values: ("fast", grid, values)
    assert binder.at((1,))(1, 2, 3, 4.0, BLOCK=64) == ("fast", (1,), (1, 2, 3, 4.0, 64))
    monkeypatch.setenv("KITE_INTERPRET", "1")
    assert binder.at((1,))(1, 2, 3, 4.0, BLOCK=64) == "slow" and calls[-1] is None
    monkeypatch.setenv("KITE_INTERPRET", "0")
    assert binder.at((1,))(1, 2, 3, 4.0, BLOCK=64)[0] == "fast"
    # A call Python would not bind: the slow path, without a key, says why.
    assert binder.at((1,))(1, 2, 3, BLOCK=64) == "slow" and calls[-1] is None
    # An unhashable option value (extern_libs is a dict): no key.
    assert binder.at((1,))(1, 2, 3, 4.0, BLOCK=64, extern_libs={"libdevice": "x"}) == "slow"
    assert calls[-1] is None
    # An argument the key cannot classify: a key with a None part.
    assert binder.at((1,))(object(), 2, 3, 4.0, BLOCK=64) == "slow" and None in calls[-1][0]


def test_integers_at_the_edges_are_keyed_as_the_slow_path_types_them():
    binder = fast_launch.make_binder(scale_kernel)
    for value in (1, 0, 16, -16, -17, 2 ** 31 - 1, -2 ** 31, 2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1,
                  -2 ** 63, 2 ** 63, 2 ** 64 - 1, 2 ** 64, -2 ** 63 - 1, 2 ** 100):
        part = binder.bind((1, 2, value, 4.0, 64), {})[0][0][2]
        assert part == fast_launch.runtime_key(value), value


def test_threads_launch_the_same_kernel_at_once():
    device = vulkan_device()
    _launch(device=device)
    errors = []

    def worker(factor):
        try:
            for _ in range(5):
                expected, out, _ = _launch(factor=factor, device=device)
                np.testing.assert_array_equal(out.numpy(), expected)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=worker, args=(f,)) for f in (1.0, 2.0, 3.0, 4.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_fast_launches_do_not_leak():
    device = vulkan_device()
    x = kite.from_numpy(np.ones(64, np.float32), device=device)
    out = kite.zeros(64, kl.float32, device=device)
    launch = scale_kernel[(1,)]
    for _ in range(200):
        launch(x, out, 64, 2.0, BLOCK=64)
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(3000):
            launch(x, out, 64, 2.0, BLOCK=64)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes more after 3000 launches"


def test_a_kernel_and_its_compiled_code_can_be_collected():
    @kite.kernel
    def local_kernel(out_ptr, BLOCK: kl.constexpr):
        kl.store(out_ptr + kl.arange(0, BLOCK), kl.full((BLOCK,), 7.0, kl.float32))

    out = kite.zeros(32, kl.float32, device=vulkan_device())
    compiled = local_kernel[(1,)](out, BLOCK=32)
    local_kernel[(1,)](out, BLOCK=32)
    np.testing.assert_array_equal(out.numpy(), np.full(32, 7.0, np.float32))
    assert isinstance(compiled.launcher(), _C.PackedLauncher)
    kernel_ref, compiled_ref = weakref.ref(local_kernel), weakref.ref(compiled)
    del local_kernel, compiled
    gc.collect()
    assert kernel_ref() is None and compiled_ref() is None


def test_memory_checked_launches_keep_the_python_launcher(monkeypatch):
    monkeypatch.setenv("KITE_MEMORY_CHECKS", "1")
    expected, out, compiled = _launch(n=96)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not isinstance(compiled.launcher(), _C.PackedLauncher)


def test_the_types_refuse_what_would_crash():
    with pytest.raises(TypeError, match="comes from kernel"):
        _C.GridLaunch()(1)
    with pytest.raises(TypeError):
        _C.PackedLauncher(object(), object(), [], 0, None, (), grid_size, None, None,
                          None, kite.Tensor)
    with pytest.raises(TypeError):
        _C.LaunchBinder()
