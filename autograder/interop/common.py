"""Shared by the nbgrader and otter exports: graded cases with reference outputs, and test-cell source.

Every export grades exactly what `course grade` grades: per exercise, the public cases then the hidden
cases drawn from the course seed, each worth its share of the points (Exercise.case_points), expected outputs
computed here from the reference (solutions/), and the same judge (course_lib.grading.judge). The
test cells call course_lib only, so they run wherever the student notebook runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from autograder.grade.reference import ExpectedCache
from autograder.hidden.seed import resolve_seed
from autograder.release.solution import ParsedSolution, parse, top_level_names
from course_lib.grading.homework import load_homework
from course_lib.grading.model import Case, Exercise, Homework
from course_lib.grading.notebook import cell_source
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
    cache = ExpectedCache(hw, resolve_seed(seed)[0], include_hidden=True)
    out: dict[str, list[GradedCase]] = {}
    for ex in hw.exercises:
        public, hidden, expected = cache.get(ex)
        cases = public + hidden
        points = ex.case_points(len(cases), budgeted=ex.budget is not None and bool(hidden))
        out[ex.name] = [
            GradedCase(hw.name, ex, (i + 1) if i < len(public) else (i - len(public) + 1), i >= len(public),
                       points[i], c, e)
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

    They print nothing (the student's prints and anything written to stderr, warnings included, are swallowed:
    nbgrader zeroes a test cell that writes to stderr), so they also work as an otter doctest whose expected
    output is empty. As `course grade` does (course_lib.grading.run.define), graded names imported from the
    course library's answer modules are replaced by stand-ins that raise before the case runs. The case is
    decided by the grader's own judge, within the exercise's time limit shared by its cases (an endless loop
    costs that exercise only, as in `course grade`); failure messages for hidden cases never show inputs or
    values.
    """
    what = f"hidden case {gc.index}" if gc.hidden else f"public case {gc.index}"
    msg = f"{gc.exercise.name}: {what} failed"
    detail = f"{msg!r}" if gc.hidden else f"{msg!r} + ': ' + _v.message"
    return "\n".join([
        "import contextlib as _cl, io as _io, types as _ty, warnings as _wn",
        "from course_lib.grading.homework import load_homework as _lh",
        "from course_lib.grading.judge import run_and_judge_limited as _rj",
        "from course_lib.grading.run import forbid_course_answers as _fa",
        "from course_lib.grading.wire import loads as _ld",
        f"_c = _ld({payload(gc)!r})",
        "_x = _lh(_c['homework']).exercise(_c['exercise'])",
        "_r = {'error': _c['reference_error']} if 'reference_error' in _c else {'value': _c['expected']}",
        "_fa(globals())",
        "for _o in list(globals().values()):  # the notebook's own namespace, if this one is a copy of it",
        "    _g = _o.__globals__ if isinstance(_o, _ty.FunctionType) else None",
        "    if isinstance(_g, dict) and _g is not globals() and _g.get('__name__') == __name__:",
        "        _fa(_g)",
        "with _cl.redirect_stdout(_io.StringIO()), _cl.redirect_stderr(_io.StringIO()), _wn.catch_warnings():",
        "    _wn.simplefilter('ignore')",
        "    _v = _rj(globals(), _x, _c['homework'], _c['args'], _c['kwargs'], _r)",
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


TOOLS = {"nbgrader": "nbgrader", "otter": "Otter", "gradescope": "the Gradescope zip"}


def differences(hw: Homework, target: str) -> list[str]:
    """What the `target` export (nbgrader, otter, gradescope) grades differently from `course grade`, or asks the
    instructor to grade elsewhere, one line each: written to the export's README and printed by `course export`.

    nbgrader and Otter run the tests in the student's kernel, next to their code and without the reference timed on
    the same machine, so a time budget's larger case is checked for correctness only; manual items are manual
    questions there (graded in nbgrader's formgrader or on Gradescope), so the autograded score is out of the
    autograded points and the total out of the same maximum as `course grade`'s."""
    from autograder.release.manual import manual_items

    tool, out = TOOLS[target], []
    auto = float(sum(e.points for e in hw.exercises))
    for ex in hw.exercises:
        if ex.per_output and target != "gradescope":
            out.append(f"{ex.name}: a case whose outputs are partly right gets, in `course grade`, the share of its "
                       f"points of the outputs that are right; {tool} gives such a case all or nothing.")
        if ex.budget is None:
            continue
        timed = ex.points * ex.budget.share
        if target == "gradescope":
            out.append(f"{ex.name}: the timed case ({timed:g} of {ex.points:g} points) is timed as `course grade` "
                       f"times it (against the reference, in the same container): a correct but slow solution gets "
                       f"half of it ({timed / 2:g}).")
        else:
            out.append(f"{ex.name}: the timed case ({timed:g} of {ex.points:g} points) is checked for correctness "
                       f"only: {tool} runs it in the student's kernel and cannot time it fairly. A correct but slow "
                       f"solution (loops where vectorised code is asked) gets all {timed:g} points here and "
                       f"{timed / 2:g} in `course grade`.")
    items = manual_items(hw)
    where = {"nbgrader": "a manually graded answer cell (grade it in nbgrader's formgrader)",
             "otter": "a manual question (grade it on Gradescope)",
             "gradescope": "graded by hand: add a manual question with this name and these points to the "
                           "assignment's outline on Gradescope"}[target]
    for it in items:
        out.append(f"{it.name} ({it.points:g} points): {where}; the autograder scores {auto:g} of the "
                   f"{auto + sum(i.points for i in items):g} points, as in `course grade`.")
    return out


@dataclass
class ManualBlock:
    """A manually graded item's cells in the solution notebook: the marked cell (`first`), the cells of the answer
    up to the next heading (`last` is the final one) and the one an export grades (`answer`: the last markdown
    cell of the answer, else its last cell)."""

    name: str
    points: float
    first: int
    last: int
    answer: int


def manual_blocks(hw: Homework, cells: list[dict]) -> dict[int, ManualBlock]:
    """The manual items of `hw` (release/manual.py), keyed by their first cell's index in `cells`."""
    from autograder.release.manual import manual_items

    def heading(c: dict) -> bool:
        lines = [ln for ln in cell_source(c).splitlines() if ln.strip()]
        return c.get("cell_type") == "markdown" and bool(lines) and lines[0].lstrip().startswith("#")

    out = {}
    for it in manual_items(hw):
        last = it.index
        while last + 1 < len(cells) and not heading(cells[last + 1]):
            last += 1
        md = [k for k in range(it.index + 1, last + 1) if cells[k].get("cell_type") == "markdown"]
        out[it.index] = ManualBlock(it.name, it.points, it.index, last, md[-1] if md else last)
    return out


def readme_text(homeworks: list[Homework], target: str) -> str:
    """README.md of an export: how its scores compare with `course grade`'s, per homework."""
    lines = [f"# {TOOLS[target][0].upper() + TOOLS[target][1:]} export: what differs from `course grade`", "",
             "Every case is worth what `course grade` gives it (public cases, then hidden cases from the course "
             "seed, the same judge). Differences, per homework:", ""]
    for h in homeworks:
        diffs = differences(h, target)
        lines += [f"## {h.name}", ""] + ([f"- {d}" for d in diffs] or ["- none: the same scores."]) + [""]
    return "\n".join(lines)


def student_definitions(student: dict) -> list[str]:
    """What `course grade` runs of a notebook: per top-level statement kept by the grader's extraction
    (course_lib.grading.notebook.extract_source: imports, def, class, NAME = literal) from every code cell, in
    notebook order; a cell with a syntax error contributes nothing.
    Demos, prints, training loops and statements that raise are left out."""
    from course_lib.grading.notebook import code_cells, extract_source

    out = []
    for index, src in code_cells(student):
        chunks, _, _ = extract_source(src, f"cell {index + 1}")
        out.extend(src for _, src, _ in chunks)
    return out


def is_fixed_cell(cell: dict) -> bool:
    """A cell the tool owns and restores: nbgrader's locked or graded cells, Otter's init and check cells."""
    meta = cell.get("metadata") or {}
    nbg = meta.get("nbgrader") or {}
    return bool(nbg.get("locked") or nbg.get("grade")) or meta.get("editable") is False


def fill_from_submission(template: dict, student: dict, hw: Homework) -> dict:
    """Put a course-format submission's code into a released notebook (nbgrader/otter student copy).

    The result runs exactly the definitions `course grade` runs (student_definitions: every code cell's imports,
    functions, classes and NAME = literal, helper cells included, nothing else), one statement per cell so that a
    failing statement costs only itself (as in course_lib.grading.run.define). They replace the template's first
    solution cell (the first cell defining a graded name); every other code cell the student could edit (stubs,
    setup, demos, self-checks) is emptied, so no stub redefines a student's function and no demo runs. The
    tool's locked test cells (is_fixed_cell) are kept as released.
    """
    import copy

    graded = {e.name for e in hw.exercises}
    defs = student_definitions(student)
    out = copy.deepcopy(template)
    editable = [k for k, c in enumerate(out["cells"]) if c.get("cell_type") == "code" and not is_fixed_cell(c)]
    first = next((k for k in editable if graded & set(top_level_names(cell_source(out["cells"][k])))),
                 editable[0] if editable else None)
    for k in editable:
        out["cells"][k]["source"] = ""
        out["cells"][k]["outputs"], out["cells"][k]["execution_count"] = [], None
    if first is None:
        return out
    base = out["cells"][first]
    base_id = str(base.get("id") or f"cell-{first}")
    new_cells = []
    for j, src in enumerate(defs or [""]):
        cell = copy.deepcopy(base)
        cell["source"] = src
        if j:
            cell["id"] = f"{base_id[:50]}-d{j}"
            cell["metadata"] = {}  # one solution cell per grade id: the copies are plain code cells
        new_cells.append(cell)
    out["cells"][first:first + 1] = new_cells
    return out
