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


# ---------------------------------------------------------------- §6 gradient check of the whole MLP

def check_setup(seed=2):
    from course_lib.data import spirals

    Xs, ys = spirals(n=200, classes=3, noise=0.2, seed=0)
    params = layers.init_mlp([2, 64, 64, 3], seed=0)
    rng = np.random.default_rng(seed)
    for k in ("b1", "b2", "b3"):
        params[k] = 0.1 * rng.normal(size=params[k].shape)
    return Xs, ys, params


def largest_error(params, Xg, yg):
    _, grads = layers.mlp_loss_and_grads(params, Xg, yg)
    return max(layers.grad_check_params(lambda p: layers.mlp_loss_and_grads(p, Xg, yg)[0], params, grads).values())


def test_kink_margin_is_the_smallest_relu_input():
    params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([0.5, 0.0]), "W2": np.array([[1.0], [1.0]]),
              "b2": np.array([0.0])}
    np.testing.assert_allclose(layers.kink_margin(params, np.array([[1.0], [0.25]])), [1.5, 0.5])


def test_whole_network_gradient_check_holds_away_from_kinks():
    Xs, ys, params = check_setup()
    far = layers.kink_margin(params, Xs) > 1e-3
    assert largest_error(params, Xs[far][:20], ys[far][:20]) <= 1e-5  # the lecture's rule, with the margin
    # the lecture's old choice, 20 fixed examples: one of them sits within h of a kink, and the correct network fails
    assert largest_error(params, Xs[5:25], ys[5:25]) > 1e-5


def test_whole_network_gradient_check_catches_a_wrong_gradient():
    from course_lib.autodiff import numerical_gradient_array, rel_error

    Xs, ys, params = check_setup()
    far = layers.kink_margin(params, Xs) > 1e-3
    Xg, yg = Xs[far][:20], ys[far][:20]
    _, grads = layers.mlp_loss_and_grads(params, Xg, yg)
    num = numerical_gradient_array(lambda: layers.mlp_loss_and_grads(params, Xg, yg)[0], params["W2"], 1e-5)
    assert rel_error(num, grads["W2"]) <= 1e-5
    assert rel_error(num, 1.01 * grads["W2"]) > 1e-5  # broken backward pass: W2's gradient 1% too large
