"""User-facing errors: every mistake in a kernel is a CompilationError at its line."""
from __future__ import annotations

import linecache
from typing import Optional


class CompilationError(Exception):
    """A kernel could not be compiled because of a mistake in its source.

    ``filename``, ``lineno`` and ``col`` point at the user's code; the message
    starts with ``file:line:col`` and shows the offending source line.
    """

    def __init__(self, message: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, col: Optional[int] = None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        super().__init__(self._format())

    def _format(self) -> str:
        if self.filename is None or self.lineno is None:
            return self.message
        where = f"{self.filename}:{self.lineno}"
        if self.col:
            where += f":{self.col}"
        text = f"{where}: error: {self.message}"
        source = linecache.getline(self.filename, self.lineno).rstrip()
        if source:
            text += f"\n    {source.strip()}"
            if self.col:
                indent = len(source) - len(source.lstrip())
                text += "\n    " + " " * max(self.col - 1 - indent, 0) + "^"
        return text

    def __reduce__(self):
        return (CompilationError, (self.message, self.filename, self.lineno, self.col))


class KernelRuntimeError(RuntimeError):
    """A kernel failed while running (an out-of-bounds access in the interpreter,
    a failed device_assert); ``filename``/``lineno`` point at the kernel's line."""

    def __init__(self, message: str, filename: Optional[str] = None, lineno: Optional[int] = None):
        self.message, self.filename, self.lineno = message, filename, lineno
        where = f"{filename}:{lineno}: " if filename else ""
        source = linecache.getline(filename, lineno).strip() if filename else ""
        super().__init__(f"{where}{message}" + (f"\n    {source}" if source else ""))
