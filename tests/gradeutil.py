"""Test helpers: grade a solution notebook, or the solution with one function replaced, in-process."""

from __future__ import annotations

from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.hidden.seed import resolve_seed
from autograder.model import SubmissionResult
from autograder.paths import solution_notebook
from autograder.runners import InProcessRunner
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import compile_chunk, extract_file, extract_source

_CACHE: dict[str, ExpectedCache] = {}


def expected(hw_name: str) -> ExpectedCache:
    hw = load_homework(hw_name)
    if hw.name not in _CACHE:
        _CACHE[hw.name] = ExpectedCache(hw, resolve_seed(None)[0], include_hidden=True)
    return _CACHE[hw.name]


def grade_solution(hw_name: str, override: str | None = None) -> SubmissionResult:
    """Grade solutions/<hw>.ipynb in this process; `override` is source appended last (it wins)."""
    hw = load_homework(hw_name)
    ex = extract_file(solution_notebook(hw.name))
    if override:
        chunks, warnings, _ = extract_source(override, "override")
        assert not warnings, warnings
        ex.chunks.extend(chunks)
    return grade_extracted(hw, ex, InProcessRunner(), expected(hw.name))


def points(result: SubmissionResult) -> dict[str, float]:
    return {e.name: e.points for e in result.exercises}


def assert_mutant_loses_only(hw_name: str, override: str, broken: set[str]) -> SubmissionResult:
    """A plausible wrong implementation must lose points on exactly the exercises in `broken`."""
    hw = load_homework(hw_name)
    res = grade_solution(hw_name, override)
    got = points(res)
    for ex in hw.exercises:
        if ex.name in broken:
            assert got[ex.name] < ex.points, f"{ex.name}: mutant still scores {got[ex.name]}/{ex.points}"
        else:
            assert got[ex.name] == ex.points, (
                f"{ex.name}: lost points ({got[ex.name]}/{ex.points}) to a mutant of {broken}: "
                + "; ".join(c.message for e in res.exercises if e.name == ex.name for c in e.cases if not c.ok))
    return res


def reference_namespace(hw_name: str) -> dict:
    """The reference solution's definitions, exec'd in this process (trusted code, no sandbox)."""
    ns: dict = {"__name__": "__reference__"}
    for chunk in extract_file(solution_notebook(load_homework(hw_name).name)).chunks:
        exec(compile_chunk(chunk), ns)  # noqa: S102 - our own reference
    return ns
