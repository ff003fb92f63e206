"""Late policy: due dates, per-student extensions, submission times and the penalty rule.

    policy = LatePolicy(due=parse_time("2026-12-01T23:59"), rule=parse_rule("10%/day,cap=50%,grace=15min"),
                        extensions=read_extensions("ext.csv", due))
    late = policy.assess("alice", submitted_at)      # Late(days=2, penalty=0.2, ...)

A submission is late when it arrives more than `grace` after the student's due date (the homework's, or the
student's extension). Every *started* day (or hour, with "%/hour") after the due date then costs `rate`, up to
`cap`; a cap of 100% means a late enough submission scores 0. The penalty multiplies the whole total
(autograded + manual points): total = raw × (1 − penalty).

Times without a timezone are read in `tz` (default UTC); `--due 2026-12-01T23:59+01:00` carries its own.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

UTC = timezone.utc


def parse_tz(text: str | None) -> tzinfo:
    """'UTC', '+01:00', '-0500' or an IANA name (Europe/Berlin)."""
    if not text or text.upper() in ("UTC", "Z"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", text.strip())
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(-delta if m.group(1) == "-" else delta)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"unknown timezone {text!r} (use UTC, +01:00 or a name such as Europe/Berlin)") from exc


def parse_time(text: str, tz: tzinfo = UTC) -> datetime:
    """An ISO 8601 date/time ('2026-12-01T23:59', '2026-12-01 23:59:00+01:00', '2026-12-01', a trailing Z);
    a date alone means 23:59:59 that day. Naive times are read in `tz`."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty date/time")
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    date_only = re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) is not None
    try:
        t = datetime.fromisoformat(s)
    except ValueError as exc:
        raise ValueError(f"not an ISO date/time: {text!r} (expected e.g. 2026-12-01T23:59)") from exc
    if date_only:
        t = t.replace(hour=23, minute=59, second=59)
    return t if t.tzinfo else t.replace(tzinfo=tz)


@dataclass(frozen=True)
class Rule:
    rate: float = 0.0  # fraction lost per started unit
    unit_seconds: float = 86400.0
    cap: float = 1.0  # the largest fraction lost (1.0: down to 0)
    grace_seconds: float = 0.0
    text: str = ""

    def penalty(self, late_seconds: float) -> tuple[int, float]:
        """(started units late, fraction lost) for a submission `late_seconds` after its due date."""
        if late_seconds <= self.grace_seconds:
            return 0, 0.0
        units = max(1, math.ceil(late_seconds / self.unit_seconds - 1e-9))
        return units, round(min(self.cap, self.rate * units), 6)


_UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "hours": 3600, "d": 86400,
          "day": 86400, "days": 86400}


def _duration(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", text.lower())
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"not a duration: {text!r} (e.g. 15min, 2h, 1d)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _percent(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text)
    if not m:
        raise ValueError(f"not a percentage: {text!r} (e.g. 50%)")
    return float(m.group(1)) / 100


def parse_rule(text: str) -> Rule:
    """'10%/day,cap=50%,grace=15min' (also '2%/hour'); cap defaults to 100%, grace to 0."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ValueError("empty --late-penalty (e.g. '10%/day,cap=50%,grace=15min')")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s*/\s*(day|hour)", parts[0])
    if not m:
        raise ValueError(f"--late-penalty must start with a rate such as 10%/day or 2%/hour, not {parts[0]!r}")
    rate, unit = float(m.group(1)) / 100, 86400.0 if m.group(2) == "day" else 3600.0
    cap, grace = 1.0, 0.0
    for p in parts[1:]:
        key, _, value = p.partition("=")
        key = key.strip().lower()
        if key == "cap":
            cap = _percent(value)
        elif key == "grace":
            grace = _duration(value)
        else:
            raise ValueError(f"unknown --late-penalty setting {key!r} (known: cap, grace)")
    if not (0 <= rate <= 1 and 0 <= cap <= 1):
        raise ValueError("--late-penalty: rate and cap must be between 0% and 100%")
    return Rule(rate, unit, cap, grace, ",".join(parts))


@dataclass
class Late:
    submitted_at: float | None  # POSIX seconds
    due_at: float | None
    days: int = 0  # started units late (days, or hours for a per-hour rule)
    penalty: float = 0.0  # fraction of the total lost
    note: str = ""


@dataclass
class LatePolicy:
    due: datetime | None = None
    rule: Rule = field(default_factory=Rule)
    extensions: dict[str, datetime] = field(default_factory=dict)  # student -> own due date

    def due_for(self, student: str) -> datetime | None:
        return self.extensions.get(student, self.due)

    def assess(self, student: str, submitted_at: float | None) -> Late:
        due = self.due_for(student)
        if due is None or submitted_at is None:
            return Late(submitted_at, due.timestamp() if due else None)
        late_s = submitted_at - due.timestamp()
        units, pen = self.rule.penalty(late_s)
        note = ""
        if student in self.extensions:
            note = f"extension to {self.extensions[student].isoformat(timespec='minutes')}"
        return Late(submitted_at, due.timestamp(), units, pen, note)

    def to_json(self) -> dict:
        return {"due": self.due.isoformat() if self.due else None, "rule": self.rule.text,
                "extensions": {k: v.isoformat() for k, v in self.extensions.items()}}

    @classmethod
    def from_json(cls, d: dict | None) -> LatePolicy:
        if not d:
            return cls()
        return cls(datetime.fromisoformat(d["due"]) if d.get("due") else None,
                   parse_rule(d["rule"]) if d.get("rule") else Rule(),
                   {k: datetime.fromisoformat(v) for k, v in (d.get("extensions") or {}).items()})

    @property
    def active(self) -> bool:
        return self.due is not None or bool(self.extensions)


def _rows(path: str | Path, what: str) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]
    except OSError as exc:
        raise ValueError(f"{what} cannot be read: {path} ({exc.strerror or exc})") from exc


def read_extensions(path: str | Path, due: datetime | None, tz: tzinfo = UTC) -> dict[str, datetime]:
    """ext.csv with columns student,due (a date/time) or student,days (added to the homework's due date)."""
    out = {}
    for i, r in enumerate(_rows(path, "--extensions"), start=2):
        student = r.get("student", "")
        if not student:
            raise ValueError(f"{path}: line {i}: no student (columns: student,due or student,days)")
        if r.get("due"):
            out[student] = parse_time(r["due"], tz)
        elif r.get("days"):
            if due is None:
                raise ValueError(f"{path}: line {i}: 'days' needs --due (the homework's due date)")
            out[student] = due + timedelta(days=float(r["days"]))
        else:
            raise ValueError(f"{path}: line {i}: give 'due' or 'days' for {student}")
    return out


def read_times(path: str | Path, tz: tzinfo = UTC) -> dict[str, float]:
    """times.csv with columns student,submitted_at (as LMS downloads give) -> POSIX seconds."""
    out = {}
    for i, r in enumerate(_rows(path, "--times"), start=2):
        student, when = r.get("student", ""), r.get("submitted_at", "")
        if not student or not when:
            raise ValueError(f"{path}: line {i}: expected columns student,submitted_at")
        out[student] = parse_time(when, tz).timestamp()
    return out


def describe(raw: float, max_total: float, days: int, penalty: float, final: float, per: str = "day") -> str:
    """'raw 10 / 10, late 2 days: −20% → 8 / 10' (or 'on time')."""
    if not days:
        return ""
    unit = per if days == 1 else per + "s"
    return (f"raw {raw:.4g} / {max_total:.4g}, late {days} {unit}: −{penalty * 100:.4g}% → "
            f"{final:.4g} / {max_total:.4g}")
