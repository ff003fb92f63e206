"""Where the course's folders are: $COURSE_ROOT, else the checkout that holds this package."""

from __future__ import annotations

import os
from pathlib import Path


def course_root() -> Path:
    env = os.environ.get("COURSE_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def solutions_dir() -> Path:
    return course_root() / "solutions"


def assignments_dir() -> Path:
    return course_root() / "assignments"


def public_cases_dir() -> Path:
    """Where `course release` writes public cases: in the course checkout, never an installed package folder."""
    return course_root() / "course_lib" / "public_cases"


def samples_dir() -> Path:
    return course_root() / "autograder" / "samples"


def solution_notebook(homework_name: str) -> Path:
    return solutions_dir() / f"{homework_name}.ipynb"
