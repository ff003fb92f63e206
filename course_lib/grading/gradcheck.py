"""Check a gradient you wrote against centred differences of your own function.

    from course_lib.grading.gradcheck import numerical_gradient, gradcheck
    f = lambda w: mse_loss_grad(w, X, y)[0]
    gradcheck(f, w, mse_loss_grad(w, X, y)[1])      # prints one line, returns the largest relative error

`numerical_gradient(f, x, h)` estimates ∂f/∂x entry by entry with (f(x + h·e) − f(x − h·e)) / (2h), for x of
any shape; the error of that estimate is O(h²) plus rounding of order ε·|f|/h, so h = 1e-6 in float64 leaves
about 1e-9 of relative error on a smooth function. A relative error near 1e-7 or below means the two agree;
1e-2 or more means a real bug (a missing factor, a transposed product, a wrong sign), unless the function has
a kink (ReLU at 0, |x| at 0) within h of the point.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

AGREE = 1e-6  # largest relative error still called agreement (float64, h = 1e-6, smooth functions)


def numerical_gradient(f: Callable, x, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x by centred differences, same shape as x; f maps an array like x to a number (x is not changed)."""
    point = np.array(x, dtype=float)  # our own copy: the caller's array is never touched
    flat = point.reshape(-1)  # a view: writing flat[k] moves `point`
    out = np.empty(flat.shape, dtype=float)
    for k in range(flat.shape[0]):
        keep = flat[k]
        flat[k] = keep + h
        up = f(point)
        flat[k] = keep - h
        down = f(point)
        flat[k] = keep
        out[k] = (np.sum(up) - np.sum(down)) * (0.5 / h)
    return out.reshape(point.shape)


def numerical_gradients(loss: Callable, params) -> list[np.ndarray]:
    """[∂loss/∂p for p in params] by centred differences, loss(*params) being a number (params are not changed)."""
    params = list(params)

    def moving(k):
        return lambda v: loss(*params[:k], v, *params[k + 1:])

    return [numerical_gradient(moving(k), p) for k, p in enumerate(params)]


def relative_error(analytic, numeric) -> float:
    """max |a − n| / max(|a| + |n|, 1e-8) over the entries (cs231n's measure); 0.0 for empty arrays."""
    a = np.asarray(analytic, dtype=float)
    n = np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"the analytic gradient has shape {a.shape}, the numerical one {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def verdict(err: float, label: str = "") -> str:
    """One kind line for a relative error: ✓ below AGREE, a hint otherwise."""
    where = f" ({label})" if label else ""
    if not np.isfinite(err):
        return f"centred-difference check{where}: the gradient contains NaN or infinity ✗"
    if err <= AGREE:
        return f"centred-difference check{where}: largest relative error {err:.1g} ✓"
    return (f"centred-difference check{where}: largest relative error {err:.1g} ✗ — your gradient does not match "
            "your own function; look for a missing factor, a sign or a transposed product")


def gradcheck(f: Callable, x, analytic, h: float = 1e-6, quiet: bool = False) -> float:
    """Largest relative error between `analytic` and centred differences of f at x; prints a one-line verdict."""
    numeric = numerical_gradient(f, x, h)
    err = relative_error(analytic, numeric)
    if not quiet:
        print(verdict(err))
    return err


def check_pairs(pairs) -> tuple[float, str | None]:
    """(largest relative error, label of the worst pair when it exceeds AGREE) over (label, analytic, numeric)."""
    worst, worst_label = 0.0, None
    for label, analytic, numeric in pairs:
        err = relative_error(analytic, numeric)
        if not np.isfinite(err) or err > worst:
            worst, worst_label = (float("inf") if not np.isfinite(err) else err), label
    return worst, (worst_label if worst > AGREE else None)
