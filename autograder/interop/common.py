"""Shared by the nbgrader and otter exports: graded cases with reference outputs, and test-cell source.

Every export grades exactly what `course grade` grades: per exercise, the public cases then the hidden
cases drawn from the course seed, each worth points / number of cases, expected outputs computed here
from the reference (solutions/), and the same judge (course_lib.grading.judge). The
test cells call course_lib only, so they run wherever the student notebook runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from autograder.grader import ExpectedCache, hidden_seed
from autograder.solution import ParsedSolution, cell_source, parse, top_level_names
from course_lib.grading.homework import load_homework
from course_lib.grading.model import Case, Exercise, Homework
from course_lib.grading.wire import dumps


@dataclass
class GradedCase:
    """One case as the grader sees it: its place, whether hidden, its points and the reference's output."""

    homework: str
    exercise: Exercise
    index: int  # 1-based among public cases or among hidden cases
    hidden: bool
    points: float
    case: Case
    expected: dict  # {"value": ...} or {"error": "..."}

    @property
    def label(self) -> str:
        return f"{self.exercise.name}-{'hidden' if self.hidden else 'public'}-{self.index}"


def graded_cases(hw: Homework, seed: str | None = None) -> dict[str, list[GradedCase]]:
    """Exercise name -> its cases in grading order (public, then hidden from the seed), with expected outputs."""
    cache = ExpectedCache(hw, hidden_seed(seed), include_hidden=True)
    out: dict[str, list[GradedCase]] = {}
    for ex in hw.exercises:
        public, hidden, expected = cache.get(ex)
        cases = public + hidden
        per_case = ex.points / max(len(cases), 1)
        out[ex.name] = [
            GradedCase(hw.name, ex, (i + 1) if i < len(public) else (i - len(public) + 1), i >= len(public),
                       per_case, c, e)
            for i, (c, e) in enumerate(zip(cases, expected))
        ]
    return out


def payload(gc: GradedCase) -> str:
    """The case as wire JSON: which exercise, its call and the expected output (plain data)."""
    ex = gc.exercise
    data = {"homework": gc.homework, "exercise": ex.name, "args": list(gc.case.args), "kwargs": dict(gc.case.kwargs)}
    if "error" in gc.expected:
        data["reference_error"] = str(gc.expected["error"])
    else:
        data["expected"] = gc.expected["value"]
    return dumps(data)


def test_code(gc: GradedCase) -> str:
    """Python statements that pass silently when the student's code passes this case, else raise.

    They print nothing (the student's prints are swallowed), so they also work as an otter doctest whose
    expected output is empty. The case is decided by the grader's own judge; failure messages for hidden
    cases never show inputs or values.
    """
    what = f"hidden case {gc.index}" if gc.hidden else f"public case {gc.index}"
    msg = f"{gc.exercise.name}: {what} failed"
    detail = f"{msg!r}" if gc.hidden else f"{msg!r} + ': ' + _v.message"
    return "\n".join([
        "import contextlib as _cl, io as _io",
        "from course_lib.grading.homework import load_homework as _lh",
        "from course_lib.grading.judge import run_and_judge as _rj",
        "from course_lib.grading.wire import loads as _ld",
        f"_c = _ld({payload(gc)!r})",
        "_x = _lh(_c['homework']).exercise(_c['exercise'])",
        "_r = {'error': _c['reference_error']} if 'reference_error' in _c else {'value': _c['expected']}",
        "with _cl.redirect_stdout(_io.StringIO()):",
        "    _v = _rj(globals(), _x, _c['args'], _c['kwargs'], _r)",
        f"assert _v.ok, {detail}",
    ])


def load(hw: str | Homework) -> tuple[Homework, ParsedSolution]:
    """The homework and its parsed solution notebook."""
    h = hw if isinstance(hw, Homework) else load_homework(hw)
    return h, parse(h)


def clean_cell(cell: dict, cell_id: str) -> dict:
    """A copy of a notebook cell with outputs cleared, a fresh id and no stale metadata."""
    out = {"cell_type": cell["cell_type"], "id": cell_id, "metadata": {},
           "source": cell_source(cell)}
    if cell["cell_type"] == "code":
        out["execution_count"] = None
        out["outputs"] = []
    elif cell.get("attachments"):
        out["attachments"] = cell["attachments"]
    return out


def code_cell(source: str, cell_id: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "id": cell_id, "metadata": metadata or {}, "source": source,
            "execution_count": None, "outputs": []}


def markdown_cell(source: str, cell_id: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": metadata or {}, "source": source}


def raw_cell(source: str, cell_id: str) -> dict:
    return {"cell_type": "raw", "id": cell_id, "metadata": {}, "source": source}


def write_notebook(nb: dict, path: Path) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    node = nbformat.from_dict(nb)
    nbformat.validate(node)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def new_notebook(cells: list[dict], metadata: dict) -> dict:
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def fill_from_submission(template: dict, student: dict, hw: Homework) -> dict:
    """Put a course-format submission's code into a released notebook (nbgrader/otter student copy).

    For each solution cell of the template (found by the graded names it defines), the student's cells that
    define any of those names replace its source, in the student's order; a name the student never defined
    keeps the template's stub. Used to turn a `course grade` submission into the form the other tool expects.
    """
    import copy

    graded = {e.name for e in hw.exercises}
    student_cells = [cell_source(c) for c in student["cells"] if c.get("cell_type") == "code"]
    by_name: dict[str, list[int]] = {}
    for k, src in enumerate(student_cells):
        for name in top_level_names(src):
            by_name.setdefault(name, []).append(k)
    out = copy.deepcopy(template)
    for cell in out["cells"]:
        if cell.get("cell_type") != "code":
            continue
        src = cell_source(cell)
        names = [n for n in top_level_names(src) if n in graded or n in by_name]
        if not names or not any(n in graded for n in names):
            continue
        picks = sorted({k for n in names for k in by_name.get(n, [])})
        if picks:
            cell["source"] = "\n\n".join(student_cells[k] for k in picks)
    return out


def add_folder_export_parser(sub, name: str, help_text: str, export_fn, next_hint: str) -> None:
    """`course export NAME DIR [hwNN ...] [--hidden-seed S]`: shared by the nbgrader and otter exports."""
    s = sub.add_parser(name, help=help_text)
    s.add_argument("dir", help="the folder to write (created if missing)")
    s.add_argument("homeworks", nargs="*", help="only these (hw01 ...); default: all")
    s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")

    def run(args) -> int:
        for path in export_fn(args.homeworks or None, args.dir, args.hidden_seed):
            print(f"wrote {path}")
        print("next: " + next_hint.format(dir=args.dir))
        return 0

    s.set_defaults(func=run)
