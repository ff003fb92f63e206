"""Drivers and property checks shared by the sandboxed grader and the student's self-check.

A *driver* runs inside the sandbox: it takes the student's namespace and plain-data inputs,
calls the student's functions or classes, and returns plain data. The default driver calls the
function named like the exercise with the case's arguments. A *check* runs in the trusted
process: it judges a returned value (used for random functions graded by properties).

Drivers and checks are named "hwNN.function" and live in course_lib/harness/hwNN.py.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


class MissingDefinition(NameError):
    """The notebook does not define a name the exercise needs."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return (f"`{self.name}` is not defined in your notebook "
                "(check its spelling and that its cell has no syntax error)")


class Namespace(dict):
    """The student's definitions; a missing name raises MissingDefinition with a readable message."""

    def __missing__(self, key: str) -> Any:
        raise MissingDefinition(key)


def _resolve(qualname: str) -> Callable:
    module, _, func = qualname.partition(".")
    mod = importlib.import_module(f"course_lib.harness.{module}")
    return getattr(mod, func)


def run_case(ns: Namespace, exercise: str, driver: str | None, args: list, kwargs: dict) -> Any:
    """Run one case: the named driver, or call ns[exercise](*args, **kwargs)."""
    if driver is None:
        fn = ns[exercise]
        if not callable(fn):
            raise TypeError(f"`{exercise}` is a {type(fn).__name__}, not a function")
        return fn(*args, **kwargs)
    return _resolve(driver)(ns, *args, **kwargs)


def get_check(name: str) -> Callable:
    """The property check `hwNN.name`: check(args, kwargs, expected, got, rtol, atol) -> Verdict."""
    return _resolve(name)
