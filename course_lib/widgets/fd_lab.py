"""Finite-difference lab: pick a function, a point and a step h; compare forward differences, centred
differences and automatic differentiation (exact to round-off) against the true derivative.

    from course_lib.widgets.fd_lab import fd_lab_demo
    fd_lab_demo()
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.autodiff import Dual

# name -> (f on floats, f on Dual numbers for forward-mode autodiff, exact derivative)
FUNCTIONS = {
    "sin(x)·eˣ": (lambda x: math.sin(x) * math.exp(x), lambda d: d.sin() * d.exp(),
                  lambda x: math.exp(x) * (math.sin(x) + math.cos(x))),
    "x³ − 2x": (lambda x: x ** 3 - 2 * x, lambda d: d ** 3 - 2 * d, lambda x: 3 * x ** 2 - 2),
    "tanh(3x)": (lambda x: math.tanh(3 * x), lambda d: (3 * d).tanh(), lambda x: 3 * (1 - math.tanh(3 * x) ** 2)),
    "log(1 + x²)": (lambda x: math.log(1 + x * x), lambda d: (1 + d * d).log(), lambda x: 2 * x / (1 + x * x)),
    "1e4·sin(x)": (lambda x: 1e4 * math.sin(x), lambda d: 1e4 * d.sin(), lambda x: 1e4 * math.cos(x)),
}

H_GRID = np.logspace(-15, -1, 57)


def fd_lab(function: str = "sin(x)·eˣ", x0: float = 1.0, h: float = 1e-5) -> dict:
    """Errors of forward/centred differences and forward-mode autodiff at x0, for the chosen h and over a grid.

    Returns exact, the three estimates and their absolute errors at h, and the error curves over H_GRID,
    plus the h that minimises each curve and the textbook optimum √ε (forward) and ∛ε (centred).
    """
    f, f_dual, df = FUNCTIONS[function]
    exact = df(x0)

    def fwd(step):
        return (f(x0 + step) - f(x0)) / step

    def cen(step):
        return (f(x0 + step) - f(x0 - step)) / (2 * step)

    auto = f_dual(Dual(x0, 1.0)).dot
    grid_f = np.array([abs(fwd(s) - exact) for s in H_GRID])
    grid_c = np.array([abs(cen(s) - exact) for s in H_GRID])
    eps = np.finfo(float).eps
    return {
        "function": function, "x0": x0, "h": h, "exact": exact,
        "forward": fwd(h), "central": cen(h), "autodiff": auto,
        "err_forward": abs(fwd(h) - exact), "err_central": abs(cen(h) - exact), "err_autodiff": abs(auto - exact),
        "grid_h": H_GRID, "grid_forward": grid_f, "grid_central": grid_c,
        "best_h_forward": float(H_GRID[np.argmin(grid_f)]), "best_h_central": float(H_GRID[np.argmin(grid_c)]),
        "rule_forward": math.sqrt(eps), "rule_central": eps ** (1 / 3),
    }


def draw_fd_lab(r: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    floor = 1e-17
    ax.loglog(r["grid_h"], np.maximum(r["grid_forward"], floor), ".-", label="forward  O(h)")
    ax.loglog(r["grid_h"], np.maximum(r["grid_central"], floor), ".-", label="centred  O(h²)")
    ax.axhline(max(r["err_autodiff"], floor), color="k", ls=":", label="autodiff (dual numbers)")
    ax.axvline(r["h"], color="tab:red", lw=1)
    ax.plot([r["h"]], [max(r["err_forward"], floor)], "o", color="tab:blue")
    ax.plot([r["h"]], [max(r["err_central"], floor)], "o", color="tab:orange")
    ax.set_xlabel("step h")
    ax.set_ylabel("|estimate − exact|")
    ax.set_ylim(floor / 2, None)
    ax.set_title(f"d/dx {r['function']} at x = {r['x0']:.2f}: exact {r['exact']:.10g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    txt = (f"h = {r['h']:.1e}\nforward  {r['forward']:.12g}\ncentred  {r['central']:.12g}\n"
           f"autodiff {r['autodiff']:.12g}")
    ax.text(1.02, 0.5, txt, transform=ax.transAxes, fontsize=7, family="monospace", va="center")
    fig.tight_layout()
    return fig


def fd_lab_demo(function: str = "sin(x)·eˣ", x0: float = 1.0, h: float = 1e-5):
    """The widget: function, point x0 and a log slider for h."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    controls = {
        "function": w.Dropdown(options=list(FUNCTIONS), value=function, description="f"),
        "x0": w.FloatSlider(value=x0, min=-2.0, max=2.0, step=0.05, description="x₀", continuous_update=False),
        "h": w.FloatLogSlider(value=h, base=10, min=-15, max=-1, step=0.25, description="h",
                              continuous_update=False, readout_format=".1e"),
    }
    return Demo(fd_lab, draw_fd_lab, controls, height="400px")
