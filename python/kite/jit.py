"""``@kite.kernel`` and ``@kite.func``: the objects users decorate, trace and launch."""
from __future__ import annotations

import os

from .frontend import specialization, tracer
from .language.core import active_builder


class KiteFunction:
    """A helper callable from kernels (``@kite.func``); inlined where it is called."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self._rewritten = None

    def _traced(self):
        if self._rewritten is None:
            self._rewritten = tracer.rewritten(self.fn)
        return self._rewritten

    def inline(self, *args, **kwargs):
        active_builder()  # only inside a kernel being traced or interpreted
        return self._traced()(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self.inline(*args, **kwargs)

    def __repr__(self):
        return f"<kite.func {self.fn.__module__}.{self.fn.__qualname__}>"


class KernelFunction(KiteFunction):
    """A kernel (``@kite.kernel``): ``kernel[grid](*args, **meta)`` launches it,
    ``kernel.trace(*args, **meta)`` returns its kite IR, ``kernel.fn`` is the
    original Python function."""

    def __init__(self, fn):
        super().__init__(fn)
        self._trace_cache: dict = {}

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.run(grid, *args, **kwargs)

    def __call__(self, *args, **kwargs):
        raise TypeError(f"a kite kernel is launched with a grid: {self.__name__}[grid](...)")

    def specialize(self, args, kwargs):
        return specialization.bind(self.fn, args, dict(kwargs))

    def trace(self, *args, debug_info: bool = False, stage: str = "kite", **kwargs) -> str:
        """The kite IR of this kernel for these arguments (arrays stand for
        pointers by their dtype; no device is involved)."""
        specs, _options, _values = self.specialize(args, kwargs)
        key = (tuple(s.key() for s in specs), stage, debug_info)
        text = self._trace_cache.get(key)
        if text is None:
            module = tracer.trace_module(self.fn, self._traced(), specs)
            text = module if stage == "raw" else tracer.run_stage(module, stage, debug_info)
            self._trace_cache[key] = text
        return text

    def run(self, grid, *args, **kwargs):
        from .interpreter import launcher
        from .runtime_device import resolve_launch_device
        device = resolve_launch_device(args, kwargs)
        if device == "interpreter":
            return launcher.launch(self, grid, args, kwargs)
        raise RuntimeError(f"no backend can run kernels on '{device}' in this build yet")


def kernel(fn=None, **_options):
    """Decorates a kernel function (``@kite.kernel``, like ``@triton.jit``)."""
    if fn is None:
        return lambda f: KernelFunction(f)
    return KernelFunction(fn)


def func(fn):
    """Decorates a helper that kernels call; it is inlined at each call."""
    return KiteFunction(fn)


def interpret_requested() -> bool:
    return os.environ.get("KITE_INTERPRET", "0") not in ("", "0", "false", "False")
