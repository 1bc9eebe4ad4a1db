"""``@kite.autotune(..., cache_results=True)``: the config an autotuner chose,
kept on disk so that the next process launches with it without timing
anything again (Triton's ``cache_results``).

A choice is an entry of the JIT cache (docs/jit-cache.md), so it is
published atomically, verified when read, and evicted like compiled
kernels. Its key covers what makes the choice valid: the kernel's source,
the list of configs, the values of the ``key`` arguments (and array
dtypes), the device the launch ran on, and the Kite build. A damaged or
foreign entry, or one naming a config that is not in the list any more, is
ignored (the configs are timed again and the entry replaced); a cache that
cannot be written is a warning, never an error."""
from __future__ import annotations

import hashlib
import inspect
import json
import re
import warnings
from typing import Optional, Sequence

_FILE = "autotune.json"


def choice_key(kernel, configs: Sequence, key: tuple, device: str) -> str:
    """The cache key of the choice among ``configs`` for ``kernel`` at the
    key values ``key`` on ``device``."""
    from . import _C
    try:
        source = inspect.getsource(kernel.fn)
    except (OSError, TypeError):
        source = kernel.__name__
    parts = [source, repr([repr(c) for c in configs]), repr(key), device, _C.build_id(),
             _C.version()]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    # The JIT cache takes keys of [A-Za-z0-9_-] only (Python names may not be ASCII).
    name = re.sub(r"[^A-Za-z0-9_-]", "_", kernel.__name__[:60])
    return f"autotune-{name}-{digest}"


def _cache():
    from . import _C
    try:
        return _C.Cache.default()
    except Exception:  # no usable cache directory: nothing is kept
        return None


def load(cache_key: str, configs: Sequence) -> Optional[tuple]:
    """(the config chosen, its timings) kept under ``cache_key``, or None."""
    cache = _cache()
    files = cache.lookup(cache_key) if cache is not None else None
    if not files or _FILE not in files:
        return None
    try:
        kept = json.loads(files[_FILE])
        index = kept["index"]
        if (not isinstance(index, int) or isinstance(index, bool) or
                not 0 <= index < len(configs) or kept["config"] != repr(configs[index])):
            raise ValueError("names another config")
        timings = [float(t) for t in kept["timings"]]
    except (ValueError, KeyError, TypeError):
        cache.remove(cache_key)
        return None
    return configs[index], timings


def store(cache_key: str, configs: Sequence, best, timings: Sequence[float]) -> None:
    """Keeps ``best`` (one of ``configs``) and its timings under ``cache_key``."""
    cache = _cache()
    if cache is None:
        return
    index = next(i for i, c in enumerate(configs) if c is best)
    body = json.dumps({"index": index, "config": repr(best),
                       "timings": [float(t) for t in timings]}, sort_keys=True)
    try:
        cache.store(cache_key, {_FILE: body})
    except Exception as exc:  # a full disk, a read-only directory
        warnings.warn(f"kite.autotune: could not keep the chosen config on disk: {exc}")
