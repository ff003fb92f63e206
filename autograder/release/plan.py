"""`course release`: every file generated from the sources, planned, compared (--check) and written.

- assignments/ and the sample class from solutions/ (notebooks.py), with the public cases' expected outputs;
- the concept checks' keys (course_lib/quiz_keys/) from autograder/quizzes/;
- the setup cell of every notebook and the README's Colab table from pyproject.toml's address (colab.py);
- docs/homework-design.md from the homework modules (design.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from autograder.paths import (
    assignments_dir,
    course_root,
    public_cases_dir,
    samples_dir,
    solution_notebook,
    solutions_dir,
)
from autograder.release.colab import colab_table, readme_with_table, with_setup_cell
from autograder.release.notebooks import public_cases, solution_text, student_notebook
from autograder.release.solution import SolutionError
from course_lib.grading.homework import all_homeworks
from course_lib.grading.model import Homework

ReleaseError = SolutionError  # a solution notebook breaks the authoring rules (one-line reason)


@dataclass
class Planned:
    path: Path
    text: str
    kind: str  # notebook | cases | quiz | doc


def quiz_keys_path(lecture: str) -> Path:
    """Where `course release` writes a lecture's concept-check keys (shipped with course_lib)."""
    return course_root() / "course_lib" / "quiz_keys" / f"lecture{lecture}.json"


def plan_quizzes(quizzes: list | None = None) -> list[Planned]:
    """The concept-check key files (course_lib/quiz_keys/lectureNN.json): salted hashes, no plain answer."""
    from autograder.quizzes import all_quizzes, keys_json

    return [Planned(quiz_keys_path(q.lecture), keys_json(q.lecture, q.questions, q.sealed), "quiz")
            for q in (all_quizzes() if quizzes is None else quizzes)]


def plan(homeworks: list[Homework] | None = None, quizzes: list | None = None) -> list[Planned]:
    """Every generated file; with neither list given, all homework, every lecture's quiz keys, every setup cell
    and the README's Colab table, else only the homework and quizzes named."""
    if homeworks is None and quizzes is None:
        return _plan_homeworks(all_homeworks()) + plan_quizzes() + plan_setup_cells()
    return _plan_homeworks(homeworks or []) + (plan_quizzes(quizzes) if quizzes else [])


def _with_setup(path: Path) -> str:
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    return nbformat.writes(nbformat.from_dict(with_setup_cell(nb, path.name))) + "\n"


def plan_setup_cells() -> list[Planned]:
    """The lectures, solutions and hand-written sample notebooks with the current setup cell, and the README with
    the current Colab table (both from pyproject.toml's repository address)."""
    root = course_root()
    paths = sorted((root / "notebooks").glob("*.ipynb")) + sorted(solutions_dir().glob("*.ipynb"))
    for folder in sorted(p for p in samples_dir().glob("*") if p.is_dir()):
        paths += [p for p in sorted(folder.glob("*.ipynb")) if p.stem not in ("correct", "blank")]
    out = []
    for path in paths:
        try:
            out.append(Planned(path, _with_setup(path), "notebook"))
        except nbformat.reader.NotJSONError:
            continue  # a deliberately broken sample notebook
    return out + [Planned(root / "README.md", readme_text(), "doc")]


def readme_text() -> str:
    """README.md with the Open-in-Colab table for every lecture and its homework."""
    root = course_root()
    lectures = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        heading = next((c.source.split("\n", 1)[0] for c in nb.cells if c.cell_type == "markdown"
                        and c.source.startswith("# ")), f"# {path.stem}")
        title = re.sub(r"^#\s*(Lecture\s+\d+\s*:|\d\d\s*·)?\s*", "", heading).strip()
        lectures.append((path.relative_to(root).as_posix(), title))
    homework = {hw.short[2:]: (f"assignments/{hw.name}.ipynb", hw.name) for hw in all_homeworks()}
    readme = (root / "README.md").read_text(encoding="utf-8")
    return readme_with_table(readme, colab_table(lectures, homework))


def _plan_homeworks(homeworks: list[Homework]) -> list[Planned]:
    out = []
    for hw in homeworks:
        if not solution_notebook(hw.name).exists():
            raise ReleaseError(f"{hw.name}: no solution notebook at {solution_notebook(hw.name)}")
        out.append(Planned(assignments_dir() / f"{hw.name}.ipynb", student_notebook(hw), "notebook"))
        out.append(Planned(public_cases_dir() / f"{hw.name}.json", public_cases(hw), "cases"))
        samples = samples_dir() / hw.short
        if samples.is_dir():  # the sample class's correct and blank notebooks are the solution and assignment
            out.append(Planned(samples / "correct.ipynb", solution_text(hw), "notebook"))
            out.append(Planned(samples / "blank.ipynb", out[-3].text, "notebook"))
    if out:  # the course-wide design table (docs/homework-design.md), from every homework's Exercise objects
        from autograder.release.design import design_table

        out.append(Planned(course_root() / "docs" / "homework-design.md", design_table(), "doc"))
    return out


def _same_cases(a: str, b: str) -> bool:
    from course_lib.grading.wire import loads

    def eq(x, y):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            return x.shape == y.shape and np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
        if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            return len(x) == len(y) and all(eq(p, q) for p, q in zip(x, y))
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
        if isinstance(x, float) or isinstance(y, float):
            return np.isclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
        return x == y

    try:
        return eq(loads(json.dumps(json.loads(a))), loads(json.dumps(json.loads(b))))
    except ValueError:
        return False


def stale(planned: list[Planned]) -> list[Path]:
    bad = []
    for p in planned:
        if not p.path.exists():
            bad.append(p.path)
            continue
        current = p.path.read_text(encoding="utf-8")
        same = _same_cases(current, p.text) if p.kind == "cases" else current == p.text
        if not same:
            bad.append(p.path)
    return bad


def write(planned: list[Planned]) -> list[Path]:
    """Write what is stale; a case file equal up to last-bit float differences is left as it is."""
    written = []
    for p in planned:
        p.path.parent.mkdir(parents=True, exist_ok=True)
        if p.path in stale([p]):
            p.path.write_text(p.text, encoding="utf-8")
            written.append(p.path)
    return written
