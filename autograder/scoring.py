"""Trusted side: compare sandbox outputs with the reference's and turn them into points and feedback."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from course_lib.grading.judge import hidden_message, judge
from course_lib.grading.model import Case, Exercise


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
    """A short description of a public case's inputs for feedback."""
    import numpy as np

    def one(v):
        if isinstance(v, np.ndarray):
            if v.size <= 6:
                return np.array2string(v, precision=4, separator=", ").replace("\n", "")
            return f"array{v.shape}"
        if isinstance(v, (list, tuple)) and len(v) > 6:
            return f"{type(v).__name__} of {len(v)}"
        return repr(v)

    parts = [one(a) for a in case.args] + [f"{k}={one(v)}" for k, v in case.kwargs.items()]
    text = ", ".join(parts)
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
            msg = "" if v.ok else f"public case {i + 1} ({ex.name}({describe_input(c)})): {v.message}"
        res.cases.append(CaseResult(i, is_hidden, v.ok, msg, v.max_error, v.kind))
        if v.ok:
            res.points += per_case
    res.points = round(res.points, 6)
    return res
