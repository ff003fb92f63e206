"""hw05 spec: Xavier and He initializers (graded by properties), activation statistics, BatchNorm, LayerNorm.

Conventions (stated in the homework): a weight matrix has shape (fan_in, fan_out) and a layer computes
h @ W; initializers take an explicit np.random.Generator. The initializer cases pass a plain integer seed;
the driver builds the generator, and the property check allows 6 standard errors for the sample size.
fan_in ≠ fan_out in every initializer case, so Var = 1/fan_in (Xavier) or 2/fan_out (He) cannot pass.
"""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _init_draws(fan_in, fan_out, target=60_000):
    return max(1, int(np.ceil(target / (fan_in * fan_out))))


def _pub_init():
    return [case(200, 300, 11, 1), case(3, 7, 12, _init_draws(3, 7)), case(400, 100, 13, 2)]


def _hidden_init(rng):
    out = []
    for _ in range(3):
        m, n = (int(v) for v in rng.choice(np.arange(2, 320), size=2, replace=False))
        out.append(case(m, n, int(rng.integers(1, 2**31)), _init_draws(m, n)))
    return out


def _weights(rng, sizes, scale="he"):
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        sd = np.sqrt(2.0 / a) if scale == "he" else scale
        ws.append(rng.normal(size=(a, b)) * sd)
    return ws


def _pub_stats():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 10))
    return [
        case(x, _weights(rng, [10, 20, 20, 5]), "relu"),
        case(x, _weights(rng, [10, 16, 16, 16], scale=0.5), "tanh"),
        case(np.arange(12.0).reshape(4, 3) / 10, [np.eye(3), 2 * np.eye(3)], "linear"),
        case(x[:8, :4], _weights(rng, [4, 6, 2]), "sigmoid"),
    ]


def _hidden_stats(rng):
    out = []
    for act in ("relu", "tanh", "sigmoid", "linear"):
        d = int(rng.integers(3, 12))
        sizes = [d] + [int(v) for v in rng.integers(4, 20, size=int(rng.integers(2, 6)))]
        out.append(case(rng.normal(size=(int(rng.integers(5, 50)), d)), _weights(rng, sizes), act))
    return out


def _bn_inputs(rng, n, d, shift=0.0, scale=1.0):
    x = rng.normal(size=(n, d)) * scale + shift
    return x, rng.normal(size=d), rng.normal(size=d)


def _pub_bn():
    x = np.array([[1.0, 2.0, -1.0], [3.0, 0.0, 0.5], [-2.0, 4.0, 1.5], [0.0, 2.0, 3.0]])
    rng = np.random.default_rng(7)
    x2, g2, b2 = _bn_inputs(rng, 16, 5, shift=3.0, scale=2.0)
    return [case(x, np.ones(3), np.zeros(3), 1e-5), case(x2, g2, b2, 1e-5), case(x2[:2], g2, b2, 1e-3)]


def _hidden_bn(rng):
    out = []
    for n, d, eps in [(10, 4, 1e-5), (32, 7, 1e-3), (3, 2, 1e-5)]:
        x, g, b = _bn_inputs(rng, n, d, shift=float(rng.normal() * 3), scale=float(rng.uniform(0.2, 5)))
        out.append(case(x, g, b, eps))
    return out


def _pub_bn_back():
    rng = np.random.default_rng(8)
    cases = []
    for n, d, eps in [(4, 3, 1e-5), (16, 5, 1e-5), (2, 3, 1e-3)]:
        x, g, b = _bn_inputs(rng, n, d, shift=1.0, scale=2.0)
        cases.append(case(x, g, b, eps, rng.normal(size=(n, d))))
    return cases


def _hidden_bn_back(rng):
    out = []
    for n, d, eps in [(12, 4, 1e-5), (30, 6, 1e-3), (5, 2, 1e-5)]:
        x, g, b = _bn_inputs(rng, n, d, shift=float(rng.normal() * 2), scale=float(rng.uniform(0.3, 4)))
        out.append(case(x, g, b, eps, rng.normal(size=(n, d))))
    return out


def _pub_ln():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.0, 5.0]])
    rng = np.random.default_rng(9)
    x2 = rng.normal(size=(6, 8)) * 3 + 1
    return [case(x, np.ones(4), np.zeros(4), 1e-5), case(x2, rng.normal(size=8), rng.normal(size=8), 1e-5),
            case(x2[:1], np.full(8, 2.0), np.full(8, -1.0), 1e-3)]


def _hidden_ln(rng):
    out = []
    for n, d in [(5, 7), (1, 4), (20, 3)]:
        out.append(case(rng.normal(size=(n, d)) * rng.uniform(0.5, 4) + rng.normal(), rng.normal(size=d),
                        rng.normal(size=d), 1e-5))
    return out


HOMEWORK = Homework(
    name="hw05_initialization",
    exercises=[
        Exercise("xavier_uniform", 2, _pub_init(), _hidden_init, driver="hw05.draw_xavier",
                 check="hw05.xavier_props"),
        Exercise("he_normal", 2, _pub_init(), _hidden_init, driver="hw05.draw_he", check="hw05.he_props"),
        Exercise("forward_activation_stats", 2, _pub_stats(), _hidden_stats, driver="hw05.activation_stats",
                 rtol=1e-7, atol=1e-10),
        Exercise("batchnorm_forward", 2, _pub_bn(), _hidden_bn, driver="hw05.bn_forward", rtol=1e-6, atol=1e-8),
        Exercise("batchnorm_backward", 3, _pub_bn_back(), _hidden_bn_back, driver="hw05.bn_backward",
                 rtol=1e-5, atol=1e-8),
        Exercise("layernorm_forward", 1, _pub_ln(), _hidden_ln, rtol=1e-6, atol=1e-8),
    ],
)
