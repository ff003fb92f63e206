"""Lecture 04's universal-approximation claims can fail: each is computed with course_lib.layers' knot functions,
once as the lecture does and once deliberately broken, and the claim's condition must separate the two."""

from __future__ import annotations

import numpy as np

from course_lib import layers

F = lambda t: np.sin(3 * t) + 0.3 * np.cos(9 * t)  # noqa: E731 - the lecture's target
GRID = np.linspace(-1, 1, 400)[:, None]
WIDTHS = [8, 16, 32, 64]


def slope_of_constructed_error(lo=-1.0, hi=1.0):
    errs = []
    for H in WIDTHS:
        v, *_ = np.linalg.lstsq(layers.relu_knot_features(GRID, H, lo, hi), F(GRID[:, 0]), rcond=None)
        errs.append(np.abs(layers.relu_knot_features(GRID, H, lo, hi) @ v - F(GRID[:, 0])).max())
    return np.polyfit(np.log(WIDTHS), np.log(errs), 1)[0]


def test_constructed_error_falls_like_one_over_h_squared_and_a_broken_construction_does_not():
    assert abs(slope_of_constructed_error() + 2) < 0.3  # the lecture's claim
    # broken: all knots squeezed into [-1, -0.9], so the rest of the interval is one straight piece
    assert abs(slope_of_constructed_error(-1.0, -0.9) + 2) >= 0.3


def test_knot_fit_error_on_the_grid_is_what_the_width_can_represent():
    for H in (2, 8):
        rep = layers.knot_fit_error(F, H, GRID, F(GRID[:, 0]), GRID)
        assert rep > 0
        # fitting noise-free values at many random points cannot do better than the grid fit by much, nor worse
        rnd = np.random.default_rng(0).uniform(-1, 1, 2000)
        assert 0.5 * rep < layers.knot_fit_error(F, H, rnd, F(rnd), GRID) < 2 * rep


def test_noisy_fit_at_width_64_is_far_above_what_it_can_represent_unless_the_noise_is_left_out():
    rep = layers.knot_fit_error(F, 64, GRID, F(GRID[:, 0]), GRID)
    noisy = layers.noisy_knot_fit_errors(F, 64, 200, 0.1, (0, 1, 2), GRID)
    assert np.mean(noisy) / rep > 10  # the lecture's claim
    # broken experiment: the noise is never added (noise=0): the statistical error the claim is about disappears
    clean = layers.noisy_knot_fit_errors(F, 64, 200, 0.0, (0, 1, 2), GRID)
    assert np.mean(clean) / rep <= 10


def test_at_width_8_the_approximation_error_dominates_unless_the_sample_is_tiny():
    rep = layers.knot_fit_error(F, 8, GRID, F(GRID[:, 0]), GRID)
    assert np.mean(layers.noisy_knot_fit_errors(F, 8, 200, 0.1, (0, 1, 2), GRID)) / rep < 3  # the lecture's claim
    # broken: 12 samples with noise 0.5 instead of 200 with 0.1: the statistical error takes over
    assert np.mean(layers.noisy_knot_fit_errors(F, 8, 12, 0.5, (0, 1, 2), GRID)) / rep >= 3
