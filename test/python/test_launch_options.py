"""The launch grid and the compile options are checked once, the same way
for every device: the interpreter, vulkan:0 and (options only, there is no
grid) compiling for cuda:sm_80 refuse the same values with the same words,
before anything runs."""
import numpy as np
import pytest
from conftest import vulkan_device

import kite
import kite.language as kl

DEVICES = ["interpreter", "vulkan"]


@kite.kernel
def count(out_ptr):
    kl.atomic_add(out_ptr, 1)


def _out(device):
    device = "interpreter" if device == "interpreter" else vulkan_device()
    return kite.zeros(1, kl.int32, device=device)


def _launch(device, grid, **meta):
    out = _out(device)
    count[grid](out, **meta)
    return int(out.numpy()[0])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("grid, error, words", [
    ((2.5,), TypeError, r"a grid size must be an integer, got 2.5 of type float in grid \(2.5,\)"),
    ("4", TypeError, r"a grid is 1 to 3 integers \(a tuple\), one integer, or a function of the "
                     r"meta-parameters returning one of these; got '4' of type str"),
    (4.0, TypeError, r"got 4.0 of type float"),
    ((True,), TypeError, r"a grid size must be an integer, got True of type bool"),
    ((1, 1, 1, 1), ValueError, r"a grid has 1 to 3 dimensions, got 4: \(1, 1, 1, 1\)"),
    ((), ValueError, r"a grid has 1 to 3 dimensions, got 0"),
    ((-1,), ValueError, r"grid size -1 in grid \(-1,\) is outside \[0, 2147483647\]"),
    ((2 ** 32,), ValueError, r"grid size 4294967296 in grid \(4294967296,\) is outside "
                             r"\[0, 2147483647\] \(2\*\*31 - 1: program ids are int32\)"),
    ((1, 2 ** 31), ValueError, r"grid size 2147483648 .* is outside \[0, 2147483647\]"),
    (lambda meta: "junk", TypeError, r"got 'junk' of type str \(returned by "),
    (lambda meta: None, TypeError, r"the grid function .* returned None"),
    (lambda meta: (1.5, 2), TypeError, r"a grid size must be an integer, got 1.5"),
])
def test_bad_grids_are_refused_on_every_device(device, grid, error, words):
    out = _out(device)
    with pytest.raises(error, match=words):
        count[grid](out)
    assert out.numpy()[0] == 0  # nothing ran


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("grid, programs", [
    ((3,), 3), (3, 3), ([2, 2], 4), ((np.int64(2), np.int32(3)), 6), ((0,), 0),
    (lambda meta: (2, 2, 2), 8), (lambda meta: 5, 5),
])
def test_good_grids_run_as_many_programs(device, grid, programs):
    assert _launch(device, grid) == programs


WAYS = DEVICES + ["cuda:sm_80"]


def _apply(way, **meta):
    if way == "cuda:sm_80":
        count.compile(kl.pointer_type(kl.int32), target=way, **meta)
    else:
        _launch(way, (1,), **meta)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("options, words", [
    ({"num_warps": 3}, "num_warps must be a power of two from 1 to 32, got 3"),
    ({"num_warps": 0}, "num_warps must be a power of two from 1 to 32, got 0"),
    ({"num_warps": 64}, "num_warps must be a power of two from 1 to 32, got 64"),
    ({"num_warps": 4.0}, "num_warps must be a power of two from 1 to 32, got 4.0"),
    ({"num_warps": True}, "num_warps must be a power of two from 1 to 32, got True"),
    ({"num_stages": 0}, "num_stages must be a positive integer, got 0"),
    ({"num_stages": "3"}, "num_stages must be a positive integer, got '3'"),
    ({"num_ctas": 2}, r"num_ctas must be 1 \(Kite runs one program per cluster\), got 2"),
    ({"maxnreg": -1}, "maxnreg must be a positive integer, got -1"),
    ({"debug": "yes"}, "debug must be True or False, got 'yes'"),
    ({"enable_fp_fusion": 1}, "enable_fp_fusion must be True or False, got 1"),
])
def test_bad_options_are_refused_everywhere(way, options, words):
    with pytest.raises(ValueError, match=words):
        _apply(way, **options)


@pytest.mark.parametrize("way", WAYS)
def test_good_options_are_taken_everywhere(way):
    _apply(way, num_warps=2, num_stages=3, num_ctas=1, maxnreg=None, debug=False,
           enable_fp_fusion=True)


def test_a_device_limits_threads_per_program():
    """num_warps x subgroup size beyond the device's workgroup limit is
    refused when compiling, naming the limit (not a driver error at load)."""
    device = vulkan_device()
    props = kite.runtime.registry.device(device).properties
    limit = min(props.max_work_group_invocations, props.max_work_group_size[0])
    warps = 32
    if warps * props.subgroup_size <= limit:
        pytest.skip(f"{device} takes 32 warps of {props.subgroup_size} threads")
    with pytest.raises(ValueError, match=f"more than its limit of {limit}"):
        count.compile(kl.pointer_type(kl.int32), target=device, num_warps=warps)


def test_the_compiled_kernel_checks_its_grid_too():
    device = vulkan_device()
    compiled = count.compile(kl.pointer_type(kl.int32), target=device)
    out = kite.zeros(1, kl.int32, device=device)
    with pytest.raises(TypeError, match="a grid size must be an integer, got 2.5"):
        compiled[(2.5,)](out)
    compiled[(2, 2)](out)
    assert out.numpy()[0] == 4


def test_threads_per_program_limit_names_the_device_and_the_largest_num_warps():
    from kite.runtime.launch_options import check_threads
    with pytest.raises(ValueError, match=r"num_warps=32 is 2048 threads of a program on "
                                         r"'vulkan:7' \(64 per warp\), more than its limit of "
                                         r"1024; use num_warps <= 16"):
        check_threads(32, 64, "vulkan:7", 1024)
    check_threads(16, 64, "vulkan:7", 1024)
