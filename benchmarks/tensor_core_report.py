"""The tables of benchmarks/tensor_core_compare.py: per kernel and
compiler its counts, then the ratios and the PASS/FAIL of each criterion
of the tensor-core work, and the definitions that head the results file."""
from __future__ import annotations

import re

# mma: tensor cores, with 8-bit operands where Triton's are 8-bit.
CRITERIA = ("mma", "K-step instrs <= Triton", "depth = num_stages", "regs <= 1.1x",
            "no spills", "TMA where Triton", "numerics", "dyn instrs <= 1.1x")


def ratio(a, b) -> str:
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b \
        else "-"


def eight_bit(mma: str) -> bool:
    """Whether any of these mma (ptx_kloop's summary) takes 8-bit operands."""
    return bool(re.search(r"\.(s8|u8|e4m3|e5m2)\b", mma))


def criteria(row: dict) -> dict:
    """PASS/FAIL of each criterion (n/a where a side has no number)."""
    k, t, case = row["kite"], row["triton"], row["case"]
    if "error" in k:
        return {"compiles": "FAIL"}

    def check(ok):
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")
    ks, ts = k.get("sim", {}), t.get("sim", {})
    both = "error" not in t
    return {
        "mma": check(k["mma_count"] > 0 and (eight_bit(k["mma"]) or not both
                                             or not eight_bit(t["mma"]))),
        "K-step instrs <= Triton": check(k["k_step_instructions"] is not None
                                         and k["k_step_instructions"] <= t["k_step_instructions"]
                                         if both and t["k_step_instructions"] else None),
        "depth = num_stages": check(k["pipeline_depth"] == case.num_stages),
        "regs <= 1.1x": check(k["n_regs"] <= 1.1 * t["n_regs"] if both else None),
        "no spills": check(k["n_spills"] == 0),
        "TMA where Triton": check(k.get("tma", 0) > 0 if both and t.get("tma") else None),
        "numerics": check(ks["numerics"].startswith("matches") if "numerics" in ks else None),
        "dyn instrs <= 1.1x": check(ks["instructions"] <= 1.1 * ts["instructions"]
                                    if "instructions" in ks and "instructions" in ts else None),
    }


def cell(side: dict, key: str):
    if "error" in side:
        return "—"
    value = side.get(key)
    return "-" if value is None else (f"{value:g}" if isinstance(value, float) else value)


def copies(side: dict) -> str:
    """cp.async copies, and TMA's (cp.async.bulk.tensor) where there are any."""
    tma = side.get("tma", 0)
    return f"{side['cp_async']} + {tma} TMA" if tma else f"{side['cp_async']}"


def table(rows: list, simulate: bool) -> list:
    """The Markdown lines of one architecture's table, then its criteria."""
    head = ("| kernel | compiler | mma | ldmatrix | cp.async | wait_group | depth | "
            "K-step instrs (loop, math) | PTX instrs | regs | spill st/ld B | shared B |"
            + (" dyn instrs/CTA | numerics |" if simulate else ""))
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for row in rows:
        for name in ("kite", "triton"):
            side = row[name]
            label = f"{row['case'].name} ({row['arch']})" if name == "kite" else ""
            if "error" in side:
                lines.append(f"| {label} | {name} | {side['error']} |" + " |" * (
                    head.count("|") - 4))
                continue
            sim = side.get("sim", {})
            dyn = sim.get("error") or (f"{sim['instructions']:.0f}" if "instructions" in sim
                                       else "not run")
            if "instructions" in sim and not row["case"].sim.endswith("sm_80"):
                dyn += f" (on {row['case'].sim})"
            lines.append(
                f"| {label} | {name} | {side['mma']} | {side['ldmatrix']} | {copies(side)} "
                f"| {side['wait_groups']} | {cell(side, 'pipeline_depth')} "
                f"| {cell(side, 'k_step_instructions')} "
                f"({cell(side, 'k_loop_instructions')}, {side['k_loop_math']}) "
                f"| {side['instructions']} | {side['n_regs']} "
                f"| {side['spill_stores']}/{side['spill_loads']} | {side['shared']} |"
                + (f" {dyn} | {sim.get('numerics', '')} |" if simulate else ""))
    lines += ["", "| kernel | Kite/Triton regs | K-step | dyn instrs | "
              + " | ".join(CRITERIA) + " |", "|" + " --- |" * (4 + len(CRITERIA))]
    for row in rows:
        k, t, c = row["kite"], row["triton"], criteria(row)
        dyn = ratio(k.get("sim", {}).get("instructions"), t.get("sim", {}).get("instructions"))
        lines.append(f"| {row['case'].name} | {ratio(k.get('n_regs'), t.get('n_regs'))} "
                     f"| {ratio(k.get('k_step_instructions'), t.get('k_step_instructions'))} "
                     f"| {dyn} | " + " | ".join(c.get(name, "FAIL" if "compiles" in c else "n/a")
                                                 for name in CRITERIA) + " |")
    return lines


def definitions(quantized: bool) -> list:
    """The results file's paragraphs that define its columns (and the
    quantized cases, when the run has any)."""
    lines = ["Definitions (benchmarks/ptx_kloop.py, tensor_core_compare.py): the *loop* is the "
             "PTX instructions of the smallest natural loop holding every mma/fma of the "
             "kernel's loops, each block once (*math*: the mma/fma among them); *K-step instrs* "
             "are the loop's instructions per K tile (matmul) or key block (attention): the loop "
             "divided by the K steps its multiply-accumulates cover (an FMA dot may loop over "
             "single k); *depth* is 1 + the "
             "cp.async (or TMA copies) before that loop / those in it; *dyn instrs/CTA* is cuda-sim:sm_80's "
             "`instructions` counter (executed LLVM IR instructions, inline PTX by its "
             "statements, summed over the threads) / CTAs, at a grid of one matmul CTA "
             "(128x128, K=256) or two attention CTAs (n_ctx 256, one head); *numerics*: "
             "Kite's result there against numpy. The fp8 rows are compiled for sm_89 in the "
             "sm_80 table (Triton takes fp8e4nv from sm_89); cuda-sim has no sm_89, so Kite's "
             "fp8 result is checked on cuda-sim:sm_90 (its sm_90 code; its count is shown, not "
             "compared) and Triton's sm_89 code is not run.", ""]
    if quantized:
        lines += ["Quantized cases (benchmarks/quantized_cases.py, quantized_kernels.py), one "
                  "CTA (128x128, K=256): *dot_scaled* is Triton's block-scaled matmul tutorial "
                  "on pointers (e8m0 scales [M, K/32] and [N, K/32], B stored [N, K], e2m1 "
                  "packed along K), one text for both; Triton refuses e4m3 before sm_89, so "
                  "the MXFP8 rows are repeated for sm_89 (as the fp8 rows: Kite's result and "
                  "count on cuda-sim:sm_90, Triton's sm_89 code, with its "
                  "`cvt.rn.f16x2.e4m3x2` that cuda-sim lacks, not run). "
                  "*W8A8* (per-row and per-column f32 scales, f32 output): Kite's "
                  "`kl.dequantize` kernel, or Triton's int8 tutorial matmul with the rescale "
                  "written by hand after the loop; Triton always compiles the latter. *mma* "
                  "PASSes when Kite uses tensor cores, with 8-bit operands wherever Triton's "
                  "are 8-bit.", ""]
    return lines
