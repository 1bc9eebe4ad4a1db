"""Returns outside loops, made structured (before ast_rewriter's control flow).

A kernel traces into ``scf`` regions, which have no early exit. So that a
``return`` may sit under any ``if`` outside loops (on a runtime value, nested
in other ifs, as Triton allows), the function is first put in a form where
every return ends a path: the statements after an ``if`` that holds a return
move into that if's branches (``if c: return`` / rest becomes ``if c: return
else: rest``), then each return becomes an assignment to ``RESULT``, which
the branches of runtime ifs yield like any variable. Returns inside loops
stay (their loop must then run over a compile-time range: calls.static_iter).
"""
from __future__ import annotations

import ast
import copy

from ..errors import CompilationError

RESULT = "_kite_result"

# The statements after a returning `if` are copied into each branch that
# can fall through; past this many copied statements per statement of the
# function (ifs that hold returns on both paths, one after another), the
# function is refused rather than traced at an exponential cost.
_MAX_GROWTH = 16


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _walk(node, enter_loops: bool):
    """``node`` and its descendants, without entering nested scopes (nor
    loops, unless ``enter_loops``)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES) or (not enter_loops and isinstance(child, (ast.For, ast.While))):
            continue
        yield from _walk(child, enter_loops)


def _holds_return(stmt, enter_loops: bool) -> bool:
    return any(isinstance(n, ast.Return) for n in _walk(stmt, enter_loops))


def _count(stmts) -> int:
    return sum(1 for s in stmts for n in ast.walk(s) if isinstance(n, ast.stmt))


class _Budget:
    def __init__(self, fn, stmts):
        self.fn, self.left = fn, _MAX_GROWTH * max(_count(stmts), 1)

    def copy(self, stmts, at: ast.If):
        """A copy of ``stmts`` for the other branch of ``at``."""
        self.left -= _count(stmts)
        if self.left < 0:
            raise CompilationError(
                f"the early returns of '{self.fn.__name__}' copy the code after them into too "
                "many paths (the code after an if that returns on some paths of both branches "
                "is traced once per branch); return from fewer nested ifs, or combine their "
                "conditions (`if a and b: return`)",
                self.fn.__code__.co_filename, at.lineno, at.col_offset)
        return copy.deepcopy(stmts)


def _always_returns(stmts: list) -> bool:
    """Whether every path through ``stmts`` returns (loops aside)."""
    return any(isinstance(s, ast.Return) or (isinstance(s, ast.If) and _always_returns(s.body)
                                             and _always_returns(s.orelse)) for s in stmts)


def _ends_paths(stmts: list, budget: _Budget) -> list:
    """``stmts`` with the code after each returning ``if`` moved into its
    branches (what follows a return is dead and dropped)."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Return):
            return stmts[:i + 1]
        if isinstance(stmt, ast.If) and _holds_return(stmt, enter_loops=False):
            rest = stmts[i + 1:]
            if _always_returns(stmt.body):  # the guard `if c: return`: no copy
                body, orelse = stmt.body, stmt.orelse + rest
            elif _always_returns(stmt.orelse):
                body, orelse = stmt.body + rest, stmt.orelse
            else:
                body, orelse = stmt.body + rest, stmt.orelse + budget.copy(rest, stmt)
            body, orelse = _ends_paths(body, budget), _ends_paths(orelse, budget)
            new = ast.copy_location(ast.If(test=stmt.test, body=body, orelse=orelse), stmt)
            return stmts[:i] + [new]
    return stmts


def _result(value, node):
    assign = ast.Assign(targets=[ast.Name(id=RESULT, ctx=ast.Store())],
                        value=value or ast.Constant(None))
    return ast.copy_location(assign, node) if node is not None else assign


def _returns_to_result(stmts: list):
    """The block with each return at the end of a path turned into an
    assignment to ``RESULT``, or None when a return is elsewhere (in a loop)."""
    if not stmts:
        return [_result(None, None)]
    head, last = stmts[:-1], stmts[-1]
    if any(_holds_return(s, enter_loops=True) for s in head):
        return None
    if isinstance(last, ast.Return):
        return head + [_result(last.value, last)]
    if isinstance(last, ast.If):
        body, orelse = _returns_to_result(last.body), _returns_to_result(last.orelse)
        if body is None or orelse is None:
            return None
        return head + [ast.copy_location(ast.If(test=last.test, body=body, orelse=orelse), last)]
    if _holds_return(last, enter_loops=True):
        return None  # a return inside a loop
    return stmts + [_result(None, None)]


def structure_returns(func: ast.FunctionDef, fn) -> None:
    """Rewrites ``func``'s body so that it ends with ``return RESULT`` and
    holds no other return; leaves it as it is when a return is in a loop."""
    body = _returns_to_result(_ends_paths(func.body, _Budget(fn, func.body)))
    if body is not None:
        func.body = body + [ast.Return(value=ast.Name(id=RESULT, ctx=ast.Load()))]
