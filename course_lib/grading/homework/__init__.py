"""The public part of every homework: one module per homework, `hwNN_<topic>.py`, each defining HOMEWORK.

The module's name is the homework's full name; the registry below finds them by listing this folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from course_lib.grading.model import Homework


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """Full names of every homework (hw01_gradient_descent, ...), in order."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("hw")))


def resolve(name: str) -> str:
    """The full name for a short id (hw01) or a full name; KeyError with the known ids otherwise."""
    for full in names():
        if name in (full, full.split("_")[0]):
            return full
    raise KeyError(f"unknown assignment {name!r} (known: {', '.join(n.split('_')[0] for n in names()) or 'none'})")


def load_homework(name: str) -> Homework:
    """Find a homework by short id (hw01) or full name (hw01_gradient_descent)."""
    full = resolve(name)
    hw = importlib.import_module(f"{__name__}.{full}").HOMEWORK
    if hw.name != full:
        raise RuntimeError(f"{full}.py defines HOMEWORK named {hw.name!r}; the two must agree")
    return hw


def all_homeworks() -> list[Homework]:
    """Every homework, in order of name."""
    return [load_homework(n) for n in names()]


@lru_cache(maxsize=None)
def exercise_index() -> dict[str, str]:
    """Exercise name -> the full name of its homework."""
    return {ex.name: hw.name for hw in all_homeworks() for ex in hw.exercises}
