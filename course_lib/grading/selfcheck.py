"""Student self-check: run a homework's public cases against your function, in your notebook.

    check("ols_closed_form")        # looks the function up in your notebook
    check("ols_closed_form", fn)    # or pass it
    check_all()                     # every graded exercise of this notebook's homework, then "k/n exercises pass"

The cases are built by the homework's public module (course_lib/grading/homework/) and judged by the same
judge as the grader; nothing here needs the autograder or the solutions. Each exercise's cases share its time
limit, as when grading, so an endless loop stops with a message instead of hanging the cell. An exercise that is
not defined is a ✗ with the reason (a cell with a syntax error, a near-miss name). The grade also uses hidden cases.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable

from course_lib.grading.compare import Verdict
from course_lib.grading.homework import exercise_index, load_homework
from course_lib.grading.model import Exercise, Homework


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
    text = ", ".join([one_line(a, limit) for a in args] + [f"{k}={one_line(v, limit)}" for k, v in kwargs.items()])
    return text if len(text) <= limit else text[:limit] + "…"


def one_line(v, limit: int = 160) -> str:
    """A value on one line: an array in full up to 40 entries (else its shape and its corners), containers
    element by element, never a multi-line repr."""
    import numpy as np

    from course_lib.grading.model import show_value

    if isinstance(v, np.ndarray):
        if v.size <= 40:
            text = np.array2string(v, precision=4, separator=", ", max_line_width=10**6)
        else:
            corners = np.array2string(v, precision=4, separator=", ", max_line_width=10**6, threshold=0, edgeitems=2)
            text = f"array of shape {tuple(v.shape)}: {corners}"
        text = " ".join(text.split())
    else:
        text = show_value(v, limit)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_lines(ex: Exercise, case, params: tuple[str, ...] = ()) -> list[str]:
    """A public case as the student's call (not the grader's driver call) and its inputs, one line each:
    ["leaky_relu_backward(dout, cache); cache: what your leaky_relu_forward(x, alpha) returned",
     "x = [[-2. , -0.5, 0. , 0.5, 2. ], [ 3. , -3. , 1. , -1. , 0. ]]", "alpha = 0.1", "dout = …"]."""
    from course_lib.grading.model import student_call

    call = student_call(ex, tuple(case.args), dict(case.kwargs), params)
    return [call.text + (f"; {call.note}" if call.note else "")] + \
        [f"{k} = {one_line(v)}" for k, v in call.inputs.items()]


def _params_of(fn) -> tuple[str, ...]:
    """The parameter names of the student's function (for exercises that do not declare them)."""
    import inspect

    try:
        return tuple(p.name for p in inspect.signature(fn).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    except (TypeError, ValueError):
        return ()


def run_public_cases(name: str, namespace: dict) -> list[tuple[int, Verdict, list[str]]]:
    """Run the public cases of exercise `name` with the definitions in `namespace`, all within the exercise's
    time limit: once it is spent, this and the remaining cases fail with kind "timeout". Each result holds the
    case's lines (case_lines)."""
    from course_lib.grading.judge import OutOfTime, judge, run_and_judge, time_limit
    from course_lib.grading.public import expected_outputs

    hw, ex = find_exercise(name)
    expected = expected_outputs(hw, ex)
    params = () if ex.params else _params_of(namespace.get(name))
    out: list[tuple[int, Verdict, list[str]]] = []
    try:
        with time_limit(ex.time_limit):
            for i, (c, e) in enumerate(zip(ex.public, expected)):
                out.append((i, run_and_judge(namespace, ex, list(c.args), dict(c.kwargs), e),
                            case_lines(ex, c, params)))
    except OutOfTime:
        stopped = Verdict(False, f"stopped after {ex.time_limit:g} s, this exercise's time limit: is there an "
                                 "endless loop?", kind="timeout")
        first = len(out)
        for i, c in list(enumerate(ex.public))[first:]:
            out.append((i, stopped if i == first else judge(ex, [], {}, {}, None, "timeout"),
                        case_lines(ex, c, params)))
    return out


def _syntax_error_in_history(name: str, namespace: dict) -> str | None:
    """In a notebook: the last cell run (IPython's `In`) that defines `name` and does not compile, described."""
    from course_lib.grading.notebook import strip_magics

    history = namespace.get("In")
    if not isinstance(history, list):
        return None
    pattern = re.compile(rf"^(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b", re.MULTILINE)
    for k in range(len(history) - 1, 0, -1):
        src = history[k]
        if not isinstance(src, str) or not pattern.search(src):
            continue
        try:
            compile(strip_magics(src), f"In [{k}]", "exec")
        except SyntaxError as exc:
            return f"the cell run as In [{k}] has a syntax error on line {exc.lineno}: {exc.msg}"
        return None
    return None


def missing_reason(name: str, namespace: dict, broken: dict[str, str] | None = None) -> str:
    """Why `name` is not defined, in one line: a cell with a syntax error, a near-miss name, or neither."""
    from course_lib.grading.run import did_you_mean

    where = (broken or {}).get(name) or _syntax_error_in_history(name, namespace)
    if where:
        return f"not defined: {where}"
    near = did_you_mean(name, namespace)
    if near:
        return f"not defined; did you mean `{near}`? (the grader finds functions by the assignment's names)"
    return "not defined in this notebook (is its cell run, and the name spelled as in the assignment?)"


def check(name: str, fn: Callable | None = None, namespace: dict | None = None, quiet: bool = False,
          broken: dict[str, str] | None = None) -> bool:
    """Run the public cases of one exercise and print a short verdict; returns True when all pass.
    `broken` (from `course check`'s extraction) maps names to the cell that failed to define them."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if fn is not None:
        ns[name] = fn
    if not callable(ns.get(name)):
        print(f"✗ {name}: {missing_reason(name, ns, broken)}")
        return False
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
        print(f"  case {i + 1}: {shown[0]}")
        for line in shown[1:] + v.message.split("\n"):
            print(f"    {line}")
    if len(failed) > 3:
        print(f"  … and {len(failed) - 3} more.")
    if not any(v.kind == "timeout" for _, v, _ in failed):
        gradient_line(name, ns)
    return False


def gradient_line(name: str, namespace: dict) -> str | None:
    """For a gradient exercise: compare the student's gradient with centred differences of the student's own
    forward pass on the first public case, and print one line. Never raises; returns the line (None: no check)."""
    from course_lib.grading.gradcheck import AGREE, check_pairs
    from course_lib.grading.judge import OutOfTime, time_limit

    try:
        _hw, ex = find_exercise(name)
        if ex.gradient_check is None or not ex.public:
            return None
        c = ex.public[0]
        with time_limit(ex.time_limit):
            pairs = list(ex.gradient_check(dict(namespace), tuple(c.args), dict(c.kwargs)))
        if not pairs:
            return None
        worst, label = check_pairs(pairs)
    except NotImplementedError:
        return None  # not written yet: the public-case verdict above already says so
    except (Exception, OutOfTime) as exc:  # noqa: BLE001 - the self-check must never crash
        why = "out of time" if isinstance(exc, OutOfTime) else \
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
        line = f"  centred-difference check: could not run ({why})"
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


def homework_of(names, hint: str = "") -> str | None:
    """The homework a notebook belongs to: the one named in `hint` (a file name such as hw04_backprop.ipynb),
    else the one most of `names` (defined names) belong to; None when neither says."""
    m = re.match(r"(hw\d\d)", hint.rsplit("/", 1)[-1])
    if m:
        try:
            return load_homework(m.group(1)).name
        except KeyError:
            pass
    counts: dict[str, int] = {}
    for name in names:
        hw_name = exercise_index().get(name)
        if hw_name:
            counts[hw_name] = counts.get(hw_name, 0) + 1
    return max(counts, key=counts.get) if counts else None


def check_all(hw: str | None = None, namespace: dict | None = None, broken: dict[str, str] | None = None,
              notebook: str = "") -> dict[str, bool]:
    """Self-check every graded exercise of a homework (default: this notebook's), a missing one as ✗ with the
    reason, then one line "k/n exercises pass"; returns {exercise: passed}."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if hw is None:
        hw = homework_of([k for k, v in ns.items() if callable(v)] + list(broken or {}), notebook)
        if hw is None:
            print("No homework exercise is defined in this notebook yet.")
            return {}
    try:
        homework = load_homework(hw)
    except KeyError as exc:
        raise KeyError(f"unknown homework {hw!r}; known: {', '.join(sorted(set(exercise_index().values())))}") from exc
    results = {ex.name: check(ex.name, namespace=ns, broken=broken) for ex in homework.exercises}
    print(summary_line(results, homework))
    return results


def summary_line(results: dict[str, bool], homework: Homework) -> str:
    """"k/n exercises pass", the last line of check_all and `course check`."""
    passed = sum(bool(ok) for ok in results.values())
    mark = "✓" if passed == len(results) else "✗"
    return f"{mark} {passed}/{len(results)} exercises of {homework.short} pass their public cases " \
           "(the grade also uses hidden cases)"
