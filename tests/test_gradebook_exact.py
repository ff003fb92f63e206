"""The gradebook is exact: resubmissions and seed changes are regraded, removed students are marked, an empty
seed or folder is an error, a class of another homework is named, --only touches only its rows, and every
change has a history row with its reason."""

from __future__ import annotations

import io
import shutil
import sqlite3
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, grades_by_student, sample_class

from autograder.cli.grade import GradeOptions, GradeReport, run_grade
from autograder.grade.collect import collect
from autograder.grade.homework import coded
from autograder.grade.pool import GradingError
from autograder.grade.progress import PlainProgress
from autograder.hidden.seed import SeedError, fingerprint, resolve_seed
from autograder.model import SubmissionResult
from autograder.records.plan import PlanInputs, submission_time, zip_times
from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import extract_file

HW01 = load_homework("hw01")


def rows(out: Path) -> dict[str, dict[str, str]]:
    return grades_by_student(out / "grades.csv")


def history(out: Path) -> list[tuple]:
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        return db.execute("SELECT student, old_total, new_total, reason FROM history ORDER BY id").fetchall()
    finally:
        db.close()


# -- no grading needed -----------------------------------------------------------------------------------------

def test_empty_seed_is_an_error_and_no_seed_warns(monkeypatch):
    monkeypatch.delenv("COURSE_HIDDEN_SEED", raising=False)
    with pytest.raises(SeedError, match="--hidden-seed is empty"):
        resolve_seed("")
    with pytest.raises(SeedError, match="empty"):
        resolve_seed("  ")
    seed, warning = resolve_seed(None)
    assert seed == "deep-learning-basics" and "precompute" in warning and "\n" not in warning
    monkeypatch.setenv("COURSE_HIDDEN_SEED", "")
    with pytest.raises(SeedError, match=r"\$COURSE_HIDDEN_SEED is set but empty"):
        resolve_seed(None)
    monkeypatch.setenv("COURSE_HIDDEN_SEED", "secret")
    assert resolve_seed(None) == ("secret", "")
    assert resolve_seed("other") == ("other", "")
    fp = fingerprint("secret")
    assert len(fp) == 64 and "secret" not in fp


def test_empty_seed_on_the_command_line_is_one_line_exit_2(tmp_path):
    from course_lib.cli import main

    err = io.StringIO()
    with redirect_stderr(err):
        rc = main(["grade", "hw01", str(SAMPLES), "--out", str(tmp_path / "out"), "--hidden-seed", ""])
    assert rc == 2 and err.getvalue().count("\n") == 1 and "--hidden-seed is empty" in err.getvalue()


def test_empty_folder_exits_non_zero_with_a_warning(tmp_path):
    from course_lib.cli import main

    (tmp_path / "subs").mkdir()
    err = io.StringIO()
    with redirect_stderr(err):
        rc = main(["grade", "hw01", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--hidden-seed", "s"])
    assert rc != 0 and f"no submissions found in {tmp_path / 'subs'}" in err.getvalue()


def test_a_class_of_another_homework_is_named(tmp_path):
    subs = sample_class(tmp_path / "subs", ("correct", "partial"))
    found, _ = collect(subs)
    graded = [SubmissionResult(s.student, "hw02", seen=extract_file(s.path).names) for s in found]
    line = coded("hw02").guess(graded)
    assert "no submission defines a graded function of hw02_optimizers" in line
    assert "2 of 2 look like hw01_gradient_descent" in line
    assert coded("hw01").guess(graded) == ""  # the right homework: no warning


def test_progress_without_a_terminal_prints_plain_lines():
    err = io.StringIO()
    with redirect_stderr(err):
        bar = PlainProgress(20, every_s=3600)
        for _ in range(20):
            bar.update(1)
    lines = err.getvalue().splitlines()
    assert len(lines) == 10 and lines[0].startswith("grading: 2/20 (10%)") and lines[-1].startswith("grading: 20/20")


# -- grading ---------------------------------------------------------------------------------------------------

@pytest.fixture
def ns():
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")


def grade(subs: Path, out: Path, seed: str, **kw) -> GradeReport:
    return run_grade(coded("hw01"), GradeOptions(subs, out, workers=1, seed=seed, progress=False, **kw))


def test_resubmission_seed_change_removal_only_and_history(ns, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    sample_class(subs, {"alice": "correct", "bob": "blank"})
    rep = grade(subs, out, "s1")
    assert (rep.graded, rep.skipped) == (2, 0)
    assert {k: r["total"] for k, r in rows(out).items()} == {"alice": "10", "bob": "0"}

    # the same class again: nothing graded
    rep = grade(subs, out, "s1")
    assert (rep.graded, rep.skipped, rep.regraded) == (0, 2, {})

    # bob resubmits (a changed notebook): only bob is regraded, and gets his new score
    shutil.copy(SAMPLES / "correct.ipynb", subs / "bob.ipynb")
    rep = grade(subs, out, "s1")
    assert (rep.graded, rep.skipped, rep.regraded) == (0, 1, {"resubmitted": 1})
    assert "regraded 1 because they changed" in rep.summary()
    assert rows(out)["bob"]["total"] == "10"

    # another seed: refused (a forgotten --hidden-seed must not regrade the class), then with --reseed everyone
    with pytest.raises(GradingError, match="graded with another hidden seed"):
        grade(subs, out, "s2")
    assert rows(out)["bob"]["total"] == "10"  # nothing was touched
    rep = grade(subs, out, "s2", reseed=True)
    assert (rep.skipped, rep.regraded) == (0, {"seed changed": 2})
    db = sqlite3.connect(out / "gradebook.sqlite")
    stored = db.execute("SELECT student, notebook_sha256, seed_fp, source FROM results ORDER BY student").fetchall()
    db.close()
    import hashlib

    assert stored[0] == ("alice", hashlib.sha256((subs / "alice.ipynb").read_bytes()).hexdigest(),
                         hashlib.sha256(b"s2").hexdigest(), "alice.ipynb")

    # alice's notebook is removed: her row is kept, marked, and not counted
    (subs / "alice.ipynb").unlink()
    rep = grade(subs, out, "s2")
    assert rep.removed == ["alice"]
    got = rows(out)
    assert got["alice"]["status"] == "no longer submitted" and got["bob"]["status"] == "graded"
    assert "1 submissions" in rep.table and "no longer submitted: 1 (alice)" in rep.table

    # back again, unchanged: restored without grading
    shutil.copy(SAMPLES / "correct.ipynb", subs / "alice.ipynb")
    rep = grade(subs, out, "s2")
    assert (rep.graded, rep.skipped) == (0, 2) and rows(out)["alice"]["status"] == "graded"

    # --only bob --exercise ols_closed_form: bob's row only, that exercise only
    before = dict(sqlite3.connect(out / "gradebook.sqlite").execute("SELECT student, graded_at FROM results"))
    shutil.copy(SAMPLES / "blank.ipynb", subs / "alice.ipynb")  # changed, but not asked for
    shutil.copy(SAMPLES / "partial.ipynb", subs / "bob.ipynb")  # partial still gets ols_closed_form right
    rep = grade(subs, out, "s2", only=["bob"], exercise="ols_closed_form")
    after = dict(sqlite3.connect(out / "gradebook.sqlite").execute("SELECT student, graded_at FROM results"))
    assert after["alice"] == before["alice"] and after["bob"] > before["bob"]
    assert rep.untouched == 1 and rep.regraded == {"--only": 1}
    got = rows(out)
    assert got["alice"]["total"] == "10" and got["bob"]["total"] == "10"  # other exercises kept from before
    # then bob alone, whole notebook: partial loses mse_loss_grad (2 points) and part of logistic_loss_grad
    rep = grade(subs, out, "s2", only=["bob"])
    got = rows(out)
    assert got["alice"]["total"] == "10" and float(got["bob"]["mse_loss_grad"]) == 0
    assert float(got["bob"]["total"]) < 8

    hist = history(out)
    reasons = [(s, r) for s, _, _, r in hist]
    assert reasons[:2] == [("alice", "graded"), ("bob", "graded")]
    assert ("bob", "resubmitted") in reasons and reasons.count(("alice", "seed changed")) == 1
    assert ("alice", "no longer submitted") in reasons and ("alice", "submitted again") in reasons
    assert reasons[-2:] == [("bob", "--only"), ("bob", "--only")]
    assert [h[1:3] for h in hist if h[0] == "bob" and h[3] == "resubmitted"] == [(0.0, 10.0)]
    assert not any(s == "alice" for s, r in reasons[-2:])


def test_gradebook_totals_and_history_without_grading(tmp_path):
    """Stored rows by hand: final = (auto + manual) x (1 - penalty), or the override; each change in history."""
    from types import SimpleNamespace

    from autograder.model import ExerciseResult, PlanEntry
    from autograder.records.gradebook import Gradebook

    book = Gradebook(tmp_path / "gb.sqlite")
    res = SubmissionResult("ann", "hw09_compute", [ExerciseResult("linear_flops", 1.0, 1.0),
                                                   ExerciseResult("conv2d_flops", 1.0, 2.0)])
    entry = PlanEntry("ann", None, "", sha256="abc", key_fp="fp", source="ann.ipynb", submitted_at=100.0,
                      due_at=50.0, late_days=1, penalty=0.1)
    book.write("hw09_compute", entry, res, "namespaces")
    book.set_manual("hw09_compute", [SimpleNamespace(student="ann", item="own_estimate", score=2.0, comment="ok")],
                    {"own_estimate": 2.0})
    entry.late_days, entry.penalty, entry.reason = 3, 0.3, "late policy"
    book.write("hw09_compute", entry)  # only the late facts change
    book.set_override("hw09_compute", "ann", 1.5, "oral exam")
    book.set_override("hw09_compute", "ann", None)
    row = book.rows("hw09_compute", manual_max=2.0)[0]
    assert (row.auto_total, row.raw_total, row.max_total, row.total) == (2.0, 4.0, 5.0, 2.8)
    assert [(h["old_total"], h["new_total"], h["reason"]) for h in book.history()] == [
        (None, 1.8, "graded"), (1.8, 3.6, "manual score (own_estimate)"), (3.6, 2.8, "late policy"),
        (2.8, 1.5, "override: oral exam"), (1.5, 2.8, "override")]
    book.close()


def test_submission_time_from_zip_entry_and_times_csv(tmp_path):
    import zipfile

    from autograder.records.late import UTC

    z = tmp_path / "class.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("ada.ipynb", date_time=(2026, 12, 2, 8, 30, 0))
        zf.writestr(info, (SAMPLES / "blank.ipynb").read_text())
        zf.writestr(zipfile.ZipInfo("bob.ipynb", date_time=(2026, 12, 1, 8, 0, 0)), "{}")
    subs, tmp = collect(z)
    try:
        zt = zip_times(z, UTC)
        ada, bob = subs
        from datetime import datetime

        inputs = PlanInputs("fp", None, {}, zt, Path(tmp.name))
        assert submission_time(ada, inputs) == datetime(2026, 12, 2, 8, 30, tzinfo=UTC).timestamp()
        inputs.times = {"bob": 7.0}
        assert submission_time(bob, inputs) == 7.0  # --times wins
    finally:
        tmp.cleanup()


def test_the_released_templates_own_cells_are_not_reported_to_the_student(ns, tmp_path):
    """hw04's student copy has a demo cell `from course_lib.autodiff import ...` that cannot run while grading:
    the solution handed in as released gets no note about it; the same import written by the student does."""
    import json

    from autograder.grade.homework import coded

    template = json.loads((ROOT / "solutions" / "hw04_backprop.ipynb").read_text())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(json.dumps(template))
    mine = json.loads(json.dumps(template))
    mine["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                          "source": "from course_lib.autodiff import rel_error as mine"})
    (subs / "bob.ipynb").write_text(json.dumps(mine))
    run_grade(coded("hw04"), GradeOptions(subs, tmp_path / "out", workers=1, seed="s", progress=False))
    ann = (tmp_path / "out" / "feedback" / "ann.md").read_text()
    bob = (tmp_path / "out" / "feedback" / "bob.md").read_text()
    assert "Score: 12.5 / 12.5" in ann and "not available while grading" not in ann
    assert "course_lib.autodiff is not available while grading" in bob  # the student's own import is noted
    assert "(as released)" not in bob
