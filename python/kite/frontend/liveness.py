"""Which variables a kernel may still read after each ``if`` (before
ast_rewriter's control flow).

A runtime ``if`` becomes an ``scf.if`` whose results are the variables its
branches assign; both branches must then give each one type. A variable that
nothing reads after the if needs no result: after ``if pid >= n: return``
the rest of the kernel is the else branch (early_returns.py), and a
``s = s.to(kl.float32)`` there is dead on the returning path, so it is no
conflict. Over-approximated: any name read later in program order, or
anywhere in an enclosing loop (read again by the next iteration), counts.
"""
from __future__ import annotations

import ast

# The attribute the pass sets on each ast.If: a frozenset of names.
LIVE_AFTER = "kite_live_after"


def _reads(node) -> set:
    """Names ``node`` reads (``x += 1`` reads ``x``)."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and not isinstance(n.ctx, ast.Store)}
    return names | {n.target.id for n in ast.walk(node)
                    if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}


def _read_in_nested_scopes(func: ast.FunctionDef) -> set:
    """Names that nested functions and lambdas read: they may run anywhere
    after their definition, so these count as read after every if."""
    scopes = [n for n in ast.walk(func) if n is not func and isinstance(
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    return set().union(*(_reads(n) for n in scopes))


def _annotate(stmts: list, live: set) -> set:
    """Annotates the ifs in ``stmts`` given the names read after the block;
    returns the names read from the block's start on."""
    for stmt in reversed(stmts):
        if isinstance(stmt, ast.If):
            setattr(stmt, LIVE_AFTER, frozenset(live))
            _annotate(stmt.body, set(live))
            _annotate(stmt.orelse, set(live))
        elif isinstance(stmt, (ast.For, ast.While)):
            # The end of the body flows back to the loop's test and body.
            again = live | _reads(stmt)
            _annotate(stmt.body, again)
            _annotate(stmt.orelse, set(live))
        live = live | _reads(stmt)
    return live


def annotate_live_after(func: ast.FunctionDef) -> None:
    """Sets ``LIVE_AFTER`` on every ``if`` of ``func``'s body."""
    _annotate(func.body, _read_in_nested_scopes(func))
