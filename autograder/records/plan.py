"""The plan of a `course grade` run, decided before anything is graded: per student, grade the submission (and
why: new, resubmitted, seed changed, --only, --exercise, --regrade) or leave it, with the late facts and the
fingerprints to store; and the stored rows this run only updates (late facts after a new due date or extension,
no longer submitted, submitted again). A pure function of the submissions, the stored rows and the settings."""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.model import PlanEntry, Row, Status, Submission
from autograder.records.late import LatePolicy

REGRADE_KEEPS_TIME = ("seed changed", "answer key changed", "--regrade", "--only")


@dataclass
class Plan:
    """The decisions of one run, in submission order: entries that grade, entries that only update a stored row,
    and how many submissions were left as they were (already graded, unchanged)."""

    entries: list[PlanEntry] = field(default_factory=list)
    skipped: int = 0
    untouched: int = 0  # left out by --only
    file_timed: list[str] = field(default_factory=list)  # graded with a file time (no --times entry)

    @property
    def to_grade(self) -> list[PlanEntry]:
        return [e for e in self.entries if e.grades]

    @property
    def updates(self) -> list[PlanEntry]:
        return [e for e in self.entries if not e.grades]


@dataclass
class PlanInputs:
    """What a plan depends on besides the submissions and the stored rows."""

    key_fp: str  # the fingerprint a current row was graded against
    policy: LatePolicy
    times: dict[str, float] = field(default_factory=dict)  # --times: student (or original name) -> POSIX seconds
    zip_times: dict[str, float] = field(default_factory=dict)  # extracted path -> the zip entry's date
    zip_root: Path | None = None
    only: set[str] = field(default_factory=set)
    exercise: str | None = None
    regrade: bool = False


def notebook_sha256(sub: Submission) -> str:
    """sha256 of the graded notebook file's bytes (for a folder, of the notebook graded)."""
    if sub.path is None:
        return hashlib.sha256(("missing:" + sub.problem).encode()).hexdigest()
    h = hashlib.sha256()
    try:
        fd = os.open(sub.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        return hashlib.sha256(f"unreadable:{exc}".encode()).hexdigest()
    return h.hexdigest()


def zip_times(zpath: Path, tz) -> dict[str, float]:
    """Extracted file path (relative to the extraction folder) -> the zip entry's date_time, read in `tz`."""
    out = {}
    try:
        with zipfile.ZipFile(zpath) as zf:
            for info in zf.infolist():
                parts = [p for p in info.filename.split("/") if p not in ("", ".")]
                try:
                    out["/".join(parts)] = datetime(*info.date_time, tzinfo=tz).timestamp()
                except ValueError:
                    continue
    except (OSError, zipfile.BadZipFile):
        return {}
    return out


def trusted_time(sub: Submission, inputs: PlanInputs) -> bool:
    """Whether --times gives this submission's time (a file's time is anyone's to set: a warning when it counts)."""
    return sub.student in inputs.times or sub.source in inputs.times


def submission_time(sub: Submission, inputs: PlanInputs) -> float | None:
    """--times (by student id, or by the original name), else the zip entry's date, else the file's mtime."""
    if sub.student in inputs.times:
        return inputs.times[sub.student]
    if sub.source in inputs.times:
        return inputs.times[sub.source]
    if sub.path is None:
        return None
    if inputs.zip_root is not None:
        try:
            rel = sub.path.relative_to(inputs.zip_root).as_posix()
        except ValueError:
            rel = ""
        if rel in inputs.zip_times:
            return inputs.zip_times[rel]
    try:
        return os.lstat(sub.path).st_mtime
    except OSError:
        return None


def _reason(old: Row | None, sha: str, inputs: PlanInputs, answer_key: str) -> str | None:
    """Why this submission is graded in this run ("" when it is new), or None when its stored row is current."""
    if old is None:
        return ""
    if inputs.only:
        return "--only"
    if inputs.regrade:
        return "--regrade"
    if inputs.exercise is not None:
        return f"--exercise {inputs.exercise}"
    if old.sha256 != sha:
        return "resubmitted" if old.sha256 else "resubmitted (no fingerprint stored)"
    if old.seed_fp != inputs.key_fp:
        return answer_key
    return None


def _graded(sub: Submission, old: Row | None, reason: str, sha: str, inputs: PlanInputs) -> PlanEntry:
    when = submission_time(sub, inputs)
    if old is not None and (reason in REGRADE_KEEPS_TIME or reason.startswith("--ex")):
        if old.sha256 == sha and old.submitted_at is not None and sub.student not in inputs.times:
            when = old.submitted_at  # the same notebook: still submitted when it was first seen
    keep = inputs.exercise is not None and old is not None  # --exercise keeps the row's fingerprints
    late = inputs.policy.assess(sub.student, when)
    return PlanEntry(sub.student, sub, reason, old.sha256 if keep else sha, old.seed_fp if keep else inputs.key_fp,
                     sub.source, when, late.due_at, late.days, late.penalty)


def _update(row: Row, inputs: PlanInputs, status: Status, reason: str) -> PlanEntry | None:
    """The stored row with this run's late assessment and `status`; None when nothing would change."""
    when = inputs.times.get(row.student, row.submitted_at)
    late = inputs.policy.assess(row.student, when)
    entry = PlanEntry(row.student, None, reason, row.sha256, row.seed_fp, row.source, when, late.due_at,
                      late.days, late.penalty, status)
    same = ((row.submitted_at, row.due_at, row.late_days, row.penalty, row.status)
            == (when, late.due_at, late.days, late.penalty, status))
    return None if same else entry


def make_plan(subs: list[Submission], stored: list[Row], inputs: PlanInputs, answer_key: str = "seed changed"
              ) -> Plan:
    """Who is graded and what is stored: `stored` are the assignment's rows in the gradebook before this run;
    `answer_key` is the reason given when only the key changed ("seed changed", "answer key changed")."""
    old_rows = {r.student: r for r in stored}
    plan = Plan()
    present = {s.student for s in subs}
    graded: set[str] = set()
    for s in subs:
        if inputs.only and s.student not in inputs.only:
            plan.untouched += 1
            continue
        sha = notebook_sha256(s)
        old = old_rows.get(s.student)
        reason = _reason(old, sha, inputs, answer_key)
        if reason is None:
            plan.skipped += 1
            continue
        entry = _graded(s, old, reason, sha, inputs)
        plan.entries.append(entry)
        graded.add(s.student)
        newly_timed = old is None or entry.submitted_at != old.submitted_at  # not a time kept from a first run
        if s.path is not None and not trusted_time(s, inputs) and newly_timed:
            plan.file_timed.append(s.student)
    for row in stored:
        if row.student in graded or (inputs.only and row.student not in inputs.only):
            continue
        status, why = row.status, "late policy"
        if not inputs.only and row.student not in present and row.status == Status.GRADED:
            status, why = Status.REMOVED, str(Status.REMOVED)
        elif row.student in present and row.status == Status.REMOVED:
            status, why = Status.GRADED, "submitted again"
        entry = _update(row, inputs, status, why)
        if entry is not None:
            plan.entries.append(entry)
    return plan
