"""Every homework (torch ones included) through the three exports end to end: the solution scores full marks and
the blank assignment 0 through the Gradescope zip (our engine, as uploaded), through nbgrader (generate_assignment,
autograde, export) and through Otter (otter assign, then `otter run` on both notebooks as an Otter student would
have filled them). hw02, hw05 and hw08 are not repeated here: test_exports_agree.py grades a realistic class of each
(its correct and blank students are the solution and the assignment) through all of those paths and `course grade`;
nor are hw04, hw07 and hw09: test_heldout_classes.py does the same for them (its `correct` and `blank` students).
Every homework's Otter master notebook is also checked for its question and test counts. The runs are queued at
once on two workers (`Jobs`); each test waits for its own.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from test_interop_support import (
    Jobs,
    gradescope_run,
    nbgrader_grade,
    otter_assign,
    otter_run,
    selected_params,
)

from autograder.interop import gradescope
from autograder.interop import otter as ot
from autograder.interop.common import graded_cases
from course_lib.grading.homework import all_homeworks

pytestmark = pytest.mark.slow

HOMEWORKS = [h.short for h in all_homeworks() if (ROOT / "solutions" / f"{h.name}.ipynb").exists()]
IN_CLASSES = ("hw02", "hw05", "hw08", "hw04", "hw07", "hw09")  # classes: test_exports_agree, test_heldout_classes
END_TO_END = [h for h in HOMEWORKS if h not in IN_CLASSES]


def _hw(short):
    return next(h for h in all_homeworks() if h.short == short)


def _pair(hw):
    return {"solution": ROOT / "solutions" / f"{hw.name}.ipynb", "blank": ROOT / "assignments" / f"{hw.name}.ipynb"}


def _gradescope(hw, dest):
    zip_path = gradescope.export(hw, dest / f"{hw.short}.zip")
    return {who: gradescope_run(zip_path, nb, dest / who) for who, nb in _pair(hw).items()}


@pytest.fixture(scope="module")
def jobs(request, tmp_path_factory):
    """The runs of the selected tests, queued longest first (Otter's assign before its runs) on two workers."""
    root = tmp_path_factory.mktemp("all-homeworks")
    wanted = selected_params(request.session, "test_interop_all_homeworks.py", "short")
    pool = Jobs()
    otter = [h for h in END_TO_END if h in wanted.get("test_otter_grades_solution_and_blank", ())]
    for short in otter:
        pool.add((short, "otter-assign"), otter_assign, _hw(short), root / short / "otter")

    def otter_both(short):
        zip_path, template = pool.result((short, "otter-assign"))
        return otter_run(zip_path, template, _hw(short), _pair(_hw(short)), root / short / "otter-run")

    for short in otter:
        pool.add((short, "otter"), otter_both, short)
    for short in END_TO_END:
        if short in wanted.get("test_nbgrader_grades_solution_and_blank", ()):
            pool.add((short, "nbgrader"), nbgrader_grade, _hw(short), _pair(_hw(short)), root / short / "nbgrader")
    for short in END_TO_END:
        if short in wanted.get("test_gradescope_zip_grades_solution_and_blank", ()):
            pool.add((short, "gradescope"), _gradescope, _hw(short), root / short / "gradescope")
    yield pool
    pool.close()


@pytest.mark.parametrize("short", END_TO_END)
def test_gradescope_zip_grades_solution_and_blank(jobs, short):
    hw = _hw(short)
    got = jobs.result((short, "gradescope"))
    assert got["solution"]["score"] == pytest.approx(hw.max_points, abs=1e-6), got["solution"].get("output")
    assert got["blank"]["score"] == pytest.approx(0.0, abs=1e-6), got["blank"].get("output")


@pytest.mark.parametrize("short", END_TO_END)
def test_nbgrader_grades_solution_and_blank(jobs, short):
    pytest.importorskip("nbgrader")
    got = jobs.result((short, "nbgrader"))
    assert got["solution"] == pytest.approx(_hw(short).max_points, abs=1e-6), short
    assert got["blank"] == pytest.approx(0.0, abs=1e-6), short


@pytest.mark.parametrize("short", END_TO_END)
def test_otter_grades_solution_and_blank(jobs, short):
    pytest.importorskip("otter")
    hw = _hw(short)
    got = jobs.result((short, "otter"))
    for name, score in got["solution"]["exercises"].items():  # a question may hold a forward/backward pair
        assert score == pytest.approx(sum(e.points for e in hw.exercises if e.name in name), abs=1e-6), name
    assert got["solution"]["total"] == pytest.approx(hw.max_points, abs=1e-6)
    assert got["blank"]["total"] == pytest.approx(0.0, abs=1e-6), got["blank"]["exercises"]


@pytest.mark.parametrize("short", HOMEWORKS)
def test_otter_master_notebook_covers_every_case(short, tmp_path):
    hw = _hw(short)
    (master,) = ot.export(hw, tmp_path)
    nb = json.loads(master.read_text())
    tests = [c for c in nb["cells"] if c["cell_type"] == "code" and "BEGIN TEST CONFIG" in c["source"]]
    cases = graded_cases(hw)
    assert len(tests) == sum(len(v) for v in cases.values())
    assert sum("hidden: true" in c["source"] for c in tests) == sum(gc.hidden for v in cases.values() for gc in v)
