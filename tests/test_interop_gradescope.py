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
from conftest import ROOT, SAMPLES
from test_interop_support import STUDENTS, our_grades, tool_env


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("gs") / "hw01-autograder.zip"
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", "export", "gradescope", "hw01", str(path)],
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
                 "course/autograder/hidden/hw01_gradient_descent.py", "course/autograder/grade/submission.py",
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



def _documented_recipe() -> str:
    """The bash block under "To try the zip locally" in docs/instructors.md."""
    text = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    after = text.split("To try the zip locally", 1)[1]
    return after.split("```bash\n", 1)[1].split("```", 1)[0]


def test_documented_local_recipe_works_verbatim(tmp_path):
    """docs/instructors.md's local Gradescope recipe, run as written from the checkout (only /tmp/ag and the zip
    moved into a temporary folder): results.json appears and equals `course grade` on the partial sample."""
    recipe = _documented_recipe()
    assert "/tmp/ag/source/run_autograder" in recipe and "COURSE_PYTHON=.venv/bin/python" in recipe
    ag = tmp_path / "ag"
    script = recipe.replace("/tmp/ag", str(ag)).replace("hw01-autograder.zip", str(tmp_path / "hw01.zip"))
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists():  # another environment: the same relative form, pointing at this interpreter
        rel = os.path.relpath(sys.executable, ROOT)
        script = script.replace("COURSE_PYTHON=.venv/bin/python", f"COURSE_PYTHON={rel}")
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=tool_env(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads((ag / "results" / "results.json").read_text())
    assert r["score"] == pytest.approx(our_grades()["partial"]["total"], abs=1e-3), r.get("output")
    assert json.loads(proc.stdout[proc.stdout.index("{"):]) == r  # the recipe's last line shows it


def test_results_json_even_when_python_cannot_start(autograder_zip, tmp_path):
    layout(autograder_zip, tmp_path, SAMPLES / "correct.ipynb")
    env = dict(tool_env(), AUTOGRADER_ROOT=str(tmp_path), COURSE_PYTHON=str(tmp_path / "no-such-python"))
    proc = subprocess.run(["bash", str(tmp_path / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    r = json.loads((tmp_path / "results" / "results.json").read_text())
    assert r["score"] == 0 and "could not grade" in r["output"] and "no-such-python" in r["output"]
    assert r["tests"] == []


def test_relative_course_python_survives_the_cd(autograder_zip, tmp_path):
    layout(autograder_zip, tmp_path, SAMPLES / "blank.ipynb")
    rel = os.path.relpath(sys.executable, tmp_path)
    env = dict(tool_env(), AUTOGRADER_ROOT=str(tmp_path), COURSE_PYTHON=rel)
    proc = subprocess.run(["bash", "source/run_autograder"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    r = json.loads((tmp_path / "results" / "results.json").read_text())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert r["score"] == 0 and r["tests"], r["output"]
