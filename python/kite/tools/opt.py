"""``kite-opt``, installed with the package: Kite's passes on ``.mlir`` files
(mlir-opt with the kite dialects and ``--kite-pipeline``), run by libkite
itself, so a wheel offers it without LLVM on the machine (docs/build.md).

    kite-opt kernel.mlir --kite-pipeline
    python -m kite.tools.opt kernel.mlir --kite-pipeline"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    from .. import _C
    args = list(sys.argv if argv is None else argv)
    args[0] = "kite-opt"
    sys.stdout.flush()
    return _C.opt_main(args)


if __name__ == "__main__":
    sys.exit(main())
