"""Every homework (torch ones included) through the exports: the solution scores full marks and the blank
assignment 0 through the Gradescope zip (our engine, as uploaded) and through nbgrader (generate_assignment,
autograde, export), the faster of the two in-kernel tools. Otter is exercised end to end on hw01
(test_interop_otter.py) and on a realistic hw02 class (test_exports_agree.py); here every homework's Otter
master notebook is only checked for its question and test counts (running `otter run` for nine homework would
add about ten minutes)."""

from __future__ import annotations

import csv
import json
import sys

import pytest
from test_interop_support import ROOT, tool

from autograder.interop import gradescope
from autograder.interop import nbgrader as nbg
from autograder.interop import otter as ot
from autograder.interop.common import graded_cases
from course_lib.grading.homework import all_homeworks

pytestmark = pytest.mark.slow

HOMEWORKS = [h.short for h in all_homeworks() if (ROOT / "solutions" / f"{h.name}.ipynb").exists()]


def _pair(hw):
    return {"solution": ROOT / "solutions" / f"{hw.name}.ipynb", "blank": ROOT / "assignments" / f"{hw.name}.ipynb"}


@pytest.mark.parametrize("short", HOMEWORKS)
def test_gradescope_zip_grades_solution_and_blank(short, tmp_path):
    hw = next(h for h in all_homeworks() if h.short == short)
    zip_path = gradescope.export(hw, tmp_path / f"{short}.zip")
    for who, nb in _pair(hw).items():
        r = gradescope.run_local(zip_path, nb, python=sys.executable, root=tmp_path / who)
        want = hw.max_points if who == "solution" else 0.0
        assert r["score"] == pytest.approx(want, abs=1e-6), (short, who, r.get("output"))


@pytest.mark.parametrize("short", HOMEWORKS)
def test_nbgrader_grades_solution_and_blank(short, tmp_path):
    pytest.importorskip("nbgrader")
    hw = next(h for h in all_homeworks() if h.short == short)
    nbg.export(hw, tmp_path)
    tool("nbgrader", "generate_assignment", short, "--create", "--force", cwd=tmp_path)
    released = tmp_path / "release" / short / f"{hw.name}.ipynb"
    for who, nb in _pair(hw).items():
        dest = tmp_path / "submitted" / who / short / f"{hw.name}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nbg.submission_from(released, nb, hw)))
    tool("nbgrader", "autograde", short, "--force", cwd=tmp_path, timeout=900)
    tool("nbgrader", "export", cwd=tmp_path)
    with open(tmp_path / "grades.csv") as f:
        got = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert got["solution"] == pytest.approx(hw.max_points, abs=1e-6), short
    assert got["blank"] == pytest.approx(0.0, abs=1e-6), short


@pytest.mark.parametrize("short", HOMEWORKS)
def test_otter_master_notebook_covers_every_case(short, tmp_path):
    hw = next(h for h in all_homeworks() if h.short == short)
    (master,) = ot.export(hw, tmp_path)
    nb = json.loads(master.read_text())
    tests = [c for c in nb["cells"] if c["cell_type"] == "code" and "BEGIN TEST CONFIG" in c["source"]]
    cases = graded_cases(hw)
    assert len(tests) == sum(len(v) for v in cases.values())
    assert sum("hidden: true" in c["source"] for c in tests) == sum(gc.hidden for v in cases.values() for gc in v)
