"""Which notebook is the submission when a student hands in several (a folder, several files of one Canvas
submission, a Gradescope upload): one rule, used by `course grade`, `course review`, `course similarity` and
the Gradescope autograder.

1. A notebook named after the homework (`hw04_backprop.ipynb` or `hw04.ipynb`, any case; in a Canvas name the
   student's own file name counts) is preferred to every other; JupyterLab's `hw04_backprop-Copy1.ipynb` and an
   `Untitled.ipynb` are not named after it.
2. Among the notebooks left, the one that defines the most graded functions (top-level `def`/`class` lines
   naming an exercise; the file is read bounded, nothing is run or parsed). Unreadable notebooks come last.
3. Then the one whose name starts with the homework's short name, then the shallowest, then name order.

The choice is always reported with the notebooks left out (collect.txt, the terminal, the student's feedback).
Rule 2 reads at most MAX_SCANNED notebooks and MAX_SCANNED_BYTES in all (shallowest first, then by name); the
others count as defining nothing (they can still win by name).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from autograder.grade.ids import lms_file
from course_lib.grading.notebook import NotebookError, defined_names, read_notebook

MAX_SCANNED = 50
MAX_SCANNED_BYTES = 200 * 1024 * 1024


@dataclass
class Choice:
    path: Path
    why: str  # "named after the homework", "defines the most graded functions (3 of 5)", …
    others: list[Path] = field(default_factory=list)  # the notebooks not graded


def _stem(path: Path) -> str:
    name = lms_file(path.name)
    return (name[:-len(".ipynb")] if name.endswith(".ipynb") else name).lower()


def graded_defined(path: Path, names: Sequence[str]) -> int:
    """How many of `names` the notebook defines at top level; -1 when it cannot be read."""
    try:
        return len(defined_names(read_notebook(path)) & set(names))
    except (NotebookError, OSError):
        return -1


def _to_scan(pool: list[Path]) -> set[Path]:
    out, budget = set(), MAX_SCANNED_BYTES
    for p in sorted(pool, key=lambda p: (len(p.parts), str(p)))[:MAX_SCANNED]:
        try:
            budget -= os.lstat(p).st_size
        except OSError:
            continue
        if budget < 0:
            break
        out.add(p)
    return out


def choose_notebook(paths: Sequence[Path], homework: str = "", names: Sequence[str] = ()) -> Choice:
    """The notebook to grade among `paths` (at least one), by the rule above."""
    paths = list(paths)
    if len(paths) == 1:
        return Choice(paths[0], "the only notebook")
    short = homework.split("_")[0].lower()
    titles = {homework.lower(), short} - {""}
    named = [p for p in paths if _stem(p) in titles]
    pool = named or paths
    why = "named after the homework" if named else ""
    if len(pool) > 1 and names:
        scanned = _to_scan(pool)
        count = {p: graded_defined(p, names) if p in scanned else 0 for p in pool}
        best = max(count.values())
        top = [p for p in pool if count[p] == best]
        if len(top) < len(pool):
            pool = top
            why = (why + " and " if why else "") + (f"defines the most graded functions ({best} of {len(set(names))})"
                                                     if best > 0 else "the others cannot be read")
    if len(pool) > 1:
        why = (why + "; " if why else "") + "ties broken by name"
    pick = min(pool, key=lambda p: (not (short and _stem(p).startswith(short)), len(p.parts), str(p)))
    return Choice(pick, why, [p for p in paths if p != pick])


def choice_note(choice: Choice, shown_name) -> str:
    """One line: which notebook was graded, why, and which were not (`shown_name(path)` prints a path)."""
    left = ", ".join(shown_name(p) for p in choice.others[:10]) + (", …" if len(choice.others) > 10 else "")
    return (f"{len(choice.others) + 1} notebooks; graded {shown_name(choice.path)} ({choice.why}); "
            f"not graded: {left}")
