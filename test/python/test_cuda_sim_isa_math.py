"""cuda-sim's approximate math and carry arithmetic against the PTX ISA
(docs/cuda-sim.md): the special-value tables of ex2/rsqrt/lg2/rcp/sin/cos
.approx and div.approx, with and without .ftz, and multi-word arithmetic
through the carry flag (add.cc/addc/sub.cc/subc/mad.lo.cc/madc.hi) in
inline PTX, compared with numpy's exact integers."""
import numpy as np
import pytest

import kite
import kite.sim

DEVICE = "cuda-sim:sm_80"
INF, NAN = np.inf, np.nan
SUB = float(np.float32(2.0 ** -140))  # a float32 subnormal
TINY = float(np.float32(2.0 ** -130))  # another


def launch(ir, args):
    kite.sim.launch_llvm_ir('target triple = "nvptx64-nvidia-cuda"\n'
                            "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n" + ir,
                            "k", (1,), 1, args, device=DEVICE)


def tensor(array):
    return kite.from_numpy(np.ascontiguousarray(array), device=DEVICE)


def run_float(intrinsic, xs, ys=None):
    """out[i] = intrinsic(xs[i][, ys[i]]) for up to 32 inputs, one a lane."""
    assert len(xs) <= 32
    x = np.zeros(32, np.float32)
    x[:len(xs)] = xs
    y = np.ones(32, np.float32)
    if ys is not None:
        y[:len(ys)] = ys
    binary = ys is not None
    params = "float, float" if binary else "float"
    call_args = "float %x, float %y" if binary else "float %x"
    ir = f"""
declare float @{intrinsic}({params})
define ptx_kernel void @k(ptr addrspace(1) %xs, ptr addrspace(1) %ys, ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %px = getelementptr float, ptr addrspace(1) %xs, i32 %tid
  %x = load float, ptr addrspace(1) %px
  %py = getelementptr float, ptr addrspace(1) %ys, i32 %tid
  %y = load float, ptr addrspace(1) %py
  %r = call float @{intrinsic}({call_args})
  %po = getelementptr float, ptr addrspace(1) %out, i32 %tid
  store float %r, ptr addrspace(1) %po
  ret void
}}
"""
    out = tensor(np.zeros(32, np.float32))
    launch(ir, [("Q", tensor(x)), ("Q", tensor(y)), ("Q", out)])
    return out.numpy()[:len(xs)]


def assert_special(got, expected, inputs):
    """Exact: NaN is NaN, zeros and infinities keep their sign."""
    for g, e, x in zip(got, expected, inputs):
        if np.isnan(e):
            assert np.isnan(g), (x, g)
        else:
            assert g == e and np.signbit(g) == np.signbit(e), (x, g, e)


# The ISA's tables: input -> result, for -Inf, -subnormal, -0, +0,
# +subnormal, +Inf, NaN (and a negative normal where it has a row).
SPECIAL = {
    "llvm.nvvm.ex2.approx.ftz.f32": [(-INF, 0.0), (-SUB, 1.0), (-0.0, 1.0), (0.0, 1.0),
                                     (SUB, 1.0), (INF, INF), (NAN, NAN),
                                     (-130.0, 0.0)],  # a subnormal result flushes to +0
    "llvm.nvvm.ex2.approx.f32": [(-INF, 0.0), (-0.0, 1.0), (0.0, 1.0), (INF, INF), (NAN, NAN)],
    "llvm.nvvm.rsqrt.approx.ftz.f": [(-INF, NAN), (-2.0, NAN), (-SUB, -INF), (-0.0, -INF),
                                     (0.0, INF), (SUB, INF), (INF, 0.0), (NAN, NAN)],
    "llvm.nvvm.rsqrt.approx.f": [(-INF, NAN), (-2.0, NAN), (-0.0, -INF), (0.0, INF),
                                 (INF, 0.0), (NAN, NAN)],
    "llvm.nvvm.lg2.approx.ftz.f": [(-INF, NAN), (-2.0, NAN), (-SUB, -INF), (-0.0, -INF),
                                   (0.0, -INF), (SUB, -INF), (INF, INF), (NAN, NAN)],
    "llvm.nvvm.lg2.approx.f": [(-INF, NAN), (-2.0, NAN), (-0.0, -INF), (0.0, -INF),
                               (INF, INF), (NAN, NAN)],
    "llvm.nvvm.rcp.approx.ftz.f": [(-INF, -0.0), (-SUB, -INF), (-0.0, -INF), (0.0, INF),
                                   (SUB, INF), (INF, 0.0), (NAN, NAN),
                                   (2.0 ** 127, 0.0)],  # 2^-127 is subnormal: +0
    "llvm.nvvm.sin.approx.ftz.f": [(-INF, NAN), (-SUB, -0.0), (-0.0, -0.0), (0.0, 0.0),
                                   (SUB, 0.0), (INF, NAN), (NAN, NAN)],
    "llvm.nvvm.sin.approx.f": [(-INF, NAN), (-0.0, -0.0), (0.0, 0.0), (INF, NAN), (NAN, NAN)],
    "llvm.nvvm.cos.approx.ftz.f": [(-INF, NAN), (-SUB, 1.0), (-0.0, 1.0), (0.0, 1.0),
                                   (SUB, 1.0), (INF, NAN), (NAN, NAN)],
    "llvm.nvvm.cos.approx.f": [(-INF, NAN), (-SUB, 1.0), (-0.0, 1.0), (0.0, 1.0),
                               (INF, NAN), (NAN, NAN)],
}


@pytest.mark.parametrize("intrinsic", list(SPECIAL))
def test_approximate_instructions_give_the_isa_special_values(intrinsic):
    inputs, expected = zip(*SPECIAL[intrinsic])
    assert_special(run_float(intrinsic, inputs), expected, inputs)


# Without .ftz subnormal inputs and results are kept.
NO_FTZ = [("llvm.nvvm.ex2.approx.f32", -130.0, TINY),
          ("llvm.nvvm.rsqrt.approx.f", SUB, 2.0 ** 70),
          ("llvm.nvvm.lg2.approx.f", SUB, -140.0),
          ("llvm.nvvm.cos.approx.f", SUB, 1.0)]


@pytest.mark.parametrize("intrinsic,x,expected", NO_FTZ, ids=[c[0] for c in NO_FTZ])
def test_without_ftz_subnormals_are_numbers(intrinsic, x, expected):
    got = run_float(intrinsic, [x])[0]
    assert got == pytest.approx(expected, rel=2.0 ** -20)


@pytest.mark.parametrize("intrinsic,reference", [
    ("llvm.nvvm.ex2.approx.ftz.f32", np.exp2), ("llvm.nvvm.lg2.approx.f", np.log2),
    ("llvm.nvvm.rsqrt.approx.f", lambda x: 1 / np.sqrt(x)),
    ("llvm.nvvm.rcp.approx.ftz.f", lambda x: 1 / x)])
def test_approximate_instructions_are_close_on_normal_numbers(intrinsic, reference):
    xs = np.linspace(0.01, 20.0, 32).astype(np.float32)
    np.testing.assert_allclose(run_float(intrinsic, xs), reference(xs.astype(np.float64)),
                               rtol=2.0 ** -20)


@pytest.mark.parametrize("intrinsic", ["llvm.nvvm.div.approx.f", "llvm.nvvm.div.approx.ftz.f"])
def test_div_approx_of_a_huge_divisor(intrinsic):
    """For 2^126 < |b| < 2^128, div.approx.f32 gives 0 for finite a and NaN
    for infinite a; elsewhere it is a * (1/b) to 2 ulp."""
    huge = float(np.float32(2.0 ** 126 * 1.5))
    a = [1.0, -3.0, 1e30, INF, -INF, 6.0, 1.0]
    b = [huge, huge, -huge, huge, huge, 3.0, 2.0 ** 100]
    got = run_float(intrinsic, a, b)
    assert_special(got[:5], [0.0, -0.0, -0.0, NAN, NAN], a)
    assert got[5] == pytest.approx(2.0, rel=2.0 ** -21)
    assert got[6] == pytest.approx(2.0 ** -100, rel=2.0 ** -21)


@pytest.mark.parametrize("intrinsic", ["llvm.nvvm.div.full", "llvm.nvvm.div.full.ftz"])
def test_div_full_keeps_the_whole_range(intrinsic):
    """div.full.f32 scales its operands: 2 ulp over the full range, so a
    huge divisor gives a / b, not div.approx's 0."""
    huge = float(np.float32(2.0 ** 126 * 1.5))
    a = [1e30, -6e37, 3.0]
    b = [huge, huge, 2.0 ** 100]
    got = run_float(intrinsic, a, b)
    np.testing.assert_allclose(got, np.array(a) / np.array(b), rtol=2.0 ** -21)


# --- carries --------------------------------------------------------------------

def run_words(asm, words_in, words_out):
    """Each of 32 lanes passes its `words_in` u32 words to `asm` and stores what
    its `words_out` outputs hold."""
    n = words_in.shape[0]
    loads = "\n  ".join(f"%i{i} = add i32 %ib, {i}\n  %p{i} = getelementptr i32, ptr addrspace(1) "
                        f"%in, i32 %i{i}\n  %w{i} = load i32, ptr addrspace(1) %p{i}"
                        for i in range(words_in.shape[1]))
    ty = "{" + ", ".join(["i32"] * words_out) + "}"
    constraints = ",".join(["=&r"] * words_out + ["r"] * words_in.shape[1])
    operands = ", ".join(f"i32 %w{i}" for i in range(words_in.shape[1]))
    stores = "\n  ".join(f"%r{i} = extractvalue {ty} %r, {i}\n  %o{i} = add i32 %ob, {i}\n"
                         f"  %q{i} = getelementptr i32, ptr addrspace(1) %out, i32 %o{i}\n"
                         f"  store i32 %r{i}, ptr addrspace(1) %q{i}" for i in range(words_out))
    ir = f"""
define ptx_kernel void @k(ptr addrspace(1) %in, ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ib = mul i32 %tid, {words_in.shape[1]}
  %ob = mul i32 %tid, {words_out}
  {loads}
  %r = call {ty} asm "{asm}", "{constraints}"({operands})
  {stores}
  ret void
}}
"""
    out = tensor(np.zeros((n, words_out), np.uint32))
    launch(ir, [("Q", tensor(words_in.astype(np.uint32))), ("Q", out)])
    return out.numpy()


def limbs(values, count):
    return np.array([[(v >> (32 * i)) & 0xffffffff for i in range(count)] for v in values],
                    np.uint64)


def join(words):
    return [sum(int(w) << (32 * i) for i, w in enumerate(row)) for row in words]


def operands(bits, rng):
    top = (1 << bits) - 1
    values = [int(v) for v in rng.integers(0, 1 << 62, 26)]
    values = [(v * 0x9E3779B97F4A7C15 * (1 + i)) & top for i, v in enumerate(values)]
    return values + [0, top, top, 1, top - 1, 1 << (bits - 1)]


def test_128_bit_add_and_sub_through_the_carry_chain():
    rng = np.random.default_rng(5)
    a, b = operands(128, rng), operands(128, rng)[::-1]
    add = ("add.cc.u32 $0, $4, $8; addc.cc.u32 $1, $5, $9; "
           "addc.cc.u32 $2, $6, $10; addc.u32 $3, $7, $11;")
    sub = ("sub.cc.u32 $0, $4, $8; subc.cc.u32 $1, $5, $9; "
           "subc.cc.u32 $2, $6, $10; subc.u32 $3, $7, $11;")
    words = np.hstack([limbs(a, 4), limbs(b, 4)])
    mod = 1 << 128
    assert join(run_words(add, words, 4)) == [(x + y) % mod for x, y in zip(a, b)]
    assert join(run_words(sub, words, 4)) == [(x - y) % mod for x, y in zip(a, b)]


def test_64_by_64_bit_product_from_mad_lo_cc_and_madc_hi():
    rng = np.random.default_rng(9)
    a, b = operands(64, rng), operands(64, rng)[::-1]
    # p = a * b in 32-bit words: each partial product's low half is added
    # with carry out, its high half takes the carry in.
    mul = ("mul.lo.u32 $0, $4, $6; mul.hi.u32 $1, $4, $6; "
           "mad.lo.cc.u32 $1, $4, $7, $1; madc.hi.u32 $2, $4, $7, 0; "
           "mad.lo.cc.u32 $1, $5, $6, $1; madc.hi.cc.u32 $2, $5, $6, $2; "
           "addc.u32 $3, 0, 0; "
           "mad.lo.cc.u32 $2, $5, $7, $2; madc.hi.u32 $3, $5, $7, $3;")
    words = np.hstack([limbs(a, 2), limbs(b, 2)])
    assert join(run_words(mul, words, 4)) == [x * y for x, y in zip(a, b)]


def test_setp_writes_a_predicate_and_its_complement():
    """setp.lt.s32 p|q, a, b sets q = !p; with .and and c, p = t & c and
    q = !t & c (t the comparison)."""
    rng = np.random.default_rng(2)
    a = rng.integers(-5, 5, 32)
    b = rng.integers(-5, 5, 32)
    asm = ("{ .reg .pred p, q, c, r, s; setp.lt.s32 p|q, $4, $5; "
           "and.b32 $0, $4, 1; setp.ne.u32 c, $0, 0; setp.lt.and.s32 r|s, $4, $5, c; "
           "selp.u32 $0, 1, 0, p; selp.u32 $1, 1, 0, q; "
           "selp.u32 $2, 1, 0, r; selp.u32 $3, 1, 0, s; }")
    got = run_words(asm, np.stack([a, b], 1).astype(np.int32).view(np.uint32), 4)
    t, c = a < b, (a & 1) != 0
    np.testing.assert_array_equal(got, np.stack([t, ~t, t & c, ~t & c], 1).astype(np.uint32))


# --- conversions and byte permutes as Triton's asm strings write them --------------

def bf16_rne(bits):
    return ((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) & 0xffff


def tf32_rna(bits):  # round to nearest, ties away from zero, 13 low bits cleared
    return (bits + 0x1000) & 0xffffe000


def prmt(a, b, selector):
    """prmt.b32 d, a, b, c: byte i of d is byte c[4i+2:4i] of {b, a}."""
    source = [(a >> (8 * i)) & 0xff for i in range(4)] + [(b >> (8 * i)) & 0xff for i in range(4)]
    return sum(source[(selector >> (4 * i)) & 7] << (8 * i) for i in range(4))


def test_packed_conversions_put_a_in_the_upper_half_and_permute_bytes():
    """cvt.rn.f16x2.f32 d, a, b and cvt.rn.bf16x2.f32 put a's conversion in
    the upper half of d; cvt.rna.tf32.f32 rounds ties away; prmt picks bytes."""
    x = np.array([1.5, 1 + 2.0 ** -11, 65520.0, 1e-8, -2.25, 3.0, -0.0, 1 + 3 * 2.0 ** -12],
                 np.float32)
    x = (np.resize(x, 32) * np.repeat([1, -1, 2.0 ** -3, 2.0 ** -130], 8)).astype(np.float32)
    a, b = x.view(np.uint32).astype(np.uint64), x[::-1].copy().view(np.uint32).astype(np.uint64)
    asm = ("cvt.rn.f16x2.f32 $0, $4, $5; cvt.rn.bf16x2.f32 $1, $4, $5; "
           "cvt.rna.tf32.f32 $2, $4; prmt.b32 $3, $4, $5, 0x5170;")
    got = run_words(asm, np.stack([a, b], 1), 4)
    def f16(v):
        with np.errstate(over="ignore"):  # 65520 rounds to +inf, as it should
            return v.view(np.float32).astype(np.float16).view(np.uint16).astype(np.uint64)
    np.testing.assert_array_equal(got[:, 0], f16(a.astype(np.uint32)) << 16
                                  | f16(b.astype(np.uint32)))
    np.testing.assert_array_equal(got[:, 1], bf16_rne(a) << 16 | bf16_rne(b))
    np.testing.assert_array_equal(got[:, 2], tf32_rna(a))
    np.testing.assert_array_equal(got[:, 3], [prmt(int(p), int(q), 0x5170) for p, q in zip(a, b)])
