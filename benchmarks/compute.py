"""Measure this machine: matmul TFLOP/s over sizes and precisions, and memory bandwidth, as markdown tables.

    python benchmarks/compute.py            # full: GPU sizes up to 8192, CPU up to 2048
    python benchmarks/compute.py --quick    # small sizes, few repeats
    python benchmarks/compute.py --device cuda --dtypes bf16 --sizes 4096 8192

Timing (course_lib.compute): warm-up by time before each size (on a GPU at least 1 s and until the last three
timings agree within 2%, capped at 5 s: clocks ramp up under load, so two cold calls under-report), CUDA events
or synchronize, the median of the repeats. Percentages
are of the dense peak of course_lib.compute_peaks for the precision measured (blank when the device or the
precision is not in the table, e.g. any CPU). Paste the output into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.compute import (  # noqa: E402
    benchmark_bandwidth,
    benchmark_matmul,
    device_name,
    markdown_table,
)
from course_lib.device import pick_device  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    ap.add_argument("--dtypes", nargs="+", default=None, help="fp32 tf32 bf16 fp16 fp64")
    ap.add_argument("--sizes", nargs="+", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    ap.add_argument("--warmup-seconds", type=float, default=None,
                    help="minimum warm-up per size (default: 1 s on a GPU, none on a CPU; 0.2 s GPU with --quick)")
    args = ap.parse_args(argv)

    import torch

    dev = pick_device(args.device)
    gpu = dev.type in ("cuda", "mps")
    if args.dtypes:
        dtypes = args.dtypes
    elif dev.type == "cuda":
        dtypes = ["fp32", "tf32", "bf16", "fp16"]
    elif dev.type == "mps":
        dtypes = ["fp32", "fp16", "bf16"]
    else:
        dtypes = ["fp32", "bf16", "fp64"]
    if args.sizes:
        sizes = args.sizes
    elif args.quick:
        sizes = [256, 512, 1024] if gpu else [128, 256, 512]
    else:
        sizes = [1024, 2048, 4096, 8192] if gpu else [256, 512, 1024, 2048]
    repeats = args.repeats or (3 if args.quick else 10)
    min_seconds = 0.0 if args.quick else 0.05
    warmup_seconds = args.warmup_seconds
    if warmup_seconds is None and args.quick and gpu:
        warmup_seconds = 0.2

    name = device_name(dev)
    print(f"## {name}\n")
    print(f"torch {torch.__version__}, Python {platform.python_version()}, device {dev}, "
          f"median of {repeats} timed calls after a timed warm-up (until steady)\n")
    rows = []
    for dt in dtypes:
        try:
            rows.extend(benchmark_matmul(dev, dt, sizes, repeats=repeats, warmup=2, min_seconds=min_seconds,
                                         warmup_seconds=warmup_seconds))
        except (RuntimeError, TypeError, ValueError) as exc:  # a precision this device does not support
            print(f"(skipped {dt}: {str(exc).splitlines()[0][:100]})")
    for r in rows:
        r["warmup"] = f"{r['warmup_s']:.2f}" + ("" if r["warmup_steady"] else " (cap)")
    print(markdown_table(rows, ["precision", "size", "seconds", "tflops", "pct_of_peak", "warmup"],
                         ["precision", "n (n×n·n×n)", "median s", "TFLOP/s", "% of dense peak", "warm-up s"],
                         {"seconds": "{:.3e}", "tflops": "{:.2f}", "pct_of_peak": "{:.1f}"}))
    best = max(rows, key=lambda r: r["tflops"]) if rows else None
    if best:
        pct = f" = {best['pct_of_peak']:.1f}% of dense peak" if best["pct_of_peak"] else ""
        print(f"\nbest: {best['tflops']:.2f} TFLOP/s ({best['precision']}, n={best['size']}){pct}")
    bw = benchmark_bandwidth(dev, megabytes=64 if args.quick else None, repeats=repeats,
                             warmup_seconds=warmup_seconds)
    print("\n" + markdown_table([bw], ["bytes", "seconds", "gb_per_s", "pct_of_peak"],
                                ["bytes moved (read+write)", "median s", "GB/s", "% of peak bandwidth"],
                                {"seconds": "{:.3e}", "gb_per_s": "{:.1f}", "pct_of_peak": "{:.1f}"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
