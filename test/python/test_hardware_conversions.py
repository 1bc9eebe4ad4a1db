"""bf16 and fp8 conversions in hardware on NVIDIA (EmulatedFloats.cpp,
docs/lowering.md): sm_89 and later convert f32 to and from e4m3 and e5m2
with PTX cvt (two values an instruction), sm_80 and later round f32 to
bf16 with cvt.rn.bf16x2.f32; rounding toward zero and older architectures
keep the integer conversions. Both give the same bits: the same kernels run
on cuda-sim:sm_80 (software) and cuda-sim:sm_90 (hardware, and the
simulator's canonical NaNs) against the interpreter, bit for bit, NaNs of
both signs included."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.language as kl
from kite import _C

FP8 = {"e4m3fn": (kl.float8e4nv, ml_dtypes.float8_e4m3fn, "e4m3x2"),
       "e5m2": (kl.float8e5, ml_dtypes.float8_e5m2, "e5m2x2")}
DEVICES = ["interpreter", "cuda-sim:sm_80", "cuda-sim:sm_90"]


@kite.kernel
def to_fp8(x_ptr, fp8_ptr, codes_ptr, back_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr,
           RTZ: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    x = kl.load(x_ptr + offs)
    if RTZ:
        y = x.to(DTYPE, fp_downcast_rounding="rtz")
    else:
        y = x.to(DTYPE)
    kl.store(fp8_ptr + offs, y)  # the fp8 tensor's bytes
    kl.store(codes_ptr + offs, y.to(kl.uint8, bitcast=True))
    kl.store(back_ptr + offs, y.to(kl.float32))


@kite.kernel
def from_fp8(codes_ptr, f32_ptr, sum_ptr, BLOCK: kl.constexpr, DTYPE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    y = kl.load(codes_ptr + offs).to(DTYPE, bitcast=True)
    kl.store(f32_ptr + offs, y.to(kl.float32))
    kl.store(sum_ptr + offs, (y + y).to(kl.uint8, bitcast=True))  # rounded again


@kite.kernel
def to_bf16(x_ptr, bf16_ptr, bits_ptr, sum_ptr, BLOCK: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    y = kl.load(x_ptr + offs).to(kl.bfloat16)
    kl.store(bf16_ptr + offs, y)
    kl.store(bits_ptr + offs, y.to(kl.uint16, bitcast=True))
    kl.store(sum_ptr + offs, (y + y).to(kl.float32))


@kite.kernel
def stored_bits(src_ptr, bits_ptr, BLOCK: kl.constexpr, UINT: kl.constexpr):
    """The bits of a bf16 or fp8 tensor, as loaded (decoded, then its bits)."""
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    kl.store(bits_ptr + offs, kl.load(src_ptr + offs).to(UINT, bitcast=True))


def _bits(values):
    return np.array(values, dtype=np.uint32).view(np.float32)


def _inputs():
    """Every value of both fp8 formats and bf16-relevant edges, the
    midpoints of the fp8 grids (ties), the floats next to each, ±inf,
    overflow, f32 subnormals and NaN payloads of both signs; a multiple of
    256 of them."""
    values = [np.unique(np.abs(c[np.isfinite(c)])) for c in
              (np.arange(256, dtype=np.uint8).view(f[1]).astype(np.float32) for f in FP8.values())]
    mids = [((g[1:].astype(np.float64) + g[:-1]) / 2).astype(np.float32) for g in values]
    edges = np.concatenate([np.array([448, 464, 57344, 61440, 1e30, 3.4028235e38, 1e-40, 1e-45, 0.0,
                                      np.inf, np.nan], np.float32),
                            _bits([0x7F800001, 0x7FBFFFFF, 0x7FC00001, 0x7FFFFFFF, 0x3F808000,
                                   0x3F818000, 0x7F7F8000, 0x7F7F7FFF])])
    x = np.concatenate(values + mids + [edges])
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.concatenate([x, np.nextafter(x, np.float32(np.inf))])
    x = np.concatenate([x, -x])
    return np.resize(x, -(-len(x) // 256) * 256).astype(np.float32)


def _as_bits(array):
    return array.view({1: np.uint8, 2: np.uint16, 4: np.uint32}[array.dtype.itemsize])


def _run(kernel, device, *args, **meta):
    """Launches `kernel` over the elements of the first argument, 256 a
    program, on `device`; numpy arrays go there first. Returns the bits of every argument but the first: numpy
    ones as they came back, bf16 and fp8 tensors as stored."""
    tensors = [a if isinstance(a, kite.Tensor) else kite.from_numpy(a, device=device)
               for a in args]
    if device != "interpreter":
        meta["num_warps"] = 4
    n = len(args[0])
    kernel[(n // 256,)](*tensors, BLOCK=256, **meta)
    out = []
    for arg, t in zip(args[1:], tensors[1:]):
        if isinstance(arg, kite.Tensor):
            uint = kl.uint8 if t.dtype in (kl.float8e4nv, kl.float8e5) else kl.uint16
            bits = np.zeros(n, np.uint8 if uint == kl.uint8 else np.uint16)
            dev = kite.from_numpy(bits, device=device)
            stored_bits[(n // 256,)](t, dev, BLOCK=256, UINT=uint,
                              **({"num_warps": 4} if device != "interpreter" else {}))
            out.append(dev.numpy())
        else:
            out.append(_as_bits(t.numpy()))
    return out


@pytest.mark.parametrize("rtz", [False, True], ids=["rtne", "rtz"])
@pytest.mark.parametrize("name", list(FP8))
def test_f32_to_fp8_is_the_same_bits_on_every_path(name, rtz):
    """The fp8 tensor's bytes, the codes (a bitcast) and the values back in
    f32, from inputs at every value, tie and edge."""
    fmt = FP8[name][0]
    x = _inputs()
    got = {device: _run(to_fp8, device, x, kite.zeros(len(x), fmt, device=device),
                        np.zeros(len(x), np.uint8), np.zeros(len(x), np.float32),
                        DTYPE=fmt, RTZ=rtz)
           for device in DEVICES}
    for device in DEVICES[1:]:
        for a, b in zip(got[device], got["interpreter"]):
            bad = a != b
            assert not bad.any(), (device, [(float(v), hex(p), hex(q)) for v, p, q in
                                            zip(x[bad][:8], a[bad][:8], b[bad][:8])])


@pytest.mark.parametrize("name", list(FP8))
def test_fp8_to_f32_is_the_same_bits_on_every_path(name):
    """Every code in f32 (NaN codes of both signs included), and rounded
    again after an add."""
    fmt = FP8[name][0]
    codes = np.tile(np.arange(256, dtype=np.uint8), 4)
    got = {device: _run(from_fp8, device, codes, np.zeros(1024, np.float32),
                        np.zeros(1024, np.uint8), DTYPE=fmt)
           for device in DEVICES}
    for device in DEVICES[1:]:
        for a, b in zip(got[device], got["interpreter"]):
            np.testing.assert_array_equal(a, b, err_msg=device)


def test_f32_to_bf16_is_the_same_bits_on_every_path():
    x = _inputs()
    got = {device: _run(to_bf16, device, x, kite.zeros(len(x), kl.bfloat16, device=device),
                        np.zeros(len(x), np.uint16), np.zeros(len(x), np.float32))
           for device in DEVICES}
    # NaN is 0x7FC0 whatever its sign and payload; numbers as ml_dtypes rounds.
    with np.errstate(over="ignore", invalid="ignore"):
        want = np.where(np.isnan(x), 0x7FC0, x.astype(ml_dtypes.bfloat16).view(np.uint16))
    np.testing.assert_array_equal(got["interpreter"][0], want)
    np.testing.assert_array_equal(got["interpreter"][1], want)
    for device in DEVICES[1:]:
        for a, b in zip(got[device], got["interpreter"]):
            np.testing.assert_array_equal(a, b, err_msg=device)


def _ptx(kernel, arch, *args, **meta):
    return kernel.compile(*args, target=f"cuda:{arch}", num_warps=4, BLOCK=256, **meta).asm["ptx"]


@pytest.mark.parametrize("name", list(FP8))
def test_sm_90_converts_fp8_with_cvt_and_sm_80_without(name):
    fmt, _, ptx_type = FP8[name]
    x, codes, back = np.zeros(256, np.float32), np.zeros(256, np.uint8), np.zeros(256, np.float32)
    fp8 = kite.zeros(256, fmt, device="interpreter")
    sm90 = _ptx(to_fp8, "sm_90", x, fp8, codes, back, DTYPE=fmt, RTZ=False)
    assert f"cvt.rn.satfinite.{ptx_type}.f32" in sm90
    assert f"cvt.rn.f16x2.{ptx_type}" in sm90
    sm90 = _ptx(from_fp8, "sm_90", codes, back, codes, DTYPE=fmt)
    assert f"cvt.rn.f16x2.{ptx_type}" in sm90
    for arch in ("sm_80", "sm_86"):
        assert ptx_type not in _ptx(to_fp8, arch, x, fp8, codes, back, DTYPE=fmt, RTZ=False)
        assert ptx_type not in _ptx(from_fp8, arch, codes, back, codes, DTYPE=fmt)
    # Rounding toward zero stays the integer conversion.
    assert f"cvt.rn.satfinite.{ptx_type}" not in _ptx(to_fp8, "sm_90", x, fp8, codes, back,
                                                     DTYPE=fmt, RTZ=True)


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_f32_to_bf16_is_cvt_from_sm_80(arch):
    x, bits = np.zeros(256, np.float32), np.zeros(256, np.uint16)
    ptx = _ptx(to_bf16, arch, x, kite.zeros(256, kl.bfloat16, device="interpreter"), bits, x)
    assert "cvt.rn.bf16x2.f32" in ptx


def test_sm_89_raises_the_ptx_version_to_8_1_for_fp8_conversions():
    """LLVM selects the fp8 cvt on sm_89 only from PTX ISA 8.1 (its default
    there is 7.8, enough on sm_90): the emitter asks for 8.1, and an older
    version asked for is an error, not an LLVM abort."""
    x, codes = np.zeros(256, np.float32), np.zeros(256, np.uint8)
    fp8 = kite.zeros(256, kl.float8e4nv, device="interpreter")
    compiled = to_fp8.compile(x, fp8, codes, x, target="cuda:sm_89", num_warps=4, BLOCK=256,
                              DTYPE=kl.float8e4nv, RTZ=False)
    assert ".version 8.1\n" in compiled.asm["ptx"]
    assert "cvt.rn.satfinite.e4m3x2.f32" in compiled.asm["ptx"]
    assert ".version 7.8\n" in _ptx(to_fp8, "sm_90", x, fp8, codes, x, DTYPE=kl.float8e4nv,
                                   RTZ=False)
    result = _C.emit_ptx(compiled.asm["threads"], chip="sm_89", ptx_version=78)
    assert not result.ok
    assert "the kernel's fp8 conversions need PTX ISA 8.1, not the 7.8 asked for" \
        in " ".join(str(d) for d in result.diagnostics)
