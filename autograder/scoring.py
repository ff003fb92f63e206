"""Trusted side: compare sandbox outputs with the reference's and turn them into points and feedback."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from course_lib.grading.judge import hidden_message, judge
from course_lib.grading.model import Case, Exercise, show_value


@dataclass
class CaseResult:
    index: int
    hidden: bool
    ok: bool
    message: str = ""
    max_error: float | None = None
    kind: str = ""  # the judge's verdict kind ("" when ok)


@dataclass
class ExerciseResult:
    name: str
    points: float
    max_points: float
    cases: list[CaseResult] = field(default_factory=list)
    status: str = "ok"  # ok | timeout | crashed | missing | error
    note: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points - 1e-9

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        return d


def describe_input(case: Case, limit: int = 200) -> str:
    """A short, one-line description of a public case's inputs for feedback (course_lib's show_value)."""
    parts = [show_value(a) for a in case.args] + [f"{k}={show_value(v)}" for k, v in case.kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[:limit] + "…"


def describe_call(ex: Exercise, case: Case, limit: int = 240) -> str:
    """The call as the student wrote it: the exercise's `shown_call` where a driver's arguments differ from the
    student's signature (hw04 layers, hw05 initializers), else `name(inputs)`. One line."""
    text = ""
    if ex.shown_call is not None:
        try:
            text = str(ex.shown_call(tuple(case.args), dict(case.kwargs)))
        except Exception:  # noqa: BLE001 - feedback text must never fail grading
            text = ""
    if not text:
        text = f"{ex.name}({describe_input(case)})"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def score(ex: Exercise, public: list[Case], hidden: list[Case], expected: list[dict],
          got: list[dict | None], status: str = "ok", note: str = "", seconds: float = 0.0) -> ExerciseResult:
    """Points = ex.points × (passed cases / all cases); feedback never shows hidden inputs or values."""
    cases = public + hidden
    per_case = ex.points / max(len(cases), 1)
    res = ExerciseResult(ex.name, 0.0, float(ex.points), status=status, note=note, seconds=seconds)
    for i, c in enumerate(cases):
        is_hidden = i >= len(public)
        g = got[i] if i < len(got) else None
        v = judge(ex, c.args, c.kwargs, expected[i], g, status, note)
        if is_hidden:
            msg = "" if v.ok else f"hidden case {i - len(public) + 1}: {hidden_message(v, g)}"
        else:
            msg = "" if v.ok else f"public case {i + 1} ({describe_call(ex, c)}): {v.message}"
        res.cases.append(CaseResult(i, is_hidden, v.ok, msg, v.max_error, v.kind))
        if v.ok:
            res.points += per_case
    res.points = round(res.points, 6)
    return res
