"""hw04 spec: layers with the forward -> (out, cache) / backward(dout, cache) contract, softmax cross-entropy,
and the loss and gradients of a Linear-ReLU-Linear-softmax network.

Backward exercises run the student's forward first and hand its cache to the student's backward
(course_lib/harness/hw04.py), so any cache format works.
"""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _lin_inputs(rng, n, d, m):
    return [rng.normal(size=(n, d)), rng.normal(size=(d, m)) / np.sqrt(d), rng.normal(size=m)]


def _pub_linear():
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]])
    W = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    b = np.array([0.01, -0.02])
    return [(x, W, b), tuple(_lin_inputs(np.random.default_rng(4), 4, 5, 3))]


def _pub_linear_fwd():
    return [case("linear", *inp) for inp in _pub_linear()]


def _hidden_linear_fwd(rng):
    return [case("linear", *_lin_inputs(rng, n, d, m)) for n, d, m in [(7, 4, 6), (1, 3, 1), (10, 2, 5)]]


def _pub_linear_bwd():
    out = []
    for i, inp in enumerate(_pub_linear()):
        n, m = inp[0].shape[0], inp[1].shape[1]
        dout = np.arange(n * m, dtype=float).reshape(n, m) / 10.0 - 0.3 if i == 0 else \
            np.random.default_rng(5).normal(size=(n, m))
        out.append(case("linear", list(inp), dout))
    return out


def _hidden_linear_bwd(rng):
    return [case("linear", _lin_inputs(rng, n, d, m), rng.normal(size=(n, m)))
            for n, d, m in [(7, 4, 6), (1, 3, 1), (10, 2, 5)]]


def _act_x(rng, shape, scale=2.0):
    x = rng.normal(size=shape) * scale
    x.flat[0] = 0.0  # an exact zero: ReLU's derivative there is taken as 0, as in PyTorch
    return x


def _pub_act_fwd(layer):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [30.0, -30.0, 1.0, -1.0, 0.1]])
    return [case(layer, x), case(layer, _act_x(np.random.default_rng(6), (3, 4)))]


def _hidden_act_fwd(layer):
    return lambda rng: [case(layer, _act_x(rng, s, sc)) for s, sc in [((5, 3), 2.0), ((1, 7), 20.0), ((4, 4), 0.5)]]


def _pub_act_bwd(layer):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [30.0, -30.0, 1.0, -1.0, 0.1]])
    dout = np.array([[1.0, -1.0, 2.0, 0.5, -0.3], [0.2, 0.4, -0.6, 0.8, 1.0]])
    rng = np.random.default_rng(7)
    return [case(layer, [x], dout), case(layer, [_act_x(rng, (3, 4))], rng.normal(size=(3, 4)))]


def _hidden_act_bwd(layer):
    return lambda rng: [case(layer, [_act_x(rng, s, sc)], rng.normal(size=s))
                        for s, sc in [((5, 3), 2.0), ((1, 7), 20.0), ((4, 4), 0.5)]]


def _pub_softmax():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]])
    y = np.array([0, 1, 2, 2])
    big = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])  # overflows without the max shift
    return [case(logits, y), case(big, np.array([1, 1]))]


def _hidden_softmax(rng):
    out = []
    for n, c, s in [(8, 5, 1.0), (3, 2, 50.0), (16, 10, 3.0), (1, 4, 400.0)]:
        out.append(case(rng.normal(size=(n, c)) * s, rng.integers(0, c, size=n)))
    return out


def _params(rng, d, h, c):
    return {"W1": rng.normal(size=(d, h)) * np.sqrt(2.0 / d), "b1": rng.normal(size=h) * 0.1,
            "W2": rng.normal(size=(h, c)) * np.sqrt(1.0 / h), "b2": rng.normal(size=c) * 0.1}


def _pub_mlp():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6, 2))
    return [case(_params(rng, 2, 4, 3), X, np.array([0, 1, 2, 0, 1, 2])),
            case(_params(rng, 3, 5, 2), rng.normal(size=(4, 3)), np.array([1, 0, 1, 1]))]


def _hidden_mlp(rng):
    out = []
    for n, d, h, c in [(10, 4, 8, 3), (1, 2, 3, 2), (25, 5, 16, 4)]:
        out.append(case(_params(rng, d, h, c), rng.normal(size=(n, d)), rng.integers(0, c, size=n)))
    return out


_TOL = dict(rtol=1e-7, atol=1e-9)

HOMEWORK = Homework(
    name="hw04_backprop",
    exercises=[
        Exercise("linear_forward", 1, _pub_linear_fwd(), _hidden_linear_fwd, driver="hw04.layer_forward", **_TOL),
        Exercise("linear_backward", 2, _pub_linear_bwd(), _hidden_linear_bwd, driver="hw04.layer_backward",
                 **_TOL),
        *[ex for layer in ("relu", "sigmoid", "tanh") for ex in (
            Exercise(f"{layer}_forward", 0.5, _pub_act_fwd(layer), _hidden_act_fwd(layer),
                     driver="hw04.layer_forward", **_TOL),
            Exercise(f"{layer}_backward", 1, _pub_act_bwd(layer), _hidden_act_bwd(layer),
                     driver="hw04.layer_backward", **_TOL))],
        Exercise("softmax_cross_entropy", 2, _pub_softmax(), _hidden_softmax, driver="hw04.softmax_ce", **_TOL),
        Exercise("mlp_loss_and_grads", 3, _pub_mlp(), _hidden_mlp, driver="hw04.mlp", **_TOL),
    ],
)
