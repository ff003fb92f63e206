"""The one judge: decides a case (value comparison or property check; shape, NaN, exception, timeout rules) and
returns a Verdict whose `kind` says what went wrong. The grader, the self-check and the nbgrader/otter test cells
all call `judge`; hidden-case feedback is built from the kind alone (`hidden_message`), never from student text.
"""

from __future__ import annotations

import builtins
import copy
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
    (`status` timeout | crashed, with its `note`)."""
    if got is None and status == "timeout":
        return Verdict(False, "time limit reached before this case finished", kind="timeout")
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
            return compare(expected.get("value"), got["value"], ex.rtol, ex.atol)
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
            return Verdict(False, f"the result could not be compared ({type(exc).__name__})", kind="shape")
    try:
        v = ex.check(list(args), dict(kwargs), expected.get("value"), got["value"], ex.rtol, ex.atol)
    except Exception as exc:  # noqa: BLE001 - a forged result must not take the grader down
        return Verdict(False, f"the result could not be checked ({type(exc).__name__})", kind="property")
    if not v.ok and not v.kind:
        v.kind = "property"
    return v


_BUILTIN_EXCEPTIONS = {
    n
    for n in dir(builtins)
    if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException)
}


def hidden_message(v: Verdict, got: dict | None) -> str:
    """Feedback for a hidden case from trusted facts only: the kind, a builtin exception name, a rounded error."""
    if v.kind == "missing":
        return "a function or class it needs is not defined in your notebook"
    if v.kind == "exception":
        etype = got.get("etype") if isinstance(got, dict) and isinstance(got.get("etype"), str) else None
        return f"your code raised {etype}" if etype in _BUILTIN_EXCEPTIONS else "your code raised an exception"
    if v.kind == "nan":
        return "got NaN or infinity where a finite number was expected"
    if v.kind == "shape":
        return "the returned value has the wrong shape, length or type"
    if v.kind in ("timeout", "crash"):
        return v.message.split(" (")[0]
    if v.kind == "values" and v.max_error is not None and v.max_error == v.max_error:
        return f"values differ (largest error about {float(f'{v.max_error:.0e}'):.0e})"
    return "wrong result"


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
