"""kite.testing.Benchmark and perf_report, with Triton's arguments: the
table, the plot and the CSV a tutorial ends with, and the mistakes a user
makes with them."""
import pytest

import kite
import kite.language as kl
import numpy as np
from kite import testing


def _bench(**overrides):
    spec = dict(x_names=["size"], x_vals=[4, 8, 16], line_arg="provider",
                line_vals=["a", "b"], line_names=["A", "B"], styles=[("blue", "-"), ("red", "--")],
                ylabel="GB/s", plot_name="toy", args={"scale": 10})
    spec.update(overrides)
    return testing.Benchmark(**spec)


def test_run_measures_every_point_and_line():
    calls = []

    @testing.perf_report(_bench())
    def bench(size, provider, scale):
        calls.append((size, provider, scale))
        return size * scale if provider == "a" else (size, size - 1, size + 1)

    table = bench.run()
    assert calls == [(s, p, 10) for s in (4, 8, 16) for p in ("a", "b")]
    assert table.columns == ["size", "A", "B", "B-min", "B-max"]
    assert table.rows == [[4, 40.0, 4.0, 3.0, 5.0], [8, 80.0, 8.0, 7.0, 9.0],
                          [16, 160.0, 16.0, 15.0, 17.0]]


def test_print_data_prints_the_table(capsys):
    bench = testing.perf_report(_bench())(lambda size, provider, scale: float(size))
    bench.run(print_data=True)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "toy:"
    assert out[1].split() == ["size", "A", "B"]
    assert out[2].split() == ["4", "4", "4"]


def test_save_path_writes_the_plot_and_the_csv(tmp_path):
    bench = testing.perf_report(_bench(x_log=True))(
        lambda size, provider, scale: (size, size / 2, size * 2))
    bench.run(save_path=str(tmp_path))
    png = (tmp_path / "toy.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    assert (tmp_path / "toy.csv").read_text().splitlines()[:2] == [
        "size,A,A-min,A-max,B,B-min,B-max", "4,4,2,8,4,2,8"]


def test_several_x_names_and_benchmarks():
    first = _bench(x_names=["M", "N"], x_vals=[(1, 2), 3], plot_name="first")
    second = _bench(plot_name="second", line_vals=["a"], line_names=["A"], styles=None)
    tables = testing.perf_report([first, second])(
        lambda provider, scale, **x: sum(x.values()) * scale).run()
    assert [t.rows for t in tables] == [[[1, 2, 30.0, 30.0], [3, 3, 60.0, 60.0]],
                                        [[4, 40.0], [8, 80.0], [16, 160.0]]]


def test_a_kernel_timed_on_the_default_device(tmp_path):
    # What a tutorial does: do_bench around a launch, GB/s per size.
    @kite.jit
    def copy(x, y, n, BLOCK: kl.constexpr):
        offs = kl.program_id(0) * BLOCK + kl.arange(0, BLOCK)
        kl.store(y + offs, kl.load(x + offs, mask=offs < n), mask=offs < n)

    @testing.perf_report(testing.Benchmark(
        x_names=["n"], x_vals=[256, 1024], line_arg="provider", line_vals=["kite"],
        line_names=["Kite"], ylabel="GB/s", plot_name="copy"))
    def bench(n, provider):
        x = kite.from_numpy(np.ones(n, np.float32))
        y = kite.empty(n, kl.float32)
        ms = testing.do_bench(lambda: copy[(kite.cdiv(n, 256),)](x, y, n, BLOCK=256),
                              warmup=1, rep=3)
        return 2 * n * 4 / ms * 1e-6

    table = bench.run(save_path=str(tmp_path))
    assert [row[0] for row in table.rows] == [256, 1024]
    assert all(row[1] > 0 for row in table.rows)
    assert (tmp_path / "copy.png").exists()


def test_mistakes_are_named():
    with pytest.raises(TypeError, match=r"x_names must be a list of names, got the string 'size' "
                                        r"\(write x_names=\['size'\]\)"):
        _bench(x_names="size")
    with pytest.raises(ValueError, match="2 line_vals but 1 line_names"):
        _bench(line_names=["A"])
    with pytest.raises(ValueError, match="2 lines but only 1 styles"):
        _bench(styles=[("blue", "-")])
    bad = testing.perf_report(_bench())(lambda size, provider, scale: (1.0, 2.0))
    with pytest.raises(ValueError, match=r"returned 2 values for 'A'; return one value or "
                                         r"\(value, min, max\)"):
        bad.run()
    wrong_x = testing.perf_report(_bench(x_vals=[(1, 2)]))(lambda **_: 1.0)
    with pytest.raises(ValueError, match=r"x value \(1, 2\) has 2 entries for 1 x_names"):
        wrong_x.run()


def test_return_df_needs_pandas():
    bench = testing.perf_report(_bench())(lambda size, provider, scale: 1.0)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="returns pandas DataFrames, and pandas is not "
                                              "installed"):
            bench.run(return_df=True)
    else:
        assert list(bench.run(return_df=True).columns) == ["size", "A", "B"]
