"""Repository rules: lint clean, notebook outputs stripped, setup cell everywhere, no hard pins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.name for p in ALL_NOTEBOOKS])
def test_first_code_cell_is_the_colab_safe_setup(path):
    nb = json.loads(path.read_text())
    first = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "import course_lib" in first and "--no-deps" in first, f"{path.name}: setup cell missing"
    for forbidden in ("install -U", "--upgrade", "ipywidgets==", "torch=="):
        assert forbidden not in first, f"{path.name}: the setup cell must not upgrade packages ({forbidden})"


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
