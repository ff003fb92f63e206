"""Lecture 06: every claim added or changed in round 3 can fail.

Each test runs the experiment's function from `course_lib.regularize` at a small size, as the lecture runs it and
deliberately broken (early stopping that watches the training loss, reporting on the split it selected on, no input
dropout, no dropout noise before the ReLU, forgetting `model.eval()`, noise on the targets or no noise at all), and
checks that the claim's condition holds for the first and fails for the second.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course_lib import regularize as R  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return R.overfit_data(100, held_out=True)


@pytest.fixture(scope="module")
def dropout_net(data):
    return R.train_regularized(p_drop=0.5, epochs=150, data=data, seed=0)


def test_held_out_digits_are_the_unused_pool_and_disjoint_from_train_and_validation(data):
    Xtr, ytr, Xva, yva, Xte, yte = data
    assert len(ytr) == 100 and len(yva) == 500 and len(yte) == 1797 - 500 - 100
    rows = lambda X: {x.tobytes() for x in X}  # noqa: E731
    assert not rows(Xte) & rows(Xva) and not rows(Xte) & rows(Xtr)
    assert R.overfit_data(100)[0].tobytes() == Xtr.tobytes()  # the same training digits as before


# ---------------------------------------------------------------- §4: early stopping, measured on held-out digits


def test_early_stopping_claim_fails_when_it_watches_the_training_loss(data):
    base = R.train_regularized(epochs=80, data=data, seed=0)
    on_val = R.train_regularized(patience=10, epochs=80, data=data, seed=0)
    on_train = R.train_regularized(patience=10, epochs=80, data=data, seed=0, monitor="train")
    assert base["final_test_loss"] - on_val["final_test_loss"] > 0
    assert not base["final_test_loss"] - on_train["final_test_loss"] > 0  # it never stops: no gain


# ---------------------------------------------------------------- §6: training with noise is ridge


def test_noise_claims_fail_for_target_noise_and_for_no_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 10))
    X = (X - X.mean(0)) / X.std(0)
    y = X @ np.r_[3.0, 0, 0, -2.0, 1.5, 0, 0, 1.0, 0, 0] + rng.normal(size=60)
    ok = R.noise_vs_ridge(X, y, 0.5, copies=200)
    assert ok["to_ridge"] < 0.05 and ok["to_ols"] > 0.1
    targets = R.noise_vs_ridge(X, y, 0.5, copies=200, noise_on="targets")
    assert not targets["to_ridge"] < 0.05 and not targets["to_ols"] > 0.1
    assert not R.noise_vs_ridge(X, y, 0.0, copies=10)["to_ols"] > 0.1


def test_noisy_copies_converge_to_ridge_as_the_copies_grow():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 5)), rng.normal(size=40)
    dist = [R.noise_vs_ridge(X, y, 0.7, copies=c, seed=2)["to_ridge"] for c in (10, 100, 3000)]
    assert dist[0] > dist[1] > dist[2] and dist[2] < 0.01


# ---------------------------------------------------------------- §6: the weight-scaling rule through a ReLU


def test_not_exact_claim_fails_when_no_mask_passes_through_a_relu(data, dropout_net):
    model = dropout_net["model"]
    assert R.dropout_ensemble_gap(model, data[4], data[5], n_passes=200)["ratio"] > 1.3
    drops = [m for m in model if isinstance(m, torch.nn.Dropout)]
    assert len(drops) == 2
    p_first = drops[0].p
    drops[0].p = 0.0  # only the dropout right before the linear read-out is left: the rule is exact there
    try:
        assert not R.dropout_ensemble_gap(model, data[4], data[5], n_passes=200)["ratio"] > 1.3
    finally:
        drops[0].p = p_first


def test_close_claims_fail_for_one_pass_with_dropout_left_on(data, dropout_net):
    model = dropout_net["model"]
    ok = R.dropout_ensemble_gap(model, data[4], data[5], n_passes=100)
    assert ok["rel_gap"] < 0.1 and abs(ok["acc_rule"] - ok["acc_ensemble"]) < 0.01 and not model.training
    broken = R.dropout_ensemble_gap(model, data[4], data[5], n_passes=100, rule="one_pass")  # forgot model.eval()
    assert not broken["rel_gap"] < 0.1
    assert not abs(broken["acc_rule"] - broken["acc_ensemble"]) < 0.01
    # the claim about forgetting model.eval() fails in turn for the proper rule
    assert broken["acc_ensemble"] - broken["acc_rule"] > 0.01
    assert not ok["acc_ensemble"] - ok["acc_rule"] > 0.01


# ---------------------------------------------------------------- input dropout: the loss claim on held-out digits


def test_input_dropout_claim_fails_without_input_dropout(data):
    hidden = R.train_regularized(p_drop=0.5, epochs=150, data=data, seed=0)
    both = R.train_regularized(p_drop=0.5, p_input=0.2, epochs=150, data=data, seed=0)
    zero = R.train_regularized(p_drop=0.5, p_input=0.0, epochs=150, data=data, seed=0)
    assert hidden["final_test_loss"] - both["final_test_loss"] > 0
    assert not hidden["final_test_loss"] - zero["final_test_loss"] > 0


# ---------------------------------------------------------------- §7: selecting on the test set


def test_optimism_claim_fails_when_reporting_on_the_selection_digits():
    splits = R.selection_splits(seed=0, n_train=200, n_val=200)
    result = R.search(R.random_configs(27, seed=0), splits, epochs=30, seed=0)
    assert result["test_correct"].shape == (27, len(splits[5]))
    np.testing.assert_allclose(result["test"], result["test_correct"].mean(1))
    assert R.selection_optimism(result, n_select=200) > 0
    assert not R.selection_optimism(result, n_select=200, report_on="selection") > 0  # 0 by construction
