"""Partial credit per output (issue 25.6): an exercise that returns several independent outputs (a loss and a dict
of gradients, a tuple of gradients) earns, on a failing case, the share of its points of the outputs that are
right; one transposed gradient out of six no longer costs the whole exercise. Other exercises are all or nothing."""

from __future__ import annotations

import numpy as np
import pytest
from gradeutil import grade_solution, points

from course_lib.grading.judge import judge, output_credit, outputs
from course_lib.grading.model import Exercise, case

SKIP_ONE_TRANSPOSED = '''
def skip_mlp_loss_and_grads(params, X, y):
    W1, b1, W2, b2, Ws = (params[k] for k in ("W1", "b1", "W2", "b2", "Ws"))
    n = X.shape[0]
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    z = h @ W2 + b2 + X @ Ws
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(n), y].mean())
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    da = (dz @ W2.T) * (a > 0)
    grads = {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": h.T @ dz, "b2": dz.sum(axis=0),
             "Ws": (X.T @ dz)[::-1],  # one output wrong: Ws's rows in reverse order
             "X": da @ W1.T + dz @ Ws.T}
    return loss, grads
'''


def test_outputs_open_a_dict_of_gradients_one_level():
    keys = [k for k, _ in outputs((1.0, {"W": np.ones(2), "b": 0.0}))]
    assert keys == [0, (1, "W"), (1, "b")]
    assert outputs(np.ones(3)) is None and outputs(2.0) is None


def test_one_wrong_output_of_seven_keeps_six_sevenths_of_the_case():
    want = (1.0, {"W1": np.ones((2, 2)), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.ones(2), "Ws": np.eye(2),
                  "X": np.ones((3, 2))})
    got = (1.0, {**want[1], "Ws": np.eye(2).T * 2})
    assert output_credit(want, got, 1e-6, 1e-8) == pytest.approx(6 / 7)
    ex = Exercise("f", 4, [case(1.0)], per_output=True)
    v = judge(ex, (1.0,), {}, {"value": want}, {"value": got})
    assert not v.ok and v.credit == pytest.approx(6 / 7)
    all_or_nothing = Exercise("f", 4, [case(1.0)])
    assert judge(all_or_nothing, (1.0,), {}, {"value": want}, {"value": got}).credit == 0.0
    missing = (1.0, {k: v for k, v in want[1].items() if k != "X"})  # a missing output earns nothing for itself
    assert output_credit(want, missing, 1e-6, 1e-8) == pytest.approx(6 / 7)
    assert output_credit(want, "nonsense", 1e-6, 1e-8) == 0.0


def test_hw04_skip_network_with_one_wrong_gradient_keeps_the_rest():
    res = grade_solution("hw04", SKIP_ONE_TRANSPOSED)
    got = points(res)
    skip = next(e for e in res.exercises if e.name == "skip_mlp_loss_and_grads")
    assert all(not c.ok for c in skip.cases)  # every case has the wrong Ws ...
    assert got["skip_mlp_loss_and_grads"] == pytest.approx(4 * 6 / 7)  # ... and keeps 6 of its 7 outputs
    assert all(got[e] == e_max for e, e_max in ((e.name, e.max_points) for e in res.exercises)
               if e != "skip_mlp_loss_and_grads")


def test_the_homework_design_table_lists_the_option():
    from autograder.release.design import design_table

    table = design_table()
    assert "credit per output" in table
    rows = [line for line in table.splitlines() if line.startswith("| `skip_mlp_loss_and_grads`")
            or line.startswith("| `rnn_step_backward`") or line.startswith("| `lstm_step_backward`")]
    assert len(rows) == 3 and all(row.rstrip().endswith("| yes |") for row in rows)


def test_exports_that_cannot_give_per_output_credit_say_so():
    """nbgrader and Otter run a case's test all or nothing: their README and `course export` name the difference;
    the Gradescope zip runs our engine and gives the same credit."""
    from autograder.interop.common import differences
    from course_lib.grading.homework import load_homework

    for short, name in (("hw04", "skip_mlp_loss_and_grads"), ("hw08", "rnn_backward")):
        hw = load_homework(short)
        for target in ("nbgrader", "otter"):
            assert any(line.startswith(f"{name}: a case whose outputs are partly right")
                       for line in differences(hw, target)), (short, target)
        assert not any("partly right" in line for line in differences(hw, "gradescope"))
    assert not any("partly right" in line for line in differences(load_homework("hw01"), "otter"))
