"""hw01_gradient_descent: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.homework.hw01_gradient_descent import design
from course_lib.grading.model import case


def _hidden_ols(rng):
    out = [case(design(rng, n, d), rng.normal(size=n)) for n, d in [(20, 3), (50, 5)]]
    out.append(case(design(rng, 9, 9), rng.normal(size=9)).edge("square system (n = d)"))
    X = design(rng, 30, 4) * np.array([1.0, 100.0, 0.01, 3.0])  # cond(XᵀX) ≈ 1e8: still well inside float64
    out.append(case(X, rng.normal(size=30)).edge("columns of very different scales"))
    return out


def _hidden_mse(rng):
    out = [case(rng.normal(size=d), design(rng, n, d), rng.normal(size=n)) for n, d in [(30, 4), (7, 2)]]
    out.append(case(rng.normal(size=3), design(rng, 500, 3), rng.normal(size=500)).edge("many examples (n = 500)"))
    X = design(rng, 10, 3, scale=100.0)
    out.append(case(rng.normal(size=3) * 50, X, rng.normal(size=10) * 1e4).edge("large residuals (|Xw − y| ~ 1e4)"))
    return out


def _hidden_logistic(rng):
    labels = {1.0: (), 60.0: ("large logits (|z| in the hundreds)",), 0.1: ("tiny logits (z near 0)",)}
    out = []
    for n, d, s in [(40, 3, 1.0), (25, 4, 60.0), (10, 2, 0.1)]:
        X = design(rng, n, d, scale=s)
        c = case(rng.normal(size=d) * (5 if s > 1 else 1), X, (rng.random(n) < 0.5).astype(float))
        out.append(c.edge(*labels[s]))
    out.append(case(rng.normal(size=3), design(rng, 1, 3), np.array([1.0])).edge("batch of one"))
    return out


def _hidden_gd(rng):
    out = []
    labels = {1: ("one-dimensional problem (d = 1)",), 3: ("zero steps",)}
    for d, steps in [(2, 10), (4, 25), (1, 6), (3, 0)]:
        M = on_grid(rng.normal(size=(d, d)), 2.0**-8)  # coarse grid: M @ M.T is exact on every machine
        A = M @ M.T + d * np.eye(d)
        lr = on_grid(1.0 / np.linalg.eigvalsh(A)[-1])  # LAPACK's last bits differ between CPUs
        out.append(case(A, rng.normal(size=d), rng.normal(size=d), lr, steps).edge(*labels.get(d, ())))
    return out


def _hidden_smooth(rng):
    out = [case(design(rng, 30, 3, intercept=False))]
    X = design(rng, 12, 5, intercept=False) * np.array([1.0, 50.0, 0.02, 1.0, 4.0])
    out.append(case(X).edge("columns of very different scales"))
    out.append(case(design(rng, 4, 7, intercept=False)).edge("wide matrix (n < d, rank-deficient XᵀX)"))
    return out


HIDDEN = {
    "ols_closed_form": _hidden_ols,
    "mse_loss_grad": _hidden_mse,
    "logistic_loss_grad": _hidden_logistic,
    "gradient_descent": _hidden_gd,
    "smoothness_constant": _hidden_smooth,
}
