"""hw04, public part: layers with the forward -> (out, cache) / backward(dout, cache) contract, softmax cross-entropy,
and the loss and gradients of a Linear-ReLU-Linear-softmax network.

Backward exercises run the student's forward first and hand its cache to the student's backward
(this module), so any cache format works.

Drivers and property checks:
hw04 drivers: a layer's cache is the student's own business (any format), so a backward pass is graded
by running the student's forward and then their backward on the cache it returned. Forward exercises
return the output only.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.model import Exercise, Homework, case, show_value


def lin_inputs(rng, n, d, m):
    return [rng.normal(size=(n, d)), rng.normal(size=(d, m)) / np.sqrt(d), rng.normal(size=m)]


def _pub_linear():
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]])
    W = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    b = np.array([0.01, -0.02])
    return [(x, W, b), tuple(lin_inputs(np.random.default_rng(4), 4, 5, 3))]


def _pub_linear_fwd():
    return [case("linear", *inp) for inp in _pub_linear()]


def _pub_linear_bwd():
    out = []
    for i, inp in enumerate(_pub_linear()):
        n, m = inp[0].shape[0], inp[1].shape[1]
        dout = (
            np.arange(n * m, dtype=float).reshape(n, m) / 10.0 - 0.3
            if i == 0
            else np.random.default_rng(5).normal(size=(n, m))
        )
        out.append(case("linear", list(inp), dout))
    return out


def act_x(rng, shape, scale=2.0):
    x = rng.normal(size=shape) * scale
    x.flat[0] = 0.0  # an exact zero: ReLU's derivative there is taken as 0, as in PyTorch
    return x


def _pub_act_fwd(layer):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [30.0, -30.0, 1.0, -1.0, 0.1]])
    return [case(layer, x), case(layer, act_x(np.random.default_rng(6), (3, 4)))]


def _pub_act_bwd(layer):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [30.0, -30.0, 1.0, -1.0, 0.1]])
    dout = np.array([[1.0, -1.0, 2.0, 0.5, -0.3], [0.2, 0.4, -0.6, 0.8, 1.0]])
    rng = np.random.default_rng(7)
    return [case(layer, [x], dout), case(layer, [act_x(rng, (3, 4))], rng.normal(size=(3, 4)))]


def _pub_softmax():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]])
    y = np.array([0, 1, 2, 2])
    big = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])  # overflows without the max shift
    return [case(logits, y), case(big, np.array([1, 1]))]


def random_params(rng, d, h, c):
    return {
        "W1": rng.normal(size=(d, h)) * np.sqrt(2.0 / d),
        "b1": rng.normal(size=h) * 0.1,
        "W2": rng.normal(size=(h, c)) * np.sqrt(1.0 / h),
        "b2": rng.normal(size=c) * 0.1,
    }


def _pub_mlp():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6, 2))
    return [
        case(random_params(rng, 2, 4, 3), X, np.array([0, 1, 2, 0, 1, 2])),
        case(random_params(rng, 3, 5, 2), rng.normal(size=(4, 3)), np.array([1, 0, 1, 1])),
    ]


_TOL = dict(rtol=1e-7, atol=1e-9)


LAYERS = ("linear", "relu", "sigmoid", "tanh")


def _layer(ns, layer):
    if layer not in LAYERS:
        raise KeyError(f"unknown layer {layer!r}")
    return ns[f"{layer}_forward"], ns[f"{layer}_backward"]


def _split(result, what):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(
            f"{what} must return a pair (out, cache), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        )
    return result[0], result[1]


def layer_forward(ns, layer, *inputs):
    """out of <layer>_forward(*inputs) (the cache is not graded)."""
    fwd, _ = _layer(ns, layer)
    out, _cache = _split(fwd(*[np.array(a, dtype=float) for a in inputs]), f"{layer}_forward")
    return np.asarray(out, dtype=float)


def layer_backward(ns, layer, inputs, dout):
    """The gradients of <layer>_backward(dout, cache), where cache comes from the student's <layer>_forward."""
    fwd, bwd = _layer(ns, layer)
    _out, cache = _split(fwd(*[np.array(a, dtype=float) for a in inputs]), f"{layer}_forward")
    grads = bwd(np.array(dout, dtype=float), cache)
    if layer == "linear":
        if not isinstance(grads, (tuple, list)) or len(grads) != 3:
            raise TypeError("linear_backward must return a triple (dx, dW, db)")
        return tuple(np.asarray(g, dtype=float) for g in grads)
    return np.asarray(grads, dtype=float)


def show_forward(args, kwargs):
    """Feedback shows the student's call: relu_forward(x), not the driver's layer_forward('relu', x)."""
    return f"{args[0]}_forward({', '.join(show_value(a) for a in args[1:])})"


def show_backward(args, kwargs):
    layer, inputs, dout = args[0], args[1], args[2]
    return (f"{layer}_backward(dout={show_value(dout)}, cache) with the cache of your "
            f"{layer}_forward({', '.join(show_value(a) for a in inputs)})")


def softmax_ce(ns, logits, y):
    """softmax_cross_entropy(logits, y) with integer labels."""
    loss, d = ns["softmax_cross_entropy"](np.array(logits, dtype=float), np.asarray(y).astype(np.int64))
    return float(loss), np.asarray(d, dtype=float)


_COMPOSED = ("linear_forward", "linear_backward", "relu_forward", "relu_backward", "softmax_cross_entropy")


def mlp(ns, params, X, y):
    """mlp_loss_and_grads(params, X, y) -> (loss, grads dict with keys W1, b1, W2, b2)."""
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    fn = ns["mlp_loss_and_grads"]
    from course_lib.grading.reference import LAYERS, swapped_globals

    with swapped_globals(fn, {k: LAYERS[k] for k in _COMPOSED}):
        loss, grads = fn(params, np.array(X, dtype=float), np.asarray(y).astype(np.int64))
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict with keys W1, b1, W2, b2, got {type(grads).__name__}")
    return float(loss), {k: np.asarray(grads[k], dtype=float) for k in ("W1", "b1", "W2", "b2") if k in grads}


HOMEWORK = Homework(
    name="hw04_backprop",
    exercises=[
        Exercise("linear_forward", 1, _pub_linear_fwd(), driver=layer_forward, shown_call=show_forward, **_TOL),
        Exercise("linear_backward", 2, _pub_linear_bwd(), driver=layer_backward, shown_call=show_backward,
                 **_TOL),
        *[
            ex
            for layer in ("relu", "sigmoid", "tanh")
            for ex in (
                Exercise(f"{layer}_forward", 0.5, _pub_act_fwd(layer), driver=layer_forward,
                         shown_call=show_forward, **_TOL),
                Exercise(f"{layer}_backward", 1, _pub_act_bwd(layer), driver=layer_backward,
                         shown_call=show_backward, **_TOL),
            )
        ],
        Exercise("softmax_cross_entropy", 2, _pub_softmax(), driver=softmax_ce, **_TOL),
        Exercise("mlp_loss_and_grads", 3, _pub_mlp(), driver=mlp, **_TOL),
    ],
)
