"""hw04_backprop: hidden-case generators (instructor side; never shipped to students).

Every case that exercises one of an exercise's `edge_cases` carries its label (`.edge(...)`).
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.homework.hw04_backprop import kinked, lookup, skip_params
from course_lib.grading.model import case


def _saturated(rng, shape):
    """Large |x|: tanh(√(2/π)(x + 0.044715x³)) is ±1 in float64, plus ±1000 and a zero."""
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(8.0, 40.0, size=shape)
    x.flat[0], x.flat[1], x.flat[2] = 1000.0, -1000.0, 0.0
    return x


def _hidden_leaky_fwd(rng):
    return [
        case("leaky_relu", kinked(rng, (5, 3), zeros=4), 0.1).edge("exact zeros at the kink"),
        case("leaky_relu", kinked(rng, (1, 7), 20.0, zeros=1), 0.3).edge("batch of one"),
        case("leaky_relu", kinked(rng, (2, 3, 4), 0.5), 0.05).edge("3-D input"),
        case("leaky_relu", kinked(rng, (4, 4))).edge("default alpha = 0.01"),
    ]


def _hidden_leaky_bwd(rng):
    out = []
    for shape, scale, alpha, label in [((5, 3), 2.0, 0.1, "exact zeros at the kink"),
                                       ((1, 7), 20.0, 0.3, "batch of one"), ((2, 3, 4), 0.5, 0.05, "3-D input")]:
        x = kinked(rng, shape, scale, zeros=4 if label.startswith("exact") else 2)
        out.append(case("leaky_relu", [x, alpha], rng.normal(size=shape)).edge(label))
    return out


def _hidden_gelu_fwd(rng):
    return [
        case("gelu", kinked(rng, (5, 3), zeros=3)).edge("x = 0 exactly"),
        case("gelu", _saturated(rng, (2, 6))).edge("large |x| (tanh saturated)"),
        case("gelu", kinked(rng, (2, 3, 4), 1.5, zeros=0)).edge("3-D input"),
    ]


def _hidden_gelu_bwd(rng):
    xs = [(kinked(rng, (5, 3), zeros=3), "x = 0 exactly"), (_saturated(rng, (2, 6)), "large |x| (tanh saturated)"),
          (kinked(rng, (2, 3, 4), 1.5, zeros=0), "3-D input")]
    return [case("gelu", [x], rng.normal(size=x.shape)).edge(label) for x, label in xs]


def _hidden_emb_fwd(rng):
    return [
        case("embedding", *lookup(rng, 10, 4, (8,))).edge("repeated indices"),
        case("embedding", *lookup(rng, 7, 3, (3, 5))).edge("index array of shape (N, T)", "repeated indices"),
        case("embedding", *lookup(rng, 5, 2, (1,))).edge("batch of one"),
    ]


def _hidden_emb_bwd(rng):
    out = []
    for vocab, dim, shape, labels in [
        (10, 4, (8,), ("repeated indices accumulate",)),
        (7, 3, (3, 5), ("index array of shape (N, T)", "repeated indices accumulate")),
        (5, 2, (1,), ("batch of one", "rows never looked up")),
        (30, 3, (4,), ("rows never looked up",)),
    ]:
        idx, W = lookup(rng, vocab, dim, shape)
        if labels[0] == "repeated indices accumulate" and shape == (8,):
            idx[:4] = idx[0]  # one row looked up four times
        out.append(case("embedding", [idx, W], rng.normal(size=shape + (dim,))).edge(*labels))
    return out


def _hidden_bce(rng):
    big = rng.choice([-1.0, 1.0], size=6) * rng.uniform(100.0, 1000.0, size=6)
    big[0], big[1] = 1000.0, -1000.0
    return [
        case(rng.normal(size=8) * 2, (rng.random(8) < 0.5).astype(float)),
        case(big, np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])).edge("large logits (|z| up to 1000)"),
        case(rng.normal(size=7) * 3, rng.random(7)).edge("soft targets in [0, 1]"),
        case(rng.normal(size=(5, 4)) * 2, (rng.random((5, 4)) < 0.5).astype(float)).edge("multi-label (N, K) logits"),
        case(rng.normal(size=1) * 2, np.array([1.0])).edge("batch of one"),
    ]


def _hidden_skip(rng):
    out = [case(skip_params(rng, 4, 8, 3), rng.normal(size=(10, 4)), rng.integers(0, 3, size=10))]
    out.append(case(skip_params(rng, 2, 3, 4), rng.normal(size=(1, 2)), np.array([2])).edge("batch of one"))
    p = skip_params(rng, 5, 6, 4)
    p["W1"][:, 2] = 0.0  # unit 2's pre-activation is exactly 0 for every example
    p["b1"][2] = 0.0
    out.append(case(p, rng.normal(size=(12, 5)), rng.integers(0, 4, size=12)).edge("exact zeros at the ReLU kink"))
    p, X = skip_params(rng, 3, 4, 3), rng.normal(size=(6, 3))
    z = np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"] + X @ p["Ws"]
    for k in ("W2", "b2", "Ws"):  # logits scaled to |z| up to 900: exp(900) overflows float64
        p[k] = p[k] * on_grid(900.0 / np.abs(z).max())  # BLAS's last bits differ between CPUs: on a grid
    out.append(case(p, X, rng.integers(0, 3, size=6)).edge("large logits"))
    out.append(case(skip_params(rng, 3, 5, 2), rng.normal(size=(9, 3)), rng.integers(0, 2, size=9)).edge("two classes"))
    return out


HIDDEN = {
    "leaky_relu_forward": _hidden_leaky_fwd,
    "leaky_relu_backward": _hidden_leaky_bwd,
    "gelu_forward": _hidden_gelu_fwd,
    "gelu_backward": _hidden_gelu_bwd,
    "embedding_forward": _hidden_emb_fwd,
    "embedding_backward": _hidden_emb_bwd,
    "bce_with_logits": _hidden_bce,
    "skip_mlp_loss_and_grads": _hidden_skip,
}
