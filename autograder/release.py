"""`course release`: solutions/ -> assignments/ (solution blocks stripped, self-check cells added) + public cases."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from autograder.grader import expected_for
from autograder.paths import assignments_dir, course_root, public_cases_dir, samples_dir, solution_notebook
from autograder.solution import SolutionError, parse, strip_solution
from course_lib.grading.homework import all_homeworks
from course_lib.grading.model import Homework

CHECK_TAG = "self-check"
ReleaseError = SolutionError  # a solution notebook breaks the authoring rules (one-line reason)


def _check_cell(name: str, cell_id: str):
    cell = nbformat.v4.new_code_cell(
        f"# Self-check: the public cases of `{name}` (the grader also runs hidden ones).\n"
        f"from course_lib.check import check\n\ncheck(\"{name}\");")
    cell["id"] = cell_id
    cell["metadata"] = {"tags": [CHECK_TAG], "deletable": True}
    return cell


def student_notebook(hw: Homework) -> str:
    """The assignment notebook text for `hw` (deterministic)."""
    parsed = parse(hw)
    nb = nbformat.from_dict(parsed.notebook)
    names = {e.name for e in hw.exercises}
    cells, seen = [], set()
    for k, cell in enumerate(nb.cells):
        cell = nbformat.from_dict(dict(cell))
        cell.setdefault("id", f"cell-{k:03d}")
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if k in parsed.cells:
                new, _ = strip_solution(parsed.cells[k].source, hw.short)
                cell["source"] = new
                cells.append(cell)
                for name in parsed.cells[k].defines:
                    if name in names and name not in seen:
                        seen.add(name)
                        cells.append(_check_cell(name, f"{cell['id']}-check-{name}"[:64]))
                continue
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nbformat.writes(nb) + "\n"


def public_cases(hw: Homework) -> str:
    """The public-case file: the reference's expected outputs only (none for property-checked exercises)."""
    from course_lib.grading.public import cases_json

    expected = {}
    for ex in hw.exercises:
        if ex.check is not None:
            expected[ex.name] = None
            continue
        outs = expected_for(hw, ex, list(ex.public))
        for e in outs:
            if "error" in e:
                raise ReleaseError(f"{hw.name}.{ex.name}: the reference fails on a public case: {e['error']}")
        expected[ex.name] = [e["value"] for e in outs]
    return cases_json(hw, expected)


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

    return [Planned(quiz_keys_path(q.lecture), keys_json(q.lecture, q.questions), "quiz")
            for q in (all_quizzes() if quizzes is None else quizzes)]


def plan(homeworks: list[Homework] | None = None, quizzes: list | None = None) -> list[Planned]:
    """Every generated file; with neither list given, all homework and every lecture's quiz keys, else only
    the homework and quizzes named."""
    if homeworks is None and quizzes is None:
        return _plan_homeworks(all_homeworks()) + plan_quizzes()
    return _plan_homeworks(homeworks or []) + (plan_quizzes(quizzes) if quizzes else [])


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
        from autograder.design import design_table

        out.append(Planned(course_root() / "docs" / "homework-design.md", design_table(), "doc"))
    return out


def solution_text(hw: Homework) -> str:
    """The solution notebook with outputs cleared, as the sample class's `correct.ipynb`."""
    nb = nbformat.from_dict(parse(hw).notebook)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nbformat.writes(nb) + "\n"


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


def bundle_pyproject() -> str:
    """The student bundle's pyproject.toml, its dependencies taken from the course's pyproject.toml."""
    from autograder.deps import STUDENT, requirements

    deps = ", ".join(f'"{r}"' for r in requirements(STUDENT))
    return BUNDLE_PYPROJECT.replace("@DEPENDENCIES@", f"[{deps}]")


BUNDLE_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "deep-learning-basics-student"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = @DEPENDENCIES@

[tool.setuptools.packages.find]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["data_files/*", "public_cases/*", "quiz_keys/*"]
"""


def bundle(dest: Path) -> Path:
    """A student bundle: lectures, assignments, course_lib with public cases; no solutions, no hidden cases."""
    root = course_root()
    if dest.exists() and any(dest.iterdir()):
        raise ReleaseError(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(root / "course_lib", dest / "course_lib", ignore=ignore)
    for folder in ("notebooks", "assignments"):
        if (root / folder).exists():
            shutil.copytree(root / folder, dest / folder, ignore=ignore)
    (dest / "pyproject.toml").write_text(bundle_pyproject(), encoding="utf-8")
    (dest / "README.md").write_text(
        "# Deep Learning Basics: student bundle\n\n`pip install -e .` then `jupyter lab`. Lectures are in "
        "`notebooks/`, homework in `assignments/`; run the self-check cell under each exercise.\n",
        encoding="utf-8")
    return dest
