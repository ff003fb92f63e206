"""Load a solution notebook's definitions into a namespace (for self-check tests)."""

from autograder.execute import define
from autograder.notebook import extract_file
from autograder.paths import solution_notebook
from autograder.spec import load_homework


def namespace(hw: str) -> dict:
    ns, errors = define(extract_file(solution_notebook(load_homework(hw).name)).chunks)
    return dict(ns)
