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
- `roster`: the class list given with --roster (student_id, name, email, section, sis_id, canvas_id, login,
  status).

The final total of a row = override_total if set, else (autograded total + manual scores) × (1 − penalty)
(autograder.model.final_total).

`course grade` writes each student once (`write`: the result or only the update the run's plan decided, its late
facts and status, and the history rows, in one transaction) after the gradebook's settings for the run (`begin`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from autograder.model import CaseResult, ExerciseResult, PlanEntry, Row, Status, Student, SubmissionResult, final_total

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
ROSTER_COLUMNS = ("student_id", "name", "email", "section", "sis_id", "canvas_id", "login", "status")

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
        have = {r[1] for r in self._db.execute("PRAGMA table_info(results)")}
        for name, decl in EXTRA_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE results ADD COLUMN {name} {decl}")
        have = {r[1] for r in self._db.execute("PRAGMA table_info(roster)")}
        for name in ROSTER_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE roster ADD COLUMN {name} TEXT NOT NULL DEFAULT ''")
        self._db.commit()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- grading -----------------------------------------------------------------------------------------------

    def begin(self, homework: str, roster: list[Student] | None = None, **meta) -> None:
        """A run's settings, in one transaction: the homework's meta values and (when given) the roster."""
        with self._lock:
            self._set_meta(homework, meta)
            if roster is not None:
                self._set_roster(roster)
            self._db.commit()

    def _final_now(self, homework: str, student: str) -> float | None:
        row = self._db.execute("SELECT total, penalty, override_total FROM results WHERE homework=? AND student=?",
                               (homework, student)).fetchone()
        if row is None:
            return None
        manual = self._db.execute("SELECT COALESCE(SUM(score), 0) FROM manual_scores WHERE homework=? AND "
                                  "student=?", (homework, student)).fetchone()[0]
        return final_total(row[0], manual, row[1], row[2])

    def _history(self, homework: str, student: str, old: float | None, new: float | None, reason: str) -> None:
        self._db.execute("INSERT INTO history (homework, student, at, old_total, new_total, reason) "
                         "VALUES (?,?,?,?,?,?)", (homework, student, time.time(), old, new, reason))

    def write(self, homework: str, entry: PlanEntry, result: SubmissionResult | None = None,
              isolation: str = "") -> None:
        """One student's change, in one transaction: with `result`, the graded row (the entry's fingerprints,
        source and late facts; a kept override); without, the entry's late facts and status on the stored row.
        History: a row for every change of the final total (with the entry's reason) and for a status change."""
        with self._lock:
            try:
                if result is not None:
                    self._store_result(homework, entry, result, isolation)
                else:
                    self._update(homework, entry)
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def _store_result(self, homework: str, e: PlanEntry, res: SubmissionResult, isolation: str) -> None:
        detail = json.dumps({"exercises": [x.to_dict() for x in res.exercises], "warnings": res.warnings,
                             "error": res.error, "seconds": res.seconds, "grading_error": res.grading_error})
        old = self._final_now(homework, e.student)
        prev = self._db.execute("SELECT override_total FROM results WHERE homework=? AND student=?",
                                (homework, e.student)).fetchone()
        self._db.execute(
            "INSERT OR REPLACE INTO results (homework, student, total, max_total, detail, isolation, graded_at, "
            "notebook_sha256, seed_fp, source, status, submitted_at, due_at, late_days, penalty, "
            "override_total) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (homework, e.student, res.total, res.max_total, detail, isolation, time.time(), e.sha256, e.key_fp,
             e.source, str(Status.GRADED), e.submitted_at, e.due_at, e.late_days, e.penalty,
             prev[0] if prev else None))
        self._history(homework, e.student, old, self._final_now(homework, e.student),
                      e.reason or ("graded" if old is None else "regraded"))

    def _update(self, homework: str, e: PlanEntry) -> None:
        cur = self._db.execute("SELECT submitted_at, due_at, late_days, penalty, status FROM results WHERE "
                               "homework=? AND student=?", (homework, e.student)).fetchone()
        if cur is None:
            return
        if tuple(cur[:4]) != (e.submitted_at, e.due_at, e.late_days, e.penalty):
            old = self._final_now(homework, e.student)
            self._db.execute("UPDATE results SET submitted_at=?, due_at=?, late_days=?, penalty=? WHERE homework=? "
                             "AND student=?", (e.submitted_at, e.due_at, e.late_days, e.penalty, homework, e.student))
            new = self._final_now(homework, e.student)
            if new != old:
                self._history(homework, e.student, old, new, "late policy")
        if cur[4] != e.status:
            self._db.execute("UPDATE results SET status=? WHERE homework=? AND student=?",
                             (str(e.status), homework, e.student))
            total = self._final_now(homework, e.student)
            self._history(homework, e.student, total, total, e.reason)

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
            out.append(Row(res, isolation, Status(status), sha, seed_fp, source, sub_at, due_at, days or 0,
                           pen or 0.0, override, by_student.get(student, {}), manual_max, graded_at))
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

    def _set_meta(self, homework: str, values: dict) -> None:
        row = self._db.execute("SELECT data FROM homework_meta WHERE homework=?", (homework,)).fetchone()
        data = {**(json.loads(row[0]) if row else {}), **values}
        self._db.execute("INSERT OR REPLACE INTO homework_meta VALUES (?,?)", (homework, json.dumps(data)))

    def _set_roster(self, students: list[Student]) -> None:
        self._db.execute("DELETE FROM roster")
        self._db.executemany(f"INSERT INTO roster ({', '.join(ROSTER_COLUMNS)}, position) VALUES "
                             f"({', '.join('?' * (len(ROSTER_COLUMNS) + 1))})",
                             [(*(str(getattr(s, c)) for c in ROSTER_COLUMNS), i) for i, s in enumerate(students)])

    def set_roster(self, students: list[Student]) -> None:
        with self._lock:
            self._set_roster(students)
            self._db.commit()

    def roster(self) -> list[Student]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(ROSTER_COLUMNS)} FROM roster ORDER BY position").fetchall()
        return [Student(*r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_existing(db: str | None, out: Path) -> Gradebook:
    """The gradebook of an earlier `course grade --out OUT` (or --db URL); a one-line error when there is none."""
    path = db_path(db, Path(out))
    if not path.exists():
        raise FileNotFoundError(f"no gradebook at {path} (run `course grade ... --out {out}` first)")
    return Gradebook(path)
