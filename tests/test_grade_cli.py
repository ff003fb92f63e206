"""`course grade` end to end on the bundled sample class: CSV, feedback, Gradescope JSON, resume, zip, errors."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, course, sample_class

from autograder.sandbox.isolation import NAMESPACES, detect

EXPECTED = {  # the sample class: what each submission must score, per exercise
    "correct": {"ols_closed_form": 2, "mse_loss_grad": 2, "logistic_loss_grad": 3, "gradient_descent": 2,
                "smoothness_constant": 1},
    "blank": {"ols_closed_form": 0, "mse_loss_grad": 0, "logistic_loss_grad": 0, "gradient_descent": 0,
              "smoothness_constant": 0},
    "broken": {"ols_closed_form": 0, "mse_loss_grad": 0, "logistic_loss_grad": 0, "gradient_descent": 0,
               "smoothness_constant": 0},
    "infinite_loop": {"ols_closed_form": 0, "mse_loss_grad": 2, "logistic_loss_grad": 3, "gradient_descent": 2,
                      "smoothness_constant": 1},
}


def read_csv(path: Path) -> dict[str, dict[str, float]]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {r["student"]: {k: float(v) for k, v in r.items() if k not in ("student", "status")} for r in rows}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")
    out = tmp_path_factory.mktemp("grade")
    res = course("grade", "hw01", str(SAMPLES), "--out", str(out), "--workers", "2")
    return out, res


def test_csv_has_exact_scores_and_header(graded):
    out, res = graded
    with open(out / "grades.csv") as f:
        header = f.readline().strip()
    assert header == "student,total,max_total,ols_closed_form,mse_loss_grad,logistic_loss_grad,gradient_descent," \
                     "smoothness_constant,status"
    rows = read_csv(out / "grades.csv")
    assert set(rows) == {"correct", "blank", "broken", "infinite_loop", "partial"}
    for student, pts in EXPECTED.items():
        assert {k: rows[student][k] for k in pts} == pts, student
        assert rows[student]["total"] == sum(pts.values()) and rows[student]["max_total"] == 10
    partial = rows["partial"]
    assert partial["mse_loss_grad"] == 0 and 0 < partial["logistic_loss_grad"] < 3
    assert partial["ols_closed_form"] == 2 and partial["gradient_descent"] == 2


def test_summary_and_progress_output(graded):
    out, res = graded
    assert "ols_closed_form" in res.stdout and "isolation: namespaces" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    ex = {e["exercise"]: e for e in summary["exercises"]}
    assert ex["ols_closed_form"]["passed"] == 2 and ex["ols_closed_form"]["common_failure"]


def test_feedback_is_exact_and_kind(graded):
    out, _ = graded
    partial = (out / "feedback" / "partial.md").read_text()
    assert "mse_loss_grad" in partial and "expected" in partial and "largest error" in partial
    assert "Traceback" not in partial
    broken = (out / "feedback" / "broken.md").read_text()
    assert "not a valid notebook" in broken
    loop = (out / "feedback" / "infinite_loop.md").read_text()
    assert "time limit" in loop
    assert (out / "feedback" / "partial.html").read_text().startswith("<!doctype html>")


def test_gradescope_results_json(graded):
    out, _ = graded
    data = json.loads((out / "gradescope" / "partial" / "results.json").read_text())
    assert abs(data["score"] - read_csv(out / "grades.csv")["partial"]["total"]) < 1e-6
    vis = {t["name"]: t["visibility"] for t in data["tests"]}
    assert vis["mse_loss_grad (public cases)"] == "visible"
    assert vis["mse_loss_grad (hidden cases)"] == "after_due_date"
    assert abs(sum(t["max_score"] for t in data["tests"]) - 10) < 1e-6
    assert "execution_time" in data


def test_gradebook_resume_and_regrade(graded, tmp_path):
    out, _ = graded
    db = out / "gradebook.sqlite"
    rows = sqlite3.connect(db).execute("SELECT student, total FROM results").fetchall()
    assert len(rows) == 5
    res = course("grade", "hw01", str(SAMPLES), "--out", str(out))
    assert "graded 0 new, skipped 5" in res.stdout
    copy = sample_class(tmp_path / "class")
    shutil.copy(SAMPLES / "correct.ipynb", copy / "late_student.ipynb")
    res = course("grade", "hw01", str(copy), "--out", str(out))
    assert "graded 1 new, skipped 5" in res.stdout
    assert read_csv(out / "grades.csv")["late_student"]["total"] == 10


def test_zip_of_student_folders(tmp_path):
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")
    z = tmp_path / "class.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(SAMPLES / "correct.ipynb", "submissions/ada/hw01.ipynb")
        zf.write(SAMPLES / "blank.ipynb", "submissions/bob/hw01.ipynb")
    out = tmp_path / "out"
    course("grade", "hw01_gradient_descent", str(z), "--out", str(out), "--workers", "1")
    rows = read_csv(out / "grades.csv")
    assert rows["ada"]["total"] == 10 and rows["bob"]["total"] == 0


def test_errors_are_one_line_with_exit_2(tmp_path):
    res = course("grade", "hw99", str(SAMPLES), "--out", str(tmp_path), check=False)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "unknown assignment" in res.stderr
    res = course("grade", "hw01", str(tmp_path / "nope"), "--out", str(tmp_path), check=False)
    assert res.returncode == 2 and "not found" in res.stderr


def test_weak_isolation_refuses_hidden_cases(tmp_path):
    env_code = ("import os, sys; os.environ['COURSE_SANDBOX'] = 'weak'; from course_lib.cli import main; "
                f"sys.exit(main(['grade', 'hw01', {str(SAMPLES)!r}, '--out', {str(tmp_path)!r}]))")
    res = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "--allow-weak-isolation" in res.stderr
    env_code = env_code.replace("'--out'", "'--allow-weak-isolation', '--workers', '1', '--out'")
    small = sample_class(tmp_path / "small", {"ada": "correct"})
    env_code = env_code.replace(repr(str(SAMPLES)), repr(str(small)))
    res = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "isolation: weak" in res.stdout and read_csv(tmp_path / "grades.csv")["ada"]["total"] == 10
