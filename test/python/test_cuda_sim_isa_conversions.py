"""cuda-sim's packed float conversions against the PTX ISA (docs/cuda-sim.md):
the NVVM intrinsics of cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32,
cvt.rn.f16x2.{e4m3x2,e5m2x2} and cvt.{rn,rz}.bf16{,x2}.f32, and the same
cvt in inline PTX, compared with ml_dtypes: every one of the 2^8 codes, and
f32 inputs around every fp8 value and midpoint (ties), past the largest
value, ±inf, NaNs of both signs, f32 subnormals. The ISA leaves open which
NaN a cvt gives; the simulator gives the canonical one (0x7F, 0x7FFF)."""
import ml_dtypes
import numpy as np
import pytest

import kite
import kite.sim

SM90, SM80 = "cuda-sim:sm_90", "cuda-sim:sm_80"
HEADER = ('target triple = "nvptx64-nvidia-cuda"\n'
          "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"
          "declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()\n")
# The global index of the thread (blocks of 32).
INDEX = """
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %cta = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %base = shl i32 %cta, 5
  %i = add i32 %base, %tid
"""
FP8 = {"e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}
CODES = np.arange(256, dtype=np.uint8)
RNG_BF16 = np.random.default_rng(5)


def tensor(array, device):
    return kite.from_numpy(np.ascontiguousarray(array), device=device)


def launch(body, declare, n, arrays, device=SM90):
    """Runs `body` once per element (index %i), one thread each, over
    `arrays` (numpy, each a kernel pointer %p0, %p1, ...); returns them."""
    assert n % 32 == 0
    params = ", ".join(f"ptr addrspace(1) %p{k}" for k in range(len(arrays)))
    ir = f"""{HEADER}{declare}
define ptx_kernel void @k({params}) {{
{INDEX}{body}
  ret void
}}
"""
    tensors = [tensor(a, device) for a in arrays]
    kite.sim.launch_llvm_ir(ir, "k", (n // 32,), 1, [("Q", t) for t in tensors], device=device)
    return [t.numpy() for t in tensors]


def bits(values):
    return np.array(values, dtype=np.uint32).view(np.float32)


def f32_inputs():
    """Every e4m3 and e5m2 value, the midpoints between neighbours (ties),
    the floats next to each, and the edges: past the largest value of each
    format, f32's largest, ±inf, NaN payloads, f32 subnormals, the smallest
    subnormals and half of them; both signs. A multiple of 64 long."""
    grids = [np.unique(np.abs(c[np.isfinite(c)]))
             for c in (CODES.view(t).astype(np.float32) for t in FP8.values())]
    mids = [((g[1:].astype(np.float64) + g[:-1]) / 2).astype(np.float32) for g in grids]
    edges = np.array([448, 464, 465, 480, 1e4, 57344, 61440, 61441, 65536, 1e30,
                      3.4028235e38, 2.0 ** -9, 2.0 ** -10, 2.0 ** -16, 2.0 ** -17, 3 * 2.0 ** -18,
                      1e-40, 1e-45, 1.0], np.float32)
    around = np.concatenate(grids + mids + [edges])
    with np.errstate(over="ignore"):
        around = np.concatenate([around, np.nextafter(around, np.float32(np.inf)),
                                 np.nextafter(around, np.float32(0))])
    special = np.concatenate([np.array([0.0, np.inf, np.nan], np.float32),
                              bits([0x7F800001, 0x7FBFFFFF, 0x7FC00001, 0x7FFFFFFF])])
    both = np.concatenate([around, special])
    x = np.concatenate([both, -both]).astype(np.float32)
    return np.concatenate([x, np.zeros(-len(x) % 64, np.float32)])


def satfinite_codes(x, name):
    """cvt.rn.satfinite: ml_dtypes' nearest-even code, where that is inf or
    NaN for a number (infinities included) the largest finite value with
    x's sign; NaN the canonical 0x7F."""
    ref = FP8[name]
    with np.errstate(over="ignore", invalid="ignore"):
        codes = x.astype(ref).view(np.uint8)
    top = np.float32(ml_dtypes.finfo(ref).max).astype(ref).view(np.uint8)
    overflowed = ~np.isfinite(codes.view(ref).astype(np.float32)) & ~np.isnan(x)
    codes = np.where(overflowed, top | np.where(np.signbit(x), 0x80, 0), codes)
    return np.where(np.isnan(x), 0x7F, codes).astype(np.uint8)


def half_bits(codes, name):
    """cvt.rn.f16x2 of each code: its exact f16 value; NaN 0x7FFF."""
    values = codes.view(FP8[name]).astype(np.float16)
    return np.where(np.isnan(values), 0x7FFF, values.view(np.uint16)).astype(np.uint16)


@pytest.mark.parametrize("name", list(FP8))
def test_ff_to_fp8x2_rounds_saturates_and_packs_a_high(name):
    """llvm.nvvm.ff.to.<f>x2.rn(a, b): a's code in the high byte."""
    x = f32_inputs()
    a, b = x, np.roll(x, 1)  # every input in both places
    out = np.zeros(len(x), np.uint16)
    intrinsic = f"llvm.nvvm.ff.to.{name}x2.rn"
    _, _, out = launch(f"""
  %pa = getelementptr float, ptr addrspace(1) %p0, i32 %i
  %a = load float, ptr addrspace(1) %pa
  %pb = getelementptr float, ptr addrspace(1) %p1, i32 %i
  %b = load float, ptr addrspace(1) %pb
  %r = call i16 @{intrinsic}(float %a, float %b)
  %po = getelementptr i16, ptr addrspace(1) %p2, i32 %i
  store i16 %r, ptr addrspace(1) %po""", f"declare i16 @{intrinsic}(float, float)",
        len(x), [a, b, out])
    high, low = (out >> 8).astype(np.uint8), (out & 0xFF).astype(np.uint8)
    for got, inputs in ((high, a), (low, b)):
        want = satfinite_codes(inputs, name)
        bad = got != want
        assert not bad.any(), [(float(v), hex(g), hex(w)) for v, g, w in
                               zip(inputs[bad][:8], got[bad][:8], want[bad][:8])]


@pytest.mark.parametrize("name", list(FP8))
def test_fp8x2_to_f16x2_is_exact_for_every_code(name):
    """llvm.nvvm.<f>x2.to.f16x2.rn: element 0 (the low half) from the low
    byte; every code against ml_dtypes' value, in both bytes."""
    low, high = CODES, CODES[::-1].copy()
    packed = (low.astype(np.uint16) | high.astype(np.uint16) << 8)
    out = np.zeros(256, np.uint32)
    intrinsic = f"llvm.nvvm.{name}x2.to.f16x2.rn"
    _, out = launch(f"""
  %pa = getelementptr i16, ptr addrspace(1) %p0, i32 %i
  %a = load i16, ptr addrspace(1) %pa
  %r = call <2 x half> @{intrinsic}(i16 %a)
  %w = bitcast <2 x half> %r to i32
  %po = getelementptr i32, ptr addrspace(1) %p1, i32 %i
  store i32 %w, ptr addrspace(1) %po""", f"declare <2 x half> @{intrinsic}(i16)",
        256, [packed, out])
    np.testing.assert_array_equal(out & 0xFFFF, half_bits(low, name))
    np.testing.assert_array_equal(out >> 16, half_bits(high, name))


def bf16_bits(x, towardZero):
    """cvt.{rn,rz}.bf16.f32: ml_dtypes' nearest-even bfloat16 (inf past
    the largest), or the high half; NaN the canonical 0x7FFF."""
    if towardZero:
        got = (x.view(np.uint32) >> 16).astype(np.uint16)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            got = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    return np.where(np.isnan(x), 0x7FFF, got).astype(np.uint16)


BF16_INPUTS = np.concatenate([f32_inputs(), bits([0x3F808000, 0x3F818000, 0x3F808001, 0x7F7F8000,
                                                  0xFF7F8000, 0x7F7F7FFF, 0x00008000, 0x80018000] * 8)])


@pytest.mark.parametrize("rounding", ["rn", "rz"])
def test_ff2bf16x2_rounds_and_packs_a_high(rounding):
    x = BF16_INPUTS
    a, b = x, np.roll(x, 1)
    out = np.zeros(len(x), np.uint32)
    intrinsic = f"llvm.nvvm.ff2bf16x2.{rounding}"
    _, _, out = launch(f"""
  %pa = getelementptr float, ptr addrspace(1) %p0, i32 %i
  %a = load float, ptr addrspace(1) %pa
  %pb = getelementptr float, ptr addrspace(1) %p1, i32 %i
  %b = load float, ptr addrspace(1) %pb
  %r = call <2 x bfloat> @{intrinsic}(float %a, float %b)
  %w = bitcast <2 x bfloat> %r to i32
  %po = getelementptr i32, ptr addrspace(1) %p2, i32 %i
  store i32 %w, ptr addrspace(1) %po""", f"declare <2 x bfloat> @{intrinsic}(float, float)",
        len(x), [a, b, out], device=SM80)
    np.testing.assert_array_equal(out >> 16, bf16_bits(a, rounding == "rz"))
    np.testing.assert_array_equal(out & 0xFFFF, bf16_bits(b, rounding == "rz"))


@pytest.mark.parametrize("rounding", ["rn", "rz"])
def test_f2bf16_rounds(rounding):
    x = BF16_INPUTS
    out = np.zeros(len(x), np.uint16)
    intrinsic = f"llvm.nvvm.f2bf16.{rounding}"
    _, out = launch(f"""
  %pa = getelementptr float, ptr addrspace(1) %p0, i32 %i
  %a = load float, ptr addrspace(1) %pa
  %r = call bfloat @{intrinsic}(float %a)
  %w = bitcast bfloat %r to i16
  %po = getelementptr i16, ptr addrspace(1) %p1, i32 %i
  store i16 %w, ptr addrspace(1) %po""", f"declare bfloat @{intrinsic}(float)",
        len(x), [x, out], device=SM80)
    np.testing.assert_array_equal(out, bf16_bits(x, rounding == "rz"))


@pytest.mark.parametrize("op", ["fmul", "fadd", "fsub"])
@pytest.mark.parametrize("vector", [True, False])
def test_bfloat_arithmetic_keeps_subnormals(op, vector):
    """bf16 and bf16x2 mul/add/sub (the IR NVPTX turns into mul.rn.bf16x2,
    fma.rn.bf16x2, ...) round to nearest even and keep subnormal results, as
    the PTX ISA says. cuda-sim runs them as host code: x86's AVX512-BF16
    conversion (vcvtneps2bf16) would flush them to zero, so the simulator's
    JIT does not use it (it once flushed e2m1 x 2^-127 products in
    kl.dot_scaled's packed decode)."""
    tiny = np.float32(np.finfo(np.float32).tiny)
    x = np.concatenate([np.array([0.5, 1.0, 1.5, 0.75, -0.5, 3.0, 1.0078125, 2.0 ** -7,
                                  1.0, -1.0, 2.0 ** 120, 0.0], np.float32),
                        RNG_BF16.standard_normal(52).astype(np.float32)])
    y = np.concatenate([np.array([tiny / 2, tiny / 2, tiny, tiny / 4, tiny, tiny / 128, tiny,
                                  tiny, -tiny * 0.5078125, tiny / 2, 2.0 ** 10, -tiny / 2],
                                 np.float32),
                        (RNG_BF16.standard_normal(52) * tiny).astype(np.float32)])
    x, y = (v.astype(ml_dtypes.bfloat16) for v in (x, y))
    if op != "fmul":  # sums of subnormals and of a normal and a subnormal
        x = (x.astype(np.float32) * tiny).astype(ml_dtypes.bfloat16)
    exact = {"fmul": np.multiply, "fadd": np.add, "fsub": np.subtract}[op](
        x.astype(np.float64), y.astype(np.float64))
    with np.errstate(over="ignore"):
        expected = exact.astype(ml_dtypes.bfloat16).view(np.uint16)
    assert (np.abs(exact[exact != 0]) < tiny).sum() > 8
    a, b = x.view(np.uint16), y.view(np.uint16)
    out = np.zeros(len(x), np.uint16)
    if vector:  # lanes i and i+1 of one word
        a, b, out = (v.view(np.uint32) for v in (a, b, out))
        t = "<2 x bfloat>"
    else:
        t = "bfloat"
    w = "i32" if vector else "i16"
    _, _, out = launch(f"""
  %pa = getelementptr {w}, ptr addrspace(1) %p0, i32 %i
  %wa = load {w}, ptr addrspace(1) %pa
  %pb = getelementptr {w}, ptr addrspace(1) %p1, i32 %i
  %wb = load {w}, ptr addrspace(1) %pb
  %a = bitcast {w} %wa to {t}
  %b = bitcast {w} %wb to {t}
  %r = {op} {t} %a, %b
  %wr = bitcast {t} %r to {w}
  %po = getelementptr {w}, ptr addrspace(1) %p2, i32 %i
  store {w} %wr, ptr addrspace(1) %po""", "", len(a), [a, b, out], device=SM80)
    np.testing.assert_array_equal(out.view(np.uint16), expected)


@pytest.mark.parametrize("intrinsic,declare,needs", [
    ("llvm.nvvm.ff.to.e4m3x2.rn", "declare i16 @{0}(float, float)", 89),
    ("llvm.nvvm.e5m2x2.to.f16x2.rn", "declare <2 x half> @{0}(i16)", 89),
])
def test_fp8_conversions_are_an_error_before_sm_89(intrinsic, declare, needs):
    """The PTX ISA gives these cvt to sm_89 and later: on cuda-sim:sm_80 the
    launch that reaches one fails as an instruction the simulator lacks."""
    args = "float 1.0, float 2.0" if "ff.to" in intrinsic else "i16 0"
    rtype = "i16" if "ff.to" in intrinsic else "<2 x half>"
    with pytest.raises(kite._C.DeviceError, match=rf"the simulator does not implement "
                       rf"`{intrinsic}` \(it needs sm_{needs} or later, not sm_80\)"):
        launch(f"""
  %r = call {rtype} @{intrinsic}({args})
  %po = getelementptr {rtype}, ptr addrspace(1) %p0, i32 %i
  store {rtype} %r, ptr addrspace(1) %po""", declare.format(intrinsic), 32,
               [np.zeros(32, np.uint32)], device=SM80)


def inline_cvt(asm, constraints, arg_types, ret, arrays, n):
    """One inline PTX statement per thread: its operands are the loaded
    elements of arrays[:-1], its result stored to arrays[-1]."""
    loads, names = [], []
    for k, t in enumerate(arg_types):
        loads.append(f"  %pa{k} = getelementptr {t}, ptr addrspace(1) %p{k}, i32 %i\n"
                     f"  %a{k} = load {t}, ptr addrspace(1) %pa{k}")
        names.append(f"{t} %a{k}")
    out = len(arg_types)
    body = "\n".join(loads) + f"""
  %r = call {ret} asm "{asm}", "{constraints}"({", ".join(names)})
  %po = getelementptr {ret}, ptr addrspace(1) %p{out}, i32 %i
  store {ret} %r, ptr addrspace(1) %po"""
    return launch(body, "", n, arrays)[-1]


@pytest.mark.parametrize("name", list(FP8))
def test_inline_ptx_fp8_conversions_match_the_intrinsics(name):
    """cvt.rn.satfinite.<f>x2.f32 and .f16x2 and cvt.rn.f16x2.<f>x2 in
    inline PTX, as Triton writes its fp8 conversions."""
    x = f32_inputs()
    a, b = x, np.roll(x, 1)
    got = inline_cvt(f"cvt.rn.satfinite.{name}x2.f32 $0, $1, $2;", "=h,f,f",
                     ["float", "float"], "i16", [a, b, np.zeros(len(x), np.uint16)], len(x))
    np.testing.assert_array_equal(got >> 8, satfinite_codes(a, name))
    np.testing.assert_array_equal(got & 0xFF, satfinite_codes(b, name))
    # From f16x2: the f16 values of the inputs (rounded to f16 first).
    with np.errstate(over="ignore"):
        h = x.astype(np.float16)
    pairs = h.view(np.uint16).astype(np.uint32) << 16 | np.roll(h, 1).view(np.uint16)
    got = inline_cvt(f"cvt.rn.satfinite.{name}x2.f16x2 $0, $1;", "=h,r", ["i32"], "i16",
                     [pairs, np.zeros(len(x), np.uint16)], len(x))
    np.testing.assert_array_equal(got >> 8, satfinite_codes(h.astype(np.float32), name))
    np.testing.assert_array_equal(got & 0xFF,
                                  satfinite_codes(np.roll(h, 1).astype(np.float32), name))
    packed = (CODES.astype(np.uint16) | CODES[::-1].astype(np.uint16) << 8)
    got = inline_cvt(f"cvt.rn.f16x2.{name}x2 $0, $1;", "=r,h", ["i16"], "i32",
                     [packed, np.zeros(256, np.uint32)], 256)
    np.testing.assert_array_equal(got & 0xFFFF, half_bits(CODES, name))
    np.testing.assert_array_equal(got >> 16, half_bits(CODES[::-1].copy(), name))
