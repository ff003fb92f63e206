"""hw02 spec: momentum, AdaGrad, RMSProp and Adam steps, optimal GD/heavy-ball parameters, Newton–Schulz."""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case

_W = np.array([0.5, -1.0, 2.0])
_G = np.array([0.1, -0.3, 0.02])
_M = np.array([[1.0, -2.0], [0.5, 0.25]])
_GM = np.array([[0.3, 1e-4], [-2.0, 0.0]])


def _vec(rng, shape, scale=1.0):
    return rng.normal(size=shape) * scale


def _pub_momentum():
    return [case(_W, _G, np.zeros(3), 0.1, 0.9),
            case(_M, _GM, np.array([[0.2, -0.1], [0.0, 0.3]]), 0.05, 0.5)]


def _hidden_momentum(rng):
    out = []
    for shape, lr, mu in [((4,), 0.01, 0.99), ((3, 2), 0.5, 0.0), ((6,), 1.0, 0.9)]:
        out.append(case(_vec(rng, shape), _vec(rng, shape), _vec(rng, shape, 0.1), lr, mu))
    return out


def _pub_adagrad():
    return [case(_W, _G, np.zeros(3), 0.1, 1e-10),
            case(_M, _GM, np.array([[0.04, 1e-6], [1.0, 0.0]]), 0.5, 1e-2)]


def _hidden_adagrad(rng):
    out = []
    for shape, lr, eps, gs in [((5,), 0.01, 1e-10, 1.0), ((2, 3), 1.0, 0.1, 1e-3), ((4,), 0.3, 1e-8, 10.0)]:
        out.append(case(_vec(rng, shape), _vec(rng, shape, gs), _vec(rng, shape, gs) ** 2, lr, eps))
    return out


def _pub_rmsprop():
    return [case(_W, _G, np.zeros(3), 0.01, 0.99, 1e-8),
            case(_M, _GM, np.array([[0.09, 1e-6], [4.0, 0.0]]), 0.1, 0.9, 1e-2)]


def _hidden_rmsprop(rng):
    out = []
    for shape, lr, rho, eps, gs in [((5,), 0.01, 0.99, 1e-8, 1.0), ((2, 3), 0.1, 0.5, 0.1, 1e-3),
                                    ((4,), 1e-3, 0.9, 1e-6, 5.0)]:
        out.append(case(_vec(rng, shape), _vec(rng, shape, gs), _vec(rng, shape, gs) ** 2, lr, rho, eps))
    return out


def _pub_adam():
    z = np.zeros(3)
    return [case(_W, _G, z, z, 1, 0.001, 0.9, 0.999, 1e-8),
            case(_M, _GM, np.array([[0.1, 0.0], [-0.2, 0.05]]), np.array([[0.01, 1e-8], [0.04, 0.0]]), 3,
                 0.01, 0.9, 0.999, 1e-3)]


def _hidden_adam(rng):
    out = []
    for shape, t, lr, b1, b2, eps, gs in [((5,), 1, 1e-3, 0.9, 0.999, 1e-8, 1.0),
                                          ((2, 3), 2, 0.1, 0.8, 0.99, 1e-2, 1e-3),
                                          ((4,), 10, 0.01, 0.9, 0.999, 1e-8, 3.0),
                                          ((3,), 500, 0.05, 0.95, 0.9999, 1e-6, 1e-2)]:
        m = _vec(rng, shape, gs * 0.3) if t > 1 else np.zeros(shape)
        v = (_vec(rng, shape, gs * 0.3) ** 2) if t > 1 else np.zeros(shape)
        out.append(case(_vec(rng, shape), _vec(rng, shape, gs), m, v, t, lr, b1, b2, eps))
    return out


def _pub_opt_gd():
    return [case(1.0, 3.0), case(0.01, 1.0)]


def _hidden_opt_gd(rng):
    pairs = [(rng.uniform(0.1, 2), 10.0), (rng.uniform(1e-3, 1e-2), 1e3), (rng.uniform(1, 5), 1.0)]
    return [case(float(a), float(a * k)) for a, k in pairs]


def _pub_opt_mom():
    return [case(1.0, 4.0), case(0.01, 1.0)]


def _hidden_opt_mom(rng):
    pairs = [(rng.uniform(0.1, 2), 10.0), (rng.uniform(1e-3, 1e-2), 1e4), (rng.uniform(1, 5), 1.0)]
    return [case(float(a), float(a * k)) for a, k in pairs]


def _pub_ns():
    G1 = np.array([[1.0, 0.0, 0.0], [0.0, 0.1, 0.0]])  # diagonal: the singular values go through p(σ)
    G2 = np.array([[3.0, 1.0], [1.0, -2.0], [0.5, 0.5], [0.0, 1.0]])  # tall: transposed inside
    return [case(G1), case(G2, steps=3)]


def _hidden_ns(rng):
    out = [case(_vec(rng, (6, 4), 2.0)), case(_vec(rng, (3, 7)), steps=1), case(_vec(rng, (5, 5)), steps=8)]
    low = _vec(rng, (8, 2)) @ _vec(rng, (2, 5))  # rank 2: the zero singular values stay zero
    out.append(case(low))
    return out


HOMEWORK = Homework(
    name="hw02_optimizers",
    exercises=[
        Exercise("momentum_step", 1, _pub_momentum(), _hidden_momentum, rtol=1e-9, atol=1e-12),
        Exercise("adagrad_step", 1, _pub_adagrad(), _hidden_adagrad, rtol=1e-9, atol=1e-12),
        Exercise("rmsprop_step", 1, _pub_rmsprop(), _hidden_rmsprop, rtol=1e-9, atol=1e-12),
        Exercise("adam_step", 2, _pub_adam(), _hidden_adam, rtol=1e-9, atol=1e-12),
        Exercise("optimal_gd_step", 1, _pub_opt_gd(), _hidden_opt_gd, rtol=1e-9, atol=1e-12),
        Exercise("optimal_momentum", 2, _pub_opt_mom(), _hidden_opt_mom, rtol=1e-9, atol=1e-12),
        Exercise("newton_schulz", 2, _pub_ns(), _hidden_ns, rtol=1e-6, atol=1e-9),
    ],
)
