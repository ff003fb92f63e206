"""nbgrader export end to end with the real nbgrader: generate_assignment, autograde, export == `course grade`."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from conftest import SAMPLES
from test_interop_support import STUDENTS, nbgrader_kernel_args, our_grades, tool

from autograder.interop import nbgrader as nbg

pytest.importorskip("nbgrader")

HW, NAME = "hw01", "hw01_gradient_descent"


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbgrader")
    paths = nbg.export(HW, root)
    assert paths[0].name == "nbgrader_config.py" and paths[1] == root / "source" / HW / f"{NAME}.ipynb"
    tool("nbgrader", "generate_assignment", HW, "--create", "--force", cwd=root)
    return root


def test_source_has_nbgrader_metadata(course_dir):
    nb = json.loads((course_dir / "source" / HW / f"{NAME}.ipynb").read_text())
    meta = [c["metadata"].get("nbgrader") for c in nb["cells"]]
    solutions = [m for m in meta if m and m["solution"]]
    tests = [(c, m) for c, m in zip(nb["cells"], meta) if m and m["grade"]]
    assert {m["grade_id"] for m in solutions} == {f"sol-{n}" for n in
                                                   ("ols_closed_form", "mse_loss_grad", "logistic_loss_grad",
                                                    "gradient_descent", "smoothness_constant")}
    assert all(m["locked"] and m["points"] > 0 for _, m in tests)
    assert abs(sum(m["points"] for _, m in tests) - 10) < 1e-9
    hidden = [c for c, m in tests if "-hidden-" in m["grade_id"]]
    assert hidden and all("### BEGIN HIDDEN TESTS" in c["source"] for c in hidden)
    assert all("### BEGIN SOLUTION" in c["source"] for c, m in zip(nb["cells"], meta) if m and m["solution"])


def test_release_hides_solutions_and_hidden_tests(course_dir):
    text = (course_dir / "release" / HW / f"{NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "np.linalg.solve(X.T @ X" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    nb = json.loads(text)
    hidden = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").count("-hidden-")]
    assert hidden and all("_s = " not in "".join(c["source"]) for c in hidden)


def test_autograde_scores_equal_course_grade(course_dir):
    released = course_dir / "release" / HW / f"{NAME}.ipynb"
    for s in STUDENTS:
        dest = course_dir / "submitted" / s / HW / f"{NAME}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nbg.submission_from(released, SAMPLES / f"{s}.ipynb", HW)))
    tool("nbgrader", "autograde", HW, "--force", *nbgrader_kernel_args(), cwd=course_dir, timeout=600)
    tool("nbgrader", "export", cwd=course_dir)
    with open(course_dir / "grades.csv") as f:
        theirs = {r["student_id"]: r for r in csv.DictReader(f)}
    ours = our_grades()
    for s in STUDENTS:
        assert float(theirs[s]["score"]) == pytest.approx(ours[s]["total"], abs=1e-6), s
        assert float(theirs[s]["max_score"]) == pytest.approx(ours[s]["max_total"], abs=1e-6), s
    # per exercise too, from the autograded notebooks' test cells
    for s in ("partial",):
        nb = json.loads((course_dir / "autograded" / s / HW / f"{NAME}.ipynb").read_text())
        lost: dict[str, float] = {}
        for c in nb["cells"]:
            m = c["metadata"].get("nbgrader", {})
            if m.get("grade") and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
                ex = m["grade_id"].split("-")[1]
                lost[ex] = lost.get(ex, 0.0) + m["points"]
        for ex, row_pts in ours[s].items():
            if ex in ("total", "max_total"):
                continue
            full = {"ols_closed_form": 2, "mse_loss_grad": 2, "logistic_loss_grad": 3, "gradient_descent": 2,
                    "smoothness_constant": 1}[ex]
            assert full - lost.get(ex, 0.0) == pytest.approx(row_pts, abs=1e-6), (s, ex)
    shutil.rmtree(course_dir / "autograded", ignore_errors=True)


def test_manual_item_is_a_manually_graded_cell_and_totals_match(tmp_path):
    """hw09's own estimate is nbgrader's manually graded answer (2 points): nbgrader's maximum is 13, as in
    `course grade`; DIR/README.md names it."""
    paths = nbg.export("hw09", tmp_path)
    nb = json.loads(paths[1].read_text())
    graded = [c["metadata"]["nbgrader"] for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    manual = [m for m in graded if m["solution"]]
    assert [(m["grade_id"], m["points"]) for m in manual] == [("manual-own_estimate", 2.0)]
    assert sum(m["points"] for m in graded) == pytest.approx(13)
    assert paths[-1] == tmp_path / "README.md" and "own_estimate (2 points)" in paths[-1].read_text()
