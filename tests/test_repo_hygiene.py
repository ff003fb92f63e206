"""Repository rules: lint clean, notebook outputs stripped and committed as the clean filter writes them, lectures
linking the student copies of the homework, no hard pins. (The setup cell: tests/test_setup_cell.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from conftest import ROOT

ALL_NOTEBOOKS = [p for d in ("notebooks", "solutions", "assignments") for p in sorted((ROOT / d).glob("*.ipynb"))]


def test_ruff_is_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.name for p in ALL_NOTEBOOKS])
def test_outputs_are_stripped(path):
    nb = json.loads(path.read_text())
    dirty = [i + 1 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; strip them before committing"


def test_dependencies_are_ranges_not_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in deps if "==" in d], deps
    torch = next(d for d in deps if d.startswith("torch"))
    assert ">=" in torch and "<3" in torch


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_lectures_link_homework_to_the_student_copy(path):
    """A lecture's Homework link opens assignments/ (the student copy), never solutions/ (the answers)."""
    text = path.read_text(encoding="utf-8")
    assert "../solutions/" not in text, f"{path.name} links to a reference solution; link ../assignments/ instead"
    for link in __import__("re").findall(r"\]\(\.\./assignments/([^)#]+)\)", text):
        assert (ROOT / "assignments" / link).exists(), f"{path.name}: dead link ../assignments/{link}"


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_every_notebook_is_committed_as_the_clean_filter_writes_it():
    """The filter must not change a committed notebook, or `git status` would show it modified after set-up."""
    sys.path.insert(0, str(ROOT / "tools"))
    from nb_filter import clean

    changed = [p.relative_to(ROOT).as_posix() for p in ALL_NOTEBOOKS
               if clean(p.read_text("utf-8")) != p.read_text("utf-8")]
    assert not changed, f"not in committed form (run: python tools/nb_filter.py < NB > tmp && mv tmp NB): {changed}"


def test_outputs_and_kernel_metadata_never_reach_a_commit(tmp_path):
    """Run in JupyterLab, a notebook gains outputs and other kernel metadata: with the clean filter `make setup`
    configures, `git diff` shows nothing and staging it stages nothing; a real edit still shows. (Opening and saving
    without running keeps the file itself as committed: tests/test_lab.py.)"""
    import nbformat

    assert "filter=course-notebook" in (ROOT / ".gitattributes").read_text()
    repo = tmp_path / "clone"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    _git(repo, "config", "filter.course-notebook.clean", f'"{sys.executable}" "{ROOT / "tools" / "nb_filter.py"}"')
    (repo / ".gitattributes").write_text((ROOT / ".gitattributes").read_text())
    lecture = repo / "lecture.ipynb"
    lecture.write_text((ROOT / "notebooks" / "01_gradient_descent.ipynb").read_text("utf-8"), "utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "course")

    nb = nbformat.reads(lecture.read_text("utf-8"), as_version=4)  # as JupyterLab 4 saves it after a run
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                                    "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                                    "pygments_lexer": "ipython3", "version": "3.11.7"}
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="course_lib ready\n")]
    code.execution_count = 1
    code.metadata["scrolled"] = True
    lecture.write_text(json.dumps(nb, indent=2), "utf-8")  # another JSON layout, too
    assert _git(repo, "diff") == ""
    _git(repo, "add", "-A")
    assert _git(repo, "diff", "--cached") == ""

    code.source += "\nprint('my own line')"
    lecture.write_text(nbformat.writes(nb), "utf-8")
    assert "+    \"print('my own line')\"" in _git(repo, "diff")


def test_make_setup_configures_the_notebook_filter():
    out = subprocess.run(["git", "config", "filter.course-notebook.clean"], cwd=ROOT, capture_output=True, text=True)
    if subprocess.run(["git", "rev-parse"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    assert "tools/nb_filter.py" in out.stdout, "run `make setup`: it configures git's clean filter for notebooks"
