"""The tutorial notebooks run top to bottom on the default device (nbclient)."""
import glob
import os

import nbformat
import pytest
from nbclient import NotebookClient

TUTORIALS = os.path.join(os.path.dirname(__file__), "..", "..", "tutorials")
NOTEBOOKS = sorted(glob.glob(os.path.join(TUTORIALS, "*.ipynb")))

# What each notebook's printed output must contain: the lines where it
# checks its kernels against numpy, and what it shows of the compiler.
EXPECTED = {
    "01-vector-add.ipynb": ["max error vs numpy: 0.0", "kite.load", "vector-add-performance:"],
    "02-fused-softmax.ipynb": [
        "matches numpy: True",
        "rows sum to 1: True",
        "kite.reduce",
        "#blocked",
        "softmax-performance:",  # perf_report's table
    ],
    "03-matrix-multiplication.ipynb": [
        "activation=none matches numpy: True",
        "activation=leaky_relu matches numpy: True",
        "chosen: BLOCK_M",
        "the dot in Kite's IR: %",
        "tensor cores used: True",
        "registers per thread:",  # ptxas's report
        ", spilled: 0",
        "matmul-performance:",
    ],
    "04-low-memory-dropout.ipynb": [
        "masked dropout matches numpy: True",
        "same seed, same mask: True",
        "another seed, another mask: True",
        "kept elements scaled by 1/(1-p): True",
        "dropped fraction matches p: True",
        "the mask regenerated with other blocks: True",
        "Philox rounds in the PTX: True",
        "dropout-performance:",
    ],
    "05-layer-norm.ipynb": [
        "forward matches numpy: True",
        "dx matches numpy: True",
        "dw matches numpy: True",
        "db matches numpy: True",
        "every lock released, every partial row written: True",
        "the lock is a compare-and-swap: True",
        "layer-norm-performance:",
    ],
    "06-fused-attention.ipynb": [
        "causal=False matches numpy: True",
        "causal=True matches numpy: True",
        "tensor cores used: True",
        "registers per thread:",
        ", spilled: 0",
        "attention-performance:",
    ],
    "07-libdevice-math-functions.ipynb": [
        "asin f32 within 2 ulp: True",
        "asin f64",  # its error (f64 on NVIDIA and the interpreter) or Vulkan's refusal
        "special values as numpy: True",
        "libdevice's asin inlined: True",
        "asin-performance:",
    ],
    "08-grouped-gemm.ipynb": [
        "grouped GEMM matches numpy: True",
        "tensor cores used: True",
        "grouped-gemm-performance:",
    ],
    "09-quantized-matmul.ipynb": [
        "int4 round trip matches numpy: True",
        "W8A8 matches numpy: True",
        "FP8 matches numpy: True",
        "W4A16 matches numpy: True",
        "decoded at the fragments, less shared memory and fewer ldmatrix: True",
        # kite-quantize-dot's int8 dot, printed from the compiled IR
        "kite.dot %",
        "tensor<32x32xi8> * tensor<32x32xi8> -> tensor<32x32xi32>",
        "int8 dot with an i32 accumulator: True",
        "W4A16 group 128",  # a row of the accuracy table
        "numpy float32 x @ w (host)",  # the timing
        "quantized-matmul-performance:",  # perf_report's table
    ],
    "10-kite-from-cpp.ipynb": [
        "func.func @add_kernel",
        "built: True",
        "C++ launch correct: True",
        "launched with an int64_t n: launch add_kernel: argument 3 is i32 in the kernel",
        "PTX for sm_90:",
        "stages: kite kitegpu llir ptx threads",
        ".target sm_90",
        "cpp-launch:",
    ],
}

# Lines that need the CUDA toolkit's ptxas or libdevice (the notebooks say
# what is missing instead).
NEEDS_PTXAS = {"registers per thread:", ", spilled: 0"}
NEEDS_LIBDEVICE = {"libdevice's asin inlined: True"}


def expected_lines(name):
    from kite import _C, ptxas
    missing = (NEEDS_PTXAS if ptxas.find() is None else set()) | \
        (NEEDS_LIBDEVICE if not _C.libdevice_path() else set())
    return [want for want in EXPECTED[name] if want not in missing]


def test_there_are_tutorials():
    assert NOTEBOOKS


def test_every_tutorial_says_what_its_output_must_show():
    assert sorted(EXPECTED) == [os.path.basename(path) for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_tutorial_runs(path, monkeypatch):
    # The notebook's kernel imports this kite, wherever the tests found it.
    import kite
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": TUTORIALS}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, "\n".join(line for e in errors for line in e.traceback)
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    missing = [want for want in expected_lines(os.path.basename(path)) if want not in text]
    assert not missing, f"{os.path.basename(path)} did not print {missing}; it printed:\n{text}"
    # Every tutorial ends in a perf_report plot, rendered in the notebook.
    assert any("image/png" in o.get("data", {}) for o in outputs), \
        f"{os.path.basename(path)} rendered no plot"
