"""Where in the user's source the op being built comes from."""
from __future__ import annotations

import os
import sys
from typing import NamedTuple

_KITE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_positions_cache: dict = {}


class Location(NamedTuple):
    filename: str
    line: int
    col: int  # 1-based; 0 when unknown

    def mlir(self) -> str:
        name = self.filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'loc("{name}":{self.line}:{self.col})'

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}"


UNKNOWN = Location("<unknown>", 0, 0)


def _column(frame) -> int:
    code = frame.f_code
    positions = _positions_cache.get(code)
    if positions is None:
        positions = list(code.co_positions()) if hasattr(code, "co_positions") else []
        _positions_cache[code] = positions
    index = frame.f_lasti // 2
    if index < len(positions) and positions[index][2] is not None:
        return positions[index][2] + 1
    return 0


def is_kite_file(filename: str) -> bool:
    return filename.startswith(_KITE_DIR + os.sep)


def user_location(depth: int = 1) -> Location:
    """The innermost frame on the stack that is not inside the kite package."""
    frame = sys._getframe(depth)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_kite_file(filename) and not filename.startswith("<"):
            return Location(filename, frame.f_lineno, _column(frame))
        frame = frame.f_back
    return UNKNOWN


def traceback_location(tb) -> Location:
    """The last user frame of a traceback (for wrapping unexpected errors)."""
    found = UNKNOWN
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not is_kite_file(filename) and not filename.startswith("<"):
            found = Location(filename, tb.tb_lineno, 0)
        tb = tb.tb_next
    return found


def error(message: str) -> Exception:
    """A CompilationError at the current user location (raise the result)."""
    from ..errors import CompilationError
    loc = user_location(2)
    if loc is UNKNOWN:
        return CompilationError(message)
    return CompilationError(message, loc.filename, loc.line, loc.col)


def error_at(message: str, fn) -> Exception:
    """A CompilationError at the ``def`` line of ``fn``."""
    from ..errors import CompilationError
    code = fn.__code__
    return CompilationError(message, code.co_filename, code.co_firstlineno, 0)
