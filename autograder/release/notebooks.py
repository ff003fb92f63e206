"""The notebooks `course release` generates from a solution notebook: the student's copy (solution blocks
replaced by a stub naming the exercise, a self-check cell after each graded definition, a check_all cell at the
end), the sample class's correct notebook, and the public cases' expected outputs."""

from __future__ import annotations

import copy

import nbformat

from autograder.grade.reference import expected_for
from autograder.release.colab import with_setup_cell
from autograder.release.solution import SolutionError, parse, strip_solution
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
                raise SolutionError(f"{hw.name}.{ex.name}: the reference fails on a public case: {e['error']}")
        expected[ex.name] = [e["value"] for e in outs]
    return cases_json(hw, expected)


def solution_text(hw: Homework) -> str:
    """The solution notebook with outputs cleared, as the sample class's `correct.ipynb`."""
    nb = nbformat.from_dict(with_setup_cell(copy.deepcopy(parse(hw).notebook), hw.name))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nbformat.writes(nb) + "\n"
