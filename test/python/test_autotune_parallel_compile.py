"""Autotune compiles its candidate configs several at once before timing
them (KITE_AUTOTUNE_COMPILE_THREADS, else one thread per core)."""
import threading

import numpy as np
import pytest

import kite
import kite.language as kl
from kite import autotuner

DEVICE = "cuda-sim:sm_80"  # timed (not the interpreter), and quick to compile


@kite.kernel
def scaled_sum(x_ptr, out_ptr, n, BLOCK: kl.constexpr, SCALE: kl.constexpr):
    offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
    mask = offs < n
    x = kl.load(x_ptr + offs, mask=mask, other=0.0)
    kl.atomic_add(out_ptr, kl.sum(x * SCALE, axis=0))


def _tuned(configs):
    return kite.autotune(configs=configs, key=["n"], warmup=1, rep=1,
                         reset_to_zero=["out_ptr"])(scaled_sum)


def _launch(tuned, n=3000):
    x = kite.from_numpy(np.arange(n, dtype=np.float32), device=DEVICE)
    out = kite.from_numpy(np.zeros(1, np.float32), device=DEVICE)
    tuned[lambda meta: (kite.cdiv(n, meta["BLOCK"]),)](x, out, n, SCALE=1.0)
    return out


def test_configs_compile_on_several_threads_at_once(monkeypatch):
    monkeypatch.setenv("KITE_AUTOTUNE_COMPILE_THREADS", "2")
    configs = [kite.Config({"BLOCK": b}) for b in (128, 256)]
    tuned = _tuned(configs)
    # Each compile waits at a barrier for another: compiled one after the
    # other, the first would wait alone and the barrier time out.
    both = threading.Barrier(2, timeout=60)
    threads = set()
    real_warmup = scaled_sum.warmup

    def warmup(*args, **kwargs):
        threads.add(threading.get_ident())
        both.wait()
        return real_warmup(*args, **kwargs)

    monkeypatch.setattr(scaled_sum, "warmup", warmup)
    _launch(tuned)
    assert len(threads) == 2
    assert tuned.bench_count == 2 and tuned.best_config in configs


def test_one_thread_compiles_in_order(monkeypatch):
    monkeypatch.setenv("KITE_AUTOTUNE_COMPILE_THREADS", "1")
    configs = [kite.Config({"BLOCK": b}) for b in (64, 128, 256)]
    order = []
    real_warmup = scaled_sum.warmup

    def warmup(*args, **kwargs):
        order.append((threading.get_ident(), kwargs["BLOCK"]))
        return real_warmup(*args, **kwargs)

    monkeypatch.setattr(scaled_sum, "warmup", warmup)
    _launch(_tuned(configs))
    assert [block for _, block in order] == [64, 128, 256]
    assert {thread for thread, _ in order} == {threading.get_ident()}


def test_a_config_that_does_not_compile_times_as_inf_and_the_others_run():
    # BLOCK = 2^20 elements is more than a thread may hold at 4 warps.
    configs = [kite.Config({"BLOCK": 1 << 20}), kite.Config({"BLOCK": 256})]
    tuned = _tuned(configs)
    out = _launch(tuned)
    assert tuned.configs_timings[configs[0]] == [float("inf")] * 3
    assert tuned.best_config is configs[1]
    assert out.numpy()[0] == np.arange(3000, dtype=np.float64).sum()


def test_kernels_compiled_at_once_are_those_compiled_alone(monkeypatch):
    # Eight configs compiled concurrently for sm_80 (the stages without the
    # GIL, ptxas in its own processes) give the same PTX as one at a time.
    @kite.kernel
    def softmax_rows(x_ptr, out_ptr, n, BLOCK: kl.constexpr, SCALE: kl.constexpr):
        row = kl.program_id(0)
        cols = kl.arange(0, BLOCK)
        x = kl.load(x_ptr + row * n + cols, mask=cols < n, other=-float("inf")) * SCALE
        e = kl.exp(x - kl.max(x, axis=0))
        kl.store(out_ptr + row * n + cols, e / kl.sum(e, axis=0), mask=cols < n)

    x = kite.from_numpy(np.zeros(16, np.float32))
    variants = [dict(BLOCK=b, SCALE=s, num_warps=w) for b in (128, 256) for s in (1.0, 2.0)
                for w in (2, 4)]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda v: softmax_rows.compile(x, x, 100, target="cuda:sm_80",
                                                                **v).asm["ptx"], variants))
    # Compiled again, one at a time, past the disk cache the first ones filled.
    from kite import compiler
    monkeypatch.setattr(compiler, "_entry_from_disk", lambda *args: None)
    fresh = compiler.stats.pipeline_runs
    alone = [kite.jit(softmax_rows.fn).compile(x, x, 100, target="cuda:sm_80", **v).asm["ptx"]
             for v in variants]
    assert compiler.stats.pipeline_runs - fresh == len(variants)
    assert together == alone


def test_a_bad_thread_count_is_named(monkeypatch):
    monkeypatch.setenv("KITE_AUTOTUNE_COMPILE_THREADS", "zero")
    with pytest.raises(ValueError, match="KITE_AUTOTUNE_COMPILE_THREADS='zero'"):
        autotuner.compile_threads()
