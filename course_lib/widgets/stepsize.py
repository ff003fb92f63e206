"""Step-size and conditioning explorer (lecture 01): GD on a 2-D quadratic with L = 1 and m = 1/κ.

    from course_lib.widgets.stepsize import stepsize_demo; stepsize_demo()

`stepsize_compute` is the pure part (tests call it directly); the demo wires it to sliders and adds a
button that sets the step to the optimal 2/(λ₁+λₙ).
"""

from __future__ import annotations

import numpy as np

from course_lib.optim import convex_bound, gd_optimal_step, gd_rate, two_by_two_quadratic


def stepsize_compute(kappa: float = 10.0, lr: float = 1.0, angle: float = 135.0, steps: int = 40) -> dict:
    """GD on f(w) = ½wᵀAw with eigenvalues (1/κ, 1), from a start at radius 1.8 and `angle` degrees.

    Returns the path, the measured gap f(wᵏ) − f*, the O(1/k) bound (only valid for lr ≤ 1/L = 1),
    the linear bound rate^{2k}·gap₀, the rate, the optimal step and whether GD diverges.
    """
    A, lams = two_by_two_quadratic(kappa, angle_deg=30.0)
    th = np.deg2rad(angle)
    x0 = 1.8 * np.array([np.cos(th), np.sin(th)])
    path = [x0]
    x = x0.copy()
    for _ in range(int(steps)):
        x = x - lr * (A @ x)
        if np.max(np.abs(x)) > 1e8:
            x = np.full(2, np.nan)
        path.append(x.copy())
    path = np.array(path)
    gap = 0.5 * np.einsum("ki,ij,kj->k", path, A, path)
    rate = gd_rate(lr, lams)
    alpha_opt, rate_opt = gd_optimal_step(lams[0], lams[-1])
    k = np.arange(int(steps) + 1)
    return {
        "A": A, "lams": lams, "path": path, "gap": gap,
        "bound_1_over_k": convex_bound(float(x0 @ x0), lr, int(steps)) if lr <= 1.0 else None,
        "bound_linear": gap[0] * rate ** (2 * k),
        "rate": rate, "alpha_opt": alpha_opt, "rate_opt": rate_opt,
        "diverges": bool(rate > 1.0), "lr": lr, "kappa": kappa,
    }


def stepsize_draw(r: dict):
    import matplotlib.pyplot as plt

    from course_lib.plots import contour_with_paths

    A = r["A"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.9))
    f = lambda p: 0.5 * np.einsum("...i,ij,...j->...", p, A, p)  # noqa: E731
    path = r["path"][np.all(np.isfinite(r["path"]), axis=1)]
    contour_with_paths(f, {"GD": np.clip(path, -2.4, 2.4)}, xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), levels=20, ax=ax1)
    ax1.plot(0, 0, "k*", ms=8)
    status = "diverges" if r["diverges"] else f"rate {r['rate']:.3f}"
    ax1.set_title(f"κ={r['kappa']:.0f}, α·L={r['lr']:.2f}: {status}", fontsize=9)
    k = np.arange(len(r["gap"]))
    ax2.semilogy(k, np.where(np.isfinite(r["gap"]), r["gap"], np.nan) + 1e-300, "o-", ms=2, label="f(wᵏ) − f*")
    ax2.semilogy(k, r["bound_linear"] + 1e-300, "--", label="rate²ᵏ · gap₀")
    if r["bound_1_over_k"] is not None:
        ax2.semilogy(k[1:], r["bound_1_over_k"], ":", label="‖x⁰−x*‖²/(2αk)")
    ax2.set_ylim(1e-12, 1e4)
    ax2.set_xlabel("step k")
    ax2.set_title(f"optimal α = 2/(λ₁+λₙ) = {r['alpha_opt']:.3f}, rate {r['rate_opt']:.3f}", fontsize=9)
    ax2.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def stepsize_demo(kappa: float = 10.0, lr: float = 1.0, angle: float = 135.0, steps: int = 40):
    """Sliders for κ, the step α (in units of 1/L), the start angle and the number of steps."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    style = {"description_width": "initial"}
    controls = {
        "kappa": w.FloatLogSlider(value=kappa, base=10, min=0, max=3, step=0.05, description="κ",
                                  continuous_update=False, style=style),
        "lr": w.FloatSlider(value=lr, min=0.05, max=2.2, step=0.01, description="α·L",
                            continuous_update=False, style=style),
        "angle": w.FloatSlider(value=angle, min=0, max=360, step=5, description="start angle°",
                               continuous_update=False, style=style),
        "steps": w.IntSlider(value=steps, min=5, max=200, step=5, description="steps",
                             continuous_update=False, style=style),
    }
    demo = Demo(stepsize_compute, stepsize_draw, controls, height="380px")
    optimal = w.Button(description="optimal step 2/(λ₁+λₙ)", layout=w.Layout(width="200px"))

    def set_optimal(_b=None):
        controls["lr"].value = gd_optimal_step(1.0 / controls["kappa"].value, 1.0)[0]

    optimal.on_click(set_optimal)
    demo.optimal_button = optimal
    demo.widget = w.VBox([w.HBox([controls["kappa"], controls["lr"]]),
                          w.HBox([controls["angle"], controls["steps"], optimal]), demo.output])
    return demo
