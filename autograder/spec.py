"""Homework specs: exercises with points, public cases, hidden-case generators, tolerances and limits."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Case:
    """Positional and keyword arguments of one call (plain data only)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)


def case(*args, **kwargs) -> Case:
    """Build a Case from call arguments: case(X, y) or case(G, steps=5)."""
    return Case(tuple(args), dict(kwargs))


@dataclass
class Exercise:
    """One graded exercise. Points are split equally over its cases (public first, then hidden)."""

    name: str
    points: float
    public: list[Case]
    hidden: Callable[[np.random.Generator], list[Case]] | None = None
    driver: str | None = None  # "hwNN.func" in course_lib.harness; None = call the function itself
    check: str | None = None  # property check "hwNN.func" in course_lib.harness; None = compare values
    rtol: float = 1e-6
    atol: float = 1e-8
    time_limit: float = 10.0  # seconds of wall-clock for all the exercise's cases together
    memory_mb: int = 1024  # address space the student code may add
    uses_torch: bool = False

    def hidden_cases(self, homework: str, seed: str) -> list[Case]:
        if self.hidden is None:
            return []
        digest = hashlib.sha256(f"{seed}/{homework}/{self.name}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        return list(self.hidden(rng))


@dataclass
class Homework:
    """A homework: its full name (hw01_gradient_descent) and its exercises in order."""

    name: str
    exercises: list[Exercise]

    @property
    def short(self) -> str:
        return self.name.split("_")[0]

    @property
    def max_points(self) -> float:
        return float(sum(e.points for e in self.exercises))

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name:
                return e
        raise KeyError(name)


def all_homeworks() -> list[Homework]:
    """Every spec module in autograder/specs, in order of name."""
    import autograder.specs as pkg

    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("hw"):
            out.append(importlib.import_module(f"autograder.specs.{info.name}").HOMEWORK)
    return out


def load_homework(name: str) -> Homework:
    """Find a homework by short id (hw01) or full name (hw01_gradient_descent)."""
    for hw in all_homeworks():
        if name in (hw.name, hw.short):
            return hw
    known = ", ".join(h.short for h in all_homeworks()) or "none"
    raise KeyError(f"unknown assignment {name!r} (known: {known})")
