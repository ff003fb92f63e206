"""Residual lab (lecture 05): depth, skip connections on/off and BatchNorm on/off -> per-block gradient norms at
initialization, a short SGD run on the digits, and a 1-D loss slice along a filter-normalized random direction.

    from course_lib.widgets.residual_lab import residual_lab_demo
    residual_lab_demo()

Everything trains, so it recomputes on the Run button (and once when first displayed).
Pure function: `residual_lab(...)`.
"""

from __future__ import annotations

import numpy as np

from course_lib.initstats import (
    digits_data,
    filter_normalized_direction,
    init_grad_norms,
    loss_surface,
    slice_roughness,
    train_residual,
)


def residual_lab(depth: int = 20, skip: bool = True, norm: bool = True, steps: int | None = None,
                 width: int = 64, points: int | None = None, seed: int = 0, data=None) -> dict:
    """Per-block gradient norms at initialization, the training loss of `steps` SGD steps and, after
    training, the loss along one filter-normalized random direction (α from −1 to 1; BatchNorm in evaluation mode,
    as in Li et al. 2018) with its roughness."""
    from course_lib.runtime import scale

    steps = steps if steps is not None else scale(quick=10, cpu=150, gpu=300)
    points = points if points is not None else scale(quick=9, cpu=31)
    data = data if data is not None else digits_data(seed)
    grads0 = init_grad_norms(depth, width, skip, norm, seed, data=data)
    run = train_residual(depth, width, skip, steps=steps, seed=seed, data=data, norm=norm)
    alphas = np.linspace(-1.0, 1.0, points)
    direction = filter_normalized_direction(run["model"], seed=seed)
    line = loss_surface(run["model"], data[0][:256], data[1][:256], direction, alphas, mode="eval")
    return {"depth": depth, "skip": skip, "norm": norm, "steps": steps, "grads_init": grads0,
            "loss": run["loss"], "val_acc": run["val_acc"], "diverged": run["diverged"],
            "alphas": alphas, "slice": line, "roughness": slice_roughness(line)}


def draw(res: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.1))
    name = f"{res['depth']} blocks, {'with' if res['skip'] else 'no'} skips, {'BN' if res['norm'] else 'no BN'}"
    g = np.asarray(res["grads_init"], dtype=float)
    axes[0].semilogy(np.arange(1, len(g) + 1), np.where(g > 0, g, np.nan), "o-", ms=3)
    axes[0].set_xlabel("block")
    axes[0].set_ylabel("‖∂L/∂W‖ at initialization")
    axes[0].set_title(f"block 1 / last block: {g[0] / g[-1]:.2g}", fontsize=9)
    axes[1].plot(res["loss"], lw=1)
    axes[1].axhline(np.log(10), color="gray", ls=":", label="log 10 (chance)")
    axes[1].set_xlabel("SGD step")
    axes[1].set_ylabel("training loss")
    status = "diverged" if res["diverged"] else f"val. accuracy {res['val_acc']:.0%}"
    axes[1].set_title(f"{name}: {status}", fontsize=9)
    axes[1].legend(fontsize=7)
    axes[2].plot(res["alphas"], res["slice"], ".-", ms=3)
    r = res["roughness"]
    n_min = r["local_minima"]
    axes[2].set_title(f"loss slice: {n_min} local {'minimum' if n_min == 1 else 'minima'}, excess variation "
                      f"{r['excess_variation']:.2f}", fontsize=9)
    axes[2].set_xlabel("α (filter-normalized direction; BatchNorm in evaluation mode)")
    fig.tight_layout()
    return fig


def residual_lab_demo(depth: int = 20, skip: bool = True, norm: bool = True, steps: int | None = None, data=None):
    """Build the demo (display it by leaving it as the last expression of a cell); `data` defaults to the digits."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    controls = {
        "depth": w.IntSlider(value=depth, min=2, max=50, step=1, description="blocks", continuous_update=False),
        "skip": w.Checkbox(value=skip, description="skip connections"),
        "norm": w.Checkbox(value=norm, description="BatchNorm"),
    }
    return Demo(lambda **kw: residual_lab(steps=steps, data=data, **kw), draw, controls, run_button=True,
                height="330px", description="Train")
