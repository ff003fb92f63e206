"""The homework model: an exercise is one object (name, points, public cases, driver, check, tolerances, limits).

Public and shipped with the student package: `course_lib/grading/homework/hwNN_<topic>.py` defines HOMEWORK.
Secret and kept by the autograder: `autograder/hidden/hwNN_<topic>.py` maps exercise names to hidden-case
generators. Nothing here refers to anything by a string that is resolved at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Driver = Callable[..., Any]  # driver(ns, *args, **kwargs) -> plain data; runs where the student code runs
Check = Callable[..., Any]  # check(args, kwargs, expected, got, rtol, atol) -> Verdict; runs on the trusted side


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
    """One graded exercise. Points are split equally over its cases (public first, then hidden).

    `driver` (None: call the student's function named like the exercise) runs beside the student's code and
    returns plain data; `check` (None: compare values with rtol/atol) judges a property on the trusted side.
    """

    name: str
    points: float
    public: list[Case]
    driver: Driver | None = None
    check: Check | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    time_limit: float = 10.0  # seconds of wall-clock for all the exercise's cases together
    memory_mb: int = 1024  # address space the student code may add
    uses_torch: bool = False
    # For feedback: the student's own call for a case's (args, kwargs), when the driver's arguments differ from
    # the student's signature (e.g. "xavier_uniform(200, 300, rng) with rng = np.random.default_rng(11)");
    # None: "<name>(<args>)". Values are best shown with show_value.
    shown_call: Callable[[tuple, dict], str] | None = None


def show_value(v: Any, limit: int = 120) -> str:
    """One line for a value in feedback: small arrays in full, larger ones as `array of shape (2, 5)`,
    long lists as `list of 12`, containers element by element; never a multi-line repr."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a course dependency
        np = None
    if np is not None and isinstance(v, np.ndarray):
        if v.size <= 6 and v.ndim <= 2:
            text = np.array2string(v, precision=4, separator=", ")
        else:
            text = f"array of shape {tuple(v.shape)}"
    elif isinstance(v, (list, tuple)):
        if len(v) > 6:
            text = f"{type(v).__name__} of {len(v)}"
        else:
            inner = ", ".join(show_value(x, limit) for x in v)
            text = f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    elif isinstance(v, dict):
        text = ("{" + ", ".join(f"{k!r}: {show_value(x, limit)}" for k, x in v.items()) + "}") if len(v) <= 6 \
            else f"dict of {len(v)}"
    else:
        text = repr(v)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
