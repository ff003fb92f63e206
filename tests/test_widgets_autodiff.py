"""Headless tests of lecture 03's widgets: the finite-difference lab and the computational-graph view."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.widgets.compgraph import compgraph, compgraph_demo
from course_lib.widgets.fd_lab import FUNCTIONS, fd_lab, fd_lab_demo


def test_fd_lab_pure_function_orders_and_optima():
    r = fd_lab("sin(x)·eˣ", 1.0, 1e-3)
    assert r["exact"] == pytest.approx(math.e * (math.sin(1) + math.cos(1)))
    assert r["err_autodiff"] < 1e-14  # dual numbers: exact to round-off
    assert r["err_central"] < r["err_forward"]
    # truncation regime: a 10x smaller h cuts the forward error ~10x and the centred ~100x
    r2 = fd_lab("sin(x)·eˣ", 1.0, 1e-4)
    assert 7 < r["err_forward"] / r2["err_forward"] < 13
    assert 70 < r["err_central"] / r2["err_central"] < 130
    # the best steps sit near √ε ≈ 1.5e-8 (forward) and ∛ε ≈ 6e-6 (centred), within a factor ~30
    assert 1e-10 < r["best_h_forward"] < 1e-6
    assert 1e-7 < r["best_h_central"] < 1e-4
    # round-off regime: a tiny h is worse than a moderate one
    assert fd_lab("sin(x)·eˣ", 1.0, 1e-14)["err_forward"] > fd_lab("sin(x)·eˣ", 1.0, 1e-8)["err_forward"]


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_fd_lab_every_function_autodiff_exact(name):
    r = fd_lab(name, 0.7, 1e-6)
    assert r["err_autodiff"] <= 1e-12 * max(1.0, abs(r["exact"]))
    assert np.all(np.isfinite(r["grid_forward"]))


def test_fd_lab_widget_reacts_to_controls():
    demo = fd_lab_demo()
    demo.update()
    before = demo.renders
    demo.controls["h"].value = 1e-9
    assert demo.result["h"] == pytest.approx(1e-9)
    assert demo.renders > before
    demo.controls["function"].value = "x³ − 2x"
    demo.controls["x0"].value = 1.5
    assert demo.result["exact"] == pytest.approx(3 * 1.5 ** 2 - 2)
    assert demo.result["err_central"] < 1e-5


def test_compgraph_slides_example_values_and_gradients():
    r = compgraph("slides: 5·x1 + sin(x2 + π)", 1.0, 0.5)
    assert r["value"] == pytest.approx(5 + math.sin(0.5 + math.pi))
    assert r["grads"]["x1"] == pytest.approx(5.0)
    assert r["grads"]["x2"] == pytest.approx(math.cos(0.5 + math.pi))
    nodes = r["graph"]["nodes"]
    out = nodes[r["graph"]["output"]]
    assert out["grad"] == 1.0 and out["data"] == pytest.approx(r["value"])
    # forward stage: no gradients yet
    f = compgraph("slides: 5·x1 + sin(x2 + π)", 1.0, 0.5, stage="forward")
    assert all(n["grad"] == 0.0 for n in f["graph"]["nodes"])


def test_compgraph_widget_every_example_matches_exact():
    demo = compgraph_demo()
    for ex in demo.controls["example"].options:
        demo.controls["example"].value = ex
        demo.controls["a"].value = 0.7
        demo.controls["b"].value = -0.4
        demo.controls["c"].value = 0.2
        for k, v in demo.result["grads"].items():
            assert v == pytest.approx(demo.result["exact_grads"][k], rel=1e-10, abs=1e-12), (ex, k)
    demo.controls["stage"].value = "forward"
    assert demo.result["stage"] == "forward"


def test_widgets_use_only_ipywidgets7_controls():
    import inspect

    import course_lib.widgets.compgraph as cg
    import course_lib.widgets.fd_lab as fl

    for mod in (cg, fl):
        src = inspect.getsource(mod)
        for novelty in ("TagsInput", "Stack(", "grid_template", "TimePicker", "ColorsInput"):
            assert novelty not in src
