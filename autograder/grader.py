"""Grade one submission: reference outputs (trusted), student outputs (sandboxed), scores and feedback."""

from __future__ import annotations

import ast
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from autograder.hidden import hidden_cases
from autograder.paths import solution_notebook
from autograder.runners import InProcessRunner, Timed
from autograder.scoring import ExerciseResult, TimedRun, score
from course_lib.grading.model import Case, Exercise, Homework
from course_lib.grading.notebook import Extracted, extract_file

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


def reference_for(hw: Homework, ex: Exercise) -> tuple:
    """The reference chunks a timed run of `ex` needs: the notebook's imports, constants and helpers and the
    exercise's own definition, without the other graded exercises' definitions."""
    others = {e.name for e in hw.exercises} - {ex.name}
    keep = []
    for chunk in reference_chunks(hw.name):
        node = ast.parse(chunk[1]).body[0]
        if getattr(node, "name", None) in others:
            continue
        keep.append(chunk)
    return tuple(keep)


def budget_case(hw: Homework, ex: Exercise, seed: str) -> list[Case]:
    """The budget's larger case as it is listed among the hidden cases (and embedded by the nbgrader/otter
    exports, which check it for correctness only): one draw seeded by (course seed, homework, exercise)."""
    if ex.budget is None:
        return []
    digest = hashlib.sha256(f"{seed}/{hw.name}/{ex.name}/budget".encode()).digest()
    return [ex.budget.case(np.random.default_rng(int.from_bytes(digest[:8], "little")))]


def fresh_seeds(ex: Exercise) -> list[int]:
    """The seeds of the draws timed when a submission is graded: `repeats` new ones each time, unpredictable, so no
    submission can compute their outputs ahead of the clock (the reference's outputs on them are the expected)."""
    return [secrets.randbits(63) for _ in range(ex.budget.repeats)]


def expected_for(hw: Homework, ex: Exercise, cases: list[Case]) -> list[dict]:
    """Run the reference (solutions/) on the cases, in this trusted process."""
    out = InProcessRunner().run(reference_chunks(hw.name), hw, ex, as_calls(cases))
    return [r if r is not None else {"error": "no result"} for r in out.results]


def cases_for(hw: Homework, ex: Exercise, seed: str, include_hidden: bool) -> tuple[list[Case], list[Case]]:
    """Public cases, and the hidden ones drawn from the seed (the budget's larger case last, if any)."""
    if not include_hidden:
        return list(ex.public), []
    return list(ex.public), hidden_cases(hw, ex, seed) + budget_case(hw, ex, seed)


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
    # Every public job before any hidden one: no job whose output the student sees runs after a hidden job, so
    # nothing a hidden job does (its duration included) can be measured by code that reports to the student.
    public = {}
    for ex in hw.exercises:
        try:
            public[ex.name] = _public_job(hw, ex, extracted, runner, expected, define_errors)
        except Exception as exc:  # noqa: BLE001 - raised again below, where it scores this exercise 0
            public[ex.name] = exc
    for ex in hw.exercises:
        try:
            if isinstance(public[ex.name], Exception):
                raise public[ex.name]
            res.exercises.append(_grade_exercise(hw, ex, extracted, runner, expected, public[ex.name]))
        except Exception as exc:  # noqa: BLE001 - the trusted side failed: this exercise scores 0, grading goes on
            why = f"could not be graded ({type(exc).__name__}: {str(exc)[:120]}); tell the instructor"
            res.exercises.append(ExerciseResult(ex.name, 0.0, float(ex.points), status="error", note=why))
            res.grading_error = res.grading_error or f"{ex.name}: {why}"
    res.warnings.extend(sorted(define_errors))
    res.seconds = time.perf_counter() - t0
    return res


def _public_job(hw: Homework, ex: Exercise, extracted: Extracted, runner, expected: ExpectedCache,
                define_errors: set[str]):
    public, _hidden, _exp = expected.get(ex)
    out = runner.run(extracted.chunks, hw, ex, as_calls(public), ex.time_limit, ex.memory_mb)
    define_errors.update(out.define_errors)
    return out


def _grade_exercise(hw: Homework, ex: Exercise, extracted: Extracted, runner, expected: ExpectedCache,
                    out) -> ExerciseResult:
    """Public cases in one job (`out`, already run), hidden cases in another: the process that runs (and may show
    the student) public cases never holds a hidden input, and the hidden job sends back no student text."""
    public, hidden, exp = expected.get(ex)
    budgeted = ex.budget is not None and bool(hidden)  # then the last hidden case is the budget's larger case
    plain = hidden[:-1] if budgeted else hidden
    timed = TimedRun() if budgeted else None
    results, status, note, seconds = list(out.results), out.status, out.note, out.seconds
    if hidden:
        if status == "ok":
            left = max(0.5, ex.time_limit - seconds)
            job = None
            if budgeted:
                seeds = fresh_seeds(ex)
                timed.cases, timed.expected, timed.t_ref = time_reference(hw, ex, runner, seeds)
                job = Timed(seeds, [ex.budget.seconds(e["seconds"]) for e in timed.expected])  # per draw
            out = runner.run(extracted.chunks, hw, ex, as_calls(plain), left, ex.memory_mb, hidden=True, timed=job)
            results += out.results + ([None] if budgeted else [])
            status, note, seconds = out.status, out.note, seconds + out.seconds
            if budgeted:
                timed.got = out.timed
        else:
            results += [None] * len(hidden)
    return score(ex, public, hidden, exp, results, status, note, seconds, timed)


def time_reference(hw: Homework, ex: Exercise, runner, seeds: list[int]) -> tuple[list[Case], list[dict], float]:
    """The draws of the budget's larger case for `seeds`, and the reference's outputs and fastest time on them,
    measured by `runner` (the worker the student's code runs in next) in a job of its own that runs no student code."""
    draws = [ex.budget.case(np.random.default_rng(s)) for s in seeds]
    out = runner.run(reference_for(hw, ex), hw, ex, [], max(ex.time_limit, 30.0), ex.memory_mb, hidden=True,
                     timed=Timed(list(seeds)))
    if out.status != "ok" or len(out.timed) != len(draws) or any(r is None or "value" not in r for r in out.timed):
        raise RuntimeError(f"the reference could not be timed on the larger case ({out.status} {out.note})".strip())
    runs = [{"value": r["value"], "seconds": r["seconds"]} for r in out.timed]  # each draw's time: its budget
    return draws, runs, min(r["seconds"] for r in out.timed)
