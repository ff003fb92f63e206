"""Exports: what instructors and students get from the gradebook. write_all writes every file of one assignment
(grades.csv, feedback/, gradescope/<student>/results.json, summary.{json,md,html}, stats/); export_from_book
rewrites them from the gradebook (after a manual score or an override). course.py: the course-wide table and the
LMS files (Canvas, Moodle)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from autograder.exports import stats
from autograder.exports.feedback import feedback_html, feedback_markdown
from autograder.exports.grades import write_grades
from autograder.exports.results import gradescope_results
from autograder.exports.summary import summarize, summary_table
from autograder.model import ExerciseResult, Outcome, Row, Status, SubmissionResult
from autograder.records.late import LatePolicy
from autograder.release.manual import manual_items
from course_lib.grading.model import Homework


def file_name(student: str) -> str:
    """The student id as a file name inside out/ (ids from grade/collect.py are already safe and unchanged)."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", student)
    return name if name.strip(".") else f"_{name}"


def placeholder(hw: Homework, student: str, status: Status) -> Row:
    """A row for a roster student with no submission: every exercise 0, not counted in statistics."""
    res = SubmissionResult(student, hw.name, [ExerciseResult(e.name, 0.0, float(e.points), status=Outcome.MISSING,
                                                             note=status) for e in hw.exercises])
    return Row(res, status=status)


def with_roster(hw: Homework, rows: list[Row], roster: list | None) -> tuple[list[Row], list[str]]:
    """Rows plus a 0 row ("no submission") per roster student without one, and the roster's withdrawn students
    marked so (kept, not counted); returns (rows, unknown students)."""
    if not roster:
        return rows, []
    ids = {s.student_id for s in roster}
    withdrawn = {s.student_id for s in roster if s.status == Status.WITHDRAWN}
    have = {r.student for r in rows}
    for r in rows:
        if r.student not in ids:
            r.note = "not on the roster"
        elif r.student in withdrawn and r.status == Status.GRADED:
            r.status = Status.WITHDRAWN
    unknown = sorted(r.student for r in rows if r.student not in ids and r.counted)
    extra = [placeholder(hw, s.student_id, Status.WITHDRAWN if s.student_id in withdrawn else Status.NO_SUBMISSION)
             for s in roster if s.student_id not in have]
    manual_max = rows[0].manual_max if rows else 0.0
    for r in extra:
        r.manual_max = manual_max
        r.manual_items = rows[0].manual_items if rows else []
    return sorted(rows + extra, key=lambda r: r.student), unknown


def write_student(hw: Homework, row: Row, out: Path) -> None:
    """One student's feedback (Markdown and HTML) and Gradescope results.json."""
    r, iso = row.result, row.isolation
    md = feedback_markdown(hw, r, iso, row)
    name = file_name(r.student)
    (out / "feedback" / f"{name}.md").write_text(md, encoding="utf-8")
    (out / "feedback" / f"{name}.html").write_text(feedback_html(md, f"{hw.name}: {r.student}"), encoding="utf-8")
    gs = out / "gradescope" / name
    gs.mkdir(parents=True, exist_ok=True)
    (gs / "results.json").write_text(json.dumps(gradescope_results(hw, r, iso, row), indent=1), encoding="utf-8")


def class_notes(rows: list[Row], unknown: list[str]) -> list[str]:
    """The lines under the summary table: late submissions, rows not counted, students not on the roster."""
    def some(who: list[str]) -> str:
        return ", ".join(who[:10]) + (", …" if len(who) > 10 else "")

    notes = []
    late_rows = [r.student for r in rows if r.counted and r.late_days]
    if late_rows:
        notes.append(f"late: {len(late_rows)} submission(s) penalised ({some(late_rows)})")
    for status in (Status.REMOVED, Status.NO_SUBMISSION, Status.WITHDRAWN):
        who = [r.student for r in rows if r.status == status]
        if who:
            notes.append(f"{status}: {len(who)} ({some(who)}); not counted")
    if unknown:
        notes.append(f"NOT ON THE ROSTER: {len(unknown)} ({some(unknown)})")
    return notes


def write_all(hw: Homework, rows: list[Row], out: Path, isolation: str, items: list | None = None,
              roster: list | None = None, late: bool = False) -> str:
    """Every export of one assignment from its gradebook rows (manual scores, late penalties and statuses
    included): grades.csv, feedback/, gradescope/, summary.{json,md,html} and the statistics' figures; returns the
    summary table."""
    items = list(items or [])
    for r in rows:
        r.manual_items = [(it.name, it.points) for it in items]
        r.manual_max = sum(it.points for it in items)
    rows, unknown = with_roster(hw, rows, roster)
    out.mkdir(parents=True, exist_ok=True)
    write_grades(hw, rows, out / "grades.csv", items, late)
    (out / "feedback").mkdir(exist_ok=True)
    for row in rows:  # a roster student who submitted nothing gets no feedback
        if row.status in (Status.GRADED, Status.REMOVED) or (row.status == Status.WITHDRAWN and row.graded_at):
            write_student(hw, row, out)
    counted = [r for r in rows if r.counted]
    table_rows = summarize(hw, [r.result for r in counted], counted, items)
    mean_total = sum(r.total for r in counted) / max(len(counted), 1)
    table = summary_table(table_rows, isolation, mean_total, len(counted))
    notes = class_notes(rows, unknown)
    if notes:
        table += "\n" + "\n".join(notes)
    figures = stats.write_stats(hw, counted, table_rows, out)
    summary = {"homework": hw.name, "isolation": isolation, "submissions": len(counted), "mean_total": mean_total,
               "max_total": counted[0].max_total if counted else float(sum(e.points for e in hw.exercises)),
               "exercises": table_rows, "notes": notes, "not_on_roster": unknown, **figures}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(f"# {hw.name}: class summary\n\n```\n{table}\n```\n", encoding="utf-8")
    return table


def export_from_book(book, hw: Homework, out: Path | None = None, isolation: str | None = None,
                     rows: list[Row] | None = None) -> str:
    """Rewrite every export of `hw` (into `out`, default the folder it was last graded into) from the gradebook, or
    from `rows` when the caller has them; returns the summary table."""
    meta = book.meta(hw.name)
    out = Path(out or meta.get("out") or ".")
    rows = book.rows(hw.name) if rows is None else rows
    if isolation is None:
        isolation = Counter(r.isolation for r in rows).most_common(1)[0][0] if rows else "?"
    return write_all(hw, rows, out, isolation, items=manual_items(hw), roster=book.roster() or None,
                     late=LatePolicy.from_json(meta.get("late")).active)
