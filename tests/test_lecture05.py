"""Lecture 05: the loss-landscape comparison follows Li et al.'s protocol and each of its claims can fail.

The lecture compares a plain and a residual 50-layer BatchNorm MLP at the same training loss (the residual net stopped
by `train_residual(stop_at_loss=...)`), along filter-normalized directions with BatchNorm in evaluation mode
(`loss_surface(mode="eval")`), and contrasts training mode. The tests build the two nets as the lecture does for one
seed and check each claim's condition on `compare_landscapes`, and that it fails for a deliberately broken version
(the plain net in place of the residual one, or the other BatchNorm mode).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course_lib.initstats import (  # noqa: E402
    compare_landscapes,
    digits_data,
    eval_loss,
    filter_normalized_direction,
    loss_surface,
    residual_mlp,
    slice_steepness,
    train_residual,
)

ALPHAS = np.linspace(-1, 1, 41)


@pytest.fixture(scope="module")
def nets():
    data = digits_data()
    X, y = data[0][:256], data[1][:256]
    plain = train_residual(24, skip=False, norm=True, steps=150, seed=0, data=data)["model"]
    target = eval_loss(plain, X, y)
    run = train_residual(24, skip=True, norm=True, steps=150, seed=0, data=data, stop_at_loss=target, loss_data=(X, y))
    return {"plain": plain, "residual": run["model"], "run": run, "target": target, "X": X, "y": y}


@pytest.fixture(scope="module")
def eval_mode(nets):
    return compare_landscapes(nets["plain"], nets["residual"], nets["X"], nets["y"], ALPHAS, seed=0, directions=2,
                              mode="eval")


@pytest.fixture(scope="module")
def train_mode(nets):
    return compare_landscapes(nets["plain"], nets["residual"], nets["X"], nets["y"], ALPHAS, seed=0, directions=2,
                              mode="train")


def test_residual_net_stops_at_the_plain_nets_training_loss(nets):
    run = nets["run"]
    assert 0 < run["steps_run"] < 150
    assert np.all(np.isnan(run["loss"][run["steps_run"]:])) and not np.any(np.isnan(run["loss"][:run["steps_run"]]))
    reached = eval_loss(nets["residual"], nets["X"], nets["y"])
    assert reached <= nets["target"] < reached + 0.5  # at the target, not far below it


def test_loss_surface_in_eval_mode_uses_the_running_statistics():
    model = residual_mlp(depth=2, width=8, d_in=5, d_out=3, norm=True, seed=0)
    X, y = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32), np.arange(16) % 3
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(X) * 3 + 1)  # running statistics now differ from this batch's
    model.eval()
    d = filter_normalized_direction(model, 1)
    ev = loss_surface(model, X, y, d, [0.0, 0.5], mode="eval")
    tr = loss_surface(model, X, y, d, [0.0, 0.5], mode="train")
    moved = copy.deepcopy(model).eval()
    with torch.no_grad():
        for p, u in zip(moved.parameters(), d):
            p.add_(0.5 * u)
    assert ev[1] == pytest.approx(eval_loss(moved, X, y), rel=1e-5)
    assert abs(ev[0] - tr[0]) > 1e-3  # the two modes are different functions
    with pytest.raises(ValueError):
        loss_surface(model, X, y, d, [0.0], mode="test")


def test_slice_steepness():
    assert slice_steepness([100.0, 5.0, 1.0, 5.0, 100.0]) == pytest.approx(2.0)
    assert slice_steepness([1.0, 1.0, 1.0]) == pytest.approx(0.0)


def test_single_valley_claim_fails_for_the_plain_net(eval_mode):
    assert eval_mode["local_minima"]["residual"] <= 1.0
    assert not eval_mode["local_minima"]["plain"] <= 1.0  # the same measure without skips: dips along its slices


def test_steepness_claim_fails_in_training_mode(eval_mode, train_mode):
    assert eval_mode["steepness"]["plain"] - eval_mode["steepness"]["residual"] > 0.5
    assert not train_mode["steepness"]["plain"] - train_mode["steepness"]["residual"] > 0.5


def test_training_mode_roughness_claim_fails_in_evaluation_mode(eval_mode, train_mode):
    assert train_mode["excess_variation"]["plain"] - train_mode["excess_variation"]["residual"] > 0.1
    assert not eval_mode["excess_variation"]["plain"] - eval_mode["excess_variation"]["residual"] > 0.1
