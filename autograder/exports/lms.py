"""The course table as an LMS's grade import file: Canvas's gradebook import and Moodle's CSV grade import.

Each writer keeps to what the importer itself accepts (tests/test_lms_files.py writes those rules as code, from
Canvas's app/models/gradebook_importer.rb and Moodle's grade/import/csv/classes/load_data.php):

- Canvas: the header `Student, ID, SIS User ID, SIS Login ID, Section`, then one column per homework (`hw01 (4711)`
  with --canvas-ids updates that assignment; a bare `hw01` makes Canvas create one), then a `Points Possible` row.
  `ID` is Canvas's numeric user id: the roster's `canvas_id`, else the id of a Canvas download name
  (`<name>_<user id>_<submission id>_<file>`, grade/collect.py). Canvas matches a row by ID, then SIS User ID, then
  SIS Login ID, then by name only: a row with none of the three is left out and reported.
- Moodle: one identifier column, chosen per class as the first of email, idnumber (the roster's sis_id) and
  username (the roster's login) that every row has (a value, and no other row with the same one); Moodle aborts
  the whole import when one identifier matches no user, so a row without the chosen identifier is left out and
  reported, never written with another kind of id.

Withdrawn students (the roster's status column) are in neither file.
"""

from __future__ import annotations

import csv

from autograder.exports.grades import csv_text
from autograder.model import Status

CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDENTIFIERS = (("email", "email"), ("idnumber", "sis_id"), ("username", "login"))  # (Moodle's name, ours)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def _some(who: list[str]) -> str:
    return ", ".join(who[:10]) + (", …" if len(who) > 10 else "")


def exported(table) -> list:
    """The students an LMS file lists: everyone in the table but the withdrawn."""
    return [s for s in table.students if s.status != Status.WITHDRAWN]


def write_canvas(table, w: csv.writer, canvas_ids: dict[str, str]) -> list[str]:
    """Canvas's gradebook import layout; returns the notes for the instructor (rows left out)."""
    shorts = [h.split("_")[0] for h in table.homeworks]
    w.writerow(CANVAS_STUDENT_COLUMNS + [f"{sh} ({canvas_ids[sh]})" if sh in canvas_ids else sh for sh in shorts])
    w.writerow(["Points Possible", "", "", "", "", *[_num(table.max_points[h]) for h in table.homeworks]])
    left_out = []
    for s in exported(table):
        uid = table.canvas_ids.get(s.student_id, "")
        if not (uid or s.sis_id or s.login):
            left_out.append(s.student_id)
            continue
        w.writerow([csv_text(s.name or s.student_id), uid, csv_text(s.sis_id), csv_text(s.login),
                    csv_text(s.section), *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks]])
    notes = []
    if left_out:
        notes.append(f"canvas: left out {len(left_out)} row(s) with no Canvas user id, SIS User ID or SIS Login ID "
                     f"(Canvas would match them by name only; add canvas_id, sis_id or login to the roster): "
                     f"{_some(left_out)}")
    return notes


def moodle_identifier(students: list) -> tuple[str, str, list[str]]:
    """(Moodle's column name, our Student field, ids of the students lacking it): the first identifier every
    student has (unique), else the one most have."""
    best = None
    for column, field in MOODLE_IDENTIFIERS:
        values = [getattr(s, field) for s in students]
        lacking = [s.student_id for s, v in zip(students, values) if not v or values.count(v) > 1]
        if best is None or len(lacking) < len(best[2]):
            best = (column, field, lacking)
        if not lacking:
            break
    return best


def write_moodle(table, w: csv.writer) -> list[str]:
    """Moodle's CSV grade import: the identifier column, then one column per homework; returns the notes."""
    students = exported(table)
    column, field, lacking = moodle_identifier(students)
    if students and len(lacking) == len(students):
        raise ValueError("no student has an email, SIS id or login that Moodle can match: add one of the columns "
                         "email, sis_id or login to the roster (--roster)")
    w.writerow([column, *[h.split("_")[0] for h in table.homeworks]])
    for s in students:
        if s.student_id not in lacking:
            w.writerow([csv_text(getattr(s, field)), *[_num(table.scores[(s.student_id, h)]) for h in table.homeworks]])
    notes = [f"moodle: students are identified by {column} (map the column to '{column}' in Moodle's import)"]
    if lacking:
        notes.append(f"moodle: left out {len(lacking)} row(s) without a {column} of their own (Moodle aborts the "
                     f"whole import on an identifier it cannot match): {_some(lacking)}")
    return notes
