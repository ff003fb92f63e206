"""hw06 spec: dropout (graded by properties), ridge, soft thresholding, lasso by coordinate descent, early stopping.

Objective scaling (stated in the homework, no intercept; centre X and y first if you want one):
  ridge  (1/(2n))·‖Xw − y‖² + (λ/2)·‖w‖²   ⇒ (XᵀX + nλI) w = Xᵀy   (sklearn Ridge(alpha=nλ))
  lasso  (1/(2n))·‖Xw − y‖² + λ·‖w‖₁                                (sklearn Lasso(alpha=λ))
Lasso coordinate descent is specified exactly (start at 0, cyclic j = 0..d−1, `num_sweeps` full sweeps),
so iterates after a few sweeps are compared by value, and one case per set is run to convergence.
"""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _x(rng, shape, scale=1.0):
    return rng.normal(size=shape) * scale + 0.5


def _pub_dropout():
    rng = np.random.default_rng(21)
    x = _x(rng, (100, 500))
    small = np.arange(1.0, 13.0).reshape(3, 4)
    return [case(x, 0.5, True, 1), case(x, 0.2, True, 2), case(x, 0.7, True, 3), case(x, 0.7, False, 4),
            case(x, 0.0, True, 5), case(small, 0.5, True, 6)]


def _hidden_dropout(rng):
    out = []
    for train in (True, True, True, False):
        n = int(rng.integers(50, 200))
        x = _x(rng, (n, 60_000 // n), scale=float(rng.uniform(0.5, 3)))
        out.append(case(x, float(np.round(rng.uniform(0.1, 0.9), 3)), train, int(rng.integers(1, 2**31))))
    return out


def _mask(rng, shape, p):
    return (rng.random(shape) >= p).astype(float)


def _pub_dropout_back():
    rng = np.random.default_rng(22)
    return [case(rng.normal(size=(4, 5)), _mask(rng, (4, 5), 0.5), 0.5),
            case(rng.normal(size=(3, 6)), _mask(rng, (3, 6), 0.2), 0.2),
            case(np.ones((2, 3)), np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), 0.75)]


def _hidden_dropout_back(rng):
    out = []
    for _ in range(3):
        shape = (int(rng.integers(2, 20)), int(rng.integers(2, 20)))
        p = float(rng.uniform(0.05, 0.9))
        out.append(case(rng.normal(size=shape), _mask(rng, shape, p), p))
    return out


def _design(rng, n, d):
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0, size=d)  # columns of different scales
    w = rng.normal(size=d) * (rng.random(d) < 0.6)
    return X, X @ w + 0.3 * rng.normal(size=n)


def _pub_ridge():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = np.array([1.0, 3.0, 5.0, 7.0])
    rng = np.random.default_rng(23)
    X2, y2 = _design(rng, 30, 6)
    X3, y3 = _design(rng, 5, 8)  # more features than examples: ridge still has a unique solution
    return [case(X, y, 0.0), case(X, y, 0.5), case(X2, y2, 0.1), case(X3, y3, 0.3)]


def _hidden_ridge(rng):
    return [case(*_design(rng, n, d), lam) for n, d, lam in [(40, 5, 0.05), (10, 12, 1.0), (25, 3, 3.0)]]


def _pub_soft():
    return [case(np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]), 1.0), case(2.5, 1.0), case(-0.2, 0.5),
            case(np.array([[0.3, -2.0], [1.5, -0.1]]), 0.25)]


def _hidden_soft(rng):
    return [case(rng.normal(size=12) * 2, float(rng.uniform(0.1, 1.5))), case(float(rng.normal() * 3), 0.7),
            case(rng.normal(size=(3, 4)), 0.0)]


def _pub_lasso():
    rng = np.random.default_rng(24)
    X, y = _design(rng, 30, 5)
    return [case(X, y, 0.1, 1), case(X, y, 0.1, 3), case(X, y, 0.05, 500), case(X, y, 100.0, 2),
            case(X, y, 0.0, 300)]


def _hidden_lasso(rng):
    out = []
    for n, d, lam, sweeps in [(25, 4, 0.2, 2), (40, 8, 0.05, 4), (20, 6, 0.1, 400)]:
        X, y = _design(rng, n, d)
        out.append(case(X, y, lam, sweeps))
    return out


def _pub_early():
    bumpy = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 2.0, 2.5]
    return [case(bumpy, 3), case(bumpy, 4), case([3.0, 2.0, 1.5, 1.0, 0.9], 2), case([1.0, 1.0, 1.0, 1.0], 2),
            case([3.0, 2.0, 2.5, 1.0], 1)]


def _hidden_early(rng):
    out = []
    for patience in (1, 3, 5):
        t = np.arange(40)
        curve = 2.0 * np.exp(-t / 6) + 0.02 * np.maximum(t - 15, 0) + 0.08 * rng.normal(size=40)
        out.append(case([float(v) for v in curve], patience))
    return out


HOMEWORK = Homework(
    name="hw06_regularization",
    exercises=[
        Exercise("dropout_forward", 2, _pub_dropout(), _hidden_dropout, driver="hw06.dropout_draw",
                 check="hw06.dropout_props"),
        Exercise("dropout_backward", 1, _pub_dropout_back(), _hidden_dropout_back, rtol=1e-10, atol=1e-12),
        Exercise("ridge_closed_form", 2, _pub_ridge(), _hidden_ridge, rtol=1e-6, atol=1e-8),
        Exercise("soft_threshold", 1, _pub_soft(), _hidden_soft, rtol=1e-10, atol=1e-12),
        Exercise("lasso_coordinate_descent", 3, _pub_lasso(), _hidden_lasso, rtol=1e-6, atol=1e-8),
        Exercise("early_stopping_epoch", 1, _pub_early(), _hidden_early, rtol=0, atol=0),
    ],
)
