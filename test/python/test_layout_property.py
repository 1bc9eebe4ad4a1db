"""Property: kitegpu-remove-layout-conversions ends, at a fixed point, on any
graph of element-wise ops, casts, reductions and dots over loads of mixed
element types (fuzz/layout_graphs.py), at the targets' shapes of threads:
the `kitegpu` stage succeeds with no diagnostic (neither "did not converge"
nor the warning of its bound), its output verifies when parsed again, and
running the pass once more leaves no more conversions than it found.

KITE_LAYOUT_SEEDS graphs from KITE_LAYOUT_SEED (default 300 from 0); only
traced and compiled to the `kitegpu` stage, so the run takes seconds."""
import importlib.util
import os

import pytest

from fuzz.layout_graphs import generate_graph
from kite import _C

FIRST = int(os.environ.get("KITE_LAYOUT_SEED", "0"))
COUNT = int(os.environ.get("KITE_LAYOUT_SEEDS", "300"))
# (threads_per_warp, max_vector_elements): lavapipe and NVIDIA.
TARGETS = [(8, 4), (32, 16)]


def _kernel(case, directory):
    path = os.path.join(directory, f"graph_{case.seed}.py")
    with open(path, "w") as f:
        f.write(case.source)
    spec = importlib.util.spec_from_file_location(f"graph_{case.seed}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.graph_kernel


@pytest.mark.parametrize("seed", range(FIRST, FIRST + COUNT))
def test_remove_layout_conversions_reaches_a_fixed_point(seed, tmp_path):
    case = generate_graph(seed)
    raw = _kernel(case, str(tmp_path)).trace(*case.args, stage="raw", **case.meta)
    for threads, vector in TARGETS:
        where = f"seed {seed}, {case.num_warps} warps of {threads}:\n{case.source}"
        result = _C.run_stage(raw, "kitegpu", num_warps=case.num_warps,
                              threads_per_warp=threads, max_vector_elements=vector)
        assert result.ok and not result.diagnostics, (
            [str(d) for d in result.diagnostics], where)
        again = _C.run_pass_pipeline(
            result.ir, "builtin.module(kitegpu-remove-layout-conversions,canonicalize,cse)")
        assert again.ok and not again.diagnostics, ([str(d) for d in again.diagnostics], where)
        before = result.ir.count("kitegpu.convert_layout")
        assert again.ir.count("kitegpu.convert_layout") <= before, where


def test_generation_is_deterministic():
    assert generate_graph(7).source == generate_graph(7).source
    assert generate_graph(7).source != generate_graph(8).source
