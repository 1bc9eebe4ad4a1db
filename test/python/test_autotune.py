"""kite.autotune, kite.Config, kite.heuristics, kite.next_power_of_2 and
kite.testing.do_bench: Triton's host-side tuning, on the interpreter and on
Vulkan (lavapipe) where configs are really timed."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import vulkan_device


def _add_kernel():
    @kite.kernel
    def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: kl.constexpr):
        offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
        mask = offs < n
        kl.store(out_ptr + offs, kl.load(x_ptr + offs, mask=mask) + kl.load(y_ptr + offs, mask=mask),
                 mask=mask)
    return add_kernel


CONFIGS = [kite.Config({"BLOCK": 64}, num_warps=1), kite.Config({"BLOCK": 256}, num_warps=2),
           kite.Config({"BLOCK": 1024}, num_warps=4)]


def _arrays(n, device):
    rng = np.random.default_rng(0)
    x, y = rng.random(n, np.float32), rng.random(n, np.float32)
    return (x, y, kite.from_numpy(x, device=device), kite.from_numpy(y, device=device),
            kite.zeros(n, kl.float32, device=device))


@pytest.mark.parametrize("device", ["interpreter", "vulkan"])
def test_autotune_picks_a_config_per_key_and_launches_with_it(device):
    device = vulkan_device() if device == "vulkan" else "interpreter"
    tuned = kite.autotune(configs=CONFIGS, key=["n"])(_add_kernel())
    grid = lambda meta: (kite.cdiv(meta["n"], meta["BLOCK"]),)  # noqa: E731
    for n in (1000, 3000, 1000):
        x, y, xd, yd, out = _arrays(n, device)
        tuned[grid](xd, yd, out, n)
        np.testing.assert_array_equal(out.numpy(), x + y)
        assert tuned.best_config in CONFIGS
    # Timed once per new key (two keys), each time every config; the
    # interpreter times nothing and takes the first config.
    assert len(tuned.cache) == 2
    if device == "interpreter":
        assert tuned.bench_count == 0 and tuned.best_config is CONFIGS[0]
    else:
        assert tuned.bench_count == 2 * len(CONFIGS)
        assert set(tuned.configs_timings) == set(CONFIGS)
        # As Triton's: milliseconds at the median, 20% and 80% quantiles.
        assert all(len(t) == 3 and t[0] > 0 for t in tuned.configs_timings.values())


def test_autotune_prunes_and_keeps_a_config_that_does_not_compile_out():
    device = vulkan_device()
    bad = kite.Config({"BLOCK": 48})  # not a power of two: arange fails to compile
    pruned = []

    def early(configs, named):
        pruned.append(named["n"])
        return [c for c in configs if c.kwargs["BLOCK"] != 1024]

    tuned = kite.autotune(configs=[bad] + CONFIGS, key=["n"],
                          prune_configs_by={"early_config_prune": early})(_add_kernel())
    x, y, xd, yd, out = _arrays(500, device)
    tuned[lambda m: (kite.cdiv(500, m["BLOCK"]),)](xd, yd, out, 500)
    np.testing.assert_array_equal(out.numpy(), x + y)
    assert pruned == [500]
    assert tuned.configs_timings[bad] == [float("inf")] * 3
    assert CONFIGS[2] not in tuned.configs_timings
    assert tuned.best_config in CONFIGS[:2]


def test_reset_to_zero_and_restore_value_protect_accumulating_kernels():
    device = vulkan_device()

    @kite.kernel
    def accumulate_kernel(x_ptr, total_ptr, n, BLOCK: kl.constexpr):
        offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
        kl.atomic_add(total_ptr, kl.sum(kl.load(x_ptr + offs, mask=offs < n, other=0)))

    tuned = kite.autotune(configs=CONFIGS, key=["n"], reset_to_zero=["total_ptr"])(
        accumulate_kernel)
    x = np.arange(100, dtype=np.int32)
    total = kite.zeros(1, kl.int32, device=device)
    tuned[lambda m: (kite.cdiv(100, m["BLOCK"]),)](kite.from_numpy(x, device=device), total, 100)
    # The timing runs added to it many times; it was zeroed before the last.
    assert total.numpy()[0] == x.sum()

    restored = kite.autotune(configs=CONFIGS, key=["n"], restore_value=["total_ptr"])(
        accumulate_kernel)
    total = kite.from_numpy(np.array([7], np.int32), device=device)
    restored[lambda m: (kite.cdiv(100, m["BLOCK"]),)](kite.from_numpy(x, device=device), total,
                                                      100)
    assert total.numpy()[0] == 7 + x.sum()


def test_heuristics_compute_meta_parameters_from_the_arguments():
    seen = []

    @kite.heuristics({"BLOCK": lambda args: kite.next_power_of_2(args["n"]),
                      "EVEN": lambda args: args["n"] % args["BLOCK"] == 0})
    @kite.kernel
    def scale_kernel(x_ptr, n, BLOCK: kl.constexpr, EVEN: kl.constexpr):
        offs = kl.arange(0, BLOCK)
        if EVEN:
            kl.store(x_ptr + offs, kl.load(x_ptr + offs) * 2)
        else:
            kl.store(x_ptr + offs, kl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)

    for n in (8, 5):
        x = kite.from_numpy(np.arange(n, dtype=np.float32), device="interpreter")
        scale_kernel[(1,)](x, n)
        np.testing.assert_array_equal(x.numpy(), np.arange(n) * 2)
        seen.append(n)
    assert seen == [8, 5]


def test_a_meta_parameter_both_tuned_and_passed_is_an_error():
    tuned = kite.autotune(configs=CONFIGS, key=["n"])(_add_kernel())
    x, y, xd, yd, out = _arrays(10, "interpreter")
    with pytest.raises(ValueError, match=r"meta-parameters \['BLOCK'\] are given at the launch"):
        tuned[(1,)](xd, yd, out, 10, BLOCK=16)


def test_a_key_naming_no_argument_is_an_error():
    tuned = kite.autotune(configs=CONFIGS, key=["size"])(_add_kernel())
    x, y, xd, yd, out = _arrays(10, "interpreter")
    with pytest.raises(TypeError, match=r"autotune key \['size'\] names no argument"):
        tuned[(1,)](xd, yd, out, 10)


def test_next_power_of_2():
    assert [kite.next_power_of_2(n) for n in (0, 1, 2, 3, 5, 64, 65)] == [1, 1, 2, 4, 8, 64, 128]


def test_do_bench_returns_milliseconds():
    import time
    ms = kite.testing.do_bench(lambda: time.sleep(0.002), warmup=5, rep=20)
    assert 1.5 < ms < 50
    low, mid = kite.testing.do_bench(lambda: None, warmup=1, rep=1, quantiles=[0.2, 0.5])
    assert 0 <= low <= mid
    with pytest.raises(ValueError, match="return_mode"):
        kite.testing.do_bench(lambda: None, return_mode="p99")


def test_warmup_compiles_for_the_arguments_device_without_launching():
    device = vulkan_device()
    kernel = _add_kernel()
    x, y, xd, yd, out = _arrays(100, device)
    compiled = kernel.warmup(xd, yd, out, 100, BLOCK=128, grid=(1,))
    assert compiled.metadata["target"].startswith("vulkan")
    assert not out.numpy().any()  # nothing ran


def test_autotune_above_heuristics_on_a_device():
    device = vulkan_device()

    @kite.autotune(configs=[kite.Config({"BLOCK": 64}), kite.Config({"BLOCK": 128})], key=["n"],
                   restore_value=["x_ptr"])
    @kite.heuristics({"EVEN": lambda args: args["n"] % args["BLOCK"] == 0})
    @kite.kernel
    def double_kernel(x_ptr, n, BLOCK: kl.constexpr, EVEN: kl.constexpr):
        offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
        if EVEN:
            kl.store(x_ptr + offs, kl.load(x_ptr + offs) * 2)
        else:
            kl.store(x_ptr + offs, kl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)

    x = kite.from_numpy(np.arange(200, dtype=np.float32), device=device)
    double_kernel[lambda m: (kite.cdiv(200, m["BLOCK"]),)](x, 200)
    # Every timing run started from the original values, put back before
    # the real launch: doubled once.
    assert double_kernel.bench_count == 2
    np.testing.assert_array_equal(x.numpy(), np.arange(200) * 2)
