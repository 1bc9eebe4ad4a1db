"""benchmarks/tensor_core_compare.py does not rot: its PTX analysis
(benchmarks/ptx_kloop.py) on small hand-written PTX, and the comparison of
one kernel, the fp16 tutorial matmul, statically and on cuda-sim."""
import os
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
sys.path.insert(0, BENCHMARKS)

# The loop laid out as LLVM lays out Kite's: its body before its header.
# Two cp.async before the loop, one in it: three stages in flight.
BODY_FIRST = """
.visible .entry k(
  .param .u64 k_param_0
)
{
  .reg .pred %p<3>;
  ld.param.u64 %rd1, [k_param_0];
  cp.async.cg.shared.global [%r1], [%rd1], 16;
  cp.async.commit_group;
  cp.async.cg.shared.global [%r2], [%rd1], 16;
  cp.async.commit_group;
  @%p1 bra $L__BB0_2;
  bra.uni $L__BB0_3;
$L__BB0_1:
  mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%f1, %f2, %f3, %f4}, {%r1, %r2, %r3, %r4}, {%r5, %r6}, {%f1, %f2, %f3, %f4};
  mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%f1, %f2, %f3, %f4}, {%r1, %r2, %r3, %r4}, {%r5, %r6}, {%f1, %f2, %f3, %f4};
  cp.async.cg.shared.global [%r3], [%rd1], 16;
  add.s32 %r9, %r9, 1;
$L__BB0_2:
  setp.lt.s32 %p2, %r9, %r8;
  @%p2 bra $L__BB0_1;
$L__BB0_3:
  fma.rn.f32 %f5, %f1, %f2, %f3;
  ret;
}
"""

# No tensor cores, no cp.async: an FMA loop that is its own latch.
SELF_LOOP = """
.visible .entry k()
{
$L__BB0_1:
  ld.shared.f32 %f1, [%r1];
  fma.rn.f32 %f2, %f1, %f1, %f2;
  @%p1 bra $L__BB0_1;
  ret;
}
"""


def test_k_loop_is_found_wherever_its_blocks_are_laid_out():
    import ptx_kloop
    profile = ptx_kloop.k_loop_profile(BODY_FIRST)
    # Header (setp, bra) and body (2 mma, cp.async, add); not the fma after it.
    assert profile["k_loop_instructions"] == 6
    assert profile["k_loop_mma"] == profile["k_loop_math"] == 2
    assert profile["k_loop_warp_macs"] == 2 * 16 * 8 * 16
    assert profile["pipeline_depth"] == 3
    counts = ptx_kloop.static_counts(BODY_FIRST)
    assert counts["mma"] == "m16n8k16.f32.f16.f16.f32×2"
    assert counts["cp_async"] == 3 and counts["ldmatrix"] == 0
    assert counts["instructions"] == 15


def test_fma_loop_without_cp_async_has_depth_one():
    import ptx_kloop
    profile = ptx_kloop.k_loop_profile(SELF_LOOP)
    assert profile["k_loop_instructions"] == 3 and profile["k_loop_math"] == 1
    assert profile["k_loop_mma"] == 0 and profile["pipeline_depth"] == 1
    assert profile["k_loop_warp_macs"] == 32  # one per lane


def test_k_step_counts_an_fma_loop_per_tile():
    pytest.importorskip("triton", reason="the comparison's kernels are Triton's text")
    import tensor_core_compare as compare
    case = compare.cases()[0]  # 128x128x32, 8 warps: 2048 fma per thread per K tile
    side = {"k_loop_instructions": 3, "k_loop_warp_macs": 32}
    assert compare.k_step_instructions(case, side) == 3 * 2048
    tensor = {"k_loop_instructions": 147, "k_loop_warp_macs": 32 * 16 * 8 * 16}
    assert compare.k_step_instructions(case, tensor) == 147


def test_fp16_matmul_compares_statically_and_on_cuda_sim():
    pytest.importorskip("triton", reason="Triton (pip install triton) is the reference")
    import tensor_core_compare as compare
    if compare.ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) reports registers and spills")
    case = compare.cases()[0]
    assert case.kernel == "matmul_kernel" and case.dtype == "float16"
    row = compare.compare(case, "sm_80", simulate=True)
    kite, triton = row["kite"], row["triton"]
    assert "error" not in triton, triton
    # Triton's own code is the yardstick: tensor cores, a 3-stage pipeline.
    assert triton["mma"] == "m16n8k16.f32.f16.f16.f32×32"
    assert triton["pipeline_depth"] == case.num_stages and triton["ldmatrix"] > 0
    assert triton["sim"]["instructions"] > 0
    # Kite's side is measured whatever it is; its result must be right.
    assert "error" not in kite, kite
    assert kite["sim"]["numerics"] == "matches numpy"
    assert kite["n_regs"] > 0 and kite["k_step_instructions"] is not None
    verdicts = compare.criteria(row)
    assert set(verdicts) == set(compare.CRITERIA)
    assert verdicts["numerics"] == "PASS"
    assert verdicts["mma"] == ("PASS" if kite["mma_count"] else "FAIL")
    lines = compare.table([row], simulate=True)
    assert any(line.startswith(f"| {case.name}") for line in lines)


def test_a_kite_compile_error_is_a_row_that_fails_every_criterion(monkeypatch):
    pytest.importorskip("triton", reason="Triton (pip install triton) is the reference")
    import tensor_core_compare as compare
    if compare.ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) reports registers and spills")

    def refuse(*args):
        raise kite.CompilationError("workgroup memory: 65536 bytes, the limit 32768\ndetails")
    import kite
    monkeypatch.setattr(compare, "kite_static", refuse)
    case = compare.cases()[0]
    row = compare.compare(case, "sm_80", simulate=False)
    assert row["kite"]["error"].startswith("CompilationError: workgroup memory: 65536 bytes")
    assert "details" not in row["kite"]["error"]
    assert set(compare.criteria(row).values()) == {"FAIL"}
    text = "\n".join(compare.table([row], simulate=False))
    assert "| kite | CompilationError: workgroup memory" in text
    assert "| FAIL | FAIL | FAIL | FAIL | FAIL | FAIL | FAIL |" in text


def _quantized_case(compare, name):
    return next(c for c in compare.cases() if c.name == name)


def test_mxfp4_dot_scaled_compares_on_cuda_sim():
    pytest.importorskip("triton", reason="Triton (pip install triton) is the reference")
    pytest.importorskip("ml_dtypes", reason="the MX inputs are decoded with ml_dtypes")
    import tensor_core_compare as compare
    if compare.ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) reports registers and spills")
    case = _quantized_case(compare, "dot_scaled MXFP4 e2m1 128x128x64")
    row = compare.compare(case, "sm_80", simulate=True)
    kite, triton = row["kite"], row["triton"]
    assert "error" not in triton, triton
    # Both upcast to bf16 for the tensor cores: no target here has MX mma.
    assert triton["mma"].startswith("m16n8k16.f32.bf16.bf16.f32")
    assert "error" not in kite, kite
    assert kite["mma"].startswith("m16n8k16.f32.bf16.bf16.f32")
    assert kite["sim"]["numerics"] == "matches numpy"
    assert triton["sim"]["instructions"] > 0
    assert compare.criteria(row)["mma"] == "PASS"


def test_triton_refusing_mxfp8_on_sm_80_is_a_recorded_result():
    pytest.importorskip("triton", reason="Triton (pip install triton) is the reference")
    pytest.importorskip("ml_dtypes", reason="the MX inputs are decoded with ml_dtypes")
    import tensor_core_compare as compare
    if compare.ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) reports registers and spills")
    case = _quantized_case(compare, "dot_scaled MXFP8 e4m3 128x128x64")
    row = compare.compare(case, "sm_80", simulate=False)
    assert row["triton"].get("refused"), row["triton"]
    assert "fp8e4nv not supported in this architecture" in row["triton"]["error"]
    assert "error" not in row["kite"] and row["kite"]["mma_count"] > 0
    # Kite's side is judged alone: what needs Triton's numbers is n/a.
    verdicts = compare.criteria(row)
    assert verdicts["regs <= 1.1x"] == "n/a" and verdicts["mma"] == "PASS"


def test_w8a8_dequantize_runs_on_8_bit_tensor_cores():
    pytest.importorskip("triton", reason="Triton (pip install triton) is the reference")
    pytest.importorskip("ml_dtypes", reason="the quantized inputs use ml_dtypes")
    import tensor_core_compare as compare
    if compare.ptxas.find() is None:
        pytest.skip("ptxas (the CUDA toolkit) reports registers and spills")
    case = _quantized_case(compare, "W8A8 kl.dequantize (Kite) vs hand-written rescale "
                                    "(Triton) 128x128x32")
    assert case.kernel != case.triton_kernel  # Triton has no dequantize
    row = compare.compare(case, "sm_80", simulate=False)
    assert "error" not in row["triton"], row["triton"]
    assert ".s8.s8.s32" in row["triton"]["mma"]
    # kite-quantize-dot made the dequantized dot an int8 one.
    assert ".s8.s8.s32" in row["kite"]["mma"], row["kite"]
    assert compare.criteria(row)["mma"] == "PASS"
    assert not compare.eight_bit("m16n8k16.f32.bf16.bf16.f32×64")
