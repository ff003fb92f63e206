"""Trusted side: compare sandbox outputs with the reference's and turn them into points and feedback."""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.model import CaseResult, ExerciseResult
from course_lib.grading.compare import PARTIAL_CREDIT
from course_lib.grading.judge import hidden_hint, hidden_message, judge, judge_budget
from course_lib.grading.model import Case, Exercise, show_value
from course_lib.grading.model import describe_call as _describe_call


@dataclass
class TimedRun:
    """The larger case of an exercise's time budget as graded: its draws, the reference's outputs and fastest
    time on them (measured in the same worker), and the student's runs (value or error, and seconds)."""

    cases: list[Case] = field(default_factory=list)
    expected: list[dict] = field(default_factory=list)
    got: list[dict | None] = field(default_factory=list)
    t_ref: float | None = None


def describe_input(case: Case, limit: int = 200) -> str:
    """A short, one-line description of a public case's inputs for feedback (course_lib's show_value)."""
    parts = [show_value(a) for a in case.args] + [f"{k}={show_value(v)}" for k, v in case.kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[:limit] + "…"


def describe_call(ex: Exercise, case: Case, limit: int = 240) -> str:
    """The call as the student wrote it, one line (course_lib.grading.model.describe_call)."""
    return _describe_call(ex, case, limit)


def score(ex: Exercise, public: list[Case], hidden: list[Case], expected: list[dict],
          got: list[dict | None], status: str = "ok", note: str = "", seconds: float = 0.0,
          timed: TimedRun | None = None) -> ExerciseResult:
    """Points = Σ case points × credit, a case's credit being 1 when it passes, half when it is only slow, else 0;
    cases share the points equally except a budget case (ex.case_points). Feedback never shows hidden inputs or
    values. With `timed`, the last hidden case is the exercise's budget case, judged on the timed runs."""
    cases = public + hidden
    budgeted = timed is not None and bool(hidden)
    points = ex.case_points(len(cases), budgeted)
    res = ExerciseResult(ex.name, 0.0, float(ex.points), status=status, note=note, seconds=seconds)
    for i, c in enumerate(cases):
        is_hidden = i >= len(public)
        g = got[i] if i < len(got) else None
        if budgeted and i == len(cases) - 1:
            v = judge_budget(ex, timed.cases, timed.expected, timed.got, timed.t_ref, status, note)
        else:
            v = judge(ex, c.args, c.kwargs, expected[i], g, status, note)
        if is_hidden:
            msg = "" if v.ok else f"hidden case {i - len(public) + 1}: {hidden_message(v, g)}"
            if msg and hidden_hint(v):
                msg += f"; {hidden_hint(v)}"
        else:
            msg = "" if v.ok else f"public case {i + 1} ({describe_call(ex, c)}): {v.message}"
        partial = 0.0 if v.ok else max(PARTIAL_CREDIT.get(v.kind, 0.0), v.credit)
        res.cases.append(CaseResult(i, is_hidden, v.ok, msg, v.max_error, v.kind, partial, points[i]))
        res.points += points[i] * (1.0 if v.ok else partial)
    res.points = round(res.points, 6)
    return res
