"""A small NumPy playground in the spirit of TensorFlow Playground (playground.tensorflow.org): choose a 2-D
dataset, the number of hidden layers and their width, the activation and the learning rate, press Run, and
watch the decision regions and the loss of an MLP trained by full-batch gradient descent (course_lib.layers).

    from course_lib.widgets.playground import playground_demo
    playground_demo()
"""

from __future__ import annotations

import numpy as np

from course_lib.layers import mlp_forward, train_mlp

DATASETS = ("spirals", "moons", "circles", "xor", "blobs")


def make_dataset(name: str, n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D datasets with integer labels, scaled to roughly [−1.5, 1.5]²."""
    from course_lib.data import circles, moons, spirals

    rng = np.random.default_rng(seed)
    if name == "spirals":
        X, y = spirals(n=n // 2, classes=2, noise=noise * 2, seed=seed)
        X = X * 1.4
    elif name == "moons":
        X, y = moons(n=n, noise=noise, seed=seed)
        X = (X - np.array([0.5, 0.25])) * 1.2
    elif name == "circles":
        X, y = circles(n=n, noise=noise * 0.8, factor=0.5, seed=seed)
        X = X * 1.3
    elif name == "xor":
        X = rng.uniform(-1.2, 1.2, size=(n, 2))
        y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
        X = X + noise * 0.5 * rng.normal(size=X.shape)
    elif name == "blobs":
        y = rng.integers(0, 2, size=n)
        X = np.where(y[:, None] == 1, 0.7, -0.7) + (0.35 + noise) * rng.normal(size=(n, 2))
    else:
        raise KeyError(f"unknown dataset {name!r}; choose from {DATASETS}")
    return X.astype(float), y.astype(int)


def playground(dataset: str = "spirals", hidden_layers: int = 2, width: int = 16, activation: str = "relu",
               lr: float = 0.3, steps: int = 300, noise: float = 0.1, seed: int = 0, resolution: int = 60) -> dict:
    """Train and return the loss curve, the accuracy, and the class-1 probability on a grid (for drawing)."""
    X, y = make_dataset(dataset, noise=noise, seed=seed)
    hidden = [int(width)] * int(hidden_layers)
    r = train_mlp(X, y, hidden=hidden, activation=activation, lr=float(lr), steps=int(steps), seed=seed,
                  record_every=max(1, int(steps) // 100))
    lim = 1.9
    xs = np.linspace(-lim, lim, resolution)
    XX, YY = np.meshgrid(xs, xs)
    logits, _ = mlp_forward(r["params"], np.c_[XX.ravel(), YY.ravel()], activation)
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n_params = sum(v.size for v in r["params"].values())
    return {"X": X, "y": y, "grid_x": xs, "prob": p[:, 1].reshape(XX.shape), "loss": r["loss"],
            "accuracy": float(r["accuracy"][-1]), "final_loss": float(r["loss"][-1]), "n_params": int(n_params),
            "hidden": hidden, "activation": activation, "diverged": not np.isfinite(r["loss"][-1])}


def draw_playground(r: dict):
    import matplotlib.pyplot as plt

    fig, (a0, a1) = plt.subplots(1, 2, figsize=(8.5, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
    xs = r["grid_x"]
    a0.contourf(xs, xs, np.nan_to_num(r["prob"], nan=0.5), levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
    a0.scatter(r["X"][:, 0], r["X"][:, 1], c=r["y"], cmap="RdBu", edgecolors="k", linewidths=0.3, s=12)
    a0.set_aspect("equal")
    arch = " → ".join(["2", *map(str, r["hidden"]), "2"])
    a0.set_title(f"{arch} ({r['activation']}), {r['n_params']} params", fontsize=8)
    a1.plot(np.linspace(0, 1, len(r["loss"])), r["loss"])
    a1.set_yscale("log")
    a1.set_xlabel("fraction of training")
    a1.set_ylabel("cross-entropy")
    status = "diverged: lower the learning rate" if r["diverged"] else \
        f"loss {r['final_loss']:.3f}, train accuracy {r['accuracy']:.0%}"
    a1.set_title(status, fontsize=8)
    fig.tight_layout()
    return fig


def playground_demo(dataset: str = "spirals"):
    """The widget: dataset, depth, width, activation, learning rate, steps; press Run to train."""
    import ipywidgets as w

    from course_lib.runtime import scale
    from course_lib.widgets.base import Demo

    controls = {
        "dataset": w.Dropdown(options=list(DATASETS), value=dataset, description="data"),
        "hidden_layers": w.IntSlider(value=2, min=0, max=4, description="hidden layers"),
        "width": w.IntSlider(value=16, min=1, max=64, description="width"),
        "activation": w.ToggleButtons(options=["relu", "tanh", "sigmoid", "linear"], value="relu",
                                      description="activation"),
        "lr": w.FloatLogSlider(value=0.3, base=10, min=-3, max=1, step=0.1, description="learning rate"),
        "steps": w.IntSlider(value=scale(quick=150, cpu=400, gpu=800), min=50, max=3000, step=50,
                             description="steps"),
    }
    return Demo(playground, draw_playground, controls, run_button=True, height="420px",
                description="Run (train)")
