"""The launch fast path: ``kernel[grid](*args)`` for a specialisation launched
before, without ``inspect.signature.bind``, type inference or argument checks,
and without running Python code: the binder and the launchers are C++
(python/src/FastLaunch.cpp, FastLaunchBinder.cpp; this module makes them).

Each kernel gets a binder made from its signature (it binds a call as Python
would) and a map from a *launch key* to a ready launcher. The key is computed from the
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
    """A kite.TensorDescriptor: its base's part, block shape, padding,
    each shape and stride as an integer's (1, width, divisibility), and
    whether it has a tensor map: all the slow path's specialisation reads
    (frontend/specialization.py)."""
    base = runtime_key(value.base)
    if base is None:
        return None
    fields = tuple(_int_key(v) if type(v) is int else None for v in value.shape + value.strides)
    if None in fields:
        return None
    from ..frontend.specialization import has_tensor_map
    return ("D", base, tuple(value.block_shape), value.padding, fields,
            has_tensor_map(value))


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


def _environment_keys() -> tuple:
    """(os.environ's bytes dict or None, the keys of KITE_DEVICE, KITE_DEBUG,
    KITE_MEMORY_CHECKS and KITE_INTERPRET in it, or their names where it is
    None): what the C++ binder reads as runtime/environ.get does."""
    names = ("KITE_DEVICE", "KITE_DEBUG", "KITE_MEMORY_CHECKS", "KITE_INTERPRET")
    if not environ._FAST:
        return None, names
    return environ._DATA, tuple(environ._ENCODE(n) for n in names)


_NO_DEFAULT = object()  # a parameter without a default


def make_binder(kernel, launchers: Optional[dict] = None, slow: Optional[Callable] = None):
    """The kernel's ``kite._C.LaunchBinder`` (python/src/FastLaunchBinder.cpp),
    or None when the fast path cannot mirror its signature (variadic or
    positional-only parameters, a parameter named like a compile option) or
    kite._C is not built. ``binder.bind(args, kwargs)`` binds a call as Python
    would (TypeError where it would not) and returns ``(key, values)``:
    the key holds each argument's part (runtime_key; a None part: the slow
    path), the compile options as given (``_MISSING`` where not) and their
    types, the variables the kernel reads, ``KITE_DEVICE``, ``KITE_DEBUG``
    and ``KITE_MEMORY_CHECKS``. ``binder.at(grid)`` is ``kernel[grid]``: it
    launches ``launchers[key]`` or calls ``slow(grid, args, kwargs, key)``."""
    try:
        from .. import _C
    except ImportError:  # the frontend without libkite: the interpreter only
        return None
    fn = kernel.fn
    constexprs = constexpr_params(fn)
    names, flags, defaults, positional = [], [], [], 0
    for name, p in inspect.signature(fn).parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY) \
                or name in COMPILE_OPTIONS or not name.isidentifier():
            return None
        if p.kind == p.POSITIONAL_OR_KEYWORD:
            positional += 1
        names.append(name)
        flags.append(name in constexprs)
        defaults.append(_NO_DEFAULT if p.default is p.empty else p.default)
    from ..tensor import Tensor
    data, keys = _environment_keys()
    return _C.LaunchBinder(kernel, tuple(names), tuple(flags), tuple(defaults), _NO_DEFAULT,
                           positional, COMPILE_OPTIONS, _MISSING,
                           {} if launchers is None else launchers, Tensor, runtime_key,
                           constexpr_key, dependency_key, data, keys, environ.get,
                           slow or _no_slow_path)


def _no_slow_path(grid, args, kwargs, key):
    raise RuntimeError("this binder has no slow path to launch with")


class FastPath:
    """One kernel's binder (which computes the launch key and launches) and
    its launchers, by key."""

    def __init__(self, kernel, launchers: dict, binder):
        self.kernel = kernel
        self.launchers = launchers
        self.binder = binder

    @classmethod
    def of(cls, kernel) -> Optional["FastPath"]:
        launchers: dict = {}
        binder = make_binder(kernel, launchers, kernel._slow_run)
        return cls(kernel, launchers, binder) if binder is not None else None

    def at(self, grid):
        """``kernel[grid]``: a callable that launches (python/src/FastLaunchBinder.cpp)."""
        return self.binder.at(grid)

    def lookup(self, args, kwargs):
        """(the launcher stored for this call's key or None, the key or None
        when the call must take the slow path, the bound values)."""
        try:
            key, values = self.binder.bind(tuple(args), dict(kwargs))
            return self.launchers.get(key), key, values
        except TypeError:  # unbindable, or an unhashable option value
            return None, None, None

    def store(self, key, launcher) -> None:
        """Keeps ``launcher`` for later calls with ``key`` (not for a key
        with a part the fast path could not classify)."""
        if key is not None and None not in key[0]:
            self.launchers[key] = launcher
