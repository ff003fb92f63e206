"""Lecture 04's NumPy neural-network toolkit: layers with the forward -> (out, cache) / backward(dout, cache)
contract (as in Stanford's cs231n), softmax cross-entropy, an MLP of any depth, gradient checks and plain
(full-batch or mini-batch) gradient descent training.

Shapes: a batch x is (N, D); a linear layer's W is (D, M) and b is (M,), so out = x @ W + b
(PyTorch's nn.Linear stores the transpose, (M, D), and computes x @ W.T + b).
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw04",)

from typing import Callable

import numpy as np

# --------------------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------------------


def linear_forward(x, W, b):
    out = x @ W + b
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid(x):
    """σ(x) = 1/(1 + e^−x) without overflow for large |x|."""
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_forward(x):
    s = sigmoid(x)
    return s, s


def sigmoid_backward(dout, cache):
    s = cache
    return dout * s * (1.0 - s)


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1.0 - cache ** 2)


def identity_forward(x):
    return x, None


def identity_backward(dout, cache):
    return dout


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "linear": (identity_forward, identity_backward),
}


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels y, and its gradient (p − onehot(y)) / N."""
    logits = np.asarray(logits, dtype=float)
    y = np.asarray(y).astype(int)
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(n), y].mean())
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return loss, d / n


# --------------------------------------------------------------------------------------------------------------
# An MLP of any depth
# --------------------------------------------------------------------------------------------------------------


def init_mlp(sizes: list[int], seed: int = 0, scale: str | float = "he") -> dict[str, np.ndarray]:
    """Parameters W1, b1, …, WL, bL for layer sizes [D, H1, …, C]. scale='he' uses N(0, 2/fan_in)."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        std = np.sqrt(2.0 / a) if scale == "he" else (np.sqrt(1.0 / a) if scale == "xavier" else float(scale))
        params[f"W{i}"] = rng.normal(0.0, std, size=(a, b))
        params[f"b{i}"] = np.zeros(b)
    return params


def n_layers(params: dict) -> int:
    return sum(1 for k in params if k.startswith("W"))


def mlp_forward(params: dict, X, activation: str = "relu"):
    """Logits of Linear-act-…-Linear and the caches needed by mlp_backward."""
    fwd, _ = ACTIVATIONS[activation]
    L = n_layers(params)
    h, caches = X, []
    for i in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{i}"], params[f"b{i}"])
        act = None
        if i < L:
            h, act = fwd(h)
        caches.append((lin, act))
    return h, caches


def mlp_backward(dlogits, caches, activation: str = "relu") -> dict[str, np.ndarray]:
    _, bwd = ACTIVATIONS[activation]
    grads = {}
    L = len(caches)
    d = dlogits
    for i in range(L, 0, -1):
        lin, act = caches[i - 1]
        if i < L:
            d = bwd(d, act)
        d, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(d, lin)
    return grads


def mlp_loss_and_grads(params: dict, X, y, activation: str = "relu", weight_decay: float = 0.0):
    """Mean softmax cross-entropy (+ weight_decay/2 · Σ‖W‖²) and its gradient for every parameter."""
    logits, caches = mlp_forward(params, X, activation)
    loss, dlogits = softmax_cross_entropy(logits, y)
    grads = mlp_backward(dlogits, caches, activation)
    if weight_decay:
        for k in params:
            if k.startswith("W"):
                loss += 0.5 * weight_decay * float(np.sum(params[k] ** 2))
                grads[k] = grads[k] + weight_decay * params[k]
    return loss, grads


def predict(params: dict, X, activation: str = "relu") -> np.ndarray:
    return mlp_forward(params, X, activation)[0].argmax(axis=1)


def accuracy(params: dict, X, y, activation: str = "relu") -> float:
    return float((predict(params, X, activation) == np.asarray(y)).mean())


def single_thread():
    """Small matrices run faster on one BLAS thread than on several (thread start-up dominates): a context
    manager limiting NumPy's BLAS to one thread when threadpoolctl is installed (it comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def train_mlp(X, y, hidden: list[int], activation: str = "relu", lr: float = 0.5, steps: int = 500,
              seed: int = 0, batch_size: int | None = None, weight_decay: float = 0.0, record_every: int = 1,
              loss_fn: Callable | None = None) -> dict:
    """Train an MLP with plain gradient descent (full batch unless batch_size).

    Returns params, the loss at every step and the training accuracy every `record_every` steps (and at the end).
    """
    with single_thread():
        return _train_mlp(X, y, hidden, activation, lr, steps, seed, batch_size, weight_decay, record_every,
                          loss_fn)


def _train_mlp(X, y, hidden, activation, lr, steps, seed, batch_size, weight_decay, record_every, loss_fn):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int)
    classes = int(y.max()) + 1
    params = init_mlp([X.shape[1], *hidden, classes], seed=seed, scale="he" if activation == "relu" else "xavier")
    rng = np.random.default_rng(seed + 1)
    losses, accs = [], []
    for step in range(steps):
        if batch_size and batch_size < len(X):
            idx = rng.choice(len(X), batch_size, replace=False)
            Xb, yb = X[idx], y[idx]
        else:
            Xb, yb = X, y
        loss, grads = (loss_fn or mlp_loss_and_grads)(params, Xb, yb, activation, weight_decay)
        for k in params:
            params[k] -= lr * grads[k]
        losses.append(loss)
        if step % record_every == 0 or step == steps - 1:
            accs.append(accuracy(params, X, y, activation))
        if not np.isfinite(loss):
            break
    return {"params": params, "loss": np.array(losses), "accuracy": np.array(accs), "activation": activation}


# --------------------------------------------------------------------------------------------------------------
# Gradient checks
# --------------------------------------------------------------------------------------------------------------


def grad_check_params(loss_fn: Callable[[dict], float], params: dict, grads: dict, h: float = 1e-5) -> dict:
    """Relative error between analytic grads and centred differences of loss_fn(params), per parameter."""
    from course_lib.autodiff import numerical_gradient_array, rel_error

    out = {}
    for k in params:
        num = numerical_gradient_array(lambda: loss_fn(params), params[k], h)
        out[k] = rel_error(num, grads[k])
    return out


def kink_margin(params: dict, X) -> np.ndarray:
    """Per example, the smallest |pre-activation| over every hidden unit of the MLP: how far the example's ReLU
    inputs are from the kink at 0. A centred difference with step h crosses a kink (and a gradient check of a
    correct network fails) only when a pre-activation moves by more than this margin."""
    L = n_layers(params)
    h = np.asarray(X, dtype=float)
    margin = np.full(len(h), np.inf)
    for i in range(1, L):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        margin = np.minimum(margin, np.abs(z).min(axis=1))
        h = np.maximum(z, 0.0)
    return margin


def grad_check_layer(forward: Callable, backward: Callable, inputs: list[np.ndarray], dout: np.ndarray,
                     h: float = 1e-5) -> list[float]:
    """Check backward(dout, cache) against centred differences of ⟨forward(*inputs)[0], dout⟩, per input."""
    from course_lib.autodiff import numerical_gradient_array, rel_error

    inputs = [np.array(a, dtype=float) for a in inputs]
    _, cache = forward(*inputs)
    analytic = backward(dout, cache)
    if not isinstance(analytic, tuple):
        analytic = (analytic,)
    errs = []
    for arr, g in zip(inputs, analytic):
        num = numerical_gradient_array(lambda: float(np.sum(forward(*inputs)[0] * dout)), arr, h)
        errs.append(rel_error(num, g))
    return errs


# --------------------------------------------------------------------------------------------------------------
# Loss landscape slices (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets")
# --------------------------------------------------------------------------------------------------------------


def random_direction(params: dict, rng: np.random.Generator, filter_normalize: bool = True) -> dict:
    """A Gaussian direction, each weight column rescaled to the norm of the matching column of params
    (Li et al.'s filter normalisation, with a neuron = a column of W); biases get zero."""
    d = {}
    for k, v in params.items():
        if k.startswith("b"):
            d[k] = np.zeros_like(v)
            continue
        r = rng.normal(size=v.shape)
        if filter_normalize:
            r *= np.linalg.norm(v, axis=0, keepdims=True) / (np.linalg.norm(r, axis=0, keepdims=True) + 1e-12)
        d[k] = r
    return d


def loss_slice_1d(params, X, y, direction, alphas, activation="relu") -> np.ndarray:
    return np.array([mlp_loss_and_grads({k: params[k] + a * direction[k] for k in params}, X, y, activation)[0]
                     for a in alphas])


def loss_slice_2d(params, X, y, d1, d2, alphas, betas, activation="relu") -> np.ndarray:
    Z = np.zeros((len(betas), len(alphas)))
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            p = {k: params[k] + a * d1[k] + b * d2[k] for k in params}
            Z[i, j] = softmax_cross_entropy(mlp_forward(p, X, activation)[0], y)[0]
    return Z


# --------------------------------------------------------------------------------------------------------------
# One hidden ReLU layer in one dimension: what it can represent, and what it learns from noisy samples
# --------------------------------------------------------------------------------------------------------------


def relu_knot_features(x, width: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """Hidden layer with fixed first-layer weights: relu(x − t_j) at `width` knots t_j spread over [lo, hi), and a
    constant column for the output bias. x is (n,) or (n, 1); returns (n, width + 1)."""
    x = np.asarray(x, dtype=float).reshape(-1, 1)
    knots = np.linspace(lo, hi, width + 1)[:-1]
    return np.c_[np.maximum(x - knots[None, :], 0.0), np.ones(len(x))]


def knot_fit_error(f: Callable, width: int, x_fit, y_fit, grid) -> float:
    """Fit the output layer of `relu_knot_features` by least squares to (x_fit, y_fit); return the largest error
    |f̂ − f| on `grid`. With x_fit = grid and y_fit = f(grid) this is what the width can represent (an upper
    bound on the best one-hidden-layer network of that width, whose knots could move); with a sample of noisy
    values it is what the same network learns from finite data."""
    v, *_ = np.linalg.lstsq(relu_knot_features(x_fit, width), np.asarray(y_fit, dtype=float), rcond=None)
    grid = np.asarray(grid, dtype=float).ravel()
    return float(np.abs(relu_knot_features(grid, width) @ v - f(grid)).max())


def noisy_knot_fit_errors(f: Callable, width: int, n: int, noise: float, seeds, grid) -> list[float]:
    """knot_fit_error from n samples x ~ U(−1, 1), y = f(x) + noise·N(0, 1), one value per seed."""
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        xs = rng.uniform(-1.0, 1.0, n)
        out.append(knot_fit_error(f, width, xs, f(xs) + noise * rng.normal(size=n), grid))
    return out
