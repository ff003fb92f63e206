"""Hidden cases decide: public cases carry at most 15% of an exercise's points (Exercise.case_points).

The public cases' expected outputs ship with the student package (course_lib/public_cases), so a submission that
looks its inputs up in a table of those outputs, with no formula at all, must earn at most PUBLIC_SHARE of each
exercise. The rule is one function, used by `course grade`, the Gradescope results and the nbgrader/Otter exports.
"""

from __future__ import annotations

import json

import pytest
from gradeutil import expected, reference_namespace

from autograder.grade.submission import grade_extracted
from autograder.runners import InProcessRunner
from course_lib.grading.homework import all_homeworks, load_homework
from course_lib.grading.model import PUBLIC_SHARE, Budget, Exercise, case
from course_lib.grading.notebook import Extracted, extract_source
from course_lib.grading.public import expected_outputs
from course_lib.grading.wire import dumps

HOMEWORKS = [hw.short for hw in all_homeworks()]

def _ex(n_public, points=2.0, budget=None):
    return Exercise("f", points, [case(k) for k in range(n_public)], budget=budget)

# ---------------------------------------------------------------------------------------------- the rule

def test_public_cases_carry_fifteen_percent_and_hidden_ones_the_rest():
    # 4 public + 6 hidden on 2 points, by hand: public 0.15·2/4 = 0.075 each, hidden (2 − 0.3)/6 = 0.28333 each
    pts = _ex(4).case_points(10)
    assert pts[:4] == pytest.approx([0.075] * 4) and pts[4:] == pytest.approx([1.7 / 6] * 6)
    assert sum(pts) == pytest.approx(2.0)
    assert PUBLIC_SHARE == 0.15

def test_fewer_public_cases_than_fifteen_percent_keep_their_equal_share():
    # 1 public of 10 cases: an equal share is 10% < 15%, so it stays 0.2 of 2 points; 9 hidden get 1.8/9 = 0.2 each
    assert _ex(1).case_points(10) == pytest.approx([0.2] * 10)

def test_without_hidden_cases_every_case_gets_an_equal_share():
    assert _ex(3, points=3.0).case_points(3) == pytest.approx([1.0, 1.0, 1.0])

def test_the_budget_case_keeps_its_share():
    # 3 public, 4 hidden + the budget case, 2 points, share ½: public 0.3/3 = 0.1 each, budget 1.0,
    # the 4 other hidden (2 − 0.3 − 1)/4 = 0.175 each
    ex = _ex(3, budget=Budget(lambda rng: case(0), share=0.5))
    pts = ex.case_points(8, budgeted=True)
    assert pts == pytest.approx([0.1] * 3 + [0.175] * 4 + [1.0])
    assert ex.case_points(8, budgeted=False) == pytest.approx([0.1] * 3 + [1.7 / 5] * 5)

@pytest.mark.parametrize("hw_name", HOMEWORKS)
def test_every_exercise_public_share_is_at_most_fifteen_percent(hw_name):
    hw = load_homework(hw_name)
    cache = expected(hw_name)
    for ex in hw.exercises:
        public, hidden, _ = cache.get(ex)
        pts = ex.case_points(len(public) + len(hidden), budgeted=ex.budget is not None and bool(hidden))
        assert sum(pts) == pytest.approx(ex.points)
        assert sum(pts[:len(public)]) <= PUBLIC_SHARE * ex.points + 1e-12, ex.name

# ------------------------------------------------------------------------- a table of the public outputs

def _table_submission(hw_name: str) -> str:
    """Source of a submission that answers the public inputs from a table and nothing else.

    Exercises called with the case's own arguments (no driver) answer with the shipped expected outputs
    (course_lib/public_cases); for exercises with a driver, the table holds what the reference returns to the
    driver's call on each public case (recorded here), keyed by that call's arguments. Anything else raises
    KeyError. Property-checked exercises (random draws from a generator) have no table: their key cannot be built.
    """
    hw = load_homework(hw_name)
    ref = reference_namespace(hw_name)
    table: dict[str, str] = {}
    names: set[str] = set()

    def key(name, args, kwargs):
        return name + ":" + dumps([list(args), dict(kwargs)])

    for ex in hw.exercises:
        if ex.driver is None:
            for c, out in zip(ex.public, expected_outputs(hw, ex)):
                if out["value"] is not None:
                    table[key(ex.name, c.args, c.kwargs)] = dumps(out["value"])
            names.add(ex.name)
            continue

        def recorder(name):
            def fn(*args, **kwargs):
                value = ref[name](*args, **kwargs)
                try:
                    table[key(name, args, kwargs)] = dumps(value)
                except Exception:  # noqa: BLE001 - a value that is not plain data cannot be tabled
                    pass
                return value
            return fn

        ns = {k: (recorder(k) if callable(v) and not isinstance(v, type) else v) for k, v in ref.items()}
        for c in ex.public:
            try:
                ex.driver(ns, *c.args, **c.kwargs)
            except Exception:  # noqa: BLE001 - a key that cannot be encoded (a torch module, a generator)
                pass
        names |= {k.split(":", 1)[0] for k in table}
    lines = ["from course_lib.grading.wire import dumps as _dumps, loads as _loads",
             f"TABLE = {json.dumps(table)}"]
    for name in sorted(names | {e.name for e in hw.exercises}):
        lines += [f"def {name}(*args, **kwargs):",
                  f"    return _loads(TABLE[{name!r} + ':' + _dumps([list(args), dict(kwargs)])])"]
    return "\n".join(lines) + "\n"

@pytest.mark.parametrize("hw_name", HOMEWORKS)
def test_a_table_of_the_public_outputs_earns_at_most_fifteen_percent(hw_name):
    """Measured with this submission (tests/test_public_share.py, `_table_submission`): under equal shares per case
    (the rule before) it earned 24.6-39.2% of each homework (hw09: 39.2%, the issue's 39%); now 10.0-15.0%."""
    hw = load_homework(hw_name)
    chunks, warnings, _ = extract_source(_table_submission(hw_name), "table")
    res = grade_extracted(hw, Extracted(chunks, warnings), InProcessRunner(), expected(hw_name))
    for e in res.exercises:
        ex = hw.exercise(e.name)
        assert e.points <= PUBLIC_SHARE * ex.points + 1e-9, (ex.name, e.points, ex.points)
        if ex.driver is None and ex.check is None:  # the table works: every public case of a plain exercise passes
            assert all(c.ok for c in e.cases if not c.hidden), (ex.name, [c.message for c in e.cases if not c.ok])
            assert e.points == pytest.approx(PUBLIC_SHARE * ex.points), ex.name
    assert res.total <= PUBLIC_SHARE * hw.max_points + 1e-9
