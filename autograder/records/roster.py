"""The class roster (--roster CSV): one row per student, columns `student_id,name,email` (required: student_id;
optional: name, email, section, sis_id). `student_id` is the id `course grade` files the student under: the
notebook's name (`alice.ipynb` -> alice), or for Canvas downloads the Canvas user id parsed from the file name
(grade/collect.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.model import Student


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
