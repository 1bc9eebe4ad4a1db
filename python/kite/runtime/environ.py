"""Environment variables read on every launch (``KITE_DEVICE``,
``KITE_INTERPRET``), read without ``os.environ.get``'s encoding of the name
and its KeyError (about 2 µs a read, most of a fast launch's budget)."""
from __future__ import annotations

import os

# On POSIX, os.environ keeps its bytes in ``_data`` and updates it on every
# assignment and deletion through os.environ (what os.environ.get reads);
# elsewhere, or if that ever changes, the plain lookup is used.
_DATA = getattr(os.environ, "_data", None)
_ENCODE = getattr(os.environ, "encodekey", None)
_FAST = os.name == "posix" and isinstance(_DATA, dict) and _ENCODE is not None
_KEYS: dict = {}


def get(name: str) -> str:
    """``os.environ.get(name, "")``."""
    if not _FAST:
        return os.environ.get(name, "")
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = _ENCODE(name)
    value = _DATA.get(key)
    return "" if value is None else os.fsdecode(value)


def interpret_requested() -> bool:
    """Whether ``KITE_INTERPRET`` asks for the interpreter (as
    ``TRITON_INTERPRET=1``): every launch, and every tensor created without a
    device, then lives there."""
    return get("KITE_INTERPRET") not in ("", "0", "false", "False")
