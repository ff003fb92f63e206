"""One parse of a solution notebook, and the three rules every emitter shares.

- Solution blocks: `### BEGIN SOLUTION` ... `### END SOLUTION` lines inside a graded definition.
- Magic lines (`%`, `!`, `?` at the start of a line) are not Python: blanked before parsing
  (course_lib.grading.notebook.strip_magics, shared with the student's `course check`).
- Top-level definitions: the functions and classes a cell defines at its top level.

`course release` (student copies), the nbgrader and otter exports and the sample class are emitters of
`parse(hw)`; none of them re-implements these rules.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.model import Homework
from course_lib.grading.notebook import cell_source, read_notebook, strip_magics

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_][A-Za-z0-9_]*)")


class SolutionError(ValueError):
    """A solution notebook breaks the authoring rules (one-line reason)."""


def top_level_names(src: str) -> list[str]:
    """Functions and classes defined at the top level of a cell (empty if it does not parse)."""
    try:
        tree = ast.parse(strip_magics(src))
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def is_marker(line: str, which: str) -> bool:
    """`which` is BEGIN or END; markers stand alone on their line (indentation allowed)."""
    return line.strip() == which


def marker_indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


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
        if is_marker(line, BEGIN):
            indent = marker_indent(line)
            j = i + 1
            while j < len(lines) and not is_marker(lines[j], END):
                j += 1
            if j == len(lines):
                raise SolutionError(f"'{BEGIN}' without '{END}'")
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


def replace_markers(src: str, begin: str, end: str) -> str:
    """The same source with the marker lines spelled `begin` / `end` (indentation kept): for other tools."""
    out = []
    for line in src.split("\n"):
        if is_marker(line, BEGIN):
            out.append(marker_indent(line) + begin)
        elif is_marker(line, END):
            out.append(marker_indent(line) + end)
        else:
            out.append(line)
    return "\n".join(out)


@dataclass
class SolutionCell:
    """A solution-notebook code cell holding solution blocks, and the exercises it defines."""

    index: int
    source: str
    defines: list[str]  # top-level names defined by the cell
    exercises: list[str]  # those that are graded exercises, in homework order


@dataclass
class ParsedSolution:
    """A solution notebook as every emitter needs it: the notebook and its solution cells by index."""

    homework: Homework
    notebook: dict
    cells: dict[int, SolutionCell]


def parse(hw: Homework, path: Path | None = None) -> ParsedSolution:
    """Read solutions/<hw>.ipynb once: which cells hold solution blocks and which exercises each defines."""
    from autograder.paths import solution_notebook

    path = path or solution_notebook(hw.name)
    if not path.exists():
        raise SolutionError(f"{hw.name}: no solution notebook at {path}")
    nb = read_notebook(path)
    names = [e.name for e in hw.exercises]
    cells = {}
    for i, cell in enumerate(nb["cells"]):
        src = cell_source(cell)
        if cell.get("cell_type") == "code" and BEGIN in src:
            defines = top_level_names(src)
            cells[i] = SolutionCell(i, src, defines, [n for n in names if n in defines])
    placed = {n for sc in cells.values() for n in sc.exercises}
    missing = [n for n in names if n not in placed]
    if missing:
        raise SolutionError(f"{hw.name}: no solution block defines {missing}")
    return ParsedSolution(hw, nb, cells)
