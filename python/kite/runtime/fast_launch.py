"""The launch fast path: ``kernel[grid](*args)`` for a specialisation launched
before, without ``inspect.signature.bind``, type inference or argument checks.

Each kernel gets a binder generated from its signature (a plain Python
function with the same parameters, so Python itself binds the call) and a
map from a *launch key* to a ready launcher. The key is computed from the
bound values with cheap type tests and holds everything the slow path's
decisions depend on: each runtime argument's kind (a kite or PyTorch
tensor's dtype, device and 16-byte alignment; integer width and
divisibility by 16, and whether it is 1; float; bool; a TensorDescriptor's
base, block shape, padding and fields, which the stored launcher expands
as the slow path binds them), each
constexpr's value, the compile options, the globals and closure variables
the kernel and its helpers read (frontend/dependencies.py), and
``KITE_DEVICE``. Two launches with one key therefore specialise,
check and compile identically, so the first one (the slow path) stores its
launcher and later ones reuse it. Anything unusual (a numpy array, an
argument the key cannot classify, a signature the binder cannot mirror)
takes the slow path every time."""
from __future__ import annotations

import inspect
import sys
from typing import Callable, Optional

from ..frontend.dependencies import dependency_key
from . import environ
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


def _descriptor_key(value):
    """A kite.TensorDescriptor: its base's part, block shape, padding, and
    each shape and stride as an integer's (1, width, divisibility): all the
    slow path's specialisation reads (frontend/specialization.py)."""
    base = runtime_key(value.base)
    if base is None:
        return None
    fields = tuple(_int_key(v) if type(v) is int else None for v in value.shape + value.strides)
    if None in fields:
        return None
    return ("D", base, tuple(value.block_shape), value.padding, fields)


def _runtime_keys() -> dict:
    if not _RUNTIME_KEYS:
        from ..tensor import Tensor
        from ..tensor_descriptor import TensorDescriptor
        _RUNTIME_KEYS.update({
            Tensor: _tensor_key, int: _int_key, float: lambda v: _FLOAT_KEY,
            bool: lambda v: _BOOL_KEY, type(None): lambda v: _NONE_KEY,
            TensorDescriptor: _descriptor_key})
    return _RUNTIME_KEYS


def _torch_key(value):
    # The slow path maps a torch dtype to one kite type, and checks the
    # device: equal dtype and device, equal decisions.
    return ("torch", value.dtype, value.device, value.data_ptr() & 15 == 0)


def _no_key(value):
    return None


def _late_keyer(kind):
    """The keyer of a type first seen now: PyTorch's tensors (torch may be
    imported after the first launch), else one that sends the launch to the
    slow path. Remembered for the type (a type that is no torch tensor now
    never becomes one)."""
    torch = sys.modules.get("torch")
    keyer = _torch_key if torch is not None and issubclass(kind, torch.Tensor) else _no_key
    (_RUNTIME_KEYS or _runtime_keys())[kind] = keyer
    return keyer


def runtime_key(value):
    """The launch-key part of a runtime argument, or None (take the slow path)."""
    return ((_RUNTIME_KEYS or _runtime_keys()).get(type(value)) or _late_keyer(type(value)))(value)


def constexpr_key(value):
    if isinstance(value, constexpr):
        return None
    if type(value) is float:  # 0.0 == -0.0, but they compile differently
        return (float, value.hex())
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)


def make_binder(kernel) -> Optional[Callable]:
    """``bind(*args, **kwargs) -> (key, values)`` for a kernel's signature,
    or None when the fast path cannot mirror it (variadic parameters, a
    parameter named like a compile option). The binder is generated Python
    with the kernel's parameters, so Python itself binds the call, and it
    computes the launch key in the same call: each argument's part (a None
    part: the slow path), the compile options as given (``_MISSING`` where
    not) and their types, the variables the kernel reads, ``KITE_DEVICE``, ``KITE_DEBUG`` and
    ``KITE_MEMORY_CHECKS``."""
    fn = kernel.fn
    constexprs = constexpr_params(fn)
    params, scope, names, parts = [], {}, [], []
    keyword_only_started = False
    for i, (name, p) in enumerate(inspect.signature(fn).parameters.items()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or name in COMPILE_OPTIONS \
                or not name.isidentifier() or name.startswith("_kite_") \
                or p.kind == p.POSITIONAL_ONLY:
            return None
        if p.kind == p.KEYWORD_ONLY and not keyword_only_started:
            params.append("*")
            keyword_only_started = True
        text = name
        if p.default is not p.empty:
            scope[f"_kite_default_{i}"] = p.default
            text += f"=_kite_default_{i}"
        params.append(text)
        names.append(name)
        parts.append(f"_kite_constexpr_key({name}), " if name in constexprs else
                     f"(_kite_keyers.get(type({name})) or _kite_late(type({name})))({name}), ")
    if not keyword_only_started:
        params.append("*")
    params += [f"{option}=_kite_missing" for option in COMPILE_OPTIONS]
    source = (f"def _kite_bind({', '.join(params)}):\n"
              f"    return (({''.join(parts)}), "
              # Each option with its type: True == 1, but launch_pdl=1 must
              # reach the slow path's check rather than reuse True's launcher.
              f"({''.join(f'{o}, type({o}), ' for o in COMPILE_OPTIONS)}), "
              "_kite_reads(_kite_kernel), _kite_getenv('KITE_DEVICE'), "
              # memory checks (runtime/memory_checks.py) change the code
              "_kite_getenv('KITE_DEBUG'), _kite_getenv('KITE_MEMORY_CHECKS')), "
              f"({''.join(n + ', ' for n in names)})\n")
    scope.update(_kite_missing=_MISSING, _kite_keyers=_RUNTIME_KEYS or _runtime_keys(),
                 _kite_late=_late_keyer,
                 _kite_constexpr_key=constexpr_key, _kite_reads=dependency_key,
                 _kite_kernel=kernel, _kite_getenv=environ.get)
    exec(compile(source, f"<kite binder of {fn.__name__}>", "exec"), scope)
    return scope["_kite_bind"]


class FastPath:
    """One kernel's binder (which computes the launch key) and launchers."""

    def __init__(self, kernel, binder: Callable):
        self.kernel = kernel
        self.binder = binder
        self.launchers: dict = {}

    @classmethod
    def of(cls, kernel) -> Optional["FastPath"]:
        binder = make_binder(kernel)
        return cls(kernel, binder) if binder is not None else None

    def lookup(self, args, kwargs):
        """(the launcher stored for this call's key or None, the key or None
        when the call must take the slow path, the bound values)."""
        try:
            key, values = self.binder(*args, **kwargs)
            return self.launchers.get(key), key, values
        except TypeError:
            return None, None, None

    def store(self, key, launcher) -> None:
        """Keeps ``launcher`` for later calls with ``key`` (not for a key
        with a part the fast path could not classify)."""
        if key is not None and None not in key[0]:
            self.launchers[key] = launcher
