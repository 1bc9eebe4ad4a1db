"""The launch fast path: ``kernel[grid](*args)`` for a specialisation launched
before, without ``inspect.signature.bind``, type inference or argument checks.

Each kernel gets a binder generated from its signature (a plain Python
function with the same parameters, so Python itself binds the call) and a
map from a *launch key* to a ready launcher. The key is computed from the
bound values with cheap type tests and holds everything the slow path's
decisions depend on: each runtime argument's kind (a kite or PyTorch
tensor's dtype, device and 16-byte alignment; integer width and
divisibility by 16, and whether it is 1; float; bool), each
constexpr's value, the compile options, the compile-time globals the kernel
reads, and ``KITE_DEVICE``. Two launches with one key therefore specialise,
check and compile identically, so the first one (the slow path) stores its
launcher and later ones reuse it. Anything unusual (a numpy array, an
argument the key cannot classify, a signature the binder cannot mirror)
takes the slow path every time."""
from __future__ import annotations

import inspect
import os
import sys
from typing import Callable, Optional

from ..frontend import cache_key
from ..frontend.specialization import COMPILE_OPTIONS, constexpr_params
from ..language.core import constexpr

_MISSING = object()  # an option the call did not pass


def _int_key(value: int):
    if value == 1:  # a constexpr, unless the parameter says otherwise
        return ("i", 1)
    if -(2 ** 31) <= value < 2 ** 31:
        return ("i", 32, value % 16 == 0)
    if -(2 ** 63) <= value < 2 ** 63:
        return ("i", 64, value % 16 == 0)
    return ("i", 65, value % 16 == 0) if 0 <= value < 2 ** 64 else None


def _tensor_key(value):
    return ("T", value.dtype.name, value.device, value.data_ptr() & 15 == 0)


_FLOAT_KEY, _BOOL_KEY, _NONE_KEY = ("f",), ("b",), ("N",)

# type(argument) -> its launch-key part; filled in on first use, because
# kite.tensor imports this package.
_RUNTIME_KEYS: dict = {}


def _runtime_keys() -> dict:
    if not _RUNTIME_KEYS:
        from ..tensor import Tensor
        _RUNTIME_KEYS.update({
            Tensor: _tensor_key, int: _int_key, float: lambda v: _FLOAT_KEY,
            bool: lambda v: _BOOL_KEY, type(None): lambda v: _NONE_KEY})
    return _RUNTIME_KEYS


def _torch_key(value):
    # The slow path maps a torch dtype to one kite type, and checks the
    # device: equal dtype and device, equal decisions.
    return ("torch", value.dtype, value.device, value.data_ptr() & 15 == 0)


def _late_keyer(kind):
    """A keyer for a type first seen now: PyTorch's tensors (torch may be
    imported after the first launch); None for the rest."""
    torch = sys.modules.get("torch")
    if torch is not None and issubclass(kind, torch.Tensor):
        _RUNTIME_KEYS[kind] = _torch_key
        return _torch_key
    return None


def runtime_key(value):
    """The launch-key part of a runtime argument, or None (take the slow path)."""
    keyer = (_RUNTIME_KEYS or _runtime_keys()).get(type(value)) or _late_keyer(type(value))
    return keyer(value) if keyer is not None else None


def constexpr_key(value):
    if isinstance(value, constexpr):
        return None
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)


def make_binder(fn) -> Optional[Callable]:
    """``bind(*args, **kwargs) -> (values, options)`` for ``fn``'s signature,
    or None when the fast path cannot mirror it (variadic parameters, a
    parameter named like a compile option)."""
    signature = inspect.signature(fn)
    params, defaults, names = [], {}, []
    keyword_only_started = False
    for i, (name, p) in enumerate(signature.parameters.items()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or name in COMPILE_OPTIONS \
                or not name.isidentifier() or name.startswith("_kite_"):
            return None
        if p.kind == p.KEYWORD_ONLY and not keyword_only_started:
            params.append("*")
            keyword_only_started = True
        text = name
        if p.default is not p.empty:
            defaults[f"_kite_default_{i}"] = p.default
            text += f"=_kite_default_{i}"
        if p.kind == p.POSITIONAL_ONLY:
            return None
        params.append(text)
        names.append(name)
    if not keyword_only_started:
        params.append("*")
    params += [f"{option}=_kite_missing" for option in COMPILE_OPTIONS]
    options = ", ".join(f"'{o}': {o}" for o in COMPILE_OPTIONS)
    values = "".join(f"{n}, " for n in names)
    source = (f"def _kite_bind({', '.join(params)}):\n"
              f"    return ({values}), {{{options}}}\n")
    scope = dict(defaults, _kite_missing=_MISSING)
    exec(compile(source, f"<kite binder of {fn.__name__}>", "exec"), scope)
    return scope["_kite_bind"]


class FastPath:
    """One kernel's binder, key layout and launchers."""

    def __init__(self, kernel, binder: Callable):
        self.kernel = kernel
        self.binder = binder
        constexprs = constexpr_params(kernel.fn)
        self.is_constexpr = tuple(name in constexprs
                                  for name in inspect.signature(kernel.fn).parameters)
        self.launchers: dict = {}

    @classmethod
    def of(cls, kernel) -> Optional["FastPath"]:
        binder = make_binder(kernel.fn)
        return cls(kernel, binder) if binder is not None else None

    def key(self, args, kwargs):
        """(launch key, bound values), or (None, None) for the slow path."""
        try:
            values, options = self.binder(*args, **kwargs)
        except TypeError:
            return None, None  # the slow path words the error
        parts = []
        keyers = _RUNTIME_KEYS or _runtime_keys()
        for is_constexpr, value in zip(self.is_constexpr, values):
            keyer = None if is_constexpr else (keyers.get(type(value))
                                               or _late_keyer(type(value)))
            part = keyer(value) if keyer is not None else (
                constexpr_key(value) if is_constexpr or value is None else None)
            if part is None:
                return None, None
            parts.append(part)
        given = tuple((name, value) for name, value in options.items() if value is not _MISSING)
        try:
            hash(given)
        except TypeError:
            return None, None
        return (tuple(parts), given, cache_key.global_values(self.kernel),
                os.environ.get("KITE_DEVICE", "")), values
