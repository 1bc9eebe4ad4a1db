"""What a compiled kernel depends on, hashed into the JIT cache key
(docs/jit-cache.md): Kite's version and build, the kernel's source and the
sources of every @kite.func it can call, the globals and closure variables
they read (frontend/dependencies.py), its specialisation, the compile
options, the exact target and the environment variables that change code."""
from __future__ import annotations

import ast
import hashlib
import os
import types

from .dependencies import dependency_key
from .kernel_source import source_lines, source_tree

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
        tree = source_tree(fn)[2]
    except (OSError, TypeError):
        return []
    if tree is None:
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


def source_hash(kite_fn) -> str:
    """sha256 of a kernel's or helper's source and, recursively, of every
    @kite.func it refers to (cached on the function object)."""
    from ..kernel_function import KiteFunction
    cached = getattr(kite_fn, "_source_hash", None)
    if cached is not None:
        return cached
    kite_fn._source_hash = ""  # recursion guard for mutually recursive helpers
    digest = hashlib.sha256()
    try:
        digest.update("".join(source_lines(kite_fn.fn)[0]).encode())
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
            "reads " + repr(dependency_key(kernel)),
            "options " + repr(sorted(options.items())),
            f"target {target}"] + env


def cache_key(parts: list) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part.encode())
    return digest.hexdigest()
