"""`course release`: solutions/ -> assignments/ (solution blocks stripped, self-check cells added, a check_all cell
at the end) + public cases; the setup cell of every notebook and the README's Colab table from pyproject.toml's
repository address (autograder/colab.py)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from autograder.colab import colab_table, readme_with_table, with_setup_cell
from autograder.grader import expected_for
from autograder.paths import (
    assignments_dir,
    course_root,
    public_cases_dir,
    samples_dir,
    solution_notebook,
    solutions_dir,
)
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


def _check_all_cell():
    cell = nbformat.v4.new_code_cell(
        "# Check every exercise at once: one line each, then how many pass (the grader also runs hidden cases).\n"
        "from course_lib.check import check_all\n\ncheck_all();")
    cell["id"] = "check-all"
    cell["metadata"] = {"tags": [CHECK_TAG]}
    return cell


def student_notebook(hw: Homework) -> str:
    """The assignment notebook text for `hw` (deterministic)."""
    parsed = parse(hw)
    nb = nbformat.from_dict(with_setup_cell(copy.deepcopy(parsed.notebook), hw.name))
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
    nb.cells = cells + [_check_all_cell()]
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
        from autograder.design import design_table

        out.append(Planned(course_root() / "docs" / "homework-design.md", design_table(), "doc"))
    return out


def solution_text(hw: Homework) -> str:
    """The solution notebook with outputs cleared, as the sample class's `correct.ipynb`."""
    nb = nbformat.from_dict(with_setup_cell(copy.deepcopy(parse(hw).notebook), hw.name))
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
    """The student bundle's pyproject.toml: the course's own, less the instructor and dev extras (the same package
    name, student dependencies, the `lab` extra and the `course` command), taken from the course's pyproject.toml."""
    from autograder.project import core_dependencies, extra, pyproject, repository_url

    project = pyproject()["project"]

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{project['name']}"
version = "{project['version']}"
description = "{project['description']} (student bundle)"
requires-python = "{project['requires-python']}"
dependencies = {toml_list(core_dependencies())}

[project.optional-dependencies]
lab = {toml_list(extra('lab'))}

[project.scripts]
course = "course_lib.cli:main"

[project.urls]
Repository = "{repository_url()}"

[tool.setuptools]
package-dir = {{ "" = "." }}

[tool.setuptools.packages.find]
where = ["."]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["data_files/*", "public_cases/*", "quiz_keys/*"]
"""


BUNDLE_README = """# Deep Learning Basics: student bundle

The course's lectures (`notebooks/`), your homework (`assignments/`) and the `course_lib` package they use.

## Install (once)

```bash
bash install.sh            # makes .venv: torch (the small CPU build where there is no NVIDIA GPU), then the course
.venv/bin/course lab       # JupyterLab on the course; `--quick` runs every lecture at small sizes
```

`install.sh` installs PyTorch's CPU build when the machine has no NVIDIA GPU (a few hundred MB instead of several
GB), then `pip install -e ".[lab]"`: course_lib with numpy, torch, matplotlib and ipywidgets, and JupyterLab.
Without JupyterLab (`pip install -e .`), the self-check still works from a terminal.

## Homework

Open `assignments/hwNN_*.ipynb`, fill in each function, and run the self-check cell under it (the last cell checks
every exercise). From a terminal:

```bash
.venv/bin/course check assignments/hw01_gradient_descent.ipynb   # one line per exercise, then "k/n pass"
```

## Google Colab

Upload a notebook, then upload `wheel/deep_learning_basics-*.whl` beside it (Files panel): the notebook's first
cell installs the course from that wheel when it cannot reach the course repository.
"""

BUNDLE_INSTALL = """#!/usr/bin/env bash
# Install the course for a student: bash install.sh [VENV]   (default .venv, made if missing)
set -euo pipefail
cd "$(dirname "$0")"
VENV="${1:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip>=23" >/dev/null 2>&1 || true
bash install_torch.sh "$VENV/bin/python"
"$VENV/bin/python" -m pip install -q -e ".[lab]"
echo "ready: $VENV/bin/course lab   (self-check from a terminal: $VENV/bin/course check assignments/NOTEBOOK)"
"""


def bundle(dest: Path, wheel: bool = True) -> Path:
    """A student bundle: lectures, assignments, course_lib with public cases, an install script and (with `wheel`) a
    wheel of course_lib for Colab; no solutions, no hidden cases."""
    import subprocess
    import sys

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
    (dest / "README.md").write_text(BUNDLE_README, encoding="utf-8")
    (dest / "install.sh").write_text(BUNDLE_INSTALL, encoding="utf-8")
    shutil.copy(root / "tools" / "install_torch.sh", dest / "install_torch.sh")
    if wheel:
        out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                              str(dest), "-w", str(dest / "wheel")], capture_output=True, text=True, timeout=600)
        for junk in ("build", "deep_learning_basics.egg-info"):
            shutil.rmtree(dest / junk, ignore_errors=True)
        if out.returncode != 0:
            raise ReleaseError(f"the bundle's wheel did not build: {out.stderr.strip().splitlines()[-1:]}")
    return dest
