"""What the rewritten kernel calls for Python's own constructs (see
ast_rewriter.py): function calls, ``and``/``or``/``not``, ``assert``, and the
checks on statements that must stay compile-time."""
from __future__ import annotations

import builtins
import functools
import sys

from ..language import dtypes as dt
from ..language import semantic
from ..language.core import Undefined, constexpr, is_builtin, tensor, unwrap
from ..language.standard import device_assert, device_print, maximum, minimum, range as kl_range
from .location import error

# Python builtins that only look at the structure of their arguments, so
# they may be given runtime values (len of a tuple of blocks, zip, ...).
_STRUCTURAL = (isinstance, issubclass, len, getattr, hasattr, type, zip, enumerate, tuple,
               list, dict, reversed, callable, repr, str, slice, id)
_NUMERIC_HINTS = {abs: "kl.abs", sum: "kl.sum",
                  round: "kl.floor(x + 0.5)", pow: "kl.exp2/kl.log2", float: ".to(kl.float32)",
                  int: ".to(kl.int32)", bool: "`!= 0`"}


def _has_tensor(value) -> bool:
    if isinstance(value, tensor):
        return True
    if isinstance(value, (list, tuple)):
        return builtins.any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return builtins.any(_has_tensor(v) for v in value.values())
    return False


def _is(fn, candidates) -> bool:
    return builtins.any(fn is c for c in candidates)


def kite_call(fn, *args, **kwargs):
    from ..kernel_function import KiteFunction
    if isinstance(fn, KiteFunction):
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
    if fn is builtins.min or fn is builtins.max:
        return _min_max(fn, args, kwargs)
    if not (_has_tensor(args) or _has_tensor(kwargs)) or _is(fn, _STRUCTURAL):
        return fn(*args, **kwargs)
    if fn is builtins.print:
        text = " ".join(str(a) for a in args if not isinstance(a, tensor))
        return device_print(text + " " if text else "", *[a for a in args if isinstance(a, tensor)])
    for known, hint in _NUMERIC_HINTS.items():
        if fn is known:
            raise error(f"Python's {fn.__name__}() cannot take runtime values; use {hint}")
    name = getattr(fn, "__qualname__", None) or repr(fn)
    module = getattr(fn, "__module__", None)
    full = f"{module}.{name}" if module and module != "builtins" else name
    raise error(f"'{full}' is a Python function, not part of kite.language, and cannot "
                "take runtime values; use the kl.* equivalent or decorate a helper "
                "with @kite.func")


def _min_max(fn, args, kwargs):
    """Python's ``min``/``max`` in a kernel. On compile-time values, Python's
    own (the result stays a compile-time value); once a runtime value is
    among the operands, ``kl.minimum``/``kl.maximum`` folded left to right,
    which promote int and float operands as any binary op does (as Triton,
    which maps ``min``/``max`` to them). One argument is an iterable of the
    operands, as in Python (a tuple of blocks and numbers)."""
    name = fn.__name__
    operands = args
    if len(args) == 1:
        only = unwrap(args[0])
        if isinstance(only, tensor):
            raise error(f"{name}() of a single runtime value: give it two or more values (or "
                        f"a tuple of them); the {'smallest' if fn is builtins.min else 'largest'}"
                        f" element of a block is kl.{name}(x, axis)")
        if hasattr(only, "__iter__"):  # a tuple, list or generator of operands
            operands = tuple(only)
            if not _has_tensor(operands):
                return fn(operands, **kwargs)
    if not _has_tensor(operands):
        return fn(*args, **kwargs)
    unknown = sorted(set(kwargs) - {"propagate_nan"})
    if unknown:
        raise error(f"{name}() on runtime values takes no {', '.join(unknown)}= argument "
                    "(only propagate_nan=, as kl.minimum/kl.maximum)")
    combine = minimum if fn is builtins.min else maximum
    result = operands[0]
    for operand in operands[1:]:
        result = combine(result, operand, **kwargs)
    return result


def kite_range(*args, **kwargs):
    spec = kl_range(*args, **kwargs)
    spec.kind = "range"
    return spec


def lookup(thunk, name):
    try:
        return thunk()
    except NameError:
        return Undefined(name)


def static_cond(cond, statement="if", exit_=""):
    """The condition of an ``if`` or ``while`` that must stay compile-time:
    it holds ``exit_`` (a return, break or continue, e.g. '`return` at line
    12'), which a traced region cannot leave early."""
    cond = unwrap(cond)
    if isinstance(cond, tensor):
        holds = exit_ or "a `return`, `break` or `continue`"
        if statement == "while loop":
            raise error(f"this while loop holds {holds}, so its condition must be a "
                        "compile-time constant: a runtime loop cannot be left early (as in "
                        "Triton); carry a flag in the loop and test it after, or use masks")
        raise error(f"this if holds {holds}, so its condition must be a compile-time "
                    "constant here (a `break` or `continue` leaves a loop, and a `return` may "
                    "be under a runtime if only in a function with no return inside a loop); "
                    "on runtime values use masks instead")
    return cond


def is_static_range(spec) -> bool:
    return builtins.all(isinstance(unwrap(v), int) for v in (spec.start, spec.end, spec.step))


def static_iter(iterable, exit_=""):
    """The iterable of a ``for`` that must unroll: it holds ``exit_`` (or an
    ``else``, or a target that is not a name)."""
    if isinstance(iterable, kl_range):
        if iterable.kind == "loop" or not is_static_range(iterable):
            holds = f"holds {exit_}" if exit_ else "holds `break`, `continue` or `return` (or an `else`)"
            raise error(f"this loop {holds}, so it must run over a compile-time range "
                        "(constexpr bounds or kl.static_range): a runtime loop cannot be left "
                        "early (as in Triton); carry a flag in the loop, or use masks")
        return builtins.range(iterable.start, iterable.end, iterable.step)
    return iterable


def _bool_op(thunks, combine, stop_on):
    """Python's short-circuit ``and``/``or`` on Python values; once a runtime
    value appears, the remaining operands are combined element-wise."""
    value = None
    for k, thunk in enumerate(thunks):
        value = unwrap(thunk())
        if isinstance(value, tensor):
            result = semantic.to_bool(value)
            for rest in thunks[k + 1:]:
                result = combine(result, semantic.to_bool(unwrap(rest())))
            return result
        if bool(value) == stop_on:
            return value
    return value


def kite_and(*thunks):
    return _bool_op(thunks, semantic.and_, False)


def kite_or(*thunks):
    return _bool_op(thunks, semantic.or_, True)


def kite_not(value):
    value = unwrap(value)
    if isinstance(value, tensor):
        return semantic.logical_not(value)
    return not value


def kite_assert(cond, msg=""):
    """``assert`` on a runtime value is a device_assert; on a Python value it is
    checked while compiling."""
    cond = unwrap(cond)
    if isinstance(cond, tensor):
        return device_assert(cond, msg)
    if not cond:
        raise error(f"assertion failed: {msg}" if msg else "assertion failed")
