"""A kernel's (or helper's) source, read from its file and checked against the
function that is running.

``inspect`` reads the file as it is now, at the line numbers recorded when
the module was imported: once the file has been edited, those lines may
hold another function (or the middle of one), and compiling them would
trace source that is not the running function's. What ``def`` sits at the
recorded line, its name and its parameters must match the code object;
otherwise the user is told to re-import.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap


def source_lines(fn) -> tuple:
    """``inspect.getsourcelines(fn)``, checked (see ``source_tree``)."""
    return source_tree(fn)[:2]


def source_tree(fn) -> tuple:
    """(lines, first line, module AST of the dedented lines or None) of
    ``fn``. Raises OSError or TypeError where ``inspect`` finds no source,
    and a CompilationError where the file no longer holds ``fn`` where it
    did."""
    code = inspect.unwrap(fn).__code__  # the function whose lines inspect reads
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except OSError:
        # inspect's "lineno is out of bounds": the file became shorter.
        count = len(linecache.getlines(code.co_filename))
        if 0 < count < code.co_firstlineno:
            raise _changed(fn, f"the file now ends at line {count}") from None
        raise
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        tree = None
    if code.co_name != "<lambda>":  # a lambda's line is not a whole statement
        _check(fn, code, tree, first_line)
    return lines, first_line, tree


def _check(fn, code, tree, first_line: int):
    func = tree.body[0] if tree is not None and tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise _changed(fn, f"line {code.co_firstlineno} no longer starts a function")
    # co_firstlineno is the first decorator's line (the def's when there is
    # none); the AST's FunctionDef.lineno is the def's own line since 3.8.
    start = first_line - 1 + min([func.lineno] + [d.lineno for d in func.decorator_list])
    args = func.args
    found = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    expected = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    signature = f"{code.co_name}({', '.join(expected)})"
    if func.name != code.co_name or found != expected:
        raise _changed(fn, f"line {start} now defines {func.name}({', '.join(found)}), not "
                           f"{signature}")
    if start != code.co_firstlineno:
        raise _changed(fn, f"{signature} now starts at line {start}, not line "
                           f"{code.co_firstlineno}")


def _changed(fn, detail: str) -> Exception:
    from .location import error_at
    return error_at(f"the source of kernel '{fn.__name__}' changed on disk since it was "
                    f"imported ({detail}); re-import its module (importlib.reload) or restart "
                    "the program to compile the new source", fn)
