"""Lecture 06 logic: bias–variance, subset selection, ridge/lasso/elastic-net paths, regularized training of a
small net (dropout, weight decay, early stopping), bagging, and the two-sigmoid stuck-unit example.

Objective scaling (the same as hw06, no intercept):
  ridge       (1/(2n))‖Xw − y‖² + (λ/2)‖w‖²
  lasso       (1/(2n))‖Xw − y‖² + λ‖w‖₁
  elastic net (1/(2n))‖Xw − y‖² + λ(α‖w‖₁ + (1−α)/2‖w‖²)        (scikit-learn's ElasticNet(alpha=λ, l1_ratio=α))
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw06",)

import numpy as np

# ----------------------------------------------------------------------------------------------------------
# bias–variance with polynomial regression
# ----------------------------------------------------------------------------------------------------------


def true_function(x):
    return np.sin(2 * np.pi * x)


def poly_design(x, degree: int) -> np.ndarray:
    """Legendre features on [0, 1] (well conditioned, unlike raw powers)."""
    return np.polynomial.legendre.legvander(2 * np.asarray(x) - 1, degree)


def poly_fit(x, y, degree: int, lam: float = 0.0) -> np.ndarray:
    """Least squares (ridge when lam > 0) coefficients of a degree-`degree` polynomial."""
    Phi = poly_design(x, degree)
    n = len(x)
    return np.linalg.lstsq(Phi.T @ Phi + n * lam * np.eye(degree + 1), Phi.T @ y, rcond=None)[0]


def bias_variance(degrees, n: int = 20, noise: float = 0.3, trials: int = 200, seed: int = 0,
                  grid: int = 200) -> dict:
    """Monte-Carlo bias², variance and expected test error of polynomial fits, per degree.

    For each trial a fresh training set of n points; predictions on a fixed grid. Returns arrays over degrees:
    bias2, variance, test_mse (= bias2 + variance + noise²), train_mse.
    """
    rng = np.random.default_rng(seed)
    xg = np.linspace(0, 1, grid)
    fg = true_function(xg)
    out = {k: [] for k in ("bias2", "variance", "test_mse", "train_mse")}
    for d in degrees:
        preds, train = [], []
        for _ in range(trials):
            x = rng.uniform(0, 1, n)
            y = true_function(x) + noise * rng.normal(size=n)
            c = poly_fit(x, y, d)
            preds.append(poly_design(xg, d) @ c)
            train.append(np.mean((poly_design(x, d) @ c - y) ** 2))
        P = np.array(preds)
        mean = P.mean(0)
        b2 = float(np.mean((mean - fg) ** 2))
        var = float(np.mean(P.var(0)))
        out["bias2"].append(b2)
        out["variance"].append(var)
        out["test_mse"].append(b2 + var + noise ** 2)
        out["train_mse"].append(float(np.mean(train)))
    return {k: np.array(v) for k, v in out.items()} | {"degrees": np.asarray(list(degrees))}


# ----------------------------------------------------------------------------------------------------------
# linear models: subset selection and shrinkage
# ----------------------------------------------------------------------------------------------------------


def forward_stepwise(X, y) -> dict:
    """Algorithm 6.2 of ISLR: from the null model add, at each step, the feature that lowers the RSS most.

    Returns {"order": features in the order added, "rss": RSS of M_0..M_p}. (Step 3, choosing among
    M_0..M_p, needs validation data or a criterion such as Cp/AIC/BIC: see the lecture.)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    p = X.shape[1]
    chosen: list[int] = []
    rss = [float(y @ y)]
    for _ in range(p):
        best, best_rss = None, np.inf
        for j in range(p):
            if j in chosen:
                continue
            cols = X[:, chosen + [j]]
            w = np.linalg.lstsq(cols, y, rcond=None)[0]
            r = float(np.sum((cols @ w - y) ** 2))
            if r < best_rss:
                best, best_rss = j, r
        chosen.append(int(best))
        rss.append(best_rss)
    return {"order": chosen, "rss": np.array(rss)}


def ridge(X, y, lam: float) -> np.ndarray:
    n, d = X.shape
    return np.linalg.solve(X.T @ X + n * lam * np.eye(d), X.T @ y)


def elastic_net_cd(X, y, lam: float, alpha: float = 1.0, sweeps: int = 200, w0=None, tol: float = 1e-10):
    """Cyclic coordinate descent for the elastic net (alpha = 1: lasso). Warm start from w0."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=float)
    r = y - X @ w
    z = np.sum(X * X, axis=0) / n
    for _ in range(sweeps):
        biggest = 0.0
        for j in range(d):
            if z[j] == 0:
                continue
            rho = X[:, j] @ r / n + z[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - lam * alpha, 0.0) / (z[j] + lam * (1 - alpha))
            if new != w[j]:
                r -= X[:, j] * (new - w[j])
                biggest = max(biggest, abs(new - w[j]))
                w[j] = new
        if biggest < tol:
            break
    return w


def coefficient_paths(X, y, lams, alpha: float | None = None) -> np.ndarray:
    """Coefficients (len(lams), d): ridge when alpha is None, else elastic net (alpha=1: lasso), warm-started
    from the largest λ down."""
    lams = np.asarray(lams, dtype=float)
    if alpha is None:
        return np.array([ridge(X, y, lam) for lam in lams])
    order = np.argsort(-lams)
    out = np.zeros((len(lams), X.shape[1]))
    w = None
    for i in order:
        w = elastic_net_cd(X, y, lams[i], alpha, w0=w)
        out[i] = w
    return out


def lasso_lambda_max(X, y) -> float:
    """Smallest λ for which the lasso solution is exactly 0: max_j |x_jᵀy|/n."""
    return float(np.max(np.abs(X.T @ y)) / len(y))


# ----------------------------------------------------------------------------------------------------------
# a small net that overfits, and its regularizers
# ----------------------------------------------------------------------------------------------------------


def overfit_data(n_train: int = 100, label_noise: float = 0.15, seed: int = 0, n_val: int = 500,
                 held_out: bool = False):
    """Few standardized digits with some training labels flipped: a 2-layer MLP memorizes them and overfits.

    Returns (X_train, y_train, X_val, y_val); with `held_out`, also (X_test, y_test): every digit of the training pool
    that was not drawn for training (1,197 for the defaults), never used for fitting or for any choice, so that a
    choice made on the validation split can be measured on data it did not see. (All splits are standardized with
    the pixel statistics of the training pool, course_lib.initstats.digits_data; no labels are involved.)
    """
    from course_lib.initstats import digits_data

    Xpool, ypool, Xva, yva = digits_data(seed, n_val=n_val)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(ypool), size=min(n_train, len(ypool)), replace=False)
    Xtr, ytr = Xpool[idx], ypool[idx].copy()
    flip = rng.random(len(ytr)) < label_noise
    ytr[flip] = rng.integers(0, 10, size=int(flip.sum()))
    if not held_out:
        return Xtr, ytr, Xva, yva
    rest = np.setdiff1d(np.arange(len(ypool)), idx)
    return Xtr, ytr, Xva, yva, Xpool[rest], ypool[rest]


def make_mlp(d_in: int, hidden: int = 256, p_drop: float = 0.0, d_out: int = 10, seed: int = 0,
             p_input: float = 0.0):
    """Two hidden ReLU layers with dropout (drop probability p_drop) after each; with p_input > 0 a dropout
    layer on the inputs comes first (Srivastava et al. keep inputs with probability 0.8: p_input = 0.2)."""
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    layers = [nn.Dropout(p_input)] if p_input > 0 else []
    return nn.Sequential(*layers, nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(p_drop), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Dropout(p_drop), nn.Linear(hidden, d_out))


def train_regularized(p_drop: float = 0.0, weight_decay: float = 0.0, patience: int | None = None,
                      n_train: int = 100, epochs: int = 150, lr: float = 1e-3, decoupled: bool = True,
                      hidden: int = 256, seed: int = 0, data=None, device=None, p_input: float = 0.0,
                      monitor: str = "val") -> dict:
    """Full-batch Adam(W) on `overfit_data`; train/val loss and accuracy per epoch.

    `weight_decay` is AdamW's decoupled decay (decoupled=True) or an L2 term in Adam (False). With
    `patience`, training stops as in hw06's early_stopping_epoch and the best epoch's weights are restored;
    `monitor` is the split whose loss early stopping watches ("val", or "train" to show why that is useless).
    Returns curves (NaN after a stop), best_epoch, stopped_at, the final (restored) train/val metrics and the trained
    "model" (on the CPU, in eval mode). `p_input` drops input features as well (0: no input dropout layer, the
    original network).
    `data` is (X_train, y_train, X_val, y_val) or, with a held-out set, (…, X_test, y_test) (overfit_data(held_out=
    True)): the final model is then also measured there, once ("final_test_loss", "final_test_acc").
    """
    import copy

    import torch
    import torch.nn.functional as F

    from course_lib.initstats import small_net_cpu_mode

    data = data if data is not None else overfit_data(n_train, seed=seed)
    Xtr, ytr, Xva, yva = data[:4]
    if monitor not in ("val", "train"):
        raise ValueError(f"monitor must be 'val' or 'train', got {monitor!r}")
    with small_net_cpu_mode(device):
        model = make_mlp(Xtr.shape[1], hidden, p_drop, seed=seed, p_input=p_input)
        opt_cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        opt = opt_cls(model.parameters(), lr=lr, weight_decay=weight_decay)
        Xt, yt = torch.as_tensor(Xtr), torch.as_tensor(ytr)
        Xv, yv = torch.as_tensor(Xva), torch.as_tensor(yva)
        hist = {k: np.full(epochs, np.nan) for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
        best, best_epoch, wait, best_state, stopped = np.inf, 0, 0, None, epochs - 1
        for ep in range(epochs):
            model.train()
            loss = F.cross_entropy(model(Xt), yt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            model.eval()
            with torch.no_grad():
                out_t, out_v = model(Xt), model(Xv)
                hist["train_loss"][ep] = float(F.cross_entropy(out_t, yt))
                hist["val_loss"][ep] = float(F.cross_entropy(out_v, yv))
                hist["train_acc"][ep] = float((out_t.argmax(1) == yt).float().mean())
                hist["val_acc"][ep] = float((out_v.argmax(1) == yv).float().mean())
            v = hist[f"{monitor}_loss"][ep]
            if v < best:
                best, best_epoch, wait = v, ep, 0
                if patience is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                wait += 1
                if patience is not None and wait >= patience:
                    stopped = ep
                    break
        if patience is not None and best_state is not None:
            model.load_state_dict(best_state)
            final = best_epoch
        else:
            final = stopped
        held = {}
        if len(data) == 6:
            model.eval()
            with torch.no_grad():
                Xte, yte = torch.as_tensor(data[4]), torch.as_tensor(data[5])
                out = model(Xte)
                held = {"final_test_loss": float(F.cross_entropy(out, yte)),
                        "final_test_acc": float((out.argmax(1) == yte).float().mean())}
    return dict(hist, **held, model=model, best_epoch=int(best_epoch), stopped_at=int(stopped),
                final_train_loss=float(hist["train_loss"][final]), final_val_loss=float(hist["val_loss"][final]),
                final_train_acc=float(hist["train_acc"][final]), final_val_acc=float(hist["val_acc"][final]),
                gap=float(hist["val_loss"][final] - hist["train_loss"][final]))


def bagging(n_models: int = 5, n_train: int = 100, epochs: int = 150, seed: int = 0, data=None,
            hidden: int = 64) -> dict:
    """Train nets on bootstrap resamples; validation accuracy of each and of the averaged probabilities."""
    Xtr, ytr, Xva, yva = (data if data is not None else overfit_data(n_train, seed=seed))[:4]
    rng = np.random.default_rng(seed)
    probs, accs = [], []
    for k in range(n_models):
        idx = rng.integers(0, len(ytr), len(ytr))
        r = _fit_predict(Xtr[idx], ytr[idx], Xva, epochs, hidden, seed + 1 + k)
        probs.append(r)
        accs.append(float((r.argmax(1) == yva).mean()))
    ens = np.mean(probs, axis=0)
    return {"single_acc": np.array(accs), "ensemble_acc": float((ens.argmax(1) == yva).mean()),
            "ensemble_curve": np.array([float((np.mean(probs[:k + 1], 0).argmax(1) == yva).mean())
                                        for k in range(n_models)])}


def _fit_predict(X, y, Xv, epochs, hidden, seed):
    import torch
    import torch.nn.functional as F

    from course_lib.initstats import small_net_cpu_mode

    with small_net_cpu_mode():
        model = make_mlp(X.shape[1], hidden, 0.0, seed=seed)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
        for _ in range(epochs):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(Xt), yt).backward()
            opt.step()
        with torch.no_grad():
            return torch.softmax(model(torch.as_tensor(Xv)), 1).numpy()


# ----------------------------------------------------------------------------------------------------------
# dropout: inverted vs test-time weight scaling; the stuck-unit example
# ----------------------------------------------------------------------------------------------------------


def dropout_equivalence(p: float = 0.5, n_masks: int = 20000, seed: int = 0) -> dict:
    """A small ReLU layer followed by a linear read-out, evaluated four ways on one input.

    inverted_mc: mean over masks of the training-time output with inverted dropout (h·m/(1−p));
    original_mc: mean over masks with the 2014 convention (h·m in training);
    inverted_test: the inverted net at test time (no mask, no scaling);
    original_test: the 2014 net at test time (read-out weights × (1−p)).
    For the linear read-out of the masked layer, E over masks equals the test-time rule exactly.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=8)
    W1, W2 = rng.normal(size=(8, 32)) / np.sqrt(8), rng.normal(size=(32, 3)) / np.sqrt(32)
    h = np.maximum(x @ W1, 0)
    masks = rng.random((n_masks, 32)) >= p
    inverted = (h * masks / (1 - p)) @ W2
    original = (h * masks) @ W2
    return {"inverted_mc": inverted.mean(0), "original_mc": original.mean(0), "inverted_test": h @ W2,
            "original_test": h @ (W2 * (1 - p)), "mc_stderr": inverted.std(0) / np.sqrt(n_masks)}


def dropout_ensemble_gap(model, X, y, n_passes: int = 200, seed: int = 0, rule: str = "scaling") -> dict:
    """How close is a dropout net's test-time rule to the average of its thinned networks, through nonlinearities?

    The ensemble: `n_passes` forward passes of `model` in training mode (every dropout layer draws a new mask), on
    the inputs X. The rule: one pass in evaluation mode (inverted dropout: no mask, no scaling; the "weight scaling
    inference rule"), or with rule="one_pass" a single pass in training mode (one random thinned network: what
    forgetting `model.eval()` gives). Returns
      ratio         rms(mean logits over passes − rule logits) / rms(Monte-Carlo standard error of that mean):
                    about 1 when the rule equals the ensemble's mean logits, larger when it does not;
      rel_gap       the part of that difference the Monte-Carlo noise does not explain, as a fraction of the spread
                    of the rule's logits over the examples: sqrt(max(mean gap² − mean se², 0)) / rms(logits − mean);
      acc_rule, acc_ensemble   accuracy on (X, y) of the rule and of the ensemble (mean of the softmax outputs);
      agreement     fraction of examples where both predict the same class.
    The model's mode is restored; torch's global random state is reseeded with `seed`.
    """
    import torch

    from course_lib.initstats import small_net_cpu_mode

    if rule not in ("scaling", "one_pass"):
        raise ValueError(f"rule must be 'scaling' or 'one_pass', got {rule!r}")
    was_training = model.training
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    torch.manual_seed(seed)
    try:
        with torch.no_grad(), small_net_cpu_mode():
            model.train(rule == "one_pass")
            ref = model(Xt).double()
            model.train()
            s1, s2, probs = torch.zeros_like(ref), torch.zeros_like(ref), torch.zeros_like(ref)
            for _ in range(n_passes):
                out = model(Xt).double()
                s1 += out
                s2 += out * out
                probs += torch.softmax(out, 1)
    finally:
        model.train(was_training)
    mean = s1 / n_passes
    se2 = (s2 / n_passes - mean ** 2).clamp_min(0) / (n_passes - 1)
    gap2 = ((mean - ref) ** 2).mean()
    spread = (ref - ref.mean(0)).pow(2).mean().sqrt()
    return {"ratio": float(gap2.sqrt() / se2.mean().sqrt().clamp_min(1e-300)),
            "rel_gap": float((gap2 - se2.mean()).clamp_min(0).sqrt() / spread),
            "acc_rule": float((ref.argmax(1) == yt).double().mean()),
            "acc_ensemble": float((probs.argmax(1) == yt).double().mean()),
            "agreement": float((ref.argmax(1) == probs.argmax(1)).double().mean())}


# ----------------------------------------------------------------------------------------------------------
# training with noise (Bishop 1995): input noise on a linear model is ridge regression
# ----------------------------------------------------------------------------------------------------------


def noise_vs_ridge(X, y, sigma: float, copies: int = 200, seed: int = 0, noise_on: str = "inputs") -> dict:
    """Least squares on `copies` noisy copies of (X, y) against ridge with λ = σ² (Bishop 1995).

    Each copy adds independent N(0, σ²) noise to every input (noise_on="inputs") or to every target ("targets").
    For inputs, E‖(X + E)w − y‖² = ‖Xw − y‖² + nσ²‖w‖², so the expected loss (1/(2n))Σ(...)² is the ridge objective
    (1/(2n))‖Xw − y‖² + (σ²/2)‖w‖²: as the copies grow, the fit approaches ridge(X, y, σ²). Noise on the targets only
    adds a constant to the expected loss: the fit approaches ordinary least squares.
    Returns w_noise, w_ridge (λ = σ²), w_ols and the relative distances to_ridge = ‖w_noise − w_ridge‖/‖w_ridge‖,
    to_ols = ‖w_noise − w_ols‖/‖w_ols‖, ridge_vs_ols = ‖w_ridge − w_ols‖/‖w_ols‖.
    """
    if noise_on not in ("inputs", "targets"):
        raise ValueError(f"noise_on must be 'inputs' or 'targets', got {noise_on!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    rng = np.random.default_rng(seed)
    XtX, Xty = np.zeros((d, d)), np.zeros(d)
    for _ in range(copies):  # accumulate the normal equations of the stacked noisy copies
        Xn = X + sigma * rng.normal(size=X.shape) if noise_on == "inputs" else X
        yn = y + sigma * rng.normal(size=n) if noise_on == "targets" else y
        XtX += Xn.T @ Xn
        Xty += Xn.T @ yn
    w_noise = np.linalg.solve(XtX, Xty)
    w_ridge = ridge(X, y, sigma ** 2)
    w_ols = np.linalg.lstsq(X, y, rcond=None)[0]

    def rel(a, b):
        return float(np.linalg.norm(a - b) / np.linalg.norm(b))

    return {"w_noise": w_noise, "w_ridge": w_ridge, "w_ols": w_ols, "to_ridge": rel(w_noise, w_ridge),
            "to_ols": rel(w_noise, w_ols), "ridge_vs_ols": rel(w_ridge, w_ols)}


def _sig(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def two_sigmoid_fit(p_drop: float = 0.0, steps: int = 3000, lr: float = 0.05, seed: int = 0,
                    start=(3.0, 6.0, 5.0, -30.0), n: int = 200) -> dict:
    """Fit y = σ(4(x+2)) + σ(4(x−2)) on [−4, 4] with ŷ = v₁σ(w₁x+b₁) + v₂σ(w₂x+b₂) + c (full-batch SGD with
    momentum 0.9, dropout with drop probability p_drop on the two hidden units during training).

    The default start (w₁, b₁, w₂, b₂) puts unit 1 on the left incline and unit 2 deep in saturation
    (w₂x + b₂ ≤ −10 on the whole data range): its derivative σ' is below 5e-5 everywhere, so it is stuck.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(-4, 4, n)
    y = _sig(4 * (x + 2)) + _sig(4 * (x - 2))
    w = np.array([start[0], start[2]], dtype=float)
    b = np.array([start[1], start[3]], dtype=float)
    v = np.array([1.0, 1.0])
    c = 0.0
    vel = [np.zeros(2), np.zeros(2), np.zeros(2), 0.0]
    losses = np.zeros(steps)
    for t in range(steps):
        z = np.outer(x, w) + b
        s = _sig(z)
        m = (rng.random(s.shape) >= p_drop) / (1 - p_drop) if p_drop > 0 else np.ones_like(s)
        h = s * m
        r = h @ v + c - y
        losses[t] = float(np.mean(r ** 2))
        g_out = 2 * r / n
        gv = h.T @ g_out
        gc = float(g_out.sum())
        gz = np.outer(g_out, v) * m * s * (1 - s)
        gw = (gz * x[:, None]).sum(0)
        gb = gz.sum(0)
        grads = [gw, gb, gv, gc]
        for i, g in enumerate(grads):
            vel[i] = 0.9 * vel[i] - lr * g
        w, b, v, c = w + vel[0], b + vel[1], v + vel[2], c + vel[3]
    s = _sig(np.outer(x, w) + b)
    pred = s @ v + c
    return {"x": x, "target": y, "pred": pred, "units": [s[:, k] * v[k] for k in range(2)],
            "mean_slope": (s * (1 - s)).mean(0), "mse": float(np.mean((pred - y) ** 2)), "loss": losses,
            "w": w, "b": b, "v": v, "c": c}


# ----------------------------------------------------------------------------------------------------------
# model selection: train / validation / test, and a budgeted hyper-parameter search
# ----------------------------------------------------------------------------------------------------------

# Log-uniform ranges of the search in lecture 06 (Adam(W) on a one-hidden-layer MLP for the 8×8 digits).
SEARCH_RANGES = {"lr": (1e-4, 1.0), "width": (4.0, 512.0), "weight_decay": (1e-5, 1.0)}


def selection_splits(seed: int = 0, n_train: int = 200, n_val: int = 200):
    """Digits (8×8, flattened) split three ways, stratified: (X_train, y_train, X_val, y_val, X_test, y_test).

    The test set is everything not in train or validation; features are standardized with the training
    set's mean and standard deviation only (the validation and test sets must not leak into any fitting).
    """
    from sklearn.model_selection import train_test_split

    from course_lib.data import load_digits

    X, y = load_digits()
    X = X.reshape(len(X), -1)
    Xp, Xte, yp, yte = train_test_split(X, y, train_size=n_train + n_val, random_state=seed, stratify=y)
    Xtr, Xva, ytr, yva = train_test_split(Xp, yp, train_size=n_train, random_state=seed, stratify=yp)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6

    def f(a):
        return ((a - mu) / sd).astype(np.float32)

    return f(Xtr), ytr, f(Xva), yva, f(Xte), yte


def grid_configs(levels: int = 3, ranges: dict | None = None) -> list[dict]:
    """levels^d configurations: each axis gets `levels` log-spaced values strictly inside its range."""
    import itertools

    ranges = ranges or SEARCH_RANGES
    axes = {k: np.geomspace(lo, hi, levels + 2)[1:-1] for k, (lo, hi) in ranges.items()}
    return [dict(zip(axes, map(float, vals))) for vals in itertools.product(*axes.values())]


def random_configs(n: int, seed: int = 0, ranges: dict | None = None) -> list[dict]:
    """n configurations, every hyper-parameter drawn independently and log-uniformly from its range."""
    ranges = ranges or SEARCH_RANGES
    rng = np.random.default_rng(seed)
    return [{k: float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) for k, (lo, hi) in ranges.items()}
            for _ in range(n)]


def fit_mlp_config(Xtr, ytr, evals, lr: float, width: float, weight_decay: float, epochs: int = 60,
                   seed: int = 0, per_example: bool = False) -> list:
    """Full-batch AdamW on a d → width → 10 ReLU MLP; the accuracy on each (X, y) of `evals` (with `per_example`,
    a boolean array per (X, y): which examples it gets right)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from course_lib.initstats import small_net_cpu_mode

    with small_net_cpu_mode():
        torch.manual_seed(seed)
        w = max(1, int(round(width)))
        model = nn.Sequential(nn.Linear(Xtr.shape[1], w), nn.ReLU(), nn.Linear(w, int(np.max(ytr)) + 1))
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        Xt, yt = torch.as_tensor(Xtr), torch.as_tensor(ytr)
        for _ in range(epochs):
            loss = F.cross_entropy(model(Xt), yt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            right = [(model(torch.as_tensor(X)).argmax(1) == torch.as_tensor(y)).numpy() for X, y in evals]
    return right if per_example else [float(r.mean()) for r in right]


def search(configs: list[dict], splits, epochs: int = 60, seed: int = 0) -> dict:
    """Train every configuration on the training split; select on validation; test the selected one.

    Returns val and test accuracy per configuration (the test column is kept only to show, afterwards, how
    optimistic it would have been to select on it: see selection_optimism), which test examples each got right
    ("test_correct"), the index chosen on validation, its test accuracy (`test_selected`, the honest number) and the
    best test accuracy over all configurations (`test_best`, ≥ test_selected by construction).
    """
    Xtr, ytr, Xva, yva, Xte, yte = splits
    fits = [fit_mlp_config(Xtr, ytr, [(Xva, yva), (Xte, yte)], epochs=epochs, seed=seed, per_example=True, **c)
            for c in configs]
    val = np.array([float(np.mean(f[0])) for f in fits])
    test_correct = np.array([f[1] for f in fits])  # (configurations, test examples): True where right
    test = test_correct.mean(1)
    best = int(np.argmax(val))
    return {"configs": configs, "val": val, "test": test, "test_correct": test_correct, "selected": best,
            "val_selected": float(val[best]), "test_selected": float(test[best]), "test_best": float(test.max())}


def selection_optimism(result: dict, n_splits: int = 50, seed: int = 0, report_on: str = "other",
                       n_select: int | None = None) -> float:
    """What "selecting on the test set" costs, measured on data the selection did not see.

    Split the test set at random into A (`n_select` examples, default half) and B (the rest); pick the configuration
    with the best accuracy on A; its
    accuracy on A (what one would report) minus its accuracy on B (what it does on new data). Averaged over
    `n_splits` random splits (seeded). Positive: the reported score is optimistic. report_on="selection" reports on A
    itself (selecting and reporting on the same data): 0 by construction, which is why it proves nothing.
    """
    if report_on not in ("other", "selection"):
        raise ValueError(f"report_on must be 'other' or 'selection', got {report_on!r}")
    C = np.asarray(result["test_correct"], dtype=float)
    rng = np.random.default_rng(seed)
    n = C.shape[1]
    out = []
    for _ in range(n_splits):
        perm = rng.permutation(n)
        k = n // 2 if n_select is None else int(n_select)
        a, b = perm[:k], perm[k:]
        acc_a = C[:, a].mean(1)
        chosen = int(np.argmax(acc_a))
        reported = acc_a[chosen]
        fresh = C[chosen, a].mean() if report_on == "selection" else C[chosen, b].mean()
        out.append(reported - fresh)
    return float(np.mean(out))
