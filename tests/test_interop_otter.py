"""Otter export end to end with the real otter-grader: otter assign, then otter run == `course grade`."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import SAMPLES
from test_interop_support import OTTER_KERNELS, STUDENTS, our_grades, tool

from autograder.hidden import hidden_cases
from autograder.hidden.seed import resolve_seed
from autograder.interop import otter as ot
from autograder.interop.common import fill_from_submission
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import read_notebook

pytest.importorskip("otter")

HW, NAME = "hw01", "hw01_gradient_descent"


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    root = tmp_path_factory.mktemp("otter")
    (master,) = ot.export(HW, root / "master")
    assert master == root / "master" / HW / f"{NAME}.ipynb"
    tool("otter", "assign", str(master), str(root / "dist"), cwd=root)
    (zip_path,) = sorted((root / "dist" / "autograder").glob("*.zip"))
    return root, master, zip_path


def test_master_notebook_format(assigned):
    _, master, _ = assigned
    nb = json.loads(master.read_text())
    raw = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "raw"]
    assert raw[0].startswith("# ASSIGNMENT CONFIG")
    questions = [r for r in raw if r.startswith("# BEGIN QUESTION")]
    configs = {c["name"]: c for c in (yaml.safe_load(q.split("\n", 1)[1]) for q in questions)}
    assert len(questions) == 5 and sum(configs["logistic_loss_grad"]["points"]) == pytest.approx(3)  # per test
    for marker in ("# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN TESTS", "# END TESTS", "# END QUESTION"):
        assert raw.count(marker) == 5, marker
    tests = [c for c in nb["cells"] if c["cell_type"] == "code" and "BEGIN TEST CONFIG" in c["source"]]
    hw = load_homework("hw01")  # one test cell per case: the public ones and the hidden ones of the course seed
    n_hidden = sum(len(hidden_cases(hw, ex, resolve_seed(None)[0])) for ex in hw.exercises)
    assert n_hidden >= 10 and sum("hidden: true" in c["source"] for c in tests) == n_hidden
    assert sum("hidden: false" in c["source"] for c in tests) == sum(len(ex.public) for ex in hw.exercises) == 10


def test_student_notebook_has_no_solutions_or_hidden_tests(assigned):
    root, _, _ = assigned
    text = (root / "dist" / "student" / f"{NAME}.ipynb").read_text()
    assert "np.linalg.solve(X.T @ X" not in text and "BEGIN SOLUTION" not in text
    nb = json.loads(text)
    public = json.dumps(nb["metadata"].get("otter", {}).get("tests", {}))
    assert "hidden case" not in public


def test_otter_run_scores_equal_course_grade(assigned):
    root, _, zip_path = assigned
    hw = load_homework(HW)
    student_nb = read_notebook(root / "dist" / "student" / f"{NAME}.ipynb")
    for s in STUDENTS:  # what a student of the Otter course submits: the Otter copy with their code in it
        (root / "subs" / s).mkdir(parents=True)
        filled = fill_from_submission(student_nb, read_notebook(SAMPLES / f"{s}.ipynb"), hw)
        (root / "subs" / s / f"{NAME}.ipynb").write_text(json.dumps(filled))

    # `otter run` is otter.run.main; one interpreter for the three saves otter's ~7 s import each time
    script = (OTTER_KERNELS + "import sys\nfrom otter.run import main\n"
              "for sub, out in zip(sys.argv[2::2], sys.argv[3::2]):\n"
              "    main(sub, autograder=sys.argv[1], output_dir=out, no_logo=True)\n")
    args = [str(zip_path)]
    for s in STUDENTS:
        args += [str(root / "subs" / s / f"{NAME}.ipynb"), str(root / "subs" / s)]
    tool("python", "-c", script, *args, cwd=root, timeout=600)
    results = {s: json.loads((root / "subs" / s / "results.json").read_text()) for s in STUDENTS}
    ours = our_grades()
    for s, r in results.items():
        scored = {t["name"]: t["score"] for t in r["tests"] if t.get("max_score") is not None}
        assert sum(scored.values()) == pytest.approx(ours[s]["total"], abs=1e-6), (s, scored)
        for ex, pts in scored.items():
            assert pts == pytest.approx(ours[s][ex], abs=1e-6), (s, ex)


def test_each_test_carries_its_cases_points():
    """A one-exercise question lists per-test points as `course grade` weighs its cases: hw07's timed case carries
    half of conv2d_forward_fast's 2 points (Otter's even split gave it 2/11)."""
    from autograder.interop.common import graded_cases

    hw = load_homework("hw07")
    nb = ot.master_notebook(hw)
    raw = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "raw"]
    header = next(r for r in raw if r.startswith("# BEGIN QUESTION") and "name: conv2d_forward_fast\n" in r)
    points = yaml.safe_load(header.split("\n", 1)[1])["points"]
    assert points == [gc.points for gc in graded_cases(hw)["conv2d_forward_fast"]]
    assert points[-1] == pytest.approx(1.0) and sum(points[:-1]) == pytest.approx(1.0)


def test_manual_item_is_a_manual_question_and_differences_are_written(tmp_path):
    (master,) = ot.export("hw09", tmp_path)
    nb = json.loads(master.read_text())
    raw = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "raw"]
    manual = [yaml.safe_load(r.split("\n", 1)[1]) for r in raw if r.startswith("# BEGIN QUESTION") and "manual" in r]
    assert manual == [{"name": "own_estimate", "points": 2.0, "manual": True}]
    readme = (tmp_path / "hw09" / "README.md").read_text()
    assert "own_estimate (2 points): a manual question" in readme and "11 of the 13 points" in readme
    ot.export("hw07", tmp_path)
    assert "checked for correctness only" in (tmp_path / "hw07" / "README.md").read_text()
