"""Python constructs a kernel (or a kite.func helper) may not contain, refused
at their line before the kernel is rewritten (ast_rewriter.py)."""
from __future__ import annotations

import ast

# Statements and expressions a kernel cannot contain: each would run once at
# trace time (or per program in the interpreter) and mean something else on
# the device, or would turn the kernel into a generator that does nothing.
_UNSUPPORTED = {
    ast.Yield: "`yield` (a kernel is not a generator; store results through pointers)",
    ast.YieldFrom: "`yield from` (a kernel is not a generator; store results through "
                   "pointers)",
    ast.Await: "`await` (kernels are not coroutines)",
    ast.AsyncFor: "`async for` (kernels are not coroutines)",
    ast.AsyncWith: "`async with` (kernels are not coroutines)",
    ast.AsyncFunctionDef: "`async def` (kernels are not coroutines)",
    ast.Global: "`global` (a kernel cannot assign Python globals; pass values as arguments)",
    ast.Nonlocal: "`nonlocal` (a kernel cannot assign variables outside itself)",
    ast.Try: "`try` (errors in a kernel are not Python exceptions at run time; check "
             "values with kl.device_assert or conditions instead)",
    ast.With: "`with` (a context manager would run once while the kernel is compiled, not "
              "on the device)",
    ast.Delete: "`del` (variables of a kernel live until its end)",
    ast.ClassDef: "a class definition (define classes outside the kernel)",
}
if hasattr(ast, "TryStar"):
    _UNSUPPORTED[ast.TryStar] = _UNSUPPORTED[ast.Try]


def reject_unsupported(func: ast.FunctionDef, fn) -> None:
    """A CompilationError at the first construct of ``func`` (``fn``'s
    source, at its lines in the file) that kernels do not support."""
    from ..errors import CompilationError
    found = [node for node in ast.walk(func) if type(node) in _UNSUPPORTED]
    if found:
        node = min(found, key=lambda n: (n.lineno, n.col_offset))
        what = _UNSUPPORTED[type(node)]
        raise CompilationError(f"'{fn.__name__}' uses {what}; kernels and kite.func "
                               "helpers do not support it", fn.__code__.co_filename,
                               node.lineno, node.col_offset + 1)
