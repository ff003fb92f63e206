"""The reference side of grading, in the trusted process: the solution notebook's definitions, its outputs on an
exercise's public and hidden cases (computed once per run), and its time on a budget's larger case."""

from __future__ import annotations

import ast
import secrets
from functools import lru_cache

import numpy as np

from autograder.hidden import budget_case, hidden_cases
from autograder.paths import assignments_dir, solution_notebook
from autograder.runners import InProcessRunner, Timed
from course_lib.grading.model import Case, Exercise, Homework
from course_lib.grading.notebook import extract_file


def as_calls(cases: list[Case]) -> list[tuple[list, dict]]:
    return [(list(c.args), dict(c.kwargs)) for c in cases]


@lru_cache(maxsize=32)
def reference_chunks(homework_name: str) -> tuple:
    ex = extract_file(solution_notebook(homework_name))
    return tuple(ex.chunks)


@lru_cache(maxsize=32)
def released_statements(homework_name: str) -> frozenset[str]:
    """The kept statements of the student copy as released (assignments/): a submission's statement identical to
    one of them is the template's, not the student's code (none when the copy is not here, e.g. on Gradescope)."""
    path = assignments_dir() / f"{homework_name}.ipynb"
    return frozenset(src for _, src, _ in extract_file(path).chunks) if path.exists() else frozenset()


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
