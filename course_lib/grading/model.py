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

# The most an exercise's public cases carry together (Exercise.case_points): their expected outputs ship with the
# student package, so a table of them earns at most this share; the hidden cases decide the grade.
PUBLIC_SHARE = 0.15


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
class StudentCall:
    """A case as the student's function sees it: the call as they write it ("leaky_relu_backward(dout, cache)"),
    its inputs by the names the student knows (what a cache holds included: {"x": …, "alpha": 0.1, "dout": …}),
    and a note on anything not passed as a value ("cache: what your leaky_relu_forward(x, alpha) returned").
    The self-check shows it; the hints name inputs from it (course_lib.grading.hints)."""

    text: str
    inputs: dict = field(default_factory=dict)
    note: str = ""


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
    share: float = 0.5  # of the exercise's points carried by the larger case (Exercise.case_points splits the rest)

    def seconds(self, t_ref: float) -> float:
        """The budget in seconds for a reference time t_ref: max(factor · t_ref, floor_s)."""
        return max(self.factor * t_ref, self.floor_s)


@dataclass
class Exercise:
    """One graded exercise. Points are split over its cases (public first, then hidden) by `case_points`: the
    public cases carry at most PUBLIC_SHARE of them, the hidden cases the rest.

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
    # the student's signature (e.g. "he_normal(200, 300, rng) with rng = np.random.default_rng(11)");
    # None: "<name>(<args>)". Values are best shown with show_value.
    shown_call: Callable[[tuple, dict], str] | None = None
    # The student's parameter names, in order (the assignment's signature): cases are shown and hints name inputs
    # with them. Exercises whose driver takes other arguments than the student's function give `student_call`.
    params: tuple[str, ...] = ()
    # The student's own call for a case's (args, kwargs), with its inputs by name (see StudentCall); None: the
    # exercise's function called with `params`.
    student_call: Callable[[tuple, dict], StudentCall] | None = None
    # What the hints may know about this exercise (course_lib.grading.hints.Hints: output names, factors to name
    # such as the batch size, gate names, advice per pattern); None: the generic diagnosis only.
    hints: Any = None
    # The prompt states the task, the contract and a hint, and the student derives the formula (True), or it
    # hands over the final expression to implement (False). docs/homework-design.md tabulates points by kind.
    derivation_first: bool = False
    # The edge cases the hidden cases cover, by name (e.g. "exact zeros at the ReLU kink", "batch of one"); every
    # name is the `covers` label of at least one hidden case (tests/test_homework_design.py checks it).
    edge_cases: tuple[str, ...] = ()
    # A time budget on a larger hidden case (vectorised or efficient implementations), or None; see Budget.
    budget: Budget | None = None
    # Several independent outputs (a tuple or dict of them, a dict of gradients one level down): a failing case
    # earns the share of its points of the outputs that are right, so one transposed gradient out of six does not
    # cost the whole case. docs/homework-design.md lists the exercises that use it.
    per_output: bool = False
    # For gradient exercises: gradient_check(ns, args, kwargs) -> [(label, analytic, numeric), ...], the student's
    # own gradient beside centred differences of the student's own forward pass on a public case's inputs
    # (course_lib.grading.gradcheck); the self-check prints the largest relative error. None: no such check.
    gradient_check: Callable[[dict, tuple, dict], list] | None = None


    def case_points(self, n_cases: int, budgeted: bool = False) -> list[float]:
        """Points of each of n_cases cases in grading order, the exercise's public cases first (len(self.public) of
        them), then its hidden cases. Hidden cases decide: when there are any, the public cases together carry
        min(PUBLIC_SHARE, n_public / n_cases) of the points (equal shares among them; they are for learning, and
        their expected outputs are shown), the budget's larger case (the last one, when `budgeted`) carries
        budget.share of the points, and the other hidden cases share the rest equally. Without hidden cases (a
        public-only run) every case gets an equal share."""
        n_public = min(len(self.public), n_cases)
        n_hidden = n_cases - n_public
        if n_hidden <= 0:
            return [self.points / max(n_cases, 1)] * n_cases
        public = [self.points * min(PUBLIC_SHARE, n_public / n_cases) / n_public] * n_public if n_public else []
        rest = self.points - sum(public)
        if budgeted and self.budget is not None and n_hidden >= 2:
            timed = self.points * self.budget.share
            return public + [(rest - timed) / (n_hidden - 1)] * (n_hidden - 1) + [timed]
        return public + [rest / n_hidden] * n_hidden


def student_call(ex: Exercise, args: tuple | list, kwargs: dict, params: tuple[str, ...] = ()) -> StudentCall:
    """The case as the student's function sees it: ex.student_call where the driver's arguments differ from the
    student's signature, else `name(p1, p2, …)` with the inputs named by ex.params (or `params`, e.g. the student's
    own signature in the self-check; "argument 1", … when neither is known). Never raises."""
    if ex.student_call is not None:
        try:
            call = ex.student_call(tuple(args), dict(kwargs))
            if isinstance(call, StudentCall):
                return call
        except Exception:  # noqa: BLE001 - feedback must never fail grading
            pass
    names = list(ex.params or params)
    inputs: dict = {}
    for i, a in enumerate(args):
        inputs[names[i] if i < len(names) else f"arg{i + 1}"] = a
    inputs.update(kwargs)
    return StudentCall(f"{ex.name}({', '.join(inputs)})", inputs)


def cache_call(name: str, params: tuple[str, ...], forward: str) -> Callable[[tuple, dict], StudentCall]:
    """Exercise.student_call for a backward pass graded on the cache of the student's own forward pass, whose
    driver takes the forward's inputs then dout: `name(dout, cache)` with the inputs and dout by name."""
    def call(args, kwargs):
        inputs = dict(zip(params, args[:len(params)]))
        return StudentCall(f"{name}(dout, cache)", {**inputs, "dout": args[len(params)]},
                           f"cache: what your {forward}({', '.join(params)}) returned")

    call.__name__ = f"{name}_call"
    return call


def describe_call(ex: Exercise, case: Case, limit: int = 240) -> str:
    """The call as the student wrote it, in one line for the grader's feedback: the exercise's `shown_call`, else
    its `student_call` with the inputs summarised ("gradient_descent(grad_fn, x0, lr, num_steps) with …"), else
    `name(inputs)`."""
    text = ""
    if ex.shown_call is not None:
        try:
            text = str(ex.shown_call(tuple(case.args), dict(case.kwargs)))
        except Exception:  # noqa: BLE001 - feedback text must never fail grading
            text = ""
    if not text and ex.student_call is not None:
        call = student_call(ex, case.args, case.kwargs)
        values = ", ".join(f"{k} = {show_value(v)}" for k, v in call.inputs.items())
        text = call.text + (f" with {values}" if values else "") + (f"; {call.note}" if call.note else "")
    if not text:
        parts = [show_value(a) for a in case.args] + [f"{k}={show_value(v)}" for k, v in case.kwargs.items()]
        inner = ", ".join(parts)
        text = f"{ex.name}({inner if len(inner) <= 200 else inner[:200] + '…'})"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


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
