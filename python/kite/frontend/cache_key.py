"""What a compiled kernel depends on, hashed into the JIT cache key
(DESIGN.md §6): Kite's version and build, the kernel's source and the
sources of every @kite.func it can call, its specialisation, the compile
options, the exact target and the environment variables that change code."""
from __future__ import annotations

import ast
import hashlib
import inspect
import os
import textwrap
import types

_KITE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Environment variables that change the code the compiler generates; each
# one added to the compiler must be listed here. (KITE_DUMP_IR, KITE_DEVICE
# and KITE_INTERPRET do not change the code of a given target.)
CODEGEN_ENV: tuple = ()
_frontend_hash = None


def frontend_hash() -> str:
    """sha256 over the frontend's Python files (once per process)."""
    global _frontend_hash
    if _frontend_hash is None:
        digest = hashlib.sha256()
        for root, dirs, files in os.walk(_KITE_DIR):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    digest.update(os.path.relpath(path, _KITE_DIR).encode())
                    with open(path, "rb") as f:
                        digest.update(f.read())
        _frontend_hash = digest.hexdigest()
    return _frontend_hash


def _referenced(fn) -> list:
    """The objects the names and attribute chains in ``fn``'s source refer to."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    scope = dict(fn.__globals__)
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                scope[name] = cell.cell_contents
            except ValueError:
                pass
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in scope:
            found.append(scope[node.id])
        elif isinstance(node, ast.Attribute):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and isinstance(scope.get(node.id), types.ModuleType):
                obj = scope[node.id]
                for attr in reversed(chain):
                    obj = getattr(obj, attr, None)
                found.append(obj)
    return found


_SIMPLE = (bool, int, float, str, type(None))


def _global_names(fn) -> list:
    """Names in ``fn``'s source that are globals of its module (not locals)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    local = set(fn.__code__.co_varnames) | set(fn.__code__.co_freevars)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted(n for n in names - local if n in fn.__globals__)


def global_values(kite_fn) -> tuple:
    """The current values of the compile-time globals (numbers, strings,
    constexprs, dtypes) a kernel reads: compiled code depends on them, so they
    are part of its key (a rebound global recompiles, as in Python). Every
    launch reads them (runtime/fast_launch.py)."""
    names = getattr(kite_fn, "_global_names", None)
    if names is None:
        names = kite_fn._global_names = tuple(_global_names(kite_fn.fn))
    if not names:
        return ()
    constexpr, dtype = _language_types()
    scope = kite_fn.fn.__globals__
    values = []
    for name in names:
        value = scope.get(name)
        if isinstance(value, constexpr):
            value = value.value
        if isinstance(value, _SIMPLE) or isinstance(value, dtype):
            values.append((name, type(value).__name__, repr(value)))
    return tuple(values)


_LANGUAGE_TYPES: tuple = ()


def _language_types() -> tuple:
    """(constexpr, dtype), imported once (the language imports the frontend)."""
    global _LANGUAGE_TYPES
    if not _LANGUAGE_TYPES:
        from ..language.core import constexpr
        from ..language.dtypes import dtype
        _LANGUAGE_TYPES = (constexpr, dtype)
    return _LANGUAGE_TYPES


def source_hash(kite_fn) -> str:
    """sha256 of a kernel's or helper's source and, recursively, of every
    @kite.func it refers to (cached on the function object)."""
    from ..jit import KiteFunction
    cached = getattr(kite_fn, "_source_hash", None)
    if cached is not None:
        return cached
    kite_fn._source_hash = ""  # recursion guard for mutually recursive helpers
    digest = hashlib.sha256()
    try:
        digest.update(inspect.getsource(kite_fn.fn).encode())
    except (OSError, TypeError):
        digest.update(kite_fn.fn.__code__.co_code)
    deps = {id(o): o for o in _referenced(kite_fn.fn) if isinstance(o, KiteFunction)}
    for dep in sorted(deps.values(), key=lambda d: d.fn.__qualname__):
        if dep is not kite_fn:
            digest.update(dep.fn.__qualname__.encode())
            digest.update(source_hash(dep).encode())
    kite_fn._source_hash = digest.hexdigest()
    return kite_fn._source_hash


def key_parts(kernel, specs, options: dict, target: str, build_id: str, version: str) -> list:
    """The strings the cache key hashes, in a fixed order."""
    env = [f"{name}={os.environ.get(name, '')}" for name in CODEGEN_ENV]
    return [f"kite {version}", f"build {build_id}", f"frontend {frontend_hash()}",
            f"kernel {kernel.fn.__module__}.{kernel.fn.__qualname__}",
            f"source {source_hash(kernel)}",
            "args " + repr([s.key() for s in specs]),
            "globals " + repr(global_values(kernel)),
            "options " + repr(sorted(options.items())),
            f"target {target}"] + env


def cache_key(parts: list) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part.encode())
    return digest.hexdigest()
