"""Concept checks (graded lecture questions), instructor side: one module per lecture, `lectureNN.py`, each with
`QUESTIONS = [Number(...), Choice(...), Expression(...)]` (plain answers: never shipped) and optionally
`SEALED = True` (the release setting that ships no key for its graded checks: students' `answer()` only records a
well-formed answer; the answers and explanations come with the grade; `practice=True` questions keep instant
feedback and are not graded). The registry finds them by file name.

    quiz("07")              # the Quiz (a Homework: one exercise per question) named quiz07_<topic>
    load_assignment(name)   # hw01 / hw01_gradient_descent -> the code homework; quiz07 / quiz07_cnn -> the quiz
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

from autograder.grade.homework import coded
from autograder.model import Assignment
from autograder.quizzes.assignment import Quiz, make_quiz
from autograder.quizzes.model import Choice, Expression, Number, keys_json

__all__ = ["Choice", "Expression", "Number", "Quiz", "quiz", "lectures", "all_quizzes", "load_assignment",
           "resolve_assignment", "keys_json", "is_quiz_name"]

_QUIZ_NAME = re.compile(r"^(?:quiz|lecture)?(\d\d)(?:_\w*)?$")


def lectures() -> tuple[str, ...]:
    """Lecture numbers ("01", ...) that have a quiz module, in order."""
    return tuple(sorted(m.name[len("lecture"):] for m in pkgutil.iter_modules(__path__)
                        if re.fullmatch(r"lecture\d\d", m.name)))


def _topic(nn: str) -> str:
    from autograder.paths import course_root

    found = sorted((course_root() / "notebooks").glob(f"{nn}_*.ipynb"))
    return found[0].stem[3:] if found else ""


def is_quiz_name(name: str) -> bool:
    return isinstance(name, str) and name.startswith("quiz") and bool(_QUIZ_NAME.match(name))


def _number(name) -> str:
    m = _QUIZ_NAME.match(str(name)) if not isinstance(name, int) else None
    nn = f"{name:02d}" if isinstance(name, int) else (m.group(1) if m else "")
    if nn not in lectures():
        raise KeyError(f"unknown quiz {name!r} (known: {', '.join('quiz' + n for n in lectures()) or 'none'})")
    return nn


@lru_cache(maxsize=None)
def _load(nn: str) -> Quiz:
    mod = importlib.import_module(f"{__name__}.lecture{nn}")
    questions = list(mod.QUESTIONS)
    seen = set()
    for k, q in enumerate(questions, start=1):
        q.validate()
        if q.id != f"{nn}.{k}":
            raise ValueError(f"lecture{nn}.py: question {k} has id {q.id!r}; ids are {nn}.1, {nn}.2, … in order")
        if q.id in seen:
            raise ValueError(f"lecture{nn}.py: id {q.id} appears twice")
        seen.add(q.id)
    topic = _topic(nn)
    sealed = bool(getattr(mod, "SEALED", False))
    return make_quiz(f"quiz{nn}_{topic}" if topic else f"quiz{nn}", nn, questions, sealed)


def quiz(nn) -> Quiz:
    """The quiz of lecture `nn` ("07", 7, "quiz07" or "quiz07_cnn")."""
    return _load(_number(nn))


def all_quizzes() -> list[Quiz]:
    return [quiz(nn) for nn in lectures()]


def resolve_assignment(name: str) -> str:
    """The full name of a homework (hw01 -> hw01_gradient_descent) or a quiz (quiz07 -> quiz07_cnn)."""
    if is_quiz_name(name):
        return quiz(name).name
    from course_lib.grading.homework import resolve

    return resolve(name)


def load_assignment(name: str) -> Assignment:
    """What `course grade NAME` grades: code homework (hw01 / hw01_gradient_descent) or, for quizNN /
    quizNN_<topic>, the lecture's concept checks. Both are Assignments (autograder.model)."""
    if is_quiz_name(name):
        return quiz(name)
    return coded(name)
