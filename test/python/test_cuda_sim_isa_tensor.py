"""cuda-sim's mma.sync against the PTX ISA (docs/cuda-sim.md); ldmatrix and
cp.async are in test_cuda_sim_isa_shared.py. Each lane loads
its fragment registers from a buffer that numpy fills by the ISA's fragment
tables (groupID = lane >> 2, threadID_in_group = lane % 4), and the results
go back through the same tables to be compared with numpy's A @ B + C."""
import numpy as np
import pytest

import kite
import kite.sim

HEADER = ('target triple = "nvptx64-nvidia-cuda"\n'
          "declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()\n"
          "@s = external addrspace(3) global [0 x i8]\n")


def launch(ir, args, device="cuda-sim:sm_80", shared=0):
    kite.sim.launch_llvm_ir(HEADER + ir, "k", (1,), 1, args, shared=shared, device=device)


def tensor(array, device="cuda-sim:sm_80"):
    return kite.from_numpy(np.ascontiguousarray(array), device=device)


# --- the fragment tables of the PTX ISA ("Matrix Fragments for mma.m16n8kK") ----
# Each returns, for a lane, the (row, column) of the lane's elements in the
# order they fill its registers (element 0 in the low bits of register 0).

def a_m16n8k16_16bit(g, t):
    return [(g + 8 * (i in (2, 3, 6, 7)), t * 2 + (i & 1) + 8 * (i >= 4)) for i in range(8)]


def b_m16n8k16_16bit(g, t):
    return [(t * 2 + (i & 1) + 8 * (i >= 2), g) for i in range(4)]


def a_m16n8k8_16bit(g, t):
    return [(g + 8 * (i >= 2), t * 2 + (i & 1)) for i in range(4)]


def b_m16n8k8_16bit(g, t):
    return [(t * 2 + i, g) for i in range(2)]


def a_m16n8k8_tf32(g, t):
    return [(g + 8 * (i in (1, 3)), t + 4 * (i >= 2)) for i in range(4)]


def b_m16n8k8_tf32(g, t):
    return [(t + 4 * i, g) for i in range(2)]


def a_m16n8k4_tf32(g, t):
    return [(g + 8 * i, t) for i in range(2)]


def b_m16n8k4_tf32(g, t):
    return [(t, g)]


def a_m16n8k16_8bit(g, t):
    return [(g + 8 * (i >= 4), t * 4 + (i & 3)) for i in range(8)]


def b_m16n8k16_8bit(g, t):
    return [(t * 4 + i, g) for i in range(4)]


def a_m16n8k32_8bit(g, t):
    return [(g + 8 * ((i // 4) % 2), t * 4 + (i & 3) + 16 * (i >= 8)) for i in range(16)]


def b_m16n8k32_8bit(g, t):
    return [(t * 4 + (i & 3) + 16 * (i >= 4), g) for i in range(8)]


def c_m16n8(g, t):
    return [(g + 8 * (i >= 2), t * 2 + (i & 1)) for i in range(4)]


def fragments(table, bits, element_bits):
    """Per lane, the u32 registers holding `bits` (a matrix of element
    encodings) as `table` distributes it."""
    per_reg = 32 // element_bits
    regs = []
    for lane in range(32):
        coords = table(lane >> 2, lane % 4)
        words = [0] * (len(coords) // per_reg)
        for i, (r, c) in enumerate(coords):
            words[i // per_reg] |= int(bits[r, c]) << (element_bits * (i % per_reg))
        regs.append(words)
    return np.array(regs, np.uint32)


def unfragment(regs, table, element_bits, shape):
    per_reg = 32 // element_bits
    out = np.zeros(shape, np.uint64)
    for lane in range(32):
        for i, (r, c) in enumerate(table(lane >> 2, lane % 4)):
            word = int(regs[lane, i // per_reg])
            out[r, c] = (word >> (element_bits * (i % per_reg))) & ((1 << element_bits) - 1)
    return out


# --- element encodings ---------------------------------------------------------

def f16_bits(x):
    return x.astype(np.float16).view(np.uint16)


def bf16_bits(x):  # exact for the small values used here
    return (x.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def f32_bits(x):
    return x.astype(np.float32).view(np.uint32)


def fp8_bits(x, exponent_bits):
    """e4m3 (bias 7) or e5m2 (bias 15) codes of exactly representable values."""
    mantissa_bits, bias = 7 - exponent_bits, (1 << (exponent_bits - 1)) - 1
    codes = np.zeros(x.shape, np.uint8)
    for index, v in np.ndenumerate(x):
        if v == 0:
            continue
        e = int(np.floor(np.log2(abs(v))))
        m = (abs(v) / 2.0 ** e - 1) * (1 << mantissa_bits)
        assert m == int(m) and e + bias > 0
        codes[index] = (v < 0) << 7 | (e + bias) << mantissa_bits | int(m)
    return codes


# shape, A and B PTX type, accumulator, A table, B table, element bits, encoder, sm
MMA = {
    "m16n8k16.f32.f16": ("m16n8k16", "f16", "f32", a_m16n8k16_16bit, b_m16n8k16_16bit, 16, f16_bits),
    "m16n8k16.f16.f16": ("m16n8k16", "f16", "f16", a_m16n8k16_16bit, b_m16n8k16_16bit, 16, f16_bits),
    "m16n8k16.f32.bf16": ("m16n8k16", "bf16", "f32", a_m16n8k16_16bit, b_m16n8k16_16bit, 16, bf16_bits),
    "m16n8k8.f32.f16": ("m16n8k8", "f16", "f32", a_m16n8k8_16bit, b_m16n8k8_16bit, 16, f16_bits),
    "m16n8k8.f16.f16": ("m16n8k8", "f16", "f16", a_m16n8k8_16bit, b_m16n8k8_16bit, 16, f16_bits),
    "m16n8k8.f32.bf16": ("m16n8k8", "bf16", "f32", a_m16n8k8_16bit, b_m16n8k8_16bit, 16, bf16_bits),
    "m16n8k8.f32.tf32": ("m16n8k8", "tf32", "f32", a_m16n8k8_tf32, b_m16n8k8_tf32, 32, f32_bits),
    "m16n8k4.f32.tf32": ("m16n8k4", "tf32", "f32", a_m16n8k4_tf32, b_m16n8k4_tf32, 32, f32_bits),
    "m16n8k16.s32.s8": ("m16n8k16", "s8", "s32", a_m16n8k16_8bit, b_m16n8k16_8bit, 8, None),
    "m16n8k16.s32.u8": ("m16n8k16", "u8", "s32", a_m16n8k16_8bit, b_m16n8k16_8bit, 8, None),
    "m16n8k32.s32.s8": ("m16n8k32", "s8", "s32", a_m16n8k32_8bit, b_m16n8k32_8bit, 8, None),
    "m16n8k32.s32.u8": ("m16n8k32", "u8", "s32", a_m16n8k32_8bit, b_m16n8k32_8bit, 8, None),
    "m16n8k32.s32.s8u8": ("m16n8k32", ("s8", "u8"), "s32", a_m16n8k32_8bit, b_m16n8k32_8bit, 8, None),
    "m16n8k32.f32.e4m3": ("m16n8k32", "e4m3", "f32", a_m16n8k32_8bit, b_m16n8k32_8bit, 8,
                          lambda x: fp8_bits(x, 4)),
    "m16n8k32.f32.e5m2": ("m16n8k32", "e5m2", "f32", a_m16n8k32_8bit, b_m16n8k32_8bit, 8,
                          lambda x: fp8_bits(x, 5)),
    "m16n8k32.f32.e4m3e5m2": ("m16n8k32", ("e4m3", "e5m2"), "f32", a_m16n8k32_8bit,
                              b_m16n8k32_8bit, 8, None),
}


def mma_kernel(instruction, na, nb, nc, nd, float_acc):
    """Each lane loads its na + nb + nc registers, runs `instruction` as
    inline PTX (as Triton writes it: "=f"/"f" for f32 accumulators) and
    stores its nd result registers."""
    acc = "float" if float_acc else "i32"
    lines, operands, constraints = [], [], []
    for name, n, ty in (("a", na, "i32"), ("b", nb, "i32"), ("c", nc, acc)):
        for i in range(n):
            lines.append(f"%{name}{i}i = add i32 %{name}base, {i}")
            lines.append(f"%{name}{i}p = getelementptr i32, ptr addrspace(1) %{name}, i32 %{name}{i}i")
            lines.append(f"%{name}{i} = load {ty}, ptr addrspace(1) %{name}{i}p")
            operands.append(f"{ty} %{name}{i}")
            constraints.append("f" if ty == "float" else "r")
    results = ", ".join([acc] * nd)
    out_c = ",".join(["=" + ("f" if float_acc else "r")] * nd)
    regs = iter(f"${i}" for i in range(nd + na + nb + nc))
    group = lambda n: "{" + ", ".join(next(regs) for _ in range(n)) + "}"
    text = f"{instruction} {group(nd)}, {group(na)}, {group(nb)}, {group(nc)};"
    lines.append(f'%d = call {{{results}}} asm sideeffect "{text}", '
                 f'"{out_c},{",".join(constraints)}"({", ".join(operands)})')
    for i in range(nd):
        lines.append(f"%d{i} = extractvalue {{{results}}} %d, {i}")
        lines.append(f"%d{i}i = add i32 %dbase, {i}")
        lines.append(f"%d{i}p = getelementptr {acc}, ptr addrspace(1) %out, i32 %d{i}i")
        lines.append(f"store {acc} %d{i}, ptr addrspace(1) %d{i}p")
    body = "\n  ".join(lines)
    return f"""
define ptx_kernel void @k(ptr addrspace(1) %a, ptr addrspace(1) %b, ptr addrspace(1) %c,
                          ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %abase = mul i32 %tid, {na}
  %bbase = mul i32 %tid, {nb}
  %cbase = mul i32 %tid, {nc}
  %dbase = mul i32 %tid, {nd}
  {body}
  ret void
}}
"""


def nvvm_mma_name(shape, a_type, b_type, acc):
    """LLVM's name for the mma: f16 inputs name d and c, one-type inputs
    (bf16, tf32, s8, u8) themselves, fp8 all four types."""
    base = f"llvm.nvvm.mma.{shape}.row.col."
    if a_type == "f16":
        return base + f"{acc}.{acc}"
    if a_type in ("e4m3", "e5m2"):
        return base + f"f32.{a_type}.{b_type}.f32"
    return base + (a_type if a_type == b_type else f"{a_type}.{b_type}")


def mma_intrinsic_kernel(intrinsic, na, nb, nc, a_type, acc):
    """The same lanes' work through the NVVM intrinsic: f16 registers as
    <2 x half>, f32 accumulators as float, everything else i32."""
    reg = "<2 x half>" if a_type == "f16" else "i32"
    acc_ty = {"f32": "float", "f16": "<2 x half>", "s32": "i32"}[acc]
    lines, operands = [], []
    for name, n, ty in (("a", na, reg), ("b", nb, reg), ("c", nc, acc_ty)):
        for i in range(n):
            lines.append(f"%{name}{i}i = add i32 %{name}base, {i}")
            lines.append(f"%{name}{i}p = getelementptr i32, ptr addrspace(1) %{name}, i32 %{name}{i}i")
            lines.append(f"%{name}{i} = load {ty}, ptr addrspace(1) %{name}{i}p")
            operands.append(f"{ty} %{name}{i}")
    results = "{" + ", ".join([acc_ty] * nc) + "}"
    lines.append(f"%d = call {results} @{intrinsic}({', '.join(operands)})")
    for i in range(nc):
        lines.append(f"%d{i} = extractvalue {results} %d, {i}")
        lines.append(f"%d{i}i = add i32 %cbase, {i}")
        lines.append(f"%d{i}p = getelementptr i32, ptr addrspace(1) %out, i32 %d{i}i")
        lines.append(f"store {acc_ty} %d{i}, ptr addrspace(1) %d{i}p")
    types = ", ".join([reg] * (na + nb) + [acc_ty] * nc)
    body = "\n  ".join(lines)
    return f"""
declare {results} @{intrinsic}({types})
define ptx_kernel void @k(ptr addrspace(1) %a, ptr addrspace(1) %b, ptr addrspace(1) %c,
                          ptr addrspace(1) %out) {{
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %abase = mul i32 %tid, {na}
  %bbase = mul i32 %tid, {nb}
  %cbase = mul i32 %tid, {nc}
  {body}
  ret void
}}
"""


def random_operand(rng, ptx_type, shape):
    if ptx_type == "s8":
        return rng.integers(-128, 128, shape)
    if ptx_type == "u8":
        return rng.integers(0, 256, shape)
    if ptx_type in ("e4m3", "e5m2"):  # exact in both formats, sums exact in f32
        return rng.choice([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -3, 0.75], shape)
    return rng.integers(-3, 4, shape).astype(np.float64)  # exact products and sums


def encode(ptx_type, x):
    return {"f16": f16_bits, "bf16": bf16_bits, "tf32": f32_bits,
            "s8": lambda v: v.astype(np.int8).view(np.uint8),
            "u8": lambda v: v.astype(np.uint8),
            "e4m3": lambda v: fp8_bits(v, 4), "e5m2": lambda v: fp8_bits(v, 5)}[ptx_type](x)


@pytest.mark.parametrize("form", ["inline_ptx", "intrinsic"])
@pytest.mark.parametrize("name", list(MMA))
def test_mma_sync_with_the_isa_fragment_layouts(name, form):
    shape, types, acc, a_table, b_table, element_bits, _ = MMA[name]
    a_type, b_type = types if isinstance(types, tuple) else (types, types)
    m, n, k = 16, 8, int(shape.split("k")[1])
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    A, B = random_operand(rng, a_type, (m, k)), random_operand(rng, b_type, (k, n))
    integer = acc == "s32"
    C = rng.integers(-1000, 1000, (m, n)) if integer else rng.integers(-8, 9, (m, n)) / 2
    a_regs = fragments(a_table, encode(a_type, A), element_bits)
    b_regs = fragments(b_table, encode(b_type, B), element_bits)
    c_bits = {"f32": f32_bits, "s32": lambda v: v.astype(np.int32).view(np.uint32),
              "f16": f16_bits}[acc](C)
    c_element_bits = 16 if acc == "f16" else 32
    c_regs = fragments(c_m16n8, c_bits, c_element_bits)
    nd = c_regs.shape[1]
    out = tensor(np.zeros((32, nd), np.uint32), device=device_for(a_type))
    ab = f"{a_type}.{b_type}"
    instruction = f"mma.sync.aligned.{shape}.row.col.{acc}.{ab}.{acc}"
    if form == "inline_ptx":
        kernel = mma_kernel(instruction, a_regs.shape[1], b_regs.shape[1], nd, nd, acc == "f32")
    else:
        kernel = mma_intrinsic_kernel(nvvm_mma_name(shape, a_type, b_type, acc),
                                      a_regs.shape[1], b_regs.shape[1], nd, a_type, acc)
    launch(kernel,
           [("Q", tensor(a_regs, device_for(a_type))), ("Q", tensor(b_regs, device_for(a_type))),
            ("Q", tensor(c_regs, device_for(a_type))), ("Q", out)], device=device_for(a_type))
    d_bits = unfragment(out.numpy(), c_m16n8, c_element_bits, (m, n))
    expected = A.astype(np.float64) @ B.astype(np.float64) + C
    if integer:
        np.testing.assert_array_equal(d_bits.astype(np.uint32).view(np.int32), expected)
    elif acc == "f16":
        np.testing.assert_array_equal(d_bits.astype(np.uint16).view(np.float16), expected)
    else:
        np.testing.assert_array_equal(d_bits.astype(np.uint32).view(np.float32), expected)
    # Counted per thread, as shuffles and votes are: 32 lanes, one mma.
    assert kite.sim.statistics(device_for(a_type))[f"mma_{shape}"] == 32


def device_for(ptx_type):
    # e4m3/e5m2 mma needs sm_89; sm_90 is the simulated architecture that has it.
    return "cuda-sim:sm_90" if ptx_type in ("e4m3", "e5m2") else "cuda-sim:sm_80"


def test_fp8_mma_is_an_error_before_sm_89():
    """The PTX ISA gives mma with .e4m3/.e5m2 to sm_89 and later: on
    cuda-sim:sm_80 it fails like an instruction the simulator lacks."""
    a = np.zeros((32, 4), np.uint32)
    b = np.zeros((32, 2), np.uint32)
    c = np.zeros((32, 4), np.uint32)
    out = tensor(np.zeros((32, 4), np.uint32))
    with pytest.raises(kite._C.DeviceError, match=r"the simulator does not implement "
                       r"`mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 .*` "
                       r"\(e4m3 and e5m2 mma need sm_89 or later, not sm_80\)"):
        launch(mma_kernel("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32", 4, 2, 4, 4, True),
               [("Q", tensor(a)), ("Q", tensor(b)), ("Q", tensor(c)), ("Q", out)])
