"""The course gradebook across homework: a table of every student × every homework (final totals), written as a
plain CSV or for an LMS's grade import (Canvas, Moodle: exports/lms.py), and one student's full record."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.exports.grades import csv_text
from autograder.exports.lms import write_canvas, write_moodle
from autograder.grade.collect import lms_id
from autograder.grade.ids import shown
from autograder.model import Outcome, Status, Student
from autograder.quizzes import load_assignment
from autograder.release.manual import manual_items


@dataclass
class CourseTable:
    homeworks: list[str]  # full names, in order
    max_points: dict[str, float]  # homework -> max total (autograded + manual)
    students: list[Student]  # roster order, then students not on the roster (sorted)
    scores: dict[tuple[str, str], float | None]  # (student, homework) -> final total; None: not counted
    status: dict[tuple[str, str], str]
    unknown: list[str]  # graded students not on the roster (empty without a roster)
    canvas_ids: dict[str, str] = field(default_factory=dict)  # student -> Canvas's numeric user id, where known

    def total(self, student: str) -> float:
        return round(sum(self.scores.get((student, h)) or 0.0 for h in self.homeworks), 6)

    @property
    def max_total(self) -> float:
        return round(sum(self.max_points.values()), 6)


def course_table(book, roster: list[Student] | None = None) -> CourseTable:
    """Every student × every homework in the gradebook: the final total (after late penalties, manual scores and
    overrides); 0 for no submission; None (an empty cell) for a submission no longer in the folder."""
    roster = roster if roster is not None else book.roster()
    homeworks = book.homeworks()
    scores: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    max_points: dict[str, float] = {}
    seen: set[str] = set()
    canvas_ids = {s.student_id: s.canvas_id for s in roster if s.canvas_id}
    for h in homeworks:
        try:
            mx = sum(it.points for it in manual_items(load_assignment(h)))
        except (KeyError, OSError, ValueError):
            mx = 0.0
        rows = book.rows(h, manual_max=mx)
        auto_max = float(sum(e.points for e in load_assignment(h).exercises)) if not rows else rows[0].result.max_total
        max_points[h] = round(auto_max + mx, 6)
        for r in rows:
            seen.add(r.student)
            from_name = lms_id(Path(r.source).name) if r.source else None  # a Canvas download's file name
            if from_name and from_name[0] == r.student:
                canvas_ids.setdefault(r.student, r.student)
            scores[(r.student, h)] = r.total if r.status == Status.GRADED else None
            status[(r.student, h)] = r.status
    ids = [s.student_id for s in roster]
    unknown = sorted(seen - set(ids)) if roster else []
    students = list(roster) + [Student(s) for s in sorted(seen - set(ids))]
    for s in students:
        for h in homeworks:
            if (s.student_id, h) not in status:
                scores[(s.student_id, h)] = 0.0
                status[(s.student_id, h)] = Status.NO_SUBMISSION
    return CourseTable(homeworks, max_points, students, scores, status, unknown, canvas_ids)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def write_course(table: CourseTable, path: str | Path, fmt: str = "csv",
                 canvas_ids: dict[str, str] | None = None) -> list[str]:
    """csv: student_id,name,email,<hw01>…,total,max_total,status (every student, withdrawn ones included). canvas
    and moodle: the LMS import files (exports/lms.py; withdrawn students left out). Returns notes for the
    instructor: the identifier chosen, the rows left out and why."""
    if fmt not in ("csv", "canvas", "moodle"):
        raise ValueError(f"unknown --format {fmt!r} (csv, canvas, moodle)")
    shorts = [h.split("_")[0] for h in table.homeworks]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if fmt == "canvas":
            return write_canvas(table, w, canvas_ids or {})
        if fmt == "moodle":
            return write_moodle(table, w)
        w.writerow(["student_id", "name", "email", *shorts, "total", "max_total", "status"])
        unknown = set(table.unknown)
        for s in table.students:
            status = s.status or ("not on the roster" if s.student_id in unknown else "")
            w.writerow([csv_text(s.student_id), csv_text(s.name), csv_text(s.email),
                        *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks],
                        _num(table.total(s.student_id)), _num(table.max_total), csv_text(status)])
    return []


def exercise_label(e) -> str:
    """One exercise in a student's record: passed, partial or failed by its points, and how its run ended when
    that was not a normal finish (timeout, crashed, missing, error)."""
    verdict = "passed" if e.passed else ("partial" if e.points > 0 else "failed")
    return verdict if e.status == Outcome.OK else f"{verdict} ({e.status})"


def student_record(book, student: str) -> str:
    """One student's full record: every homework, exercise scores, late, manual scores, history."""
    from datetime import datetime, timezone

    def when(t):
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if t else "?"

    lines = [f"student {student}"]
    found = False
    for h in book.homeworks():
        items = manual_items(load_assignment(h))
        row = next((r for r in book.rows(h, manual_max=sum(i.points for i in items)) if r.student == student), None)
        if row is None:
            lines.append(f"{h}: no submission")
            continue
        found = True
        lines.append(f"{h}: {row.total:g} / {row.max_total:g} ({row.status}; source {row.source or '?'})")
        for e in row.result.exercises:
            lines.append(f"  {e.name:<28} {e.points:g} / {e.max_points:g}  {exercise_label(e)}")
        for it in items:
            score, _, comment = row.manual.get(it.name, (None, it.points, ""))
            got = "not graded yet" if score is None else f"{score:g}"
            lines.append(f"  {it.name + ' (manual)':<28} {got} / {it.points:g}  {comment}")
        if row.submitted_at:
            lines.append(f"  submitted {when(row.submitted_at)}; due {when(row.due_at) if row.due_at else '-'}; "
                         f"late {row.late_days}; penalty {row.penalty * 100:g}%; raw {row.raw_total:g}")
        if row.override_total is not None:
            lines.append(f"  override: {row.override_total:g}")
    hist = book.history(student=student)
    if hist:
        lines.append("history:")
        for e in hist:
            old = "-" if e["old_total"] is None else f"{e['old_total']:g}"
            new = "-" if e["new_total"] is None else f"{e['new_total']:g}"
            lines.append(f"  {when(e['at'])}  {e['homework']:<24} {old:>6} -> {new:<6} {e['reason']}")
    if not found and not hist:
        raise ValueError(f"no gradebook record for {student!r}")
    return "\n".join(shown(line) for line in lines)  # file names and comments: no terminal escapes
