"""The launch fast path (runtime/fast_launch.py): a launch with the same
argument kinds as an earlier one skips binding, checks and compilation, and
anything that could change the specialisation takes the slow path again."""
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import compiler
from kite.language import dtypes as dt
from kite.frontend.specialization import ArgSpec
from kite.runtime import fast_launch
from kite.runtime.packing import argument_struct, pack_arguments
from conftest import vulkan_device

VULKAN = [d for d in kite.devices() if d.startswith("vulkan:")]
needs_device = pytest.mark.skipif(not VULKAN, reason="no Vulkan device to launch on")

SCALE = 2.0


@kite.kernel
def axpy(x_ptr, y_ptr, out_ptr, n, a, BLOCK: kl.constexpr, *, add: kl.constexpr = True):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = kl.load(y_ptr + offs, mask=mask)
    kl.store(out_ptr + offs, (a * x + y if add else a * x - y) * SCALE, mask=mask)


def tensors(n, device):
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    return (x, y, kite.from_numpy(x, device=device), kite.from_numpy(y, device=device),
            kite.empty(n, device=device))


def launch(n, a, block=64, device=None, **meta):
    x, y, tx, ty, out = tensors(n, device or VULKAN[0])
    axpy[(kite.cdiv(n, block),)](tx, ty, out, n, a, BLOCK=block, **meta)
    sign = 1 if meta.get("add", True) else -1
    np.testing.assert_allclose(out.numpy(), (a * x + sign * y) * SCALE, rtol=1e-6, atol=1e-6)


def counts():
    return compiler.stats.fast_launches, compiler.stats.pipeline_runs + compiler.stats.disk_hits


@needs_device
def test_a_second_launch_of_the_same_kinds_takes_the_fast_path():
    launch(96, 1.5)
    fast, compiles = counts()
    launch(96, -3.0)  # another float value: same key
    assert counts() == (fast + 1, compiles)


@needs_device
@pytest.mark.parametrize("change", [
    dict(n=97),                   # no longer divisible by 16
    dict(block=32),               # another constexpr
    dict(add=False),              # a keyword-only constexpr
    dict(num_warps=2),            # a compile option
])
def test_what_changes_the_specialisation_takes_the_slow_path(change):
    base = dict(n=96, a=1.0, block=64)
    launch(**base)
    fast, _ = counts()
    args = dict(base, **change)
    launch(args.pop("n"), args.pop("a"), args.pop("block"), **args)
    assert compiler.stats.fast_launches == fast


@needs_device
def test_rebinding_a_global_recompiles():
    global SCALE
    launch(64, 1.0)
    SCALE = 3.0
    try:
        fast, _ = counts()
        launch(64, 1.0)
        assert compiler.stats.fast_launches == fast
    finally:
        SCALE = 2.0


@needs_device
def test_errors_keep_their_words_on_every_launch():
    x = np.zeros(64, np.float32)
    for _ in range(2):
        with pytest.raises(TypeError, match="argument 'x_ptr' is a host array"):
            axpy[(1,)](x, x, x, 64, 1.0, BLOCK=64)
    _, _, tx, ty, out = tensors(64, VULKAN[0])
    for _ in range(2):
        with pytest.raises(TypeError, match="axpy takes 6 positional arguments"):
            axpy[(1,)](tx, ty, out, 64, 1.0, 64, 1)


def test_the_binder_mirrors_the_signature_and_computes_the_key():
    binder = fast_launch.make_binder(axpy)

    def bind(*args, **kwargs):
        return binder.bind(args, kwargs)
    key, values = bind(1, 2, 3, 4, 5, BLOCK=64, num_warps=8)
    assert values == (1, 2, 3, 4, 5, 64, True)
    parts, options, global_values, device, debug, memory_checks = key
    assert parts[:3] == (("i", 1), ("i", 32, False), ("i", 32, False))
    assert parts[5] == (int, 64) and parts[6] == (bool, True)  # constexprs by value
    # Each option and its type (num_warps, then num_stages, not given).
    assert options[:2] == (8, int) and options[2] is fast_launch._MISSING
    assert bind(1, 2, 3, 4, 5, BLOCK=64)[0][1] == ()  # no option given
    # launch_pdl=1 is not launch_pdl=True: its key differs (the slow path checks it).
    assert bind(1, 2, 3, 4, 5, BLOCK=64, launch_pdl=1)[0] != \
        bind(1, 2, 3, 4, 5, BLOCK=64, launch_pdl=True)[0]
    assert bind(1, 2, 3, 4, 5, 64, add=False)[1][-1] is False
    # Python's binding rules: each of these is a TypeError, as in Python.
    for args, kwargs in [((1, 2, 3), {}),                        # missing
                         ((1, 2, 3, 4, 5, 64, False), {}),       # add is keyword-only
                         ((1, 2, 3, 4, 5, 64), {"BLOCK": 64}),   # given twice
                         ((1, 2, 3, 4, 5, 64), {"colour": 1})]:  # unknown
        with pytest.raises(TypeError):
            bind(*args, **kwargs)


def test_a_call_the_key_cannot_classify_is_never_stored():
    fast = fast_launch.FastPath.of(axpy)
    launcher, key, _ = fast.lookup((object(), 2, 3, 4, 5), {"BLOCK": 64})
    assert launcher is None and key is not None and None in key[0]
    fast.store(key, lambda grid, values: None)
    assert fast.launchers == {}
    assert fast.lookup((1, 2), {"BLOCK": [64]})[1] is None  # unbindable call: no key


def test_signatures_the_binder_cannot_mirror_take_the_slow_path():
    def variadic(x, *rest):
        pass

    def option_named(x, num_warps):
        pass

    def positional_only(x, /, y):
        pass

    for fn in (variadic, option_named, positional_only):
        assert fast_launch.make_binder(kite.kernel(fn)) is None


def test_integer_kinds_follow_the_slow_paths_types():
    key = fast_launch.runtime_key
    assert key(16) == ("i", 32, True) and key(17) == ("i", 32, False)
    assert key(2 ** 31) == ("i", 64, True)
    assert key(2 ** 63) == ("i", 65, True)
    assert key(2 ** 64) is None       # the slow path says it does not fit
    assert key(True) == ("b",) and key(1.0) == ("f",)
    assert key(np.zeros(4)) is None   # host arrays: the slow path's error


def test_the_argument_struct_packs_as_pack_arguments_does():
    specs = [ArgSpec("a", False, None, dt.int1, False), ArgSpec("b", False, None, dt.int8, False),
             ArgSpec("c", False, None, dt.int64, False), ArgSpec("K", True, 4, None, False),
             ArgSpec("d", False, None, dt.float16, False),
             ArgSpec("p", False, None, dt.pointer_type(dt.float32), True),
             ArgSpec("e", False, None, dt.float32, False)]
    values = [True, -3, 2 ** 40, 4, 1.5, 4096, 2.5]
    packer, indexes, pointers = argument_struct(specs)
    assert indexes == (0, 1, 2, 4, 5, 6) and pointers == (False,) * 4 + (True, False)
    assert packer.pack(*[values[i] for i in indexes]) == pack_arguments(specs, values)


def test_a_float_constexpr_is_keyed_by_its_bits():
    assert fast_launch.constexpr_key(0.0) != fast_launch.constexpr_key(-0.0)
    assert fast_launch.constexpr_key(1.5) == fast_launch.constexpr_key(1.5)
    assert ArgSpec("C", True, 0.0, None, False).key() != ArgSpec("C", True, -0.0, None, False).key()


@kite.kernel
def descriptor_scale_kernel(src, dst, BLOCK: kl.constexpr):
    off = kl.program_id(0) * BLOCK
    dst.store([off], src.load([off]) * 2)


def test_tensor_descriptor_launches_take_the_fast_path_with_their_own_fields():
    device = vulkan_device()
    before = compiler.stats.fast_launches
    for n in (100, 60, 100):  # 60 and 100: one specialisation, different shapes
        x = kite.from_numpy(np.arange(128, dtype=np.float32), device=device)
        out = kite.zeros(128, kl.float32, device=device)
        descriptor_scale_kernel[(2,)](kite.TensorDescriptor(x, [n], [1], [64]),
                                      kite.TensorDescriptor(out, [n], [1], [64]), BLOCK=64)
        expected = np.where(np.arange(128) < n, np.arange(128) * 2, 0)
        np.testing.assert_array_equal(out.numpy(), expected)
    assert compiler.stats.fast_launches - before == 2
