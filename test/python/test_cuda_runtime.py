"""The CUDA runtime from Python against the fake driver of
test/unit/fake_cuda (host memory; kernels are recorded, never run): devices,
kite.Tensor on cuda:N, launches of compiled kernels and the bytes of their
parameters, other libraries' arrays, PyTorch's stream, and the error
messages. The driver is loaded once per process, so each test body runs in
a new Python whose KITE_LIBCUDA names the driver (the rest of the suite
never sees the fake); a failing body's traceback is the test's message."""
from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import struct
import subprocess
import sys
import types

import numpy as np
import pytest

import kite
import kite.language as kl

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = "/usr/local/cuda/lib64/stubs/libcuda.so"


def _fake_driver():
    """libkite_fake_cuda.so, which the build puts next to libkite."""
    if os.environ.get("KITE_FAKE_CUDA_LIBRARY"):
        return os.environ["KITE_FAKE_CUDA_LIBRARY"]
    from kite import _C  # noqa: F401  (loads libkite)
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if os.path.basename(path).startswith("libkite.so"):
                found = os.path.join(os.path.dirname(path), "libkite_fake_cuda.so")
                return found if os.path.exists(found) else None
    return None


FAKE = _fake_driver()


def with_driver(driver=None, **env):
    """Runs the decorated test's body in a new process whose CUDA driver is
    ``driver`` (default: the fake), with ``env`` added to its environment."""
    def wrap(body):
        @functools.wraps(body)
        def test():
            path = driver or FAKE
            if path is None:
                pytest.skip("the fake CUDA driver (libkite_fake_cuda.so) was not built")
            if driver == STUB and not os.path.exists(STUB):
                pytest.skip(f"the CUDA toolkit's stub library {STUB} is not installed")
            child = dict(os.environ, KITE_LIBCUDA=path, **env)
            child.pop("KITE_DEVICE", None)
            # The kite package this process imported (the tree's, or a copy
            # with a binding built elsewhere).
            package_root = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
            child["PYTHONPATH"] = os.pathsep.join(
                [package_root, HERE, os.environ.get("PYTHONPATH", "")])
            code = f"import test_cuda_runtime as t; t.{body.__name__}.__wrapped__()"
            run = subprocess.run([sys.executable, "-c", code], cwd=HERE, env=child,
                                 capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, f"with KITE_LIBCUDA={path}:\n{run.stdout}{run.stderr}"
        return test
    return wrap


# -- in the child process ----------------------------------------------------

def fake_calls(call=None) -> list:
    """The fake driver's log, one dict per call (only `call`'s if given)."""
    fake = ctypes.CDLL(os.environ["KITE_LIBCUDA"])
    fake.kiteFakeCudaLog.restype = ctypes.c_char_p
    lines = fake.kiteFakeCudaLog().decode().splitlines()
    return [r for r in map(json.loads, lines) if call is None or r["call"] == call]


def fake_clear() -> None:
    ctypes.CDLL(os.environ["KITE_LIBCUDA"]).kiteFakeCudaClearLog()


def fake_live() -> dict:
    fake = ctypes.CDLL(os.environ["KITE_LIBCUDA"])
    fake.kiteFakeCudaLive.restype = ctypes.c_char_p
    return json.loads(fake.kiteFakeCudaLive())


def little_endian(fmt: str, value) -> str:
    return struct.pack("<" + fmt, value).hex()


@kite.kernel
def mixed(x_ptr, out_ptr, n, big, alpha, flag, h, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask)
    y = x * alpha + h.to(kl.float32) + big.to(kl.float32)
    kl.store(out_ptr + offs, kl.where(flag, y, x), mask=mask)


def compiled_for_cuda(device: str = "cuda:0"):
    """`mixed` compiled for `device`: its PTX and, where ptxas is installed,
    its cubin, which is then what the device loads."""
    f32 = kl.pointer_type(kl.float32)
    return mixed.compile(f32, f32, kl.int32, kl.int64, kl.float32, kl.int1, kl.float16,
                         BLOCK=128, target=device, num_warps=4)


def without_cubin(compiled):
    """The same kernel as on a machine without ptxas: the driver gets PTX."""
    compiled.binary, compiled._launcher = b"", None
    return compiled


class CudaArray:
    """Another library's CUDA array, as __cuda_array_interface__ shows it."""

    def __init__(self, pointer, typestr="<f4", shape=(64,), strides=None, device=None,
                 **extra):
        self.__cuda_array_interface__ = {"shape": shape, "typestr": typestr, "strides": strides,
                                         "data": (pointer, False), "version": 3, **extra}
        if device is not None:
            self.__dlpack_device__ = lambda: (2, device)


class DLPackArray:
    """An array known only through DLPack; its capsule is numpy's (host
    memory, which the fake driver's device memory is too)."""

    def __init__(self, array, device=(2, 0)):
        self.array, self.device = array, device

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__()

    def __dlpack_device__(self):
        return self.device


def bfloat16_capsule(pointer: int, count: int):
    """A DLPack capsule of `count` bfloat16 at `pointer` on cuda:0, as
    PyTorch makes for a bfloat16 CUDA tensor."""
    from kite.runtime.external import _DLDataType, _DLDevice, _DLTensor
    shape = (ctypes.c_int64 * 1)(count)
    tensor = _DLTensor(pointer, _DLDevice(2, 0), 1, _DLDataType(4, 16, 1), shape, None, 0)
    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p,
                                                   ctypes.c_void_p]
    capsule = new(ctypes.addressof(tensor), b"dltensor", None)
    bfloat16_capsule.alive = (tensor, shape)  # the struct must outlive the capsule
    return capsule


# -- the tests -----------------------------------------------------------------

@with_driver()
def test_cuda_devices_come_first_and_describe_themselves():
    from kite.runtime import registry
    devices = kite.devices()
    assert devices[0] == "cuda:0" and "interpreter" in devices
    assert [d for d in devices if d.startswith("cuda:")] == ["cuda:0"]
    assert kite.default_device() == "cuda:0"
    assert registry.resolve_device("cuda") == "cuda:0"
    device = registry.device("cuda")
    assert device is registry.device("cuda:0")
    # A capability-9.0 device compiles for sm_90a: its own features (wgmma).
    assert device.arch == "sm_90a" and device.subgroup_size == 32
    assert device.target_identity() == ("cuda device=Fake GPU 0 arch=sm_90a "
                                        "uuid=f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfe00 "
                                        "driver_version=12040")
    p = device.properties
    assert (p.backend, p.multiprocessor_count, p.memory_bytes) == ("cuda", 132, 16 << 30)
    assert p.max_shared_memory_bytes == 232448
    assert repr(p) == "<kite._C.DeviceProperties cuda:0: Fake GPU 0 (NVIDIA, CUDA 12.4, sm_90a)>"
    with pytest.raises(ValueError, match="'cuda:0' is not a Vulkan device"):
        registry.vulkan_device("cuda:0")


@with_driver()
def test_tensors_round_trip_through_a_cuda_device():
    from kite import _C
    for dtype, values in [(kl.float32, [1.5, -2.0, 3.25]), (kl.int8, [-128, 0, 127]),
                          (kl.float16, [0.5, 65504.0, -1.0]), (kl.int64, [2 ** 40, -1, 7]),
                          (kl.bfloat16, [1.0, -3.0, 256.0])]:
        host = np.array(values, np.float32 if dtype.is_floating() else np.int64)
        t = kite.from_numpy(host, device="cuda", dtype=dtype)
        assert t.device == "cuda:0"
        assert _C.device_of_address(t.data_ptr()) == "cuda:0"
        np.testing.assert_array_equal(t.numpy(), host.astype(t.numpy().dtype))
    z = kite.zeros((3, 5), kl.float32, device="cuda:0")
    np.testing.assert_array_equal(z.numpy(), np.zeros((3, 5), np.float32))
    assert kite.empty(0, device="cuda:0").numpy().shape == (0,)
    before = fake_live()["allocations"]
    del z
    assert fake_live()["allocations"] == before - 1


def _launch_mixed(compiled):
    """Launches `compiled` (`mixed`) twice and checks what the driver got."""
    x = kite.from_numpy(np.arange(300, dtype=np.float32), device="cuda:0")
    out = kite.empty(300, kl.float32, device="cuda:0")
    values = [x, out, 300, 2 ** 40 + 5, 2.5, True, 1.5, 128]
    fake_clear()
    compiled.launch((3,), values)
    compiled.launch(lambda meta: (meta["n"] // meta["BLOCK"] + 1,), values)

    (load,) = fake_calls("cuModuleLoadDataEx")  # loaded once, launched twice
    image = compiled.binary or compiled.asm["ptx"].encode()
    assert bytes.fromhex(load["image"]) == image
    first, second = fake_calls("cuLaunchKernel")
    assert first["function"] == "mixed"
    assert first["grid"] == [3, 1, 1] and second["grid"] == [3, 1, 1]
    assert first["block"] == [128, 1, 1]
    assert first["shared"] == 0 and first["stream"] == 0
    assert first["params"] == [little_endian("Q", x.data_ptr()),
                               little_endian("Q", out.data_ptr()),
                               little_endian("i", 300), little_endian("q", 2 ** 40 + 5),
                               little_endian("f", 2.5),
                               "01",  # i1 is .param .u8: the first byte of its word
                               little_endian("e", 1.5)]
    # Queued, not waited for; reading the result waits.
    assert not fake_calls("cuCtxSynchronize")
    out.numpy()
    assert fake_calls("cuCtxSynchronize")


@with_driver()
def test_a_compiled_kernel_launch_passes_each_parameter_at_its_size():
    compiled = compiled_for_cuda()
    assert compiled.metadata["arch"] == "sm_90a"
    _launch_mixed(compiled)


@with_driver()
def test_without_a_cubin_the_driver_compiles_the_ptx():
    compiled = without_cubin(compiled_for_cuda())
    _launch_mixed(compiled)
    assert fake_calls("cuModuleLoadDataEx")[0]["options"] == [5, 6]  # the JIT's error log


@pytest.mark.skipif(shutil.which("ptxas") is None, reason="ptxas (CUDA toolkit) not found")
@with_driver()
def test_with_ptxas_the_driver_gets_the_cubin_byte_for_byte():
    compiled = compiled_for_cuda()
    assert compiled.binary[:4] == b"\x7fELF" and compiled.asm["cubin"] == compiled.binary
    _launch_mixed(compiled)


@with_driver()
def test_debug_launches_pass_each_pointers_allocation_after_the_arguments():
    """debug=True compiles memory checks (docs/runtime.md): the kernel takes
    the begin and size of each pointer's allocation, then the table of live
    allocations (unused here: zeros)."""
    x = kite.from_numpy(np.arange(300, dtype=np.float32), device="cuda:0")
    out = kite.empty(300, kl.float32, device="cuda:0")
    fake_clear()
    mixed[(3,)](x, out, 300, 7, 0.5, False, 1.0, BLOCK=128, debug=True)
    (launch,) = fake_calls("cuLaunchKernel")
    assert launch["params"][7:] == [little_endian("Q", v) for v in
                                    (x.data_ptr(), 1200, out.data_ptr(), 1200, 0, 0)]
    mixed[(3,)](x, out, 300, 7, 0.5, False, 1.0, BLOCK=128)  # off by default on GPUs
    assert len(fake_calls("cuLaunchKernel")[-1]["params"]) == 7


@with_driver()
def test_launch_pdl_launches_with_programmatic_stream_serialization():
    """launch_pdl=True on sm_90 goes through cuLaunchKernelEx with
    CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION (6) set; the same
    kernel without it, through cuLaunchKernel. The code is the same."""
    x = kite.from_numpy(np.arange(300, dtype=np.float32), device="cuda:0")
    out = kite.empty(300, kl.float32, device="cuda:0")
    fake_clear()
    with_pdl = mixed[(3,)](x, out, 300, 7, 0.5, False, 1.0, BLOCK=128, launch_pdl=True)
    (launch,) = fake_calls("cuLaunchKernelEx")
    assert launch["attributes"] == [[6, 1]] and launch["grid"] == [3, 1, 1]
    assert launch["block"] == [128, 1, 1] and len(launch["params"]) == 7
    assert not fake_calls("cuLaunchKernel")
    plain = mixed[(3,)](x, out, 300, 7, 0.5, False, 1.0, BLOCK=128)
    assert len(fake_calls("cuLaunchKernel")) == 1 and len(fake_calls("cuLaunchKernelEx")) == 1
    assert with_pdl is not plain and with_pdl.metadata.hash == plain.metadata.hash


@with_driver()
def test_kernel_launches_on_cuda_tensors_go_to_the_cuda_device():
    x = kite.from_numpy(np.arange(200, dtype=np.float32), device="cuda:0")
    out = kite.empty(200, kl.float32, device="cuda:0")
    fake_clear()
    mixed[(2,)](x, out, 200, 7, 0.5, False, 1.0, BLOCK=128)
    (launch,) = fake_calls("cuLaunchKernel")
    assert launch["grid"] == [2, 1, 1] and launch["block"] == [128, 1, 1]
    # Python numbers specialise as i32, i32, f32, i1, f32.
    assert launch["params"][2:] == [little_endian("i", 200), little_endian("i", 7),
                                    little_endian("f", 0.5), "00", little_endian("f", 1.0)]
    with pytest.raises(TypeError, match="^argument 'out_ptr' is a host array, but the kernel "
                                        "runs on 'cuda:0', which needs device memory"):
        mixed[(2,)](x, np.zeros(200, np.float32), 200, 7, 0.5, False, 1.0, BLOCK=128)


@with_driver()
def test_a_compiled_kernel_with_a_bad_cubin_says_what_the_driver_said():
    from kite import _C
    compiled = compiled_for_cuda()
    compiled.binary, compiled._loaded = b"\x7fELF\x02\x01\x01" + bytes(57), None
    x = kite.zeros(8, kl.float32, device="cuda:0")
    with pytest.raises(_C.DeviceError, match="^cuModuleLoadDataEx failed: "
                                             "CUDA_ERROR_INVALID_IMAGE: "):
        compiled.launch((1,), [x, x, 8, 0, 1.0, False, 0.0, 128])
    assert bytes.fromhex(fake_calls("cuModuleLoadDataEx")[-1]["image"]).startswith(b"\x7fELF")


@with_driver(KITE_FAKE_CUDA_DEVICES="2")
def test_other_libraries_cuda_arrays_are_passed_by_pointer():
    from kite.runtime.arguments import launch_device
    compiled = compiled_for_cuda()
    memory = kite.zeros(256, kl.float32, device="cuda:0")
    base = memory.data_ptr()
    # The device of a bare __cuda_array_interface__ is asked of the driver;
    # strides do not matter (the kernel indexes).
    x = CudaArray(base + 64, strides=(8,))
    out = CudaArray(base + 512, device=0)
    values = [x, out, 64, 0, 1.0, False, 0.0, 128]
    specs, _, _ = mixed.specialize(values[:7], {"BLOCK": 128})
    assert [str(s.type) for s in specs[:2]] == ["pointer<fp32>", "pointer<fp32>"]
    assert launch_device(specs, values, target="cuda:0") == "cuda:0"
    compiled.launch((1,), values)
    params = fake_calls("cuLaunchKernel")[-1]["params"]
    assert params[:2] == [little_endian("Q", base + 64), little_endian("Q", base + 512)]

    half = CudaArray(base, typestr="<f2")
    assert str(mixed.specialize([half] * 2 + values[2:7], {"BLOCK": 1})[0][0].type) \
        == "pointer<fp16>"
    elsewhere = CudaArray(base, device=1)
    with pytest.raises(ValueError, match="^argument 'x_ptr' is on 'cuda:1', but the kernel "
                                         r"runs on 'cuda:0' \(the device it was compiled for\)$"):
        launch_device(specs, [elsewhere, elsewhere] + values[2:], target="cuda:0")
    with pytest.raises(ValueError, match="^kernel arguments are on different devices: "
                                         "'x_ptr' on 'cuda:0', 'out_ptr' on 'cuda:1'$"):
        launch_device(specs, [x, elsewhere] + values[2:])
    with pytest.raises(ValueError, match="^argument 'x_ptr' points to memory of no CUDA device"):
        launch_device(specs, [CudaArray(0x1000)] + values[1:], target="cuda:0")
    with pytest.raises(TypeError, match="^argument 'x_ptr': __cuda_array_interface__ typestr "
                                        "'<V2' has no kite dtype$"):
        mixed.specialize([CudaArray(base, typestr="<V2")] + values[1:7], {"BLOCK": 1})


@with_driver()
def test_dlpack_arrays_are_passed_by_pointer_and_host_ones_refused():
    from kite.frontend.specialization import pointer_dtype_of
    from kite.runtime.arguments import launch_device
    compiled = compiled_for_cuda()
    host = np.arange(16, dtype=np.float32)
    x = DLPackArray(host[4:])
    out = DLPackArray(host)
    values = [x, out, 12, 0, 1.0, False, 0.0, 128]
    specs, _, _ = mixed.specialize(values[:7], {"BLOCK": 128})
    assert pointer_dtype_of(x) == (kl.float32, host.ctypes.data + 16)
    assert launch_device(specs, values) == "cuda:0"
    compiled.launch((1,), values)
    assert fake_calls("cuLaunchKernel")[-1]["params"][0] == little_endian("Q", host.ctypes.data + 16)

    # bfloat16 has no __cuda_array_interface__ typestr: PyTorch raises there,
    # and DLPack names it.
    class Bfloat16Tensor:
        @property
        def __cuda_array_interface__(self):
            raise TypeError("dtype torch.bfloat16 is not supported by __cuda_array_interface__")

        def __dlpack__(self, **kwargs):
            return bfloat16_capsule(0x7000, 8)

        def __dlpack_device__(self):
            return (2, 0)
    assert pointer_dtype_of(Bfloat16Tensor()) == (kl.bfloat16, 0x7000)

    on_cpu = DLPackArray(host, device=(1, 0))
    with pytest.raises(TypeError, match="^argument 'x_ptr' is a host array, but the kernel runs "
                                        r"on 'cuda:0' \(the device it was compiled for\), which "
                                        "needs device memory"):
        launch_device(specs, [on_cpu] + values[1:], target="cuda:0")


@kite.kernel
def row_sum(x_ptr, out_ptr, BLOCK: kl.constexpr):
    x = kl.load(x_ptr + kl.arange(0, BLOCK))
    kl.store(out_ptr, kl.sum(x, axis=0))


@with_driver()
def test_a_launch_gives_the_kernel_the_shared_memory_it_needs():
    # A sum over 4 warps combines their partials in shared memory, which the
    # NVPTX emitter makes dynamic: the launch passes its size.
    x = kite.zeros(4096, kl.float32, device="cuda:0")
    out = kite.zeros(1, kl.float32, device="cuda:0")
    fake_clear()
    row_sum[(1,)](x, out, BLOCK=4096, num_warps=4)
    compiled = row_sum.compile(x, out, BLOCK=4096, num_warps=4, target="cuda:0")
    assert compiled.metadata["shared"] > 0
    (launch,) = fake_calls("cuLaunchKernel")
    assert launch["shared"] == compiled.metadata["shared"]


@kite.kernel
def wide_dot(a_ptr, b_ptr, c_ptr, M: kl.constexpr, N: kl.constexpr, K: kl.constexpr):
    rows, cols, ks = kl.arange(0, M), kl.arange(0, N), kl.arange(0, K)
    a = kl.load(a_ptr + rows[:, None] * K + ks[None, :])
    b = kl.load(b_ptr + ks[:, None] * N + cols[None, :])
    kl.store(c_ptr + rows[:, None] * N + cols[None, :], kl.dot(a, b))


@with_driver()
def test_a_dot_over_48_kib_of_shared_memory_opts_in_before_its_launch():
    # f16 operands 64x256 and 256x64 staged in shared memory: 64 KiB, more
    # than a block gets without cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES).
    a = kite.zeros((64, 256), kl.float16, device="cuda:0")
    b = kite.zeros((256, 64), kl.float16, device="cuda:0")
    c = kite.zeros((64, 64), kl.float32, device="cuda:0")
    fake_clear()
    wide_dot[(1,)](a, b, c, M=64, N=64, K=256, num_warps=4)
    compiled = wide_dot.compile(a, b, c, M=64, N=64, K=256, num_warps=4, target="cuda:0")
    assert compiled.metadata["shared"] == 65536
    (opt_in,) = fake_calls("cuFuncSetAttribute")
    assert (opt_in["attribute"], opt_in["value"]) == (8, 65536), opt_in
    (launch,) = fake_calls("cuLaunchKernel")
    assert launch["shared"] == 65536


@with_driver()
def test_a_torch_tensor_puts_the_launch_on_torchs_current_stream():
    asked = []
    torch = types.ModuleType("torch")
    # What Kite reads: the raw current stream, else the stream object.
    torch._C = types.SimpleNamespace(
        _cuda_getCurrentRawStream=lambda index: asked.append(("raw", index)) or 0xbeef)
    torch.cuda = types.SimpleNamespace(
        current_stream=lambda index: asked.append(("object", index)) or types.SimpleNamespace(
            cuda_stream=0xcafe))
    torch.Tensor = type("Tensor", (CudaArray,), {"__module__": "torch"})
    sys.modules["torch"] = torch
    compiled = compiled_for_cuda()
    memory = kite.zeros(128, kl.float32, device="cuda:0")
    x = torch.Tensor(memory.data_ptr(), device=0)
    compiled.launch((1,), [x, memory, 128, 0, 1.0, False, 0.0, 128])
    assert fake_calls("cuLaunchKernel")[-1]["stream"] == 0xbeef
    assert asked == [("raw", 0)]
    del torch._C._cuda_getCurrentRawStream
    compiled.launch((1,), [x, memory, 128, 0, 1.0, False, 0.0, 128])
    assert fake_calls("cuLaunchKernel")[-1]["stream"] == 0xcafe
    assert asked == [("raw", 0), ("object", 0)]
    compiled.launch((1,), [memory, memory, 128, 0, 1.0, False, 0.0, 128])
    assert fake_calls("cuLaunchKernel")[-1]["stream"] == 0


@with_driver()
def test_a_cuda_array_interface_stream_is_where_the_launch_goes():
    memory = kite.zeros(128, kl.float32, device="cuda:0")

    def on(stream):  # CuPy's or Numba's view of `memory`, produced on `stream`
        return CudaArray(memory.data_ptr(), shape=(128,), stream=stream)

    def stream_of(x, out=memory):
        mixed[(1,)](x, out, 128, 0, 1.0, False, 0.0, BLOCK=128)
        return fake_calls("cuLaunchKernel")[-1]["stream"]

    assert stream_of(on(0x5eed)) == 0x5eed
    assert stream_of(on(0x5eed)) == 0x5eed  # again (what the slow path bound, it packs)
    assert stream_of(on(1)) == 1 and stream_of(on(2)) == 2  # CU_STREAM_LEGACY, _PER_THREAD
    assert stream_of(on(None)) == 0 and stream_of(CudaArray(memory.data_ptr())) == 0
    assert stream_of(memory, on(0x77)) == 0x77       # the first argument that names one
    assert stream_of(on(None), on(0x77)) == 0x77
    assert stream_of(on(0x11), on(0x22)) == 0x11
    assert stream_of(memory) == 0
    compiled = compiled_for_cuda()
    compiled.launch((1,), [on(0xabc), memory, 128, 0, 1.0, False, 0.0, 128])
    assert fake_calls("cuLaunchKernel")[-1]["stream"] == 0xabc
    for bad in (0, -5, "1"):
        with pytest.raises(ValueError, match=f"^argument 'x_ptr': __cuda_array_interface__ "
                                             f"stream {bad!r} is not a stream: version 3 "
                                             "allows None, 1 "):
            mixed[(1,)](on(bad), memory, 128, 0, 1.0, False, 0.0, BLOCK=128)

    # A torch tensor decides: PyTorch's current stream.
    torch = types.ModuleType("torch")
    torch._C = types.SimpleNamespace(_cuda_getCurrentRawStream=lambda index: 0xbeef)
    torch.Tensor = type("Tensor", (CudaArray,), {"__module__": "torch"})
    sys.modules["torch"] = torch
    compiled.launch((1,), [on(0xabc), torch.Tensor(memory.data_ptr()), 128, 0, 1.0, False,
                           0.0, 128])
    assert fake_calls("cuLaunchKernel")[-1]["stream"] == 0xbeef


@with_driver()
def test_driver_failures_are_device_errors_naming_the_call():
    from kite import _C
    from kite.runtime import registry
    device = registry.device("cuda:0")
    bad = compiled_for_cuda().asm["ptx"].replace(".target sm_90a", ".target sm_100a")
    assert bad != compiled_for_cuda().asm["ptx"]
    with pytest.raises(_C.DeviceError, match=r"^cuModuleLoadDataEx failed: "
                                             r"CUDA_ERROR_INVALID_PTX: ptxas application ptx "
                                             r"input, line \d+; error   : the .target sm_100a "
                                             r"is newer than the device \(sm_90\)$"):
        device.load_kernel(bad, "mixed", 128, "ptx", [8, 8, 4, 8, 4, 4, 2])
    with pytest.raises(ValueError, match="format must be 'ptx' or 'cubin', not 'spirv'"):
        device.load_kernel(bad, "mixed", 128, "spirv")

    t = kite.zeros(16, kl.float32, device="cuda:0")
    compiled = compiled_for_cuda()
    os.environ["KITE_FAKE_CUDA_FAIL"] = "cuMemAlloc_v2=CUDA_ERROR_OUT_OF_MEMORY"
    with pytest.raises(_C.DeviceError, match="^cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY$"):
        kite.empty(1 << 20, device="cuda:0")
    os.environ["KITE_FAKE_CUDA_FAIL"] = "cuLaunchKernel=CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"
    with pytest.raises(_C.DeviceError, match="^cuLaunchKernel failed: "
                                             "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES$"):
        compiled.launch((1,), [t, t, 16, 0, 1.0, False, 0.0, 128])
    os.environ["KITE_FAKE_CUDA_FAIL"] = "cuCtxSynchronize=CUDA_ERROR_ILLEGAL_ADDRESS"
    with pytest.raises(_C.DeviceError, match=r"^synchronize: cuCtxSynchronize failed: "
                                             r"CUDA_ERROR_ILLEGAL_ADDRESS \(a kernel accessed "
                                             r"memory outside its tensors, or misaligned: check "
                                             r"the masks of its loads and stores; "
                                             r"KITE_INTERPRET=1 checks every access; launches "
                                             r"are asynchronous: this may be the error of an "
                                             r"earlier launch; the process cannot use this GPU "
                                             r"any more\)$"):
        device.synchronize()
    with pytest.raises(_C.DeviceError, match="^download: cuCtxSynchronize failed"):
        t.numpy()
    os.environ["KITE_FAKE_CUDA_FAIL"] = "cuMemcpyHtoD_v2=CUDA_ERROR_INVALID_VALUE"
    with pytest.raises(_C.DeviceError, match="^cuMemcpyHtoD failed: CUDA_ERROR_INVALID_VALUE$"):
        kite.from_numpy(np.ones(4, np.float32), device="cuda:0")
    os.environ["KITE_FAKE_CUDA_FAIL"] = "cuModuleLoadDataEx=CUDA_ERROR_UNSUPPORTED_PTX_VERSION"
    with pytest.raises(_C.DeviceError, match=r"^cuModuleLoadDataEx failed: CUDA_ERROR_UNSUPPORTED_PTX_"
                                             r"VERSION \(the driver is older than the PTX Kite "
                                             r"wrote: update the driver, or install the CUDA "
                                             r"toolkit, whose ptxas makes the binary instead\)$"):
        device.load_kernel(compiled.asm["ptx"], compiled.name, 128, "ptx", [8, 8, 4, 8, 4, 4, 2])
    del os.environ["KITE_FAKE_CUDA_FAIL"]
    np.testing.assert_array_equal(t.numpy(), np.zeros(16, np.float32))


@with_driver(KITE_FAKE_CUDA_FAIL="cuInit=CUDA_ERROR_NO_DEVICE")
def test_a_driver_without_devices_leaves_cuda_out_and_says_why():
    from kite import _C
    from kite.runtime import registry
    assert not [d for d in kite.devices() if d.startswith("cuda:")]
    with pytest.raises(_C.DeviceError, match="^cannot open cuda:0: cuInit failed: "
                                             "CUDA_ERROR_NO_DEVICE$"):
        _C.Device.open("cuda:0")
    with pytest.raises(_C.DeviceError, match="^no usable CUDA device: cuInit failed: "
                                             "CUDA_ERROR_NO_DEVICE$"):
        _C.Device.open("cuda")
    with pytest.raises(ValueError, match="unknown or unavailable device 'cuda'"):
        registry.resolve_device("cuda")


@with_driver(STUB)
def test_the_toolkit_stub_library_is_named_for_what_it_is():
    from kite import _C
    assert not [p for p in _C.list_devices() if p.backend == "cuda"]
    with pytest.raises(_C.DeviceError) as error:
        _C.Device.open("cuda:0")
    assert str(error.value) == (
        f"cannot open cuda:0: cuInit failed: CUDA_ERROR_STUB_LIBRARY ({STUB} is the CUDA "
        "toolkit's stub library, which only satisfies the linker: install the NVIDIA driver, "
        "or point KITE_LIBCUDA at its libcuda.so.1)")


@with_driver("/nonexistent/libcuda.so.1")
def test_a_missing_driver_leaves_cuda_out_and_says_why():
    from kite import _C
    assert kite.devices()[0] != "cuda:0"
    with pytest.raises(_C.DeviceError, match="^cannot open cuda:0: cannot open the CUDA driver "
                                             "/nonexistent/libcuda.so.1: "):
        _C.Device.open("cuda:0")


# -- on a real GPU (skipped elsewhere) ----------------------------------------

def _real_cuda_device():
    """The first CUDA device of a real driver in this process, or None."""
    from kite.runtime import registry
    if os.environ.get("KITE_LIBCUDA"):  # a fake or a stub
        return None
    cuda = [d for d in kite.devices() if d.startswith("cuda:")]
    return registry.device(cuda[0]) if cuda else None


@pytest.mark.skipif(_real_cuda_device() is None, reason="no CUDA GPU and driver here")
def test_on_a_gpu_the_parameters_reach_the_kernel():
    device = _real_cuda_device()
    compiled = compiled_for_cuda(device.name)
    host = np.arange(300, dtype=np.float32)
    x = kite.from_numpy(host, device=device.name)
    for flag in (True, False):
        out = kite.zeros(300, kl.float32, device=device.name)
        compiled.launch((3,), [x, out, 300, 2 ** 20, 2.5, flag, 1.5, 128])
        expected = host * np.float32(2.5) + np.float32(1.5 + 2 ** 20) if flag else host
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    device.synchronize()


@pytest.mark.skipif(_real_cuda_device() is None, reason="no CUDA GPU and driver here")
def test_on_a_gpu_torch_tensors_are_used_in_place_on_torchs_stream():
    torch = pytest.importorskip("torch")
    device = _real_cuda_device()
    index = int(device.name.split(":")[1])
    compiled = compiled_for_cuda(device.name)
    x = torch.arange(300, dtype=torch.float32, device=f"cuda:{index}")
    out = torch.zeros(300, dtype=torch.float32, device=f"cuda:{index}")
    stream = torch.cuda.Stream(index)
    with torch.cuda.stream(stream):
        compiled.launch((3,), [x, out, 300, 0, 2.0, True, 0.5, 128])
    stream.synchronize()
    torch.testing.assert_close(out, x * 2.0 + 0.5)


@with_driver()
def test_a_host_descriptor_read_by_tma_passes_the_drivers_tensor_map():
    import test_tma
    a = kite.zeros((256, 128), kl.float16, device="cuda:0")
    b = kite.zeros((128, 192), kl.float16, device="cuda:0")
    c = kite.zeros((256, 192), kl.float32, device="cuda:0")
    fake_clear()
    test_tma.descriptor_matmul[(2, 2)](kite.TensorDescriptor.from_tensor(a, [128, 64]),
                                       kite.TensorDescriptor.from_tensor(b, [64, 128]),
                                       c, 256, 192, 128, 0, BM=128, BN=128, BK=64, num_warps=8)
    # Innermost first, byte strides: A read in 8-row boxes of 64 columns, B
    # in 64 x 64 slabs, both with the 128-byte swizzle (3), f16 (6), zeros
    # outside (oob 0).
    encoded = sorted((e["dims"], e["strides"], e["box"], e["swizzle"], e["type"], e["oob"])
                     for e in fake_calls("cuTensorMapEncodeTiled"))
    assert encoded == [([128, 256], [256], [64, 8], 3, 6, 0),
                       ([192, 128], [384], [64, 64], 3, 6, 0)]
    # The kernel gets each map's device address (parameters 4 and 9; the
    # fake's map starts with the tensor's address).
    (launch,) = fake_calls("cuLaunchKernel")
    for param, tensor in ((4, a), (9, b)):
        address = int.from_bytes(bytes.fromhex(launch["params"][param]), "little")
        assert address and address % 64 == 0
        mapped = ctypes.string_at(address, 8)
        assert int.from_bytes(mapped, "little") == tensor.data_ptr()
