"""hw05_initialization: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw05_initialization import (
    bn_inputs,
    conv_case,
    init_draws,
    random_weights,
    residual_case,
)
from course_lib.grading.model import case


def _hidden_init(rng):
    out = []
    for _ in range(3):
        m, n = (int(v) for v in rng.choice(np.arange(2, 320), size=2, replace=False))
        out.append(case(m, n, int(rng.integers(1, 2**31)), init_draws(m, n)))
    out.append(case(300, 2, int(rng.integers(1, 2**31)), init_draws(300, 2)).edge("very unequal fans"))
    out.append(case(2, 3, int(rng.integers(1, 2**31)), init_draws(2, 3)).edge("tiny layer drawn many times"))
    return out


def _hidden_conv(rng):
    def seed():
        return int(rng.integers(1, 2**31))

    def channels():
        return (int(v) for v in rng.choice(np.arange(1, 97), size=2, replace=False))  # c_out ≠ c_in

    c_out, c_in = channels()
    out = [conv_case(c_out, c_in, 3, 3, seed())]
    c_out, c_in = channels()
    kh, kw = (int(v) for v in rng.choice(np.arange(1, 8), size=2, replace=False))
    out.append(conv_case(c_out, c_in, kh, kw, seed()).edge("non-square kernel"))
    c_out, c_in = channels()
    out.append(conv_case(c_out, c_in, 1, 1, seed()).edge("1×1 kernel (no receptive field)"))
    out.append(conv_case(1, int(rng.integers(100, 300)), 3, 3, seed()).edge("very unequal fans"))
    out.append(conv_case(2, 3, 1, 2, seed()).edge("tiny kernel drawn many times"))
    return out


def _hidden_stats(rng):
    out = []
    for act in ("relu", "tanh", "sigmoid", "linear"):
        d = int(rng.integers(3, 12))
        sizes = [d] + [int(v) for v in rng.integers(4, 20, size=int(rng.integers(2, 6)))]
        out.append(case(rng.normal(size=(int(rng.integers(5, 50)), d)), random_weights(rng, sizes), act))
    out.append(case(rng.normal(size=(1, 4)), random_weights(rng, [4, 6, 3]), "tanh").edge("batch of one"))
    out.append(case(rng.normal(size=(9, 5)), random_weights(rng, [5, 7]), "relu").edge("a single layer"))
    big = random_weights(rng, [6, 8, 8], scale=80.0)  # pre-activations in the hundreds: exp(−z) overflows naively
    out.append(case(rng.normal(size=(10, 6)), big, "sigmoid").edge("saturating sigmoid (large pre-activations)"))
    return out


def _hidden_bn(rng):
    out = []
    for n, d, eps in [(10, 4, 1e-5), (32, 7, 1e-3), (3, 2, 1e-5)]:
        x, g, b = bn_inputs(rng, n, d, shift=float(rng.normal() * 3), scale=float(rng.uniform(0.2, 5)))
        out.append(case(x, g, b, eps))
    x, g, b = bn_inputs(rng, 8, 3)
    x[:, 1] = 2.5  # a constant column: σ² = 0, only ε keeps the division finite
    out.append(case(x, g, b, 1e-5).edge("constant feature (zero variance)"))
    x, g, b = bn_inputs(rng, 10, 3, shift=1e6)  # E[x²] − μ² would lose every digit of σ² here
    out.append(case(x, g, b, 1e-5).edge("large offset (|mean| ≫ std)"))
    return out


def _hidden_bn_back(rng):
    out = []
    for n, d, eps in [(12, 4, 1e-5), (30, 6, 1e-3), (5, 2, 1e-5)]:
        x, g, b = bn_inputs(rng, n, d, shift=float(rng.normal() * 2), scale=float(rng.uniform(0.3, 4)))
        out.append(case(x, g, b, eps, rng.normal(size=(n, d))))
    x, g, b = bn_inputs(rng, 6, 3, scale=2.0)
    x[:, 0] = -1.0  # a constant column
    out.append(case(x, g, b, 1e-5, rng.normal(size=(6, 3))).edge("constant feature (zero variance)"))
    x, g, b = bn_inputs(rng, 2, 4, shift=1.0)
    out.append(case(x, g, b, 1e-3, rng.normal(size=(2, 4))).edge("batch of two"))
    return out


def _hidden_ln(rng):
    out = []
    for n, d in [(5, 7), (1, 4), (20, 3)]:
        c = case(rng.normal(size=(n, d)) * rng.uniform(0.5, 4) + rng.normal(), rng.normal(size=d),
                 rng.normal(size=d), 1e-5)
        out.append(c.edge("batch of one") if n == 1 else c)
    x = rng.normal(size=(4, 6)) + 1e6  # every row far from 0
    out.append(case(x, rng.normal(size=6), rng.normal(size=6), 1e-5).edge("large offset (|mean| ≫ std)"))
    return out


def _hidden_res_fwd(rng):
    # a batch of one, a hidden layer wider than the input, exact zeros at the ReLU's kink
    return [residual_case(rng, 1, 3, 4).edge("batch of one"),
            residual_case(rng, 6, 5, 12).edge("hidden layer wider than the input"),
            residual_case(rng, 4, 3, 3, kinks=True).edge("exact zeros at the ReLU kink")]


def _hidden_res_bwd(rng):
    # the same edge cases, each with an upstream gradient
    return [residual_case(rng, 1, 4, 3, dout=True).edge("batch of one"),
            residual_case(rng, 7, 3, 9, dout=True).edge("hidden layer wider than the input"),
            residual_case(rng, 5, 4, 4, kinks=True, dout=True).edge("exact zeros at the ReLU kink")]


HIDDEN = {
    "xavier_uniform_conv": _hidden_conv,
    "he_normal": _hidden_init,
    "forward_activation_stats": _hidden_stats,
    "batchnorm_forward": _hidden_bn,
    "batchnorm_backward": _hidden_bn_back,
    "layernorm_forward": _hidden_ln,
    "residual_block_forward": _hidden_res_fwd,
    "residual_block_backward": _hidden_res_bwd,
}
