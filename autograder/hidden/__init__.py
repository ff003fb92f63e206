"""Hidden cases: the only secret part of a homework. `hwNN_<topic>.py` here maps each exercise name to a
generator `rng -> list[Case]`; the rest of the homework is public (course_lib/grading/homework/). The course seed
that draws them is resolved in seed.py (one rule for every command).
"""

from __future__ import annotations

import importlib
from typing import Callable

import numpy as np

from autograder.hidden.seed import case_rng
from course_lib.grading.model import Case, Exercise, Homework


def generators(hw: Homework) -> dict[str, Callable[[np.random.Generator], list[Case]]]:
    """Exercise name -> hidden-case generator for `hw` (every exercise must have one)."""
    return importlib.import_module(f"{__name__}.{hw.name}").HIDDEN


def hidden_cases(hw: Homework, ex: Exercise, seed: str) -> list[Case]:
    """The hidden cases of `ex`, drawn from a generator seeded by (course seed, homework, exercise)."""
    gen = generators(hw).get(ex.name)
    if gen is None:
        return []
    return list(gen(case_rng(seed, hw.name, ex.name)))


def budget_case(hw: Homework, ex: Exercise, seed: str) -> list[Case]:
    """The budget's larger case as it is listed among the hidden cases (and embedded by the nbgrader/otter
    exports, which check it for correctness only): one draw seeded by (course seed, homework, exercise)."""
    if ex.budget is None:
        return []
    return [ex.budget.case(case_rng(seed, hw.name, ex.name, "budget"))]
