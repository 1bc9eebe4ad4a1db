"""The values a kernel computes with: ``tensor`` (a block or scalar proxy),
``constexpr``, and the active builder that turns operations into IR (tracing)
or into numpy arrays (the interpreter)."""
from __future__ import annotations

import functools
import operator
import threading

from ..frontend.location import error
from . import dtypes as _dt

_state = threading.local()


def active_builder():
    builder = getattr(_state, "builder", None)
    if builder is None:
        raise error("kite.language functions can only be called inside a "
                    "@kite.kernel or @kite.func while it is compiled or interpreted")
    return builder


class building:
    """Context manager installing ``builder`` for the ops called inside."""

    def __init__(self, builder):
        self.builder = builder

    def __enter__(self):
        self.previous = getattr(_state, "builder", None)
        _state.builder = self.builder
        return self.builder

    def __exit__(self, *exc):
        _state.builder = self.previous


def builtin(fn):
    """Marks a function of kite.language (allowed in kernels, needs a builder)."""
    fn.__kite_builtin__ = True
    return fn


def is_builtin(fn) -> bool:
    return getattr(fn, "__kite_builtin__", False)


class constexpr:
    """A value known at compile time. As an annotation (``BLOCK: kl.constexpr``)
    it makes a kernel parameter a compile-time constant; kernels see the plain
    Python value."""

    def __init__(self, value):
        self.value = value.value if isinstance(value, constexpr) else value

    def __repr__(self):
        return f"constexpr[{self.value!r}]"

    def __index__(self):
        return self.value.__index__()

    def __int__(self):
        return int(self.value)

    def __float__(self):
        return float(self.value)

    def __bool__(self):
        return bool(self.value)

    def __eq__(self, other):
        return self.value == unwrap(other)

    def __hash__(self):
        return hash(self.value)

    def __getattr__(self, name):
        return getattr(self.value, name)


def _constexpr_op(op, reverse=False):
    def method(self, *other):
        args = [self.value] + [unwrap(o) for o in other]
        if reverse:
            args.reverse()
        result = op(*args)
        return result if isinstance(result, tensor) else constexpr(result)
    return method


# Module-level `BLOCK = kl.constexpr(64)` is common in Triton code: arithmetic
# and comparisons on constexprs give constexprs (or tensors, with a tensor).
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
              "lshift", "rshift"):
    _fn = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(constexpr, f"__{_name}__", _constexpr_op(_fn))
    setattr(constexpr, f"__r{_name}__", _constexpr_op(_fn, reverse=True))
for _name in ("lt", "le", "gt", "ge", "ne", "neg", "pos", "invert", "abs"):
    setattr(constexpr, f"__{_name}__", _constexpr_op(getattr(operator, _name)))


def unwrap(value):
    return value.value if isinstance(value, constexpr) else value


class Undefined:
    """Stands for a variable not assigned on every path to this point; any use
    of it is a CompilationError naming the variable."""

    def __init__(self, name: str, why: str = ""):
        self._name = name
        self._why = why

    def fail(self):
        why = f" ({self._why})" if self._why else ""
        raise error(f"name '{self._name}' is used here but is not defined on every "
                    f"path to this point{why}")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self.fail()

    def __repr__(self):
        return f"<undefined {self._name}>"


def _fail_undefined(self, *args, **kwargs):
    self.fail()


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "and", "or", "xor",
            "lshift", "rshift", "lt", "le", "gt", "ge", "eq", "ne", "neg", "invert",
            "getitem", "bool", "index", "int", "float", "call", "iter", "len",
            "radd", "rsub", "rmul", "rtruediv", "rfloordiv", "rmod", "rand",
            "ror", "rxor", "pos", "pow"):
    setattr(Undefined, f"__{_op}__", _fail_undefined)
Undefined.__hash__ = object.__hash__


def _binary(name, reverse=False):
    def method(self, other):
        from . import semantic
        fn = getattr(semantic, name)
        return fn(other, self) if reverse else fn(self, other)
    method.__name__ = name
    return method


class tensor:
    """A block or scalar inside a kernel. ``handle`` belongs to the active
    builder (an SSA name when tracing, a numpy array when interpreting)."""

    def __init__(self, handle, type):
        self.handle = handle
        self.type = type

    @property
    def dtype(self) -> _dt.dtype:
        return self.type.scalar

    @property
    def shape(self) -> list:
        return list(self.type.shape) if isinstance(self.type, _dt.block_type) else []

    @property
    def numel(self) -> int:
        return self.type.numel if isinstance(self.type, _dt.block_type) else 1

    def __repr__(self):
        if isinstance(self.handle, str) or self.handle is None:  # traced: an SSA name
            return f"kite.tensor({self.type})"
        return f"kite.tensor({self.handle!r}, {self.type})"  # interpreted: the values

    __add__ = _binary("add")
    __radd__ = _binary("add", True)
    __sub__ = _binary("sub")
    __rsub__ = _binary("sub", True)
    __mul__ = _binary("mul")
    __rmul__ = _binary("mul", True)
    __truediv__ = _binary("truediv")
    __rtruediv__ = _binary("truediv", True)
    __floordiv__ = _binary("floordiv")
    __rfloordiv__ = _binary("floordiv", True)
    __mod__ = _binary("mod")
    __rmod__ = _binary("mod", True)
    __and__ = _binary("and_")
    __rand__ = _binary("and_", True)
    __or__ = _binary("or_")
    __ror__ = _binary("or_", True)
    __xor__ = _binary("xor_")
    __rxor__ = _binary("xor_", True)
    __lshift__ = _binary("lshift")
    __rlshift__ = _binary("lshift", True)
    __rshift__ = _binary("rshift")
    __rrshift__ = _binary("rshift", True)
    __lt__ = _binary("less")
    __le__ = _binary("less_equal")
    __gt__ = _binary("greater")
    __ge__ = _binary("greater_equal")
    __eq__ = _binary("equal")
    __ne__ = _binary("not_equal")
    __hash__ = object.__hash__

    def __neg__(self):
        from . import semantic
        return semantic.neg(self)

    def __pos__(self):
        return self

    def __invert__(self):
        from . import semantic
        return semantic.invert(self)

    def __getitem__(self, index):
        from . import semantic
        return semantic.subscript(self, index)

    def __bool__(self):
        return active_builder().concrete_bool(self)

    def __index__(self):
        return active_builder().concrete_int(self)

    __int__ = __index__

    def __float__(self):
        return active_builder().concrete_float(self)

    def __iter__(self):
        raise error("a kite tensor cannot be iterated over in Python; "
                    "use kl.range or index it with kl.arange")

    def __len__(self):
        raise error("len() of a kite tensor is not defined; use x.shape")

    # Methods mirroring triton.language's tensor methods.
    def to(self, dtype, fp_downcast_rounding=None, bitcast: bool = False):
        from . import semantic
        return semantic.cast(self, unwrap(dtype), bitcast, fp_downcast_rounding)

    def __getattr__(self, name):
        # sum/max/reshape/... as methods: forward to the language function.
        from .. import language
        fn = getattr(language, name, None)
        if fn is None or not is_builtin(fn) or name.startswith("_"):
            raise AttributeError(f"kite tensor has no attribute '{name}'")
        return functools.partial(fn, self)

    @property
    def T(self):
        from . import semantic
        return semantic.permute(self, None)


def describe(x: tensor, with_dtype: bool = False) -> str:
    """``x``'s shape for an error message: "a block of shape [M, N]" or "a
    scalar"; with ``with_dtype``, "shape [M, N] of int8" or "a scalar of
    int8" (kl.dot_scaled's messages)."""
    if with_dtype:
        return f"shape {x.shape} of {x.dtype}" if x.shape else f"a scalar of {x.dtype}"
    return f"a block of shape {x.shape}" if x.shape else "a scalar"
