"""What a kernel reads besides its arguments (frontend/dependencies.py): its
closure variables and the globals of the helpers it calls are in the cache
key and the launch key, so kernels that differ only there never share a
compilation, and rebinding one recompiles."""
import importlib.util
import inspect
import math
import sys
import textwrap

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import compiler
from kite.frontend import dependencies
from kite.frontend.cache_key import cache_key, key_parts

VULKAN = [d for d in kite.devices() if d.startswith("vulkan:")]
X = np.linspace(0.1, 1.0, 16).astype(np.float32)
UNARY = [(kl.exp, np.exp, "math.exp"), (kl.log, np.log, "math.log"), (kl.sin, np.sin, "math.sin")]


def unary(f):
    @kite.kernel
    def apply(x_ptr, o_ptr, BLOCK: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        kl.store(o_ptr + offs, f(kl.load(x_ptr + offs)))
    return apply


def scaled(value):
    @kite.kernel
    def scale(x_ptr, BLOCK: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        kl.store(x_ptr + offs, kl.load(x_ptr + offs) * value)
    return scale


def key_of(kernel) -> str:
    """The disk key of ``kernel`` with a pointer for each parameter but BLOCK=16."""
    pointers = (X,) * (len(inspect.signature(kernel.fn).parameters) - 1)
    specs, options, _ = kernel.specialize(pointers, {"BLOCK": 16})
    return cache_key(key_parts(kernel, specs, options, "generic", "build", "0.0"))


def compiled_ir(kernel) -> str:
    return kernel.compile(X, X, BLOCK=16, target="generic").asm["kite"]


def test_kernels_differing_only_in_a_closed_over_builtin_compile_apart():
    # All three once got the first one's code from the disk cache.
    for f, _, op in UNARY:
        assert op in compiled_ir(unary(f)), op


@pytest.mark.parametrize("device", ["interpreter"] + VULKAN[:1])
def test_closed_over_builtins_compute_their_own_function(device, monkeypatch):
    if device == "interpreter":
        monkeypatch.setenv("KITE_INTERPRET", "1")
    for f, reference, _ in UNARY:
        x, out = kite.from_numpy(X, device=device), kite.empty(16, device=device)
        unary(f)[(1,)](x, out, BLOCK=16)
        np.testing.assert_allclose(out.numpy(), reference(X), rtol=1e-5, atol=1e-6)


@kite.func
def double(x):
    return x * 2


@kite.func
def triple(x):
    return x * 3


def test_closure_values_are_keyed_by_value_or_name():
    values = [2, 3, 2.0, True, "two", None, (2, 3), [2, 3], {"two": 2}, np.float32(2),
              kl.float16, kl.int32, kl.exp, kl.log, double, triple, np.float32]
    keys = [key_of(scaled(v)) for v in values]
    assert len(set(keys)) == len(values)
    # Equal values in other closures: one disk entry.
    assert key_of(scaled(2)) == keys[0] and key_of(scaled(kl.constexpr(2))) == keys[0]
    assert key_of(scaled(kl.exp)) == keys[values.index(kl.exp)]
    assert all(dependencies.on_disk(dependencies.dependency_key(scaled(v))) for v in values)


def width_of(factor):
    width = lambda n: n * factor  # noqa: E731 (a plain function run while tracing)

    @kite.kernel
    def fill(x_ptr, BLOCK: kl.constexpr):
        offs = kl.arange(0, width(BLOCK))
        kl.store(x_ptr + offs, offs.to(kl.float32))
    return fill


def test_plain_functions_are_keyed_by_code_and_captured_values():
    assert key_of(width_of(1)) != key_of(width_of(2))
    assert key_of(width_of(2)) == key_of(width_of(2))
    assert "tensor<32x" in width_of(2).compile(X, BLOCK=16, target="generic").asm["kite"]


class Config:
    def __init__(self, scale):
        self.scale = scale


def configured(config):
    @kite.kernel
    def scale(x_ptr, o_ptr, BLOCK: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        kl.store(o_ptr + offs, kl.load(x_ptr + offs) * config.scale)
    return scale


def test_objects_known_only_by_identity_are_compiled_apart_and_never_on_disk():
    a, b = Config(2.0), Config(3.0)
    reads = dependencies.dependency_key(configured(a))
    assert not dependencies.on_disk(reads)
    assert reads == dependencies.dependency_key(configured(a))
    assert reads != dependencies.dependency_key(configured(b))
    stats = compiler.stats
    runs, disk, memory = stats.pipeline_runs, stats.disk_hits, stats.memory_hits
    kernel = configured(a)
    assert "2.000000e+00" in compiled_ir(kernel)
    assert "2.000000e+00" in compiled_ir(configured(a))  # same object, another kernel
    assert "3.000000e+00" in compiled_ir(configured(b))
    compiled_ir(kernel)
    assert (stats.pipeline_runs, stats.disk_hits, stats.memory_hits) == \
        (runs + 3, disk, memory + 1)


ACTIVATION = kl.exp
OFFSET = 1.0


@kite.kernel
def activate(x_ptr, o_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(o_ptr + offs, ACTIVATION(kl.load(x_ptr + offs)))


@kite.func
def shifted(x):
    return x + OFFSET


@kite.kernel
def add_offset(x_ptr, o_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(o_ptr + offs, shifted(kl.load(x_ptr + offs)))


def test_a_global_rebound_to_another_builtin_is_seen_by_trace_and_the_key():
    global ACTIVATION
    before = key_of(activate)
    assert "math.exp" in activate.trace(X, X, BLOCK=16)
    ACTIVATION = kl.log
    try:
        assert "math.log" in activate.trace(X, X, BLOCK=16)
        assert key_of(activate) != before
    finally:
        ACTIVATION = kl.exp
    assert key_of(activate) == before


def test_a_global_read_by_a_helper_is_in_the_key():
    global OFFSET
    before = key_of(add_offset)
    OFFSET = 2.0
    try:
        assert key_of(add_offset) != before
        assert "2.000000e+00" in compiled_ir(add_offset)
    finally:
        OFFSET = 1.0
    assert key_of(add_offset) == before


@pytest.mark.skipif(not VULKAN, reason="no Vulkan device to launch on")
def test_rebinding_what_a_helper_or_closure_reads_recompiles_at_launch():
    global OFFSET
    device = VULKAN[0]
    x, out = kite.from_numpy(X, device=device), kite.empty(16, device=device)
    f = kl.exp

    @kite.kernel
    def apply(x_ptr, o_ptr, BLOCK: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        kl.store(o_ptr + offs, f(kl.load(x_ptr + offs)))

    apply[(1,)](x, out, BLOCK=16)
    apply[(1,)](x, out, BLOCK=16)  # the fast path
    np.testing.assert_allclose(out.numpy(), np.exp(X), rtol=1e-5)
    f = kl.sin  # rebinds the kernel's closure cell
    apply[(1,)](x, out, BLOCK=16)
    np.testing.assert_allclose(out.numpy(), np.sin(X), rtol=1e-5, atol=1e-6)

    add_offset[(1,)](x, out, BLOCK=16)
    np.testing.assert_allclose(out.numpy(), X + 1.0, rtol=1e-6)
    OFFSET = 5.0
    try:
        add_offset[(1,)](x, out, BLOCK=16)
        np.testing.assert_allclose(out.numpy(), X + 5.0, rtol=1e-6)
    finally:
        OFFSET = 1.0


HELPERS = '''
import kite

FACTOR = 2.0

@kite.func
def scale(x):
    return x * FACTOR
'''
KERNEL = '''
import kite
import kite.language as kl
import {helpers} as helpers

@kite.kernel
def k(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, helpers.scale(kl.load(x_ptr + offs)))
'''


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_globals_of_a_helper_reached_through_a_module_are_in_the_key(tmp_path):
    (tmp_path / "dep_helpers.py").write_text(textwrap.dedent(HELPERS))
    (tmp_path / "dep_kernel.py").write_text(KERNEL.format(helpers="dep_helpers"))
    try:
        helpers = _import(tmp_path / "dep_helpers.py", "dep_helpers")
        kernel = _import(tmp_path / "dep_kernel.py", "dep_kernel").k
        before = key_of(kernel)
        helpers.FACTOR = 3.0
        assert key_of(kernel) != before
        assert "3.000000e+00" in kernel.compile(X, BLOCK=16, target="generic").asm["kite"]
    finally:
        sys.modules.pop("dep_helpers", None)
        sys.modules.pop("dep_kernel", None)


def test_the_key_is_read_again_only_when_a_variable_is_rebound():
    global OFFSET
    first = dependencies.dependency_key(add_offset)
    assert dependencies.dependency_key(add_offset) is first  # identity checks only
    OFFSET = 4.0
    try:
        assert dependencies.dependency_key(add_offset) != first
    finally:
        OFFSET = 1.0
    assert dependencies.dependency_key(add_offset) == first


@kite.kernel
def with_library_calls(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK * int(np.prod((1, 1))) * math.gcd(1, 1))
    kl.store(x_ptr + offs, offs.to(kl.float32))


def test_functions_of_python_and_installed_packages_are_keyed_by_name():
    reads = dependencies.dependency_key(with_library_calls)
    assert dependencies.on_disk(reads)
    assert any(part.endswith("=library:numpy.prod") for part in reads), reads
    assert "tensor<16x" in with_library_calls.compile(X, BLOCK=16, target="generic").asm["kite"]


SETTINGS = {"scale": 3.0}


@kite.kernel
def scaled_by_setting(x_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(x_ptr + offs, kl.load(x_ptr + offs) * SETTINGS["scale"])


def test_a_dict_changed_in_place_is_keyed_by_what_a_new_compilation_traces():
    from kite.frontend.dependencies import dependency_key
    x = np.zeros(16, np.float32)
    first = scaled_by_setting.compile(x, BLOCK=8)
    assert "3.000000e+00" in first.asm["kite"]
    SETTINGS["scale"] = 2.0  # in place: no variable is rebound
    try:
        second = scaled_by_setting.compile(x, BLOCK=16)
        assert "2.000000e+00" in second.asm["kite"]
        assert "float:2.0" in repr(dependency_key(scaled_by_setting))
        assert second.metadata["cache_key"] != first.metadata["cache_key"]
    finally:
        SETTINGS["scale"] = 3.0
