"""hw04, public part: backpropagation through layers the lecture did not build (leaky ReLU, GELU, an embedding
table), a stable binary cross-entropy on logits, and a network with a skip path from the input to the logits.

Layers keep the lecture's contract, forward -> (out, cache) and backward(dout, cache) -> gradients. A layer's
cache is the student's own business (any format): a backward pass is graded by running the student's forward and
then their backward on the cache it returned; forward exercises return the output only.

skip_mlp_loss_and_grads uses none of the graded layers (its ReLU, linear maps and softmax cross-entropy are the
lecture's), so it is graded on its own and a bug elsewhere cannot cost it points.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case, show_value

LAYERS = ("leaky_relu", "gelu", "embedding")


def kinked(rng, shape, scale=2.0, zeros=2):
    """Normal entries times `scale`, the first `zeros` of them exactly 0 (the kink of ReLU-like functions)."""
    x = rng.normal(size=shape) * scale
    x.flat[:zeros] = 0.0
    return x


def lookup(rng, vocab, dim, idx_shape, repeat=True):
    """Integer indices of shape idx_shape into a (vocab, dim) table, with a repeated index when repeat."""
    idx = rng.integers(0, vocab, size=idx_shape)
    if repeat and idx.size > 1:
        idx.flat[-1] = idx.flat[0]
    return idx, rng.normal(size=(vocab, dim))


def skip_params(rng, d, h, c):
    """W1 (d, h), b1 (h,), W2 (h, c), b2 (c,) and the skip weights Ws (d, c)."""
    return {
        "W1": rng.normal(size=(d, h)) * np.sqrt(2.0 / d),
        "b1": rng.normal(size=h) * 0.1,
        "W2": rng.normal(size=(h, c)) * np.sqrt(1.0 / h),
        "b2": rng.normal(size=c) * 0.1,
        "Ws": rng.normal(size=(d, c)) * np.sqrt(1.0 / d),
    }


_X25 = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [3.0, -3.0, 1.0, -1.0, 0.0]])
_D25 = np.array([[1.0, -1.0, 2.0, 0.5, -0.3], [0.2, 0.4, -0.6, 0.8, 1.0]])


def _pub_leaky_fwd():
    return [case("leaky_relu", _X25, 0.1), case("leaky_relu", kinked(np.random.default_rng(6), (3, 4)), 0.2)]


def _pub_leaky_bwd():
    rng = np.random.default_rng(7)
    return [case("leaky_relu", [_X25, 0.1], _D25),
            case("leaky_relu", [kinked(rng, (3, 4)), 0.2], rng.normal(size=(3, 4)))]


def _pub_gelu_fwd():
    return [case("gelu", _X25), case("gelu", kinked(np.random.default_rng(8), (3, 4)))]


def _pub_gelu_bwd():
    rng = np.random.default_rng(9)
    return [case("gelu", [_X25], _D25), case("gelu", [kinked(rng, (3, 4))], rng.normal(size=(3, 4)))]


def _pub_emb_fwd():
    W = np.arange(12, dtype=float).reshape(4, 3) / 10.0
    idx, W2 = lookup(np.random.default_rng(10), 6, 2, (2, 3))
    return [case("embedding", np.array([2, 0, 2, 3]), W), case("embedding", idx, W2)]


def _pub_emb_bwd():
    W = np.arange(12, dtype=float).reshape(4, 3) / 10.0
    rng = np.random.default_rng(11)
    idx, W2 = lookup(rng, 6, 2, (2, 3))
    return [case("embedding", [np.array([2, 0, 2, 3]), W], np.arange(12, dtype=float).reshape(4, 3) - 5.0),
            case("embedding", [idx, W2], rng.normal(size=(2, 3, 2)))]


def _pub_bce():
    z = np.array([2.0, -1.0, 0.0, 0.5, -3.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0])
    big = np.array([800.0, -800.0, 800.0, -800.0])  # exp(800) overflows float64
    return [case(z, y), case(big, np.array([1.0, 0.0, 0.0, 1.0]))]


def _pub_skip():
    rng = np.random.default_rng(12)
    return [
        case(skip_params(rng, 2, 4, 3), rng.normal(size=(6, 2)), np.array([0, 1, 2, 0, 1, 2])),
        case(skip_params(rng, 3, 5, 2), rng.normal(size=(4, 3)), np.array([1, 0, 1, 1])),
    ]


_TOL = dict(rtol=1e-7, atol=1e-9)


def _layer(ns, layer):
    if layer not in LAYERS:
        raise KeyError(f"unknown layer {layer!r}")
    return ns[f"{layer}_forward"], ns[f"{layer}_backward"]


def _inputs(layer, inputs):
    """Float arrays (indices stay integers; a scalar such as leaky ReLU's alpha stays a float)."""
    if layer == "embedding":
        idx, W = inputs
        return [np.asarray(idx).astype(np.int64), np.array(W, dtype=float)]
    return [np.array(a, dtype=float) if isinstance(a, (np.ndarray, list, tuple)) else float(a) for a in inputs]


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
    out, _cache = _split(fwd(*_inputs(layer, inputs)), f"{layer}_forward")
    return np.asarray(out, dtype=float)


def layer_backward(ns, layer, inputs, dout):
    """The gradient of <layer>_backward(dout, cache), where cache comes from the student's <layer>_forward."""
    fwd, bwd = _layer(ns, layer)
    _out, cache = _split(fwd(*_inputs(layer, inputs)), f"{layer}_forward")
    return np.asarray(bwd(np.array(dout, dtype=float), cache), dtype=float)


def show_forward(args, kwargs):
    """Feedback shows the student's call: gelu_forward(x), not the driver's layer_forward('gelu', x)."""
    return f"{args[0]}_forward({', '.join(show_value(a) for a in args[1:])})"


def show_backward(args, kwargs):
    layer, inputs, dout = args[0], args[1], args[2]
    return (f"{layer}_backward(dout={show_value(dout)}, cache) with the cache of your "
            f"{layer}_forward({', '.join(show_value(a) for a in inputs)})")


LAYER_PARAMS = {"leaky_relu": ("x", "alpha"), "gelu": ("x",), "embedding": ("idx", "W")}


def forward_call(args, kwargs):
    """The student's call of a forward case: gelu_forward(x), with x by name."""
    layer, inputs = args[0], args[1:]
    names = LAYER_PARAMS.get(layer, ())
    named = dict(zip(names, inputs))
    return StudentCall(f"{layer}_forward({', '.join(list(named))})", named)


def backward_call(args, kwargs):
    """The student's call of a backward case: leaky_relu_backward(dout, cache), the cache described."""
    layer, inputs, dout = args[0], args[1], args[2]
    named = dict(zip(LAYER_PARAMS.get(layer, ()), inputs))
    return StudentCall(f"{layer}_backward(dout, cache)", {**named, "dout": dout},
                       f"cache: what your {layer}_forward({', '.join(named)}) returned")


def _bce_factors(v):
    z = np.asarray(v["logits"])
    out = [Factor(z.size, "the number of logits (the mean is over all of them)",
                  "did you sum where the mean is asked?", "did you divide by it twice?")]
    if z.ndim == 2 and z.shape[1] > 1:
        out.append(Factor(z.shape[1], "K, the number of columns of logits (the mean is over all N·K entries)",
                          "did you divide by N, the rows, instead of N·K, the entries?", ""))
    return out


BCE_HINTS = Hints(outputs=("loss", "dlogits"), factors=_bce_factors)
SKIP_HINTS = Hints(outputs=("loss", "grads"), factors=lambda v: [Factor(
    np.shape(v["X"])[0], "N, the batch size (X.shape[0])", "did you sum where the mean is asked?",
    "did you divide by N twice?")])


def bce(ns, logits, y):
    """bce_with_logits(logits, y) -> (loss, dlogits)."""
    res = ns["bce_with_logits"](np.array(logits, dtype=float), np.array(y, dtype=float))
    loss, d = _split(res, "bce_with_logits")
    return float(loss), np.asarray(d, dtype=float)


SKIP_KEYS = ("W1", "b1", "W2", "b2", "Ws", "X")


def skip_mlp(ns, params, X, y):
    """skip_mlp_loss_and_grads(params, X, y) -> (loss, grads with keys W1, b1, W2, b2, Ws and X)."""
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    res = ns["skip_mlp_loss_and_grads"](params, np.array(X, dtype=float), np.asarray(y).astype(np.int64))
    loss, grads = _split(res, "skip_mlp_loss_and_grads")
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict with keys {', '.join(SKIP_KEYS)}, got {type(grads).__name__}")
    missing = [k for k in SKIP_KEYS if k not in grads]
    if missing:
        raise KeyError(f"grads has no {', '.join(map(repr, missing))} (keys needed: {', '.join(SKIP_KEYS)})")
    return float(loss), {k: np.asarray(grads[k], dtype=float) for k in SKIP_KEYS}


def _layer_exercise(name, points, public, backward, derivation_first, edge_cases):
    params = ("dout", "cache") if backward else LAYER_PARAMS[name.rsplit("_", 1)[0]]
    return Exercise(name, points, public, params=params, driver=layer_backward if backward else layer_forward,
                    shown_call=show_backward if backward else show_forward,
                    student_call=backward_call if backward else forward_call, derivation_first=derivation_first,
                    edge_cases=edge_cases, **_TOL)


HOMEWORK = Homework(
    name="hw04_backprop",
    exercises=[
        _layer_exercise("leaky_relu_forward", 0.5, _pub_leaky_fwd(), False, False,
                        ("exact zeros at the kink", "batch of one", "3-D input", "default alpha = 0.01")),
        _layer_exercise("leaky_relu_backward", 1, _pub_leaky_bwd(), True, True,
                        ("exact zeros at the kink", "batch of one", "3-D input")),
        _layer_exercise("gelu_forward", 0.5, _pub_gelu_fwd(), False, False,
                        ("x = 0 exactly", "large |x| (tanh saturated)", "3-D input")),
        _layer_exercise("gelu_backward", 2, _pub_gelu_bwd(), True, True,
                        ("x = 0 exactly", "large |x| (tanh saturated)", "3-D input")),
        _layer_exercise("embedding_forward", 0.5, _pub_emb_fwd(), False, False,
                        ("repeated indices", "index array of shape (N, T)", "batch of one")),
        _layer_exercise("embedding_backward", 1.5, _pub_emb_bwd(), True, True,
                        ("repeated indices accumulate", "index array of shape (N, T)", "batch of one",
                         "rows never looked up")),
        Exercise("bce_with_logits", 2.5, _pub_bce(), params=("logits", "y"), driver=bce, hints=BCE_HINTS,
                 derivation_first=True,
                 edge_cases=("large logits (|z| up to 1000)", "soft targets in [0, 1]", "multi-label (N, K) logits",
                             "batch of one"), **_TOL),
        Exercise("skip_mlp_loss_and_grads", 4, _pub_skip(), params=("params", "X", "y"), driver=skip_mlp,
                 hints=SKIP_HINTS, derivation_first=True, per_output=True,
                 edge_cases=("batch of one", "exact zeros at the ReLU kink", "large logits", "two classes"),
                 **_TOL),
    ],
)
