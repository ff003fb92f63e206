"""How long does `import course_lib` take? Median of fresh interpreters; prints a markdown row.

    python benchmarks/import_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CODE = ("import time; t0 = time.perf_counter(); import course_lib; "
        "import sys; print(time.perf_counter() - t0, 'torch' in sys.modules, 'matplotlib' in sys.modules)")


def measure(runs: int) -> tuple[float, float, bool]:
    inner, wall = [], []
    heavy = False
    for _ in range(runs):
        import time

        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.split()
        wall.append(time.perf_counter() - t0)
        inner.append(float(out[0]))
        heavy |= out[1] == "True" or out[2] == "True"
    return statistics.median(inner), statistics.median(wall), heavy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    inner, wall, heavy = measure(args.runs)
    print("| measure | median |")
    print("|---|---|")
    print(f"| `import course_lib` inside a fresh interpreter | {inner * 1000:.1f} ms |")
    print(f"| `python -c 'import course_lib'` wall time (interpreter start included) | {wall * 1000:.0f} ms |")
    print(f"| torch or matplotlib imported as a side effect | {'yes' if heavy else 'no'} |")


if __name__ == "__main__":
    main()
