"""Gradescope autograder zip: run_autograder against a folder laid out like /autograder == `course grade`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_interop_support import ROOT, SAMPLES, STUDENTS, our_grades, tool_env


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("gs") / "hw01-autograder.zip"
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "export", "gradescope", "hw01", str(path)],
                         cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return path


def layout(zip_path, root, submission):
    """What Gradescope does: unzip into root/source, run_autograder at root, the upload in root/submission."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)


def run_autograder(root):
    env = dict(tool_env(), AUTOGRADER_ROOT=str(root), COURSE_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=root)
    path = root / "results" / "results.json"
    assert path.exists(), proc.stderr[-2000:]
    return json.loads(path.read_text())


def test_zip_contents(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        mode = zf.getinfo("run_autograder").external_attr >> 16
        config = json.loads(zf.read("course/gradescope.json"))
    for must in ("setup.sh", "run_autograder", "requirements.txt", "course/solutions/hw01_gradient_descent.ipynb",
                 "course/autograder/hidden/hw01_gradient_descent.py", "course/autograder/grader.py",
                 "course/course_lib/grading/judge.py", "course/autograder/interop/gradescope.py"):
        assert must in names, must
    assert mode & 0o111, "run_autograder must be executable"
    assert config["homework"] == "hw01_gradient_descent" and config["hidden_visibility"] == "after_due_date"
    assert not any("/samples/" in n or n.endswith(".pyc") for n in names)


def test_run_autograder_scores_equal_course_grade(autograder_zip, tmp_path):
    for s in STUDENTS:
        layout(autograder_zip, tmp_path / s, SAMPLES / f"{s}.ipynb")
    with ThreadPoolExecutor(max_workers=min(3, os.cpu_count() or 1)) as pool:
        results = dict(zip(STUDENTS, pool.map(run_autograder, [tmp_path / s for s in STUDENTS])))
    ours = our_grades()
    for s, r in results.items():
        assert r["score"] == pytest.approx(ours[s]["total"], abs=1e-3), (s, r.get("output"))
        assert isinstance(r["execution_time"], (int, float)) and r["execution_time"] > 0
        by_ex: dict[str, float] = {}
        for t in r["tests"]:
            ex, kind = t["name"].split(" (")
            by_ex[ex] = by_ex.get(ex, 0.0) + t["score"]
            assert t["visibility"] == ("after_due_date" if kind.startswith("hidden") else "visible")
        for ex, pts in by_ex.items():
            assert pts == pytest.approx(ours[s][ex], abs=1e-3), (s, ex)
    hidden_msgs = [t["output"] for t in results["partial"]["tests"] if "hidden" in t["name"]]
    assert any("hidden case" in m for m in hidden_msgs)


def test_no_submission_still_writes_results(autograder_zip, tmp_path):
    layout(autograder_zip, tmp_path, None)
    r = run_autograder(tmp_path)
    assert r["score"] == 0 and "no .ipynb" in r["output"]

