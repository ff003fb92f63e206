"""grades.csv: one row per student, the final total and the points of each exercise (and manual item); text
cells written so that a spreadsheet never runs them."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.model import SubmissionResult
from course_lib.grading.model import Homework


def fmt(x: float) -> str:
    """A number in an export: up to 6 significant figures (8.59091, 11.7, 12.5)."""
    return f"{x:.6g}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ tab or CR gets a leading apostrophe
    (OWASP CSV injection). Numbers we format ourselves are written as they are."""
    value = str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(hw: Homework, results: list[SubmissionResult], path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_text(h) for h in ["student", "total", "max_total"] + [e.name for e in hw.exercises]])
        for r in results:
            pts = {e.name: e.points for e in r.exercises}
            w.writerow([csv_text(r.student), fmt(r.total), fmt(r.max_total)] + [fmt(pts.get(e.name, 0.0))
                                                                                   for e in hw.exercises])


def write_grades(hw: Homework, rows: list, path: Path, items: list | None = None, late: bool = False) -> None:
    """grades.csv from gradebook rows: the columns of `write_csv` (total = the final total), then one column per
    manual item (when the homework has any), raw_total, late_days, penalty (when a late policy is set or a row
    is late), and always status ("graded", "no longer submitted", "no submission", "withdrawn", with a note such
    as "not on the roster"), so a script reading the file finds the same columns every time."""
    items = list(items or [])
    late = late or any(r.late_days for r in rows)
    header = ["student", "total", "max_total"] + [e.name for e in hw.exercises] + [it.name for it in items]
    header += ["raw_total", "late_days", "penalty"] if late else []
    header += ["status"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_text(h) for h in header])
        for r in rows:
            pts = {e.name: e.points for e in r.result.exercises}
            line = [csv_text(r.student), fmt(r.total), fmt(r.max_total)]
            line += [fmt(pts.get(e.name, 0.0)) for e in hw.exercises]
            line += [fmt(r.manual[it.name][0]) if it.name in r.manual else "" for it in items]
            if late:
                line += [fmt(r.raw_total), str(r.late_days), f"{r.penalty * 100:.4g}%"]
            line.append(csv_text(status_text(r)))
            w.writerow(line)


def status_text(row) -> str:
    note = getattr(row, "note", "")
    return row.status + (f" ({note})" if note else "")
