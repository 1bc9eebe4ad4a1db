"""``kite.testing.Benchmark`` and ``kite.testing.perf_report``: Triton's way of
turning a timing function into a table and a plot, with Triton's arguments.

    @kite.testing.perf_report(kite.testing.Benchmark(
        x_names=["size"], x_vals=[2**i for i in range(12, 20)], x_log=True,
        line_arg="provider", line_vals=["kite", "numpy"], line_names=["Kite", "numpy"],
        styles=[("blue", "-"), ("green", "-")], ylabel="GB/s", plot_name="vector-add",
        args={}))
    def bench(size, provider):
        ...
        return gbps            # or (value, min, max): drawn as a band

    bench.run(print_data=True, show_plots=True, save_path=".")

The table is printed as text (pandas is not needed; ``return_df=True``
returns a pandas DataFrame where pandas is installed). The plot is drawn
with matplotlib, which is imported only when a plot is asked for."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence


@dataclass
class Benchmark:
    """One table and plot: a row per value of ``x_vals`` (bound to each name
    of ``x_names``), a column and a line per value of ``line_arg`` in
    ``line_vals`` (titled by ``line_names``), the rest of the arguments from
    ``args``."""
    x_names: Sequence[str]
    x_vals: Sequence
    line_arg: str
    line_vals: Sequence
    line_names: Sequence[str]
    plot_name: str
    args: Dict = field(default_factory=dict)
    xlabel: str = ""
    ylabel: str = ""
    x_log: bool = False
    y_log: bool = False
    styles: Optional[Sequence] = None
    color: Optional[str] = None

    def __post_init__(self):
        if isinstance(self.x_names, str):
            raise TypeError(f"Benchmark: x_names must be a list of names, got the string "
                            f"{self.x_names!r} (write x_names=[{self.x_names!r}])")
        if not self.x_names:
            raise ValueError("Benchmark: x_names is empty")
        if len(self.line_names) != len(self.line_vals):
            raise ValueError(f"Benchmark: {len(self.line_vals)} line_vals but "
                             f"{len(self.line_names)} line_names")
        if self.styles is not None and len(self.styles) < len(self.line_vals):
            raise ValueError(f"Benchmark: {len(self.line_vals)} lines but only "
                             f"{len(self.styles)} styles")


@dataclass
class BenchmarkTable:
    """What one Benchmark measured: ``columns`` (the x names, then a column
    per line, with ``-min``/``-max`` columns for lines that returned a
    band) and ``rows`` (lists of values, in ``x_vals`` order); ``lines``:
    per line name, its (value, min, max) at each x."""
    columns: List[str]
    rows: List[List]
    lines: Dict[str, List[tuple]] = field(default_factory=dict, repr=False)

    def to_text(self) -> str:
        cells = [[str(c) for c in self.columns]] + [[_fmt(v) for v in row] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells)


def _fmt(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value)


class Mark:
    """What ``perf_report`` returns: ``run`` measures, prints and plots."""

    def __init__(self, fn: Callable, benchmarks):
        self.fn = fn
        self.benchmarks = benchmarks

    def _measure(self, bench: Benchmark, **kwargs) -> BenchmarkTable:
        values: Dict[str, List] = {}
        banded = set()
        rows = []
        for x in bench.x_vals:
            xs = list(x) if isinstance(x, (list, tuple)) else [x] * len(bench.x_names)
            if len(xs) != len(bench.x_names):
                raise ValueError(f"Benchmark {bench.plot_name!r}: x value {x!r} has {len(xs)} "
                                 f"entries for {len(bench.x_names)} x_names")
            point = dict(zip(bench.x_names, xs))
            row = list(xs)
            for line_val, name in zip(bench.line_vals, bench.line_names):
                got = self.fn(**point, **{bench.line_arg: line_val}, **bench.args, **kwargs)
                if isinstance(got, (tuple, list)):
                    if len(got) != 3:
                        raise ValueError(f"Benchmark {bench.plot_name!r}: the function returned "
                                         f"{len(got)} values for {name!r}; return one value or "
                                         "(value, min, max)")
                    banded.add(name)
                    y, lo, hi = (float(v) for v in got)
                else:
                    y = lo = hi = float(got)
                values.setdefault(name, []).append((y, lo, hi))
                row.append((y, lo, hi))
            rows.append(row)
        columns = list(bench.x_names)
        for name in bench.line_names:
            columns += [name] + ([f"{name}-min", f"{name}-max"] if name in banded else [])
        flat = []
        for row in rows:
            out = row[:len(bench.x_names)]
            for name, (y, lo, hi) in zip(bench.line_names, row[len(bench.x_names):]):
                out += [y] + ([lo, hi] if name in banded else [])
            flat.append(out)
        return BenchmarkTable(columns, flat, values)

    def _plot(self, bench: Benchmark, table: BenchmarkTable, show: bool, save_path: str):
        try:
            import matplotlib
            if not show:
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("kite.testing.perf_report draws with matplotlib, which is not "
                              "installed (pip install matplotlib); run(print_data=True) "
                              "prints the table without it") from exc
        figure, axes = plt.subplots()
        x = [row[0] for row in table.rows]
        for i, name in enumerate(bench.line_names):
            points = table.lines[name]
            y = [p[0] for p in points]
            style = bench.styles[i] if bench.styles else None
            color = style[0] if style else bench.color
            linestyle = style[1] if style else "-"
            axes.plot(x, y, label=name, color=color, linestyle=linestyle, marker=".")
            if any(p[1] != p[0] or p[2] != p[0] for p in points):
                axes.fill_between(x, [p[1] for p in points], [p[2] for p in points],
                                  alpha=0.15, color=color)
        axes.legend()
        axes.set_xlabel(bench.xlabel or bench.x_names[0])
        axes.set_ylabel(bench.ylabel)
        axes.set_title(bench.plot_name)
        if bench.x_log:
            axes.set_xscale("log")
        if bench.y_log:
            axes.set_yscale("log")
        if save_path:
            os.makedirs(save_path, exist_ok=True)
            figure.savefig(os.path.join(save_path, f"{bench.plot_name}.png"))
        if show:
            plt.show()
        plt.close(figure)

    def run(self, show_plots: bool = False, print_data: bool = False, save_path: str = "",
            return_df: bool = False, **kwargs):
        """Measures every benchmark; prints each table (``print_data``),
        draws each plot (shown with ``show_plots``, saved as
        ``<save_path>/<plot_name>.png`` and the table as ``.csv``); returns
        the tables (pandas DataFrames with ``return_df``), one or a list."""
        benches = self.benchmarks if isinstance(self.benchmarks, (list, tuple)) else [self.benchmarks]
        results = []
        for bench in benches:
            table = self._measure(bench, **kwargs)
            if print_data:
                print(f"{bench.plot_name}:")
                print(table.to_text())
            if show_plots or save_path:
                self._plot(bench, table, show_plots, save_path)
            if save_path:
                with open(os.path.join(save_path, f"{bench.plot_name}.csv"), "w") as f:
                    f.write(",".join(table.columns) + "\n")
                    for row in table.rows:
                        f.write(",".join(_fmt(v) for v in row) + "\n")
            if return_df:
                try:
                    import pandas
                except ImportError as exc:
                    raise ImportError("run(return_df=True) returns pandas DataFrames, and pandas "
                                      "is not installed; without return_df, run returns "
                                      "kite.testing.BenchmarkTable objects") from exc
                results.append(pandas.DataFrame(table.rows, columns=table.columns))
            else:
                results.append(table)
        return results[0] if len(results) == 1 else results


def perf_report(benchmarks):
    """Decorator: ``fn(**x, **{line_arg: line_val}, **args)`` measured over a
    Benchmark (or a list of them); the result's ``run`` prints and plots."""
    def wrap(fn):
        return Mark(fn, benchmarks)
    return wrap
