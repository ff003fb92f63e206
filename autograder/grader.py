"""Grade one submission: reference outputs (trusted), student outputs (sandboxed), scores and feedback."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from autograder.hidden import hidden_cases
from autograder.notebook import Extracted, extract_file
from autograder.paths import solution_notebook
from autograder.runners import InProcessRunner
from autograder.scoring import ExerciseResult, score
from course_lib.grading.model import Case, Exercise, Homework

DEFAULT_SEED = "deep-learning-basics"


def hidden_seed(explicit: str | None = None) -> str:
    """The per-course seed for hidden cases: --hidden-seed, else $COURSE_HIDDEN_SEED, else a default."""
    return explicit or os.environ.get("COURSE_HIDDEN_SEED") or DEFAULT_SEED


@dataclass
class SubmissionResult:
    student: str
    homework: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""  # the notebook could not be read at all
    seconds: float = 0.0
    grading_error: str = ""  # the trusted side failed on this submission (it scores 0 where it failed)

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 6)

    @property
    def max_total(self) -> float:
        return round(sum(e.max_points for e in self.exercises), 6)


def as_calls(cases: list[Case]) -> list[tuple[list, dict]]:
    return [(list(c.args), dict(c.kwargs)) for c in cases]


@lru_cache(maxsize=32)
def reference_chunks(homework_name: str) -> tuple:
    ex = extract_file(solution_notebook(homework_name))
    return tuple(ex.chunks)


def expected_for(hw: Homework, ex: Exercise, cases: list[Case]) -> list[dict]:
    """Run the reference (solutions/) on the cases, in this trusted process."""
    out = InProcessRunner().run(reference_chunks(hw.name), hw, ex, as_calls(cases))
    return [r if r is not None else {"error": "no result"} for r in out.results]


def cases_for(hw: Homework, ex: Exercise, seed: str, include_hidden: bool) -> tuple[list[Case], list[Case]]:
    return list(ex.public), (hidden_cases(hw, ex, seed) if include_hidden else [])


class ExpectedCache:
    """Reference outputs per exercise, computed once per grading run."""

    def __init__(self, hw: Homework, seed: str, include_hidden: bool):
        self.hw, self.seed, self.include_hidden = hw, seed, include_hidden
        self._cache: dict[str, tuple[list[Case], list[Case], list[dict]]] = {}

    def get(self, ex: Exercise):
        if ex.name not in self._cache:
            public, hidden = cases_for(self.hw, ex, self.seed, self.include_hidden)
            self._cache[ex.name] = (public, hidden, expected_for(self.hw, ex, public + hidden))
        return self._cache[ex.name]


def grade_extracted(hw: Homework, extracted: Extracted, runner, expected: ExpectedCache,
                    student: str = "student") -> SubmissionResult:
    """Run every exercise of `hw` on the student's definitions with `runner` and score it."""
    import time

    t0 = time.perf_counter()
    res = SubmissionResult(student, hw.name, warnings=list(extracted.warnings))
    define_errors: set[str] = set()
    for ex in hw.exercises:
        try:
            res.exercises.append(_grade_exercise(hw, ex, extracted, runner, expected, define_errors))
        except Exception as exc:  # noqa: BLE001 - the trusted side failed: this exercise scores 0, grading goes on
            why = f"could not be graded ({type(exc).__name__}: {str(exc)[:120]}); tell the instructor"
            res.exercises.append(ExerciseResult(ex.name, 0.0, float(ex.points), status="error", note=why))
            res.grading_error = res.grading_error or f"{ex.name}: {why}"
    res.warnings.extend(sorted(define_errors))
    res.seconds = time.perf_counter() - t0
    return res


def _grade_exercise(hw: Homework, ex: Exercise, extracted: Extracted, runner, expected: ExpectedCache,
                    define_errors: set[str]) -> ExerciseResult:
    """Public cases in one job, hidden cases in another: the process that runs (and may show the student)
    public cases never holds a hidden input, and the hidden job sends back no student text."""
    public, hidden, exp = expected.get(ex)
    out = runner.run(extracted.chunks, hw, ex, as_calls(public), ex.time_limit, ex.memory_mb)
    define_errors.update(out.define_errors)
    results, status, note, seconds = list(out.results), out.status, out.note, out.seconds
    if hidden:
        if status == "ok":
            left = max(0.5, ex.time_limit - seconds)
            out = runner.run(extracted.chunks, hw, ex, as_calls(hidden), left, ex.memory_mb, hidden=True)
            results += out.results
            status, note, seconds = out.status, out.note, seconds + out.seconds
        else:
            results += [None] * len(hidden)
    return score(ex, public, hidden, exp, results, status, note, seconds)
