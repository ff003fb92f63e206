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
    _forbid_course_answers(ns)
    return Namespace(ns), errors


class ImportedAnswer:
    """Stands in for a graded name imported from a course_lib module that implements homework answers."""

    def __init__(self, name: str, module: str):
        self.name, self.module = name, module

    def __call__(self, *args, **kwargs):
        raise ImportedAnswerError(f"`{self.name}` comes from {self.module}; graded code must be written in your "
                                  "notebook, not imported from the course library")

    def __getattr__(self, attr):
        self(attr)


class ImportedAnswerError(RuntimeError):
    """A graded function or class was imported from course_lib instead of written."""


def _forbid_course_answers(ns: dict) -> None:
    """Names bound to course_lib modules marked __answers_for__ (or to their functions) become stand-ins.

    Lectures use those modules; a submission must not pass by importing the course's own implementation.
    """
    import sys
    import types

    for key, value in list(ns.items()):
        if key.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            mod_name = value.__name__
        else:
            mod_name = getattr(value, "__module__", None) if callable(value) else None
        if not isinstance(mod_name, str) or not mod_name.startswith("course_lib."):
            continue
        module = sys.modules.get(mod_name)
        if module is not None and getattr(module, "__answers_for__", None):
            ns[key] = ImportedAnswer(key, mod_name)


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
