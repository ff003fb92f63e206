"""For every homework: the solution scores full marks and the unfilled assignment scores 0, in the sandbox."""

from __future__ import annotations

import pytest

from autograder.grade.pool import preload_for
from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.hidden import generators, hidden_cases
from autograder.paths import assignments_dir, solution_notebook
from autograder.sandbox.isolation import detect
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.homework import all_homeworks
from course_lib.grading.notebook import extract_file

HOMEWORKS = [hw for hw in all_homeworks() if solution_notebook(hw.name).exists()]


def _failures(res) -> list[str]:
    return [f"{e.name}: {e.status} {e.note} " + "; ".join(c.message for c in e.cases if not c.ok)
            for e in res.exercises if not e.passed]


@pytest.mark.parametrize("hw", HOMEWORKS, ids=[h.short for h in HOMEWORKS])
def test_solution_full_marks_and_blank_zero_in_sandbox(hw):
    level = detect()
    expected = ExpectedCache(hw, "common-suite-seed", include_hidden=True)
    with SandboxRunner(preload=preload_for(hw), level=level) as runner:
        res = grade_extracted(hw, extract_file(solution_notebook(hw.name)), runner, expected, "solution")
        assert res.total == res.max_total, _failures(res)
        blank = assignments_dir() / f"{hw.name}.ipynb"
        assert blank.exists(), f"{blank} missing: run `course release`"
        res = grade_extracted(hw, extract_file(blank), runner, expected, "blank")
        assert res.total == 0, [f"{e.name}: {e.points}" for e in res.exercises if e.points]


def test_exercise_names_are_unique_across_homeworks():
    names = [e.name for hw in all_homeworks() for e in hw.exercises]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("hw", all_homeworks(), ids=[h.short for h in all_homeworks()])
def test_spec_is_well_formed(hw):
    assert hw.exercises, f"{hw.name} has no exercises"
    for ex in hw.exercises:
        assert ex.points > 0 and ex.public, f"{hw.name}.{ex.name}: needs points and public cases"
        assert ex.name in generators(hw), f"{hw.name}.{ex.name}: needs hidden cases"
        a = hidden_cases(hw, ex, "seed-a")
        b = hidden_cases(hw, ex, "seed-a")
        assert len(a) == len(b) and len(a) > 0
        assert repr(a) == repr(b), "hidden cases must be a function of the seed"
