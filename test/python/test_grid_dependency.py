"""Programmatic dependent launch as Triton kernels write it:
``tl.extra.cuda.gdc_wait()`` before reading what the previous kernel wrote,
``gdc_launch_dependents()`` once the next one may start, and the launch
option ``launch_pdl=True``. PTX ``griddepcontrol`` on sm_90 and later
(ptxas checks it); nothing on older NVIDIA targets, on Vulkan and in the
interpreter, where every kernel computes the same result."""
import numpy as np
import pytest

import kite as triton
import kite.language as tl
from conftest import DEVICE, run
from kite.language.extra.cuda import gdc_launch_dependents, gdc_wait


@triton.jit
def scale_then_signal(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.extra.cuda.gdc_wait()  # x was written by the kernel launched before
    x = tl.load(x_ptr + offs, mask=mask)
    tl.extra.cuda.gdc_launch_dependents()
    tl.store(out_ptr + offs, x * 2, mask=mask)


@triton.jit
def imported_names(x_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    gdc_wait()
    tl.store(x_ptr + offs, tl.load(x_ptr + offs) + 1)
    gdc_launch_dependents()


def test_gdc_kernels_compute_the_same_everywhere():
    x = np.arange(300, dtype=np.float32)
    out = run(scale_then_signal, (triton.cdiv(300, 128),), x, np.zeros_like(x), 300,
              BLOCK=128)[1]
    np.testing.assert_array_equal(out, x * 2)
    np.testing.assert_array_equal(run(imported_names, (1,), x[:64], BLOCK=64), x[:64] + 1)


def test_launch_pdl_is_accepted_on_every_device():
    x = np.arange(64, dtype=np.float32)
    out = run(scale_then_signal, (1,), x, np.zeros_like(x), 64, BLOCK=64, launch_pdl=True)[1]
    np.testing.assert_array_equal(out, x * 2)
    with pytest.raises(ValueError, match="launch_pdl must be True or False, got 1"):
        run(scale_then_signal, (1,), x, np.zeros_like(x), 64, BLOCK=64, launch_pdl=1)


def _ptx(arch):
    return scale_then_signal.compile(np.zeros(1, np.float32), np.zeros(1, np.float32), 300,
                                     BLOCK=128, target=f"cuda:{arch}").asm["ptx"]


def test_griddepcontrol_in_sm_90_ptx_only():
    ptx = _ptx("sm_90")  # ptxas assembles it where the toolkit is installed
    assert ptx.index("griddepcontrol.wait") < ptx.index("ld.global") \
        < ptx.index("griddepcontrol.launch_dependents") < ptx.index("st.global")
    assert "griddepcontrol" not in _ptx("sm_80")


def test_gdc_in_the_kite_ir():
    text = scale_then_signal.trace(np.zeros(1, np.float32), np.zeros(1, np.float32), 300,
                                   BLOCK=128)
    assert text.index("kite.gdc_wait") < text.index("kite.load") \
        < text.index("kite.gdc_launch_dependents") < text.index("kite.store")


def test_gdc_on_vulkan_compiles_to_nothing():
    if not DEVICE.startswith("vulkan"):
        pytest.skip("a Vulkan test device compiles it")
    compiled = scale_then_signal.compile(np.zeros(1, np.float32), np.zeros(1, np.float32), 300,
                                         BLOCK=128, target=DEVICE)
    assert "gdc" not in compiled.asm["spirv"] and "gdc_wait" in compiled.asm["threads"]
