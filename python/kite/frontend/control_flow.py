"""What the rewritten kernel calls at trace time (see ast_rewriter.py).

Loops over compile-time ranges unroll in Python; loops and ifs on runtime
values become ``scf.for``/``scf.while``/``scf.if`` regions whose block
arguments and results are the variables the body assigns."""
from __future__ import annotations

import builtins
import functools
import sys

from ..language import dtypes as dt
from ..language import semantic
from ..language.core import Undefined, active_builder, constexpr, is_builtin, tensor, unwrap
from ..language.standard import device_print, range as kl_range
from .location import error, user_location

_ALLOWED_PYTHON = {builtins.range, len, min, max, isinstance, int, float, bool, str, tuple,
                   list, dict, zip, enumerate, getattr, hasattr, type, slice, reversed,
                   sorted, divmod, round, all, any, abs, repr, set, issubclass, callable,
                   builtins.print, pow}


def _type_name(value) -> str:
    if isinstance(value, tensor):
        return f"{value.dtype}{value.shape}" if value.shape else str(value.dtype)
    return type(value).__name__


def _has_tensor(value) -> bool:
    if isinstance(value, tensor):
        return True
    if isinstance(value, (list, tuple)):
        return builtins.any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return builtins.any(_has_tensor(v) for v in value.values())
    return False


def kite_call(fn, *args, **kwargs):
    from ..jit import KiteFunction, KernelFunction
    if isinstance(fn, (KiteFunction, KernelFunction)):
        return fn.inline(*args, **kwargs)
    if isinstance(fn, Undefined):
        fn.fail()
    if fn is builtins.breakpoint or (getattr(fn, "__module__", None) == "pdb"
                                     and getattr(fn, "__name__", None) == "set_trace"):
        import pdb  # stop in the kernel's frame, not in this helper's
        return pdb.Pdb().set_trace(sys._getframe(1))
    target = fn.func if isinstance(fn, functools.partial) else fn
    if is_builtin(target) or isinstance(getattr(target, "__self__", None), tensor) \
            or isinstance(target, type) and issubclass(target, (dt.dtype, constexpr, kl_range)):
        return fn(*args, **kwargs)
    if fn is builtins.print and _has_tensor(args):
        return device_print(" ".join(str(a) for a in args if not isinstance(a, tensor)) + " ",
                            *[a for a in args if isinstance(a, tensor)])
    if _has_tensor(args) or _has_tensor(kwargs):
        if fn in (min, max, abs):
            hint = {min: "kl.minimum", max: "kl.maximum", abs: "kl.abs"}[fn]
            raise error(f"Python's {fn.__name__}() cannot take runtime values; use {hint}")
        name = getattr(fn, "__qualname__", None) or repr(fn)
        module = getattr(fn, "__module__", None)
        full = f"{module}.{name}" if module and module != "builtins" else name
        raise error(f"'{full}' is a Python function, not part of kite.language, and cannot "
                    "take runtime values; use the kl.* equivalent or decorate a helper "
                    "with @kite.func")
    return fn(*args, **kwargs)


def kite_range(*args, **kwargs):
    spec = kl_range(*args, **kwargs)
    spec.kind = "range"
    return spec


def lookup(thunk, name):
    try:
        return thunk()
    except NameError:
        return Undefined(name)


def static_cond(cond):
    cond = unwrap(cond)
    if isinstance(cond, tensor):
        raise error("this statement holds a `return`, `break` or `continue`, so its condition "
                    "must be a compile-time constant; on runtime values use masks instead")
    return cond


def static_iter(iterable):
    if isinstance(iterable, kl_range):
        if iterable.kind == "loop" or not _is_static_range(iterable):
            raise error("a loop holding `break`, `continue` or `return` (or an `else`) must "
                        "run over a compile-time range; on runtime bounds use masks")
        return builtins.range(iterable.start, iterable.end, iterable.step)
    return iterable


def _is_static_range(spec) -> bool:
    return builtins.all(isinstance(v, int) for v in (spec.start, spec.end, spec.step))


def kite_and(*thunks):
    value = None
    for thunk in thunks:
        value = unwrap(thunk())
        if isinstance(value, tensor):
            rest = [unwrap(t()) for t in thunks[thunks.index(thunk) + 1:]]
            for other in rest:
                value = semantic.and_(semantic.to_bool(value), semantic.to_bool(other))
            return semantic.to_bool(value)
        if not value:
            return value
    return value


def kite_or(*thunks):
    value = None
    for thunk in thunks:
        value = unwrap(thunk())
        if isinstance(value, tensor):
            rest = [unwrap(t()) for t in thunks[thunks.index(thunk) + 1:]]
            for other in rest:
                value = semantic.or_(semantic.to_bool(value), semantic.to_bool(other))
            return semantic.to_bool(value)
        if value:
            return value
    return value


def kite_not(value):
    value = unwrap(value)
    if isinstance(value, tensor):
        return semantic.logical_not(value)
    return not value


# ---------------------------------------------------------------- regions

def _is_carried(value) -> bool:
    return isinstance(value, tensor) or (isinstance(unwrap(value), (bool, int, float))
                                         and not isinstance(value, Undefined))


def _yield_value(value, expected: tensor, name: str, where: str) -> tensor:
    value = unwrap(value)
    if isinstance(value, Undefined):
        value.fail()
    if not isinstance(value, tensor):
        if not isinstance(value, (bool, int, float)):
            raise error(f"variable '{name}' is a runtime value before {where} but a Python "
                        f"{type(value).__name__} inside it")
        return semantic.cast(semantic.to_tensor(value, expected.dtype), expected.dtype)
    if value.type != expected.type:
        raise error(f"loop-carried variable '{name}' changes from {_type_name(expected)} to "
                    f"{_type_name(value)} in {where}; give it its final type and shape "
                    "before the loop")
    return value


def _trace_region(builder, arg_types, fn):
    region = builder.push_region([t.mlir for t in arg_types])
    try:
        args = [tensor(h, t) for (h, _), t in zip(region.args, arg_types)]
        out = fn(args)
    finally:
        builder.pop_region()
    return region, out


def _finish_region(builder, region, values, terminator, leading=()):
    builder._regions.append(region)
    try:
        builder.emit(terminator, list(leading) + [v.handle for v in values], [])
    finally:
        builder._regions.pop()


def _after(names, vals, carried, results, where):
    out = list(vals)
    for i, name in enumerate(names):
        if i in carried:
            out[i] = results[carried.index(i)]
        elif isinstance(vals[i], Undefined):
            out[i] = Undefined(name, f"it is assigned only inside {where}")
    return tuple(out)


def _interpret_for(spec, body, vals):
    bounds = [semantic.to_tensor(v) for v in (spec.start, spec.end, spec.step)]
    iv_type = dt.int64 if builtins.any(v.dtype.bits == 64 for v in bounds) else dt.int32
    start, end, step = (int(v) for v in bounds)
    for i in builtins.range(start, end, step):
        vals = body(semantic.constant(i, iv_type), *vals)
    return vals


def kite_for(iterable, body, names, vals):
    if not isinstance(iterable, kl_range):
        for item in iterable:
            vals = body(item, *vals)
        return vals
    if iterable.kind == "static" or (iterable.kind == "range" and _is_static_range(iterable)):
        if not _is_static_range(iterable):
            raise error("kl.static_range needs compile-time bounds")
        for i in builtins.range(iterable.start, iterable.end, iterable.step):
            vals = body(i, *vals)
        return vals
    if not active_builder().is_tracing:
        return _interpret_for(iterable, body, vals)
    return _scf_for(iterable, body, names, vals)


def _scf_for(spec, body, names, vals):
    b = active_builder()
    loc = user_location()
    where = f"the loop at line {loc.line}"
    bounds = [semantic.to_tensor(v) for v in (spec.start, spec.end, spec.step)]
    for v in bounds:
        if v.shape or not v.dtype.is_int() or v.dtype.is_bool():
            raise error(f"loop bounds must be integer scalars, got {_type_name(v)}")
    iv_type = dt.int64 if builtins.any(v.dtype.bits == 64 for v in bounds) else dt.int32
    bounds = [semantic.cast(v, iv_type) for v in bounds]
    carried = [i for i, v in enumerate(vals) if _is_carried(v)]
    init = [semantic.to_tensor(vals[i]) for i in carried]
    types = [t.type for t in init]

    def trace(args):
        current = list(vals)
        for j, i in enumerate(carried):
            current[i] = args[1 + j]
        return body(args[0], *current)

    region, outs = _trace_region(b, [iv_type] + types, trace)
    yields = []
    b._regions.append(region)
    try:
        for j, i in enumerate(carried):
            yields.append(_yield_value(outs[i], init[j], names[i], where))
    finally:
        b._regions.pop()
    _finish_region(b, region, yields, "scf.yield")
    handles = b.emit("scf.for", [v.handle for v in bounds] + [t.handle for t in init],
                     types, regions=[region], loc=loc)
    results = [tensor(h, t) for h, t in zip(handles, types)]
    return _after(names, vals, carried, results, where)


def kite_while(cond_fn, body, names, vals):
    b = active_builder()
    if not b.is_tracing:
        while cond_fn(*vals):
            vals = body(*vals)
        return vals
    scratch = b.push_region([])
    try:
        first = unwrap(cond_fn(*vals))
    finally:
        b.pop_region()
    if not isinstance(first, tensor):
        while True:
            cond = unwrap(cond_fn(*vals))
            if isinstance(cond, tensor):
                raise error("the condition of this while loop became a runtime value after "
                            "the first iteration; make it runtime from the start")
            if not cond:
                return vals
            vals = body(*vals)
    del scratch
    loc = user_location()
    where = f"the while loop at line {loc.line}"
    carried = [i for i, v in enumerate(vals) if _is_carried(v)]
    init = [semantic.to_tensor(vals[i]) for i in carried]
    types = [t.type for t in init]

    def with_args(args):
        current = list(vals)
        for j, i in enumerate(carried):
            current[i] = args[j]
        return current

    def trace_cond(args):
        cond = semantic.to_tensor(cond_fn(*with_args(args)))
        if cond.shape:
            raise error(f"a while condition must be a scalar, got a block of shape {cond.shape}")
        return semantic.to_bool(cond), args

    before, (cond, before_args) = _trace_region(b, types, trace_cond)
    _finish_region(b, before, before_args, "scf.condition", leading=[cond.handle])
    after, outs = _trace_region(b, types, lambda args: body(*with_args(args)))
    b._regions.append(after)
    try:
        yields = [_yield_value(outs[i], init[j], names[i], where) for j, i in enumerate(carried)]
    finally:
        b._regions.pop()
    _finish_region(b, after, yields, "scf.yield")
    handles = b.emit("scf.while", [t.handle for t in init], types, regions=[before, after], loc=loc)
    results = [tensor(h, t) for h, t in zip(handles, types)]
    return _after(names, vals, carried, results, where)


def kite_if(cond, then_fn, else_fn, names, vals):
    cond = unwrap(cond)
    b = active_builder()
    if not isinstance(cond, tensor) or not b.is_tracing:
        return then_fn(*vals) if cond else else_fn(*vals)
    loc = user_location()
    if cond.shape:
        raise error(f"the condition of an `if` must be a scalar, got a block of shape "
                    f"{cond.shape}; use kl.where for element-wise choices")
    cond = semantic.to_bool(cond)
    then_region, then_out = _trace_region(b, [], lambda _: then_fn(*vals))
    else_region, else_out = _trace_region(b, [], lambda _: else_fn(*vals))
    where = f"the if at line {loc.line}"
    result = list(vals)
    yielded, then_vals, else_vals = [], [], []
    for i, name in enumerate(names):
        t, e, before = unwrap(then_out[i]), unwrap(else_out[i]), vals[i]
        if t is before and e is before:
            continue
        if isinstance(t, Undefined) or isinstance(e, Undefined):
            result[i] = Undefined(name, f"it is assigned in only one branch of {where}")
            continue
        if not (_is_carried(t) and _is_carried(e)):
            if t is e or (not _has_tensor([t, e]) and t == e):
                result[i] = t
                continue
            raise error(f"variable '{name}' gets different Python values in the branches of "
                        f"{where}, whose condition is a runtime value")
        yielded.append(i)
        then_vals.append(t)
        else_vals.append(e)
    ref = [_reference(t, e, names[i], where) for i, t, e in zip(yielded, then_vals, else_vals)]
    for region, values in ((then_region, then_vals), (else_region, else_vals)):
        b._regions.append(region)
        try:
            converted = [_yield_value(v, r, names[i], f"a branch of {where}")
                         for i, v, r in zip(yielded, values, ref)]
        finally:
            b._regions.pop()
        _finish_region(b, region, converted, "scf.yield")
    types = [r.type for r in ref]
    handles = b.emit("scf.if", [cond.handle], types, regions=[then_region, else_region], loc=loc)
    for i, h, t in zip(yielded, handles, types):
        result[i] = tensor(h, t)
    return tuple(result)


def _reference(t, e, name, where):
    """The type both branches must yield: the tensor's, or the promoted number's."""
    if isinstance(t, tensor) and isinstance(e, tensor):
        if t.type != e.type:
            raise error(f"variable '{name}' is {_type_name(t)} in one branch of {where} and "
                        f"{_type_name(e)} in the other")
        return t
    ref = t if isinstance(t, tensor) else e if isinstance(e, tensor) else None
    if ref is None:
        elem = semantic.computation_type(t, e, "if")
        return tensor(None, elem)
    return ref


RUNTIME_NAMESPACE = {
    "__kite_call__": kite_call, "__kite_range__": kite_range, "__kite_lookup__": lookup,
    "__kite_static_cond__": static_cond, "__kite_static_iter__": static_iter,
    "__kite_and__": kite_and, "__kite_or__": kite_or, "__kite_not__": kite_not,
    "__kite_for__": kite_for, "__kite_while__": kite_while, "__kite_if__": kite_if,
}
