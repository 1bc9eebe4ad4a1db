"""What a kernel's code depends on besides its arguments and sources: the
values of the globals and closure variables that the kernel, and every
@kite.func it can reach, read while it is traced (docs/jit-cache.md). Rebinding
one recompiles, as in Python.

How a value is identified in the key (``_Walk.value_key``):

- numbers (numpy scalars too), strings, bools, None, constexprs, dtypes,
  enum members, and tuples, lists and dicts of these: by value;
- @kite.func helpers: by name and source hash, and the globals and closure
  variables they read are followed in turn;
- Kite's own functions and types (``kl.exp``): by module and name (Kite's
  sources are in the key already); modules, classes, C builtins
  (``math.sqrt``) and other named callables of Python or an installed
  package (``numpy.prod``): by module and name;
- plain Python functions (run while tracing): by name, bytecode, defaults
  and the values they capture (not the globals they read);
- anything else (an object of a user's class, say): by identity, in this
  process only. The key holds the object itself (so that its id is never
  reused), and the kernel bypasses the disk cache, where two such objects
  could not be told apart.

Changing a list, dict or object in place is not seen by launches of what
was compiled before: the key is read again at every launch only when a
variable is rebound. A compilation (a new specialisation) walks again, so
its key, in memory and on disk, is that of what it traced.

``dependency_key`` runs at every launch (runtime/fast_launch.py): it reads
each variable and compares it by identity with what the key was made from,
and walks the dependencies again only when one was rebound."""
from __future__ import annotations

import ast
import builtins
import enum
import functools
import hashlib
import os
import sys
import sysconfig
import types

import numpy as np

from .kernel_source import source_tree

_MISSING = object()  # an unbound global or an empty closure cell
_SIMPLE = (bool, int, float, str, type(None))


class Unidentified:
    """A value the key holds by identity: equal only to itself, and kept
    alive by the key, so that no other object takes its id."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return id(self.value)

    def __eq__(self, other):
        return type(other) is Unidentified and other.value is self.value

    def __repr__(self):
        return f"<{type(self.value).__qualname__} at {id(self.value):#x} in process {os.getpid()}>"


def dependency_key(kite_fn) -> tuple:
    """The key of what ``kite_fn`` (a kernel or helper) reads: a tuple of
    strings, and ``(label, Unidentified)`` pairs for values keyed by identity."""
    deps = kite_fn._dependencies
    if deps is None or not deps.unchanged():
        deps = kite_fn._dependencies = _Walk(kite_fn.fn).dependencies()
    return deps.key


def refresh_dependencies(kite_fn) -> tuple:
    """``dependency_key`` from a new walk, whatever the per-launch check
    says: what a compilation keys itself with, so that a list or dict changed
    in place is keyed by what is traced now."""
    deps = kite_fn._dependencies = _Walk(kite_fn.fn).dependencies()
    return deps.key


def on_disk(key: tuple) -> bool:
    """Whether a key of ``dependency_key`` may be looked up on disk (it names
    every value by content or a stable name, none by identity)."""
    return all(type(part) is str for part in key)


class _Dependencies:
    """The key, and ``unchanged()``: whether every variable it was made from
    still holds the same object."""
    __slots__ = ("key", "unchanged")

    def __init__(self, key: tuple, unchanged):
        self.key = key
        self.unchanged = unchanged


def _always() -> bool:
    return True


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _MISSING


def _checker(slots: list, seen: list):
    """A generated ``unchanged()`` for these variables: one identity test
    each on closure cells, no loop (it runs at every launch)."""
    if not slots:
        return _always
    scope = {"_M": _MISSING, "_contents": _contents}
    tests = []
    for i, (slot, value) in enumerate(zip(slots, seen)):
        scope[f"v{i}"] = value
        if isinstance(slot, tuple):
            scope[f"g{i}"] = slot[0].get
            tests.append(f"g{i}({slot[1]!r}, _M) is v{i}")
        else:
            scope[f"c{i}"] = slot
            tests.append(f"_contents(c{i}) is v{i}" if value is _MISSING
                         else f"c{i}.cell_contents is v{i}")
    source = (f"def make({', '.join(scope)}):\n"
              "    def unchanged():\n        try:\n            return " + " and ".join(tests) +
              "\n        except ValueError:  # a cell emptied by `del`\n"
              "            return False\n    return unchanged\n")
    namespace: dict = {}
    exec(compile(source, "<kite dependency check>", "exec"), namespace)
    return namespace["make"](**scope)


_READS: dict = {}  # code object -> (global names, (root, attributes) chains)


def _reads(fn) -> tuple:
    """The names of ``fn``'s source that are not its locals (globals, or
    builtins), and the attribute chains rooted at them (``helpers.scale``)."""
    found = _READS.get(fn.__code__)
    if found is None:
        found = _READS[fn.__code__] = _parse_reads(fn)
    return found


def _parse_reads(fn) -> tuple:
    code = fn.__code__
    local = set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)
    try:
        tree = source_tree(fn)[2]
    except (OSError, TypeError):
        tree = None
    if tree is None:
        return tuple(sorted(set(code.co_names) - local)), ()
    names, chains = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in local:
                names.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs = []
            while isinstance(node, ast.Attribute):
                attrs.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id not in local:
                chains.add((node.id, tuple(reversed(attrs))))
    return tuple(sorted(names)), tuple(sorted(chains))


def _is_kite(module) -> bool:
    return isinstance(module, str) and (module == "kite" or module.startswith("kite."))


_LIBRARY_DIRS = tuple(sorted({sysconfig.get_path(p) for p in ("stdlib", "platstdlib", "purelib",
                                                                "platlib")} - {None}))
_LIBRARIES: dict = {}  # module name -> whether it is installed (stdlib, site-packages)


def _is_library(module) -> bool:
    """Whether a module is part of Python or an installed package, whose
    functions (``numpy.prod``) are identified, like modules, by name."""
    found = _LIBRARIES.get(module)
    if found is None and isinstance(module, str):
        path = getattr(sys.modules.get(module), "__file__", None)
        found = _LIBRARIES[module] = (module in sys.builtin_module_names if path is None
                                      else path.startswith(_LIBRARY_DIRS))
    return bool(found)


def _name(obj) -> str:
    return f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', None)}"


_CODE_HASHES: dict = {}


def _code_hash(code: types.CodeType) -> str:
    """sha256 of a plain function's bytecode, names and constants (nested
    code included); no addresses, so equal in every process."""
    found = _CODE_HASHES.get(code)
    if found is None:
        digest = hashlib.sha256()
        digest.update(code.co_code)
        digest.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
        for const in code.co_consts:
            text = (_code_hash(const) if isinstance(const, types.CodeType) else
                    repr(sorted(map(repr, const))) if isinstance(const, frozenset) else repr(const))
            digest.update(len(text).to_bytes(8, "little") + text.encode())
        found = _CODE_HASHES[code] = digest.hexdigest()[:32]
    return found


class _Walk:
    """One walk over what a kernel reads: the variables to watch (a
    ``(globals dict, name)`` or a closure cell each), the object each held,
    and the key."""

    def __init__(self, fn):
        from ..kernel_function import KiteFunction
        from ..language.core import constexpr
        from ..language.dtypes import dtype
        self.types = (KiteFunction, constexpr, dtype)
        self.slots, self.seen, self.key = [], [], []
        self.watched, self.visited = set(), set()
        self.function(fn)

    def dependencies(self) -> _Dependencies:
        return _Dependencies(tuple(self.key), _checker(self.slots, self.seen))

    def read(self, slot, label: str):
        """Watches a variable and keys its value under ``label``."""
        if isinstance(slot, tuple):
            value = slot[0].get(slot[1], _MISSING)
            ident = (id(slot[0]), slot[1])
        else:
            value, ident = _contents(slot), id(slot)
        if ident not in self.watched:
            self.watched.add(ident)
            self.slots.append(slot)
            self.seen.append(value)
        if value is not _MISSING:  # unbound: tracing it is a NameError
            key = self.value_key(value)
            self.key.append(f"{label}={key}" if type(key) is str else (label, key))
        return value

    def function(self, fn) -> None:
        """The globals, module attributes and closure variables a Kite
        function reads."""
        if fn in self.visited:
            return
        self.visited.add(fn)
        names, chains = _reads(fn)
        scope, where = fn.__globals__, fn.__qualname__
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        for name, cell in cells.items():
            self.read(cell, f"{where}:{name}")
        for name in names:
            if name not in cells and (name in scope or name not in builtins.__dict__):
                self.read((scope, name), f"{where}:{name}")
        for root, attrs in chains:
            holder = _contents(cells[root]) if root in cells else scope.get(root)
            label = f"{where}:{root}"
            # Attributes of a user's module are its globals: watched too.
            for attr in attrs:
                if not isinstance(holder, types.ModuleType) or _is_kite(holder.__name__):
                    break
                label += f".{attr}"
                holder = self.read((vars(holder), attr), label)
        self.defaults(fn)

    def value_key(self, value):
        """A string naming ``value`` in every process, or Unidentified."""
        kite_function, constexpr, dtype = self.types
        if isinstance(value, constexpr):
            value = value.value
        kind = type(value)
        if kind in _SIMPLE:
            return f"{kind.__name__}:{value!r}"
        if isinstance(value, dtype):
            return f"dtype:{value.name}:{value.kind}:{value.mlir}"
        if isinstance(value, np.generic):
            return f"numpy:{value.dtype}:{value!r}"
        if kind in (tuple, list, dict):  # a list or dict changed in place is not seen
            try:
                keys = [self.value_key(v) for pair in (value.items() if kind is dict else
                                                       ((v,) for v in value)) for v in pair]
            except RecursionError:  # a list that holds itself
                return Unidentified(value)
            if all(type(k) is str for k in keys):
                return f"{kind.__name__}:({', '.join(keys)})"
            return Unidentified(value)
        if isinstance(value, kite_function):
            from .cache_key import source_hash
            self.function(value.fn)
            return f"kite.func:{_name(value.fn)}:{source_hash(value)}"
        if isinstance(value, types.ModuleType):
            return f"module:{value.__name__}"
        if isinstance(value, enum.Enum):
            return f"enum:{_name(kind)}.{value.name}"
        if isinstance(value, type) or isinstance(value, types.BuiltinFunctionType) \
                and isinstance(value.__self__, (types.ModuleType, type(None))):
            return f"{'class' if isinstance(value, type) else 'builtin'}:{_name(value)}"
        module = getattr(value, "__module__", None)
        named = getattr(value, "__qualname__", None) is not None
        if named and _is_kite(module):
            return f"kite:{_name(value)}"
        if isinstance(value, types.FunctionType):
            return self.python_function(value)
        if named and _is_library(module):  # numpy.prod, an array-function dispatcher
            return f"library:{_name(value)}"
        if isinstance(value, functools.partial):
            keys = [self.value_key(v) for v in (value.func, value.args,
                                                 tuple(sorted(value.keywords.items())))]
            if all(type(k) is str for k in keys):
                return f"partial:{keys}"
        return Unidentified(value)

    def python_function(self, fn) -> str:
        """A plain function: its name, bytecode and the values it captures
        (watched, since a `nonlocal` can rebind them)."""
        if fn not in self.visited:
            self.visited.add(fn)
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
                self.read(cell, f"{fn.__qualname__}:{name}")
            self.defaults(fn)
        return f"function:{_name(fn)}:{_code_hash(fn.__code__)}"

    def defaults(self, fn) -> None:
        """Default values, fixed when ``fn`` was defined (``lambda n, s=scale:``)."""
        if fn.__defaults__ or fn.__kwdefaults__:
            key = self.value_key((fn.__defaults__ or ()) +
                                 tuple(sorted((fn.__kwdefaults__ or {}).items())))
            label = f"{fn.__qualname__}:defaults"
            self.key.append(f"{label}={key}" if type(key) is str else (label, key))
