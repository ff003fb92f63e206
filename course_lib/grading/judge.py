"""The one judge: decides a case (value comparison or property check; shape, NaN, exception, timeout rules) and
returns a Verdict whose `kind` says what went wrong. The grader, the self-check and the nbgrader/otter test cells
all call `judge`; hidden-case feedback is built from the kind alone (`hidden_message`), never from student text.
"""

from __future__ import annotations

import builtins
import copy
import re
from contextlib import contextmanager
from typing import Any

from course_lib.grading.compare import Verdict, compare
from course_lib.grading.model import Exercise
from course_lib.grading.run import Namespace, run_case
from course_lib.grading.wire import NotPlainData, to_plain


def judge(
    ex: Exercise, args: list | tuple, kwargs: dict, expected: dict, got: dict | None, status: str = "ok", note: str = ""
) -> Verdict:
    """One case. `expected` is the reference's {"value"} (value None for property-checked exercises) or
    {"error"}; `got` is the student's {"value"} or {"error", "etype"}, or None when the run stopped first
    (`status` timeout | crashed | memory, with its `note`)."""
    if got is None and status == "timeout":
        return Verdict(False, "time limit reached before this case finished", kind="timeout")
    if got is None and status == "memory":
        return Verdict(False, f"memory limit reached before this case finished ({note})", kind="memory")
    if got is None and status == "crashed":
        return Verdict(False, f"the process stopped before this case finished ({note})", kind="crash")
    if "error" in expected:
        return Verdict(
            False, f"the reference failed on this case ({expected['error']}); tell the instructor", kind="exception"
        )
    if got is None:
        return Verdict(False, "no result (the exercise stopped before this case)", kind="crash")
    if "error" in got:
        kind = "missing" if got.get("etype") == "MissingDefinition" else "exception"
        return Verdict(False, str(got["error"])[:500], kind=kind)
    if "value" not in got:
        return Verdict(False, "malformed result", kind="crash")
    if ex.check is None:
        try:
            v = compare(expected.get("value"), got["value"], ex.rtol, ex.atol)
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
            return Verdict(False, f"the result could not be compared ({type(exc).__name__})", kind="shape")
        if ex.per_output and not v.ok:
            v.credit = output_credit(expected.get("value"), got["value"], ex.rtol, ex.atol)
        return with_hint(v, ex, args, kwargs, expected.get("value"), got["value"])
    try:
        v = ex.check(list(args), dict(kwargs), expected.get("value"), got["value"], ex.rtol, ex.atol)
    except Exception as exc:  # noqa: BLE001 - a forged result must not take the grader down
        return Verdict(False, f"the result could not be checked ({type(exc).__name__})", kind="property")
    if not v.ok and not v.kind:
        v.kind = "property"
    return v


def outputs(value) -> list | None:
    """The independent outputs of a result: a tuple's elements or a dict's values, a dict inside a tuple opened
    one level (a loss and its gradients: loss, dW1, db1, …); None when the value is not several outputs."""
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, (tuple, list)):
        return None
    out = []
    for i, v in enumerate(value):
        out += [((i, k), x) for k, x in v.items()] if isinstance(v, dict) else [(i, v)]
    return out


def output_credit(expected, got, rtol: float, atol: float) -> float:
    """The share of `expected`'s outputs that `got` has right (0 unless both are several outputs alike)."""
    want, have = outputs(expected), outputs(got)
    if not want or have is None:
        return 0.0
    have_by_key = dict(have)
    right = 0
    for key, e in want:
        try:
            right += key in have_by_key and compare(e, have_by_key[key], rtol, atol).ok
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
            continue
    return right / len(want)


def with_hint(v: Verdict, ex: Exercise, args, kwargs: dict, expected: Any, got: Any) -> Verdict:
    """A failed value comparison with the pattern of its difference, when one explains all of it
    (course_lib.grading.hints): `v.pattern` and `v.hint` set, the hint's line appended to the message."""
    if v.ok or v.kind not in ("values", "nan", "shape"):
        return v
    from course_lib.grading.hints import Context, diagnose
    from course_lib.grading.model import student_call

    try:
        call = student_call(ex, tuple(args), dict(kwargs))
        h = diagnose(expected, got, Context.of(call.inputs, ex.hints), ex.rtol, ex.atol)
    except Exception:  # noqa: BLE001 - a hint must never stop grading
        h = None
    if h is not None:
        v.pattern, v.hint = h.pattern, h.text
        v.message = f"{v.message}\n{h.text}"
    return v


def hidden_hint(v: Verdict) -> str:
    """A hidden case's pattern from a fixed vocabulary (course_lib.grading.hints.HIDDEN_PHRASES), never a value:
    "hint: the difference is a constant factor"; "" when no pattern explains the difference."""
    from course_lib.grading.hints import HIDDEN_PHRASES

    phrase = HIDDEN_PHRASES.get(v.pattern, "") if isinstance(v.pattern, str) else ""
    return f"hint: {phrase}" if phrase else ""


def judge_budget(ex: Exercise, cases: list, expected: list[dict], got: list[dict | None], t_ref: float | None,
                 status: str = "ok", note: str = "") -> Verdict:
    """The larger timed case of `ex.budget`: every run the student's code made (one per draw in `cases`, `got[j]`
    holding its {"value"} or {"error"} and its "seconds") is judged like any case against `expected[j]`, and the
    first failure decides; all correct, one run must be within its draw's budget, ex.budget.seconds(reference's
    time on that draw, `expected[j]["seconds"]`, in the same worker; t_ref, the reference's fastest time, where that
    is not recorded). None is: kind "slow" (half the case's points), with a message from trusted facts only."""
    ran = [j for j, g in enumerate(got) if g is not None]
    if not ran:
        return judge(ex, [], {}, {"value": None}, None, status if status != "ok" else "crashed",
                     note or "the larger case was not run")
    worst = 0.0
    for j in ran:
        c = cases[j]
        v = judge(ex, list(c.args), dict(c.kwargs), expected[j], got[j], status, note)
        if not v.ok:
            return v
        worst = max(worst, v.max_error or 0.0)
    if ex.budget is None:
        return Verdict(True, "", worst)
    allowed = [_draw_budget(ex, expected[j], t_ref) for j in ran]
    if any(a is None or float(got[j]["seconds"]) <= a for j, a in zip(ran, allowed)):
        return Verdict(True, "", worst)
    return Verdict(False, slow_message(ex.budget.factor), worst, kind="slow")


def _draw_budget(ex: Exercise, expected: dict, t_ref: float | None) -> float | None:
    ref = expected.get("seconds") if isinstance(expected, dict) else None
    ref = ref if isinstance(ref, (int, float)) and not isinstance(ref, bool) and ref >= 0 else t_ref
    return None if ref is None else ex.budget.seconds(float(ref))


def slow_message(factor: float) -> str:
    """The feedback of a correct but slow budget case: the exercise's stated factor, never a measured time (a
    submission could choose how slow it is on a hidden input)."""
    return f"correct, but slower than the reference on a larger case (budget {factor:g}×)"


_SLOW = re.compile(r"correct, but slower than the reference on a larger case \(budget [0-9]+(\.[0-9]+)?×\)")


_BUILTIN_EXCEPTIONS = {
    n
    for n in dir(builtins)
    if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException)
}


# Every hidden case's feedback is one of these (or "your code raised <builtin exception name>"): nothing a
# submission computes (an error's size, an exit status, a signal, a time, its text) can reach the student.
HIDDEN_MESSAGES = {
    "missing": "a function or class it needs is not defined in your notebook",
    "exception": "your code raised an exception",
    "nan": "got NaN or infinity where a finite number was expected",
    "shape": "the returned value has the wrong shape, length or type",
    "values": "values differ",
    "property": "wrong result",
    "timeout": "time limit reached before this case finished",
    "crash": "the process stopped before this case finished",
    "memory": "memory limit reached before this case finished",
    "slow": "correct, but slower than the reference on a larger case",
}


def hidden_message(v: Verdict, got: dict | None) -> str:
    """Feedback for a hidden case from its kind alone (HIDDEN_MESSAGES), a builtin exception's name, or the budget
    factor the exercise states."""
    if v.kind == "exception":
        etype = got.get("etype") if isinstance(got, dict) and isinstance(got.get("etype"), str) else None
        return f"your code raised {etype}" if etype in _BUILTIN_EXCEPTIONS else HIDDEN_MESSAGES["exception"]
    if v.kind == "slow" and _SLOW.fullmatch(v.message):  # built by judge_budget from the stated factor only
        return v.message
    return HIDDEN_MESSAGES.get(v.kind, "wrong result")


def run_one(ns: dict, ex: Exercise, args: list, kwargs: dict) -> dict:
    """Run one case in this process (self-check, notebook test cells): {"value"} or {"error", "etype"}."""
    try:
        return {"value": to_plain(run_case(Namespace(ns), ex, copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs))))}
    except NotPlainData as exc:
        return {"error": f"returned something that is not numbers/arrays ({exc})", "etype": "TypeError"}
    except Exception as exc:  # noqa: BLE001 - the student's error, reported kindly
        return {"error": f"raised {type(exc).__name__}: {exc}", "etype": type(exc).__name__}


def run_and_judge(ns: dict, ex: Exercise, args: list, kwargs: dict, expected: Any) -> Verdict:
    """Run one case on the definitions in `ns` and judge it against `expected` ({"value"} or {"error"})."""
    return judge(ex, args, kwargs, expected, run_one(ns, ex, args, kwargs))


class OutOfTime(BaseException):
    """Raised into the student's code when its exercise's time is spent (a BaseException: `except Exception`
    in the student's code does not swallow it)."""


@contextmanager
def time_limit(seconds: float):
    """Raise OutOfTime in this thread once `seconds` have passed (and every 0.2 s after, so a bare `except:` in
    an endless loop does not keep it running). Off the main thread, or without setitimer, there is no limit."""
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = [True]

    def _alarm(signum, frame):
        if armed[0]:
            raise OutOfTime()

    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), 0.2)
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_SPENT: dict[tuple[str, str], float] = {}  # in-kernel test cells: seconds each exercise has used in this process


def run_and_judge_limited(ns: dict, ex: Exercise, homework: str, args: list, kwargs: dict, expected: Any) -> Verdict:
    """run_and_judge within what is left of ex.time_limit in this process: as in `course grade`, all of an
    exercise's cases share its limit and once it is spent the remaining cases fail (kind "timeout"), so an
    endless loop in one graded function costs that exercise only. nbgrader and Otter test cells call this
    (one kernel per submission); off the main thread (no SIGALRM) it runs without a limit."""
    import time

    key = (homework, ex.name)
    left = ex.time_limit - _SPENT.get(key, 0.0)
    if left <= 0:
        return judge(ex, args, kwargs, expected, None, status="timeout")
    t0 = time.perf_counter()
    got = None
    try:
        with time_limit(left):
            got = run_one(ns, ex, args, kwargs)
    except OutOfTime:
        got = None
    finally:
        _SPENT[key] = _SPENT.get(key, 0.0) + (time.perf_counter() - t0)
    if got is None:
        _SPENT[key] = float("inf")
        return judge(ex, args, kwargs, expected, None, status="timeout")
    return judge(ex, args, kwargs, expected, got)
