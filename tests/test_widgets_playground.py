"""Headless tests of lecture 04's playground widget."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from course_lib.widgets import playground as pg


@pytest.mark.parametrize("name", pg.DATASETS)
def test_datasets_are_two_class_2d(name):
    X, y = pg.make_dataset(name, n=100, seed=1)
    assert X.shape == (100, 2) and set(np.unique(y)) == {0, 1}
    assert np.abs(X).max() < 3


def test_hidden_layer_beats_linear_on_xor():
    deep = pg.playground("xor", hidden_layers=1, width=16, activation="relu", lr=0.3, steps=300)
    flat = pg.playground("xor", hidden_layers=0, lr=0.3, steps=300)
    assert deep["accuracy"] > 0.9
    assert flat["accuracy"] < 0.8  # a linear classifier cannot draw XOR
    lin_act = pg.playground("circles", hidden_layers=2, width=16, activation="linear", lr=0.3, steps=300)
    assert lin_act["accuracy"] < 0.75  # linear activations give a linear decision boundary, whatever the depth


def test_huge_learning_rate_reports_divergence_or_poor_fit():
    r = pg.playground("moons", hidden_layers=2, width=16, activation="relu", lr=10.0, steps=100)
    assert r["diverged"] or r["accuracy"] < 0.95 or r["final_loss"] > 0.05


def test_playground_widget_run_button():
    demo = pg.playground_demo()
    demo.controls["dataset"].value = "circles"
    demo.controls["hidden_layers"].value = 1
    demo.controls["width"].value = 8
    demo.controls["steps"].value = 300
    assert demo.result is None  # nothing trains until Run is pressed
    r = demo.click()
    assert r["hidden"] == [8] and r["accuracy"] > 0.9
    assert r["prob"].shape == (60, 60) and np.all((r["prob"] >= 0) & (r["prob"] <= 1))
    assert r["n_params"] == 2 * 8 + 8 + 8 * 2 + 2


def test_playground_uses_only_ipywidgets7_controls():
    src = inspect.getsource(pg)
    for novelty in ("TagsInput", "Stack(", "grid_template", "TimePicker", "ColorsInput"):
        assert novelty not in src
