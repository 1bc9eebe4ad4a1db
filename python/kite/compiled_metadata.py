"""What ``CompiledKernel.metadata`` and ``CompiledKernel.asm`` hold, in the
shapes Triton's host code reads them: ``compiled.metadata.shared`` and
``compiled.metadata["shared"]`` alike, and ``compiled.asm["ttgir"]`` for the
stage at Triton's GPU-IR level."""
from __future__ import annotations

import re

# Triton's stage names -> Kite's stage at the same level (kite IR is where
# Triton has TTIR; kitegpu, with layouts, where it has TTGIR).
_TRITON_STAGES = {"ttir": "kite", "ttgir": "kitegpu"}

# The thread-level module's workgroup/shared memory (DotToThreads,
# ReduceToThreads, ... allocate it; the emitters declare this many bytes).
_SHARED_BYTES = re.compile(r'"kitethread\.shared-bytes"\s*=\s*(\d+)')


class KernelMetadata(dict):
    """A dict whose keys are also attributes (``metadata.num_warps``), as
    Triton's ``CompiledKernel.metadata`` is read both ways."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the compiled kernel's metadata has no '{name}' (it has: "
                                 f"{', '.join(sorted(self))})") from None


class KernelAsm(dict):
    """Each stage's text by Kite's name ("kite", "kitegpu", "threads", "spirv",
    "llir", "ptx", "cubin"); Triton's "ttir" and "ttgir" read the Kite stage of
    the same level."""

    def __missing__(self, name: str):
        stage = _TRITON_STAGES.get(name)
        if stage is not None and stage in self:
            return self[stage]
        raise KeyError(f"no stage '{name}' for this target; the compiled kernel has: "
                       f"{', '.join(self)}")


def shared_bytes(threads_ir: str) -> int:
    """The bytes of shared (workgroup) memory a thread-level module declares."""
    found = _SHARED_BYTES.search(threads_ir)
    return int(found.group(1)) if found else 0
