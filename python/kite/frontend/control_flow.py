"""Loops and branches of a rewritten kernel (see ast_rewriter.py).

Loops over compile-time ranges unroll in Python. Loops and ifs on runtime
values become ``scf.for``/``scf.while``/``scf.if`` regions when tracing, whose
block arguments and results are the variables the body assigns; in the
interpreter they run in Python with the same carried-variable rules."""
from __future__ import annotations

import builtins

from ..errors import CompilationError
from ..language import dtypes as dt
from ..language import semantic
from ..language.block_pointer import aggregate
from ..language.core import Undefined, active_builder, tensor, unwrap
from ..language.standard import range as kl_range
from . import calls
from .location import error, user_location


def _type_name(value) -> str:
    if isinstance(value, tensor):
        return f"{value.dtype}{value.shape}" if value.shape else str(value.dtype)
    return type(value).__name__


def _is_carried(value) -> bool:
    return isinstance(value, tensor) or (isinstance(unwrap(value), (bool, int, float))
                                         and not isinstance(value, Undefined))


def _same_python_value(a, b) -> bool:
    try:
        return a is b or (type(a) is type(b) and bool(a == b))
    except Exception:
        return False


def _error(message: str, line=None):
    """A CompilationError at ``line`` of the user's innermost frame's file
    (where a carried variable is assigned), or at that frame's line."""
    if line is None:
        return error(message)
    loc = user_location()
    return CompilationError(message, loc.filename, line, 0)


def _yield_value(value, expected: tensor, name: str, where: str, line=None) -> tensor:
    """``value`` as a tensor of ``expected``'s type, or a CompilationError
    (at ``line``, the assignment, when given)."""
    value = unwrap(value)
    if isinstance(value, Undefined):
        value.fail()
    if not isinstance(value, tensor):
        if not isinstance(value, (bool, int, float)):
            raise _error(f"variable '{name}' is a runtime value before {where} but a Python "
                         f"{type(value).__name__} inside it", line)
        if semantic._weak_type(value, expected.dtype) != expected.dtype:
            raise _error(f"variable '{name}' is {_type_name(expected)} but is assigned the "
                         f"Python {type(value).__name__} {value!r} in {where}", line)
        value = semantic.to_tensor(value, expected.dtype)
    if value.type != expected.type:
        raise _error(f"loop-carried variable '{name}' changes from {_type_name(expected)} to "
                     f"{_type_name(value)} in {where}; give it its final type and shape "
                     "before the loop", line)
    return value


def _is_aggregate(value) -> bool:
    """A value made of several runtime values: a block pointer or tensor
    descriptor (their scalar fields), or a tuple holding tensors (its
    tensors; its other elements, numbers included, stay compile-time
    constants, as in Triton). Loops and branches carry its leaves and
    rebuild it from them."""
    value = unwrap(value)
    if isinstance(value, aggregate):
        return True
    return isinstance(value, tuple) and _holds_runtime(value)


def _holds_runtime(value) -> bool:
    value = unwrap(value)
    if isinstance(value, (tensor, aggregate)):
        return True
    return isinstance(value, tuple) and builtins.any(_holds_runtime(v) for v in value)


def _leaves(value):
    """The runtime values a loop carries for ``value``, or None if it carries none."""
    value = unwrap(value)
    if isinstance(value, aggregate):
        return value.leaves()
    if _is_aggregate(value):
        return [leaf for v in value if _holds_runtime(v) for leaf in _leaves(v)]
    return [value] if _is_carried(value) else None


def _same_structure(template, value) -> bool:
    template, value = unwrap(template), unwrap(value)
    if isinstance(template, aggregate):
        return template.same_kind(value)
    if isinstance(template, tuple):
        return (isinstance(value, tuple) and len(value) == len(template) and builtins.all(
            _same_structure(t, v) for t, v in zip(template, value)))
    if isinstance(template, tensor):
        return isinstance(value, tensor) or (_is_carried(value) and not _is_aggregate(value))
    # A compile-time element of a tuple must keep its value.
    return not _holds_runtime(value) and _same_python_value(template, value)


def _describe(value) -> str:
    value = unwrap(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    if isinstance(value, aggregate):
        return repr(value)
    return _type_name(value) if isinstance(value, tensor) else repr(value)


def _leaves_like(value, template, name: str, where: str, line=None) -> list:
    """``value``'s leaves, where ``template`` (its value before ``where``) has
    the same structure; a CompilationError (at ``line`` when given) otherwise."""
    value = unwrap(value)
    if not _is_aggregate(template):
        if _is_aggregate(value):
            raise _error(f"variable '{name}' is {_type_name(template)} before {where} but "
                         f"becomes {_describe(value)} inside it", line)
        return [value]
    if isinstance(value, Undefined):
        value.fail()
    if not _same_structure(template, value):
        raise _error(f"variable '{name}' is {_describe(template)} before {where} but "
                     f"becomes {_describe(value)} inside it; a loop or branch must keep its "
                     "kind, length, block shape and compile-time elements", line)
    return _leaves_of_like(value, template)


def _leaves_of_like(value, template) -> list:
    """``value``'s runtime leaves at the positions ``template`` has them."""
    value, template = unwrap(value), unwrap(template)
    if isinstance(template, aggregate):
        return value.leaves()
    if isinstance(template, tuple):
        return [leaf for v, t in zip(value, template) if _holds_runtime(t)
                for leaf in _leaves_of_like(v, t)]
    return [value]


def _rebuild(template, leaves):
    template = unwrap(template)
    if isinstance(template, aggregate):
        return template.rebuild(leaves)
    if isinstance(template, tuple):
        out, start = [], 0
        for t in template:
            if not _holds_runtime(t):
                out.append(t)
                continue
            n = len(_leaves(t))
            out.append(_rebuild(t, leaves[start:start + n]))
            start += n
        return tuple(out)
    return leaves[0]


class Carried:
    """The variables a runtime loop carries from one iteration to the next:
    the tensors and numbers among those its body assigns (numbers become
    constants of their weak type), and the fields of block pointers."""

    def __init__(self, names, vals, where: str, assigned=None):
        self.names, self.vals, self.where = names, list(vals), where
        self.assigned = assigned or {}  # name -> line of its last assignment in the body
        self.slots = {}  # variable index -> positions of its leaves in init
        self.init = []
        for i, v in enumerate(vals):
            leaves = _leaves(v)
            if leaves is not None:
                self.slots[i] = list(builtins.range(len(self.init), len(self.init) + len(leaves)))
                self.init.extend(semantic.to_tensor(x) for x in leaves)
        self.types = [t.type for t in self.init]

    def bind(self, values) -> list:
        """All variables, with the carried ones set from ``values``."""
        current = list(self.vals)
        for i, positions in self.slots.items():
            current[i] = _rebuild(self.vals[i], [values[p] for p in positions])
        return current

    def next_values(self, outs) -> list:
        """The carried values at the end of an iteration, checked."""
        for i, name in enumerate(self.names):
            before, out = self.vals[i], unwrap(outs[i])
            if i in self.slots or isinstance(before, Undefined) or isinstance(out, Undefined):
                continue
            if not _has_runtime(out) and _same_python_value(before, out):
                continue
            raise _error(f"variable '{name}' ({_type_name(before)}) changes in {self.where}; "
                         "a runtime loop can only carry tensors, numbers, block pointers and "
                         "tuples of them", self.assigned.get(name))
        yields = []
        for i, positions in self.slots.items():
            name, line = self.names[i], self.assigned.get(self.names[i])
            leaves = _leaves_like(outs[i], self.vals[i], name, self.where, line)
            yields += [_yield_value(x, self.init[p], name, self.where, line)
                       for x, p in zip(leaves, positions)]
        return yields

    def after(self, results) -> tuple:
        out = self.bind(results)
        for i, name in enumerate(self.names):
            if i not in self.slots and isinstance(self.vals[i], Undefined):
                out[i] = Undefined(name, f"it is assigned only inside {self.where}")
        return tuple(out)


def _has_runtime(value) -> bool:
    return calls._has_tensor(value)


def _block_args(region, types):
    return [tensor(h, t) for (h, _), t in zip(region.args, types)]


# ---------------------------------------------------------------- for

def kite_for(iterable, body, names, vals, assigned=None):
    if not isinstance(iterable, kl_range):
        for item in iterable:
            vals = body(item, *vals)
        return vals
    if iterable.kind == "static" or (iterable.kind == "range" and calls.is_static_range(iterable)):
        if not calls.is_static_range(iterable):
            raise error("kl.static_range needs compile-time bounds")
        for i in builtins.range(iterable.start, iterable.end, iterable.step):
            vals = body(i, *vals)
        return vals
    loc = user_location()
    carried = Carried(names, vals, f"the loop at line {loc.line}", assigned)
    bounds = [semantic.to_tensor(v) for v in (iterable.start, iterable.end, iterable.step)]
    for v in bounds:
        if v.shape or not v.dtype.is_int() or v.dtype.is_bool():
            raise error(f"loop bounds must be integer scalars, got {_type_name(v)}")
    iv_type = dt.int64 if builtins.any(v.dtype.bits == 64 for v in bounds) else dt.int32
    bounds = [semantic.cast(v, iv_type) for v in bounds]
    if not active_builder().is_tracing:
        return _interpret_for(bounds, iv_type, body, carried)
    stages = unwrap(getattr(iterable, "num_stages", None))
    if stages is not None and (isinstance(stages, bool) or not isinstance(stages, int)
                               or stages < 1):
        raise error(f"kl.range(..., num_stages={stages!r}): num_stages must be a positive "
                    "integer known at compile time")
    return _scf_for(bounds, unwrap(iterable.step), iv_type, body, carried, loc, stages)


def _interpret_for(bounds, iv_type, body, carried):
    start, end, step = (int(v) for v in bounds)
    current = carried.init
    for i in builtins.range(start, end, step):
        current = carried.next_values(body(semantic.constant(i, iv_type), *carried.bind(current)))
    return carried.after(current)


def _scf_for(bounds, py_step, iv_type, body, carried, loc, num_stages=None):
    start, end, step = bounds
    iv_of = None
    if isinstance(py_step, int) and py_step < 0:
        # scf.for counts up: count the trips instead, and derive the variable.
        trips = semantic.floordiv(semantic.sub(semantic.sub(start, end), py_step + 1), -py_step)
        bounds = [semantic.constant(0, iv_type), trips, semantic.constant(1, iv_type)]
        iv_of = lambda j: semantic.add(start, semantic.mul(j, py_step))  # noqa: E731
    b = active_builder()
    region = b.push_region([iv_type.mlir] + [t.mlir for t in carried.types])
    try:
        args = _block_args(region, [iv_type] + carried.types)
        iv = iv_of(args[0]) if iv_of else args[0]
        yields = carried.next_values(body(iv, *carried.bind(args[1:])))
        b.emit("scf.yield", [y.handle for y in yields], [])
    finally:
        b.pop_region()
    handles = b.emit("scf.for", [v.handle for v in bounds] + [t.handle for t in carried.init],
                     carried.types, regions=[region], loc=loc)
    if num_stages is not None:
        # This loop's pipelining depth (kitegpu-software-pipeline), over the
        # launch's num_stages.
        b.last_op().attrs["kite.num_stages"] = f"{num_stages} : i32"
    return carried.after([tensor(h, t) for h, t in zip(handles, carried.types)])


# ---------------------------------------------------------------- while

def kite_while(cond_fn, body, names, vals, assigned=None):
    b = active_builder()
    first = _probe(b, lambda: unwrap(cond_fn(*vals)))
    if not isinstance(first, tensor):
        while True:
            cond = unwrap(cond_fn(*vals))
            if isinstance(cond, tensor):
                raise error("the condition of this while loop became a runtime value after "
                            "the first iteration; make it runtime from the start")
            if not cond:
                return vals
            vals = body(*vals)
    loc = user_location()
    carried = Carried(names, vals, f"the while loop at line {loc.line}", assigned)
    if not b.is_tracing:
        # The interpreter ran the condition for real above: that was the
        # first evaluation (an atomic in it must not run twice).
        current, cond = carried.init, first
        while _scalar_condition(cond):
            current = carried.next_values(body(*carried.bind(current)))
            cond = unwrap(cond_fn(*carried.bind(current)))
        return carried.after(current)
    before = b.push_region([t.mlir for t in carried.types])
    try:
        args = _block_args(before, carried.types)
        cond = _scalar_condition(cond_fn(*carried.bind(args)))
        b.emit("scf.condition", [cond.handle] + [a.handle for a in args], [])
    finally:
        b.pop_region()
    after = b.push_region([t.mlir for t in carried.types])
    try:
        yields = carried.next_values(body(*carried.bind(_block_args(after, carried.types))))
        b.emit("scf.yield", [y.handle for y in yields], [])
    finally:
        b.pop_region()
    handles = b.emit("scf.while", [t.handle for t in carried.init], carried.types,
                     regions=[before, after], loc=loc)
    return carried.after([tensor(h, t) for h, t in zip(handles, carried.types)])


def _probe(builder, fn):
    """Evaluates ``fn`` to see whether it is a runtime value; IR it emits is dropped."""
    if not builder.is_tracing:
        return fn()
    builder.push_region([])
    try:
        return fn()
    finally:
        builder.pop_region()


def _scalar_condition(cond):
    cond = semantic.to_tensor(cond)
    if cond.shape:
        raise error(f"a while condition must be a scalar, got a block of shape {cond.shape}")
    return semantic.to_bool(cond)


# ---------------------------------------------------------------- if

def kite_if(cond, then_fn, else_fn, names, vals, then_lines=None, else_lines=None, live=None):
    """``live``: the names the kernel may read after the if (liveness.py);
    the others are not merged (a dead variable may differ in type)."""
    cond = unwrap(cond)
    b = active_builder()
    if isinstance(cond, tensor) and cond.shape:
        raise error(f"the condition of an `if` must be a scalar, got a block of shape "
                    f"{cond.shape}; use kl.where for element-wise choices")
    if not isinstance(cond, tensor) or not b.is_tracing:
        return then_fn(*vals) if cond else else_fn(*vals)
    loc = user_location()
    where = f"the if at line {loc.line}"
    cond = semantic.to_bool(cond)
    then_region = b.push_region([])
    try:
        then_out = then_fn(*vals)
    finally:
        b.pop_region()
    else_region = b.push_region([])
    try:
        else_out = else_fn(*vals)
    finally:
        b.pop_region()
    result = list(vals)
    # name -> the line of its last assignment in the then and else branches
    lines = (then_lines or {}, else_lines or {})
    yielded = []  # (variable index, then value, else value, reference), a leaf each
    aggregates = {}  # variable index -> (template, positions in yielded)
    for i, name in enumerate(names):
        t, e, before = unwrap(then_out[i]), unwrap(else_out[i]), vals[i]
        if t is before and e is before:
            continue
        if live is not None and name not in live:
            result[i] = Undefined(name, f"it is not read after {where}, which does not keep it")
            continue
        if isinstance(t, Undefined) or isinstance(e, Undefined):
            result[i] = Undefined(name, f"it is assigned in only one branch of {where}")
        elif _is_aggregate(t) or _is_aggregate(e):
            then_leaves = _leaves_like(t, t if _is_aggregate(t) else e, name, where)
            else_leaves = _leaves_like(e, t if _is_aggregate(t) else e, name, where)
            start = len(yielded)
            yielded += [(i, a, b, _reference(a, b, name, where, before, lines))
                        for a, b in zip(then_leaves, else_leaves)]
            aggregates[i] = (t if _is_aggregate(t) else e, builtins.range(start, len(yielded)))
        elif _is_carried(t) and _is_carried(e):
            yielded.append((i, t, e, _reference(t, e, name, where, before, lines)))
        elif not _has_runtime([t, e]) and _same_python_value(t, e):
            result[i] = t
        else:
            raise error(f"variable '{name}' gets different Python values in the branches of "
                        f"{where}, whose condition is a runtime value")
    for region, pick in ((then_region, 1), (else_region, 2)):
        with b.in_region(region):
            values = [_yield_value(y[pick], y[3], names[y[0]], f"a branch of {where}",
                                   lines[pick - 1].get(names[y[0]]))
                      for y in yielded]
            b.emit("scf.yield", [v.handle for v in values], [])
    types = [y[3].type for y in yielded]
    handles = b.emit("scf.if", [cond.handle], types, regions=[then_region, else_region], loc=loc)
    leaves = [tensor(h, t) for h, t in zip(handles, types)]
    for (i, *_), leaf in zip(yielded, leaves):
        result[i] = leaf
    for i, (template, positions) in aggregates.items():
        result[i] = _rebuild(template, [leaves[p] for p in positions])
    return tuple(result)


def _reference(t, e, name, where, before=None, lines=({}, {})):
    """The type both branches must yield: the tensor's, or the promoted number's.
    A mismatch is reported at the assignment of the branch that changed the
    variable's type from ``before`` (``lines``: each branch's assignments)."""
    if isinstance(t, tensor) and isinstance(e, tensor):
        if t.type != e.type:
            before = unwrap(before)
            then_kept = isinstance(before, tensor) and before.type == t.type
            line = lines[1 if then_kept else 0].get(name)
            raise _error(f"variable '{name}' is {_type_name(t)} in one branch of {where} and "
                         f"{_type_name(e)} in the other", line)
        return t
    ref = t if isinstance(t, tensor) else e if isinstance(e, tensor) else None
    return ref if ref is not None else tensor(None, semantic.computation_type(t, e, "if"))


def kite_ifexp(cond, then_thunk, else_thunk):
    """``a if cond else b``: an scf.if with one result when ``cond`` is a runtime scalar."""
    name = "<conditional expression>"
    return kite_if(cond, lambda _: (then_thunk(),), lambda _: (else_thunk(),), (name,),
                   (Undefined(name),))[0]


RUNTIME_NAMESPACE = {
    "__kite_call__": calls.kite_call, "__kite_range__": calls.kite_range,
    "__kite_lookup__": calls.lookup, "__kite_static_cond__": calls.static_cond,
    "__kite_static_iter__": calls.static_iter, "__kite_and__": calls.kite_and,
    "__kite_or__": calls.kite_or, "__kite_not__": calls.kite_not,
    "__kite_assert__": calls.kite_assert, "__kite_ifexp__": kite_ifexp,
    "__kite_for__": kite_for, "__kite_while__": kite_while, "__kite_if__": kite_if,
}
