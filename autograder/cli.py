"""`course`: lab, doctor, release, check, grade (and exports). Errors are one readable line, exit 2."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def cmd_lab(args) -> int:
    from autograder.paths import course_root

    cmd = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={course_root()}", *args.jupyter_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")  # containers and CI machines run as root
    return subprocess.call(cmd)


def cmd_doctor(args) -> int:
    import platform

    from autograder.sandbox.isolation import describe, detect

    print(f"{'python':>14}: {platform.python_version()} ({sys.executable})")
    try:
        import torch

        from course_lib.device import in_colab, pick_device

        dev = pick_device()
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type
        print(f"{'torch':>14}: {torch.__version__}")
        print(f"{'device':>14}: {dev} ({name})")
        print(f"{'colab':>14}: {in_colab()}")
    except ImportError:
        print(f"{'torch':>14}: not installed")
    for mod in ("numpy", "ipywidgets", "matplotlib", "jupyterlab", "nbgrader", "otter"):
        try:
            m = __import__(mod)
            print(f"{mod:>14}: {getattr(m, '__version__', '?')}")
        except ImportError:
            print(f"{mod:>14}: not installed")
    print(f"{'quick mode':>14}: {os.environ.get('COURSE_QUICK', '0')}")
    print(f"{'isolation':>14}: {describe(detect())}")
    return 0


def cmd_release(args) -> int:
    from autograder import release
    from course_lib.grading.homework import load_homework

    planned = release.plan([load_homework(h) for h in args.homeworks] or None)
    if args.check:
        bad = release.stale(planned)
        if bad:
            print("stale (run `course release`): " + ", ".join(str(p) for p in bad))
            return 1
        print(f"up to date: {len(planned)} generated files")
        return 0
    written = release.write(planned)
    print(f"released {len({p.path.stem for p in planned if p.kind == 'cases'})} homework(s); "
          f"{len(written)} of {len(planned)} generated file(s) changed")
    if args.to:
        dest = release.bundle(Path(args.to))
        print(f"student bundle written to {dest}")
    return 0


def cmd_check(args) -> int:
    """Self-check a student notebook from a terminal: run its definitions here on the public cases."""
    from autograder.notebook import extract_file
    from course_lib.grading.run import define
    from course_lib.grading.selfcheck import check, exercise_index

    ex = extract_file(args.notebook)
    ns, errors = define(ex.chunks)
    for w in ex.warnings + errors:
        print(f"note: {w}")
    names = [n for n in exercise_index() if n in ns]
    if not names:
        print("no homework exercise is defined in this notebook")
        return 1
    ok = [check(n, namespace=dict(ns)) for n in names]
    return 0 if all(ok) else 1


def cmd_grade(args) -> int:
    from autograder.batch import run_grade
    from course_lib.grading.homework import load_homework

    hw = load_homework(args.assignment)
    rep = run_grade(hw, args.submissions, args.out, workers=args.workers, db=args.db, regrade=args.regrade,
                      seed=args.hidden_seed, allow_weak=args.allow_weak_isolation,
                      include_hidden=not args.public_only)
    print(rep.table)
    if rep.collect_report:
        print(f"collecting: {len(rep.collect_report)} note(s) (also in {Path(args.out) / 'collect.txt'}):",
              file=sys.stderr)
        for line in rep.collect_report[:50]:
            print(f"  {line}", file=sys.stderr)
    print(rep.summary())
    print(f"wrote {Path(args.out) / 'grades.csv'}")
    if rep.missing:
        print(f"course grade: {len(rep.missing)} submission(s) have no recorded result; run again to resume",
              file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course", description="Deep Learning Basics: course and autograder tools")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("lab", help="open JupyterLab on the course (other flags go to jupyter lab)")
    s.set_defaults(func=cmd_lab)
    s = sub.add_parser("doctor", help="report Python, torch, device, widgets, Colab, isolation")
    s.set_defaults(func=cmd_doctor)
    s = sub.add_parser("release", help="regenerate assignments/ and public cases from solutions/")
    s.add_argument("homeworks", nargs="*", help="only these (hw01 ...); default: all")
    s.add_argument("--check", action="store_true", help="fail if assignments/ or public cases are stale")
    s.add_argument("--to", metavar="DIR", help="also write a student bundle (no solutions, no hidden cases)")
    s.set_defaults(func=cmd_release)
    s = sub.add_parser("check", help="self-check YOUR OWN notebook on the public cases (runs its definitions in "
                                     "this process, outside the sandbox: never use it on someone else's code)")
    s.add_argument("notebook")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("grade", help="grade a class of submissions")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent")
    s.add_argument("submissions", help="folder (or zip) of <student>.ipynb files or <student>/ folders")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--regrade", action="store_true", help="grade again submissions already in the gradebook")
    s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")
    s.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade hidden cases even without Linux namespaces")
    s.add_argument("--public-only", action="store_true", help="grade public cases only")
    s.set_defaults(func=cmd_grade)
    try:
        from autograder.interop import add_export_parser

        add_export_parser(sub)
    except ImportError:
        pass
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("course: interrupted; graded results are saved in the gradebook", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one readable line, never a traceback wall
        if os.environ.get("COURSE_DEBUG"):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"course {args.command}: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
