"""Rewrites a kernel's AST so that control flow on runtime values can be traced.

``for``/``if``/``while`` statements become calls into ``control_flow`` with the
body turned into a nested function whose parameters and return value are the
variables the body assigns; every call goes through ``__kite_call__`` (which
rejects Python functions applied to runtime values); ``and``/``or``/``not``
become ``__kite_and__``/``__kite_or__``/``__kite_not__``. Before that,
early_returns.py leaves one ``return`` at the end (where no loop returns)
and liveness.py marks what each ``if`` must yield. Line and column numbers
of the original source are kept, so errors and locations point at it.
"""
from __future__ import annotations

import ast
import types

from .early_returns import structure_returns
from .kernel_source import source_tree
from .liveness import LIVE_AFTER, annotate_live_after
from .unsupported_syntax import reject_unsupported

PREFIX = "__kite_"


def _stores(stmts) -> list:
    """Names a block of statements assigns, in first-assignment order."""
    names: dict = {}

    class Collector(ast.NodeVisitor):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Store) and not node.id.startswith(PREFIX):
                names.setdefault(node.id, None)

        def visit_FunctionDef(self, node):
            if not node.name.startswith(PREFIX):
                names.setdefault(node.name, None)

        def visit_Lambda(self, node):
            pass

        def _comprehension(self, node):
            pass

        visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    for stmt in stmts:
        Collector().visit(stmt)
    return list(names)


_CONTROL_FLOW_CALLS = {f"{PREFIX}for__", f"{PREFIX}while__", f"{PREFIX}if__"}


def _assignment_lines(stmts, names) -> ast.Dict:
    """``{name: line}``: the last line of (already rewritten) ``stmts`` that
    assigns each of ``names``, looking into the bodies that nested loops and
    branches became, so that an error about a loop-carried variable can
    point at the assignment rather than at the loop."""
    lines: dict = {}

    class Collector(ast.NodeVisitor):
        def visit_Name(self, node):
            line = getattr(node, "lineno", None)  # None: a name the rewrite made
            if isinstance(node.ctx, ast.Store) and node.id in names and line is not None:
                lines[node.id] = max(lines.get(node.id, 0), line)

        def visit_Assign(self, node):
            value = node.value
            if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id in _CONTROL_FLOW_CALLS):
                self.generic_visit(node)  # (a nested loop's results: seen in its body)

        def visit_FunctionDef(self, node):
            if node.name.startswith(PREFIX):  # a nested loop's or branch's body
                self.generic_visit(node)

        def _scope(self, node):
            pass

        visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = _scope
        visit_GeneratorExp = _scope

    for stmt in stmts:
        Collector().visit(stmt)
    return ast.Dict(keys=[ast.Constant(n) for n in lines],
                    values=[ast.Constant(line) for line in lines.values()])


def _contains(stmts, kinds, stop_at_loops: bool) -> bool:
    """Whether ``stmts`` hold a statement of ``kinds`` outside nested functions
    (and, for break/continue, outside nested loops)."""
    for stmt in stmts:
        for node in _walk_shallow(stmt, stop_at_loops):
            if isinstance(node, kinds):
                return True
    return False


def _first_exit(stmts) -> str:
    """``'`return` at line N'`` for the first return (or break/continue of
    this loop) in ``stmts``, for errors about statements that must stay
    compile-time because they hold it; '' if none."""
    found = [node for stmt in stmts for kinds, stop in (((ast.Return,), False),
                                                          ((ast.Break, ast.Continue), True))
             for node in _walk_shallow(stmt, stop) if isinstance(node, kinds)]
    if not found:
        return ""
    node = min(found, key=lambda n: (n.lineno, n.col_offset))
    return f"`{type(node).__name__.lower()}` at line {node.lineno}"


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _walk_shallow(node, stop_at_loops):
    if isinstance(node, _SCOPES) or (stop_at_loops and isinstance(node, (ast.For, ast.While))):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES):
            continue
        if stop_at_loops and isinstance(child, (ast.For, ast.While)):
            continue
        yield from _walk_shallow(child, stop_at_loops)


def _name(id_, ctx=None):
    return ast.Name(id=id_, ctx=ctx or ast.Load())


def _call(fn: str, args, keywords=()):
    return ast.Call(func=_name(fn), args=list(args), keywords=list(keywords))


class ControlFlowRewriter(ast.NodeTransformer):
    def __init__(self):
        self._count = 0

    def _fresh(self, what: str) -> str:
        self._count += 1
        return f"{PREFIX}{what}_{self._count}"

    # -- helpers ---------------------------------------------------------------
    def _function(self, name, params, body, returns, node):
        ret = ast.Return(value=returns)
        fn = ast.FunctionDef(
            name=name,
            args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params],
                               vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=list(body) + [ret], decorator_list=[], returns=None)
        if "type_params" in ast.FunctionDef._fields:
            fn.type_params = []
        return ast.copy_location(fn, node)

    def _tuple(self, names):
        return ast.Tuple(elts=[_name(n) for n in names], ctx=ast.Load())

    def _lookups(self, names):
        elts = [_call(f"{PREFIX}lookup__", [ast.Lambda(args=_no_args(), body=_name(n)),
                                             ast.Constant(n)]) for n in names]
        return ast.Tuple(elts=elts, ctx=ast.Load())

    def _assign(self, names, value, node):
        if names:
            target = ast.Tuple(elts=[_name(n, ast.Store()) for n in names], ctx=ast.Store())
            stmt = ast.Assign(targets=[target], value=value)
        else:
            stmt = ast.Expr(value=value)
        return ast.copy_location(stmt, node)

    def _names_const(self, names):
        return ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load())

    # -- statements ------------------------------------------------------------
    def visit_If(self, node):
        self.generic_visit(node)
        branches = node.body + node.orelse
        if _contains(branches, (ast.Return,), False) or \
                _contains(branches, (ast.Break, ast.Continue), True):
            node.test = ast.copy_location(_call(f"{PREFIX}static_cond__", [
                node.test, ast.Constant("if"), ast.Constant(_first_exit(branches))]), node.test)
            return node
        names = _stores(node.body + node.orelse)
        live = getattr(node, LIVE_AFTER, None)
        live = tuple(names) if live is None else tuple(n for n in names if n in live)
        then_name, else_name = self._fresh("then"), self._fresh("else")
        then_fn = self._function(then_name, names, node.body, self._tuple(names), node)
        else_fn = self._function(else_name, names, node.orelse or [ast.Pass()], self._tuple(names), node)
        call = _call(f"{PREFIX}if__", [node.test, _name(then_name), _name(else_name),
                                       self._names_const(names), self._lookups(names),
                                       _assignment_lines(node.body, names),
                                       _assignment_lines(node.orelse, names),
                                       self._names_const(live)])
        return [then_fn, else_fn, self._assign(names, ast.copy_location(call, node), node)]

    def visit_For(self, node):
        if isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) \
                and node.iter.func.id == "range":
            node.iter.func = ast.copy_location(_name(f"{PREFIX}range__"), node.iter.func)
            node.iter.args = [self.visit(a) for a in node.iter.args]
            node.iter.keywords = [self.visit(k) for k in node.iter.keywords]
            node.body = self._visit_block(node.body)
            node.orelse = self._visit_block(node.orelse)
        else:
            self.generic_visit(node)
        if (node.orelse or not isinstance(node.target, ast.Name)
                or _contains(node.body, (ast.Break, ast.Continue), True)
                or _contains(node.body, (ast.Return,), False)):
            node.iter = ast.copy_location(_call(f"{PREFIX}static_iter__", [
                node.iter, ast.Constant(_first_exit(node.body))]), node.iter)
            return node
        names = [n for n in _stores(node.body) if n != node.target.id]
        body_name = self._fresh("body")
        body_fn = self._function(body_name, [node.target.id] + names, node.body, self._tuple(names), node)
        call = _call(f"{PREFIX}for__", [node.iter, _name(body_name), self._names_const(names),
                                        self._lookups(names),
                                        _assignment_lines(node.body, names)])
        return [body_fn, self._assign(names, ast.copy_location(call, node), node)]

    def visit_While(self, node):
        self.generic_visit(node)
        if node.orelse or _contains(node.body, (ast.Break, ast.Continue), True) \
                or _contains(node.body, (ast.Return,), False):
            node.test = ast.copy_location(_call(f"{PREFIX}static_cond__", [
                node.test, ast.Constant("while loop"), ast.Constant(_first_exit(node.body))]),
                node.test)
            return node
        names = _stores(node.body)
        cond_name, body_name = self._fresh("cond"), self._fresh("body")
        cond_fn = self._function(cond_name, names, [], node.test, node)
        body_fn = self._function(body_name, names, node.body, self._tuple(names), node)
        call = _call(f"{PREFIX}while__", [_name(cond_name), _name(body_name),
                                          self._names_const(names), self._lookups(names),
                                          _assignment_lines(node.body, names)])
        return [cond_fn, body_fn, self._assign(names, ast.copy_location(call, node), node)]

    def _visit_block(self, stmts):
        out = []
        for stmt in stmts:
            result = self.visit(stmt)
            out.extend(result if isinstance(result, list) else [result])
        return out

    # -- expressions -----------------------------------------------------------
    def visit_Call(self, node):
        self.generic_visit(node)
        call = _call(f"{PREFIX}call__", [node.func] + node.args, node.keywords)
        return ast.copy_location(call, node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = f"{PREFIX}and__" if isinstance(node.op, ast.And) else f"{PREFIX}or__"
        thunks = [ast.copy_location(ast.Lambda(args=_no_args(), body=v), v) for v in node.values]
        return ast.copy_location(_call(fn, thunks), node)

    def visit_IfExp(self, node):
        self.generic_visit(node)
        thunks = [ast.copy_location(ast.Lambda(args=_no_args(), body=v), v)
                  for v in (node.body, node.orelse)]
        return ast.copy_location(_call(f"{PREFIX}ifexp__", [node.test] + thunks), node)

    def visit_Assert(self, node):
        self.generic_visit(node)
        args = [node.test] + ([node.msg] if node.msg is not None else [])
        return ast.copy_location(ast.Expr(value=_call(f"{PREFIX}assert__", args)), node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(_call(f"{PREFIX}not__", [node.operand]), node)
        return node


def _no_args():
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])


def rewrite(fn, runtime_namespace: dict):
    """The rewritten version of ``fn`` (same file, lines and columns)."""
    from .location import error_at
    try:
        lines, first_line, tree = source_tree(fn)
    except (OSError, TypeError) as exc:
        raise error_at(f"cannot read the source of '{fn.__name__}' ({exc}); kernels must be "
                       "defined in a file", fn) from None
    indent = len(lines[0]) - len(lines[0].lstrip())
    func = tree.body[0] if tree is not None else None
    if not isinstance(func, ast.FunctionDef):
        raise error_at(f"'{fn.__name__}' must be defined with `def`", fn)
    # The file's lines and columns from here on (the rewrite records lines).
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            node.lineno += first_line - 1
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += first_line - 1
            node.col_offset += indent
            if getattr(node, "end_col_offset", None) is not None:
                node.end_col_offset += indent
    reject_unsupported(func, fn)
    func.decorator_list = []
    # Inside the factory below, the function's own name would be a local of
    # the factory: a call of itself (or of a global of that name) must
    # still reach the module's binding.
    func.name = f"{PREFIX}kernel__"
    func.returns = None
    for arg in func.args.args + func.args.kwonlyargs + func.args.posonlyargs:
        arg.annotation = None
    # Defaults come from fn.__defaults__ when the function is rebuilt.
    func.args.defaults = []
    func.args.kw_defaults = [None] * len(func.args.kwonlyargs)
    structure_returns(func, fn)
    annotate_live_after(func)
    func.body = ControlFlowRewriter()._visit_block(func.body)
    # Wrap the kernel in a factory whose parameters are the helpers and the
    # original free variables, so the kernel refers to them as closure cells.
    params = list(runtime_namespace) + [v for v in fn.__code__.co_freevars
                                        if v not in runtime_namespace]
    factory = ast.FunctionDef(
        name=f"{PREFIX}factory__",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[func, ast.Return(value=_name(func.name))], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:
        factory.type_params = []
    tree.body = [ast.copy_location(factory, func)]
    ast.fix_missing_locations(tree)
    code = compile(tree, fn.__code__.co_filename, "exec")
    return _bind(fn, func.name, code, runtime_namespace)


def _bind(fn, name: str, module_code, runtime_namespace: dict):
    """The rewritten function with ``fn``'s live globals and closure cells, and
    the runtime helpers as extra closure cells (nothing is copied or injected)."""
    scratch: dict = {}
    exec(module_code, scratch)
    factory = scratch[f"{PREFIX}factory__"]
    inner = next(c for c in factory.__code__.co_consts
                 if isinstance(c, types.CodeType) and c.co_name == name)
    inner = inner.replace(co_name=fn.__name__)  # tracebacks name the user's function
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    closure = tuple(cells[v] if v in cells else types.CellType(runtime_namespace[v])
                    for v in inner.co_freevars)
    rewritten = types.FunctionType(inner, fn.__globals__, fn.__name__, fn.__defaults__,
                                   closure)
    rewritten.__kwdefaults__ = fn.__kwdefaults__
    return rewritten
