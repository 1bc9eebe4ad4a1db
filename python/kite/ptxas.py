"""NVIDIA's PTX assembler, when the CUDA toolkit is installed: PTX to a cubin
for one exact architecture, with the resource usage ``ptxas -v`` reports.
Without ptxas, CUDA kernels are loaded as PTX and the driver compiles them.

ptxas is looked for in ``$KITE_PTXAS`` (a path; ``none`` disables it), on
``PATH``, in ``$CUDA_HOME/bin`` and in ``/usr/local/cuda/bin``."""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Optional

from .errors import CompilationError


@functools.lru_cache(maxsize=None)
def find() -> Optional[str]:
    """The ptxas executable, or None."""
    override = os.environ.get("KITE_PTXAS", "")
    if override:
        return None if override == "none" else override
    found = shutil.which("ptxas")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME", ""), os.environ.get("CUDA_PATH", ""),
                 "/usr/local/cuda"):
        candidate = os.path.join(root, "bin", "ptxas") if root else ""
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def identity() -> str:
    """Which ptxas makes cubins, for cache keys: its path, size and
    modification time ("none" without one); a stat, not a process, so that a
    disk-cache hit stays cheap."""
    path = find()
    if path is None:
        return "none"
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"unusable ({exc.strerror})"
    return f"{os.path.realpath(path)}:{info.st_size}:{info.st_mtime_ns}"


@functools.lru_cache(maxsize=None)
def version() -> str:
    """``ptxas --version``'s release line ("none" without ptxas), for messages."""
    path = find()
    if path is None:
        return "none"
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unusable ({exc})"
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    release = [line for line in lines if "release" in line]
    return (release or lines or ["?"])[-1]


@dataclass
class Assembled:
    """A cubin (empty when ptxas could not target the architecture) and what
    ``ptxas -v`` said about its kernel."""
    cubin: bytes = b""
    registers: int = 0
    spill_stores: int = 0
    spill_loads: int = 0
    stack_bytes: int = 0
    shared_bytes: int = 0
    note: str = ""  # why there is no cubin
    log: str = field(default="", repr=False)

    def metadata(self) -> dict:
        return {"n_regs": self.registers, "n_spills": self.spill_stores + self.spill_loads,
                "spill_stores": self.spill_stores, "spill_loads": self.spill_loads,
                "stack_bytes": self.stack_bytes, "shared": self.shared_bytes,
                "ptxas_note": self.note}


# ptxas cannot target this architecture or read this PTX version: the
# driver's JIT can still load the PTX.
_TOO_OLD = re.compile(r"is not defined for option 'gpu-name'|Unsupported \.version|"
                      r"not supported on \.target|Unknown option")


def _parse_usage(log: str, out: Assembled) -> None:
    def number(pattern):
        m = re.search(pattern, log)
        return int(m.group(1)) if m else 0
    out.registers = number(r"Used (\d+) registers")
    out.stack_bytes = number(r"(\d+) bytes stack frame")
    out.spill_stores = number(r"(\d+) bytes spill stores")
    out.spill_loads = number(r"(\d+) bytes spill loads")
    out.shared_bytes = number(r"(\d+) bytes smem")


def assemble(ptx: str, arch: str, kernel_name: str = "kernel") -> Assembled:
    """Assembles ``ptx`` for ``arch`` ("sm_90"). Returns an empty cubin, with
    the reason in ``note``, when there is no ptxas or it is too old for the
    architecture; raises CompilationError when ptxas rejects the PTX."""
    path = find()
    if path is None:
        return Assembled(note="ptxas not found: the driver compiles the PTX")
    with tempfile.TemporaryDirectory(prefix="kite-ptxas-") as folder:
        source = os.path.join(folder, "kernel.ptx")
        target = os.path.join(folder, "kernel.cubin")
        with open(source, "w") as f:
            f.write(ptx)
        try:
            proc = subprocess.run([path, f"-arch={arch}", "-v", source, "-o", target],
                                  capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            return Assembled(note=f"ptxas could not run ({exc}): the driver compiles the PTX")
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            if _TOO_OLD.search(log):
                return Assembled(note=f"ptxas ({version()}) cannot target {arch}: the driver "
                                      "compiles the PTX", log=log)
            raise CompilationError(f"ptxas rejected the PTX of '{kernel_name}' for {arch} "
                                   f"(a Kite bug; please report it):\n{log.strip()}")
        with open(target, "rb") as f:
            out = Assembled(cubin=f.read(), log=log)
    _parse_usage(log, out)
    return out
