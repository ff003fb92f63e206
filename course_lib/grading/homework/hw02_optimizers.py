"""hw02, public part: momentum, AdaGrad, RMSProp and Adam steps, the best pair of alternating GD steps, the best
heavy-ball momentum for a given step, the polar factor by cubic Newton–Schulz, and a backtracking (Armijo) line search.

The line search takes callables, which cannot cross the sandbox as data: each case names an objective defined
here (OBJECTIVES) and the driver builds f and its gradient beside the student's code.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.hints import Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case

_W = np.array([0.5, -1.0, 2.0])
_G = np.array([0.1, -0.3, 0.02])
_M = np.array([[1.0, -2.0], [0.5, 0.25]])
_GM = np.array([[0.3, 1e-4], [-2.0, 0.0]])


def vec(rng, shape, scale=1.0):
    return rng.normal(size=shape) * scale


def _pub_momentum():
    return [case(_W, _G, np.zeros(3), 0.1, 0.9), case(_M, _GM, np.array([[0.2, -0.1], [0.0, 0.3]]), 0.05, 0.5)]


def _pub_adagrad():
    return [case(_W, _G, np.zeros(3), 0.1, 1e-10), case(_M, _GM, np.array([[0.04, 1e-6], [1.0, 0.0]]), 0.5, 1e-2)]


def _pub_rmsprop():
    return [
        case(_W, _G, np.zeros(3), 0.01, 0.99, 1e-8),
        case(_M, _GM, np.array([[0.09, 1e-6], [4.0, 0.0]]), 0.1, 0.9, 1e-2),
    ]


def _pub_adam():
    z = np.zeros(3)
    return [
        case(_W, _G, z, z, 1, 0.001, 0.9, 0.999, 1e-8),
        case(
            _M,
            _GM,
            np.array([[0.1, 0.0], [-0.2, 0.05]]),
            np.array([[0.01, 1e-8], [0.04, 0.0]]),
            3,
            0.01,
            0.9,
            0.999,
            1e-3,
        ),
    ]


def _pub_step_pair():
    return [case(1.0, 3.0), case(0.01, 1.0)]


def _pub_momentum_for_step():
    return [case(1.0, 0.01, 1.0), case(0.5, 1.0, 4.0)]  # alpha = 1/lam_max; alpha*lam in [0.5, 2]


def _pub_polar():
    G1 = np.array([[1.0, 0.0, 0.0], [0.0, 0.1, 0.0]])  # diagonal: the singular values go through p(σ)
    G2 = np.array([[3.0, 1.0], [1.0, -2.0], [0.5, 0.5], [0.0, 1.0]])  # tall: transposed inside
    return [case(G1), case(G2, tol=1e-6)]


# Objectives for the line search: name -> (f, grad) of a vector x (any length d >= 2).
def _quad_weights(x):
    return np.arange(1.0, x.size + 1.0) ** 2  # condition number d², so fixed steps struggle


def _rosenbrock(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def _rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def _softplus_sum(x):
    z = np.arange(1.0, x.size + 1.0) * x - 1.0
    return float(np.sum(np.logaddexp(0.0, z)) + 0.05 * x @ x)


def _softplus_sum_grad(x):
    w = np.arange(1.0, x.size + 1.0)
    return w / (1.0 + np.exp(-(w * x - 1.0))) + 0.1 * x


OBJECTIVES = {
    "quadratic": (lambda x: 0.5 * float(np.sum(_quad_weights(x) * x * x)), lambda x: _quad_weights(x) * x),
    "rosenbrock": (_rosenbrock, _rosenbrock_grad),
    "softplus": (_softplus_sum, _softplus_sum_grad),
}


def objective(name):
    """(f, grad) for a named objective; f returns a float, grad an array like x."""
    if name not in OBJECTIVES:
        raise KeyError(f"unknown objective {name!r}")
    f, g = OBJECTIVES[name]
    return (lambda x: f(np.array(x, dtype=float))), (lambda x: g(np.array(x, dtype=float)))


def line_search_on(ns, name, x, d, alpha0, rho, c, **kwargs):
    """The student's backtracking_line_search on a named objective, from x along d."""
    f, grad = objective(name)
    return float(ns["backtracking_line_search"](f, grad, np.array(x, dtype=float), np.array(d, dtype=float),
                                                alpha0, rho, c, **kwargs))


def line_search_call(args, kwargs):
    """backtracking_line_search(f, grad, x, d, alpha0, rho, c) on the named objective."""
    name, x, d, alpha0, rho, c = args[:6]
    inputs = {"x": x, "d": d, "alpha0": alpha0, "rho": rho, "c": c, **kwargs}
    return StudentCall(f"backtracking_line_search(f, grad, {', '.join(inputs)})", inputs,
                       f"f, grad: the {name} objective and its gradient")


def _pub_line_search():
    x = np.array([1.0, 1.0, 1.0])
    _, grad = objective("quadratic")
    r0 = np.array([-1.2, 1.0])
    _, rgrad = objective("rosenbrock")
    return [
        case("quadratic", x, -grad(x), 1.0, 0.5, 1e-4),  # the full step overshoots; one halving is enough
        case("quadratic", x, -grad(x), 0.05, 0.5, 1e-4),  # the first trial step is accepted as it is
        case("quadratic", x, -np.array([1.0, 2.0, 3.0]), 1.0, 0.3, 0.5),  # d is not -grad; strict c
        case("rosenbrock", r0, -rgrad(r0), 1.0, 0.5, 1e-4),  # many halvings
        case("rosenbrock", r0, -rgrad(r0), 1.0, 0.5, 1e-4, max_steps=3),  # no trial passes: the last one tried
    ]


HOMEWORK = Homework(
    name="hw02_optimizers",
    exercises=[
        Exercise("momentum_step", 1, _pub_momentum(), params=("w", "g", "v", "lr", "mu"),
                 hints=Hints(outputs=("w", "v")), rtol=1e-09, atol=1e-12,
                 edge_cases=("mu = 0 (plain gradient descent)", "matrix-shaped parameters")),
        Exercise("adagrad_step", 1, _pub_adagrad(), params=("w", "g", "s", "lr", "eps"),
                 hints=Hints(outputs=("w", "s")), rtol=1e-09, atol=1e-12,
                 edge_cases=("large eps, tiny gradients", "matrix-shaped parameters")),
        Exercise("rmsprop_step", 1, _pub_rmsprop(), params=("w", "g", "s", "lr", "rho", "eps"),
                 hints=Hints(outputs=("w", "s")), rtol=1e-09, atol=1e-12,
                 edge_cases=("large eps, tiny gradients", "matrix-shaped parameters")),
        Exercise("adam_step", 2, _pub_adam(), params=("w", "g", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
                 hints=Hints(outputs=("w", "m", "v")), rtol=1e-09, atol=1e-12, derivation_first=True,
                 edge_cases=("first step (t = 1, zero moments)", "large eps, tiny gradients",
                             "late step (bias correction near 1)")),
        Exercise("optimal_step_pair", 1, _pub_step_pair(), params=("lam_min", "lam_max"),
                 hints=Hints(outputs=("alpha1", "alpha2", "rate")), rtol=1e-09, atol=1e-12, derivation_first=True,
                 edge_cases=("kappa = 1 (rate 0)", "ill-conditioned (kappa = 1000)")),
        Exercise("momentum_for_step", 2, _pub_momentum_for_step(), params=("alpha", "lam_min", "lam_max"),
                 hints=Hints(outputs=("beta", "rate")), rtol=1e-09, atol=1e-12, derivation_first=True,
                 edge_cases=("kappa = 1 and alpha = 1/lambda (beta = 0)", "ill-conditioned (kappa = 10^4)",
                             "lecture 2's optimal step (both ends on the edge)",
                             "every alpha*lambda above 1 (the large end decides)")),
        Exercise("polar_factor", 2, _pub_polar(), params=("G", "tol", "max_steps"),
                 hints=Hints(outputs=("O", "steps")), rtol=1e-06, atol=1e-09, derivation_first=True,
                 edge_cases=("tall matrix (transpose and back)", "rank-deficient input (never within tol)",
                             "a single row (orthogonal once normalised: 0 steps)",
                             "a tiny singular value (many steps)")),
        Exercise("backtracking_line_search", 2, _pub_line_search(),
                 params=("f", "grad", "x", "d", "alpha0", "rho", "c", "max_steps"), driver=line_search_on,
                 student_call=line_search_call, rtol=1e-12, atol=0.0,
                 derivation_first=True,
                 edge_cases=("preconditioned direction (d ≠ −∇f)", "short direction d = −∇f/2 with a strict c",
                             "non-convex objective (Rosenbrock)", "small first trial step accepted at once")),
    ],
)
