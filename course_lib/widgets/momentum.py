"""Momentum explorer (lecture 02), after Goh's "Why Momentum Really Works" (Distill 2017).

    from course_lib.widgets.momentum import momentum_demo; momentum_demo()

Heavy ball z ← βz + ∇f(w), w ← w − αz on a quadratic with eigenvalues spread over [1/κ, 1] (L = 1).
Left: the error in each eigen-direction |xᵢᵏ| and the loss. Right: the convergence rate over the (α, β)
plane with the current choice and the optimum marked. `momentum_compute` is the pure part.
"""

from __future__ import annotations

import numpy as np

from course_lib.optim import momentum_components, momentum_optimal, momentum_rate, momentum_rate_grid


def momentum_compute(alpha: float = 1.0, beta: float = 0.5, kappa: float = 30.0, steps: int = 100,
                     n_eigs: int = 5, grid: int = 120) -> dict:
    """Per-eigencomponent errors, loss, rate, the optimal (α, β) and the rate map on an (α, β) grid."""
    lams = np.geomspace(1.0 / kappa, 1.0, n_eigs)
    x0 = np.ones(n_eigs)
    comps = momentum_components(alpha, beta, lams, x0, int(steps))
    with np.errstate(over="ignore", invalid="ignore"):
        loss = 0.5 * np.sum(lams * comps ** 2, axis=1)
    alphas = np.linspace(1e-3, 4.0, grid)
    betas = np.linspace(0.0, 0.999, grid)
    a_opt, b_opt, r_opt = momentum_optimal(lams[0], lams[-1])
    rate = momentum_rate(alpha, beta, lams)
    return {
        "lams": lams, "components": comps, "loss": loss, "rate": rate,
        "converges": bool(rate < 1.0), "stable_alpha_max": (2.0 + 2.0 * beta) / lams[-1],
        "alpha": alpha, "beta": beta, "kappa": kappa,
        "alpha_opt": a_opt, "beta_opt": b_opt, "rate_opt": r_opt,
        "gd_rate_opt": (kappa - 1.0) / (kappa + 1.0),
        "alphas": alphas, "betas": betas, "rate_map": momentum_rate_grid(alphas, betas, lams[0], lams[-1]),
    }


def momentum_draw(r: dict):
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.9))
    k = np.arange(len(r["loss"]))
    with np.errstate(invalid="ignore"):
        for i, lam in enumerate(r["lams"]):
            ax1.semilogy(k, np.abs(r["components"][:, i]) + 1e-300, lw=1, label=f"|x{i + 1}|, λ={lam:.3g}")
        ax1.semilogy(k, r["loss"] + 1e-300, "k", lw=2, label="f(w) − f*")
    ax1.set_ylim(1e-10, 1e3)
    ax1.set_xlabel("step k")
    verdict = f"rate {r['rate']:.3f}" if r["converges"] else "diverges"
    ax1.set_title(f"α={r['alpha']:.2f}, β={r['beta']:.2f}: {verdict}", fontsize=9)
    ax1.legend(fontsize=6, loc="lower left")
    R = np.clip(r["rate_map"], 0, 1.0)
    im = ax2.pcolormesh(r["alphas"], r["betas"], R, cmap="viridis_r", shading="auto", vmin=0.3, vmax=1.0)
    ax2.contour(r["alphas"], r["betas"], r["rate_map"], levels=[1.0], colors="r", linewidths=1)
    fig.colorbar(im, ax=ax2, label="rate (≥ 1: diverges)")
    ax2.plot(r["alpha"], r["beta"], "wo", mec="k", ms=7, label="you")
    ax2.plot(r["alpha_opt"], r["beta_opt"], "r*", ms=11, label=f"optimal: rate {r['rate_opt']:.3f}")
    ax2.set_xlabel("α (L = 1)")
    ax2.set_ylabel("β")
    ax2.set_title(f"GD at its best: rate {r['gd_rate_opt']:.3f}", fontsize=9)
    ax2.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def momentum_demo(alpha: float = 1.0, beta: float = 0.5, kappa: float = 30.0, steps: int = 100):
    """Sliders for α, β, κ and steps; a button jumps to the optimal (α, β)."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    style = {"description_width": "initial"}
    controls = {
        "alpha": w.FloatSlider(value=alpha, min=0.01, max=4.0, step=0.01, description="α",
                               continuous_update=False, style=style),
        "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="β",
                              continuous_update=False, style=style),
        "kappa": w.FloatLogSlider(value=kappa, base=10, min=0, max=3, step=0.05, description="κ",
                                  continuous_update=False, style=style),
        "steps": w.IntSlider(value=steps, min=10, max=300, step=10, description="steps",
                             continuous_update=False, style=style),
    }
    demo = Demo(momentum_compute, momentum_draw, controls, height="390px")
    optimal = w.Button(description="optimal α, β", layout=w.Layout(width="140px"))
    held = [False]  # while True, slider changes do not redraw (the button moves two sliders, then draws once)

    def update_unless_held():
        return demo.result if held[0] else Demo.update(demo)

    demo.update = update_unless_held  # the sliders' observers call demo.update()

    def set_optimal(_b=None):
        a, b, _ = momentum_optimal(1.0 / controls["kappa"].value, 1.0)
        held[0] = True
        try:
            controls["beta"].value = b
            controls["alpha"].value = a
        finally:
            held[0] = False
        demo.update()  # one computation and one drawing, of the final state

    optimal.on_click(set_optimal)
    demo.optimal_button = optimal
    demo.widget = w.VBox([w.HBox([controls["alpha"], controls["beta"], optimal]),
                          w.HBox([controls["kappa"], controls["steps"]]), demo.output])
    return demo
