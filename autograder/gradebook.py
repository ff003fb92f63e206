"""The gradebook: one SQLite row per (homework, student), committed as soon as it is graded.

Tables (created or extended in place; an older gradebook gains the new columns with defaults):

- `results`: the autograded result (`total` = autograded points, `detail` = JSON of exercises/cases), plus
  `notebook_sha256` (sha256 of the graded notebook file's bytes), `seed_fp` (sha256 of the hidden seed, never
  the seed), `source` (the original name in the submissions folder), `status` ("graded" or
  "no longer submitted"), and the late assessment (`submitted_at`, `due_at` as POSIX seconds, `late_days`,
  `penalty` as a fraction) and `override_total` (an instructor's override of the final total, or NULL).
- `manual_scores`: (homework, student, item) -> score, max_points, comment: the manually graded items.
- `history`: every change of a student's final total: old_total (NULL when first graded), new_total, reason
  ("graded", "resubmitted", "seed changed", "--only", "--exercise", "--regrade", "manual score",
  "late policy", "no longer submitted", "submitted again", "override").
- `homework_meta`: per homework, JSON: the late policy, the submissions folder last graded, max points.
- `roster`: the class list given with --roster (student_id, name, email, section, sis_id).

The final total of a row = override_total if set, else (autograded total + manual scores) × (1 − penalty).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
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
CREATE TABLE IF NOT EXISTS manual_scores (
    homework TEXT NOT NULL,
    student TEXT NOT NULL,
    item TEXT NOT NULL,
    score REAL NOT NULL,
    max_points REAL NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    scored_at REAL NOT NULL,
    PRIMARY KEY (homework, student, item)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    homework TEXT NOT NULL,
    student TEXT NOT NULL,
    at REAL NOT NULL,
    old_total REAL,
    new_total REAL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS homework_meta (
    homework TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS roster (
    student_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT '',
    sis_id TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0
);
"""

# columns added to `results` after its first version (added in place to an older gradebook)
EXTRA_COLUMNS = [
    ("notebook_sha256", "TEXT NOT NULL DEFAULT ''"),
    ("seed_fp", "TEXT NOT NULL DEFAULT ''"),
    ("source", "TEXT NOT NULL DEFAULT ''"),
    ("status", "TEXT NOT NULL DEFAULT 'graded'"),
    ("submitted_at", "REAL"),
    ("due_at", "REAL"),
    ("late_days", "INTEGER NOT NULL DEFAULT 0"),
    ("penalty", "REAL NOT NULL DEFAULT 0"),
    ("override_total", "REAL"),
]

GRADED = "graded"
REMOVED = "no longer submitted"
NO_SUBMISSION = "no submission"  # roster students without a row (exports only; never stored)


def db_path(url: str | None, out: Path) -> Path:
    """`sqlite:///path` or a plain path; default OUT/gradebook.sqlite."""
    if not url:
        return out / "gradebook.sqlite"
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if "://" in url:
        raise ValueError(f"unsupported gradebook URL {url!r}: only sqlite:///path is supported")
    return Path(url)


@dataclass
class Row:
    """One student's record for one homework, as the exports need it."""

    result: SubmissionResult
    isolation: str = ""
    status: str = GRADED
    sha256: str = ""
    seed_fp: str = ""
    source: str = ""
    submitted_at: float | None = None
    due_at: float | None = None
    late_days: int = 0
    penalty: float = 0.0
    override_total: float | None = None
    manual: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # item -> (score, max, comment)
    manual_max: float = 0.0  # all manual items of the homework, scored or not
    graded_at: float = 0.0
    manual_items: list[tuple[str, float]] = field(default_factory=list)  # (item, max points), for the exports
    note: str = ""  # shown after the status in grades.csv (e.g. "not on the roster")

    @property
    def student(self) -> str:
        return self.result.student

    @property
    def auto_total(self) -> float:
        return self.result.total

    @property
    def manual_total(self) -> float:
        return round(sum(s for s, _, _ in self.manual.values()), 6)

    @property
    def raw_total(self) -> float:
        """Autograded + manual points, before the late penalty."""
        return round(self.auto_total + self.manual_total, 6)

    @property
    def max_total(self) -> float:
        return round(self.result.max_total + self.manual_max, 6)

    @property
    def total(self) -> float:
        """The final total: the override, else raw × (1 − penalty)."""
        if self.override_total is not None:
            return self.override_total
        return round(self.raw_total * (1 - self.penalty), 6)

    @property
    def counted(self) -> bool:
        return self.status == GRADED


def _final(total: float, manual: float, penalty: float, override: float | None) -> float:
    return override if override is not None else round((total + manual) * (1 - penalty), 6)


class Gradebook:
    """Thread-safe wrapper around one SQLite connection."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        have = {r[1] for r in self._db.execute("PRAGMA table_info(results)")}
        for name, decl in EXTRA_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE results ADD COLUMN {name} {decl}")
        self._db.commit()
        self._staged: dict[tuple[str, str], dict] = {}

    # -- grading -----------------------------------------------------------------------------------------------

    def graded(self, homework: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT student FROM results WHERE homework=?", (homework,)).fetchall()
        return {r[0] for r in rows}

    def fingerprints(self, homework: str) -> dict[str, dict]:
        """student -> {sha256, seed_fp, status, submitted_at, source} of every stored row."""
        with self._lock:
            rows = self._db.execute("SELECT student, notebook_sha256, seed_fp, status, submitted_at, source "
                                    "FROM results WHERE homework=?", (homework,)).fetchall()
        return {r[0]: {"sha256": r[1], "seed_fp": r[2], "status": r[3], "submitted_at": r[4], "source": r[5]}
                for r in rows}

    def stage(self, homework: str, student: str, **meta) -> None:
        """Metadata for the next `record` of (homework, student): sha256, seed_fp, source, submitted_at, due_at,
        late_days, penalty, reason."""
        with self._lock:
            self._staged[(homework, student)] = meta

    def _final_now(self, homework: str, student: str) -> float | None:
        row = self._db.execute("SELECT total, penalty, override_total FROM results WHERE homework=? AND student=?",
                               (homework, student)).fetchone()
        if row is None:
            return None
        manual = self._db.execute("SELECT COALESCE(SUM(score), 0) FROM manual_scores WHERE homework=? AND "
                                  "student=?", (homework, student)).fetchone()[0]
        return _final(row[0], manual, row[1], row[2])

    def _history(self, homework: str, student: str, old: float | None, new: float | None, reason: str) -> None:
        self._db.execute("INSERT INTO history (homework, student, at, old_total, new_total, reason) "
                         "VALUES (?,?,?,?,?,?)", (homework, student, time.time(), old, new, reason))

    def record(self, res: SubmissionResult, isolation: str) -> None:
        detail = json.dumps({"exercises": [e.to_dict() for e in res.exercises], "warnings": res.warnings,
                             "error": res.error, "seconds": res.seconds, "grading_error": res.grading_error})
        with self._lock:
            meta = self._staged.pop((res.homework, res.student), {})
            old = self._final_now(res.homework, res.student)
            prev = self._db.execute("SELECT submitted_at, due_at, late_days, penalty, override_total FROM results "
                                    "WHERE homework=? AND student=?", (res.homework, res.student)).fetchone()
            keep = dict(zip(("submitted_at", "due_at", "late_days", "penalty", "override_total"), prev or
                            (None, None, 0, 0.0, None)))
            keep.update({k: meta[k] for k in keep if k in meta})
            self._db.execute(
                "INSERT OR REPLACE INTO results (homework, student, total, max_total, detail, isolation, graded_at, "
                "notebook_sha256, seed_fp, source, status, submitted_at, due_at, late_days, penalty, "
                "override_total) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (res.homework, res.student, res.total, res.max_total, detail, isolation, time.time(),
                 meta.get("sha256", ""), meta.get("seed_fp", ""), meta.get("source", ""), GRADED,
                 keep["submitted_at"], keep["due_at"], keep["late_days"], keep["penalty"], keep["override_total"]))
            new = self._final_now(res.homework, res.student)
            self._history(res.homework, res.student, old, new, meta.get("reason") or ("graded" if old is None
                                                                                       else "regraded"))
            self._db.commit()

    def set_late(self, homework: str, student: str, submitted_at: float | None, due_at: float | None, days: int,
                 penalty: float, reason: str = "late policy") -> bool:
        """Store a late assessment; a history row when the final total changes. True when anything changed."""
        with self._lock:
            cur = self._db.execute("SELECT submitted_at, due_at, late_days, penalty FROM results WHERE homework=? "
                                   "AND student=?", (homework, student)).fetchone()
            if cur is None or tuple(cur) == (submitted_at, due_at, days, penalty):
                return False
            old = self._final_now(homework, student)
            self._db.execute("UPDATE results SET submitted_at=?, due_at=?, late_days=?, penalty=? WHERE homework=? "
                             "AND student=?", (submitted_at, due_at, days, penalty, homework, student))
            new = self._final_now(homework, student)
            if new != old:
                self._history(homework, student, old, new, reason)
            self._db.commit()
            return True

    def set_status(self, homework: str, student: str, status: str, reason: str) -> None:
        with self._lock:
            cur = self._db.execute("SELECT status FROM results WHERE homework=? AND student=?",
                                   (homework, student)).fetchone()
            if cur is None or cur[0] == status:
                return
            self._db.execute("UPDATE results SET status=? WHERE homework=? AND student=?", (status, homework, student))
            total = self._final_now(homework, student)
            self._history(homework, student, total, total, reason)
            self._db.commit()

    def set_manual(self, homework: str, scores: list, max_points: dict[str, float],
                   reason: str = "manual score") -> int:
        """Upsert manual scores (objects with student, item, score, comment); returns how many changed."""
        changed = 0
        with self._lock:
            for s in scores:
                cur = self._db.execute("SELECT score, comment FROM manual_scores WHERE homework=? AND student=? AND "
                                       "item=?", (homework, s.student, s.item)).fetchone()
                if cur is not None and (cur[0], cur[1]) == (s.score, s.comment):
                    continue
                old = self._final_now(homework, s.student)
                self._db.execute("INSERT OR REPLACE INTO manual_scores VALUES (?,?,?,?,?,?,?)",
                                 (homework, s.student, s.item, s.score, max_points[s.item], s.comment, time.time()))
                self._history(homework, s.student, old, self._final_now(homework, s.student),
                              f"{reason} ({s.item})")
                changed += 1
            self._db.commit()
        return changed

    def set_override(self, homework: str, student: str, total: float | None, note: str = "") -> None:
        with self._lock:
            if self._db.execute("SELECT 1 FROM results WHERE homework=? AND student=?",
                                (homework, student)).fetchone() is None:
                raise ValueError(f"no gradebook row for {student} in {homework}")
            old = self._final_now(homework, student)
            self._db.execute("UPDATE results SET override_total=? WHERE homework=? AND student=?",
                             (total, homework, student))
            self._history(homework, student, old, self._final_now(homework, student),
                          "override" + (f": {note}" if note else ""))
            self._db.commit()

    # -- reading -----------------------------------------------------------------------------------------------

    def load(self, homework: str) -> list[tuple[SubmissionResult, str]]:
        return [(r.result, r.isolation) for r in self.rows(homework)]

    def rows(self, homework: str, manual_max: float = 0.0) -> list[Row]:
        """Every stored row of `homework` (any status), by student."""
        with self._lock:
            rows = self._db.execute(
                "SELECT student, detail, isolation, status, notebook_sha256, seed_fp, source, submitted_at, due_at, "
                "late_days, penalty, override_total, graded_at FROM results WHERE homework=? ORDER BY student",
                (homework,)).fetchall()
            manual = self._db.execute("SELECT student, item, score, max_points, comment FROM manual_scores "
                                      "WHERE homework=?", (homework,)).fetchall()
        by_student: dict[str, dict] = {}
        for student, item, score, mx, comment in manual:
            by_student.setdefault(student, {})[item] = (score, mx, comment)
        out = []
        for (student, detail, isolation, status, sha, seed_fp, source, sub_at, due_at, days, pen, override,
             graded_at) in rows:
            d = json.loads(detail)
            exs = []
            for e in d["exercises"]:
                cases = [CaseResult(**c) for c in e.pop("cases")]
                e.pop("passed", None)
                exs.append(ExerciseResult(cases=cases, **e))
            res = SubmissionResult(student, homework, exs, d["warnings"], d["error"], d["seconds"],
                                   d.get("grading_error", ""))
            out.append(Row(res, isolation, status, sha, seed_fp, source, sub_at, due_at, days or 0, pen or 0.0,
                           override, by_student.get(student, {}), manual_max, graded_at))
        return out

    def homeworks(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT homework FROM results ORDER BY homework")]

    def history(self, homework: str | None = None, student: str | None = None) -> list[dict]:
        q, args = "SELECT homework, student, at, old_total, new_total, reason FROM history WHERE 1=1", []
        if homework:
            q, args = q + " AND homework=?", args + [homework]
        if student:
            q, args = q + " AND student=?", args + [student]
        with self._lock:
            rows = self._db.execute(q + " ORDER BY id", args).fetchall()
        return [dict(zip(("homework", "student", "at", "old_total", "new_total", "reason"), r)) for r in rows]

    # -- per-homework settings and the roster ------------------------------------------------------------------

    def meta(self, homework: str) -> dict:
        with self._lock:
            row = self._db.execute("SELECT data FROM homework_meta WHERE homework=?", (homework,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_meta(self, homework: str, **values) -> None:
        data = {**self.meta(homework), **values}
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO homework_meta VALUES (?,?)", (homework, json.dumps(data)))
            self._db.commit()

    def set_roster(self, students: list) -> None:
        with self._lock:
            self._db.execute("DELETE FROM roster")
            self._db.executemany("INSERT INTO roster VALUES (?,?,?,?,?,?)",
                                 [(s.student_id, s.name, s.email, s.section, s.sis_id, i)
                                  for i, s in enumerate(students)])
            self._db.commit()

    def roster(self) -> list:
        from autograder.roster import Student

        with self._lock:
            rows = self._db.execute("SELECT student_id, name, email, section, sis_id FROM roster ORDER BY position"
                                    ).fetchall()
        return [Student(*r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
