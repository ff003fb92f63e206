"""Run the student's definitions on an exercise's cases: the same code in the sandbox, for the reference and in
the self-check. Results are plain data ({"value"} or {"error", "etype"}); judging happens elsewhere (judge.py).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from course_lib.grading.model import Exercise
from course_lib.grading.wire import NotPlainData, to_plain


class MissingDefinition(NameError):
    """The notebook does not define a name the exercise needs (with a close match it does define, if any)."""

    def __init__(self, name: str, did_you_mean: str | None = None):
        super().__init__(name)
        self.name = name
        self.did_you_mean = did_you_mean

    def __str__(self) -> str:
        if self.did_you_mean:
            return (f"`{self.name}` is not defined in your notebook, but `{self.did_you_mean}` is: did you mean "
                    f"`{self.name}`? (the grader finds functions by name; keep the name from the assignment)")
        return (
            f"`{self.name}` is not defined in your notebook (check its spelling and that its cell has no syntax error)"
        )


def did_you_mean(name: str, ns: dict) -> str | None:
    """The notebook's function or class whose name is closest to `name` (difflib), if any is close."""
    import difflib
    import types

    try:  # another exercise's function is never the suggestion (adagrad_step is not a misspelt adam_step)
        from course_lib.grading.homework import exercise_index

        graded = set(exercise_index())
    except Exception:  # noqa: BLE001 - a hint must never stop grading
        graded = set()
    defined = [k for k, v in ns.items() if isinstance(k, str) and not k.startswith("__") and k != name
               and k not in graded and isinstance(v, (types.FunctionType, type))]
    match = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
    return match[0] if match else None


class Namespace(dict):
    """The student's definitions; a missing name raises MissingDefinition with a readable message."""

    def __missing__(self, key: str) -> Any:
        raise MissingDefinition(key, did_you_mean(key, self))


def run_case(ns: Namespace, ex: Exercise, args: list, kwargs: dict) -> Any:
    """Run one case: the exercise's driver, or call ns[ex.name](*args, **kwargs)."""
    if ex.driver is None:
        fn = ns[ex.name]
        if not callable(fn):
            raise TypeError(f"`{ex.name}` is a {type(fn).__name__}, not a function")
        return fn(*args, **kwargs)
    return ex.driver(ns, *args, **kwargs)


def define(chunks: Iterable[tuple]) -> tuple[Namespace, list[str]]:
    """Exec each kept statement, (label, source, first_line), in one namespace; a failing one is reported and
    skipped."""
    from course_lib.grading.notebook import compile_chunk

    ns: dict = {"__name__": "__student__", "__builtins__": __builtins__}  # a plain dict: globals must be one
    errors = []
    for chunk in chunks:
        label = chunk[0]
        try:
            exec(compile_chunk(chunk), ns)  # noqa: S102 - student code, sandboxed
        except BaseException as exc:  # SystemExit/KeyboardInterrupt in a class body too
            errors.append(f"{label}: {type(exc).__name__}: {_short(exc)}")
    forbid_course_answers(ns)
    return Namespace(ns), errors


class ImportedAnswerError(RuntimeError):
    """A graded function or class was imported from course_lib instead of written."""


class ImportedAnswer:
    """Stands in for a graded name imported from a course_lib module that implements homework answers."""

    def __init__(self, name: str, module: str):
        self.name, self.module = name, module

    def __call__(self, *args, **kwargs):
        raise ImportedAnswerError(
            f"`{self.name}` comes from {self.module}; graded code must be written in your "
            "notebook, not imported from the course library"
        )

    def __getattr__(self, attr):
        self(attr)


def forbid_course_answers(ns: dict) -> None:
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


def run_cases(ns: Namespace, ex: Exercise, cases: list[tuple[list, dict]], emit: Callable[[int, dict], None]) -> None:
    """Run each case and emit (index, {"value": plain} | {"error": one line, "etype"}) as soon as it is known."""
    for i, (args, kwargs) in enumerate(cases):
        t0 = time.perf_counter()
        try:
            value = to_plain(run_case(ns, ex, list(args), dict(kwargs)))
            emit(i, {"value": value, "seconds": time.perf_counter() - t0})
        except NotPlainData as exc:
            emit(i, {"error": f"returned a value that is not numbers/arrays: {exc}", "etype": "TypeError"})
        except BaseException as exc:  # the student's SystemExit/KeyboardInterrupt costs this case only
            emit(i, {"error": describe_error(exc), "etype": type(exc).__name__})
