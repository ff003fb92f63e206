"""Gradient flow through time (lecture 08): the recurrent matrix's spectral radius ρ and the LSTM's forget-gate
bias b_f against ‖∂h_T/∂h_t‖ and against success on the first-symbol memory task.

    from course_lib.widgets.gradient_flow import gradient_flow_demo; gradient_flow_demo(memory=mem)

Left: ‖∂h_T/∂h_t‖_F of a tanh RNN with W_hh = ρ·Q (Q orthogonal) and ‖∂c_T/∂c_t‖_F along an LSTM's cell path
with forget bias b_f, both computed with torch autograd on the same random inputs (standard normal) and divided
by their value one step back (t = T − 1). Right: the lecture's memory experiment (precomputed, passed in as
`memory`), and, when "train" is on, the test accuracy of one small RNN (ρ) and one LSTM (b_f) trained for a few
seconds at the chosen length. `gradient_flow_compute` is the pure part.
"""

from __future__ import annotations

import numpy as np


def gradient_flow_compute(rho: float = 0.9, forget_bias: float = 3.0, T: int = 60, hidden: int = 32,
                          length: int = 20, train: bool = False, train_steps: int = 150, seed: int = 0) -> dict:
    """Relative gradient norms through time for the RNN (ρ) and the LSTM cell path (b_f), and, with `train`,
    the memory-task accuracy of both at sequence length `length`.

    Returns steps_back (T .. 1), rnn / lstm: norms at t = 0 .. T−1 divided by the norm at t = T−1,
    rnn_first / lstm_first: that ratio at t = 0 (T steps back), rnn_steps_to_1e-3: the smallest number of
    steps back at which the RNN's ratio is below 1e-3 (None if never within T), and acc_rnn / acc_lstm (None
    without `train`).
    """
    import torch

    from course_lib.sequence import (
        jacobian_norms_through_time,
        lstm_cell_with_forget_bias,
        memory_accuracy,
        rnn_cell_with_radius,
    )

    T = int(T)
    gen = torch.Generator().manual_seed(seed)
    xs = torch.randn(T, 4, dtype=torch.float64, generator=gen)
    rnn = jacobian_norms_through_time(rnn_cell_with_radius(hidden, float(rho), 4, seed), T, xs)  # same inputs
    lstm = jacobian_norms_through_time(lstm_cell_with_forget_bias(hidden, float(forget_bias), 4, seed), T, xs)
    with np.errstate(divide="ignore", invalid="ignore"):
        rnn_rel, lstm_rel = rnn / rnn[-1], lstm / lstm[-1]
    steps_back = T - np.arange(T)
    below = steps_back[rnn_rel < 1e-3]
    out = {"rho": float(rho), "forget_bias": float(forget_bias), "T": T, "steps_back": steps_back,
           "rnn": rnn_rel, "lstm": lstm_rel, "rnn_first": float(rnn_rel[0]), "lstm_first": float(lstm_rel[0]),
           "rnn_steps_to_1e-3": int(below.min()) if len(below) else None, "length": int(length),
           "acc_rnn": None, "acc_lstm": None}
    if train:
        out["acc_rnn"] = memory_accuracy("rnn", int(length), int(train_steps), rho=float(rho), hidden=hidden,
                                         seed=seed)
        out["acc_lstm"] = memory_accuracy("lstm", int(length), int(train_steps), forget_bias=float(forget_bias),
                                          hidden=hidden, seed=seed)
    return out


def gradient_flow_draw(r: dict, memory: dict | None = None):
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.7))
    ax1.semilogy(r["steps_back"], np.maximum(r["rnn"], 1e-30), label=f"tanh RNN, ρ = {r['rho']:.2f}: ‖∂h_T/∂h_t‖")
    ax1.semilogy(r["steps_back"], np.maximum(r["lstm"], 1e-30),
                 label=f"LSTM cell path, b_f = {r['forget_bias']:.1f}: ‖∂c_T/∂c_t‖")
    ax1.axhline(1e-3, color="gray", ls=":", lw=1)
    ax1.set_xlabel("steps back, T − t")
    ax1.set_ylabel("norm / norm one step back")
    ax1.set_ylim(1e-12, 1e3)
    ax1.legend(fontsize=7, loc="lower left")
    ax1.set_title(f"{r['T']} steps back: RNN {r['rnn_first']:.2g}, LSTM {r['lstm_first']:.2g}", fontsize=9)
    if memory is not None:
        for kind, label, marker in (("rnn", "RNN (default init)", "o-"), ("lstm", "LSTM (chrono init)", "s-")):
            ax2.plot(memory["lengths"], np.asarray(memory[kind]).mean(0), marker, ms=4, alpha=0.6,
                     label=f"{label}, lecture's experiment")
        ax2.axhline(memory["chance"], color="gray", ls=":", lw=1, label="chance")
    if r["acc_rnn"] is not None:
        ax2.plot([r["length"]], [r["acc_rnn"]], "C0*", ms=14, label=f"RNN, ρ = {r['rho']:.2f}: {r['acc_rnn']:.2f}")
        ax2.plot([r["length"]], [r["acc_lstm"]], "C1*", ms=14,
                 label=f"LSTM, b_f = {r['forget_bias']:.1f}: {r['acc_lstm']:.2f}")
    ax2.set_xscale("log")
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel("sequence length L")
    ax2.set_ylabel("test accuracy")
    ax2.set_title("memory task (stars: your settings, one short run)", fontsize=9)
    ax2.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def gradient_flow_demo(memory: dict | None = None, rho: float = 0.9, forget_bias: float = 3.0, T: int = 60,
                       length: int = 20):
    """Sliders for ρ, b_f, T and the task length; "train" adds a short training run per press (a few seconds)."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    style = {"description_width": "initial"}
    controls = {
        "rho": w.FloatSlider(value=rho, min=0.3, max=1.5, step=0.05, description="ρ (RNN)", style=style,
                             continuous_update=False),
        "forget_bias": w.FloatSlider(value=forget_bias, min=-2.0, max=6.0, step=0.5, description="b_f (LSTM)",
                                     style=style, continuous_update=False),
        "T": w.IntSlider(value=T, min=10, max=120, step=10, description="T", style=style, continuous_update=False),
        "length": w.IntSlider(value=length, min=5, max=80, step=5, description="task length L", style=style,
                              continuous_update=False),
        "train": w.Checkbox(value=False, description="train on the memory task (slower)"),
    }
    return Demo(gradient_flow_compute, lambda r: gradient_flow_draw(r, memory), controls, run_button=True,
                height="400px", description="Compute")
