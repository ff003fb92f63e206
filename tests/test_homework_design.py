"""The homework design: derivation-first points, named edge cases that hidden cases cover, the design table, and
the centred-difference gradient check (its helper and its line in the self-check)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradeutil import reference_namespace

from autograder.hidden import hidden_cases
from autograder.hidden.seed import DEFAULT_SEED
from autograder.paths import course_root
from autograder.release.design import TARGET, design_table, share
from course_lib.grading.gradcheck import gradcheck, numerical_gradient, numerical_gradients, relative_error
from course_lib.grading.homework import all_homeworks, load_homework, names
from course_lib.grading.selfcheck import check, gradient_line

HOMEWORKS = [n.split("_")[0] for n in names()]


@pytest.mark.parametrize("hw_id", HOMEWORKS)
def test_at_least_half_of_the_points_are_derivation_first(hw_id):
    hw = load_homework(hw_id)
    first = [e.name for e in hw.exercises if e.derivation_first]
    assert share(hw) >= TARGET, f"{hw.name}: {share(hw):.0%} of the points derivation-first ({first})"


@pytest.mark.parametrize("hw_id", HOMEWORKS)
def test_every_exercise_names_edge_cases_that_hidden_cases_cover(hw_id):
    hw = load_homework(hw_id)
    problems = []
    for ex in hw.exercises:
        if not ex.edge_cases:
            problems.append(f"{ex.name}: no edge case named")
            continue
        covered = {name for c in hidden_cases(hw, ex, DEFAULT_SEED) for name in c.covers}
        problems += [f"{ex.name}: no hidden case labelled {name!r}" for name in ex.edge_cases if name not in covered]
        problems += [f"{ex.name}: a hidden case is labelled {name!r}, which edge_cases does not list"
                     for name in sorted(covered - set(ex.edge_cases))]
    assert not problems, problems


def test_the_design_table_is_current():
    path = course_root() / "docs" / "homework-design.md"
    assert path.read_text(encoding="utf-8") == design_table(), "docs/homework-design.md is stale: run `course release`"


def test_the_design_table_lists_every_exercise_with_its_kind():
    text = design_table()
    for hw in all_homeworks():
        assert f"## {hw.name}" in text
        for ex in hw.exercises:
            kind = "derivation first" if ex.derivation_first else "formula given"
            assert any(line.startswith(f"| `{ex.name}` |") and kind in line for line in text.splitlines()), ex.name


# --- the centred-difference helper, against PyTorch float64 autograd ---------------------------------------

def _loss_and_torch_grad(W, X):
    """f(W) = Σ tanh(X W)² and its gradient by PyTorch autograd (float64), independent of our code."""
    Wt = torch.tensor(W, requires_grad=True)
    loss = (torch.tanh(torch.tensor(X) @ Wt) ** 2).sum()
    (g,) = torch.autograd.grad(loss, Wt)
    return (lambda V: float(np.sum(np.tanh(X @ V) ** 2))), g.numpy()


def test_numerical_gradient_matches_autograd_for_any_shape_and_leaves_x_alone():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    f, g = _loss_and_torch_grad(W, X)
    before = W.copy()
    assert relative_error(numerical_gradient(f, W), g) < 1e-7
    assert np.array_equal(W, before)
    T = rng.normal(size=(2, 3, 2))  # a 3-D input: f(T) = Σ T³
    Tt = torch.tensor(T, requires_grad=True)
    (gT,) = torch.autograd.grad((Tt ** 3).sum(), Tt)
    assert numerical_gradient(lambda v: float(np.sum(v ** 3)), T).shape == (2, 3, 2)
    assert relative_error(numerical_gradient(lambda v: float(np.sum(v ** 3)), T), gT.numpy()) < 1e-7


def test_numerical_gradients_differentiate_each_argument_like_autograd():
    rng = np.random.default_rng(3)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    keep = [a.copy() for a in (x, W, b)]

    def loss(x_, W_, b_):
        return float(np.sum(np.tanh(x_ @ W_ + b_) ** 2))

    got = numerical_gradients(loss, (x, W, b))
    ts = [torch.tensor(a, requires_grad=True) for a in (x, W, b)]
    (torch.tanh(ts[0] @ ts[1] + ts[2]) ** 2).sum().backward()
    for g, t, a, k in zip(got, ts, (x, W, b), keep):
        assert g.shape == a.shape and relative_error(g, t.grad.numpy()) < 1e-7
        np.testing.assert_array_equal(a, k)  # the arguments are left alone


def test_gradcheck_passes_a_right_gradient_and_catches_a_missing_factor_two(capsys):
    rng = np.random.default_rng(1)
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(3, 2))
    f, g = _loss_and_torch_grad(W, X)
    assert gradcheck(f, W, g) < 1e-7
    assert "✓" in capsys.readouterr().out
    missing_two = g / 2  # d(u²) written as u·u' instead of 2u·u'
    assert gradcheck(f, W, missing_two) > 0.1
    out = capsys.readouterr().out
    assert "✗" in out and len(out.strip().splitlines()) == 1


def test_numerical_gradient_is_not_the_graded_central_difference():
    """hw03 grades central_difference; the public helper must not carry its body (tests/test_leaks.py checks the
    normalised bodies; here: the helper works on any shape through a flat view, the exercise on 1-D copies)."""
    from autograder.release.leaks import leaks

    assert not [leak for leak in leaks(course_root(), [load_homework("hw03")]) if "gradcheck" in str(leak)]


# --- the self-check prints the centred-difference line ---------------------------------------------------

def test_self_check_prints_the_centred_difference_line(capsys):
    def mse_loss_grad(w, X, y):
        r = X @ w - y
        return float(r @ r) / (2 * len(y)), X.T @ r / len(y)

    assert check("mse_loss_grad", mse_loss_grad)
    out = capsys.readouterr().out
    assert "centred-difference check: largest relative error" in out and "✓ (your gradient matches" in out


def test_self_check_names_the_output_that_disagrees_with_the_students_own_loss(capsys):
    def mse_loss_grad(w, X, y):
        r = X @ w - y
        return float(r @ r) / (2 * len(y)), X.T @ r  # the gradient forgets 1/n; the loss does not

    assert not check("mse_loss_grad", mse_loss_grad)
    out = capsys.readouterr().out
    assert "centred-difference check: grad disagrees with centred differences of your own forward pass" in out


def test_the_gradient_check_never_crashes_the_self_check(capsys):
    assert not check("mse_loss_grad", lambda w, X, y: "not a pair")
    out = capsys.readouterr().out
    assert "✗ mse_loss_grad" in out and "Traceback" not in out


def test_no_gradient_line_for_an_exercise_without_a_gradient(capsys):
    assert gradient_line("ols_closed_form", {"ols_closed_form": lambda X, y: np.zeros(X.shape[1])}) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("hw_id,name", [(hw.short, ex.name) for hw in all_homeworks() for ex in hw.exercises
                                        if ex.gradient_check is not None])
def test_the_reference_passes_its_own_gradient_check(hw_id, name):
    line = gradient_line(name, reference_namespace(hw_id))
    assert line is not None and "✓" in line, line
