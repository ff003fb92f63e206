"""Optimizer race (lecture 02): GD, momentum, Nesterov, AdaGrad, RMSProp, Adam and Muon on a 2-D surface.

    from course_lib.widgets.optimizer_race import race_demo; race_demo()

Surfaces: an ill-conditioned quadratic, Rosenbrock's valley, and a saddle. Each optimizer starts from the
same point with its own sensible learning rate (times a common factor). `race_compute` is the pure part.
On a 2-D vector Muon's Newton–Schulz step reduces to a normalised step, ≈ g/‖g‖: the race shows normalised
momentum, not what Muon does to a weight matrix (see the lecture).
"""

from __future__ import annotations

import numpy as np

from course_lib.optim import RACE_OPTIMIZERS, race, surfaces


def race_compute(surface: str = "quadratic", optimizers=RACE_OPTIMIZERS, lr_scale: float = 1.0,
                 steps: int = 200) -> dict:
    """Paths and loss gaps f − f_min per optimizer; also the final gap and the first step below 1e-3."""
    r = race(surface, tuple(optimizers), int(steps), float(lr_scale))
    r["final"] = {n: float(v[-1]) for n, v in r["losses"].items()}
    r["hit"] = {n: (int(np.argmax(v < 1e-3)) if np.any(v < 1e-3) else None) for n, v in r["losses"].items()}
    r["key"] = surface
    return r


def race_draw(r: dict):
    import matplotlib.pyplot as plt

    from course_lib.plots import contour_with_paths

    s = surfaces()[r["key"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    f_shift = lambda p: s.f(p) - s.f_min  # noqa: E731
    paths = {n: p[np.all(np.isfinite(p), axis=1)] for n, p in r["paths"].items()}
    contour_with_paths(f_shift, paths, xlim=s.xlim, ylim=s.ylim, levels=25, ax=ax1, log_levels=True)
    ax1.plot(*s.x0, "ko", ms=5)
    ax1.set_title(r["surface"], fontsize=9)
    for n, v in r["losses"].items():
        ax2.semilogy(np.arange(len(v)), np.maximum(v, 1e-16), label=n)
    ax2.set_xlabel("step")
    ax2.set_ylabel("f − f_min")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def race_demo(surface: str = "quadratic", steps: int = 200):
    """Choose the surface, the optimizers, a learning-rate factor and the number of steps; press Run."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    style = {"description_width": "initial"}
    controls = {
        "surface": w.Dropdown(options=[("ill-conditioned quadratic", "quadratic"), ("Rosenbrock", "rosenbrock"),
                                       ("saddle", "saddle")], value=surface, description="surface", style=style),
        "optimizers": w.SelectMultiple(options=list(RACE_OPTIMIZERS), value=list(RACE_OPTIMIZERS), rows=7,
                                       description="optimizers", style=style),
        "lr_scale": w.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05, description="lr ×",
                                     continuous_update=False, style=style),
        "steps": w.IntSlider(value=steps, min=20, max=1000, step=20, description="steps",
                             continuous_update=False, style=style),
    }
    return Demo(race_compute, race_draw, controls, run_button=True, height="400px", description="Race")
