"""One kernel text for both compilers. A kernel file written with Triton's
names starts with

    if globals().get("COMPILER") == "kite":  # set by kernel_text.load()
        import kite as triton
        import kite.language as tl
    else:
        import triton
        import triton.language as tl

Imported as usual, its kernels are Triton's; ``load(path, "kite")``
executes it again with the names bound to Kite's (Kite takes a Triton
kernel unchanged, docs/language.md), so that both compilers compile the
very same lines and a comparison measures the compilers, not the kernels.
"""
from __future__ import annotations

import importlib.util
import os
import sys

COMPILERS = ("kite", "triton")


def load(path: str, compiler: str):
    """The module at ``path`` with its kernels compiled by ``compiler``
    ("kite" or "triton"); executed once per file and compiler."""
    if compiler not in COMPILERS:
        raise ValueError(f"compiler must be one of {COMPILERS}, got {compiler!r}")
    path = os.path.abspath(path)
    name = f"{os.path.splitext(os.path.basename(path))[0]}_{compiler}"
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None) == path:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module.COMPILER = compiler
    sys.modules[name] = module  # inspect.getsource finds the text by module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
