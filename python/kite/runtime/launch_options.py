"""The launch grid and the compile options (``num_warps``, ``num_stages``,
...) as every device takes them: one check, made before anything is traced
or run, so that the interpreter, Vulkan and CUDA accept and refuse the same
launches with the same words."""
from __future__ import annotations

import functools
import hashlib
import operator
import os

# program_id and num_programs are int32: a grid dimension beyond this would
# number programs that the kernel cannot tell apart.
MAX_GRID_DIM = 2 ** 31 - 1
# num_warps x 32 lanes is CUDA's 1024 threads per block; a Vulkan device's
# own limit (subgroup size x num_warps) is checked when compiling for it.
MAX_NUM_WARPS = 32
MAX_THREADS_PER_PROGRAM = 1024


def _grid_dim(value, grid) -> int:
    """One grid size as an int: a Python or numpy integer, not a bool."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"a grid size must be an integer, got {value!r} of type "
                        f"{type(value).__name__} in grid {grid!r}")
    size = operator.index(value)
    if not 0 <= size <= MAX_GRID_DIM:
        raise ValueError(f"grid size {size} in grid {grid!r} is outside [0, {MAX_GRID_DIM}] "
                         f"(2**31 - 1: program ids are int32); split the work over more "
                         "grid dimensions or loop inside the kernel")
    return size


def grid_size(grid, meta) -> tuple:
    """A launch grid (1 to 3 integers as a tuple or list, one integer, or a
    function of the meta-parameters returning one of these) as 3 sizes."""
    if type(grid) is tuple and 1 <= len(grid) <= 3 and all(
            type(g) is int and 0 <= g <= MAX_GRID_DIM for g in grid):
        return grid + (1,) * (3 - len(grid))  # the common case, quickly
    given = grid
    if callable(grid):
        grid = grid(meta)
        if callable(grid) or grid is None:
            raise TypeError(f"the grid function {_name(given)} returned {grid!r}; it must "
                            "return 1 to 3 integers (a tuple) or one integer")
    if isinstance(grid, (tuple, list)):
        if not 1 <= len(grid) <= 3:
            raise ValueError(f"a grid has 1 to 3 dimensions, got {len(grid)}: {grid!r}")
        sizes = tuple(_grid_dim(g, grid) for g in grid)
    elif isinstance(grid, (str, bytes, float)) or not hasattr(grid, "__index__") \
            or isinstance(grid, bool):
        origin = f" (returned by {_name(given)})" if given is not grid else ""
        raise TypeError(f"a grid is 1 to 3 integers (a tuple), one integer, or a function "
                        f"of the meta-parameters returning one of these; got {grid!r} of "
                        f"type {type(grid).__name__}{origin}")
    else:
        sizes = (_grid_dim(grid, grid),)
    return sizes + (1,) * (3 - len(sizes))


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _positive_int(name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_options(options: dict) -> None:
    """Checks a launch's or compilation's options, as every device needs them:
    ``num_warps`` a power of two from 1 to MAX_NUM_WARPS, ``num_stages`` a
    positive integer, ``num_ctas`` 1 (one program per cluster everywhere),
    ``maxnreg`` a positive integer or None, ``debug``, ``enable_fp_fusion``
    and ``launch_pdl`` booleans, ``extern_libs`` as ``resolve_extern_libs``
    takes it, ``dot_precision`` None or a scheme of ``kl.dot(...,
    quantize=)``, ``fuse_dequantize`` True, False or "always"."""
    if "num_warps" in options:
        warps = options["num_warps"]
        if isinstance(warps, bool) or type(warps) is not int or warps < 1 \
                or warps & (warps - 1) or warps > MAX_NUM_WARPS:
            raise ValueError(f"num_warps must be a power of two from 1 to {MAX_NUM_WARPS}, "
                             f"got {warps!r}")
    if "num_stages" in options:
        _positive_int("num_stages", options["num_stages"])
    if "num_ctas" in options and (type(options["num_ctas"]) is not int
                                  or options["num_ctas"] != 1):
        raise ValueError(f"num_ctas must be 1 (Kite runs one program per cluster), got "
                         f"{options['num_ctas']!r}")
    if "maxnreg" in options:
        _positive_int("maxnreg", options["maxnreg"], allow_none=True)
    if "extern_libs" in options:
        resolve_extern_libs(options["extern_libs"])
    if options.get("dot_precision") is not None:
        from ..language.quantized_dot import SCHEMES
        if options["dot_precision"] not in SCHEMES:
            raise ValueError(f"dot_precision must be None or one of "
                             f"{', '.join(map(repr, SCHEMES))}, got {options['dot_precision']!r}")
    if "fuse_dequantize" in options:
        fuse_dequantize_mode(options["fuse_dequantize"])
    for flag in ("debug", "enable_fp_fusion", "launch_pdl"):
        if flag in options and options[flag] is not None and type(options[flag]) is not bool:
            raise ValueError(f"{flag} must be True or False, got {options[flag]!r}")


def fuse_dequantize_mode(value) -> str:
    """The thread stage's fuse-dequantize mode for the option of that name:
    True (the default) decodes a tensor-core dot's operand from its 4- or
    8-bit codes in shared memory at its fragments where no other warp
    decodes the same elements, False never, "always" wherever the operand
    allows (to compare; docs/quantization.md)."""
    modes = {True: "unshared", False: "never", "always": "always"}
    if type(value) is bool or value == "always":
        return modes[value]
    raise ValueError(f"fuse_dequantize must be True, False or 'always', got {value!r}")


def check_threads(num_warps: int, threads_per_warp: int, target: str,
                  device_limit: int = MAX_THREADS_PER_PROGRAM) -> None:
    """Checks that num_warps warps of a target's width fit in one program
    (a CUDA block, a Vulkan workgroup)."""
    threads = num_warps * threads_per_warp
    if threads > device_limit:
        raise ValueError(f"num_warps={num_warps} is {threads} threads of a program on "
                         f"'{target}' ({threads_per_warp} per warp), more than its limit "
                         f"of {device_limit}; use num_warps <= "
                         f"{max(device_limit // threads_per_warp, 1)}")


# The libraries a kernel may name in extern_libs: Kite links libdevice (for
# f64 math on NVIDIA) and nothing else.
_EXTERN_LIBS = ("libdevice",)


def resolve_extern_libs(libs) -> tuple:
    """Triton's ``extern_libs={"libdevice": path}`` as a hashable option:
    ``(("libdevice", path, digest),)``, the digest of the file's bytes (so
    that the JIT cache tells two libdevices apart), or () for None or {}.
    An already resolved tuple is returned as is."""
    if libs is None:
        return ()
    if isinstance(libs, tuple) and all(isinstance(e, tuple) and len(e) == 3 for e in libs):
        return libs
    if not isinstance(libs, dict):
        raise ValueError(f"extern_libs must be a dict of library name to path, got {libs!r}")
    resolved = []
    for name, path in sorted(libs.items()):
        if name not in _EXTERN_LIBS:
            raise ValueError(f"extern_libs: Kite links only {', '.join(_EXTERN_LIBS)} (for f64 "
                             f"math on NVIDIA), not {name!r}")
        if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
            raise ValueError(f"extern_libs: {name} {path!r} is not a file")
        path = os.path.abspath(os.fspath(path))
        stat = os.stat(path)
        resolved.append((name, path, _digest(path, stat.st_mtime_ns, stat.st_size)))
    return tuple(resolved)


@functools.lru_cache(maxsize=16)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    """sha256 of a file (once per version of it: launches ask every time)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]
