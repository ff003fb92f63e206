"""`course`, the command line: the student's commands live here (they work from a plain `pip install` of the
course package); the instructor's (release, grade, export, …) come from the course repository's `autograder`.

    course check hw04_backprop.ipynb     # your notebook on the public cases: a line per exercise, then k/n
    course doctor                        # Python, torch, the device, widgets, quick mode
    course lab [--instructor]            # JupyterLab on the course (nbgrader's menus only with --instructor)

Errors are one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

STUDENT_COMMANDS = ("check", "doctor", "lab")
NEEDS_REPOSITORY = (
    "it is an instructor command and needs the course repository (the instructor side is not installed here): "
    "clone the course and run `make setup` there"
)


def cmd_check(args) -> int:
    """Self-check a notebook from a terminal: its definitions run here, on the public cases."""
    from course_lib.grading.judge import OutOfTime, time_limit
    from course_lib.grading.notebook import extract_file
    from course_lib.grading.run import define
    from course_lib.grading.selfcheck import check_all, homework_of

    ex = extract_file(args.notebook)
    try:
        with time_limit(60.0):  # imports and definitions only; a class body that never ends is stopped
            ns, errors = define(ex.chunks)
    except OutOfTime:
        print("✗ the notebook's imports and definitions did not finish within 60 s")
        return 1
    for w in ex.warnings + errors:
        print(f"note: {w}")
    hw = homework_of(ex.names + list(ex.broken), str(args.notebook))
    if hw is None:
        print("✗ no homework exercise is defined in this notebook (and its file name names no homework)")
        return 1
    results = check_all(hw, namespace=dict(ns), broken=ex.broken)
    return 0 if results and all(results.values()) else 1


def cmd_doctor(args) -> int:
    """Python, torch, the device, the packages the course uses, quick mode (and, for instructors, isolation)."""
    import platform

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
    try:
        from autograder.sandbox.isolation import describe, detect
    except ImportError:
        print(f"{'instructor side':>14}: not installed (student package)")
    else:
        print(f"{'isolation':>14}: {describe(detect())}")
    return 0


def course_folder() -> Path:
    """The folder `course lab` opens: $COURSE_ROOT, the checkout or bundle holding this package, else here."""
    env = os.environ.get("COURSE_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    return here if (here / "notebooks").is_dir() else Path.cwd()


# nbgrader's instructor menus (formgrader, create assignment, course list): hidden from students.
NBGRADER_LAB = ("@jupyter/nbgrader",)
NBGRADER_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.assignment_list",
                   "nbgrader.server_extensions.course_list", "nbgrader.server_extensions.validate_assignment")


def lab_config_dir(where: Path, instructor: bool = False) -> Path:
    """A Jupyter config folder for `course lab` (put first on JUPYTER_CONFIG_PATH, it overrides what the
    environment sets): notebooks are saved with the course's kernel metadata (course_lib.nbclean.pre_save), so
    opening one leaves git clean; for students, nbgrader's lab and server extensions are switched off."""
    import json

    server: dict = {"FileContentsManager": {"pre_save_hook": "course_lib.nbclean.pre_save"}}
    if not instructor:
        server["ServerApp"] = {"jpserver_extensions": {name: False for name in NBGRADER_SERVER}}
        (where / "labconfig").mkdir(parents=True, exist_ok=True)
        (where / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in NBGRADER_LAB}}, indent=1), encoding="utf-8")
    where.mkdir(parents=True, exist_ok=True)
    (where / "jupyter_server_config.json").write_text(json.dumps(server, indent=1), encoding="utf-8")
    return where


def lab_command(args, config_dir: Path) -> tuple[list[str], dict]:
    """The jupyter lab command line and environment for `course lab`."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={course_folder()}", *args.jupyter_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")  # containers and CI machines run as root
    env = dict(os.environ)
    if args.quick:
        env["COURSE_QUICK"] = "1"
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(config_dir), env.get("JUPYTER_CONFIG_PATH")) if p)
    return cmd, env


def cmd_lab(args) -> int:
    import importlib.util
    import tempfile

    if importlib.util.find_spec("jupyterlab") is None:
        raise RuntimeError("JupyterLab is not installed: pip install 'deep-learning-basics[lab]' (or `make lab` in "
                           "the course repository)")
    with tempfile.TemporaryDirectory(prefix="course-lab-") as tmp:
        cmd, env = lab_command(args, lab_config_dir(Path(tmp), args.instructor))
        return subprocess.call(cmd, env=env)


def add_student_commands(sub) -> None:
    """The student's subcommands, on any `course` parser (the instructor's adds its own beside them)."""
    s = sub.add_parser("lab", help="open JupyterLab on the course (other flags go to jupyter lab)")
    s.add_argument("--quick", action="store_true", help="quick mode: small data, few epochs (COURSE_QUICK=1)")
    s.add_argument("--instructor", action="store_true", help="keep nbgrader's instructor menus")
    s.set_defaults(func=cmd_lab)
    s = sub.add_parser("doctor", help="report Python, torch, device, widgets, Colab, quick mode")
    s.set_defaults(func=cmd_doctor)
    s = sub.add_parser("check", help="self-check YOUR OWN notebook on the public cases (runs its definitions in "
                                     "this process, outside the sandbox: never use it on someone else's code)")
    s.add_argument("notebook")
    s.set_defaults(func=cmd_check)


def build_parser(add_more=None) -> argparse.ArgumentParser:
    """The `course` parser: the student's commands, and `add_more(subparsers)`'s (the instructor's) if given."""
    p = argparse.ArgumentParser(prog="course", description="Deep Learning Basics: course and autograder tools"
                                if add_more else "Deep Learning Basics: the student's commands (the instructor's "
                                                 "need the course repository)")
    sub = p.add_subparsers(dest="command", required=True)
    add_student_commands(sub)
    if add_more is not None:
        add_more(sub)
    return p


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, run the command, and turn any error into one readable line (exit 2)."""
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("course: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one readable line, never a traceback wall
        if os.environ.get("COURSE_DEBUG"):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"course {args.command}: {msg}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """The `course` entry point: the instructor's CLI when the course repository is here, else the student's."""
    import importlib.util

    argv = list(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("autograder") is None:  # a plain install of the course package
        command = next((a for a in argv if not a.startswith("-")), None)
        if command is not None and command not in STUDENT_COMMANDS:
            print(f"course {command}: {NEEDS_REPOSITORY}", file=sys.stderr)
            return 2
        return run(build_parser(), argv)
    from autograder.cli import add_instructor_commands

    return run(build_parser(add_instructor_commands), argv)


if __name__ == "__main__":
    sys.exit(main())
