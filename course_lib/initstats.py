"""Lecture 05 logic: initialization schemes, per-layer activation/gradient statistics, deep nets that train or stall.

NumPy part (no torch needed): `init_matrix`, `layer_statistics` (forward activations and backpropagated
gradients through a deep bias-free MLP). Torch part: `deep_mlp`, `train_deep_net` (a short SGD run on the
bundled digits, used by the lecture and the initialization explorer), and `numpy_batchnorm`/`NumpyBatchNorm`
for the from-scratch BatchNorm with running statistics.

Weight matrices in the NumPy part have shape (fan_in, fan_out) and a layer computes h @ W.
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw05",)

import math

import numpy as np

SCHEMES = ("zero", "small", "xavier", "he", "large")
SCHEME_LABELS = {
    "zero": "zero",
    "small": "too small: N(0, 0.01²)",
    "xavier": "Xavier/Glorot uniform",
    "he": "He/Kaiming normal",
    "large": "too large: N(0, 1)",
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def activation_fn(name: str):
    """(g, g') for a NumPy activation name."""
    if name == "relu":
        return (lambda z: np.maximum(z, 0.0)), (lambda z: (z > 0).astype(float))
    if name == "tanh":
        return np.tanh, (lambda z: 1.0 - np.tanh(z) ** 2)

    def sig(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    if name == "sigmoid":
        return sig, (lambda z: sig(z) * (1.0 - sig(z)))
    if name == "linear":
        return (lambda z: z), (lambda z: np.ones_like(z))
    raise ValueError(f"unknown activation {name!r}; use one of {ACTIVATIONS}")


def init_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation each scheme gives a weight (Xavier uniform has std √(2/(m+n)))."""
    return {
        "zero": 0.0,
        "small": 0.01,
        "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
        "he": math.sqrt(2.0 / fan_in),
        "large": 1.0,
        "lecun": math.sqrt(1.0 / fan_in),
    }[scheme]


def init_matrix(scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """A (fan_in, fan_out) weight matrix drawn from `scheme` (xavier is uniform, the others normal)."""
    if scheme == "zero":
        return np.zeros((fan_in, fan_out))
    if scheme == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_in, fan_out))
    return rng.normal(0.0, init_std(scheme, fan_in, fan_out), size=(fan_in, fan_out))


def layer_statistics(scheme: str = "he", activation: str = "relu", depth: int = 20, width: int = 128,
                     n: int = 256, seed: int = 0, keep: bool = False) -> dict:
    """Forward a standard-normal batch through `depth` bias-free layers, backpropagate a standard-normal
    gradient from the top, and report per layer the std of the activations h_l and of the gradients dL/dh_l.

    Returns {"act_std", "act_mean", "grad_std", "weight_grad_std"} (arrays of length depth) and, with
    `keep`, the raw activations and gradients ("acts", "grads") for histograms.
    """
    with _one_blas_thread():
        return _layer_statistics(scheme, activation, depth, width, n, seed, keep)


def _one_blas_thread():
    """Small matmuls run faster on one BLAS thread (and much faster on a busy 2-core machine)."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()


def _layer_statistics(scheme, activation, depth, width, n, seed, keep) -> dict:
    rng = np.random.default_rng(seed)
    g, dg = activation_fn(activation)
    Ws = [init_matrix(scheme, width, width, rng) for _ in range(depth)]
    h = rng.normal(size=(n, width))
    hs, zs = [h], []
    for W in Ws:
        z = hs[-1] @ W
        zs.append(z)
        hs.append(g(z))
    dh = rng.normal(size=(n, width))
    grads = [None] * depth
    wgrad_std = np.zeros(depth)
    for layer in range(depth - 1, -1, -1):
        grads[layer] = dh  # dL/dh_{layer+1}
        dz = dh * dg(zs[layer])
        wgrad_std[layer] = float(np.std(hs[layer].T @ dz))
        dh = dz @ Ws[layer].T
    with np.errstate(over="ignore", invalid="ignore"):
        out = {
            "act_std": np.array([float(np.std(a)) for a in hs[1:]]),
            "act_mean": np.array([float(np.mean(a)) for a in hs[1:]]),
            "grad_std": np.array([float(np.std(d)) for d in grads]),
            "weight_grad_std": wgrad_std,
        }
    if keep:
        out["acts"] = hs[1:]
        out["grads"] = grads
    return out


# ----------------------------------------------------------------------------------------------------------
# torch part
# ----------------------------------------------------------------------------------------------------------

def _act_module(name: str):
    import torch.nn as nn

    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}[name]()


def deep_mlp(depth: int, width: int, d_in: int, d_out: int, activation: str = "relu", scheme: str = "he",
             norm: str | None = None, seed: int = 0):
    """`depth` hidden Linear(+norm)+activation layers of `width` units, then a linear read-out.

    Hidden weights follow `scheme` (biases zero); the read-out uses Xavier. `norm` is None,
    "batch" (BatchNorm1d before the activation) or "layer" (LayerNorm before the activation).
    """
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    layers: list = []
    d = d_in
    for _ in range(depth):
        lin = nn.Linear(d, width)
        apply_scheme(lin, scheme)
        layers.append(lin)
        if norm == "batch":
            layers.append(nn.BatchNorm1d(width))
        elif norm == "layer":
            layers.append(nn.LayerNorm(width))
        layers.append(_act_module(activation))
        d = width
    head = nn.Linear(d, d_out)
    nn.init.xavier_uniform_(head.weight)
    nn.init.zeros_(head.bias)
    layers.append(head)
    return nn.Sequential(*layers)


def apply_scheme(lin, scheme: str) -> None:
    """Initialize a torch Linear in place (weights by scheme, bias zero)."""
    import torch
    import torch.nn as nn

    fan_out, fan_in = lin.weight.shape
    with torch.no_grad():
        if scheme == "zero":
            lin.weight.zero_()
        elif scheme == "xavier":
            nn.init.xavier_uniform_(lin.weight)
        elif scheme == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")  # N(0, 2/fan_in)
        else:
            lin.weight.normal_(0.0, init_std(scheme, fan_in, fan_out))
        lin.bias.zero_()


def digits_data(seed: int = 0, n_val: int = 400):
    """Standardized 8×8 digits as float32 arrays: (X_train, y_train, X_val, y_val)."""
    from course_lib.data import load_digits

    X, y = load_digits()
    X = X.reshape(len(X), -1).astype(np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    Xtr, ytr, Xva, yva = X[n_val:], y[n_val:], X[:n_val], y[:n_val]
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    return (Xtr - mu) / sd, ytr, (Xva - mu) / sd, yva


class small_net_cpu_mode:
    """Context for tiny CPU nets: one thread (no contention on small matmuls) and flushed denormals
    (a vanishing signal of 1e-40 is otherwise computed 100x slower). Both are restored on exit."""

    def __init__(self, device=None):
        self.active = device is None or str(device).startswith("cpu")

    def __enter__(self):
        import torch

        if self.active:
            self._threads = torch.get_num_threads()
            torch.set_num_threads(1)
            torch.set_flush_denormal(True)
        return self

    def __exit__(self, *exc):
        import torch

        if self.active:
            torch.set_num_threads(self._threads)
            torch.set_flush_denormal(False)
        return False


def train_deep_net(scheme: str = "he", depth: int = 20, width: int = 64, activation: str = "relu",
                   norm: str | None = None, steps: int = 250, lr: float = 0.01, batch: int = 64,
                   momentum: float = 0.9, seed: int = 0, device=None, data=None) -> dict:
    """Train a deep MLP on the digits with SGD+momentum; per-step training loss and final accuracies.

    Returns {"loss": array(steps), "train_acc", "val_acc", "diverged"}. A non-finite loss stops the run
    (the rest of the curve is NaN) and sets diverged.
    """
    with small_net_cpu_mode(device):
        return _train_deep_net(scheme, depth, width, activation, norm, steps, lr, batch, momentum, seed,
                               device, data)


def _train_deep_net(scheme, depth, width, activation, norm, steps, lr, batch, momentum, seed, device,
                    data) -> dict:
    import torch

    device = torch.device(device or "cpu")
    Xtr, ytr, Xva, yva = data if data is not None else digits_data(seed)
    model = deep_mlp(depth, width, Xtr.shape[1], 10, activation, scheme, norm, seed).to(device)
    run = _sgd_on_digits(model, (Xtr, ytr, Xva, yva), steps, lr, batch, momentum, seed, device)
    return {k: run[k] for k in ("loss", "train_acc", "val_acc", "diverged")}


def _sgd_on_digits(model, data, steps, lr, batch, momentum, seed, device, after_backward=None,
                   stop_after=None) -> dict:
    """SGD+momentum on random minibatches (seeded); a non-finite loss stops the run. Shared by the experiments.

    `after_backward(step, model)` runs after each backward pass, before the step; `stop_after(step, model)` after
    the step, and a true result ends the run there. Returns {"loss", "train_acc", "val_acc", "diverged",
    "steps_run"}.
    """
    import torch
    import torch.nn.functional as F

    Xtr, ytr, Xva, yva = data
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    Xt = torch.as_tensor(Xtr, device=device)
    yt = torch.as_tensor(ytr, device=device)
    gen = torch.Generator().manual_seed(seed)
    losses = np.full(steps, np.nan)
    diverged, steps_run = False, 0
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(yt), (batch,), generator=gen).to(device)
        loss = F.cross_entropy(model(Xt[idx]), yt[idx])
        if not torch.isfinite(loss):
            diverged = True
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if after_backward is not None:
            after_backward(step, model)
        opt.step()
        losses[step] = float(loss.detach())
        steps_run = step + 1
        if stop_after is not None and stop_after(step, model):
            break
    model.eval()
    with torch.no_grad():
        def acc(X, y):
            out = model(torch.as_tensor(X, device=device))
            return float((out.argmax(1).cpu() == torch.as_tensor(y)).float().mean())

        train_acc, val_acc = acc(Xtr, ytr), acc(Xva, yva)
    return {"loss": losses, "train_acc": train_acc, "val_acc": val_acc, "diverged": diverged, "steps_run": steps_run}


# ----------------------------------------------------------------------------------------------------------
# from-scratch normalization (lecture version, with running statistics for evaluation)
# ----------------------------------------------------------------------------------------------------------

class NumpyBatchNorm:
    """BatchNorm for (n, d) arrays: batch statistics in training, running averages in evaluation.

    running ← (1 − momentum)·running + momentum·batch statistic, as in torch (momentum 0.1); torch
    updates the running variance with the unbiased batch variance (n/(n−1)), and so do we.
    """

    def __init__(self, d: int, eps: float = 1e-5, momentum: float = 0.1):
        self.gamma, self.beta = np.ones(d), np.zeros(d)
        self.running_mean, self.running_var = np.zeros(d), np.ones(d)
        self.eps, self.momentum = eps, momentum
        self.training = True

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.training:
            mu, var = x.mean(0), x.var(0)
            n = x.shape[0]
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / max(n - 1, 1)
        else:
            mu, var = self.running_mean, self.running_var
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta


def numpy_layernorm(x: np.ndarray, gamma=None, beta=None, eps: float = 1e-5) -> np.ndarray:
    """LayerNorm over the last axis (identical in training and evaluation)."""
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    out = (x - mu) / np.sqrt(var + eps)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out


def representation_similarity(scheme: str = "he", norm: str | None = None, depth: int = 20, width: int = 64,
                              n: int = 128, seed: int = 0, data=None) -> float:
    """Mean cosine similarity between the last hidden representations of different inputs at initialization.

    Near 1 means the deep net maps every input to (almost) the same direction: a "rank collapse" that no
    rescaling can undo. BatchNorm (training mode) is computed with the statistics of this batch.
    """
    import torch

    with small_net_cpu_mode():
        Xtr = (data if data is not None else digits_data(seed))[0][:n]
        model = deep_mlp(depth, width, Xtr.shape[1], 10, "relu", scheme, norm, seed)
        model.train()
        with torch.no_grad():
            h = model[:-1](torch.as_tensor(Xtr)).double()
        norms = h.norm(dim=1, keepdim=True).clamp_min(1e-300)
        u = h / norms
        c = u @ u.T
        k = c.shape[0]
        return float((c.sum() - c.diagonal().sum()) / (k * (k - 1)))


# ----------------------------------------------------------------------------------------------------------
# residual networks (lecture 05, section 7): plain vs skip, per-block gradients, loss-landscape slices
# ----------------------------------------------------------------------------------------------------------

def residual_mlp(depth: int = 20, width: int = 64, d_in: int = 64, d_out: int = 10, skip: bool = True,
                 seed: int = 0, norm: bool = False):
    """A stem Linear(d_in, width), `depth` blocks F(h) = relu(h W1 + b1) W2 + b2, a head Linear(width, d_out).

    With `skip` each block computes h + F(h) (He et al. 2016, an identity shortcut); without it, F(h) (a plain
    net with the same layers). Every Linear keeps torch's default initialization, so for a given seed the two
    nets start from the same weights and differ only in the shortcut.
    """
    import torch
    import torch.nn as nn

    class ResidualMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.skip = skip
            self.stem = nn.Linear(d_in, width)
            self.blocks = nn.ModuleList(
                nn.Sequential(nn.Linear(width, width), *([nn.BatchNorm1d(width)] if norm else []), nn.ReLU(),
                              nn.Linear(width, width)) for _ in range(depth))
            self.head = nn.Linear(width, d_out)

        def forward(self, x):
            h = self.stem(x)
            for block in self.blocks:
                h = h + block(h) if self.skip else block(h)
            return self.head(h)

    torch.manual_seed(seed)
    return ResidualMLP()


def init_grad_norms(depth: int = 20, width: int = 64, skip: bool = True, norm: bool = False, seed: int = 0,
                    n: int = 256, data=None) -> np.ndarray:
    """Per-block weight-gradient norms of `residual_mlp(...)` at initialization: one backward pass of the
    cross-entropy on the first n training digits."""
    import torch
    import torch.nn.functional as F

    with small_net_cpu_mode():
        Xtr, ytr = (data if data is not None else digits_data(seed))[:2]
        model = residual_mlp(depth, width, Xtr.shape[1], 10, skip, seed, norm)
        model.train()
        F.cross_entropy(model(torch.as_tensor(Xtr[:n])), torch.as_tensor(ytr[:n])).backward()
        return block_grad_norms(model)


def block_grad_norms(model) -> np.ndarray:
    """Frobenius norm of the loss gradient with respect to each block's weights (after a backward pass)."""
    out = []
    for block in model.blocks:
        sq = sum(float((p.grad.double() ** 2).sum()) for p in block.parameters()
                 if p.grad is not None and p.dim() > 1)
        out.append(math.sqrt(sq))
    return np.array(out)


def train_residual(depth: int = 20, width: int = 64, skip: bool = True, steps: int = 300, lr: float = 0.01,
                   batch: int = 64, momentum: float = 0.9, seed: int = 0, grads_at=(0,), data=None,
                   device=None, norm: bool = False, stop_at_loss: float | None = None, loss_data=None) -> dict:
    """SGD+momentum on the digits for `residual_mlp(depth, width, skip)`.

    With `stop_at_loss`, training ends after the first step at which `eval_loss(model, *loss_data)` (the loss on
    loss_data = (X, y) in evaluation mode) is at or below it: a net stopped at a given training loss, to compare
    with another net at the same loss. Returns {"loss": array(steps) (NaN after a stop), "grads": {step: per-block
    gradient norms of that step's batch}, "train_acc", "val_acc", "diverged", "steps_run", "model"} (the trained
    model, on the CPU, for landscape slices).
    """
    import torch

    with small_net_cpu_mode(device):
        device = torch.device(device or "cpu")
        Xtr, ytr, Xva, yva = data if data is not None else digits_data(seed)
        model = residual_mlp(depth, width, Xtr.shape[1], 10, skip, seed, norm).to(device)
        grads = {}

        def record(step, m):
            if step in grads_at:
                grads[step] = block_grad_norms(m)

        def reached(_step, m):
            if stop_at_loss is None:
                return False
            done = eval_loss(m, *loss_data) <= stop_at_loss
            m.train()
            return done

        run = _sgd_on_digits(model, (Xtr, ytr, Xva, yva), steps, lr, batch, momentum, seed, device, record,
                             stop_after=reached)
        return {**run, "grads": grads, "model": model.cpu()}


def eval_loss(model, X, y) -> float:
    """Mean cross-entropy of `model` on (X, y) in evaluation mode (BatchNorm with its running statistics).
    Leaves the model in evaluation mode."""
    import torch
    import torch.nn.functional as F

    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return float(F.cross_entropy(model(torch.as_tensor(X, device=device)), torch.as_tensor(y, device=device)))


def filter_normalized_direction(model, seed: int = 0) -> list:
    """A random direction in parameter space, filter-normalized as in Li et al. (2018), "Visualizing the Loss
    Landscape of Neural Nets" (arXiv 1712.09913): a Gaussian tensor per parameter; for a weight matrix each
    filter (a row of a torch Linear weight: the incoming weights of one unit; for a conv weight, one output
    channel) is rescaled to the norm of the same filter of the model. Biases (1-D parameters) get zero, as
    in the paper. Returns one tensor per `model.parameters()`, in that order.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for p in model.parameters():
        p = p.detach()
        if p.dim() <= 1:
            out.append(torch.zeros_like(p))
            continue
        d = torch.randn(p.shape, generator=gen, dtype=p.dtype)
        shape = (-1,) + (1,) * (p.dim() - 1)
        scale = p.flatten(1).norm(dim=1) / (d.flatten(1).norm(dim=1) + 1e-10)
        out.append(d * scale.reshape(shape))
    return out


def loss_surface(model, X, y, d1, alphas, d2=None, betas=None, mode: str = "train") -> np.ndarray:
    """Cross-entropy of `model` at θ + α·d1 (+ β·d2) on (X, y): shape (len(alphas),), or with d2
    (len(betas), len(alphas)). The model's state (parameters, running statistics, mode) is restored afterwards.

    `mode` says how BatchNorm layers compute: "eval" with the running statistics of the trained model, as Li et
    al. (2018) do (their code calls net.eval()): the loss of the network one would deploy; "train" (the default, kept
    for older callers) with the statistics of this batch, which renormalize every perturbed layer: another function
    of the parameters, the loss SGD sees during training."""
    import copy

    import torch
    import torch.nn.functional as F

    params = list(model.parameters())
    theta = [p.detach().clone() for p in params]
    state, was_training = copy.deepcopy(model.state_dict()), model.training
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    betas_ = [0.0] if d2 is None else list(betas)
    Z = np.zeros((len(betas_), len(alphas)))
    if mode not in ("train", "eval"):
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    model.train(mode == "train")
    with small_net_cpu_mode(), torch.no_grad():
        try:
            for i, b in enumerate(betas_):
                for j, a in enumerate(alphas):
                    for k, (p, t, u) in enumerate(zip(params, theta, d1)):
                        p.copy_(t + float(a) * u + (float(b) * d2[k] if d2 is not None else 0.0))
                    Z[i, j] = float(F.cross_entropy(model(Xt), yt))
        finally:
            model.load_state_dict(state)
            model.train(was_training)
    return Z[0] if d2 is None else Z


def slice_roughness(values) -> dict:
    """How far a 1-D loss slice is from a single valley.

    "local_minima": interior points strictly below both neighbours (a single valley has at most one).
    "excess_variation": total variation Σ|L_{i+1} − L_i| minus that of the best single valley,
    (L_first − L_min) + (L_last − L_min), divided by the range max − min: 0 for a slice that only falls
    and then only rises, larger for every extra bump. Non-finite values count as +inf (a blown-up loss)
    and are replaced by the largest finite value before measuring.
    """
    v = np.asarray(values, dtype=float).copy()
    finite = np.isfinite(v)
    if not finite.any():
        return {"local_minima": 0, "excess_variation": 0.0}
    v[~finite] = v[finite].max()
    minima = int(np.sum((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])))
    tv = float(np.abs(np.diff(v)).sum())
    lo, rng = float(v.min()), float(np.ptp(v))
    excess = (tv - (v[0] - lo) - (v[-1] - lo)) / rng if rng > 0 else 0.0
    return {"local_minima": minima, "excess_variation": float(max(excess, 0.0))}


def slice_steepness(values) -> float:
    """How steeply a 1-D loss slice rises at its ends: log10 of the mean of the two end values over the value at
    the centre (the trained parameters, α = 0; `values` has an odd length)."""
    v = np.asarray(values, dtype=float)
    c = v[len(v) // 2]
    ends = np.where(np.isfinite([v[0], v[-1]]), [v[0], v[-1]], np.finfo(float).max)
    return float(np.log10(np.mean(ends) / c))


def compare_landscapes(plain, residual, X, y, alphas, seed: int = 0, directions: int = 3, mode: str = "eval") -> dict:
    """1-D loss slices of two trained nets along `directions` filter-normalized random directions each (direction
    k drawn with seed 10·seed + k), with BatchNorm in `mode` (see loss_surface), and what lecture 05 measures on them.

    Returns {"slices": {"plain": [...], "residual": [...]}} and, per net, the mean over the directions of
    "local_minima", "excess_variation" (slice_roughness) and "steepness" (slice_steepness), as
    {"local_minima": {"plain": m, "residual": m}, ...}.
    """
    nets = {"plain": plain, "residual": residual}
    slices = {name: [loss_surface(net, X, y, filter_normalized_direction(net, seed=10 * seed + k), alphas, mode=mode)
                     for k in range(directions)] for name, net in nets.items()}
    out: dict = {"slices": slices}
    for key in ("local_minima", "excess_variation"):
        out[key] = {name: float(np.mean([slice_roughness(s)[key] for s in sl])) for name, sl in slices.items()}
    out["steepness"] = {name: float(np.mean([slice_steepness(s) for s in sl])) for name, sl in slices.items()}
    return out
