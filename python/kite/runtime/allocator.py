"""``kite.set_allocator``: Triton's hook for the global scratch memory some
kernels need (on Triton, tensor descriptors made inside a kernel). Kite's
in-kernel descriptors are block accesses with bounds checks and need no
scratch, so no kernel asks for it yet; the allocator is kept (and checked)
so that code written for Triton runs unchanged, and for the kernels that
will (TMA descriptors on Hopper)."""
from __future__ import annotations

from typing import Callable, Optional

_allocator: Optional[Callable] = None


def set_allocator(allocator: Optional[Callable]) -> None:
    """Sets the function ``allocator(size: int, alignment: int, stream)`` that
    returns a tensor of at least ``size`` bytes for a kernel's global
    scratch, as ``triton.set_allocator``; None removes it."""
    global _allocator
    if allocator is not None and not callable(allocator):
        raise TypeError("kite.set_allocator takes a function allocator(size, alignment, stream) "
                        f"that returns a tensor, or None; got {type(allocator).__name__}")
    _allocator = allocator


def get_allocator() -> Optional[Callable]:
    """The function set by set_allocator, or None."""
    return _allocator
