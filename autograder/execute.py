"""Run extracted definitions and exercise cases; the same code runs in the sandbox and for the reference."""

from __future__ import annotations

import time
from typing import Callable, Iterable

from course_lib.harness import MissingDefinition, Namespace, run_case
from course_lib.wire import NotPlainData, to_plain


def define(chunks: Iterable[tuple[str, str]]) -> tuple[Namespace, list[str]]:
    """Exec each kept statement in one namespace; a failing statement is reported and skipped."""
    ns: dict = {"__name__": "__student__", "__builtins__": __builtins__}  # a plain dict: globals must be one
    errors = []
    for label, src in chunks:
        try:
            exec(compile(src, f"<{label}>", "exec"), ns)  # noqa: S102 - student code, sandboxed
        except BaseException as exc:  # SystemExit/KeyboardInterrupt in a class body too
            errors.append(f"{label}: {type(exc).__name__}: {_short(exc)}")
    return Namespace(ns), errors


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:limit]


def describe_error(exc: BaseException) -> str:
    """One line: the exception type, message and the student's line where it happened."""
    if isinstance(exc, MissingDefinition):
        return str(exc)
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if fname.startswith("<cell"):
            where = f" (in {fname.strip('<>')}, line {tb.tb_lineno}, in {tb.tb_frame.f_code.co_name})"
        tb = tb.tb_next
    return f"{type(exc).__name__}: {_short(exc)}{where}"


def run_cases(ns: Namespace, exercise: str, driver: str | None, cases: list[tuple[list, dict]],
              emit: Callable[[int, dict], None]) -> None:
    """Run each case and emit (index, {"value": plain} | {"error": one line}) as soon as it is known."""
    for i, (args, kwargs) in enumerate(cases):
        t0 = time.perf_counter()
        try:
            value = to_plain(run_case(ns, exercise, driver, list(args), dict(kwargs)))
            emit(i, {"value": value, "seconds": time.perf_counter() - t0})
        except NotPlainData as exc:
            emit(i, {"error": f"returned a value that is not numbers/arrays: {exc}", "etype": "TypeError"})
        except BaseException as exc:  # the student's SystemExit/KeyboardInterrupt costs this case only
            emit(i, {"error": describe_error(exc), "etype": type(exc).__name__})
