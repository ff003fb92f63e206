"""hw06_regularization: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.homework.hw06_regularization import offset_design, random_mask, random_x
from course_lib.grading.model import case


def _hidden_dropout(rng):
    out = []
    for train in (True, True, True, False):
        n = int(rng.integers(50, 200))
        x = random_x(rng, (n, 60_000 // n), scale=float(rng.uniform(0.5, 3)))
        c = case(x, float(np.round(rng.uniform(0.1, 0.9), 3)), train, int(rng.integers(1, 2**31)))
        out.append(c if train else c.edge("evaluation mode (train = False)"))
    out.append(case(random_x(rng, (100, 600)), 0.0, True, int(rng.integers(1, 2**31))).edge("p = 0 (keep everything)"))
    return out


def _hidden_dropout_back(rng):
    out = []
    for _ in range(3):
        shape = (int(rng.integers(2, 20)), int(rng.integers(2, 20)))
        p = float(rng.uniform(0.05, 0.9))
        out.append(case(rng.normal(size=shape), random_mask(rng, shape, p), p))
    out.append(case(rng.normal(size=(5, 4)), np.ones((5, 4)), 0.0).edge("p = 0 (identity)"))
    out.append(case(rng.normal(size=(6, 7)), random_mask(rng, (6, 7), 0.95), 0.95).edge("high drop rate (p = 0.95)"))
    return out


def _hidden_ridge(rng):
    out = [case(*offset_design(rng, n, d), lam) for n, d, lam in [(40, 5, 0.05), (25, 3, 3.0)]]
    out.append(case(*offset_design(rng, 10, 12), 1.0).edge("more features than examples (d > n)"))
    out.append(case(*offset_design(rng, 30, 4), 0.0).edge("lam = 0 (least squares with an intercept)"))
    X, y = offset_design(rng, 25, 5)
    X[:, 1] = 4.0  # its centred column is 0: only the intercept can use it, and the penalty sets w_1 = 0
    out.append(case(X, y, 0.2).edge("a constant column"))
    X, y = offset_design(rng, 30, 4, shift=200.0, intercept=-300.0)
    out.append(case(X, y, 0.1).edge("data far from the origin"))
    return out


def _hidden_soft(rng):
    return [
        case(rng.normal(size=12) * 2, float(rng.uniform(0.1, 1.5))),
        case(float(rng.normal() * 3), 0.7).edge("a scalar input"),
        case(rng.normal(size=(3, 4)), 0.0).edge("lam = 0 (identity)"),
        case(np.array([0.0, 0.6, -0.6, 0.6000001, -2.0, 0.0]), 0.6).edge("entries exactly at 0 and ±lam"),
    ]


def _hidden_lasso(rng):
    out = []
    for n, d, lam, sweeps in [(25, 4, 0.2, 2), (40, 8, 0.05, 4), (20, 6, 0.1, 3000)]:
        X, y = offset_design(rng, n, d)
        out.append(case(X, y, lam, sweeps))
    X, y = offset_design(rng, 30, 5)
    X = X * np.array([1.0, 20.0, 0.05, 3.0, 0.5])  # the updates must divide by each column's own curvature
    out.append(case(X, y, 0.05, 50).edge("unnormalised columns of different scales"))
    X, y = offset_design(rng, 20, 4)
    X[:, 2] = 0.0
    out.append(case(X, y, 0.1, 30).edge("an all-zero column"))
    X, y = offset_design(rng, 15, 3)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    lam = on_grid(2.0 * float(np.max(np.abs(Xc.T @ yc))) / 15)  # every weight stays 0, b = mean(y)
    out.append(case(X, y, lam, 3).edge("lam so large that every weight is 0"))
    X, y = offset_design(rng, 30, 4, shift=50.0, intercept=-80.0)
    out.append(case(X, y, 0.05, 5).edge("data far from the origin"))
    return out


def _hidden_early(rng):
    out = []
    for patience in (1, 3, 5):
        t = np.arange(40)
        curve = on_grid(2.0 * np.exp(-t / 6) + 0.02 * np.maximum(t - 15, 0) + 0.08 * rng.normal(size=40))
        c = case([float(v) for v in curve], patience)
        out.append(c.edge("patience = 1") if patience == 1 else c)
    # the two ties use up the patience: stop after epoch 3 and restore epoch 1 (not the later tie, epoch 3)
    out.append(case([2.0, 1.5, 1.5, 1.5, 1.2, 1.2, 0.5], 2).edge("ties are not improvements"))
    out.append(case([float(v) for v in np.linspace(3.0, 1.0, 9)], 4).edge("the list ends before patience runs out"))
    return out


def _hidden_kfold(rng):
    # an uneven split, leave-one-out (k = n), two folds of an odd n, a large n
    n = int(rng.integers(30, 200))
    return [case(n, int(rng.integers(3, 10)), int(rng.integers(1, 2**31))),
            case(13, 13, int(rng.integers(1, 2**31))).edge("leave-one-out (k = n)"),
            case(2 * int(rng.integers(6, 40)) + 1, 2, int(rng.integers(1, 2**31))).edge(
                "uneven split (k does not divide n)"),
            case(1000, 7, int(rng.integers(1, 2**31)))]


HIDDEN = {
    "dropout_forward": _hidden_dropout,
    "dropout_backward": _hidden_dropout_back,
    "ridge_with_intercept": _hidden_ridge,
    "soft_threshold": _hidden_soft,
    "lasso_cd_with_intercept": _hidden_lasso,
    "early_stopping_epoch": _hidden_early,
    "k_fold_indices": _hidden_kfold,
}
