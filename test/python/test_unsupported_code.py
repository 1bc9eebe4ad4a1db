"""Kernel code that Kite cannot run as written: Python constructs kernels do
not support, recursion, None where a value is needed, blocks beyond the
size limit. Each is a CompilationError at its line, the same whether the
kernel is traced, interpreted, compiled for vulkan:0 or for cuda:sm_80."""
import numpy as np
import pytest
from conftest import line_of, vulkan_device

import kite
import kite.language as kl

WAYS = ["trace", "interpreter", "vulkan", "cuda:sm_80"]


def _raise_everywhere(way, kernel, args, meta):
    """Runs ``kernel`` the ``way`` named, expecting a CompilationError."""
    with pytest.raises(kite.CompilationError) as info:
        if way == "trace":
            kernel.trace(*args, **meta)
        elif way in ("interpreter", "vulkan"):
            device = "interpreter" if way == "interpreter" else vulkan_device()
            dev = [kite.from_numpy(a, device=device) if isinstance(a, np.ndarray) else a
                   for a in args]
            kernel[(1,)](*dev, **meta)
        else:
            kernel.compile(*args, target=way, **meta)
    return info.value


def _check(way, kernel, marker, args, meta, *fragments, source=None):
    """``source``: the kite.func holding ``marker``, when not ``kernel``."""
    exc = _raise_everywhere(way, kernel, args, meta)
    where = line_of(source or kernel, marker)
    assert (exc.filename, exc.lineno) == (__file__, where), str(exc)
    assert marker in str(exc), "the message shows the source line"
    for fragment in fragments:
        assert fragment in str(exc), str(exc)


def _f32():
    return np.zeros(16, np.float32)


# -- Python constructs that kernels do not support ---------------------------

@kite.kernel
def with_yield(x_ptr):
    kl.store(x_ptr, 1.0)
    yield 3  # <- yield


@kite.kernel
def with_yield_from(x_ptr):
    kl.store(x_ptr, 1.0)
    yield from range(3)  # <- yield from


@kite.kernel
def with_try(x_ptr):
    try:  # <- try
        kl.store(x_ptr, 1.0)
    except Exception:
        pass


@kite.kernel
def with_with(x_ptr):
    with open(__file__):  # <- with
        kl.store(x_ptr, 1.0)


COUNTER = 0


@kite.kernel
def with_global(x_ptr):
    global COUNTER  # <- global
    kl.store(x_ptr, 1.0)


@kite.kernel
def with_del(x_ptr):
    x = kl.load(x_ptr)
    del x  # <- del
    kl.store(x_ptr, 1.0)


@kite.func
def helper_with_yield(x):
    yield x  # <- yield in a helper


@kite.kernel
def calls_a_generator_helper(x_ptr):
    kl.store(x_ptr, helper_with_yield(kl.load(x_ptr)))


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kernel, marker, what", [
    (with_yield, "# <- yield", "`yield`"),
    (with_yield_from, "# <- yield from", "`yield from`"),
    (with_try, "# <- try", "`try`"),
    (with_with, "# <- with", "`with`"),
    (with_global, "# <- global", "`global`"),
    (with_del, "# <- del", "`del`"),
])
def test_unsupported_statement(way, kernel, marker, what):
    _check(way, kernel, marker, (_f32(),), {}, what, "do not support it")


@pytest.mark.parametrize("way", WAYS)
def test_unsupported_statement_in_a_helper(way):
    _check(way, calls_a_generator_helper, "# <- yield in a helper", (_f32(),), {}, "`yield`",
           source=helper_with_yield)


# -- recursion -----------------------------------------------------------------

@kite.func
def count_down(x, n: kl.constexpr):
    return count_down(x, n - 1) + 1  # <- recursive call


@kite.kernel
def recursive(x_ptr):
    kl.store(x_ptr, count_down(kl.load(x_ptr), 3))


@pytest.mark.parametrize("way", WAYS)
def test_recursion_is_an_error_at_the_call(way):
    _check(way, recursive, "# <- recursive call", (_f32(),), {},
           "'count_down' calls itself; recursion is not supported", source=count_down)


@kite.func
def named_like_a_global(x):
    return x * 2


@kite.kernel
def calls_a_helper(x_ptr):
    kl.store(x_ptr, named_like_a_global(kl.load(x_ptr)))


def test_a_helper_still_runs_after_the_recursion_check():
    x = kite.from_numpy(np.full(4, 3.0, np.float32), device="interpreter")
    calls_a_helper[(1,)](x)
    assert x.numpy()[0] == 6.0
    assert "kite.store" in calls_a_helper.trace(x)


# -- None where a value is needed --------------------------------------------

@kite.kernel
def copy(x_ptr, y_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    kl.store(y_ptr + offs, kl.load(x_ptr + offs))  # <- uses x_ptr


@pytest.mark.parametrize("way", WAYS)
def test_none_for_a_pointer_names_the_argument(way):
    _check(way, copy, "# <- uses x_ptr", (None, _f32()), {"BLOCK": 16},
           "None used where a value is needed", "the kernel was given None for 'x_ptr'")


@kite.kernel
def optional_pointer(x_ptr, bias_ptr, BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    if bias_ptr is not None:
        x += kl.load(bias_ptr + offs)
    kl.store(x_ptr + offs, x)


def test_none_tested_in_the_kernel_is_fine():
    x = kite.from_numpy(np.ones(16, np.float32), device="interpreter")
    optional_pointer[(1,)](x, None, BLOCK=16)
    np.testing.assert_array_equal(x.numpy(), np.ones(16))


# -- arange and block sizes ----------------------------------------------------

@kite.kernel
def arange_beyond_int32(x_ptr):
    kl.store(x_ptr + kl.arange(0, 2**32), 1.0)  # <- arange


@kite.kernel
def arange_too_long(x_ptr):
    kl.store(x_ptr + kl.arange(0, 2**21), 1.0)  # <- arange


@kite.kernel
def zeros_too_large(x_ptr):
    a = kl.zeros([2**16, 2**16], kl.float32)  # <- zeros
    kl.store(x_ptr, kl.sum(kl.sum(a, 1), 0))


@kite.kernel
def broadcast_too_large(x_ptr):
    a = kl.arange(0, 2**11)
    kl.store(x_ptr, kl.sum(kl.sum(a[:, None] + a[None, :], 1), 0))  # <- broadcast


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kernel, marker, fragments", [
    (arange_beyond_int32, "# <- arange", ("arange(0, 4294967296)", "int32", "2147483647")),
    (arange_too_long, "# <- arange", ("arange(0, 2097152)", "2097152 elements",
                                      "at most 1048576 (2**20)")),
    (zeros_too_large, "# <- zeros", ("[65536, 65536]", "4294967296 elements",
                                     "at most 1048576 (2**20)")),
    (broadcast_too_large, "# <- broadcast", ("operator '+'", "[2048, 2048]",
                                             "at most 1048576 (2**20)")),
])
def test_blocks_beyond_the_limits(way, kernel, marker, fragments):
    _check(way, kernel, marker, (_f32(),), {}, *fragments)


def test_the_largest_block_traces():
    assert "tensor<1048576xi32>" in copy.trace(kl.pointer_type(kl.float32),
                                               kl.pointer_type(kl.float32), BLOCK=2**20)


# -- elements per thread, per target (docs/lowering.md) ----------------------

@kite.kernel
def masked_copy(x_ptr, y_ptr, n, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)  # <- block
    mask = offs < n
    kl.store(y_ptr + offs, kl.load(x_ptr + offs, mask=mask), mask=mask)


@pytest.mark.parametrize("target, block, per_thread, limit, threads", [
    ("vulkan", 2 ** 17, 4096, 2048, "4 warps of 8 threads"),
    ("cuda:sm_80", 2 ** 17, 1024, 512, "4 warps of 32 threads"),
    ("generic", 2 ** 20, 8192, 2048, "4 warps of 32 threads"),
])
def test_too_many_elements_per_thread_for_the_target(target, block, per_thread, limit, threads):
    if target == "vulkan":
        target = vulkan_device()
        if kite.runtime.registry.device(target).properties.subgroup_size != 8:
            pytest.skip("the numbers below are for lavapipe's 8-thread subgroups")
    ptr = kl.pointer_type(kl.float32)
    with pytest.raises(kite.CompilationError) as info:
        masked_copy.compile(ptr, ptr, kl.int32, BLOCK=block, target=target, num_warps=4)
    exc = info.value
    assert (exc.filename, exc.lineno) == (__file__, line_of(masked_copy, "# <- block"))
    assert (f"'kite.make_range' makes a block of shape [{block}] that gives each thread "
            f"{per_thread} elements, more than the {limit} this target allows ({threads}); "
            "use smaller blocks (loop over them) or more warps") in str(exc)


def test_the_limits_per_target_are_those_documented():
    from kite import _C
    assert (_C.max_elements_per_thread("vulkan"), _C.max_elements_per_thread("cuda"),
            _C.max_elements_per_thread("generic")) == (2048, 512, 2048)
    ptr = kl.pointer_type(kl.float32)
    # A block within the limit (128 elements a thread) compiles.
    masked_copy.compile(ptr, ptr, kl.int32, BLOCK=2 ** 14, target="cuda:sm_80", num_warps=4)


# -- an array where a number was meant ---------------------------------------

@kite.kernel
def store_scalar(x_ptr, n):
    kl.store(x_ptr, n)  # <- store n


@pytest.mark.parametrize("way", ["trace", "interpreter", "cuda:sm_80"])
def test_an_array_where_a_number_is_stored(way):
    # (vulkan:0 refuses the host array before tracing: test_launch_checks.py)
    _check(way, store_scalar, "# <- store n", (_f32(), np.zeros(3)), {},
           "a pointer<fp64> value where fp32 elements are stored",
           "was an array passed where a number was meant?")
