"""hw01 drivers: gradient descent is given a gradient function, which cannot cross the sandbox as data."""

from __future__ import annotations

import numpy as np


def gd_on_quadratic(ns, A, b, x0, lr, num_steps):
    """Run the student's gradient_descent on f(w) = ½wᵀAw − bᵀw, whose gradient is Aw − b."""
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    return ns["gradient_descent"](lambda w: A @ np.asarray(w, dtype=float) - b, np.asarray(x0, dtype=float),
                                  lr, num_steps)
