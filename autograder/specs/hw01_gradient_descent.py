"""hw01 spec: least squares, MSE and logistic loss+gradient, gradient descent, smoothness constant."""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _design(rng, n, d, intercept=True, scale=1.0):
    X = rng.normal(size=(n, d)) * scale
    if intercept:
        X[:, 0] = 1.0
    return X


def _pub_ols():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = np.array([1.0, 3.0, 5.0, 7.0])  # y = 1 + 2x exactly
    X2 = np.column_stack([np.ones(6), np.arange(6.0), np.arange(6.0) ** 2])
    y2 = np.array([2.0, 0.5, 1.0, 4.0, 9.5, 15.0])
    return [case(X, y), case(X2, y2)]


def _hidden_ols(rng):
    return [case(_design(rng, n, d), rng.normal(size=n)) for n, d in [(20, 3), (50, 5), (9, 9)]]


def _pub_mse():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    return [case(np.array([0.5, -1.0]), X, np.array([1.0, 0.0, -1.0])),
            case(np.zeros(2), X, np.array([2.0, 2.0, 2.0]))]


def _hidden_mse(rng):
    return [case(rng.normal(size=d), _design(rng, n, d), rng.normal(size=n)) for n, d in [(30, 4), (7, 2)]]


def _pub_logistic():
    X = np.array([[1.0, 0.5], [1.0, -1.5], [1.0, 2.0], [1.0, 0.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    big = np.array([[1.0, 300.0], [1.0, -400.0], [1.0, 250.0]])
    return [case(np.array([0.1, -0.3]), X, y), case(np.array([0.0, 1.0]), big, np.array([0.0, 1.0, 1.0]))]


def _hidden_logistic(rng):
    out = []
    for n, d, s in [(40, 3, 1.0), (25, 4, 60.0), (10, 2, 0.1)]:
        X = _design(rng, n, d, scale=s)
        out.append(case(rng.normal(size=d) * (5 if s > 1 else 1), X, (rng.random(n) < 0.5).astype(float)))
    return out


def _pub_gd():
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -1.0])
    return [case(A, b, np.array([2.0, -3.0]), 0.1, 5), case(np.eye(3), np.ones(3), np.zeros(3), 1.0, 1)]


def _hidden_gd(rng):
    out = []
    for d, steps in [(2, 10), (4, 25)]:
        M = rng.normal(size=(d, d))
        A = M @ M.T + d * np.eye(d)
        lr = 1.0 / np.linalg.eigvalsh(A)[-1]
        out.append(case(A, rng.normal(size=d), rng.normal(size=d), lr, steps))
    return out


def _pub_smooth():
    return [case(np.array([[1.0, 0.0], [0.0, 2.0]])), case(np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 0.0]]))]


def _hidden_smooth(rng):
    return [case(_design(rng, n, d, intercept=False, scale=s)) for n, d, s in [(30, 3, 1.0), (12, 5, 4.0)]]


HOMEWORK = Homework(
    name="hw01_gradient_descent",
    exercises=[
        Exercise("ols_closed_form", 2, _pub_ols(), _hidden_ols, rtol=1e-6, atol=1e-8),
        Exercise("mse_loss_grad", 2, _pub_mse(), _hidden_mse, rtol=1e-6, atol=1e-9),
        Exercise("logistic_loss_grad", 3, _pub_logistic(), _hidden_logistic, rtol=1e-6, atol=1e-9),
        Exercise("gradient_descent", 2, _pub_gd(), _hidden_gd, driver="hw01.gd_on_quadratic",
                 rtol=1e-7, atol=1e-10),
        Exercise("smoothness_constant", 1, _pub_smooth(), _hidden_smooth, rtol=1e-7, atol=1e-10),
    ],
)
