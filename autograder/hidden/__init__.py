"""Hidden cases: the only secret part of a homework. `hwNN_<topic>.py` here maps each exercise name to a
generator `rng -> list[Case]`; the rest of the homework is public (course_lib/grading/homework/).
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Callable

import numpy as np

from course_lib.grading.model import Case, Exercise, Homework


def generators(hw: Homework) -> dict[str, Callable[[np.random.Generator], list[Case]]]:
    """Exercise name -> hidden-case generator for `hw` (every exercise must have one)."""
    return importlib.import_module(f"{__name__}.{hw.name}").HIDDEN


def hidden_cases(hw: Homework, ex: Exercise, seed: str) -> list[Case]:
    """The hidden cases of `ex`, drawn from a generator seeded by (course seed, homework, exercise)."""
    gen = generators(hw).get(ex.name)
    if gen is None:
        return []
    digest = hashlib.sha256(f"{seed}/{hw.name}/{ex.name}".encode()).digest()
    return list(gen(np.random.default_rng(int.from_bytes(digest[:8], "little"))))
