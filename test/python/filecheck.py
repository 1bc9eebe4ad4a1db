"""Checks a kernel's kite IR against the ``# CHECK:`` comments in its body,
with LLVM's FileCheck (as Triton's frontend tests do)."""
import inspect
import os
import re
import shutil
import subprocess
import tempfile

_CHECK = re.compile(r"#\s*(CHECK(?:-[A-Z]+)?:.*)$")


def filecheck_binary() -> str:
    found = shutil.which("FileCheck") or shutil.which("FileCheck-22")
    if found:
        return found
    return "/usr/lib/llvm-22/bin/FileCheck"


def check_ir(ir: str, checks: str):
    with tempfile.TemporaryDirectory() as tmp:
        check_file = os.path.join(tmp, "checks.txt")
        with open(check_file, "w") as f:
            f.write(checks)
        proc = subprocess.run([filecheck_binary(), check_file, "--dump-input=fail"],
                              input=ir, capture_output=True, text=True)
    assert proc.returncode == 0, f"FileCheck failed:\n{proc.stderr}\n--- IR ---\n{ir}"


def run_filecheck(kernel, *args, **meta) -> str:
    """Traces ``kernel`` and matches its IR against the CHECK lines in its source."""
    source = inspect.getsource(kernel.fn)
    checks = [m.group(1) for line in source.splitlines() if (m := _CHECK.search(line))]
    assert checks, f"{kernel.__name__} has no CHECK lines"
    ir = kernel.trace(*args, **meta)
    check_ir(ir, "\n".join(checks) + "\n")
    return ir
