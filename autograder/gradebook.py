"""The gradebook: one SQLite row per (homework, student), committed as soon as it is graded."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from autograder.grader import SubmissionResult
from autograder.scoring import CaseResult, ExerciseResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    homework TEXT NOT NULL,
    student TEXT NOT NULL,
    total REAL NOT NULL,
    max_total REAL NOT NULL,
    detail TEXT NOT NULL,
    isolation TEXT NOT NULL,
    graded_at REAL NOT NULL,
    PRIMARY KEY (homework, student)
);
"""


def db_path(url: str | None, out: Path) -> Path:
    """`sqlite:///path` or a plain path; default OUT/gradebook.sqlite."""
    if not url:
        return out / "gradebook.sqlite"
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if "://" in url:
        raise ValueError(f"unsupported gradebook URL {url!r}: only sqlite:///path is supported")
    return Path(url)


class Gradebook:
    """Thread-safe wrapper around one SQLite connection."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def graded(self, homework: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT student FROM results WHERE homework=?", (homework,)).fetchall()
        return {r[0] for r in rows}

    def record(self, res: SubmissionResult, isolation: str) -> None:
        detail = json.dumps({"exercises": [e.to_dict() for e in res.exercises], "warnings": res.warnings,
                             "error": res.error, "seconds": res.seconds, "grading_error": res.grading_error})
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?)",
                             (res.homework, res.student, res.total, res.max_total, detail, isolation, time.time()))
            self._db.commit()

    def load(self, homework: str) -> list[tuple[SubmissionResult, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT student, detail, isolation FROM results WHERE homework=? ORDER BY student",
                (homework,)).fetchall()
        out = []
        for student, detail, isolation in rows:
            d = json.loads(detail)
            exs = []
            for e in d["exercises"]:
                cases = [CaseResult(**c) for c in e.pop("cases")]
                e.pop("passed", None)
                exs.append(ExerciseResult(cases=cases, **e))
            out.append((SubmissionResult(student, homework, exs, d["warnings"], d["error"], d["seconds"],
                                         d.get("grading_error", "")), isolation))
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()
