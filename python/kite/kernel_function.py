"""``@kite.kernel`` and ``@kite.func``: the objects users decorate, trace and launch."""
from __future__ import annotations

from typing import Optional

from .frontend import specialization, tracer
from .frontend.location import error
from .frontend.dependencies import dependency_key
from .language.core import active_builder
from .runtime.environ import interpret_requested
from .runtime.launch_options import check_options


class KiteFunction:
    """A helper callable from kernels (``@kite.func``); inlined where it is called."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self._rewritten = None
        self._dependencies = None  # frontend/dependencies.py: what it reads, keyed
        self._inlining = False  # being inlined now: a call of it is a recursion

    def _traced(self):
        if self._rewritten is None:
            self._rewritten = tracer.rewritten(self.fn)
        return self._rewritten

    def inline(self, *args, **kwargs):
        active_builder()  # only inside a kernel being traced or interpreted
        if self._inlining:
            raise error(f"'{self.__name__}' calls itself; recursion is not supported in "
                        "kernels (every call is inlined): write it as a loop")
        self._inlining = True
        try:
            return self._traced()(*args, **kwargs)
        finally:
            self._inlining = False

    def __call__(self, *args, **kwargs):
        return self.inline(*args, **kwargs)

    def __repr__(self):
        return f"<kite.func {self.fn.__module__}.{self.fn.__qualname__}>"


class KernelFunction(KiteFunction):
    """A kernel (``@kite.kernel``): ``kernel[grid](*args, **meta)`` launches it,
    ``kernel.trace(*args, **meta)`` returns its kite IR,
    ``kernel.compile(*args, **meta)`` compiles it without launching, and
    ``kernel.fn`` is the original Python function."""

    def __init__(self, fn, do_not_specialize=(), do_not_specialize_on_alignment=(),
                 debug=None, launch_metadata=None, repr=None):
        super().__init__(fn)
        self.do_not_specialize = _parameter_names(fn, do_not_specialize or ())
        self.do_not_specialize_on_alignment = _parameter_names(
            fn, do_not_specialize_on_alignment or ())
        if debug is not None and type(debug) is not bool:
            raise ValueError(f"debug of {fn.__name__} must be True, False or None, got {debug!r}")
        self.debug = debug  # the launches' default for the debug option
        # Triton's hooks for profilers (a launch's name and metadata): kept
        # for code that reads them back; Kite's launches do not call them.
        self.launch_metadata, self.repr = launch_metadata, repr
        self._trace_cache: dict = {}
        self._compiled: dict = {}  # specialisation key -> CompiledKernel (compiler.py)
        self._fast_path = None     # runtime/fast_launch.FastPath, made at the first launch

    def __getitem__(self, grid):
        fast = self._fast_path
        if fast is None:
            from .runtime.fast_launch import FastPath
            fast = self._fast_path = FastPath.of(self) or False
        if fast:
            return fast.at(grid)  # C++: binds, finds the launcher, launches
        return lambda *args, **kwargs: self._slow_run(grid, args, kwargs, None)

    def __call__(self, *args, **kwargs):
        raise TypeError(f"a kite kernel is launched with a grid: {self.__name__}[grid](...)")

    def specialize(self, args, kwargs):
        specs, options, values = specialization.bind(self.fn, args, dict(kwargs),
                                                     self.do_not_specialize)
        if self.debug is not None:
            options.setdefault("debug", self.debug)
        if self.do_not_specialize_on_alignment:
            # Compiled without the "divisible by 16" fact: one binary for
            # every alignment of these arguments.
            unaligned = self.do_not_specialize_on_alignment
            specs = [s._replace(divisible_by_16=False) if s.name in unaligned else s
                     for s in specs]
        check_options(options)
        return specs, options, values

    def trace(self, *args, debug_info: bool = False, stage: str = "kite", **kwargs) -> str:
        """The kite IR of this kernel for these arguments (arrays stand for
        pointers by their dtype; no device is involved)."""
        specs, options, _values = self.specialize(args, kwargs)
        precision = options.get("dot_precision")
        key = (tuple(s.key() for s in specs), stage, debug_info, dependency_key(self), precision)
        text = self._trace_cache.get(key)
        if text is None:
            module = tracer.trace_module(self.fn, self._traced(), specs, precision)
            text = module if stage == "raw" else tracer.run_stage(module, stage, debug_info)
            self._trace_cache[key] = text
        return text

    def compile(self, *args, target: Optional[str] = None, num_warps: int = 4, **meta):
        """Compiles for ``target`` ("vulkan:N", "generic[:subgroup=N]"; None: the
        default, see compiler.resolve_target) without launching, through the JIT
        cache; arguments stand for their types as in ``trace``. Returns a
        ``kite.CompiledKernel``."""
        from .compiler import compile_kernel
        return compile_kernel(self, args, meta, target=target, num_warps=num_warps)

    def warmup(self, *args, grid=None, **meta):
        """Triton's name for compiling ahead of the first launch: compiles for
        the device the arguments are on (the grid is not needed)."""
        from .runtime.arguments import launch_device
        specs, _options, values = self.specialize(args, dict(meta))
        device = launch_device(specs, values, interpret=interpret_requested())
        if device != "interpreter":
            return self.compile(*args, target=device, **meta)
        # The interpreter compiles nothing: the kernel is compiled for the
        # default target (for its asm and metadata), and its launches run on
        # the interpreter, where the arguments are.
        compiled = self.compile(*args, target=None, **meta)
        compiled.runs_on_interpreter = True
        return compiled

    def run(self, grid, *args, **kwargs):
        """``kernel[grid](*args, **kwargs)``."""
        return self[grid](*args, **kwargs)

    def _slow_run(self, grid, args, kwargs, key):
        """A launch the fast path has no launcher for (``key``: its launch
        key, under which the launcher is kept; None: not kept): binds,
        checks, compiles or finds the kernel in the JIT cache, launches."""
        from .interpreter import launcher
        from .runtime.arguments import launch_device
        interpret = interpret_requested()
        specs, options, values = self.specialize(args, kwargs)
        device = launch_device(specs, values, interpret=interpret)
        if device == "interpreter":
            return launcher.launch(self, grid, specs, values, kwargs)
        from .compiler import compile_specialized
        run = compile_specialized(self, specs, options, device).launcher()
        if key is not None and not interpret:
            if any(s.part for s in specs):  # TensorDescriptors: bound as their fields
                flatten = specialization.descriptor_flattener(specs)
                self._fast_path.store(key, lambda grid, v: run(grid, tuple(flatten(v))))
            else:
                self._fast_path.store(key, run)
        return run(grid, tuple(values))  # the C++ launcher packs tuples


def kernel(fn=None, *, do_not_specialize=(), do_not_specialize_on_alignment=(), debug=None,
           noinline=None, launch_metadata=None, repr=None, version=None):
    """Decorates a kernel function (``@kite.kernel``, or ``@kite.jit`` as
    ``@triton.jit``; with or without arguments). ``do_not_specialize`` names
    (or numbers) integer parameters that stay runtime arguments when they are
    1 (otherwise 1 is compiled in, as in Triton);
    ``do_not_specialize_on_alignment`` names pointer and integer parameters
    whose divisibility by 16 is not compiled in; ``debug`` is the launches'
    default for the ``debug`` option. Triton's ``noinline`` and ``version``
    are accepted and change nothing (Kite inlines every call of a helper);
    ``launch_metadata`` and ``repr`` are kept on the kernel."""
    def make(f):
        return KernelFunction(f, do_not_specialize, do_not_specialize_on_alignment, debug,
                              launch_metadata, repr)
    return make if fn is None else make(fn)


#: ``triton.jit``'s name, so that ``import kite as triton`` keeps ``@triton.jit``.
jit = kernel


def _parameter_names(fn, chosen) -> frozenset:
    """``do_not_specialize``'s names and indices as parameter names."""
    import inspect
    params = list(inspect.signature(fn).parameters)
    names = set()
    for item in chosen:
        if isinstance(item, int) and 0 <= item < len(params):
            names.add(params[item])
        elif isinstance(item, str) and item in params:
            names.add(item)
        else:
            raise TypeError(f"do_not_specialize of {fn.__name__}: {item!r} is not one of its "
                            f"parameters ({', '.join(params)})")
    return frozenset(names)


def func(fn):
    """Decorates a helper that kernels call; it is inlined at each call."""
    return KiteFunction(fn)
