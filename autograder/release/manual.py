"""Manually graded items: cells marked in the solution notebook, and each student's answer to them.

A cell of `solutions/hwNN_*.ipynb` is a manually graded item when its metadata holds

    "manual": {"name": "own_estimate", "points": 2}

(`course release` keeps cell metadata, so the student's copy carries the mark too). The student's answer is
the cells after the marked one up to the next markdown heading (plus the marked cell itself when it is not a
heading). In a submission the item is found by the same metadata, else by the marked cell's heading text
(case, `#` and parenthesised remarks ignored), else at the same cell position when the notebook has as many
cells as the solution.

The review sheet (`course review`) is in review/manual.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autograder.paths import solution_notebook
from course_lib.grading.notebook import cell_source, read_notebook

MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True)
class ManualItem:
    name: str
    points: float
    heading: str  # normalised heading text the answer sits under ("" if none)
    title: str  # the heading as written, for the sheet
    index: int  # cell index in the solution notebook
    n_cells: int  # cells in the solution notebook


@dataclass
class Answer:
    item: str
    found: str  # "metadata" | "heading" | "position" | "" (not found)
    cells: list[tuple[str, str]]  # (cell type, source)
    outputs: list[str] = field(default_factory=list)  # per cell, the text of its saved outputs ("" if none)


def _source(cell: dict) -> str:
    return cell_source(cell)  # a malformed source (a list holding a number) reads as its strings, never raises


def _heading(cell: dict) -> str:
    if cell.get("cell_type") != "markdown":
        return ""
    for line in _source(cell).splitlines():
        if line.strip():
            return line.strip() if line.lstrip().startswith("#") else ""
    return ""


def normalise(heading: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", heading.lstrip("#").lower())
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def _marker(cell: dict) -> dict | None:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    m = meta.get("manual") if isinstance(meta, dict) else None
    return m if isinstance(m, dict) and m.get("name") else None


@lru_cache(maxsize=32)
def _items(homework_name: str) -> tuple[ManualItem, ...]:
    nb = read_notebook(solution_notebook(homework_name))
    cells = nb["cells"]
    out = []
    for i, c in enumerate(cells):
        m = _marker(c)
        if not m:
            continue
        head = _heading(c) or next((_heading(p) for p in reversed(cells[:i]) if _heading(p)), "")
        try:
            points = float(m.get("points", 0))
        except (TypeError, ValueError):
            raise ValueError(f"{homework_name}: manual item {m['name']!r}: points must be a number") from None
        out.append(ManualItem(str(m["name"]), points, normalise(head), head.lstrip("#").strip(), i, len(cells)))
    return tuple(out)


def manual_items(assignment) -> list[ManualItem]:
    """The manually graded items of an assignment (or its name), in notebook order: none for most homework, none
    for an assignment without a solution notebook (a lecture's concept checks)."""
    name = assignment if isinstance(assignment, str) else assignment.name
    if not solution_notebook(name).exists():
        return []
    return list(_items(name))


def _output_text(cell: dict) -> str:
    """A code cell's saved outputs as text: streams, results and displays (text/plain), errors; images named."""
    parts = []
    for o in cell.get("outputs") or []:
        if not isinstance(o, dict):
            continue
        if o.get("output_type") == "stream":
            parts.append(_source({"source": o.get("text", "")}))
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename', 'Error')}: {o.get('evalue', '')}")
        elif isinstance(o.get("data"), dict):
            data = o["data"]
            text = _source({"source": data.get("text/plain", "")})
            parts.append(text or ("[image]" if any(k.startswith("image/") for k in data) else ""))
    return "\n".join(p.rstrip("\n") for p in parts if p)


def _answer_from(cells: list, start: int) -> tuple[list[tuple[str, str]], list[str]]:
    out, outputs = [], []
    first = cells[start]
    if not _heading(first):
        out.append((str(first.get("cell_type", "?")), _source(first)))
        outputs.append(_output_text(first))
    for c in cells[start + 1:]:
        if not isinstance(c, dict) or _heading(c):
            break
        out.append((str(c.get("cell_type", "?")), _source(c)))
        outputs.append(_output_text(c))
    return out, outputs


def find_answer(nb: dict, item: ManualItem) -> Answer:
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    for i, c in enumerate(cells):
        m = _marker(c)
        if m and str(m.get("name")) == item.name:
            return Answer(item.name, "metadata", *_answer_from(cells, i))
    if item.heading:
        for i, c in enumerate(cells):
            h = _heading(c)
            if h and normalise(h) == item.heading:
                return Answer(item.name, "heading", *_answer_from(cells, i))
    if len(cells) == item.n_cells:
        return Answer(item.name, "position", *_answer_from(cells, item.index))
    return Answer(item.name, "", [])


def answers_for(path: Path | None, items: list[ManualItem]) -> dict[str, Answer]:
    if path is None:
        return {it.name: Answer(it.name, "", []) for it in items}
    try:
        return {it.name: find_answer(read_notebook(path), it) for it in items}
    except Exception:  # noqa: BLE001 - an unreadable or malformed notebook costs its own student only
        return {it.name: Answer(it.name, "", []) for it in items}


# -- the review sheet ------------------------------------------------------------------------------------------
