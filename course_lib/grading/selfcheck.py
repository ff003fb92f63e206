"""Student self-check: run a homework's public cases against your function, in your notebook.

    check("ols_closed_form")        # looks the function up in your notebook
    check("ols_closed_form", fn)    # or pass it
    check_all("hw01")               # every exercise of a homework

The cases are built by the homework's public module (course_lib/grading/homework/) and judged by the same
judge as the grader; nothing here needs the autograder or the solutions. The grade also uses hidden cases.
"""

from __future__ import annotations

import sys
import time
from functools import lru_cache
from typing import Callable

from course_lib.grading.compare import Verdict
from course_lib.grading.homework import all_homeworks, load_homework
from course_lib.grading.model import Exercise, Homework


@lru_cache(maxsize=None)
def exercise_index() -> dict[str, str]:
    """Exercise name -> the full name of its homework."""
    return {ex.name: hw.name for hw in all_homeworks() for ex in hw.exercises}


def find_exercise(name: str) -> tuple[Homework, Exercise]:
    hw_name = exercise_index().get(name)
    if hw_name is None:
        raise KeyError(f"no public cases for {name!r}; is the name spelled as in the homework?")
    hw = load_homework(hw_name)
    return hw, hw.exercise(name)


def _caller_namespace(depth: int = 2) -> dict:
    return sys._getframe(depth).f_globals


def show_args(args, kwargs, limit: int = 160) -> str:
    """The call's arguments, short: small arrays in full, large ones summarised by NumPy."""
    import numpy as np

    def one(v):
        if isinstance(v, np.ndarray):
            return np.array2string(v, precision=4, separator=", ", threshold=8).replace("\n", "")
        return repr(v)

    text = ", ".join([one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])
    return text if len(text) <= limit else text[:limit] + "…"


def run_public_cases(name: str, namespace: dict) -> list[tuple[int, Verdict, str]]:
    """Run the public cases of exercise `name` with the definitions in `namespace`."""
    from course_lib.grading.judge import run_and_judge
    from course_lib.grading.public import expected_outputs

    hw, ex = find_exercise(name)
    expected = expected_outputs(hw, ex)
    return [
        (i, run_and_judge(namespace, ex, list(c.args), dict(c.kwargs), e), show_args(c.args, c.kwargs))
        for i, (c, e) in enumerate(zip(ex.public, expected))
    ]


def check(name: str, fn: Callable | None = None, namespace: dict | None = None, quiet: bool = False) -> bool:
    """Run the public cases of one exercise and print a short verdict; returns True when all pass."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if fn is not None:
        ns[name] = fn
    t0 = time.perf_counter()
    try:
        results = run_public_cases(name, ns)
    except Exception as exc:  # noqa: BLE001
        print(f"✗ {name}: {exc}")
        return False
    failed = [(i, v, shown) for i, v, shown in results if not v.ok]
    dt = time.perf_counter() - t0
    if not failed:
        if not quiet:
            print(
                f"✓ {name}: all {len(results)} public cases pass ({dt * 1000:.0f} ms). "
                f"The grader also runs hidden cases."
            )
            gradient_line(name, ns)
        return True
    print(f"✗ {name}: {len(results) - len(failed)}/{len(results)} public cases pass.")
    for i, v, shown in failed[:3]:
        print(f"  case {i + 1}: {name}({shown})\n    {v.message}")
    if len(failed) > 3:
        print(f"  … and {len(failed) - 3} more.")
    gradient_line(name, ns)
    return False


def gradient_line(name: str, namespace: dict) -> str | None:
    """For a gradient exercise: compare the student's gradient with centred differences of the student's own
    forward pass on the first public case, and print one line. Never raises; returns the line (None: no check)."""
    from course_lib.grading.gradcheck import AGREE, check_pairs

    try:
        _hw, ex = find_exercise(name)
        if ex.gradient_check is None or not ex.public:
            return None
        c = ex.public[0]
        pairs = list(ex.gradient_check(dict(namespace), tuple(c.args), dict(c.kwargs)))
        if not pairs:
            return None
        worst, label = check_pairs(pairs)
    except NotImplementedError:
        return None  # not written yet: the public-case verdict above already says so
    except Exception as exc:  # noqa: BLE001 - the self-check must never crash
        line = f"  centred-difference check: could not run ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
        print(line)
        return line
    if label is None:
        line = f"  centred-difference check: largest relative error {worst:.0e} ✓ (your gradient matches your function)"
    elif worst == float("inf"):
        line = f"  centred-difference check: {label} contains NaN or infinity ✗"
    else:
        line = (f"  centred-difference check: {label} disagrees with centred differences of your own forward pass "
                f"(largest relative error {worst:.1g}, agreement is below {AGREE:.0e}) ✗")
    print(line)
    return line


def check_all(hw: str | None = None, namespace: dict | None = None) -> dict[str, bool]:
    """Self-check every exercise of a homework (default: the one whose exercises this notebook defines)."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if hw is None:
        counts: dict[str, int] = {}
        for name, hw_name in exercise_index().items():
            if callable(ns.get(name)):
                counts[hw_name] = counts.get(hw_name, 0) + 1
        if not counts:
            print("No homework exercise is defined in this notebook yet.")
            return {}
        hw = max(counts, key=counts.get)
    try:
        homework = load_homework(hw)
    except KeyError as exc:
        raise KeyError(f"unknown homework {hw!r}; known: {', '.join(sorted(set(exercise_index().values())))}") from exc
    return {ex.name: check(ex.name, namespace=ns) for ex in homework.exercises}
