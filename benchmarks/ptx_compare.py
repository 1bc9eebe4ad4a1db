"""What Kite and Triton generate for the GPU run's launches, without a GPU:
for each distinct launch of benchmarks/gpu (the same kernels, block sizes
and warp counts), the sm_90 PTX of both compilers, assembled by the same
ptxas: registers, spills, shared memory, PTX instructions, and the width of
the global loads and stores. A static comparison: it says where the code
differs, not how fast it runs (gpu_benchmarks.py measures that). Needs
Triton (pip install triton; it compiles for sm_90 without a GPU) and ptxas.
With --record, the table goes to benchmarks/results/.

    PYTHONPATH=python python3 benchmarks/ptx_compare.py [--record]
"""
from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from gpu import launch_plan, load_kernels  # noqa: E402
from kite import ptxas  # noqa: E402

ACCESS = re.compile(r"\b((?:ld|st)\.global(?:\.[a-z0-9]+)*)")


def is_instruction(line: str) -> bool:
    """Whether a stripped PTX line is an instruction (not a directive,
    label, brace or comment): what the instruction counts count."""
    return (bool(line) and not line.startswith(("//", ".", "{", "}", "$"))
            and not line.endswith(":") and ";" in line)


def _profile(ptx: str) -> dict:
    instructions = [line for line in map(str.strip, ptx.splitlines()) if is_instruction(line)]
    accesses = collections.Counter()
    for line in instructions:
        for name in ACCESS.findall(line):
            width = next((w for w in (".v4", ".v2", ".v8") if w in name), "")
            bits = re.search(r"\.[bfsu](\d+)$", name)
            size = (int(bits.group(1)) // 8 if bits else 0) * (int(width[2:]) if width else 1)
            accesses[f"{name[:2]}{size}B"] += 1
    return {"instructions": len(instructions),
            "accesses": " ".join(f"{k}×{v}" for k, v in sorted(accesses.items()))}


def kite_row(launch) -> dict:
    compiled = getattr(load_kernels("kite"), launch.kernel).compile(*launch.args, target="cuda:sm_90",
                                                            **launch.meta)
    meta = compiled.metadata
    return dict(regs=meta["n_regs"], spills=meta["n_spills"], shared=meta["shared"],
                **_profile(compiled.asm["ptx"]))


def triton_row(launch) -> dict:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    fn = getattr(load_kernels("triton"), launch.kernel)
    signature, constexprs, attrs = {}, {}, {}
    for i, (name, arg) in enumerate(zip(fn.arg_names, launch.args)):
        if isinstance(arg, np.ndarray):
            signature[name] = {"float32": "*fp32", "float16": "*fp16"}[arg.dtype.name]
            attrs[(i,)] = [["tt.divisibility", 16]]  # what a launch with torch tensors specialises
        else:
            signature[name] = "fp32" if isinstance(arg, float) else "i32"
            if isinstance(arg, int) and arg % 16 == 0:
                attrs[(i,)] = [["tt.divisibility", 16]]
    for name in fn.arg_names[len(launch.args):]:
        signature[name], constexprs[name] = "constexpr", launch.meta[name]
    options = {k: v for k, v in launch.meta.items() if k in ("num_warps", "num_stages")}
    compiled = triton.compile(ASTSource(fn, signature, constexprs, attrs),
                              target=GPUTarget("cuda", 90, 32), options=options)
    usage = ptxas.assemble(compiled.asm["ptx"], "sm_90a", launch.kernel).metadata()  # Triton writes sm_90a
    return dict(regs=usage["n_regs"], spills=usage["n_spills"], shared=compiled.metadata.shared,
                **_profile(compiled.asm["ptx"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    import triton
    lines = [f"# Kite vs Triton {triton.__version__}: sm_90 PTX of the GPU run's launches, "
             f"{datetime.date.today()}", "",
             f"Machine: {platform.node()} (no GPU); ptxas: {ptxas.identity()}.",
             "Command: `PYTHONPATH=python python3 benchmarks/ptx_compare.py --record`. Static: "
             "instructions are PTX lines, accesses count global loads (ld) and stores (st) by "
             "bytes per thread per instruction; registers and spills are what the same ptxas "
             "makes of each PTX.", "",
             "| launch | meta | Kite regs / spills / shared | Triton regs / spills / shared "
             "| Kite PTX instrs | Triton PTX instrs | Kite accesses | Triton accesses |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for launch in launch_plan.planned_launches():
        k, t = kite_row(launch), triton_row(launch)
        meta = ", ".join(f"{key}={value}" for key, value in launch.meta.items())
        lines.append(f"| {launch.case} | {meta} | {k['regs']} / {k['spills']} / {k['shared']} | "
                     f"{t['regs']} / {t['spills']} / {t['shared']} | {k['instructions']} | "
                     f"{t['instructions']} | {k['accesses']} | {t['accesses']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        path = os.path.join(HERE, "results", f"ptx-vs-triton-sm_90-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("recorded in", os.path.relpath(path, os.path.dirname(HERE)))


if __name__ == "__main__":
    main()
