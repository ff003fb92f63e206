"""hw04_backprop: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

from course_lib.grading.homework.hw04_backprop import act_x, lin_inputs, random_params
from course_lib.grading.model import case


def _hidden_linear_fwd(rng):
    return [case("linear", *lin_inputs(rng, n, d, m)) for n, d, m in [(7, 4, 6), (1, 3, 1), (10, 2, 5)]]


def _hidden_linear_bwd(rng):
    return [
        case("linear", lin_inputs(rng, n, d, m), rng.normal(size=(n, m)))
        for n, d, m in [(7, 4, 6), (1, 3, 1), (10, 2, 5)]
    ]


def _hidden_act_fwd(layer):
    return lambda rng: [case(layer, act_x(rng, s, sc)) for s, sc in [((5, 3), 2.0), ((1, 7), 20.0), ((4, 4), 0.5)]]


def _hidden_act_bwd(layer):
    return lambda rng: [
        case(layer, [act_x(rng, s, sc)], rng.normal(size=s)) for s, sc in [((5, 3), 2.0), ((1, 7), 20.0), ((4, 4), 0.5)]
    ]


def _hidden_softmax(rng):
    out = []
    for n, c, s in [(8, 5, 1.0), (3, 2, 50.0), (16, 10, 3.0), (1, 4, 400.0)]:
        out.append(case(rng.normal(size=(n, c)) * s, rng.integers(0, c, size=n)))
    return out


def _hidden_mlp(rng):
    out = []
    for n, d, h, c in [(10, 4, 8, 3), (1, 2, 3, 2), (25, 5, 16, 4)]:
        out.append(case(random_params(rng, d, h, c), rng.normal(size=(n, d)), rng.integers(0, c, size=n)))
    return out


HIDDEN = {
    "linear_forward": _hidden_linear_fwd,
    "linear_backward": _hidden_linear_bwd,
    **{f"{layer}_forward": _hidden_act_fwd(layer) for layer in ("relu", "sigmoid", "tanh")},
    **{f"{layer}_backward": _hidden_act_bwd(layer) for layer in ("relu", "sigmoid", "tanh")},
    "softmax_cross_entropy": _hidden_softmax,
    "mlp_loss_and_grads": _hidden_mlp,
}
