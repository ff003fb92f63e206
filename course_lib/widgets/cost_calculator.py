"""Training-cost calculator: parameters, tokens, GPU type and count, MFU, price → FLOPs, days, $, energy.

    from course_lib.widgets.cost_calculator import cost_calculator_demo
    cost_calculator_demo()

`cost_estimate(...)` is the pure compute part (tests call it directly); `draw_cost(result)` draws it.
Compute is C = 6·N·D; the GPUs deliver n · peak · MFU FLOP/s, with peak the dense BF16 (FP16 where the GPU
has no BF16) figure of course_lib.compute_peaks; energy is GPU board power only (PUE 1 unless given).
"""

from __future__ import annotations

import numpy as np

from course_lib.compute_peaks import BOARD_POWER_W, PEAK_TFLOPS

SECONDS_PER_DAY = 86_400.0
GPU_LABELS = {
    "T4": "T4 (Colab free)", "V100": "V100 SXM2", "L4": "L4", "A100": "A100", "H100": "H100 SXM",
    "H100 PCIE": "H100 PCIe", "H800": "H800 SXM", "H200": "H200", "RTX 4090": "RTX 4090",
    "RTX 3090": "RTX 3090",
}


def gpu_peak(gpu: str) -> tuple[float, str]:
    """(dense peak FLOP/s, precision) of a GPU key of PEAK_TFLOPS: BF16, else FP16 tensor cores."""
    table = PEAK_TFLOPS[gpu]
    prec = "bf16" if "bf16" in table else "fp16"
    return table[prec] * 1e12, prec


def cost_estimate(n_params: float, n_tokens: float, gpu: str = "H100", n_gpus: float = 1024, mfu: float = 0.4,
                  price: float = 2.0, pue: float = 1.0) -> dict:
    """Everything the calculator shows, as plain numbers (and one curve: days against GPU count).

    price is dollars per GPU-hour; mfu a fraction in (0, 1].
    """
    if not (0 < mfu <= 1):
        raise ValueError("mfu must be in (0, 1]")
    n_gpus = int(round(n_gpus))
    peak, prec = gpu_peak(gpu)
    flops = 6.0 * n_params * n_tokens
    seconds = flops / (n_gpus * peak * mfu)
    gpu_hours = seconds / 3600.0 * n_gpus
    watts = BOARD_POWER_W[gpu]
    counts = 2.0 ** np.arange(0, 17)
    return {
        "gpu": gpu, "precision": prec, "peak_flops": peak, "n_gpus": n_gpus, "mfu": mfu,
        "flops": flops, "days": seconds / SECONDS_PER_DAY, "gpu_hours": gpu_hours,
        "dollars": gpu_hours * price, "energy_mwh": gpu_hours * watts * pue / 1e6, "watts_per_gpu": watts,
        "tokens_per_param": n_tokens / n_params,
        "curve_gpus": counts, "curve_days": flops / (counts * peak * mfu) / SECONDS_PER_DAY,
    }


def _fmt_days(days: float) -> str:
    if days < 1 / 24:
        return f"{days * 1440:.1f} minutes"
    if days < 1:
        return f"{days * 24:.1f} hours"
    if days < 365:
        return f"{days:.1f} days"
    return f"{days / 365.25:.1f} years"


def summary_lines(r: dict) -> list[str]:
    return [
        f"compute  6ND = {r['flops']:.3g} FLOPs",
        f"hardware {r['n_gpus']:,} × {GPU_LABELS.get(r['gpu'], r['gpu'])}",
        f"         {r['precision'].upper()} dense peak {r['peak_flops'] / 1e12:,.0f} TFLOP/s, "
        f"MFU {r['mfu']:.0%}",
        f"time     {_fmt_days(r['days'])}",
        f"GPU-hrs  {r['gpu_hours']:,.0f}",
        f"cost     ${r['dollars']:,.0f}",
        f"energy   {r['energy_mwh']:,.1f} MWh (GPU board power only)",
        f"tokens/parameter {r['tokens_per_param']:.1f} (Chinchilla-optimal ≈ 20)",
    ]


def draw_cost(r: dict):
    import matplotlib.pyplot as plt

    fig, (ax, ax_text) = plt.subplots(1, 2, figsize=(9.5, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
    ax.loglog(r["curve_gpus"], r["curve_days"], "-", color="C0")
    ax.loglog([r["n_gpus"]], [r["days"]], "o", color="C3", ms=8)
    for d, label in [(1, "1 day"), (30, "1 month"), (365, "1 year")]:
        ax.axhline(d, color="gray", lw=0.8, ls="--")
        ax.text(1.1, d * 1.15, label, fontsize=8, color="gray")
    ax.set_xlabel("number of GPUs")
    ax.set_ylabel("days (perfect scaling)")
    ax.set_title("time against GPU count", fontsize=10)
    ax_text.axis("off")
    ax_text.text(0.0, 0.95, "\n".join(summary_lines(r)), family="monospace", fontsize=9, va="top")
    fig.tight_layout()
    return fig


def cost_calculator_demo(n_params: float = 7e9, n_tokens: float = 2e12, gpu: str = "H100", n_gpus: int = 512,
                         mfu: float = 0.4, price: float = 2.0):
    """The widget: six controls, a plot of days against GPU count and the numbers."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    style = {"description_width": "initial"}
    log = {"base": 10, "step": 0.05, "readout_format": ".2e", "continuous_update": False, "style": style}
    controls = {
        "n_params": w.FloatLogSlider(value=n_params, min=6, max=13, description="parameters N", **log),
        "n_tokens": w.FloatLogSlider(value=n_tokens, min=8, max=14, description="tokens D", **log),
        "gpu": w.Dropdown(options=[(label, key) for key, label in GPU_LABELS.items()], value=gpu,
                          description="GPU"),
        "n_gpus": w.FloatLogSlider(value=n_gpus, base=2, min=0, max=16, step=1, description="GPUs",
                                   readout_format=".0f", continuous_update=False, style=style),
        "mfu": w.FloatSlider(value=mfu, min=0.05, max=0.8, step=0.01, description="MFU", readout_format=".2f",
                             continuous_update=False),
        "price": w.FloatSlider(value=price, min=0.25, max=10.0, step=0.05, description="$ per GPU-hour",
                               readout_format=".2f", continuous_update=False, style=style),
    }
    return Demo(cost_estimate, draw_cost, controls, run_button=False, height="400px")
