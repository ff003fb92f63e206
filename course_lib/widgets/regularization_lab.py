"""Regularization lab (lecture 06): dropout p, weight decay, early-stopping patience and training-set size on a
small MLP that memorizes a few noisy-label digits; Run trains it and shows train/validation curves and the gap.

    from course_lib.widgets.regularization_lab import regularization_lab_demo
    regularization_lab_demo()

Pure function: `lab_run(p_drop, weight_decay, patience, n_train)`; patience 0 means "no early stopping".
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from course_lib.regularize import overfit_data, train_regularized


@lru_cache(maxsize=8)
def _data(n_train: int):
    return overfit_data(n_train)


def lab_run(p_drop: float = 0.0, weight_decay: float = 0.0, patience: int = 0, n_train: int = 100,
            epochs: int | None = None) -> dict:
    """Train once; curves, the epoch whose weights are kept, and the final validation − training loss gap."""
    from course_lib.runtime import scale

    epochs = epochs if epochs is not None else scale(quick=60, cpu=150, gpu=300)
    r = train_regularized(p_drop=float(p_drop), weight_decay=float(weight_decay),
                          patience=int(patience) if patience else None, n_train=int(n_train), epochs=epochs,
                          data=_data(int(n_train)))
    return dict(r, p_drop=p_drop, weight_decay=weight_decay, patience=patience, n_train=n_train)


def draw_lab(res: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    ep = np.arange(len(res["train_loss"]))
    axes[0].plot(ep, res["train_loss"], label="train")
    axes[0].plot(ep, res["val_loss"], label="validation")
    kept = res["best_epoch"] if res["patience"] else res["stopped_at"]
    axes[0].axvline(kept, color="k", ls="--", lw=1, label=f"kept weights (epoch {kept})")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("cross-entropy")
    axes[0].set_ylim(0, max(2.5, float(np.nanmin(res["val_loss"])) * 1.5))
    axes[0].legend(fontsize=7)
    axes[0].set_title(f"gap (val − train loss) = {res['gap']:.3f}", fontsize=9)
    axes[1].plot(ep, res["train_acc"], label="train")
    axes[1].plot(ep, res["val_acc"], label="validation")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("accuracy")
    axes[1].set_ylim(0, 1.02)
    axes[1].set_title(f"n_train={res['n_train']}, p={res['p_drop']}, wd={res['weight_decay']}: "
                      f"val. acc. {res['final_val_acc']:.1%}", fontsize=9)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def regularization_lab_demo(epochs: int | None = None):
    """The lab as a Demo with a Run button (nothing trains until it is pressed)."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    controls = {
        "p_drop": w.FloatSlider(value=0.0, min=0.0, max=0.8, step=0.1, description="dropout p",
                                continuous_update=False),
        "weight_decay": w.FloatLogSlider(value=1e-4, base=10, min=-4, max=1, step=0.25, description="weight decay",
                                         continuous_update=False),
        "patience": w.IntSlider(value=0, min=0, max=40, step=1, description="patience (0=off)",
                                continuous_update=False),
        "n_train": w.Dropdown(options=[50, 100, 200, 400, 800], value=100, description="train size"),
    }
    return Demo(lambda **kw: lab_run(epochs=epochs, **kw), draw_lab, controls, run_button=True, height="330px",
                description="Train")
