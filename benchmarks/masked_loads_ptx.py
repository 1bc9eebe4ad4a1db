"""Masked loads in Kite's and Triton's sm_80 PTX for the same kernel text:
the kernels of benchmarks/sim_instruction_mix.py (vector add, row softmax,
fp16 layer norm, the tutorial fp16 matmul with its masked K tail), with the
same block sizes, warps, stages and argument specialisation. Counts PTX
instructions, predicated global loads (`@%p ld.global`), conditional
branches over a block holding a global load (how a masked load looked
when it was a branch around the load), and what ptxas makes of the PTX.
Needs Triton (pip install triton; compiles for sm_80 without a GPU) and
ptxas. With --record, the table goes to benchmarks/results/.

    PYTHONPATH=python python3 benchmarks/masked_loads_ptx.py [--record]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "python"))

import sim_instruction_mix as mix  # noqa: E402
from kite import ptxas  # noqa: E402


def branches_around_loads(lines: list) -> int:
    """Conditional forward branches over one basic block holding a global
    load (not a loop's guard, which skips several blocks)."""
    count = 0
    for i, line in enumerate(lines):
        branch = re.match(r"@!?%p\d+ bra(?:\.uni)?\s+(\$L__\w+);", line)
        if not branch:
            continue
        target = next((j for j in range(i + 1, len(lines)) if lines[j] == branch.group(1) + ":"),
                      None)
        skipped = lines[i + 1:target] if target is not None else []
        if not any(s.endswith(":") for s in skipped) and any("ld.global" in s for s in skipped):
            count += 1
    return count


def profile(ptx: str, usage: dict) -> dict:
    lines = [line.strip() for line in ptx.splitlines()]
    instructions = [line for line in lines if line and not line.startswith(("//", ".", "{", "}"))
                    and not line.endswith(":") and ";" in line]
    return dict(instructions=len(instructions),
                predicated=sum(bool(re.match(r"@!?%p\d+ ld\.global", s)) for s in instructions),
                around=branches_around_loads(lines),
                branches=sum(bool(re.match(r"@!?%p\d+ bra", s)) for s in instructions),
                regs=usage["n_regs"], spills=usage["n_spills"])


def kite_profile(case) -> dict:
    compiled = case.kite_kernel.compile(*case.args, target="cuda:sm_80", **case.constexprs,
                                        num_warps=case.num_warps, num_stages=case.num_stages)
    return profile(compiled.asm["ptx"], compiled.metadata)


def triton_profile(case) -> dict:
    from triton_kernels import tutorials
    kernel = getattr(tutorials, case.triton_name)
    signature, constexprs = {}, dict(case.constexprs)
    for name, kind in zip(kernel.arg_names, case.types):
        if kind == 1:
            constexprs[name] = 1
        else:
            signature[name] = kind
    # What Triton's launcher specialises (as sim_instruction_mix.py does).
    divisible = [name for name, arg in zip(kernel.arg_names, case.args)
                 if name in signature and (isinstance(arg, np.ndarray)
                                           or (isinstance(arg, int) and arg % 16 == 0))]
    compiled = tutorials.compile_for(kernel, signature, constexprs, num_warps=case.num_warps,
                                     num_stages=case.num_stages, divisible=divisible)
    ptx = compiled.asm["ptx"]
    return profile(ptx, ptxas.assemble(ptx, "sm_80", case.triton_name).metadata())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    import triton
    lines = [f"# Masked loads: Kite vs Triton {triton.__version__}, sm_80 PTX, "
             f"{datetime.date.today()}", "",
             f"Machine: {platform.node()} (no GPU); ptxas: {ptxas.identity()}.",
             "Command: `PYTHONPATH=python python3 benchmarks/masked_loads_ptx.py --record`. "
             "Static: instructions are PTX lines (Triton's inline-asm `mov`s of `other` count, "
             "as Kite's); predicated = `@%p ld.global`; around = conditional branches over a "
             "block holding a global load; branches = all conditional branches (loops and "
             "masked stores included).", "",
             "| kernel | Kite instrs | Triton instrs | Kite predicated / around / branches "
             "| Triton predicated / around / branches | Kite regs / spills "
             "| Triton regs / spills |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for case in mix.cases(np.random.default_rng(0)):
        k, t = kite_profile(case), triton_profile(case)
        lines.append(f"| {case.name} | {k['instructions']} | {t['instructions']} | "
                     f"{k['predicated']} / {k['around']} / {k['branches']} | "
                     f"{t['predicated']} / {t['around']} / {t['branches']} | "
                     f"{k['regs']} / {k['spills']} | {t['regs']} / {t['spills']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        path = os.path.join(HERE, "results", f"masked-loads-ptx-sm_80-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("recorded in", os.path.relpath(path, os.path.dirname(HERE)))


if __name__ == "__main__":
    main()
