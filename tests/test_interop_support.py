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
from conftest import ROOT, TOOLS, sample_class

STUDENTS = ("correct", "partial", "blank")
BIN = Path(sys.executable).parent


def nbgrader_kernel_args() -> list[str]:
    """For `nbgrader autograde`: its kernels listen on Unix sockets of their own, not on TCP ports that a kernel
    started at the same moment by another process (otter, another nbgrader, another test run on the machine) can
    take first. That race made `nbgrader autograde` fail now and then with "There was an error processing
    assignment 'hw02' for student 'helpers'" (tools/run_notebook.py's docstring has the measurement)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    from run_notebook import ipc_kernel_args

    return ipc_kernel_args()


# The first lines of a script that runs `otter run` in-process: its kernels on Unix sockets of their own too.
OTTER_KERNELS = (f"import sys\nsys.path.insert(0, {str(TOOLS)!r})\nfrom run_notebook import use_ipc_kernels\n"
                 "use_ipc_kernels()\n")


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
    subs = sample_class(tmp / "subs", STUDENTS)
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", "hw01", str(subs), "--out",
                          str(tmp / "out"), "--workers", "2", "--allow-weak-isolation"],
                         cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    with open(tmp / "out" / "grades.csv") as f:
        return {r["student"]: {k: float(v) for k, v in r.items() if k not in ("student", "status")}
                for r in csv.DictReader(f)}


def test_sample_class_scores_differ():
    """The three samples must score differently, or agreement between tools would prove little."""
    g = our_grades()
    assert g["correct"]["total"] == g["correct"]["max_total"] == 10
    assert g["blank"]["total"] == 0
    assert 0 < g["partial"]["total"] < 10


def test_cli_lists_exports():
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", "export", "--help"], cwd=ROOT,
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


# -- shared by test_exports_agree.py and test_interop_all_homeworks.py: the tools as an instructor runs them ---------

class Jobs:
    """Independent tool runs queued up front on a few threads (each waits on a subprocess): a test asks for its
    own result and the machine's cores stay busy meanwhile. A job that needs another's result takes it from
    `result(key)`; queue such a dependency before the job that needs it (the queue is first in, first out)."""

    def __init__(self, workers: int = min(2, os.cpu_count() or 1)):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="interop")
        self.futures: dict = {}
        self.seconds: dict = {}

    def add(self, key, fn, *args) -> None:
        import time

        def timed():
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.seconds[key] = time.perf_counter() - t0

        self.futures[key] = self.pool.submit(timed)

    def result(self, key):
        if key not in self.futures:
            pytest.skip(f"{key} was not queued (its test was not selected)")
        return self.futures[key].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.seconds:
            print("\njob seconds: " + ", ".join(f"{k}={v:.0f}" for k, v in sorted(self.seconds.items(),
                                                                                  key=lambda kv: -kv[1])))


def selected_params(session, module: str, name: str) -> dict[str, set]:
    """For the collected tests of `module` (a file name): test function -> the values of parameter `name`."""
    out: dict[str, set] = {}
    for item in session.items:
        if Path(str(item.fspath)).name == module and hasattr(item, "callspec") and name in item.callspec.params:
            out.setdefault(item.originalname, set()).add(item.callspec.params[name])
    return out


def otter_assign(hw, dest: Path) -> tuple[Path, dict]:
    """`course export otter` then `otter assign`: the autograder zip and the student notebook students fill."""
    from autograder.interop import otter as ot
    from course_lib.grading.notebook import read_notebook

    (master,) = ot.export(hw, dest / "master")
    tool("otter", "assign", str(master), str(dest / "dist"), cwd=dest)
    (zip_path,) = sorted((dest / "dist" / "autograder").glob("*.zip"))
    return zip_path, read_notebook(dest / "dist" / "student" / f"{hw.name}.ipynb")


def otter_run(zip_path: Path, template: dict, hw, submissions: dict[str, Path], dest: Path) -> dict[str, dict]:
    """`otter run` (otter.run.main, one interpreter for all: otter's import costs seconds) on each course-format
    submission, converted as a student of the Otter course would have filled it (fill_from_submission).
    Returns student -> {"total", "exercises" (question -> score), "seconds" (that notebook's run)}."""
    from autograder.interop.common import fill_from_submission
    from course_lib.grading.notebook import read_notebook

    args = [str(zip_path)]
    for s, nb in submissions.items():
        folder = dest / s
        folder.mkdir(parents=True, exist_ok=True)
        filled = fill_from_submission(template, read_notebook(nb), hw)
        (folder / f"{hw.name}.ipynb").write_text(json.dumps(filled))
        args += [str(folder / f"{hw.name}.ipynb"), str(folder)]
    script = (OTTER_KERNELS + "import sys, time\nfrom otter.run import main\n"
              "for sub, out in zip(sys.argv[2::2], sys.argv[3::2]):\n"
              "    t0 = time.perf_counter()\n"
              "    main(sub, autograder=sys.argv[1], output_dir=out, no_logo=True)\n"
              "    open(out + '/seconds.txt', 'w').write(str(time.perf_counter() - t0))\n")
    tool("python", "-c", script, *args, cwd=dest, timeout=1500)
    out = {}
    for s in submissions:
        r = json.loads((dest / s / "results.json").read_text())
        scored = {t["name"]: float(t["score"]) for t in r["tests"] if t.get("max_score") is not None}
        out[s] = {"total": sum(scored.values()), "exercises": scored,
                  "seconds": float((dest / s / "seconds.txt").read_text())}
    return out


def nbgrader_grade(hw, submissions: dict[str, Path], course: Path) -> dict[str, float]:
    """`course export nbgrader`, generate_assignment, each course-format submission converted into nbgrader's form
    (submission_from), autograde and export: student -> total."""
    from autograder.interop import nbgrader as nbg

    nbg.export(hw, course)
    tool("nbgrader", "generate_assignment", hw.short, "--create", "--force", cwd=course)
    released = course / "release" / hw.short / f"{hw.name}.ipynb"
    for s, nb in submissions.items():
        dest = course / "submitted" / s / hw.short / f"{hw.name}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nbg.submission_from(released, nb, hw)))
    tool("nbgrader", "autograde", hw.short, "--force", *nbgrader_kernel_args(), cwd=course, timeout=1500)
    tool("nbgrader", "export", cwd=course)
    with open(course / "grades.csv") as f:
        got = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    return {s: got[s] for s in submissions}


def gradescope_run(zip_path: Path, submission: Path, root: Path) -> dict:
    """The Gradescope zip's run_autograder on one notebook, laid out as in the container: its results.json."""
    from autograder.interop import gradescope

    return gradescope.run_local(zip_path, submission, python=sys.executable, root=root)
