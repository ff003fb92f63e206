"""The Gradescope zip carries one homework: its hidden-case generators, its reference, its self-check data and a seed
derived for it (hidden/seed.py's homework_seed), nothing of other homework, no quiz answers, never the course seed;
and grading with the derived seed draws exactly the hidden cases `course grade` draws with the course seed."""

from __future__ import annotations

import json
import zipfile

import pytest

from autograder.hidden import budget_case, hidden_cases
from autograder.hidden.seed import SeedError, homework_seed
from autograder.interop import gradescope
from course_lib.grading.homework import all_homeworks, load_homework
from course_lib.grading.public import inputs_digest

SEED = "course secret 7f3a"


@pytest.fixture(scope="module", params=["hw07", "hw09"])
def listed(request, tmp_path_factory):
    hw = load_homework(request.param)
    path = gradescope.export(hw, tmp_path_factory.mktemp("gs") / f"{hw.short}.zip", SEED)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        blobs = {n: zf.read(n) for n in names}
    return hw, names, blobs


def test_only_this_homeworks_hidden_generators_and_reference(listed):
    hw, names, _ = listed
    hidden = sorted(n for n in names if n.startswith("course/autograder/hidden/"))
    assert hidden == sorted(["course/autograder/hidden/__init__.py", "course/autograder/hidden/seed.py",
                             f"course/autograder/hidden/{hw.name}.py"])
    assert [n for n in names if n.startswith("course/solutions/")] == [f"course/solutions/{hw.name}.ipynb"]
    cases = [n for n in names if "/public_cases/" in n]
    assert cases == [f"course/course_lib/public_cases/{hw.name}.json"]
    others = [h.name for h in all_homeworks() if h.name != hw.name]
    assert not [n for n in names if any(o in n for o in others)], "another homework's file is in the zip"


def test_no_quiz_answers_and_no_samples(listed):
    _, names, _ = listed
    assert not [n for n in names if n.startswith("course/autograder/quizzes/")]  # lectureNN.py: plain answers
    assert not [n for n in names if "/samples/" in n or n.endswith(".pyc")]


def test_the_course_seed_never_leaves_the_machine(listed):
    hw, names, blobs = listed
    config = json.loads(blobs["course/gradescope.json"])
    assert "seed" not in config and config["homework_seed"] == homework_seed(SEED, hw.name)
    assert not [n for n, b in blobs.items() if SEED.encode() in b]


def test_manual_items_and_readme(listed):
    hw, names, blobs = listed
    config = json.loads(blobs["course/gradescope.json"])
    readme = blobs["README.md"].decode()
    if hw.short == "hw09":
        assert config["manual"] == [{"name": "own_estimate", "points": 2.0}]
        assert "own_estimate (2 points)" in readme and "11 of the 13 points" in readme
    else:
        assert config["manual"] == [] and "conv2d_forward_fast: the timed case (1 of 2 points) is timed" in readme


def test_the_derived_seed_draws_the_course_seeds_hidden_cases():
    for hw in all_homeworks():
        derived = homework_seed(SEED, hw.name)
        assert homework_seed(derived, hw.name) == derived
        for ex in hw.exercises:
            assert inputs_digest(hidden_cases(hw, ex, derived)) == inputs_digest(hidden_cases(hw, ex, SEED)), ex.name
            assert inputs_digest(budget_case(hw, ex, derived)) == inputs_digest(budget_case(hw, ex, SEED)), ex.name
            assert inputs_digest(hidden_cases(hw, ex, SEED + "x")) != inputs_digest(hidden_cases(hw, ex, SEED)) \
                or not hidden_cases(hw, ex, SEED)


def test_a_derived_seed_serves_its_homework_only():
    derived = homework_seed(SEED, "hw07_cnn")
    with pytest.raises(SeedError, match="derived for hw07_cnn"):
        homework_seed(derived, "hw09_compute")
    assert SEED not in derived and homework_seed(SEED, "hw09_compute") != derived
