"""Autotune's hooks called as Triton calls them, written as Triton code
writes them: ``early_config_prune(configs, named_args, **kwargs)``,
``perf_model(**named_args, **kwargs, **config.all_kwargs())`` with
``top_k``, ``pre_hook(nargs, reset_only=False)``,
``post_hook(nargs, exception)``, ``do_bench(fn, quantiles)`` and
``Autotuner.warmup``. Pruning runs on every device; timing (and so the
timing hooks) only where kernels are compiled."""
import numpy as np
import pytest

import kite as triton
import kite.language as tl
from conftest import DEVICE, vulkan_device

CONFIGS = [triton.Config({"BLOCK_M": m}, num_warps=w, num_stages=s)
           for m, w, s in ((32, 1, 2), (64, 2, 3), (128, 4, 4))]


def _scale_kernel():
    @triton.jit
    def scale_kernel(x_ptr, out_ptr, N_CTX, scale, BLOCK_M: tl.constexpr):
        offs = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
        mask = offs < N_CTX
        tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) * scale, mask=mask)
    return scale_kernel


def _arrays(n, device):
    x = np.arange(n, dtype=np.float32)
    return x, triton.from_numpy(x, device=device), triton.zeros(n, tl.float32, device=device)


def _grid(meta):
    return (triton.cdiv(meta["N_CTX"], meta["BLOCK_M"]),)


def test_early_config_prune_gets_the_launch_keywords_as_kwargs():
    seen = []

    def prune(configs, named_args, **kwargs):
        # Upstream prune functions read what the launch passed by keyword.
        seen.append((sorted(named_args), kwargs["N_CTX"], kwargs["scale"]))
        return [c for c in configs if c.kwargs["BLOCK_M"] <= kwargs["N_CTX"]]

    tuned = triton.autotune(configs=CONFIGS, key=["N_CTX"],
                            prune_configs_by={"early_config_prune": prune})(_scale_kernel())
    x, xd, out = _arrays(40, DEVICE)
    tuned[_grid](xd, out, N_CTX=40, scale=2.0)
    np.testing.assert_array_equal(out.numpy(), x * 2)
    assert seen == [(["out_ptr", "x_ptr"], 40, 2.0)]
    assert tuned.best_config is CONFIGS[0]  # the only one left


def test_perf_model_ranks_configs_and_top_k_keeps_the_best():
    estimates = []

    def perf_model(x_ptr, out_ptr, N_CTX, scale, BLOCK_M, num_warps, num_stages, **kwargs):
        estimates.append((N_CTX, BLOCK_M, num_warps, num_stages))
        return abs(BLOCK_M - 64)  # the model likes 64

    for top_k in (1, 0.2):  # a count, and a fraction (of 3 configs: at least one)
        estimates.clear()
        tuned = triton.autotune(configs=CONFIGS, key=["N_CTX"],
                                prune_configs_by={"perf_model": perf_model, "top_k": top_k})(
            _scale_kernel())
        x, xd, out = _arrays(300, DEVICE)
        tuned[_grid](xd, out, 300, scale=3.0)
        np.testing.assert_array_equal(out.numpy(), x * 3)
        assert sorted(estimates) == [(300, 32, 1, 2), (300, 64, 2, 3), (300, 128, 4, 4)]
        assert tuned.best_config is CONFIGS[1] and tuned.bench_count == 0


def test_pruning_errors():
    x, xd, out = _arrays(8, DEVICE)
    empty = triton.autotune(configs=CONFIGS, key=["N_CTX"],
                            prune_configs_by={"early_config_prune": lambda c, n, **k: []})(
        _scale_kernel())
    with pytest.raises(ValueError, match="scale_kernel: early_config_prune returned no config"):
        empty[_grid](xd, out, 8, 1.0)
    bad_k = triton.autotune(configs=CONFIGS, key=["N_CTX"],
                            prune_configs_by={"perf_model": lambda **k: 0, "top_k": "2"})(
        _scale_kernel())
    with pytest.raises(TypeError, match=r"top_k must be a float <= 1.0 or an int, got '2'"):
        bad_k[_grid](xd, out, 8, 1.0)


def test_pre_hook_post_hook_and_do_bench_are_called_as_triton_calls_them():
    device = vulkan_device()
    calls = []

    def pre_hook(nargs, reset_only=False):
        calls.append(("pre", nargs["BLOCK_M"], reset_only))
        if reset_only:
            nargs["out_ptr"].zero_()

    def post_hook(nargs, exception):
        calls.append(("post", nargs["BLOCK_M"], exception))

    def do_bench(kernel_call, quantiles):
        kernel_call()
        return [float(1000 - len(calls)), 0.0, 0.0]  # later configs look faster

    tuned = triton.autotune(configs=CONFIGS[:2], key=["N_CTX"], pre_hook=pre_hook,
                            post_hook=post_hook, do_bench=do_bench)(_scale_kernel())
    x, xd, out = _arrays(100, device)
    tuned[_grid](xd, out, 100, 2.0)
    np.testing.assert_array_equal(out.numpy(), x * 2)
    # Each config: a compiling run and do_bench's run, each between the
    # hooks; then the reset call for the chosen config.
    assert calls == [("pre", 32, False), ("post", 32, None)] * 2 + \
        [("pre", 64, False), ("post", 64, None)] * 2 + [("pre", 64, True)]
    assert tuned.best_config is CONFIGS[1]
    assert tuned.configs_timings[CONFIGS[0]] == [996.0, 0.0, 0.0]


def test_post_hook_sees_the_exception_of_a_config_that_does_not_compile():
    device = vulkan_device()
    failures = []
    bad = triton.Config({"BLOCK_M": 48})  # arange needs a power of two

    def post_hook(nargs, exception):
        if exception is not None:
            failures.append((nargs["BLOCK_M"], type(exception).__name__))

    tuned = triton.autotune(configs=[bad, CONFIGS[0]], key=["N_CTX"], post_hook=post_hook)(
        _scale_kernel())
    x, xd, out = _arrays(64, device)
    tuned[_grid](xd, out, 64, 1.0)
    assert failures == [(48, "CompilationError")]
    assert tuned.best_config is CONFIGS[0]


def test_autotuner_warmup_compiles_each_kept_config():
    device = vulkan_device()
    tuned = triton.autotune(
        configs=CONFIGS, key=["N_CTX"],
        prune_configs_by={"early_config_prune": lambda configs, named, **kw: configs[:2]})(
        _scale_kernel())
    x, xd, out = _arrays(64, device)
    compiled = tuned.warmup(xd, out, 64, 1.0, grid=(1,))
    assert [c.metadata.num_warps for c in compiled] == [1, 2]
    assert [c.metadata.num_stages for c in compiled] == [2, 3]
    assert not out.numpy().any()  # nothing ran
