"""Headless tests of the training-cost calculator: set control values, assert on demo.result."""

from __future__ import annotations

import math

import matplotlib
import pytest

matplotlib.use("Agg")

from course_lib.widgets.cost_calculator import cost_calculator_demo, cost_estimate, draw_cost  # noqa: E402


def test_gpt3_on_a100_by_hand():
    # 1,024 A100s at 80 TFLOP/s achieved = MFU 80/312 of the dense BF16 peak.
    r = cost_estimate(175e9, 300e9, gpu="A100", n_gpus=1024, mfu=80 / 312, price=2.0)
    assert math.isclose(r["flops"], 3.15e23)
    assert math.isclose(r["days"], 3.15e23 / (1024 * 80e12) / 86400)
    assert 44 < r["days"] < 45
    assert math.isclose(r["gpu_hours"], r["days"] * 24 * 1024)
    assert math.isclose(r["dollars"], 2.0 * r["gpu_hours"])
    assert math.isclose(r["energy_mwh"], r["gpu_hours"] * 400 / 1e6)
    assert r["precision"] == "bf16"


def test_t4_falls_back_to_fp16_peak():
    r = cost_estimate(1e6, 1e9, gpu="T4", n_gpus=1, mfu=0.5, price=0.35)
    assert r["precision"] == "fp16" and r["peak_flops"] == 65e12


def test_controls_drive_result():
    demo = cost_calculator_demo()
    demo.update()  # one real render
    assert demo.renders == 1
    demo.draw = None  # the rest checks the wiring only (drawing is slow on a busy 2-core box)
    base = demo.result
    demo.controls["n_gpus"].value = 2 * base["n_gpus"]
    assert math.isclose(demo.result["days"], base["days"] / 2)
    assert math.isclose(demo.result["dollars"], base["dollars"])  # same GPU-hours, same bill
    demo.controls["mfu"].value = 0.2
    assert math.isclose(demo.result["days"], base["days"] / 2 * 0.4 / 0.2, rel_tol=1e-9)
    demo.controls["price"].value = 4.0
    assert math.isclose(demo.result["dollars"], demo.result["gpu_hours"] * 4.0)
    demo.controls["gpu"].value = "A100"
    h100_like = cost_estimate(demo.result["flops"] / 6 / 2e12, 2e12, "H100", demo.result["n_gpus"], 0.2, 4.0)
    assert math.isclose(demo.result["days"] / h100_like["days"], 989 / 312, rel_tol=1e-9)
    demo.controls["n_tokens"].value = 1.4e11
    assert math.isclose(demo.result["tokens_per_param"], 1.4e11 / demo.controls["n_params"].value)
    assert demo.renders >= 6


def test_curve_passes_through_the_marker():
    r = cost_estimate(7e9, 2e12, "H100", 512, 0.4, 2.0)
    i = list(r["curve_gpus"]).index(512)
    assert math.isclose(r["curve_days"][i], r["days"])


def test_bad_mfu_rejected_and_figure_draws():
    with pytest.raises(ValueError):
        cost_estimate(1e9, 1e10, mfu=0.0)
    import matplotlib.pyplot as plt

    fig = draw_cost(cost_estimate(1e9, 2e10))
    assert len(fig.axes) == 2
    plt.close(fig)


def test_widget_is_ipywidgets7_safe():
    import inspect

    import course_lib.widgets.cost_calculator as mod

    src = inspect.getsource(mod)
    for novelty in ("TagsInput", "Stack(", "grid_template", "ColorsInput"):
        assert novelty not in src
