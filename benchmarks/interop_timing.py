"""Time each grading path for one class of hw01 submissions (copies of the bundled samples).

    .venv/bin/python benchmarks/interop_timing.py [--students 20] [--paths ours,nbgrader,otter,gradescope]

Paths, each timed from collected submissions to scores (exports done beforehand, not timed):
- ours:       `course grade hw01 SUBS --out OUT --workers 2` (sandboxed, hidden cases)
- nbgrader:   `nbgrader autograde hw01` then `nbgrader export` in an exported course directory
- otter:      `otter run -a <autograder zip> <submission>` once per student (Otter's local, non-docker grader)
- gradescope: the exported zip's `run_autograder` once per student, in a folder laid out like /autograder
              (Gradescope runs one container per submission; here they run one after another)

Prints a markdown table (total seconds, seconds per submission, mean score) and checks that every path gives
the same scores as `course grade`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
KINDS = ("correct", "partial", "blank")
HW, NAME = "hw01", "hw01_gradient_descent"
BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    e = dict(os.environ, COURSE_QUICK="1", COURSE_OFFLINE="1", MPLBACKEND="Agg")
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e.pop("COURSE_ROOT", None)
    return e


def sh(cmd: list[str], cwd: Path, extra: dict | None = None) -> None:
    out = subprocess.run(cmd, cwd=cwd, env={**env(), **(extra or {})}, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}")


SOURCES = {k: SAMPLES / f"{k}.ipynb" for k in KINDS}  # kind -> notebook each student of that kind submits
EXTRA_CELLS: list[str] = []  # appended to every converted submission (--realistic: a torch training cell)


def make_realistic(work: Path) -> None:
    """Every student submits the solution with its demo cells plus a torch training cell (benchmarks/grading.py)."""
    import nbformat
    from benchmarks_grading import TRAINING_CELL  # type: ignore[import-not-found]

    nb = nbformat.read(str(ROOT / "solutions" / f"{NAME}.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(TRAINING_CELL))
    path = work / "realistic.ipynb"
    nbformat.write(nb, str(path))
    for k in KINDS:
        SOURCES[k] = path
    EXTRA_CELLS.append(TRAINING_CELL)


def _with_extra(nb: dict) -> dict:
    for i, src in enumerate(EXTRA_CELLS):
        nb["cells"].append({"cell_type": "code", "id": f"extra-{i}", "metadata": {}, "execution_count": None,
                            "outputs": [], "source": src})
    return nb


def class_of(n: int) -> dict[str, str]:
    """student id -> sample kind, cycling correct/partial/blank."""
    return {f"s{i:02d}_{KINDS[i % 3]}": KINDS[i % 3] for i in range(n)}


def time_ours(work: Path, students: dict[str, str]) -> tuple[float, dict[str, float]]:
    subs = work / "subs"
    subs.mkdir()
    for sid, kind in students.items():
        shutil.copy(SOURCES[kind], subs / f"{sid}.ipynb")
    t0 = time.perf_counter()
    sh([sys.executable, "-m", "course_lib.cli", "grade", HW, str(subs), "--out", str(work / "out"),
        "--workers", "2", "--allow-weak-isolation"], ROOT)
    dt = time.perf_counter() - t0
    with open(work / "out" / "grades.csv") as f:
        return dt, {r["student"]: float(r["total"]) for r in csv.DictReader(f)}


def time_nbgrader(work: Path, students: dict[str, str]) -> tuple[float, dict[str, float]]:
    from autograder.interop import nbgrader as nbg

    nbg.export(HW, work)
    sh(["nbgrader", "generate_assignment", HW, "--create", "--force"], work)
    released = work / "release" / HW / f"{NAME}.ipynb"
    for sid, kind in students.items():
        dest = work / "submitted" / sid / HW / f"{NAME}.ipynb"
        dest.parent.mkdir(parents=True)
        dest.write_text(json.dumps(_with_extra(nbg.submission_from(released, SOURCES[kind], HW))))
    t0 = time.perf_counter()
    sh(["nbgrader", "autograde", HW, "--force"], work)
    sh(["nbgrader", "export"], work)
    dt = time.perf_counter() - t0
    with open(work / "grades.csv") as f:
        return dt, {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}


def time_otter(work: Path, students: dict[str, str]) -> tuple[float, dict[str, float]]:
    from autograder.interop import otter as ot
    from autograder.interop.common import fill_from_submission
    from course_lib.grading.homework import load_homework
    from course_lib.grading.notebook import read_notebook

    (master,) = ot.export(HW, work / "master")
    sh(["otter", "assign", str(master), str(work / "dist")], work)
    (zip_path,) = sorted((work / "dist" / "autograder").glob("*.zip"))
    student_nb = read_notebook(work / "dist" / "student" / f"{NAME}.ipynb")
    hw = load_homework(HW)
    for sid, kind in students.items():
        (work / "subs" / sid).mkdir(parents=True)
        nb = _with_extra(fill_from_submission(student_nb, read_notebook(SOURCES[kind]), hw))
        (work / "subs" / sid / f"{NAME}.ipynb").write_text(json.dumps(nb))
    t0 = time.perf_counter()
    for sid in students:
        d = work / "subs" / sid
        sh(["otter", "run", "-a", str(zip_path), "-o", str(d), "--no-logo", str(d / f"{NAME}.ipynb")], d)
    dt = time.perf_counter() - t0
    scores = {}
    for sid in students:
        r = json.loads((work / "subs" / sid / "results.json").read_text())
        scores[sid] = sum(t["score"] for t in r["tests"] if t.get("max_score") is not None)
    return dt, scores


def time_gradescope(work: Path, students: dict[str, str]) -> tuple[float, dict[str, float]]:
    from autograder.interop import gradescope as gs

    zip_path = gs.export(HW, work / "autograder.zip")
    t0 = time.perf_counter()
    scores = {}
    for sid, kind in students.items():
        scores[sid] = float(gs.run_local(zip_path, SOURCES[kind], root=work / sid)["score"])
    return time.perf_counter() - t0, scores


PATHS = {
    "ours": ("`course grade hw01 SUBS --workers 2`", time_ours),
    "nbgrader": ("`nbgrader autograde hw01` + `nbgrader export`", time_nbgrader),
    "otter": ("`otter run -a ZIP SUB` per student (no docker)", time_otter),
    "gradescope": ("exported `run_autograder` per student", time_gradescope),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--paths", default=",".join(PATHS))
    p.add_argument("--realistic", action="store_true",
                   help="every student submits the full solution notebook with demo cells and a torch training cell")
    args = p.parse_args(argv)
    if args.realistic:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        sys.modules["benchmarks_grading"] = __import__("grading")
        make_realistic(Path(tempfile.mkdtemp(prefix="interop-realistic-")))
    os.environ.update({k: v for k, v in env().items() if k.startswith("COURSE") or k == "MPLBACKEND"})
    students = class_of(args.students)
    rows, reference = [], None
    for name in args.paths.split(","):
        what, fn = PATHS[name]
        work = Path(tempfile.mkdtemp(prefix=f"interop-{name}-"))
        try:
            dt, scores = fn(work, students)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if name == "ours":
            reference = scores
        agree = "n/a" if reference is None else (
            "yes" if all(abs(scores.get(s, -1) - reference[s]) < 1e-6 for s in students) else "NO")
        mean = sum(scores.values()) / max(len(scores), 1)
        rows.append((name, what, dt, dt / len(students), mean, agree))
        print(f"{name}: {dt:.1f} s", file=sys.stderr, flush=True)
    what = "realistic notebooks: demo cells + torch training" if args.realistic else "copies of correct/partial/blank"
    print(f"\nhw01, class of {len(students)} ({what}), {os.cpu_count()} CPU cores\n")
    print("| path | command | total s | s / submission | mean score | same scores as ours |")
    print("|---|---|---:|---:|---:|---|")
    for name, what, dt, per, mean, agree in rows:
        print(f"| {name} | {what} | {dt:.1f} | {per:.2f} | {mean:.2f} | {agree} |")
    return 0 if all(r[5] != "NO" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
