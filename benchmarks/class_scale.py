"""`course grade` at class scale: N copies of the hw01 solution graded with 2 workers, in this process; prints
the wall time, the time per submission and the trusted process's peak resident memory (VmHWM: the grading
process itself; the sandboxes are other processes).

    python benchmarks/class_scale.py --students 1000 [--workers 2]

Runs against this checkout's `course grade`; it also drives the flat layout of earlier releases
(autograder.batch.run_grade), so a checkout of an older commit can be measured the same way, back to back:
    PYTHONPATH=/path/to/old/checkout python benchmarks/class_scale.py --students 1000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grader():
    """A function (submissions, out) -> report for the `course grade` of whichever layout is importable."""
    try:
        from autograder.cli.grade import GradeOptions, run_grade
        from autograder.quizzes import load_assignment

        return lambda subs, out, workers: run_grade(load_assignment("hw01"), GradeOptions(
            subs, out, workers=workers, seed="bench", progress=False))
    except ImportError:  # the flat layout before the autograder was grouped by phase
        from autograder.batch import run_grade

        from course_lib.grading.homework import load_homework

        return lambda subs, out, workers: run_grade(load_homework("hw01"), subs, out, workers=workers,
                                                    seed="bench", progress=False)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    import autograder

    grade = grader()
    with tempfile.TemporaryDirectory(prefix="class-scale-") as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        solution = ROOT / "solutions" / "hw01_gradient_descent.ipynb"
        for i in range(args.students):
            shutil.copy(solution, subs / f"student{i:04d}.ipynb")
        t0 = time.perf_counter()
        rep = grade(subs, Path(tmp) / "out", args.workers)
        wall = time.perf_counter() - t0
    print(f"autograder from {Path(autograder.__file__).parent}")
    print(f"class of {args.students}, {args.workers} workers: {wall:.1f} s wall, "
          f"{wall / args.students:.3f} s per submission, trusted-side peak RSS {peak_rss_mb():.0f} MB; "
          f"{rep.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
