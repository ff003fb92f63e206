"""`course release`: solutions/ -> assignments/ (solution blocks stripped, self-check cells added) + public cases."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from autograder.grader import expected_for
from autograder.paths import assignments_dir, course_root, public_cases_dir, solution_notebook
from autograder.spec import Homework, all_homeworks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_][A-Za-z0-9_]*)")
CHECK_TAG = "self-check"


class ReleaseError(ValueError):
    """A solution notebook breaks the authoring rules (one-line reason)."""


def strip_solution(src: str, hw_short: str) -> tuple[str, list[str]]:
    """Replace each BEGIN/END SOLUTION block by a NotImplementedError naming its function."""
    out, stack, touched = [], [], []
    lines = src.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _DEF.match(line)
        if m:
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(3)))
        if line.strip() == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            j = i + 1
            while j < len(lines) and lines[j].strip() != END:
                j += 1
            if j == len(lines):
                raise ReleaseError(f"'{BEGIN}' without '{END}'")
            while stack and stack[-1][0] >= len(indent):
                stack.pop()
            where = ".".join(name for _, name in stack) or "exercise"
            out.append(f'{indent}raise NotImplementedError("{hw_short}.{where}: your code here")')
            touched.append(where)
            i = j + 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out), touched


def _check_cell(name: str, cell_id: str):
    cell = nbformat.v4.new_code_cell(
        f"# Self-check: the public cases of `{name}` (the grader also runs hidden ones).\n"
        f"from course_lib.check import check\n\ncheck(\"{name}\");")
    cell["id"] = cell_id
    cell["metadata"] = {"tags": [CHECK_TAG], "deletable": True}
    return cell


def student_notebook(hw: Homework) -> str:
    """The assignment notebook text for `hw` (deterministic)."""
    nb = nbformat.read(str(solution_notebook(hw.name)), as_version=4)
    names = {e.name for e in hw.exercises}
    cells, seen = [], set()
    for k, cell in enumerate(nb.cells):
        cell = nbformat.from_dict(dict(cell))
        cell.setdefault("id", f"cell-{k:03d}")
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
            src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if BEGIN in src:
                new, _ = strip_solution(src, hw.short)
                cell["source"] = new
                cells.append(cell)
                defined = [m.group(3) for m in map(_DEF.match, src.split("\n")) if m and not m.group(1)]
                for name in defined:
                    if name in names and name not in seen:
                        seen.add(name)
                        cells.append(_check_cell(name, f"{cell['id']}-check-{name}"[:64]))
                continue
        cells.append(cell)
    missing = names - seen
    if missing:
        raise ReleaseError(f"{hw.name}: no solution block defines {sorted(missing)}")
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nbformat.writes(nb) + "\n"


def public_cases(hw: Homework) -> str:
    from course_lib.check import public_cases_json

    exercises = []
    for ex in hw.exercises:
        expected = expected_for(hw, ex, list(ex.public))
        cases = []
        for c, e in zip(ex.public, expected):
            if "error" in e:
                raise ReleaseError(f"{hw.name}.{ex.name}: the reference fails on a public case: {e['error']}")
            cases.append({"args": list(c.args), "kwargs": dict(c.kwargs), "expected": e["value"]})
        exercises.append({"name": ex.name, "points": ex.points, "driver": ex.driver, "check": ex.check,
                          "rtol": ex.rtol, "atol": ex.atol, "cases": cases})
    return public_cases_json(hw.name, exercises)


@dataclass
class Planned:
    path: Path
    text: str
    kind: str  # notebook | cases


def plan(homeworks: list[Homework] | None = None) -> list[Planned]:
    out = []
    for hw in homeworks or all_homeworks():
        if not solution_notebook(hw.name).exists():
            raise ReleaseError(f"{hw.name}: no solution notebook at {solution_notebook(hw.name)}")
        out.append(Planned(assignments_dir() / f"{hw.name}.ipynb", student_notebook(hw), "notebook"))
        out.append(Planned(public_cases_dir() / f"{hw.name}.json", public_cases(hw), "cases"))
    return out


def _same_cases(a: str, b: str) -> bool:
    from course_lib.wire import loads

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
    written = []
    for p in planned:
        p.path.parent.mkdir(parents=True, exist_ok=True)
        if not p.path.exists() or p.path.read_text(encoding="utf-8") != p.text:
            p.path.write_text(p.text, encoding="utf-8")
            written.append(p.path)
    return written


BUNDLE_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "deep-learning-basics-student"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["numpy>=1.24,<3", "torch>=2.1,<3", "matplotlib>=3.7,<4", "ipywidgets>=7.7.1,<9",
                "scikit-learn>=1.2", "tqdm>=4.60", "jupyterlab>=4.0.7,<5"]

[tool.setuptools.packages.find]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["data_files/*", "public_cases/*"]
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
    (dest / "pyproject.toml").write_text(BUNDLE_PYPROJECT, encoding="utf-8")
    (dest / "README.md").write_text(
        "# Deep Learning Basics: student bundle\n\n`pip install -e .` then `jupyter lab`. Lectures are in "
        "`notebooks/`, homework in `assignments/`; run the self-check cell under each exercise.\n",
        encoding="utf-8")
    return dest
