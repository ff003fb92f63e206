"""The class roster (--roster CSV): one row per student. Columns (names case-insensitive; only student_id is
required):

    student_id   the id `course grade` files the student under: the notebook's name (`alice.ipynb` -> alice), or for
                 Canvas downloads the Canvas user id parsed from the file name (grade/collect.py)
    name, email, section
    sis_id       the institution's id (Canvas "SIS User ID", Moodle "idnumber"); also read from `sis user id`
    canvas_id    Canvas's numeric user id (Canvas's gradebook "ID"); also `canvas user id`, `canvas_user_id`
    login        the login name (Canvas "SIS Login ID", Moodle "username"); also `username`, `sis_login_id`,
                 `sis login id`, `login_id`
    status       empty (or active, enrolled) or `withdrawn`: a withdrawn student keeps their gradebook rows but is
                 left out of the LMS files and the statistics
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.model import Status, Student

ALIASES = {"student_id": ("student_id", "id"), "sis_id": ("sis_id", "sis user id"),
           "canvas_id": ("canvas_id", "canvas user id", "canvas_user_id"),
           "login": ("login", "username", "sis_login_id", "sis login id", "login_id")}
ACTIVE = ("", "active", "enrolled")


def _get(row: dict, field: str) -> str:
    return next((row[k] for k in ALIASES.get(field, (field,)) if row.get(k)), "")


def read_roster(path: str | Path) -> list[Student]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]
    except OSError as exc:
        raise ValueError(f"roster cannot be read: {path} ({exc.strerror or exc})") from exc
    out, seen = [], set()
    for i, r in enumerate(rows, start=2):
        sid = _get(r, "student_id")
        if not sid:
            raise ValueError(f"{path}: line {i}: no student_id (columns: student_id,name,email[,section,sis_id,"
                             "canvas_id,login,status])")
        if sid in seen:
            raise ValueError(f"{path}: line {i}: student_id {sid!r} appears twice")
        seen.add(sid)
        status = r.get("status", "").lower()
        if status not in ACTIVE and status != Status.WITHDRAWN:
            raise ValueError(f"{path}: line {i}: status {r['status']!r} (empty, active or {Status.WITHDRAWN})")
        canvas_id = _get(r, "canvas_id")
        if canvas_id and not canvas_id.isdigit():
            raise ValueError(f"{path}: line {i}: canvas_id {canvas_id!r} is not Canvas's numeric user id")
        out.append(Student(sid, r.get("name", ""), r.get("email", ""), r.get("section", ""), _get(r, "sis_id"),
                           canvas_id, _get(r, "login"), Status.WITHDRAWN if status == Status.WITHDRAWN else ""))
    return out
