"""How far one has to read to follow `course grade` from the command line to grades.csv: the trusted side's
call walk, measured with a profiler hook while grading a small class (every thread, the worker pool included).

    python benchmarks/grade_walk.py            # one submission, one worker: the path one reads to follow it

Counts, over the calls made in autograder/ from the moment the `grade` command starts (argument parsing,
imports' module bodies, comprehensions and lambdas are not counted; course_lib's kernel and the sandbox's own
process are not counted either):
- files: distinct autograder source files entered;
- functions: distinct (file, function) pairs called;
- returns: how often the walk enters a file it had already left (per thread, the sequence of files of successive
  calls, one entry per change of file; a file seen before counts once each time it comes back).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1)
    args = ap.parse_args()
    pkg = str(ROOT / "autograder")
    seqs: dict[int, list[str]] = {}
    funcs: set[tuple[str, str]] = set()
    lock = threading.Lock()

    started = [False]
    skip = {"<module>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"}

    def hook(frame, event, arg):
        if event != "call":
            return
        f, name = frame.f_code.co_filename, frame.f_code.co_name
        if name in ("cmd_grade", "grade_command"):
            started[0] = True
        if not started[0] or not f.startswith(pkg) or name in skip:
            return
        rel = str(Path(f).relative_to(ROOT))
        with lock:
            funcs.add((rel, name))
            seq = seqs.setdefault(threading.get_ident(), [])
            if not seq or seq[-1] != rel:
                seq.append(rel)

    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        for i in range(args.students):
            shutil.copy(ROOT / "solutions" / "hw01_gradient_descent.ipynb", subs / f"s{i}.ipynb")
        from course_lib.cli import main as course

        argv = ["grade", "hw01", str(subs), "--out", str(Path(tmp) / "out"), "--workers", "1",
                "--hidden-seed", "walk"]
        threading.setprofile(hook)
        sys.setprofile(hook)
        try:
            rc = course(argv)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
    seen: set[str] = set()
    returns = 0
    for seq in seqs.values():
        mine: set[str] = set()
        for f in seq:
            returns += f in mine
            mine.add(f)
        seen |= mine
    print(f"exit {rc}: {len(seen)} files, {len(funcs)} functions, {returns} returns to a file already left")
    for f in sorted(seen):
        print(f"  {f}: {len({fn for ff, fn in funcs if ff == f})} functions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
