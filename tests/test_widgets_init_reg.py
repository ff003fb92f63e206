"""Headless tests of the lecture 05/06 widgets: set control values, assert on the computed results."""

from __future__ import annotations

import matplotlib
import numpy as np

matplotlib.use("Agg")


def test_init_explorer_stats_follow_the_controls():
    from course_lib.widgets.init_explorer import init_explorer_demo

    demo = init_explorer_demo()
    demo.stats.update()
    he = demo.result["stats"]
    assert he["act_std"].shape == (20,)
    assert 0.3 < he["act_std"][-1] < 3.0  # He keeps the ReLU activations on scale
    demo.controls["scheme"].value = "small"
    small = demo.result["stats"]
    assert small["scheme"] == "small" and small["act_std"][-1] < 1e-15  # vanished
    demo.controls["scheme"].value = "large"
    assert demo.result["stats"]["act_std"][-1] > 1e10  # exploded (ReLU)
    demo.controls["activation"].value = "tanh"
    tanh_large = demo.result["stats"]
    assert np.all(tanh_large["act_std"] < 1.0)  # tanh saturates instead of exploding
    assert tanh_large["grad_std"][0] > 1e3 * tanh_large["grad_std"][-1] or tanh_large["grad_std"][0] > 1e3
    demo.controls["depth"].value = 7
    demo.controls["width"].value = 32
    r = demo.result["stats"]
    assert r["act_std"].shape == (7,) and r["hist_layers"] == [0, 3, 6]
    assert demo.stats.renders >= 5


def test_init_explorer_zero_init_is_dead():
    from course_lib.widgets.init_explorer import explorer_stats

    r = explorer_stats("zero", "relu", depth=5, width=16)
    assert np.all(r["act_std"] == 0)


def test_init_explorer_training_runs_on_click():
    from course_lib.widgets.init_explorer import init_explorer_demo

    demo = init_explorer_demo(depth=12, width=48, steps=50)
    assert demo.result["train"] is None  # nothing trains before the button
    he = demo.click()
    assert he["loss"].shape == (50,) and np.nanmean(he["loss"][-10:]) < 2.0
    demo.controls["scheme"].value = "small"
    small = demo.click()
    assert abs(np.nanmean(small["loss"][-10:]) - np.log(10)) < 0.05  # stuck at chance


def test_regularization_lab_overfits_and_regularizers_act():
    from course_lib.widgets.regularization_lab import regularization_lab_demo

    demo = regularization_lab_demo(epochs=60)
    assert demo.result is None
    demo.controls["weight_decay"].value = 1e-4
    base = demo.click()
    assert base["train_loss"][-1] < 0.05  # memorizes the noisy labels
    assert base["gap"] > 0.3  # and the validation loss stays far above
    demo.controls["patience"].value = 5
    es = demo.click()
    assert es["stopped_at"] < 59 and es["stopped_at"] - es["best_epoch"] == 5
    assert es["final_val_loss"] == np.nanmin(es["val_loss"])  # best weights restored
    assert es["gap"] < base["gap"]
    demo.controls["patience"].value = 0
    demo.controls["p_drop"].value = 0.5
    drop = demo.click()
    assert drop["p_drop"] == 0.5 and drop["train_loss"][-1] > base["train_loss"][-1]  # harder to memorize
    demo.controls["p_drop"].value = 0.0
    demo.controls["n_train"].value = 800
    big = demo.click()
    assert big["n_train"] == 800 and big["final_val_acc"] > base["final_val_acc"]  # more data: less overfitting
    assert demo.renders == 4
