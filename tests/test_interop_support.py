"""Shared by the interop tests: the sample class graded by `course grade` (once per run), and cheap checks."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
STUDENTS = ("correct", "partial", "blank")
BIN = Path(sys.executable).parent


def tool_env() -> dict[str, str]:
    """Environment for the real tools: this venv's scripts first, quick mode, no display."""
    env = dict(os.environ, COURSE_QUICK="1", COURSE_OFFLINE="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")  # the tools run kernels side by side on small machines
    env.pop("COURSE_ROOT", None)
    return env


def tool(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run an installed CLI (nbgrader, otter) from this venv; fail with its output's tail."""
    exe = BIN / args[0]
    if not exe.exists():
        pytest.skip(f"{args[0]} is not installed in this environment")
    out = subprocess.run([str(exe), *args[1:]], cwd=cwd, env=tool_env(), capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, f"{' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


@lru_cache(maxsize=1)
def our_grades() -> dict[str, dict[str, float]]:
    """`course grade hw01` on the correct, partial and blank samples: student -> grades.csv row (numbers)."""
    tmp = Path(tempfile.mkdtemp(prefix="interop-ours-"))
    subs = tmp / "subs"
    subs.mkdir()
    for s in STUDENTS:
        (subs / f"{s}.ipynb").write_bytes((SAMPLES / f"{s}.ipynb").read_bytes())
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "hw01", str(subs), "--out",
                          str(tmp / "out"), "--workers", "2", "--allow-weak-isolation"],
                         cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    with open(tmp / "out" / "grades.csv") as f:
        return {r["student"]: {k: float(v) for k, v in r.items() if k != "student"} for r in csv.DictReader(f)}


def test_sample_class_scores_differ():
    """The three samples must score differently, or agreement between tools would prove little."""
    g = our_grades()
    assert g["correct"]["total"] == g["correct"]["max_total"] == 10
    assert g["blank"]["total"] == 0
    assert 0 < g["partial"]["total"] < 10


def test_cli_lists_exports():
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "export", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for target in ("nbgrader", "otter", "gradescope"):
        assert target in out.stdout


def test_test_cells_use_course_checks_and_plain_data():
    from autograder.hidden import hidden_cases
    from autograder.interop.common import graded_cases, test_code
    from course_lib.grading.homework import load_homework

    hw = load_homework("hw01")
    cases = graded_cases(hw)
    for ex in hw.exercises:
        got = cases[ex.name]
        assert len(got) == len(ex.public) + len(hidden_cases(hw, ex, "deep-learning-basics"))
        assert abs(sum(c.points for c in got) - ex.points) < 1e-9
        assert [c.hidden for c in got] == sorted(c.hidden for c in got)  # public first
    src = test_code(cases["ols_closed_form"][-1])
    assert "course_lib.grading.judge" in src and "pickle" not in src
    compile(src, "<test>", "exec")
    assert "values differ" not in src  # hidden failure messages carry no values
    json.loads(eval(src.split("_c = _ld(", 1)[1].split("\n", 1)[0][:-1]))  # the embedded case is plain JSON
