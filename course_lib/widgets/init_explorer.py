"""Initialization explorer (lecture 05): scheme, activation, depth, width -> per-layer statistics, and a
training curve on a Run button.

    from course_lib.widgets.init_explorer import init_explorer_demo
    init_explorer_demo()

The statistics redraw whenever a control changes (a NumPy forward/backward pass, milliseconds); training
runs only when the button is pressed. Pure functions: `explorer_stats(...)` and `explorer_train(...)`.
"""

from __future__ import annotations

import numpy as np

from course_lib.initstats import ACTIVATIONS, SCHEME_LABELS, SCHEMES, layer_statistics, train_deep_net


def explorer_stats(scheme: str = "he", activation: str = "relu", depth: int = 20, width: int = 64,
                   n: int = 256, seed: int = 0) -> dict:
    """Per-layer std of activations and gradients, plus histogram samples of 3 layers (first, middle, last)."""
    st = layer_statistics(scheme, activation, depth, width, n=n, seed=seed, keep=True)
    picks = sorted({0, (depth - 1) // 2, depth - 1})
    return {
        "scheme": scheme, "activation": activation, "depth": depth, "width": width,
        "act_std": st["act_std"], "grad_std": st["grad_std"],
        "hist_layers": picks,
        "hist_acts": [np.asarray(st["acts"][i]).ravel() for i in picks],
        "hist_grads": [np.asarray(st["grads"][i]).ravel() for i in picks],
    }


def explorer_train(scheme: str = "he", activation: str = "relu", depth: int = 20, width: int = 64,
                   steps: int | None = None, seed: int = 0) -> dict:
    """A short SGD run of the same deep MLP on the digits (loss per step, final accuracies)."""
    from course_lib.runtime import scale

    steps = steps if steps is not None else scale(quick=60, cpu=250, gpu=400)
    r = train_deep_net(scheme, depth=depth, width=width, activation=activation, steps=steps, seed=seed)
    return dict(r, scheme=scheme, activation=activation, depth=depth, width=width)


def _safe_log(v):
    v = np.asarray(v, dtype=float)
    return np.where(v > 0, v, np.nan)


def draw_stats(res: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.1))
    layers = np.arange(1, res["depth"] + 1)
    axes[0].semilogy(layers, _safe_log(res["act_std"]), "o-", ms=3, label="activations h_l")
    axes[0].semilogy(layers, _safe_log(res["grad_std"]), "s-", ms=3, label="gradients dL/dh_l")
    axes[0].set_xlabel("layer")
    axes[0].set_ylabel("standard deviation")
    axes[0].set_title(f"{SCHEME_LABELS[res['scheme']]}, {res['activation']}", fontsize=9)
    axes[0].legend(fontsize=7)
    for ax, key, title in ((axes[1], "hist_acts", "activations"), (axes[2], "hist_grads", "gradients")):
        for layer, vals in zip(res["hist_layers"], res[key]):
            vals = vals[np.isfinite(vals)]
            if vals.size and np.ptp(vals) > 0:
                ax.hist(vals, bins=50, histtype="step", density=True, label=f"layer {layer + 1}")
            else:
                ax.axvline(float(vals[0]) if vals.size else 0.0, lw=2, label=f"layer {layer + 1} (constant)")
        ax.set_title(f"{title} (each layer on its own scale)" if key == "hist_grads" else title, fontsize=9)
        ax.set_yticks([])
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_train(res: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.plot(res["loss"], lw=1)
    ax.axhline(np.log(10), color="gray", ls=":", label="log 10 (chance)")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("training loss")
    status = "diverged" if res["diverged"] else f"val. accuracy {res['val_acc']:.0%}"
    ax.set_title(f"{res['depth']} layers × {res['width']}, {SCHEME_LABELS[res['scheme']]}: {status}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


class InitExplorer:
    """Two Demos sharing one set of controls: live statistics, and training on the Run button."""

    def __init__(self, scheme="he", activation="relu", depth=20, width=64, steps=None):
        import ipywidgets as w

        from course_lib.widgets.base import Demo

        self.controls = {
            "scheme": w.Dropdown(options=[(SCHEME_LABELS[s], s) for s in SCHEMES], value=scheme,
                                 description="init"),
            "activation": w.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation"),
            "depth": w.IntSlider(value=depth, min=2, max=50, step=1, description="depth",
                                 continuous_update=False),
            "width": w.IntSlider(value=width, min=16, max=256, step=16, description="width",
                                 continuous_update=False),
        }
        self.stats = Demo(explorer_stats, draw_stats, self.controls, run_button=False, height="330px")
        self.train = Demo(lambda **kw: explorer_train(steps=steps, **kw), draw_train, self.controls,
                          run_button=True, height="300px", description="Train (SGD)")
        self.widget = w.VBox([w.HBox(list(self.controls.values())[:2]), w.HBox(list(self.controls.values())[2:]),
                              self.stats.output, self.train.button, self.train.output])

    @property
    def result(self) -> dict:
        return {"stats": self.stats.result, "train": self.train.result}

    def click(self):
        return self.train.click()

    def _ipython_display_(self):
        from IPython.display import display

        if self.stats.result is None:
            self.stats.update()
        display(self.widget)


def init_explorer_demo(**kwargs) -> InitExplorer:
    """Build the explorer (display it by leaving it as the last expression of a cell)."""
    return InitExplorer(**kwargs)
