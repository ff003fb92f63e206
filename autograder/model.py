"""The ground floor: the types every phase of the instructor side shares, and nothing else.

    collect -> Submission          (grade/collect.py finds them)
    plan    -> PlanEntry           (grade/plan.py decides, per student, what this run does)
    grade   -> SubmissionResult    (ExerciseResult, CaseResult: grade/, quizzes/)
    record  -> Row                 (records/gradebook.py stores one per (assignment, student))
    export  -> files               (exports/)

`Assignment` is what `course grade` grades: code homework (grade/homework.py) and a lecture's concept checks
(quizzes/) both implement it, so no phase asks which one it has. Status and Outcome are the spellings of a row's
status and of how an exercise's run ended; nothing else spells them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

if TYPE_CHECKING:  # pragma: no cover - types only
    from course_lib.grading.model import Exercise


class Status(str, Enum):
    """A gradebook row's status."""

    GRADED = "graded"
    REMOVED = "no longer submitted"  # graded once, gone from the submissions folder: kept, not counted
    NO_SUBMISSION = "no submission"  # a roster student without a row (exports only; never stored)
    WITHDRAWN = "withdrawn"  # the roster's status column: kept in the gradebook, out of LMS files and statistics

    __str__ = str.__str__


class Outcome(str, Enum):
    """How the run of one exercise ended (ExerciseResult.status)."""

    OK = "ok"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    MISSING = "missing"  # nothing to run: no notebook, or it could not be read
    ERROR = "error"  # the trusted side failed on it (a note says so)

    __str__ = str.__str__


@dataclass
class Student:
    """A roster entry: the id `course grade` files the student under, and what the LMS exports need (Canvas's
    numeric user id, the SIS id, the login; `status` is "" or Status.WITHDRAWN)."""

    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    sis_id: str = ""
    canvas_id: str = ""
    login: str = ""
    status: str = ""


@dataclass
class Submission:
    """One student's entry in the submissions folder."""

    student: str
    path: Path | None  # None when there is nothing to grade (see `problem`)
    problem: str = ""  # one line for the student's feedback (their own entries only)
    source: str = ""  # the original name under the submissions root (for the instructor)


@dataclass
class CaseResult:
    index: int
    hidden: bool
    ok: bool
    message: str = ""
    max_error: float | None = None
    kind: str = ""  # the judge's verdict kind ("" when ok)
    partial: float = 0.0  # the share of the case's points earned although not ok ("slow": 0.5)
    points: float | None = None  # the case's points (Exercise.case_points); None in records made before budgets

    @property
    def credit(self) -> float:
        """The share of the case's points earned: 1 when ok, else `partial`."""
        return 1.0 if self.ok else self.partial


@dataclass
class ExerciseResult:
    name: str
    points: float
    max_points: float
    cases: list[CaseResult] = field(default_factory=list)
    status: str = Outcome.OK
    note: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points - 1e-9

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = str(self.status)
        d["passed"] = self.passed
        return d


@dataclass
class SubmissionResult:
    student: str
    homework: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""  # the notebook could not be read at all
    seconds: float = 0.0
    grading_error: str = ""  # the trusted side failed on this submission (it scores 0 where it failed)
    # what the notebook defines (code homework) or answers (concept checks), for the wrong-assignment warning;
    # not stored
    seen: list[str] = field(default_factory=list)
    # the time of the public jobs alone: what Gradescope may show (hidden jobs' time would be a channel); not stored
    public_seconds: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 6)

    @property
    def max_total(self) -> float:
        return round(sum(e.max_points for e in self.exercises), 6)


def zero_result(assignment, student: str, why: str) -> SubmissionResult:
    """A result with every exercise at 0 and `why` as the reason (unreadable or missing notebook)."""
    res = SubmissionResult(student, assignment.name, error=why)
    res.exercises = [ExerciseResult(e.name, 0.0, float(e.points), status=Outcome.MISSING, note=why)
                     for e in assignment.exercises]
    return res


@dataclass
class PlanEntry:
    """What this run does for one student, decided before anything is graded: grade the submission (`reason`
    says why: "" new, "resubmitted", "seed changed", "--only", …) or only update the stored row (late facts
    changed, no longer submitted, submitted again). The fingerprints and late facts are those to store."""

    student: str
    submission: Submission | None  # None: an update of a stored row only
    reason: str = ""
    sha256: str = ""
    key_fp: str = ""  # the answer key the row is graded against (hidden seed fingerprint, or the quiz's keys)
    source: str = ""
    submitted_at: float | None = None
    due_at: float | None = None
    late_days: int = 0
    penalty: float = 0.0
    status: Status = Status.GRADED

    @property
    def grades(self) -> bool:
        return self.submission is not None


@dataclass
class Row:
    """One student's record for one assignment, as the exports need it."""

    result: SubmissionResult
    isolation: str = ""
    status: Status = Status.GRADED
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
        return final_total(self.auto_total, self.manual_total, self.penalty, self.override_total)

    @property
    def counted(self) -> bool:
        return self.status == Status.GRADED


def final_total(auto: float, manual: float, penalty: float, override: float | None) -> float:
    """The one rule for a final total: the instructor's override, else (autograded + manual) × (1 − penalty)."""
    return override if override is not None else round((auto + manual) * (1 - penalty), 6)


@dataclass
class GradeSettings:
    """What grading needs besides the submissions: the course seed, whether hidden cases are graded, the
    sandbox's isolation level, how many workers, and progress on the terminal."""

    seed: str
    include_hidden: bool = True
    level: str = ""
    workers: int = 2
    progress: bool | None = None


class Assignment(Protocol):
    """What `course grade` grades. Code homework (grade/homework.py, a course_lib Homework run in the sandbox) and
    a lecture's concept checks (quizzes/, literals read from the notebook) implement it."""

    name: str
    exercises: list[Exercise]

    @property
    def short(self) -> str: ...

    @property
    def max_points(self) -> float: ...

    isolated: bool  # grading runs student code (hidden cases then need the sandbox's namespaces)

    def key_fingerprint(self, settings: GradeSettings) -> str:
        """What a stored row must have been graded against to be current (a changed one regrades)."""

    def describe_isolation(self, settings: GradeSettings) -> str:
        """How grading ran, for the feedback footer."""

    def grade_all(self, submissions: list[Submission], settings: GradeSettings) -> Iterator[SubmissionResult]:
        """A result per submission, each as soon as it is produced (never raises for one submission)."""

    def guess(self, results: list[SubmissionResult]) -> str:
        """A warning when the graded notebooks look like another assignment ("" when they do not)."""

    def only(self, exercise: str) -> Assignment:
        """The same assignment restricted to one exercise (--exercise)."""
