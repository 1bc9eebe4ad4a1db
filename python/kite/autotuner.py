"""``kite.autotune``, ``kite.Config`` and ``kite.heuristics``: choosing
meta-parameters on the host, as ``triton.autotune`` and ``triton.heuristics``
do, so a tuned Triton kernel ports with its decorators.

``@kite.autotune(configs, key)`` above ``@kite.kernel`` times every config
the first time it sees a new value of the ``key`` arguments (and new dtypes
of the array arguments), keeps the fastest, and launches with it from then
on. On the interpreter nothing is timed: the first config is used.
``@kite.heuristics({"NAME": fn})`` computes meta-parameters from the
arguments before each launch. Both can be stacked in either order."""
from __future__ import annotations

import builtins
import inspect
import os
from typing import Callable, Dict, Optional, Sequence

from .errors import CompilationError


class Config:
    """Meta-parameters (``kwargs``) and compile options for one launch."""

    def __init__(self, kwargs: dict, num_warps: int = 4, num_stages: int = 3,
                 num_ctas: int = 1, maxnreg: Optional[int] = None,
                 pre_hook: Optional[Callable] = None, ir_override=None):
        if ir_override is not None:
            raise ValueError("kite.Config: ir_override (Triton IR to compile instead of the "
                             "kernel) has no Kite equivalent")
        self.kwargs = dict(kwargs)
        self.num_warps, self.num_stages, self.num_ctas = num_warps, num_stages, num_ctas
        self.maxnreg, self.pre_hook = maxnreg, pre_hook

    def all_kwargs(self) -> dict:
        options = {"num_warps": self.num_warps, "num_stages": self.num_stages,
                   "num_ctas": self.num_ctas, "maxnreg": self.maxnreg}
        return {**self.kwargs, **{k: v for k, v in options.items() if v is not None}}

    def __repr__(self):
        return ", ".join(f"{k}: {v}" for k, v in self.all_kwargs().items())


def _kernel_of(fn):
    """The KernelFunction under any stack of Autotuner/Heuristics."""
    while isinstance(fn, (Autotuner, Heuristics)):
        fn = fn.fn
    return fn


def _named(kernel, args, kwargs) -> dict:
    """Every parameter of ``kernel`` by name (defaults included), plus the
    other keyword arguments (meta-parameters, options)."""
    signature = inspect.signature(kernel.fn)
    known = {k: v for k, v in kwargs.items() if k in signature.parameters}
    bound = signature.bind_partial(*args, **known)
    bound.apply_defaults()
    return {**kwargs, **bound.arguments}


class _Launchable:
    """``obj[grid](*args, **kwargs)`` as kernels have it."""

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.run(grid, *args, **kwargs)

    @property
    def __name__(self):
        return _kernel_of(self).__name__

    @property
    def arg_names(self) -> list:
        return list(inspect.signature(_kernel_of(self).fn).parameters)


class Heuristics(_Launchable):
    def __init__(self, fn, values: Dict[str, Callable[[dict], object]]):
        self.fn, self.values = fn, dict(values)

    def _with_values(self, args, kwargs) -> dict:
        named = _named(_kernel_of(self), args, kwargs)
        for name, rule in self.values.items():
            kwargs[name] = named[name] = rule(named)
        return kwargs

    def run(self, grid, *args, **kwargs):
        return self.fn.run(grid, *args, **self._with_values(args, kwargs))

    def warmup(self, *args, **kwargs):
        return self.fn.warmup(*args, **self._with_values(args, kwargs))


def heuristics(values: Dict[str, Callable[[dict], object]]):
    """``@kite.heuristics({"BLOCK": lambda args: ...})``: each meta-parameter
    is computed from the launch's arguments (a dict by parameter name)."""
    return lambda fn: Heuristics(fn, values)


def compile_threads() -> int:
    """How many configs autotune compiles at once: ``KITE_AUTOTUNE_COMPILE_THREADS``,
    else the cores this process may run on."""
    value = os.environ.get("KITE_AUTOTUNE_COMPILE_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"KITE_AUTOTUNE_COMPILE_THREADS={value!r}: write a number of "
                             "threads, 1 or more (1 compiles the configs one at a time)")
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Autotuner(_Launchable):
    def __init__(self, fn, configs: Sequence[Config], key: Sequence[str],
                 prune_configs_by: Optional[dict] = None, reset_to_zero=None,
                 restore_value=None, pre_hook=None, post_hook=None, warmup: int = 25,
                 rep: int = 100, do_bench: Optional[Callable] = None,
                 cache_results: bool = False, **_ignored):
        self.fn = fn
        self.configs = list(configs) or [Config({})]
        self.keys = list(key)
        prune = prune_configs_by or {}
        self.early_config_prune = prune.get("early_config_prune")
        self.perf_model, self.configs_top_k = prune.get("perf_model"), prune.get("top_k", 1.0)
        self.reset_to_zero = list(reset_to_zero or [])
        self.restore_value = list(restore_value or [])
        self.pre_hook, self.post_hook = pre_hook, post_hook
        self.num_warmups, self.num_reps = warmup or 25, rep or 100
        self._do_bench = do_bench
        self.cache: dict = {}
        self.best_config: Optional[Config] = None
        self.configs_timings: Optional[dict] = None
        self.bench_count = 0  # configs timed so far (tests and users can check)
        self.cache_results = bool(cache_results)

    def _key(self, named: dict) -> tuple:
        missing = [k for k in self.keys if k not in named]
        if missing:
            raise TypeError(f"autotune key {missing} names no argument of "
                            f"{self.__name__}({', '.join(self.arg_names)})")
        dtypes = tuple(str(v.dtype) for v in named.values() if hasattr(v, "dtype")
                       and hasattr(v, "shape"))
        return tuple(named[k] for k in self.keys) + dtypes

    def prune_configs(self, args, kwargs: dict) -> list:
        """The configs worth timing, called as Triton calls its hooks:
        ``early_config_prune(configs, named_args, **kwargs)`` and
        ``perf_model(**named_args, **kwargs, **config.all_kwargs())``, where
        ``named_args`` are the positional arguments by parameter name and
        ``kwargs`` the launch's keyword arguments. ``top_k``: a fraction
        (at most 1.0) of the configs, at least one, or a count."""
        configs = self.configs
        positional = dict(zip(self.arg_names, args))
        if self.early_config_prune:
            configs = list(self.early_config_prune(configs, positional, **kwargs))
            if not configs:
                raise ValueError(f"{self.__name__}: early_config_prune returned no config; "
                                 "it must keep at least one")
        if self.perf_model:
            top_k = self.configs_top_k
            if isinstance(top_k, float) and top_k <= 1.0:
                top_k = builtins.max(1, int(len(configs) * top_k))
            elif isinstance(top_k, bool) or not isinstance(top_k, int):
                raise TypeError(f"{self.__name__}: prune_configs_by's top_k must be a float "
                                f"<= 1.0 or an int, got {top_k!r}")
            if len(configs) > top_k:
                estimate = {c: self.perf_model(**positional, **kwargs, **c.all_kwargs())
                            for c in configs}
                configs = sorted(configs, key=estimate.get)[:top_k]
        return configs

    def _check_clashes(self, kwargs) -> None:
        for config in self.configs:
            clash = sorted(set(config.kwargs) & set(kwargs))
            if clash:
                raise ValueError(f"{self.__name__}: the meta-parameters {clash} are given at "
                                 "the launch and chosen by autotune; pass them in one place")

    def warmup(self, *args, **kwargs) -> list:
        """Compiles every config that pruning keeps (Triton's
        ``Autotuner.warmup``): their ``CompiledKernel``s, nothing launched."""
        self._check_clashes(kwargs)
        return [self.fn.warmup(*args, **kwargs, **config.all_kwargs())
                for config in self.prune_configs(args, kwargs)]

    def run(self, grid, *args, **kwargs):
        named = _named(_kernel_of(self), args, kwargs)
        self._check_clashes(kwargs)
        key = self._key(named)
        if key not in self.cache:
            self.cache[key] = self._choose(key, grid, args, kwargs, named)
        config = self.best_config = self.cache[key]
        if config.pre_hook:
            config.pre_hook({**named, **config.all_kwargs()})
        return self.fn.run(grid, *args, **kwargs, **config.all_kwargs())

    def _choose(self, key, grid, args, kwargs, named) -> Config:
        """The config for a new key value: the only one pruning keeps, the
        first on the interpreter, the one kept on disk (cache_results), or
        the fastest when timed."""
        configs = self.prune_configs(args, kwargs)
        if len(configs) == 1 or _on_interpreter(args, kwargs):
            return configs[0]
        kept_key = None
        if self.cache_results:
            from . import autotune_cache
            kept_key = autotune_cache.choice_key(_kernel_of(self), configs, key,
                                                 _launch_device(args, kwargs))
            kept = autotune_cache.load(kept_key, configs)
            if kept is not None:
                _report_kept(self.__name__, key, *kept)
                return kept[0]
        timings = self._time_all(configs, grid, args, kwargs, named, key)
        self.configs_timings = timings
        best = builtins.min(timings, key=timings.get)
        if kept_key is not None:
            autotune_cache.store(kept_key, configs, best, timings[best])
        for name in self.reset_to_zero:  # the timing runs wrote to them
            _zero(named[name])
        if self.pre_hook and _takes_keyword(self.pre_hook, "reset_only"):
            # As Triton: the hook's chance to reset what the timing wrote.
            self.pre_hook({**named, **best.all_kwargs()}, reset_only=True)
        return best

    def _time_all(self, configs, grid, args, kwargs, named, key) -> dict:
        """Compiles every config (several at once), then times each, saying
        so (_Progress); their timings (inf where a config does not compile)."""
        self._compile_all(configs, args, kwargs)
        progress = _Progress(self.__name__, key, len(configs))
        timings = {}
        for config in configs:
            timings[config] = self._time(config, grid, args, kwargs, named)
            progress.timed(config, timings[config][0])
        progress.done(builtins.min(timings, key=timings.get), timings)
        return timings

    def _compile_all(self, configs, args, kwargs) -> None:
        """Compiles the configs before any is timed, on up to one thread per
        core (compile_threads): the compiler's stages run without the GIL
        and ptxas as a process of its own, so they overlap, and the timing
        launches find them compiled. A config that does not compile is left
        to its timing launch, which raises the error where the hooks see it
        (Triton's post_hook gets it) and times it as inf."""
        def compile_one(config):
            try:
                self.fn.warmup(*args, **kwargs, **config.all_kwargs())
            except CompilationError:
                pass

        threads = builtins.min(compile_threads(), len(configs))
        if threads <= 1:
            for config in configs:
                compile_one(config)
            return
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(threads, thread_name_prefix="kite-autotune") as pool:
            list(pool.map(compile_one, configs))

    def _time(self, config, grid, args, kwargs, named) -> list:
        """Milliseconds per launch with ``config`` at the quantiles Triton
        uses (median, 20%, 80%); inf where it does not compile (too much
        shared memory, say). ``do_bench`` is called as Triton calls it:
        ``do_bench(kernel_call, quantiles=(0.5, 0.2, 0.8))``."""
        from .testing import do_bench
        full = {**named, **config.all_kwargs()}
        saved = {name: _snapshot(named[name]) for name in self.restore_value}

        def launch():
            # Each run starts from the arguments' values before tuning.
            for name, data in saved.items():
                _restore(named[name], data)
            for name in self.reset_to_zero:
                _zero(named[name])
            if config.pre_hook:
                config.pre_hook(full)
            if self.pre_hook:
                self.pre_hook(full)
            try:
                self.fn.run(grid, *args, **kwargs, **config.all_kwargs())
            except Exception as exc:
                if self.post_hook:
                    self.post_hook(full, exception=exc)
                raise
            if self.post_hook:
                self.post_hook(full, exception=None)

        try:
            launch()  # compiles; errors here mean the config cannot run
            bench = self._do_bench or (lambda f, quantiles: do_bench(
                f, self.num_warmups, self.num_reps, quantiles=quantiles))
            timing = bench(launch, quantiles=(0.5, 0.2, 0.8))
            return list(timing) if isinstance(timing, (list, tuple)) else [timing]
        except CompilationError:
            return [float("inf")] * 3
        finally:
            self.bench_count += 1
            for name, data in saved.items():
                _restore(named[name], data)


def autotune(configs: Sequence[Config], key: Sequence[str], prune_configs_by=None,
             reset_to_zero=None, restore_value=None, pre_hook=None, post_hook=None,
             warmup=None, rep=None, do_bench=None, cache_results=False, **ignored):
    """``@kite.autotune(configs=[kite.Config({...}, num_warps=...)], key=[...])``
    above ``@kite.kernel``: the fastest config per value of the ``key``
    arguments (see the module docstring). ``reset_to_zero`` and
    ``restore_value`` name arrays the timing runs zero before each run, or put
    back afterwards. ``cache_results=True`` keeps each choice on disk, so
    that another process takes it without timing (kite/autotune_cache.py)."""
    return lambda fn: Autotuner(fn, configs, key, prune_configs_by, reset_to_zero,
                                restore_value, pre_hook, post_hook, warmup, rep, do_bench,
                                cache_results=cache_results)


def _takes_keyword(fn, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.name == name or p.kind == p.VAR_KEYWORD for p in params)


def _on_interpreter(args, kwargs) -> bool:
    """Whether the launch runs on the interpreter: KITE_INTERPRET=1, an
    interpreter tensor among the arguments, or no device array at all and
    the interpreter as the default device. (Before any heuristics have
    filled in their meta-parameters: no binding.)"""
    from .runtime.environ import interpret_requested
    from .runtime import default_device
    if interpret_requested():
        return True
    devices = {str(getattr(v, "device", "")) for v in list(args) + list(kwargs.values())
               if hasattr(v, "data_ptr") and hasattr(v, "device")}
    if "interpreter" in devices:
        return True
    return not devices and default_device() == "interpreter"


def _launch_device(args, kwargs) -> str:
    """The device a launch runs on: its arrays', else the default one."""
    from .runtime import default_device
    for value in list(args) + list(kwargs.values()):
        if hasattr(value, "data_ptr") and hasattr(value, "device"):
            return str(value.device)
    return str(default_device())


def _print_requested() -> bool:
    import os
    return os.environ.get("KITE_PRINT_AUTOTUNING", "").strip().lower() in (
        "1", "true", "yes", "on")


def _describe_key(key: tuple) -> str:
    return ", ".join(map(str, key))


class _Progress:
    """What autotuning says while it times: a line per config and the choice
    under KITE_PRINT_AUTOTUNING=1 (stdout, as Triton's
    TRITON_PRINT_AUTOTUNING); else, on a terminal, a progress line on
    stderr rewritten in place and cleared at the end; else nothing."""

    def __init__(self, name: str, key: tuple, count: int):
        import sys
        import time
        self.name, self.key, self.count, self.done_count = name, key, count, 0
        self.start = time.perf_counter()
        self.verbose = _print_requested()
        self.bar = not self.verbose and sys.stderr.isatty()
        self._draw()

    def _draw(self):
        import sys
        if self.bar:
            width = 20
            filled = width * self.done_count // self.count
            sys.stderr.write(f"\rautotuning {self.name} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{self.done_count}/{self.count} configs")
            sys.stderr.flush()

    def timed(self, config, ms: float):
        self.done_count += 1
        if self.verbose:
            what = "does not compile" if ms == float("inf") else f"{ms:.4f} ms"
            print(f"autotuning {self.name} ({_describe_key(self.key)}): config "
                  f"{self.done_count}/{self.count} {{{config!r}}}: {what}", flush=True)
        self._draw()

    def done(self, best, timings: dict):
        import sys
        import time
        if self.bar:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
        if self.verbose:
            seconds = time.perf_counter() - self.start
            print(f"autotuning {self.name} ({_describe_key(self.key)}) finished after "
                  f"{seconds:.2f}s; best config: {{{best!r}}} ({timings[best][0]:.4f} ms)",
                  flush=True)


def _report_kept(name: str, key: tuple, config, timings) -> None:
    if _print_requested():
        print(f"autotuning {name} ({_describe_key(key)}): config from the disk cache "
              f"{{{config!r}}} ({timings[0]:.4f} ms when it was timed)", flush=True)


def _snapshot(array):
    import numpy as np
    if hasattr(array, "clone"):  # torch
        return array.clone()
    return array.numpy() if hasattr(array, "copy_") else np.array(array, copy=True)


def _restore(array, data):
    if hasattr(array, "copy_"):  # torch, kite.Tensor
        array.copy_(data)
    else:
        array[...] = data


def _zero(array):
    if hasattr(array, "zero_"):  # torch, kite.Tensor
        array.zero_()
    else:
        array[...] = 0
