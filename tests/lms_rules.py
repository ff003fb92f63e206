"""What Canvas's and Moodle's grade importers accept, written as code from the importers themselves, so that a test
can import our files the way the LMS would (and fail where the LMS would fail).

Canvas: instructure/canvas-lms, app/models/gradebook_importer.rb (class GradebookImporter: `header?`,
`row_has_student_headers?`, `update_column_count`, `last_student_info_column`, `strip_non_assignment_columns`,
`parse_assignments`, `check_for_non_student_row`, `process_pp`, `process_student`, `process_submissions`,
`identify_delimiter`, the `decimal_comma_to_period` converter, `no_score?`) and app/models/assignment.rb
(`Assignment.title_and_id`); the procedure is Canvas's Instructor Guide "How do I import grades in the
Gradebook?" (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807).

Moodle: moodle/moodle, grade/import/csv/classes/load_data.php at 0289d8c7665458f8ffc47e34527598e15523f104
(gradeimport_csv_load_data: `prepare_import_grade_data`, `map_user_data_with_value`, `check_user_exists`,
`update_grade_item`, `insert_grade_record`) and lib/csvlib.class.php at cf29c007d2535bb90d623d0fad76ee8075ced722
(csv_import_reader::load_csv_content).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field


class ImportAborted(Exception):
    """The importer refuses the file (Canvas: the upload fails; Moodle: the whole import is rolled back)."""


# -- Canvas -----------------------------------------------------------------------------------------------------------

NON_ASSIGNMENT = re.compile("|".join(["Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                                      "Final Grade", "Override Score", "Override Grade", "Override Status"]))
TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Assignment.title_and_id
MUTED_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)
DECIMAL = re.compile(r"^-?[0-9.,]+%?$")  # the decimal_comma_to_period converter's test


@dataclass
class CanvasStudent:
    id: int
    name: str
    sis_user_id: str = ""
    login_id: str = ""


@dataclass
class CanvasImport:
    assignments: list[tuple[str, int | None]]  # (title, id of an existing assignment, or None: a new one)
    points_possible: dict[str, float]
    grades: dict[int, dict[str, float | str | None]]  # Canvas user id -> assignment title -> score, "EX" or None
    matched_by: dict[int, str] = field(default_factory=dict)  # user id -> "ID", "SIS User ID", "SIS Login ID", "name"
    unmatched: list[list[str]] = field(default_factory=list)  # rows Canvas would show as students not in the course


def _canvas_delimiter(lines: list[str]) -> str:
    """identify_delimiter: `;` only when it splits the first three lines consistently into more fields than `,`."""
    counts = {}
    for sep in (";", ","):
        sizes = {len(next(csv.reader([line], delimiter=sep), [])) for line in lines}
        counts[sep] = sizes.pop() if len(sizes) == 1 else 0
    return ";" if counts[";"] > counts[","] else ","


def _canvas_student_columns(header: list[str]) -> int:
    """header?, row_has_student_headers? and update_column_count: how many columns describe the student; a header
    Canvas does not accept raises (InvalidHeaderRow: the import fails)."""
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        raise ImportAborted("Invalid header row: the first columns must be Student and ID")
    n = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        n += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        extra = 1 if re.search(r"Integration\s+ID", header[4] if len(header) > 4 else "") else 0
        n += 2 + extra
        if re.search(r"Root\s+Account", header[4 + extra] if len(header) > 4 + extra else ""):
            n += 1
    if "Section" not in header[n - 1]:
        raise ImportAborted(f"Invalid header row: column {n} ({header[n - 1]!r}) must be Section")
    return n


def _canvas_value(cell: str) -> float | str | None:
    """A grade cell: stripped, decimal commas made points; blank or "-" is no score; EX excused; else a number."""
    cell = (cell or "").strip()
    if DECIMAL.match(cell):
        parts = re.split(r"[,.]", cell)
        cell = parts[-1] if len(parts) == 1 else "".join(parts[:-1]) + "." + parts[-1]
    if cell in ("", "-"):
        return None
    if cell.upper() == "EX":
        return "EX"
    try:
        return float(cell.rstrip("%"))
    except ValueError:
        raise ImportAborted(f"{cell!r} is not a score") from None


def canvas_import(text: str, students: list[CanvasStudent], assignments: dict[int, str]) -> CanvasImport:
    """Import `text` into a course with these students and assignments (id -> title) as Canvas would."""
    lines = text.splitlines()
    rows = list(csv.reader(io.StringIO(text), delimiter=_canvas_delimiter(lines[:3])))
    rows = [r for r in rows if not re.fullmatch(r"[;, ]*", ",".join(r))]  # skip_lines: /^[;, ]+$/
    if not rows:
        raise ImportAborted("empty file")
    header = rows[0]
    n = _canvas_student_columns(header)
    cols = [(k, h) for k, h in enumerate(header) if k >= n and not NON_ASSIGNMENT.search(h)]
    parsed = []
    for k, h in cols:
        m = TITLE_AND_ID.match(h)
        title, aid = (m.group(1), int(m.group(2))) if m else (h, None)
        if aid not in assignments:  # backward compatibility: by title; else a new assignment
            aid = next((i for i, t in assignments.items() if t == h), None)
        parsed.append((k, title if aid is None else assignments[aid], aid))
    sis_col = 2 if n >= 5 else None
    login_col = 3 if n >= 5 else (2 if n == 4 else None)
    out = CanvasImport([(t, a) for _, t, a in parsed], {}, {})
    for row in rows[1:]:
        if "Points Possible" in (row[0] if row else ""):
            out.points_possible = {t: float(row[k]) for k, t, _ in parsed if row[k].strip()}
            continue
        if all(MUTED_ROW.match(c or "") for c in row):
            continue
        student, how = _canvas_student(row, students, sis_col, login_col)
        if student is None:
            out.unmatched.append(row)
            continue
        out.matched_by[student.id] = how
        out.grades[student.id] = {t: _canvas_value(row[k] if k < len(row) else "") for k, t, _ in parsed}
    return out


def _canvas_student(row, students, sis_col, login_col):
    """process_student: by ID (Canvas's user id), else SIS User ID, else SIS Login ID, else name."""
    by_id = {s.id: s for s in students}
    uid = row[1].strip() if len(row) > 1 else ""
    if uid and uid.isdigit() and int(uid) in by_id:
        return by_id[int(uid)], "ID"
    for col, attr, how in ((sis_col, "sis_user_id", "SIS User ID"), (login_col, "login_id", "SIS Login ID")):
        value = row[col].strip() if col is not None and len(row) > col else ""
        hit = next((s for s in students if value and getattr(s, attr) == value), None)
        if hit:
            return hit, how
    hit = next((s for s in students if s.name == row[0]), None)
    return (hit, "name") if hit else (None, "")


# -- Moodle -----------------------------------------------------------------------------------------------------------

MOODLE_FIELDS = {"useremail": "email", "useridnumber": "idnumber", "username": "username", "userid": "id"}
GRADE_POINT_MAX = 100.0  # insert_grade_record: $gradepointmaximum = 100 unless $CFG->unlimitedgrades
MOODLE_NUMBER = re.compile(r"^-?(\d+([.,]\d*)?|[.,]\d+)$")  # what unformat_float($value, true) accepts


@dataclass
class MoodleUser:
    id: int
    email: str = ""
    idnumber: str = ""
    username: str = ""


def moodle_import(text: str, users: list[MoodleUser], mapfrom: str, mapto: str) -> dict[int, dict[str, float | None]]:
    """Import `text` as Moodle's CSV grade import does, the instructor having mapped column `mapfrom` (a header) to
    the user field `mapto` (useremail, useridnumber, username, userid) and every other column to a new grade item.
    Returns user id -> item -> grade (None: no grade); raises ImportAborted where Moodle aborts."""
    content = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()
    rows = [r for r in csv.reader(io.StringIO(content)) if r != [] and r != [""]]
    if not rows:
        raise ImportAborted("csvemptyfile")
    header = [h.strip() for h in rows[0]]
    if any(len(r) != len(header) for r in rows):
        raise ImportAborted("csvweirdcolumns: a row has another number of fields than the header")
    if mapfrom not in header:
        raise ImportAborted(f"no column {mapfrom!r} to map users from")
    key = header.index(mapfrom)
    attr = MOODLE_FIELDS[mapto]
    out: dict[int, dict[str, float | None]] = {}
    for row in rows[1:]:
        if len(row) <= 1:
            continue
        value = row[key].strip()
        if not value:  # skipped: the first such row aborts, a later one gets the previous row's user: never accept
            raise ImportAborted("usermappingerrorusernotfound: a row identifies no user")
        matches = [u for u in users if str(getattr(u, attr)) == value]
        if len(matches) != 1:
            raise ImportAborted(f"usermappingerror: no user with {attr} {value!r}")
        grades = {}
        for k, h in enumerate(header):
            if k == key:
                continue
            cell = row[k].strip()
            if cell in ("", "-"):
                grades[h] = None
                continue
            if not MOODLE_NUMBER.match(cell):
                raise ImportAborted(f"badgrade: {cell!r}")
            grade = float(cell.replace(",", "."))
            if grade > GRADE_POINT_MAX:
                raise ImportAborted(f"gradevaluetoobig: {grade} > {GRADE_POINT_MAX}")
            grades[h] = grade
        out[matches[0].id] = grades
    return out
