"""What a matmul-like kernel's PTX does per K step, counted the same way
for any compiler's PTX (benchmarks/tensor_core_compare.py):

- the control-flow graph of the kernel's body: basic blocks start at a
  label or after a branch, `ret` or `exit`; `@p bra L` goes to L or falls
  through, `bra L` (`bra.uni`) only to L;
- its natural loops: for each back edge u -> h (h dominates u), h and every
  block that reaches u without passing h;
- the K loop: the smallest such loop (fewest instructions) that holds every
  math instruction (`mma.sync`, `wgmma.mma_async`, `fma.rn`; `mad.lo.s32`
  where a loop holds none of those: an integer dot on CUDA cores) found in
  any loop. Its instructions are counted once per block: the instructions one
  iteration issues when it takes every block (straight-line K steps, as both
  compilers emit them, take every block). With the multiply-accumulates one
  warp's iteration does (`k_loop_warp_macs`: its mma, or without mma its
  scalar fma), the caller knows how many K steps an iteration covers: an
  FMA dot may loop over single k inside a K tile;
- the pipeline depth: 1 + the `cp.async` copies (and TMA's
  `cp.async.bulk.tensor`) before the K loop (in the blocks the entry
  reaches without entering it) divided by those inside it (each stage in
  flight before the loop starts copied one iteration's worth; no copy is
  depth 1).
"""
from __future__ import annotations

import collections
import re

from ptx_compare import is_instruction

LABEL = re.compile(r"^(\$?[\w.$]+):(?!:)")  # not a state space: "shared::cluster"
BRANCH = re.compile(r"^(@!?%\w+\s+)?bra(?:\.uni)?\s+([\w.$]+)\s*;")
MATH = re.compile(r"^(?:@!?%\w+\s+)?(mma\.sync|wgmma\.mma_async|fma\.rn)")
# An integer dot without tensor cores: mad.lo, a widening multiply of
# 16-bit halves (then an add), or dp4a.
INT_MATH = re.compile(r"^(?:@!?%\w+\s+)?(mad\.lo\.s32|mul\.wide\.s16|dp4a)")
SHAPE = re.compile(r"\.m(\d+)n(\d+)k(\d+)\.")
MMA = re.compile(r"\b(mma\.sync\.aligned\.(m\d+n\d+k\d+)[.\w]*|wgmma\.mma_async[.\w]*)")
CP_ASYNC = re.compile(r"^(?:@!?%\w+\s+)?cp\.async\.(?:ca|cg)\.")
# TMA copies into shared memory (a TMA store is not a stage).
TMA = re.compile(r"^(?:@!?%\w+\s+)?cp\.async\.bulk\.tensor\.\d+d\.shared::")
WAIT_GROUP = re.compile(r"cp\.async\.wait_group\s+(\d+)")


def kernel_body(ptx: str) -> list:
    """The stripped lines of the first `.entry`'s body."""
    lines = [line.strip() for line in ptx.splitlines()]
    start = next(i for i, line in enumerate(lines) if ".entry" in line)
    depth, body = 0, []
    for line in lines[start:]:
        depth += line.count("{") - line.count("}")
        body.append(line)
        if depth == 0 and "}" in line:
            break
    return body


def basic_blocks(body: list) -> tuple:
    """(blocks, successors): blocks as lists of instruction lines, with the
    label of each (None for an unlabelled one) and the index of its
    successors."""
    blocks, labels, current = [], {}, None

    def start(label=None):
        nonlocal current
        current = {"label": label, "lines": []}
        blocks.append(current)
        if label:
            labels[label] = len(blocks) - 1
    start()
    for line in body:
        match = LABEL.match(line)
        if match and not line.startswith("//"):
            start(match.group(1))
            continue
        if not is_instruction(line):
            continue
        current["lines"].append(line)
        if BRANCH.match(line) or re.match(r"^(?:@!?%\w+\s+)?(ret|exit|trap)\b", line):
            start()
    successors = []
    for index, block in enumerate(blocks):
        last = block["lines"][-1] if block["lines"] else ""
        branch = BRANCH.match(last)
        out = []
        if branch:
            out.append(labels[branch.group(2)])
            if branch.group(1):  # conditional: may fall through
                out.append(index + 1)
        elif not re.match(r"^(ret|exit|trap)\b", last):
            out.append(index + 1)
        successors.append([s for s in out if s < len(blocks)])
    return blocks, successors


def dominators(successors: list) -> list:
    """Each block's dominators (sets), by the iterative data-flow algorithm."""
    n = len(successors)
    reachable, work = {0}, [0]
    while work:
        for v in successors[work.pop()]:
            if v not in reachable:
                reachable.add(v)
                work.append(v)
    # Unreachable blocks (the empty one after an unconditional branch) are
    # no one's predecessor.
    preds = [[] for _ in range(n)]
    for u, outs in enumerate(successors):
        for v in outs:
            if u in reachable:
                preds[v].append(u)
    dom = [set(range(n)) for _ in range(n)]
    dom[0] = {0}
    changed = True
    while changed:
        changed = False
        for v in range(1, n):
            reach = [dom[p] for p in preds[v]]
            new = (set.intersection(*reach) if reach else set()) | {v}
            if new != dom[v]:
                dom[v], changed = new, True
    return dom, preds


def natural_loops(successors: list) -> list:
    """(header, blocks) of each natural loop, back edges to one header merged."""
    dom, preds = dominators(successors)
    loops = collections.defaultdict(set)
    for u, outs in enumerate(successors):
        for h in outs:
            if h in dom[u]:
                body, work = {h, u}, [u] if u != h else []
                while work:
                    for p in preds[work.pop()]:
                        if p not in body:
                            body.add(p)
                            work.append(p)
                loops[h] |= body
    return list(loops.items())


def warp_macs(line: str) -> int:
    """The multiply-accumulates one warp's execution of a math instruction
    does: m·n·k for mma.sync, a quarter of m·n·k for wgmma (a warpgroup's
    instruction), one per lane for a scalar fma (two for a .x2 one), four
    for dp4a."""
    shape = SHAPE.search(line)
    if shape and "mma" in line:
        m, n, k = map(int, shape.groups())
        return m * n * k // (4 if "wgmma" in line else 1)
    lanes = 4 if "dp4a" in line else 2 if "x2" in line.split()[0] else 1
    return 32 * lanes


def k_loop_profile(ptx: str) -> dict:
    """The K loop's instruction count and what it holds, and the pipeline
    depth (module docstring); `k_loop_instructions` is None without a loop
    holding math."""
    blocks, successors = basic_blocks(kernel_body(ptx))
    size = [len(b["lines"]) for b in blocks]
    loops = natural_loops(successors)
    in_loops = set().union(*(body for _, body in loops)) if loops else set()
    for pattern in (MATH, INT_MATH):
        math = [sum(bool(pattern.match(line)) for line in b["lines"]) for b in blocks]
        math_blocks = {i for i in in_loops if math[i]}
        if math_blocks:
            break
    holding = [(sum(size[i] for i in body), header, body) for header, body in loops
               if math_blocks <= body]
    if not math_blocks or not holding:
        return {"k_loop_instructions": None, "k_loop_math": 0, "k_loop_mma": 0,
                "k_loop_warp_macs": 0, "pipeline_depth": None}
    count, header, body = min(holding, key=lambda t: t[0])
    lines = [line for i in sorted(body) for line in blocks[i]["lines"]]
    # The loop's multiply-accumulates: its mma where it has any (its fma then
    # scale and exponentiate), else its scalar math.
    tensor = [line for line in lines if MMA.search(line)]
    scalar = [line for line in lines if MATH.match(line) or INT_MATH.match(line)]
    copies = lambda line: bool(CP_ASYNC.match(line) or TMA.match(line))  # noqa: E731
    in_loop = sum(map(copies, lines))
    # Before the loop: the blocks the entry reaches without entering it.
    ahead, work = {0} - body, [0] if 0 not in body else []
    while work:
        for s in successors[work.pop()]:
            if s not in body and s not in ahead:
                ahead.add(s)
                work.append(s)
    before = sum(copies(line) for i in ahead for line in blocks[i]["lines"])
    return {"k_loop_instructions": count,
            "k_loop_math": sum(math[i] for i in body),
            "k_loop_mma": len(tensor),
            "k_loop_warp_macs": sum(map(warp_macs, tensor or scalar)),
            "pipeline_depth": 1 + before / in_loop if in_loop else 1}


def static_counts(ptx: str) -> dict:
    """Whole-kernel counts: mma by shape and types, ldmatrix, cp.async,
    TMA copies, the cp.async.wait_group depths, instructions."""
    body = [line for line in kernel_body(ptx) if is_instruction(line)]
    mma = collections.Counter(m.group(1).replace("mma.sync.aligned.", "")
                              .replace(".row.col", "")
                              for line in body for m in [MMA.search(line)] if m)
    return {"instructions": len(body),
            "mma": " ".join(f"{k}×{v}" for k, v in sorted(mma.items())) or "none",
            "mma_count": sum(mma.values()),
            "ldmatrix": sum(line.startswith("ldmatrix") for line in body),
            "cp_async": sum(bool(CP_ASYNC.match(line)) for line in body),
            "tma": sum(bool(TMA.match(line)) for line in body),
            "wait_groups": ",".join(sorted({m.group(1) for line in body
                                            for m in [WAIT_GROUP.search(line)] if m})) or "-"}
