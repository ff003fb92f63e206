"""Grading speed, side by side on the same realistic submissions: `course grade` vs nbgrader vs otter-grader.

Realistic = the hw01 solution notebook with its demo cells plus a cell that imports torch and trains a small
MLP (what students' notebooks look like). Prints markdown tables for docs/benchmarks.md.

    python benchmarks/grading.py [--class-size 100] [--external 5] [--breakdown]

--breakdown adds where a warm worker's time goes: per job (public, hidden), the trusted side's share per
submission, compiling the submission (AST path vs source), and forking and ending a process that holds the
preloaded libraries, with and without huge pages (autograder/sandbox/zygote.py, _huge_pages).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "hw01_gradient_descent.ipynb"
TRAINING_CELL = '''import torch
from course_lib.data import moons
X, y = moons(400, seed=0)
Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(300):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(Xt), yt)
    loss.backward()
    opt.step()
print("demo training loss", float(loss))
'''


def make_class(dest: Path, n: int) -> list[Path]:
    nb = nbformat.read(str(SOLUTION), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(TRAINING_CELL))
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = dest / f"student{i:03d}.ipynb"
        nbformat.write(nb, str(p))
        paths.append(p)
    return paths


def course_per_submission(paths: list[Path]) -> list[float]:
    """Per-submission grading time with a warm worker (what each extra student costs)."""
    from autograder.grade.pool import preload_for
    from autograder.grade.reference import ExpectedCache
    from autograder.grade.submission import grade_one
    from autograder.model import Submission
    from autograder.sandbox.runner import SandboxRunner
    from course_lib.grading.homework import load_homework

    hw = load_homework("hw01")
    expected = ExpectedCache(hw, "bench", True)
    for ex in hw.exercises:
        expected.get(ex)
    times = []
    with SandboxRunner(preload=preload_for(hw)) as runner:
        for p in paths:
            t0 = time.perf_counter()
            res = grade_one(hw, Submission(p.stem, p), runner, expected)
            times.append(time.perf_counter() - t0)
            assert res.total == res.max_total, res
    return times


# Fork and end a process holding the preloaded libraries, 30 times, before and after backing them by huge pages.
FORK_PROBE = """
import gc, os, statistics, sys, time
sys.path.insert(0, {root!r})
for m in {modules!r}:
    __import__(m)
gc.collect()
gc.freeze()
from autograder.sandbox.linux import huge_pages


def cost():
    out = []
    for _ in range(30):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


small = cost()
huge_pages()
print(small, cost())
"""


def breakdown(paths: list[Path]) -> list[str]:
    """Where the per-submission time goes, measured from outside the sandbox (the sandbox code is not touched)."""
    import ast

    from autograder.grade.pool import preload_for
    from autograder.grade.reference import ExpectedCache
    from autograder.grade.submission import grade_one
    from autograder.model import Submission
    from autograder.sandbox.runner import SandboxRunner
    from course_lib.grading.homework import load_homework
    from course_lib.grading.notebook import compile_chunk, extract_file

    hw = load_homework("hw01")
    expected = ExpectedCache(hw, "bench", True)
    for ex in hw.exercises:
        expected.get(ex)
    jobs, trusted = [], []
    with SandboxRunner(preload=preload_for(hw)) as runner:
        real = runner.run

        def timed_run(*args, **kwargs):
            t0 = time.perf_counter()
            out = real(*args, **kwargs)
            jobs.append((bool(kwargs.get("hidden")), time.perf_counter() - t0))
            return out

        runner.run = timed_run
        for p in paths:
            before = len(jobs)
            t0 = time.perf_counter()
            grade_one(hw, Submission(p.stem, p), runner, expected)
            trusted.append(time.perf_counter() - t0 - sum(t for _, t in jobs[before:]))
    med = statistics.median
    chunks = extract_file(paths[0]).chunks

    def ast_path(chunk):
        tree = ast.parse(chunk[1], filename=f"<{chunk[0]}>")
        ast.increment_lineno(tree, int(chunk[2]) - 1)
        return compile(tree, f"<{chunk[0]}>", "exec")

    def per_submission(fn):
        t0 = time.perf_counter()
        for _ in range(20):
            for c in chunks:
                fn(c)
        return (time.perf_counter() - t0) / 20

    probe = FORK_PROBE.format(root=str(ROOT), modules=list(preload_for(hw)))
    fork = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    small_pages, huge_pages = (float(x) for x in fork.stdout.split())
    return [
        "| where (warm worker, hw01, median) | time |", "|---|---:|",
        f"| one public job (runner.run, trusted side) | {med([t for h, t in jobs if not h]) * 1e3:.1f} ms |",
        f"| one hidden job | {med([t for h, t in jobs if h]) * 1e3:.1f} ms |",
        f"| trusted side per submission (extraction, judging, scoring) | {med(trusted) * 1e3:.1f} ms |",
        f"| compiling the submission, AST path (before) / from source (compile_chunk) | "
        f"{per_submission(ast_path) * 1e3:.1f} / {per_submission(compile_chunk) * 1e3:.1f} ms |",
        f"| fork + exit of a process holding the preload, small pages / huge pages | "
        f"{small_pages * 1e3:.1f} / {huge_pages * 1e3:.1f} ms |",
    ]


def course_class(class_dir: Path, workers: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", "hw01", str(class_dir), "--out", str(out),
                    "--workers", str(workers)], check=True, capture_output=True)
    dt = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    return dt


def nbgrader_times(paths: list[Path]) -> list[float] | None:
    try:
        from autograder.interop import nbgrader as nbg
    except ImportError:
        return None
    return nbg.benchmark_autograde(paths) if hasattr(nbg, "benchmark_autograde") else None


def otter_times(paths: list[Path]) -> list[float] | None:
    try:
        from autograder.interop import otter
    except ImportError:
        return None
    return otter.benchmark_run(paths) if hasattr(otter, "benchmark_run") else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--class-size", type=int, default=100)
    ap.add_argument("--external", type=int, default=5, help="submissions timed with nbgrader and otter")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--breakdown", action="store_true", help="also print where the per-submission time goes")
    args = ap.parse_args()
    os.environ.setdefault("COURSE_QUICK", "1")
    tmp = Path(tempfile.mkdtemp(prefix="bench-class-"))
    paths = make_class(tmp / "class", args.class_size)
    ours = course_per_submission(paths[: max(10, args.external)])
    ours_med = statistics.median(ours)
    class_s = course_class(tmp / "class", args.workers)
    nbg = nbgrader_times(paths[: args.external])
    ott = otter_times(paths[: args.external])
    print(f"machine: {os.cpu_count()} cores; {args.class_size} submissions; torch imported and trained in each")
    print()
    print("| grader | median per submission | vs course grade |")
    print("|---|---|---|")
    print(f"| `course grade` (warm worker, sandboxed) | {ours_med:.3f} s | 1× |")
    for name, times in (("`nbgrader autograde`", nbg), ("`otter run`", ott)):
        if times:
            med = statistics.median(times)
            print(f"| {name} | {med:.2f} s | {med / ours_med:.1f}× slower |")
        else:
            print(f"| {name} | see benchmarks/interop_timing.py --realistic | |")
    print()
    print(f"`course grade hw01` on a class of {args.class_size} with {args.workers} workers: "
          f"{class_s:.1f} s wall (start-up, reference, sandbox, exports included)")
    if args.breakdown:
        print()
        print("\n".join(breakdown(paths[: max(10, args.external)])))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
