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
        public, hidden, exp = expected.get(ex)
        cases = public + hidden
        out = runner.run(extracted.chunks, hw, ex, as_calls(cases), ex.time_limit, ex.memory_mb)
        define_errors.update(out.define_errors)
        res.exercises.append(score(ex, public, hidden, exp, out.results, out.status, out.note, out.seconds))
    res.warnings.extend(sorted(define_errors))
    res.seconds = time.perf_counter() - t0
    return res
