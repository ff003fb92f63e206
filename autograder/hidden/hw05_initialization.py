"""hw05_initialization: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw05_initialization import bn_inputs, init_draws, random_weights, residual_case
from course_lib.grading.model import case


def _hidden_init(rng):
    out = []
    for _ in range(3):
        m, n = (int(v) for v in rng.choice(np.arange(2, 320), size=2, replace=False))
        out.append(case(m, n, int(rng.integers(1, 2**31)), init_draws(m, n)))
    return out


def _hidden_stats(rng):
    out = []
    for act in ("relu", "tanh", "sigmoid", "linear"):
        d = int(rng.integers(3, 12))
        sizes = [d] + [int(v) for v in rng.integers(4, 20, size=int(rng.integers(2, 6)))]
        out.append(case(rng.normal(size=(int(rng.integers(5, 50)), d)), random_weights(rng, sizes), act))
    return out


def _hidden_bn(rng):
    out = []
    for n, d, eps in [(10, 4, 1e-5), (32, 7, 1e-3), (3, 2, 1e-5)]:
        x, g, b = bn_inputs(rng, n, d, shift=float(rng.normal() * 3), scale=float(rng.uniform(0.2, 5)))
        out.append(case(x, g, b, eps))
    return out


def _hidden_bn_back(rng):
    out = []
    for n, d, eps in [(12, 4, 1e-5), (30, 6, 1e-3), (5, 2, 1e-5)]:
        x, g, b = bn_inputs(rng, n, d, shift=float(rng.normal() * 2), scale=float(rng.uniform(0.3, 4)))
        out.append(case(x, g, b, eps, rng.normal(size=(n, d))))
    return out


def _hidden_ln(rng):
    out = []
    for n, d in [(5, 7), (1, 4), (20, 3)]:
        out.append(
            case(
                rng.normal(size=(n, d)) * rng.uniform(0.5, 4) + rng.normal(),
                rng.normal(size=d),
                rng.normal(size=d),
                1e-5,
            )
        )
    return out


def _hidden_res_fwd(rng):
    # a batch of one, a hidden layer wider than the input, exact zeros at the ReLU's kink
    return [residual_case(rng, 1, 3, 4), residual_case(rng, 6, 5, 12), residual_case(rng, 4, 3, 3, kinks=True)]


def _hidden_res_bwd(rng):
    # the same edge cases, each with an upstream gradient
    return [residual_case(rng, 1, 4, 3, dout=True), residual_case(rng, 7, 3, 9, dout=True),
            residual_case(rng, 5, 4, 4, kinks=True, dout=True)]


HIDDEN = {
    "xavier_uniform": _hidden_init,
    "he_normal": _hidden_init,
    "forward_activation_stats": _hidden_stats,
    "batchnorm_forward": _hidden_bn,
    "batchnorm_backward": _hidden_bn_back,
    "layernorm_forward": _hidden_ln,
    "residual_block_forward": _hidden_res_fwd,
    "residual_block_backward": _hidden_res_bwd,
}
