"""hw01_gradient_descent: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw01_gradient_descent import design
from course_lib.grading.model import case


def _hidden_ols(rng):
    return [case(design(rng, n, d), rng.normal(size=n)) for n, d in [(20, 3), (50, 5), (9, 9)]]


def _hidden_mse(rng):
    return [case(rng.normal(size=d), design(rng, n, d), rng.normal(size=n)) for n, d in [(30, 4), (7, 2)]]


def _hidden_logistic(rng):
    out = []
    for n, d, s in [(40, 3, 1.0), (25, 4, 60.0), (10, 2, 0.1)]:
        X = design(rng, n, d, scale=s)
        out.append(case(rng.normal(size=d) * (5 if s > 1 else 1), X, (rng.random(n) < 0.5).astype(float)))
    return out


def _hidden_gd(rng):
    out = []
    for d, steps in [(2, 10), (4, 25)]:
        M = rng.normal(size=(d, d))
        A = M @ M.T + d * np.eye(d)
        lr = 1.0 / np.linalg.eigvalsh(A)[-1]
        out.append(case(A, rng.normal(size=d), rng.normal(size=d), lr, steps))
    return out


def _hidden_smooth(rng):
    return [case(design(rng, n, d, intercept=False, scale=s)) for n, d, s in [(30, 3, 1.0), (12, 5, 4.0)]]


HIDDEN = {
    "ols_closed_form": _hidden_ols,
    "mse_loss_grad": _hidden_mse,
    "logistic_loss_grad": _hidden_logistic,
    "gradient_descent": _hidden_gd,
    "smoothness_constant": _hidden_smooth,
}
