"""hw02_optimizers: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.homework.hw02_optimizers import objective, vec
from course_lib.grading.model import case


def _hidden_momentum(rng):
    out = []
    for shape, lr, mu in [((4,), 0.01, 0.99), ((3, 2), 0.5, 0.0), ((6,), 1.0, 0.9)]:
        c = case(vec(rng, shape), vec(rng, shape), vec(rng, shape, 0.1), lr, mu)
        out.append(c.edge("mu = 0 (plain gradient descent)", "matrix-shaped parameters") if mu == 0.0 else c)
    return out


def _hidden_adagrad(rng):
    out = []
    for shape, lr, eps, gs in [((5,), 0.01, 1e-10, 1.0), ((2, 3), 1.0, 0.1, 1e-3), ((4,), 0.3, 1e-8, 10.0)]:
        c = case(vec(rng, shape), vec(rng, shape, gs), vec(rng, shape, gs) ** 2, lr, eps)
        out.append(c.edge("large eps, tiny gradients", "matrix-shaped parameters") if len(shape) == 2 else c)
    return out


def _hidden_rmsprop(rng):
    out = []
    for shape, lr, rho, eps, gs in [
        ((5,), 0.01, 0.99, 1e-8, 1.0),
        ((2, 3), 0.1, 0.5, 0.1, 1e-3),
        ((4,), 1e-3, 0.9, 1e-6, 5.0),
    ]:
        c = case(vec(rng, shape), vec(rng, shape, gs), vec(rng, shape, gs) ** 2, lr, rho, eps)
        out.append(c.edge("large eps, tiny gradients", "matrix-shaped parameters") if len(shape) == 2 else c)
    return out


def _hidden_adam(rng):
    out = []
    for shape, t, lr, b1, b2, eps, gs in [
        ((5,), 1, 1e-3, 0.9, 0.999, 1e-8, 1.0),
        ((2, 3), 2, 0.1, 0.8, 0.99, 1e-2, 1e-3),
        ((4,), 10, 0.01, 0.9, 0.999, 1e-8, 3.0),
        ((3,), 500, 0.05, 0.95, 0.9999, 1e-6, 1e-2),
    ]:
        m = vec(rng, shape, gs * 0.3) if t > 1 else np.zeros(shape)
        v = (vec(rng, shape, gs * 0.3) ** 2) if t > 1 else np.zeros(shape)
        labels = {1: ("first step (t = 1, zero moments)",), 2: ("large eps, tiny gradients",),
                  500: ("late step (bias correction near 1)",)}.get(t, ())
        out.append(case(vec(rng, shape), vec(rng, shape, gs), m, v, t, lr, b1, b2, eps).edge(*labels))
    return out


def _hidden_step_pair(rng):
    pairs = [(rng.uniform(0.1, 2), 10.0), (rng.uniform(1e-3, 1e-2), 1e3), (rng.uniform(1, 5), 1.0)]
    labels = {1e3: ("ill-conditioned (kappa = 1000)",), 1.0: ("kappa = 1 (rate 0)",)}
    return [case(float(a), float(a * k)).edge(*labels.get(k, ())) for a, k in pairs]


def _hidden_momentum_for_step(rng):
    lo = float(rng.uniform(0.1, 2))
    tiny = float(rng.uniform(1e-3, 1e-2))
    one = float(rng.uniform(1, 5))
    mid = float(rng.uniform(0.05, 1))
    big = float(rng.uniform(0.5, 3))
    joint = (2.0 / (np.sqrt(mid) + np.sqrt(100 * mid))) ** 2
    return [
        case(float(rng.uniform(0.3, 1.5)) / (10 * lo), lo, 10 * lo),
        case(1.0 / (1e4 * tiny), tiny, 1e4 * tiny).edge("ill-conditioned (kappa = 10^4)"),
        case(1.0 / one, one, one).edge("kappa = 1 and alpha = 1/lambda (beta = 0)"),
        case(float(joint), mid, 100 * mid).edge("lecture 2's optimal step (both ends on the edge)"),
        case(2.5 / big, big, 1.2 * big).edge("every alpha*lambda above 1 (the large end decides)"),
    ]


def _hidden_polar(rng):
    out = [case(vec(rng, (6, 4), 2.0)).edge("tall matrix (transpose and back)"),
           case(vec(rng, (3, 7)), tol=1e-6), case(vec(rng, (5, 5)), tol=1e-12),
           case(vec(rng, (1, 6), 3.0)).edge("a single row (orthogonal once normalised: 0 steps)"),
           case(vec(rng, (5, 1))).edge("a single row (orthogonal once normalised: 0 steps)",
                                        "tall matrix (transpose and back)")]
    # rank 2: the zero singular values stay zero (factors on a coarse grid: the product is exact on every machine);
    # few steps, because rounding noise along the null space grows by 1.5 per step
    low = on_grid(vec(rng, (8, 2)), 2.0**-8) @ on_grid(vec(rng, (2, 5)), 2.0**-8)
    out.append(case(low, max_steps=15).edge("rank-deficient input (never within tol)",
                                            "tall matrix (transpose and back)"))
    q1, _ = np.linalg.qr(vec(rng, (5, 3)))
    q2, _ = np.linalg.qr(vec(rng, (3, 3)))
    # QR and the products differ in their last bits between BLAS kernels: the input goes on the grid (its singular
    # values move by about 1e-12, the smallest stays tiny)
    out.append(case(on_grid(q1 @ np.diag([1.0, 0.3, 1e-4]) @ q2.T)).edge("a tiny singular value (many steps)",
                                                                      "tall matrix (transpose and back)"))
    return out


def _hidden_line_search(rng):
    out = []
    for name, d, alpha0, rho, c in [("quadratic", 4, 1.0, 0.5, 1e-4), ("quadratic", 6, 2.5, 0.7, 0.3),
                                    ("rosenbrock", 3, 1.0, 0.4, 1e-3), ("softplus", 5, 4.0, 0.5, 0.1),
                                    ("softplus", 3, 0.01, 0.5, 1e-4)]:
        x = vec(rng, (d,))
        _, grad = objective(name)
        P = on_grid(vec(rng, (d, d)), 2.0**-8)
        P = P @ P.T / d + 0.2 * np.eye(d)  # preconditioned descent direction: d = −P∇f, not −∇f
        labels = ["preconditioned direction (d ≠ −∇f)"]
        if name == "rosenbrock":
            labels.append("non-convex objective (Rosenbrock)")
        if alpha0 < 0.1:  # small enough that α0 itself gives sufficient decrease
            labels.append("small first trial step accepted at once")
        out.append(case(name, x, on_grid(-P @ grad(x)), alpha0, rho, c).edge(*labels))
    # a short direction (d = −∇f/2) and a strict c = 0.3: the sufficient decrease is c·α·∇fᵀd, half of c·α·‖∇f‖²,
    # so a search that takes −∇f for d (‖∇f‖² for the slope) halves once more: x is drawn until it does exactly once
    # (9 draws in 10 do), so the mistake shows as a factor ρ
    f, grad = objective("quadratic")

    def search(x, d, slope):
        alpha = 1.0
        for _ in range(50):
            if f(x + alpha * d) <= f(x) + 0.3 * alpha * slope:
                return alpha
            alpha *= 0.5
        return alpha

    for _ in range(50):
        x = vec(rng, (4,))
        d = on_grid(-grad(x) / 2)
        if search(x, d, -float(grad(x) @ grad(x))) == 0.5 * search(x, d, float(grad(x) @ d)):
            break
    out.append(case("quadratic", x, d, 1.0, 0.5, 0.3).edge(
        "short direction d = −∇f/2 with a strict c"))
    return out


HIDDEN = {
    "momentum_step": _hidden_momentum,
    "adagrad_step": _hidden_adagrad,
    "rmsprop_step": _hidden_rmsprop,
    "adam_step": _hidden_adam,
    "optimal_step_pair": _hidden_step_pair,
    "momentum_for_step": _hidden_momentum_for_step,
    "polar_factor": _hidden_polar,
    "backtracking_line_search": _hidden_line_search,
}
