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
    covers: tuple[str, ...] = ()  # the exercise's edge cases (Exercise.edge_cases keys) this case exercises

    def edge(self, *names: str) -> "Case":
        """The same case, labelled with the edge cases it covers: case(x).edge("zeros at the kink")."""
        return Case(self.args, self.kwargs, tuple(self.covers) + tuple(names))


def case(*args, **kwargs) -> Case:
    """Build a Case from call arguments: case(X, y) or case(G, steps=5)."""
    return Case(tuple(args), dict(kwargs))


@dataclass
class Budget:
    """A time budget on a larger hidden case: the student's call may take at most max(factor × t_ref, floor_s),
    t_ref being the reference's time on the same inputs in the same grading worker (each the fastest of up to
    `repeats` runs, every run on a fresh draw of `case`). The larger case carries `share` of the exercise's points.
    Correct within budget: all of it; correct but over it: half (verdict kind "slow"); wrong: nothing."""

    case: Callable[[Any], Case]  # rng -> one larger case (plain data, like any case); drawn afresh for each run
    factor: float = 10.0
    floor_s: float = 0.05  # the budget is never below this, so timer noise on a tiny t_ref cannot fail anyone
    repeats: int = 3
    share: float = 0.5  # of the exercise's points carried by the larger case (the other cases split the rest)

    def seconds(self, t_ref: float) -> float:
        """The budget in seconds for a reference time t_ref: max(factor · t_ref, floor_s)."""
        return max(self.factor * t_ref, self.floor_s)


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
    # The prompt states the task, the contract and a hint, and the student derives the formula (True), or it
    # hands over the final expression to implement (False). docs/homework-design.md tabulates points by kind.
    derivation_first: bool = False
    # The edge cases the hidden cases cover, by name (e.g. "exact zeros at the ReLU kink", "batch of one"); every
    # name is the `covers` label of at least one hidden case (tests/test_homework_design.py checks it).
    edge_cases: tuple[str, ...] = ()
    # A time budget on a larger hidden case (vectorised or efficient implementations), or None; see Budget.
    budget: Budget | None = None
    # For gradient exercises: gradient_check(ns, args, kwargs) -> [(label, analytic, numeric), ...], the student's
    # own gradient beside centred differences of the student's own forward pass on a public case's inputs
    # (course_lib.grading.gradcheck); the self-check prints the largest relative error. None: no such check.
    gradient_check: Callable[[dict, tuple, dict], list] | None = None


    def case_points(self, n_cases: int, budgeted: bool = False) -> list[float]:
        """Points of each of n_cases cases in grading order: equal shares, except that the last case, when it is
        the budget's larger case (`budgeted`), carries budget.share of the points."""
        if not budgeted or self.budget is None or n_cases < 2:
            return [self.points / max(n_cases, 1)] * n_cases
        rest = self.points * (1.0 - self.budget.share) / (n_cases - 1)
        return [rest] * (n_cases - 1) + [self.points * self.budget.share]

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
