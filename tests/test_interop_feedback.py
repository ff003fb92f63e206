"""Feedback shows the student's own call in one line, and a renamed function gets "did you mean"."""

from __future__ import annotations

import json

import numpy as np

from autograder.grade.reference import ExpectedCache
from autograder.grade.scoring import describe_call, describe_input
from autograder.grade.submission import grade_extracted
from autograder.hidden.seed import resolve_seed
from autograder.paths import solution_notebook
from autograder.runners import InProcessRunner
from course_lib.grading.homework import load_homework
from course_lib.grading.model import case, show_value
from course_lib.grading.notebook import extract
from course_lib.grading.run import MissingDefinition, Namespace


def test_values_are_one_line_and_arrays_never_read_like_calls():
    assert show_value(np.zeros((2, 5))) == "array of shape (2, 5)"
    assert show_value(np.array([1.0, 2.0])) == "[1., 2.]"
    assert "\n" not in show_value(np.eye(2)) and show_value(np.eye(2)) == "[[1., 0.], [0., 1.]]"
    assert show_value([np.zeros((3, 4)), 2]) == "[array of shape (3, 4), 2]"
    assert show_value(list(range(10))) == "list of 10"
    text = describe_input(case(np.ones((40, 3)), {"W": np.ones((3, 3))}, "a\nb"))
    assert "\n" not in text and "array(" not in text and "array of shape (40, 3)" in text


def test_drivers_show_the_students_signature():
    hw05, hw04 = load_homework("hw05"), load_homework("hw04")
    x = hw05.exercise("xavier_uniform_conv")
    assert describe_call(x, x.public[0]) == ("xavier_uniform_conv(32, 16, 3, 3, rng) with rng = "
                                             "np.random.default_rng(11), called 14 times on that rng")
    h = hw05.exercise("he_normal")
    assert describe_call(h, h.public[0]) == "he_normal(200, 300, rng) with rng = np.random.default_rng(11)"
    s = hw04.exercise("gelu_forward")
    assert describe_call(s, s.public[0]) == "gelu_forward(array of shape (2, 5))"
    f = hw04.exercise("leaky_relu_forward")
    assert describe_call(f, f.public[0]) == "leaky_relu_forward(array of shape (2, 5), 0.1)"
    b = hw04.exercise("leaky_relu_backward")
    assert describe_call(b, b.public[0]).startswith("leaky_relu_backward(dout=array of shape (2, 5), cache)")
    assert "'leaky_relu'" not in describe_call(b, b.public[0])
    m = load_homework("hw02").exercise("adam_step")  # no driver: the exercise's own name and inputs
    assert describe_call(m, m.public[0]).startswith("adam_step(")


def test_a_renamed_function_gets_did_you_mean():
    def adam_stpe():
        pass

    try:
        Namespace({"adam_stpe": adam_stpe, "np": np})["adam_step"]
    except MissingDefinition as exc:
        assert "did you mean `adam_step`?" in str(exc) and "`adam_stpe`" in str(exc)
    hw = load_homework("hw02")
    nb = json.loads(solution_notebook(hw.name).read_text())
    for c in nb["cells"]:
        c["source"] = "".join(c["source"]).replace("def adam_step(", "def adam(")
    cache = ExpectedCache(hw, resolve_seed(None)[0], include_hidden=True)
    res = grade_extracted(hw, extract(nb), InProcessRunner(), cache)
    adam = next(e for e in res.exercises if e.name == "adam_step")
    assert adam.points == 0
    public = [c.message for c in adam.cases if not c.hidden]
    assert public and all("did you mean `adam_step`?" in m and "`adam`" in m for m in public), public
