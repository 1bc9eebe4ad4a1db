"""The GPU benchmark without a GPU (``gpu_benchmarks.py --smoke``, and the
CI test test/python/test_gpu_benchmarks_smoke.py): every Kite kernel of the
benchmark, launched through launchers.py on the default Kite device (Vulkan;
lavapipe on a CPU-only machine) and checked against numpy. Each kernel runs
with every block size and warp count the GPU run uses, at a smaller size of
the same configuration with ragged edges, so that what the GPU will run has
compiled and computed correctly here first."""
from __future__ import annotations

import time

import numpy as np

from . import cases, launchers

# {name: check(device, rng)}, filled by @_check.
CHECKS: dict = {}


def _check(name: str):
    def register(fn):
        CHECKS[name] = fn
        return fn
    return register


def _close(actual, expected, tolerance):
    rtol, atol = tolerance
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol)


def _smaller(n: int) -> int:
    """A size below ``n`` that is a multiple of nothing in particular, and
    whose next power of two is still ``n``'s (for n a power of two >= 16)."""
    return n - n // 4 - 3


def _kite():
    import kite
    from . import load_kernels
    return kite, load_kernels("kite")


@_check("vector add fp32")
def check_vector_add(device, rng):
    kite, kk = _kite()
    n = 3 * launchers.ADD_BLOCK + 5
    x, y = rng.standard_normal(n, np.float32), rng.standard_normal(n, np.float32)
    out = kite.from_numpy(np.full(n, np.nan, np.float32), device=device)
    launchers.vector_add(kk, kite.from_numpy(x, device=device), kite.from_numpy(y, device=device),
                         out, n)
    _close(out.numpy(), x + y, cases.TOLERANCE["vector_add"]["out"])


def softmax_reference(x: np.ndarray) -> np.ndarray:
    z = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _softmax(cols: int):
    def check(device, rng):
        kite, kk = _kite()
        rows, small = 3, _smaller(cols)
        assert launchers.softmax_config(small) == launchers.softmax_config(cols)
        x = rng.standard_normal((rows, small), np.float32)
        out = kite.from_numpy(np.full((rows, small), np.nan, np.float32), device=device)
        launchers.softmax(kk, out, kite.from_numpy(x, device=device), rows, small)
        _close(out.numpy(), softmax_reference(x), cases.TOLERANCE["softmax"]["out"])
    return check


def layernorm_reference(x, w, b, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=1)
    rstd = 1 / np.sqrt(x.var(axis=1) + eps)
    y = (x - mean[:, None]) * rstd[:, None] * w.astype(np.float64) + b.astype(np.float64)
    return y.astype(np.float16), mean, rstd


def _layernorm(cols: int):
    def check(device, rng):
        kite, kk = _kite()
        rows, small = 3, _smaller(cols)
        assert launchers.layernorm_config(small) == launchers.layernorm_config(cols)
        x = (rng.standard_normal((rows, small)) * 2 + 0.5).astype(np.float16)
        w = (rng.random(small) + 0.5).astype(np.float16)
        b = (rng.standard_normal(small) * 0.5).astype(np.float16)
        dev = {name: kite.from_numpy(a, device=device) for name, a in dict(x=x, w=w, b=b).items()}
        out = dict(y=kite.from_numpy(np.full((rows, small), np.nan, np.float16), device=device),
                   mean=kite.from_numpy(np.full(rows, np.nan, np.float32), device=device),
                   rstd=kite.from_numpy(np.full(rows, np.nan, np.float32), device=device))
        launchers.layernorm(kk, dev["x"], out["y"], dev["w"], dev["b"], out["mean"], out["rstd"],
                            rows, small)
        expected = dict(zip(("y", "mean", "rstd"),
                            layernorm_reference(x, w, b, launchers.LAYERNORM_EPS)))
        for name, tensor in out.items():
            _close(tensor.numpy(), expected[name], cases.TOLERANCE["layernorm"][name])
    return check


def _matmul(config: launchers.MatmulConfig):
    def check(device, rng):
        kite, kk = _kite()
        # Two block-rows and a ragged one, two block-columns' worth with a
        # ragged tail, and a K that ends inside a block.
        m, n, k = 2 * config.BLOCK_M + 3, config.BLOCK_N + 5, 2 * config.BLOCK_K + 7
        a = rng.standard_normal((m, k)).astype(np.float16)
        b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float16)
        c = kite.from_numpy(np.full((m, n), np.nan, np.float16), device=device)
        launchers.matmul(kk, kite.from_numpy(a, device=device), kite.from_numpy(b, device=device),
                         c, m, n, k, config)
        expected = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
        _close(c.numpy(), expected, cases.TOLERANCE["matmul"]["c"])
    return check


@_check("launch: 3 arguments")
def check_tiny3(device, rng):
    kite, kk = _kite()
    x = rng.standard_normal(launchers.TINY_N, np.float32)
    out = kite.from_numpy(np.full(launchers.TINY_N, np.nan, np.float32), device=device)
    launchers.tiny3(kk, kite.from_numpy(x, device=device), out)
    _close(out.numpy(), x + 1, (1e-6, 1e-6))


@_check("launch: 16 arguments")
def check_tiny16(device, rng):
    kite, kk = _kite()
    ins = [rng.standard_normal(launchers.TINY_N, np.float32) for _ in range(7)]
    out = kite.from_numpy(np.full(launchers.TINY_N, np.nan, np.float32), device=device)
    launchers.tiny16(kk, [kite.from_numpy(a, device=device) for a in ins], out)
    _close(out.numpy(), sum(a.astype(np.float64) for a in ins) + sum(launchers.TINY_SCALARS),
           (1e-5, 1e-5))


for _, _cols in cases.SOFTMAX_SHAPES:
    _check(f"row softmax fp32, config of {_cols} columns")(_softmax(_cols))
for _, _cols in cases.LAYERNORM_SHAPES:
    _check(f"layernorm fwd fp16, config of {_cols} columns")(_layernorm(_cols))
for _config in dict.fromkeys(launchers.matmul_config(*s) for s in cases.MATMUL_SHAPES):
    _check(f"matmul fp16, {'x'.join(map(str, _config[:3]))} tiles, {_config.num_warps} "
           "warps")(_matmul(_config))


def _hopper_checks():
    from . import hopper
    CHECKS.update(hopper.smoke_checks())


_hopper_checks()


def run(device=None, log=print) -> list:
    """Runs every check on ``device`` (None: Kite's default); returns
    [(name, seconds, error or None)]. A failing check does not stop the others."""
    results = []
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            check(device, np.random.default_rng(len(results)))
            error = None
        except Exception as exc:  # reported, and the next check runs
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        results.append((name, seconds, error))
        log(f"  {'ok  ' if error is None else 'FAIL'} {name} ({seconds:.1f} s)"
            + (f"\n{error}" if error else ""))
    return results
