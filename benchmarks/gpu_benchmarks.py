"""Kite against Triton and PyTorch on one NVIDIA GPU, in one process on cuda:0:
vector add, row softmax, layernorm forward, fp16 matmul and launch overhead
(issue 4), and group ``hopper``: fp16/fp8 matmul at 128x128x64 and 128x256x64
tiles and flash attention d64/d128 against cuBLAS and PyTorch's SDPA
(gpu/hopper.py; wgmma on an H100). Writes benchmarks/results/gpu-<device>-<date>.md and .json.

    PYTHONPATH=python python3 benchmarks/gpu_benchmarks.py [--quick] [--only softmax,matmul] [--out DIR]
    PYTHONPATH=python python3 benchmarks/gpu_benchmarks.py --smoke   # no GPU: Kite kernels vs numpy

Methodology and columns: benchmarks/README.md."""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # the gpu package

try:
    import kite  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH=python
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

from gpu import cases, harness, report, smoke, timing  # noqa: E402


def _groups(text: str) -> tuple:
    try:
        return cases.parse_only(text)
    except ValueError as exc:  # argparse shows only this type's message
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer timed runs per kernel (a tight GPU budget)")
    parser.add_argument("--only", type=_groups, default=cases.GROUPS,
                        help=f"comma-separated groups among {', '.join(cases.GROUPS)}")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for the results (default: benchmarks/results)")
    parser.add_argument("--smoke", action="store_true",
                        help="no GPU: run the Kite kernels at small sizes on Kite's default "
                             "device and check them against numpy")
    return parser.parse_args(argv)


def run_smoke() -> int:
    print("smoke: the benchmark's Kite kernels on the default Kite device, against numpy")
    failed = [name for name, _, error in smoke.run() if error]
    print(f"{len(smoke.CHECKS) - len(failed)} of {len(smoke.CHECKS)} checks passed")
    return 1 if failed else 0


def _kernels(compiler: str, who: str):
    """The kernels compiled by ``compiler``, or a stand-in whose every kernel
    fails with the reason they could not be loaded (its column then shows
    why)."""
    from gpu import load_kernels
    try:
        return load_kernels(compiler)
    except Exception as exc:
        return harness.Unavailable(f"{who}: {harness.describe(exc)}")


def run_gpu(args) -> int:
    try:
        import torch
    except ImportError as exc:
        print(f"the GPU run needs PyTorch ({exc}); use --smoke on a machine without one",
              file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch; use --smoke on a machine without a GPU",
              file=sys.stderr)
        return 2
    torch.cuda.set_device(0)
    torch.manual_seed(0)
    started = time.perf_counter()
    timer = timing.Timer(torch, timing.QUICK if args.quick else timing.FULL)
    groups = args.only
    results = dict(environment=report.environment(torch), mode="quick" if args.quick else "full",
                   command=" ".join(["python3"] + sys.argv), complete=False, stopped=None,
                   baselines={}, baseline_errors=[], cases=[], launch=[], launch_count=0)

    def save():
        # After every case: a process that dies later leaves what it measured.
        results["seconds"] = time.perf_counter() - started
        return report.write(report.plain(results), args.out)

    print(f"{results['environment']['device']}: baselines")
    baselines = [("copy_gb_s", harness.copy_bandwidth, {"vector_add", "softmax", "layernorm"}),
                 ("matmul_tflop_s", harness.matmul_peak, {"matmul"})]
    for key, measure, needed_by in baselines:
        if needed_by & set(groups):
            try:
                results["baselines"][key] = measure(torch, timer)
                print(f"  {key}: {results['baselines'][key]:.4g}")
            except Exception as exc:
                results["baseline_errors"].append(f"{key}: {harness.describe(exc)}")
            torch.cuda.empty_cache()
    kite_kernels, triton_kernels = _kernels("kite", "Kite"), _kernels("triton", "Triton")
    for case in cases.all_cases(torch, kite_kernels, triton_kernels, groups):
        print(f"{case.name} {case.shape}")
        results["cases"].append(harness.run_case(torch, timer, case))
        save()
        failure = harness.device_failure(torch)
        if failure:
            results["stopped"] = f"after {case.name} {case.shape}, the device failed: {failure}"
            break
    if "launch" in groups and not results["stopped"]:
        launches, rounds = (500, 5) if args.quick else (2000, 7)
        print("launch overhead")
        results["launch_count"] = launches
        results["launch"] = harness.launch_overhead(
            torch, timer, dict(kite=kite_kernels, triton=triton_kernels), launches, rounds)
    results["complete"] = not results["stopped"]
    md_path, json_path = save()
    print(report.markdown(report.plain(results)))
    print(f"written: {md_path}, {json_path} ({results['seconds']:.0f} s)")
    return 0 if results["complete"] else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_smoke() if args.smoke else run_gpu(args)


if __name__ == "__main__":
    sys.exit(main())
