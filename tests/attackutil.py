"""Shared by the attack suites: hw01 with short limits, the solution with functions replaced, grading one file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
from conftest import ROOT

from autograder.grade.submission import grade_extracted
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import extract_file

SOLUTION = ROOT / "solutions" / "hw01_gradient_descent.ipynb"
FULL = {"ols_closed_form": 2, "mse_loss_grad": 2, "logistic_loss_grad": 3, "gradient_descent": 2,
        "smoothness_constant": 1}


def attack_homework(time_limit: float = 3.0, memory_mb: int = 512):
    """hw01 with every exercise's limits shortened, so attacks that hang or hog end quickly."""
    real = load_homework("hw01")
    return dataclasses.replace(real, exercises=[dataclasses.replace(e, time_limit=time_limit, memory_mb=memory_mb)
                                                for e in real.exercises])


def notebook(folder: Path, replace: dict[str, str] | None = None, extra: list[str] | None = None,
             name: str = "sub") -> Path:
    """The hw01 solution with some graded functions replaced and extra code cells appended."""
    nb = nbformat.read(str(SOLUTION), as_version=4)
    for cell in nb.cells:
        for fn, src in (replace or {}).items():
            if cell.cell_type == "code" and f"def {fn}(" in cell.source:
                cell.source = src
    for src in extra or []:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def grade(hw, expected, runner, path: Path) -> dict[str, float]:
    res = grade_extracted(hw, extract_file(path), runner, expected)
    return {e.name: e.points for e in res.exercises}


def only_zero(name: str) -> dict[str, float]:
    return {k: (0 if k == name else v) for k, v in FULL.items()}
