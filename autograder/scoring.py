"""Trusted side: compare sandbox outputs with the reference's and turn them into points and feedback."""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass, field

from autograder.spec import Case, Exercise
from course_lib.compare import Verdict, compare
from course_lib.harness import get_check


@dataclass
class CaseResult:
    index: int
    hidden: bool
    ok: bool
    message: str = ""
    max_error: float | None = None


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


def judge(ex: Exercise, case: Case, expected: dict, got: dict | None) -> Verdict:
    """One case: the reference's result `expected` vs the student's `got` ({"value"} or {"error"})."""
    if "error" in expected:
        return Verdict(False, f"the reference failed on this case ({expected['error']}); tell the instructor")
    if got is None:
        return Verdict(False, "no result (the exercise stopped before this case)")
    if "error" in got:
        return Verdict(False, str(got["error"])[:500])
    if "value" not in got:
        return Verdict(False, "malformed result")
    if ex.check:
        return get_check(ex.check)(list(case.args), dict(case.kwargs), expected["value"], got["value"],
                                   ex.rtol, ex.atol)
    return compare(expected["value"], got["value"], ex.rtol, ex.atol)


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
        if g is None and status == "timeout":
            v = Verdict(False, "time limit reached before this case finished")
        elif g is None and status == "crashed":
            v = Verdict(False, f"the process stopped before this case finished ({note})")
        else:
            v = judge(ex, c, expected[i], g)
        if is_hidden:
            msg = "" if v.ok else f"hidden case {i - len(public) + 1}: {_hidden_brief(v, g)}"
        else:
            msg = "" if v.ok else f"public case {i + 1} ({ex.name}({describe_input(c)})): {v.message}"
        res.cases.append(CaseResult(i, is_hidden, v.ok, msg, v.max_error))
        if v.ok:
            res.points += per_case
    res.points = round(res.points, 6)
    return res


_BUILTIN_EXCEPTIONS = {n for n in dir(builtins) if isinstance(getattr(builtins, n), type)
                       and issubclass(getattr(builtins, n), BaseException)}


def _hidden_brief(v: Verdict, got: dict | None) -> str:
    """Feedback for a hidden case built only from trusted facts: no student text, no inputs, no values."""
    if got is not None and "error" in got:
        etype = got.get("etype") if isinstance(got.get("etype"), str) else None
        if etype == "MissingDefinition":
            return "a function or class it needs is not defined in your notebook"
        if etype in _BUILTIN_EXCEPTIONS:
            return f"your code raised {etype}"
        return "your code raised an exception"
    if "NaN" in v.message or "infinite" in v.message:
        return "got NaN or infinity where a finite number was expected"
    if v.brief and "values differ" not in v.brief:
        return "the returned value has the wrong shape, length or type"
    for marker in ("time limit", "process stopped", "no result"):
        if marker in v.message:
            return v.message.split(" (")[0]
    if v.max_error is not None and v.max_error == v.max_error:
        return f"values differ (largest error about {float(f'{v.max_error:.0e}'):.0e})"
    return "wrong result"
