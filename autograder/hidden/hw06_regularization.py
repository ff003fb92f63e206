"""hw06_regularization: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw06_regularization import design, random_mask, random_x
from course_lib.grading.model import case


def _hidden_dropout(rng):
    out = []
    for train in (True, True, True, False):
        n = int(rng.integers(50, 200))
        x = random_x(rng, (n, 60_000 // n), scale=float(rng.uniform(0.5, 3)))
        out.append(case(x, float(np.round(rng.uniform(0.1, 0.9), 3)), train, int(rng.integers(1, 2**31))))
    return out


def _hidden_dropout_back(rng):
    out = []
    for _ in range(3):
        shape = (int(rng.integers(2, 20)), int(rng.integers(2, 20)))
        p = float(rng.uniform(0.05, 0.9))
        out.append(case(rng.normal(size=shape), random_mask(rng, shape, p), p))
    return out


def _hidden_ridge(rng):
    return [case(*design(rng, n, d), lam) for n, d, lam in [(40, 5, 0.05), (10, 12, 1.0), (25, 3, 3.0)]]


def _hidden_soft(rng):
    return [
        case(rng.normal(size=12) * 2, float(rng.uniform(0.1, 1.5))),
        case(float(rng.normal() * 3), 0.7),
        case(rng.normal(size=(3, 4)), 0.0),
    ]


def _hidden_lasso(rng):
    out = []
    for n, d, lam, sweeps in [(25, 4, 0.2, 2), (40, 8, 0.05, 4), (20, 6, 0.1, 400)]:
        X, y = design(rng, n, d)
        out.append(case(X, y, lam, sweeps))
    return out


def _hidden_early(rng):
    out = []
    for patience in (1, 3, 5):
        t = np.arange(40)
        curve = 2.0 * np.exp(-t / 6) + 0.02 * np.maximum(t - 15, 0) + 0.08 * rng.normal(size=40)
        out.append(case([float(v) for v in curve], patience))
    return out


def _hidden_kfold(rng):
    # an uneven split, leave-one-out (k = n), two folds of an odd n, a large n
    n = int(rng.integers(30, 200))
    return [case(n, int(rng.integers(3, 10)), int(rng.integers(1, 2**31))), case(13, 13, int(rng.integers(1, 2**31))),
            case(2 * int(rng.integers(6, 40)) + 1, 2, int(rng.integers(1, 2**31))),
            case(1000, 7, int(rng.integers(1, 2**31)))]


HIDDEN = {
    "dropout_forward": _hidden_dropout,
    "dropout_backward": _hidden_dropout_back,
    "ridge_closed_form": _hidden_ridge,
    "soft_threshold": _hidden_soft,
    "lasso_coordinate_descent": _hidden_lasso,
    "early_stopping_epoch": _hidden_early,
    "k_fold_indices": _hidden_kfold,
}
