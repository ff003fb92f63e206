"""Time budgets (course_lib.grading.model.Budget) on hw07's conv2d_forward_fast: a larger hidden case timed against
the reference in the same worker. A loop over output positions is correct but slow (half that case's share, kind
"slow"); a vectorised answer that is not the reference's gets full marks; replacing the student-side clocks or
answering before computing does not help. Run in the sandbox and in-process (the runner tests use)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, expected

from autograder.exports.results import gradescope_results
from autograder.grade.pool import preload_for
from autograder.grade.reference import reference_for
from autograder.grade.scoring import TimedRun, score
from autograder.grade.submission import grade_extracted
from autograder.paths import solution_notebook
from autograder.runners import InProcessRunner
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.homework import load_homework
from course_lib.grading.judge import hidden_message, judge_budget
from course_lib.grading.model import Budget, Exercise, Homework, case
from course_lib.grading.notebook import extract_file, extract_source

pytestmark = pytest.mark.serial  # times a loop against the reference in the same worker

HW = "hw07"
NAME = "conv2d_forward_fast"

# Correct values, one tensordot per output position: 65,536 Python iterations on the larger case.
LOOP = '''
def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    out = np.empty((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b[None, :, None, None]
'''

# Vectorised, and not the reference's method: an as_strided im2col view contracted with tensordot.
VECTORISED = '''
def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    s0, s1, s2, s3 = xp.strides
    cols = np.lib.stride_tricks.as_strided(xp, (N, C, HH, WW, Ho, Wo), (s0, s1, s2, s3, s2 * stride, s3 * stride))
    out = np.tensordot(w, cols, axes=([1, 2, 3], [1, 2, 3]))
    return out.transpose(1, 0, 2, 3) + b[None, :, None, None]
'''

# The loop, with every clock of the time module stopped at definition time (a class body runs when defined).
STOPPED_CLOCKS = '''
import time

class _StopTheClocks:
    time.perf_counter = lambda: 0.0
    time.monotonic = lambda: 0.0
    time.perf_counter_ns = lambda: 0
    time.monotonic_ns = lambda: 0
    time.time = lambda: 0.0
    time.process_time = lambda: 0.0
''' + LOOP

# The loop, answering each timed call at once with a made-up digest and computing afterwards: the grader's clock
# stops at the made-up answer, but the value sent later does not match it.
EARLY_ANSWER = LOOP.replace("def conv2d_forward_fast(", "def _loop(") + '''

def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    import gc
    import json
    import socket
    import struct
    import sys

    frame = sys._getframe(1)
    while frame is not None and "call" not in frame.f_locals:
        frame = frame.f_back
    if frame is not None:
        for obj in gc.get_objects():
            if isinstance(obj, socket.socket) and obj.fileno() >= 0:
                data = json.dumps({"t": frame.f_locals["call"]["t"], "digest": "0" * 64}).encode()
                obj.sendall(struct.pack(">I", len(data)) + data)
    return _loop(x, w, b, stride, pad)
'''


def _hw():
    return load_homework(HW)


def _one_exercise(hw: Homework) -> Homework:
    return Homework(hw.name, [hw.exercise(NAME)])


def _grade(runner, override: str | None, only_fast: bool = True):
    hw = _hw()
    ex = extract_file(solution_notebook(hw.name))
    if override:
        chunks, warnings, _ = extract_source(override, "override")
        assert not warnings, warnings
        ex.chunks.extend(chunks)
    return grade_extracted(_one_exercise(hw) if only_fast else hw, ex, runner, expected(HW))


def _fast(res):
    return next(e for e in res.exercises if e.name == NAME)


def _share() -> float:
    """The points of the budget's larger case: half of the exercise's (Budget.share), whatever the case count."""
    ex = _hw().exercise(NAME)
    assert ex.budget.share == 0.5
    return ex.points * 0.5


def _assert_slow(res):
    e = _fast(res)
    bad = [c for c in e.cases if not c.ok]
    assert [(c.kind, c.hidden, c.partial) for c in bad] == [("slow", True, 0.5)], [c.message for c in bad]
    assert bad[0].index == len(e.cases) - 1  # the budget case is the last hidden case
    assert "slower than the reference on a larger case (budget 10×)" in bad[0].message
    assert e.points == pytest.approx(e.max_points - _share() / 2, abs=1e-6)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxRunner(preload=preload_for(_hw())) as runner:
        yield runner


# -- the model and the judge -------------------------------------------------------------------------------------

def test_hw07_budget_is_stated_and_sized():
    ex = _hw().exercise(NAME)
    assert ex.budget is not None and ex.budget.factor == 10.0 and ex.budget.floor_s == 0.05
    shapes = set()
    for seed in range(200):  # the shape is drawn with each draw, within the stated bounds
        x, w, b, stride, pad = ex.budget.case(np.random.default_rng(seed)).args
        assert x.shape[0] == 1 and 192 <= x.shape[2] <= 256 and 192 <= x.shape[3] <= 256 and x.shape[1] in (1, 2)
        assert w.shape[0] in (1, 2) and w.shape[1] == x.shape[1] and w.shape[2] == w.shape[3] in (2, 3)
        assert stride == 1 and pad in (0, 1) and b.shape == (w.shape[0],)
        shapes.add((x.shape, w.shape, pad))
    assert len(shapes) > 150
    nb = json.loads(solution_notebook(HW + "_cnn").read_text())
    prompt = " ".join("".join(c["source"]).replace("\n", " ") for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "at most **10×** the reference's time on the same inputs (and is always allowed 0.05 s)" in prompt
    assert "worth **half** of the exercise's points: correct but slower earns half of it" in prompt
    assert ("one H×W image with H and W between 192 and 256, 1 or 2 channels, 1 or 2 square filters of 2×2 or 3×3, "
            "stride 1, padding 0 or 1") in prompt and ex.budget.share == 0.5


def test_budget_seconds_has_a_floor():
    b = Budget(lambda rng: case(1.0), factor=10.0, floor_s=0.02)
    assert b.seconds(0.005) == pytest.approx(0.05)
    assert b.seconds(0.0001) == pytest.approx(0.02)


def _timed_exercise():
    return Exercise("f", 1, [case(1.0)], budget=Budget(lambda rng: case(float(rng.normal())), factor=10.0,
                                                        floor_s=0.001))


def test_judge_budget_kinds():
    ex = _timed_exercise()
    cases = [case(1.0), case(2.0)]
    exp = [{"value": 1.0}, {"value": 2.0}]
    fast = [{"value": 1.0, "seconds": 0.05}]
    assert judge_budget(ex, cases, exp, fast, 0.01).ok
    slow = [{"value": 1.0, "seconds": 0.5}, {"value": 2.0, "seconds": 0.3}]
    v = judge_budget(ex, cases, exp, slow, 0.01)
    assert not v.ok and v.kind == "slow" and v.message == "correct, but slower than the reference on a larger case " \
                                                          "(budget 10×)"  # the stated factor, no measured time
    assert hidden_message(v, None) == v.message
    wrong_later = [{"value": 1.0, "seconds": 0.5}, {"value": 2.5, "seconds": 0.001}]  # fast but wrong: no credit
    assert judge_budget(ex, cases, exp, wrong_later, 0.01).kind == "values"
    assert judge_budget(ex, cases, exp, [], 0.01, "timeout").kind == "timeout"


def test_score_gives_half_the_share_to_a_slow_case_and_gradescope_agrees():
    ex = _timed_exercise()
    public, hidden = [case(1.0)], [case(3.0), case(5.0)]
    timed = TimedRun([case(5.0)], [{"value": 5.0}], [{"value": 5.0, "seconds": 1.0}], 0.01)
    r = score(ex, public, hidden, [{"value": 1.0}, {"value": 3.0}, {"value": 5.0}],
              [{"value": 1.0}, {"value": 3.0}, None], timed=timed)
    assert r.points == pytest.approx(1 / 4 + 1 / 4 + 1 / 4)  # the larger case carries half: slow earns half of it
    assert [c.credit for c in r.cases] == [1.0, 1.0, 0.5]
    from autograder.model import SubmissionResult

    out = gradescope_results(Homework("hwx", [ex]), SubmissionResult("s", "hwx", [r]), "test")
    assert sum(t["score"] for t in out["tests"]) == pytest.approx(out["score"], abs=1e-3)


def test_reference_job_ships_only_what_the_exercise_needs():
    labels = "\n".join(src for _, src, _ in reference_for(_hw(), _hw().exercise(NAME)))
    assert "def conv2d_forward_fast" in labels
    for other in ("conv2d_forward_naive", "conv2d_backward", "maxpool2d_backward", "conv2d_output_shape"):
        assert f"def {other}" not in labels


# -- in-process ---------------------------------------------------------------------------------------------------

def test_solution_full_marks_in_process():
    r = _grade(InProcessRunner(), None)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_loop_over_output_positions_loses_exactly_half_the_budget_share_in_process():
    _assert_slow(assert_mutant_loses_only(HW, LOOP, {NAME}))


def test_vectorised_non_reference_answer_full_marks_in_process():
    r = _grade(InProcessRunner(), VECTORISED)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_stopped_clocks_do_not_make_a_loop_fast_in_process():
    saved = {n: getattr(time, n) for n in ("perf_counter", "monotonic", "perf_counter_ns", "monotonic_ns", "time",
                                           "process_time")}
    try:
        res = _grade(InProcessRunner(), STOPPED_CLOCKS)
    finally:
        for n, f in saved.items():
            setattr(time, n, f)
    _assert_slow(res)


# -- in the sandbox -----------------------------------------------------------------------------------------------

def test_solution_and_vectorised_full_marks_loop_slow_in_sandbox(sandbox):
    for override in (None, VECTORISED):
        r = _grade(sandbox, override)
        assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]
    _assert_slow(_grade(sandbox, LOOP))


def test_stopped_clocks_do_not_make_a_loop_fast_in_sandbox(sandbox):
    _assert_slow(_grade(sandbox, STOPPED_CLOCKS))


def test_answering_before_computing_gets_no_budget_credit_in_sandbox(sandbox):
    r = _grade(sandbox, EARLY_ANSWER)
    e = _fast(r)
    bad = [c for c in e.cases if not c.ok]
    assert len(bad) == 1 and bad[0].index == len(e.cases) - 1 and bad[0].credit == 0.0, [c.message for c in bad]
    assert e.points == pytest.approx(e.max_points - _share(), abs=1e-6)
    r = _grade(sandbox, None)  # the sandbox is still fine afterwards
    assert r.total == r.max_total


def test_whole_homework_in_sandbox_loop_costs_only_the_budget_share(sandbox):
    r = _grade(sandbox, LOOP, only_fast=False)
    for e in r.exercises:
        if e.name != NAME:
            assert e.points == e.max_points, (e.name, [c.message for c in e.cases if not c.ok])
    _assert_slow(r)
