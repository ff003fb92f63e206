"""Headless tests of the lecture 01-02 widgets: set control values, assert on the computed result."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.widgets.momentum import momentum_compute, momentum_demo  # noqa: E402
from course_lib.widgets.optimizer_race import race_compute, race_demo  # noqa: E402
from course_lib.widgets.stepsize import stepsize_compute, stepsize_demo  # noqa: E402

# ---------------------------------------------------------------- step-size explorer (lecture 01)

def test_stepsize_controls_drive_the_result():
    d = stepsize_demo()
    d.update()
    d.controls["kappa"].value = 100.0
    d.controls["lr"].value = 1.0
    r = d.result
    assert r["kappa"] == 100.0 and r["lr"] == 1.0
    assert r["rate"] == pytest.approx(1 - 1 / 100)
    assert not r["diverges"]
    assert np.all(r["gap"][1:] <= r["bound_1_over_k"] + 1e-12)      # O(1/k) bound holds for α ≤ 1/L
    assert np.all(r["gap"] <= r["bound_linear"] * (1 + 1e-9) + 1e-15)  # and the linear bound


def test_stepsize_diverges_past_two_over_L():
    d = stepsize_demo()
    d.controls["lr"].value = 2.1
    r = d.result
    assert r["diverges"] and r["bound_1_over_k"] is None
    assert r["gap"][-1] > r["gap"][0]


def test_stepsize_optimal_button_sets_two_over_sum():
    d = stepsize_demo()
    d.controls["kappa"].value = 10.0
    d.optimal_button.click()
    lam1, lamn = 0.1, 1.0
    assert d.controls["lr"].value == pytest.approx(2 / (lam1 + lamn))
    assert d.result["rate"] == pytest.approx((10 - 1) / (10 + 1))
    assert d.result["rate"] == pytest.approx(d.result["rate_opt"])


def test_stepsize_start_on_eigenvector_decays_at_its_own_rate():
    # the quadratic is rotated by 30°: the eigenvector of λ = 1 points at 30°
    r = stepsize_compute(kappa=50.0, lr=0.5, angle=30.0, steps=20)
    ratio = r["gap"][1:] / r["gap"][:-1]
    assert np.allclose(ratio, (1 - 0.5 * 1.0) ** 2)


# ---------------------------------------------------------------- momentum explorer (lecture 02)

def test_momentum_optimal_button():
    d = momentum_demo()
    d.controls["kappa"].value = 100.0
    d.optimal_button.click()
    r = d.result
    assert r["alpha"] == pytest.approx((2 / (0.1 + 1.0)) ** 2)
    assert r["beta"] == pytest.approx(((10 - 1) / (10 + 1)) ** 2)
    assert r["rate"] == pytest.approx(9 / 11, rel=1e-6)
    assert r["rate"] < r["gd_rate_opt"]


def test_momentum_optimal_button_draws_once():
    d = momentum_demo()
    d.controls["kappa"].value = 100.0
    before = d.renders
    d.optimal_button.click()                 # moves β and α: one drawing of the final state, not two
    assert d.renders == before + 1
    assert d.result["alpha"] == pytest.approx((2 / (0.1 + 1.0)) ** 2)
    before = d.renders
    d.optimal_button.click()                 # already optimal: still exactly one drawing
    assert d.renders == before + 1
    d.controls["beta"].value = 0.3           # after the button, sliders redraw again
    assert d.renders == before + 2 and d.result["beta"] == 0.3


def test_momentum_sliders_and_divergence_edge():
    d = momentum_demo()
    d.controls["beta"].value = 0.5
    d.controls["alpha"].value = 2.9          # 2 + 2β = 3 > αλ_max = 2.9: still converges
    assert d.result["converges"]
    d.controls["alpha"].value = 3.1
    assert not d.result["converges"]
    assert d.result["stable_alpha_max"] == pytest.approx(3.0)


def test_momentum_components_match_eigen_analysis():
    r = momentum_compute(alpha=1.0, beta=0.9, kappa=10.0, steps=200)
    # every component is in the complex regime here, so each decays like √β^k (up to oscillation)
    tail = np.abs(r["components"][150:]).max()
    assert tail < 3 * 0.9 ** (150 / 2) * 10
    assert r["rate"] == pytest.approx(np.sqrt(0.9), rel=1e-9)
    grid = r["rate_map"]
    assert grid.shape == (len(r["betas"]), len(r["alphas"]))
    j = np.argmin(np.abs(r["alphas"] - 1.0))
    assert grid[0, j] == pytest.approx(max(abs(1 - r["alphas"][j] * r["lams"][0]), abs(1 - r["alphas"][j])))


# ---------------------------------------------------------------- optimizer race (lecture 02)

def test_race_button_runs_selected_optimizers():
    d = race_demo()
    d.controls["surface"].value = "saddle"
    d.controls["optimizers"].value = ("GD", "Adam")
    d.controls["steps"].value = 60
    assert d.result is None or set(d.result["paths"]) != {"GD", "Adam"}  # nothing runs before Race
    d.click()
    r = d.result
    assert set(r["paths"]) == {"GD", "Adam"}
    assert r["paths"]["GD"].shape == (61, 2)
    # Adam escapes the saddle's ridge much faster than GD
    assert abs(r["paths"]["Adam"][-1, 1]) > 0.9 and abs(r["paths"]["GD"][-1, 1]) < 0.5


def test_race_quadratic_momentum_beats_gd():
    r = race_compute("quadratic", ("GD", "Momentum", "Nesterov"), steps=150)
    assert r["final"]["Momentum"] < 1e-3 * r["final"]["GD"]
    assert r["hit"]["Nesterov"] is not None and r["hit"]["Nesterov"] < r["hit"]["GD"]


def test_race_lr_scale_can_diverge():
    r = race_compute("quadratic", ("GD",), lr_scale=2.5, steps=50)
    assert r["final"]["GD"] > r["losses"]["GD"][0]


def test_race_every_optimizer_every_surface_is_finite_at_default():
    for s in ("quadratic", "rosenbrock", "saddle"):
        r = race_compute(s, steps=200)
        for name, v in r["losses"].items():
            assert np.all(np.isfinite(v)), (s, name)
            assert v[-1] < v[0], (s, name)
