"""Random kernels (test/python/fuzz/kernel_generator.py) run on a compiled
device and compared with the interpreter, the reference.

KITE_FUZZ_COUNT kernels from seed KITE_FUZZ_SEED (default 300 from 0) run on
KITE_TEST_DEVICE, or on the first Vulkan device when the suite runs on the
interpreter (comparing the interpreter with itself would test nothing).
KITE_TEST_COMPILE_FOR also compiles each kernel for that target.
KITE_FUZZ_AVOID names the known bugs the generator steers clear of
(comma-separated, "none" for none; all of kernel_generator.KNOWN_BUGS by
default). A failing case prints its seed and source and saves the source in
KITE_FUZZ_SAVE_DIR (default: a temporary directory). docs/fuzzing.md."""
import os
import tempfile

import pytest

from conftest import COMPILE_FOR, DEVICE, compile_for, vulkan_device
from fuzz.kernel_generator import KNOWN_BUGS, generate
from fuzz.runner import describe, device_args, load_kernel, run_case

FIRST = int(os.environ.get("KITE_FUZZ_SEED", "0"))
COUNT = int(os.environ.get("KITE_FUZZ_COUNT", "300"))
_AVOID = os.environ.get("KITE_FUZZ_AVOID", ",".join(KNOWN_BUGS))
AVOID = set() if _AVOID == "none" else {b for b in _AVOID.split(",") if b}
SAVE_DIR = os.environ.get("KITE_FUZZ_SAVE_DIR") or tempfile.mkdtemp(prefix="kite-fuzz-")

# Seeds that hit a Kite bug on vulkan:0 (test_fuzz_findings.py has each
# bug's minimal reproducer): strict xfails, so a fix shows up as XPASS and
# its seeds come off this list. The seeds are those of the generator as
# committed; a change to the generator renumbers them (docs/fuzzing.md says
# how to list them again). Other devices run every seed unmarked.
KNOWN_FAILURES: dict[int, str] = {}
_ON_VULKAN = DEVICE == "interpreter" or DEVICE.startswith("vulkan")


def _seeds():
    for seed in range(FIRST, FIRST + COUNT):
        bug = KNOWN_FAILURES.get(seed) if _ON_VULKAN and not AVOID ^ set(KNOWN_BUGS) else None
        yield pytest.param(seed, marks=pytest.mark.xfail(strict=True, reason=bug)) if bug else seed


@pytest.fixture(scope="module")
def device():
    return DEVICE if DEVICE != "interpreter" else vulkan_device()


def test_known_bug_names_are_real():
    assert AVOID <= set(KNOWN_BUGS), f"KITE_FUZZ_AVOID names unknown bugs: {AVOID - set(KNOWN_BUGS)}"


def test_generation_is_deterministic():
    a, b = generate(FIRST, AVOID), generate(FIRST, AVOID)
    assert a.source == b.source and a.grid == b.grid and a.meta == b.meta
    assert all(x.tobytes() == y.tobytes() if hasattr(x, "shape") else x == y
               for x, y in zip(a.args, b.args))


@pytest.mark.parametrize("seed", list(_seeds()))
def test_fuzz_kernel_matches_interpreter(seed, device):
    os.makedirs(SAVE_DIR, exist_ok=True)
    case = generate(seed, AVOID)
    kernel = load_kernel(case, SAVE_DIR)
    path = os.path.join(SAVE_DIR, f"fuzz_case_{seed}.py")
    try:
        if COMPILE_FOR:
            compile_for(kernel, COMPILE_FOR, device_args(case, "interpreter"),
                        dict(case.meta, num_warps=case.num_warps))
        problems = run_case(case, kernel, device)
    except Exception as e:  # a crash or compile error is a finding too: show the case
        problems = [f"{type(e).__name__}: {e}"]
    if problems:
        pytest.fail(describe(case, device, problems, path), pytrace=False)
    os.remove(path)
