"""hw01, public part: least squares, MSE and logistic loss+gradient, gradient descent, smoothness constant.

Drivers and property checks:
hw01 drivers: gradient descent is given a gradient function, which cannot cross the sandbox as data.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.gradcheck import numerical_gradient
from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case


def design(rng, n, d, intercept=True, scale=1.0):
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


def _pub_mse():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    return [case(np.array([0.5, -1.0]), X, np.array([1.0, 0.0, -1.0])), case(np.zeros(2), X, np.array([2.0, 2.0, 2.0]))]


def _pub_logistic():
    X = np.array([[1.0, 0.5], [1.0, -1.5], [1.0, 2.0], [1.0, 0.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    big = np.array([[1.0, 300.0], [1.0, -400.0], [1.0, 250.0]])
    return [case(np.array([0.1, -0.3]), X, y), case(np.array([0.0, 1.0]), big, np.array([0.0, 1.0, 1.0]))]


def _pub_gd():
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -1.0])
    return [case(A, b, np.array([2.0, -3.0]), 0.1, 5), case(np.eye(3), np.ones(3), np.zeros(3), 1.0, 1)]


def _pub_smooth():
    return [case(np.array([[1.0, 0.0], [0.0, 2.0]])), case(np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 0.0]]))]


def gd_on_quadratic(ns, A, b, x0, lr, num_steps):
    """Run the student's gradient_descent on f(w) = ½wᵀAw − bᵀw, whose gradient is Aw − b."""
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    return ns["gradient_descent"](
        lambda w: A @ np.asarray(w, dtype=float) - b, np.asarray(x0, dtype=float), lr, num_steps
    )


def gd_call(args, kwargs):
    """gradient_descent(grad_fn, x0, lr, num_steps) on the quadratic the driver builds from A and b."""
    A, b, x0, lr, num_steps = args[:5]
    return StudentCall("gradient_descent(grad_fn, x0, lr, num_steps)",
                       {"A": A, "b": b, "x0": x0, "lr": lr, "num_steps": num_steps},
                       "grad_fn(w) = A @ w − b, the gradient of ½ wᵀAw − bᵀw")


def _n_examples(v):
    return [Factor(np.shape(v["X"])[0], "n, the number of examples (X.shape[0])",
                   "did you sum where the mean is asked?", "did you divide by n twice?")]


LOSS_HINTS = Hints(outputs=("loss", "grad"), factors=_n_examples)
MEAN_HINTS = Hints(factors=_n_examples)
PATH_HINTS = Hints(steps=0, advice={"step": "row 0 is x0 and row k a copy of the iterate after k steps, "
                                            "num_steps + 1 rows"})


def loss_grad_check(name):
    """A gradient check for `name(w, X, y) -> (loss, grad)`: the student's grad beside centred differences of the
    student's own loss, at the case's point."""

    def check_grad(ns, args, kwargs):
        fn = ns[name]
        w, X, y = (np.asarray(a, dtype=float) for a in args[:3])
        analytic = np.asarray(fn(w, X, y)[1], dtype=float)
        return [("grad", analytic, numerical_gradient(lambda v: float(fn(v, X, y)[0]), w))]

    check_grad.__name__ = f"{name}_gradient_check"
    return check_grad


HOMEWORK = Homework(
    name="hw01_gradient_descent",
    exercises=[
        Exercise("ols_closed_form", 2, _pub_ols(), params=("X", "y"), hints=MEAN_HINTS, rtol=1e-06, atol=1e-08,
                 derivation_first=True,
                 edge_cases=("square system (n = d)", "columns of very different scales")),
        Exercise("mse_loss_grad", 2, _pub_mse(), params=("w", "X", "y"), hints=LOSS_HINTS, rtol=1e-06, atol=1e-09,
                 derivation_first=True,
                 edge_cases=("many examples (n = 500)", "large residuals (|Xw − y| ~ 1e4)"),
                 gradient_check=loss_grad_check("mse_loss_grad")),
        Exercise("logistic_loss_grad", 3, _pub_logistic(), params=("beta", "X", "y"), hints=LOSS_HINTS, rtol=1e-06,
                 atol=1e-09, derivation_first=True,
                 edge_cases=("large logits (|z| in the hundreds)", "batch of one", "tiny logits (z near 0)"),
                 gradient_check=loss_grad_check("logistic_loss_grad")),
        Exercise("gradient_descent", 2, _pub_gd(), params=("grad_fn", "x0", "lr", "num_steps"),
                 driver=gd_on_quadratic, student_call=gd_call, hints=PATH_HINTS, rtol=1e-07, atol=1e-10,
                 edge_cases=("zero steps", "one-dimensional problem (d = 1)")),
        Exercise("smoothness_constant", 1, _pub_smooth(), params=("X",), hints=MEAN_HINTS, rtol=1e-07, atol=1e-10,
                 derivation_first=True,
                 edge_cases=("wide matrix (n < d, rank-deficient XᵀX)", "columns of very different scales")),
    ],
)
