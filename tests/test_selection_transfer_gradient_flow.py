"""Input dropout and model selection (lecture 06), transfer learning (07), the spectral-radius / forget-bias
gradient-flow widget (08). Headless and fast: pure functions, tiny sizes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import regularize as R  # noqa: E402

# ---------------------------------------------------------------- 06: input dropout


def test_make_mlp_without_input_dropout_is_unchanged():
    import torch

    a, b = R.make_mlp(64, 16, 0.5, seed=3), R.make_mlp(64, 16, 0.5, seed=3, p_input=0.0)
    assert len(a) == len(b) == 7
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_make_mlp_input_dropout_comes_first_and_drops_inputs():
    import torch

    net = R.make_mlp(64, 16, 0.5, seed=3, p_input=0.2)
    assert isinstance(net[0], torch.nn.Dropout) and net[0].p == pytest.approx(0.2)
    ref = R.make_mlp(64, 16, 0.5, seed=3)
    for pa, pb in zip(net.parameters(), ref.parameters()):  # the same weights: dropout has no parameters
        assert torch.equal(pa, pb)
    net.train()
    torch.manual_seed(0)
    z = net[0](torch.ones(2000, 64))
    assert 0.17 < float((z == 0).float().mean()) < 0.23
    assert torch.allclose(z[z != 0], torch.full_like(z[z != 0], 1 / 0.8))


def test_train_regularized_accepts_input_dropout():
    data = R.overfit_data(40, seed=0, n_val=60)
    r = R.train_regularized(p_drop=0.5, p_input=0.2, epochs=3, data=data, seed=0)
    assert np.isfinite(r["final_val_loss"]) and 0 <= r["final_val_acc"] <= 1


# ---------------------------------------------------------------- 06: model selection


def test_selection_splits_are_disjoint_stratified_and_standardized_on_train_only():
    Xtr, ytr, Xva, yva, Xte, yte = R.selection_splits(seed=1, n_train=100, n_val=50)
    assert len(ytr) == 100 and len(yva) == 50 and len(yte) == 1797 - 150
    assert set(np.unique(ytr)) == set(range(10))
    np.testing.assert_allclose(Xtr.mean(0), 0, atol=1e-5)
    rows = {r.tobytes() for r in Xtr}
    assert not any(r.tobytes() in rows for r in Xte[:200])


def test_grid_and_random_configs_cover_the_ranges():
    grid = R.grid_configs(3)
    assert len(grid) == 27
    assert len({c["lr"] for c in grid}) == 3
    rnd = R.random_configs(200, seed=0)
    assert len({c["lr"] for c in rnd}) == 200
    for k, (lo, hi) in R.SEARCH_RANGES.items():
        vals = np.array([c[k] for c in rnd + grid])
        assert np.all((vals >= lo) & (vals <= hi))
        # log-uniform: about half of the draws below the geometric midpoint
        frac = np.mean(np.array([c[k] for c in rnd]) < np.sqrt(lo * hi))
        assert 0.35 < frac < 0.65
    assert R.random_configs(5, seed=2) == R.random_configs(5, seed=2)


def test_search_selects_on_validation_and_reports_the_selected_test_score():
    splits = R.selection_splits(seed=0, n_train=100, n_val=100)
    r = R.search(R.random_configs(3, seed=0), splits, epochs=5, seed=0)
    assert r["selected"] == int(np.argmax(r["val"]))
    assert r["test_selected"] == r["test"][r["selected"]]
    assert r["test_best"] >= r["test_selected"]


def test_lecture_uses_sklearn_kfold_not_its_own_fold_indices():
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks/06_dropout_regularization.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "KFold" in code and "cross_val_score" in code
    assert "def k_fold_indices" not in code


# ---------------------------------------------------------------- 07: transfer learning


def test_transfer_experiment_shapes_on_a_tiny_run():
    from course_lib.cnn import transfer_experiment

    r = transfer_experiment(sizes=(2,), seeds=(0,), pretrain_steps=2, steps=2)
    for k in ("scratch", "frozen", "finetune"):
        assert r[k].shape == (1, 1) and 0 <= r[k][0, 0] <= 1
    assert r["pool"] > 100 and 0 <= r["source_acc"] <= 1


# ---------------------------------------------------------------- 08: gradient-flow widget


def test_gradient_flow_rnn_vanishes_and_lstm_keeps_the_gradient():
    from course_lib.widgets.gradient_flow import gradient_flow_compute

    r = gradient_flow_compute(rho=0.9, forget_bias=3.0, T=60)
    assert r["rnn"][-1] == pytest.approx(1.0) and r["lstm"][-1] == pytest.approx(1.0)
    assert r["rnn_steps_to_1e-3"] is not None and r["rnn_steps_to_1e-3"] <= 60
    assert r["lstm_first"] > 0.1 and r["rnn_first"] < 1e-3
    assert r["acc_rnn"] is None


def test_gradient_flow_forget_bias_controls_the_cell_path():
    from course_lib.widgets.gradient_flow import gradient_flow_compute

    low, high = (gradient_flow_compute(rho=0.9, forget_bias=b, T=30)["lstm_first"] for b in (0.0, 3.0))
    assert low < 1e-3 < high


def test_gradient_flow_linear_regime_follows_rho():
    """With zero inputs and no bias the RNN stays in the linear regime: the ratio is ρ^(T−1−t) exactly."""
    import torch

    from course_lib.sequence import jacobian_norms_through_time, rnn_cell_with_radius

    cell = rnn_cell_with_radius(16, 0.8, 4)
    n = jacobian_norms_through_time(cell, 12, torch.zeros(12, 4, dtype=torch.float64))
    np.testing.assert_allclose(n / n[-1], 0.8 ** np.arange(11, -1, -1), rtol=1e-9)


def test_gradient_flow_demo_headless_with_training():
    from course_lib.widgets.gradient_flow import gradient_flow_demo

    mem = {"lengths": [5, 20], "rnn": np.array([[1.0, 0.3]]), "lstm": np.array([[1.0, 1.0]]), "chance": 0.25}
    d = gradient_flow_demo(memory=mem)
    d.controls["rho"].value = 1.0
    d.controls["T"].value = 20
    d.controls["length"].value = 5
    d.controls["train"].value = True
    import course_lib.sequence as S

    calls = []
    real = S.memory_accuracy

    def fast(kind, length, steps=150, **kw):
        calls.append((kind, length))
        return real(kind, length, 3, **kw)

    S.memory_accuracy = fast
    try:
        r = d.click()
    finally:
        S.memory_accuracy = real
    assert r["rho"] == 1.0 and r["T"] == 20 and len(r["rnn"]) == 20
    assert calls == [("rnn", 5), ("lstm", 5)]
    assert 0 <= r["acc_rnn"] <= 1 and 0 <= r["acc_lstm"] <= 1
    assert d.renders == 1
