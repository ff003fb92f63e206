"""The class roster and LMS download names.

roster.csv: one row per student, columns `student_id,name,email` (required: student_id; optional: name, email,
section, sis_id). `student_id` is the id `course grade` files the student under: the notebook's name
(`alice.ipynb` -> alice), or for Canvas downloads the Canvas user id parsed from the file name.

Canvas "Download submissions" names files `<name>_<user id>_<submission id>_<original name>` (late ones
`<name>_LATE_<user id>_<submission id>_<original name>`): the student id is the user id, so a resubmission,
which gets a new submission id, is the same student.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

CANVAS_NAME = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9-]*?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")


@dataclass
class Student:
    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    sis_id: str = ""


def read_roster(path: str | Path) -> list[Student]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]
    except OSError as exc:
        raise ValueError(f"roster cannot be read: {path} ({exc.strerror or exc})") from exc
    out, seen = [], set()
    for i, r in enumerate(rows, start=2):
        sid = r.get("student_id") or r.get("id") or ""
        if not sid:
            raise ValueError(f"{path}: line {i}: no student_id (columns: student_id,name,email[,section,sis_id])")
        if sid in seen:
            raise ValueError(f"{path}: line {i}: student_id {sid!r} appears twice")
        seen.add(sid)
        out.append(Student(sid, r.get("name", ""), r.get("email", ""), r.get("section", ""),
                           r.get("sis_id", "") or r.get("sis user id", "")))
    return out


def lms_id(source_name: str) -> tuple[str, int] | None:
    """(student id, submission id) from a Canvas download name, else None."""
    m = CANVAS_NAME.match(source_name)
    if not m:
        return None
    return m.group("id"), int(m.group("sub"))


def apply_lms_ids(subs: list) -> tuple[list, list[str]]:
    """Re-key Canvas-named submissions by the Canvas user id; of several submissions by one student keep the
    latest (highest submission id). Returns (submissions, notes for the instructor)."""
    notes: list[str] = []
    best: dict[str, tuple[int, object]] = {}
    order: list[str] = []
    for s in subs:
        parsed = lms_id(s.source or "")
        key, rank = (parsed if parsed else (s.student, -1))
        if parsed:
            s.student = key
        if key in best:
            keep, drop = (s, best[key][1]) if rank > best[key][0] else (best[key][1], s)
            notes.append(f"{drop.source}: an older submission of {key} than {keep.source}; skipped")
            best[key] = (max(rank, best[key][0]), keep)
        else:
            best[key] = (rank, s)
            order.append(key)
    return [best[k][1] for k in order], notes


# -- the course gradebook ---------------------------------------------------------------------------------------

@dataclass
class CourseTable:
    homeworks: list[str]  # full names, in order
    max_points: dict[str, float]  # homework -> max total (autograded + manual)
    students: list[Student]  # roster order, then students not on the roster (sorted)
    scores: dict[tuple[str, str], float | None]  # (student, homework) -> final total; None: not counted
    status: dict[tuple[str, str], str]
    unknown: list[str]  # graded students not on the roster (empty without a roster)

    def total(self, student: str) -> float:
        return round(sum(self.scores.get((student, h)) or 0.0 for h in self.homeworks), 6)

    @property
    def max_total(self) -> float:
        return round(sum(self.max_points.values()), 6)


def course_table(book, roster: list[Student] | None = None) -> CourseTable:
    """Every student × every homework in the gradebook: the final total (after late penalties, manual scores and
    overrides); 0 for no submission; None (an empty cell) for a submission no longer in the folder."""
    from autograder.gradebook import GRADED, NO_SUBMISSION
    from autograder.manual import manual_items
    from autograder.quizzes import load_assignment as load_homework  # homework and quizzes

    roster = roster if roster is not None else book.roster()
    homeworks = book.homeworks()
    scores: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    max_points: dict[str, float] = {}
    seen: set[str] = set()
    for h in homeworks:
        try:
            mx = sum(it.points for it in manual_items(load_homework(h)))
        except (KeyError, OSError, ValueError):
            mx = 0.0
        rows = book.rows(h, manual_max=mx)
        auto_max = float(sum(e.points for e in load_homework(h).exercises)) if not rows else rows[0].result.max_total
        max_points[h] = round(auto_max + mx, 6)
        for r in rows:
            seen.add(r.student)
            scores[(r.student, h)] = r.total if r.status == GRADED else None
            status[(r.student, h)] = r.status
    ids = [s.student_id for s in roster]
    unknown = sorted(seen - set(ids)) if roster else []
    students = list(roster) + [Student(s) for s in sorted(seen - set(ids))]
    for s in students:
        for h in homeworks:
            if (s.student_id, h) not in status:
                scores[(s.student_id, h)] = 0.0
                status[(s.student_id, h)] = NO_SUBMISSION
    return CourseTable(homeworks, max_points, students, scores, status, unknown)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def write_course(table: CourseTable, path: str | Path, fmt: str = "csv",
                 canvas_ids: dict[str, str] | None = None) -> None:
    """csv: student_id,name,email,<hw01>…,total,max_total. canvas: Canvas gradebook import (Student, ID, SIS User
    ID, Section, one column per assignment, a Points Possible row). moodle: Moodle grade import (email, or
    idnumber when an email is missing, then one column per homework)."""
    from autograder.exports import csv_text

    shorts = [h.split("_")[0] for h in table.homeworks]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if fmt == "csv":
            w.writerow(["student_id", "name", "email", *shorts, "total", "max_total"])
            for s in table.students:
                w.writerow([csv_text(s.student_id), csv_text(s.name), csv_text(s.email),
                            *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks],
                            _num(table.total(s.student_id)), _num(table.max_total)])
        elif fmt == "canvas":
            ids = canvas_ids or {}
            cols = [f"{sh} ({ids[sh]})" if sh in ids else sh for sh in shorts]
            w.writerow(["Student", "ID", "SIS User ID", "Section", *cols])
            w.writerow(["Points Possible", "", "", "", *[_num(table.max_points[h]) for h in table.homeworks]])
            for s in table.students:
                w.writerow([csv_text(s.name or s.student_id), csv_text(s.student_id), csv_text(s.sis_id),
                            csv_text(s.section), *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks]])
        elif fmt == "moodle":
            by_email = bool(table.students) and all(s.email for s in table.students)
            w.writerow(["email" if by_email else "idnumber", *shorts])
            for s in table.students:
                w.writerow([csv_text(s.email if by_email else s.student_id),
                            *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks]])
        else:
            raise ValueError(f"unknown --format {fmt!r} (csv, canvas, moodle)")


def student_record(book, student: str) -> str:
    """One student's full record: every homework, exercise scores, late, manual scores, history."""
    from datetime import datetime, timezone

    from autograder.manual import manual_items
    from autograder.quizzes import load_assignment as load_homework  # homework and quizzes

    def when(t):
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if t else "?"

    lines = [f"student {student}"]
    found = False
    for h in book.homeworks():
        items = manual_items(load_homework(h))
        row = next((r for r in book.rows(h, manual_max=sum(i.points for i in items)) if r.student == student), None)
        if row is None:
            lines.append(f"{h}: no submission")
            continue
        found = True
        lines.append(f"{h}: {row.total:g} / {row.max_total:g} ({row.status}; source {row.source or '?'})")
        for e in row.result.exercises:
            lines.append(f"  {e.name:<28} {e.points:g} / {e.max_points:g}  {e.status}")
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
    return "\n".join(lines)
