"""Lecture 07: every transfer-learning claim can fail, and the convolution explorer redraws once per preset.

Each claim of §10 is a condition on `course_lib.cnn.transfer_measures`; the tests below run `transfer_experiment` at a
tiny size (one seed, 10 images per class, a source network pre-trained for 100 steps) as the lecture runs it, and
deliberately broken (an unconverged probe, too few steps, a learning rate that wrecks the pre-trained weights, a
"source" task that is the target task itself), and check that the claim's condition holds for the first and fails
for the second.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")

from course_lib.cnn import (  # noqa: E402
    KERNELS,
    fit_linear_probe,
    pretrain_source,
    probe_predict,
    transfer_experiment,
    transfer_measures,
)
from course_lib.data import load_digits_28  # noqa: E402

TINY = dict(sizes=(10,), seeds=(0,), steps=100)


@pytest.fixture(scope="module")
def data():
    return load_digits_28()


@pytest.fixture(scope="module")
def base(data):
    return pretrain_source(100, data)[0]


@pytest.fixture(scope="module")
def correct(data, base):
    return transfer_measures(transfer_experiment(**TINY, data=data, base=base))


def mean(v) -> float:
    return float(np.mean(v))


# ---------------------------------------------------------------- the probe itself


def test_linear_probe_reaches_the_minimiser_scikit_learn_finds():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    F = rng.normal(size=(60, 12)) * rng.uniform(0.1, 5, 12) + rng.normal(size=12)
    y = rng.integers(0, 3, 60)
    y[:3] = [0, 1, 2]
    probe = fit_linear_probe(F, y, 3)
    assert probe["grad_max"] < 1e-8
    Z = ((torch.as_tensor(F) - probe["mu"]) / probe["sd"]).numpy()
    # scikit-learn minimises C·Σ CE + ½‖W‖², i.e. n·C·(mean CE + ‖W‖²/(2nC)): the same problem for C = 1/(n·l2)
    sk = LogisticRegression(C=1.0 / (len(y) * probe["l2"]), tol=1e-12, max_iter=10000).fit(Z, y)
    ours = torch.softmax(torch.as_tensor(Z) @ probe["W"] + probe["b"], 1).numpy()
    np.testing.assert_allclose(ours, sk.predict_proba(Z), atol=1e-5)
    np.testing.assert_array_equal(probe_predict(probe, F).numpy(), sk.predict(Z))


# ---------------------------------------------------------------- each claim fails for a broken experiment


def test_convergence_claim_fails_for_an_unconverged_probe(data, base, correct):
    assert correct["probe_grad_max"] < 1e-5
    broken = transfer_measures(transfer_experiment(**TINY, data=data, base=base, probe_iters=5))
    assert not broken["probe_grad_max"] < 1e-5


def test_networks_fit_claim_fails_with_too_few_steps(data, base, correct):
    assert correct["network_train_loss"] < 0.1
    broken = transfer_measures(transfer_experiment(**dict(TINY, steps=5), data=data, base=base))
    assert not broken["network_train_loss"] < 0.1


def test_conv_probe_claims_fail_for_an_unconverged_probe(data, base, correct):
    """An unconverged probe (two L-BFGS iterations, like the old 100 Adam steps) loses to scratch and to fine-tuning."""
    assert mean(correct["conv_minus_scratch"]) > 0 and mean(correct["conv_minus_finetune"]) >= 0
    broken = transfer_measures(transfer_experiment(**TINY, data=data, base=base, probe_iters=2))
    assert not mean(broken["conv_minus_scratch"]) > 0
    assert not mean(broken["conv_minus_finetune"]) >= 0


def test_layer_claims_fail_when_the_source_task_is_the_target_task(data, base, correct):
    """Pre-trained on 5–9 themselves, the penultimate features are the right ones: they beat the conv block and
    training from scratch, so "lower layers transfer better" and "the last layer is too specific" both fail."""
    assert mean(correct["conv_minus_fc"]) > 0 and mean(correct["scratch_minus_fc"]) > 0
    Xtr, ytr, Xte, yte = data
    on_target = (Xtr[ytr >= 5], ytr[ytr >= 5] - 5, Xte[yte >= 5], yte[yte >= 5] - 5)  # 5–9 relabelled 0–4
    same_task = pretrain_source(100, on_target)[0]
    broken = transfer_measures(transfer_experiment(**TINY, data=data, base=same_task))
    assert not mean(broken["conv_minus_fc"]) > 0
    assert not mean(broken["scratch_minus_fc"]) > 0


def test_finetune_claim_fails_with_a_learning_rate_that_wrecks_the_pretrained_weights(data, base, correct):
    assert mean(correct["finetune_minus_scratch"]) > 0
    broken = transfer_measures(transfer_experiment(**TINY, data=data, base=base, finetune_lr=0.1))
    assert not mean(broken["finetune_minus_scratch"]) > 0


def test_given_base_is_not_modified(data, base):
    before = [p.detach().clone() for p in base.parameters()]
    transfer_experiment(**dict(TINY, steps=3), data=data, base=base, probe_iters=3)
    assert all(torch.equal(a, b) for a, b in zip(before, base.parameters()))


# ---------------------------------------------------------------- the convolution explorer redraws once


def test_conv_explorer_preset_redraws_once_and_typing_redraws_once():
    from course_lib.widgets.conv_explorer import CUSTOM, conv_explorer_demo

    demo = conv_explorer_demo()
    demo.update()
    assert demo.renders == 1
    for name in ("sobel x", "laplacian", "box blur"):  # each preset changes all nine cells of the grid
        before = demo.renders
        demo.controls["kernel"].value = name
        assert demo.renders == before + 1, name
        np.testing.assert_array_equal([demo.controls[f"k{i}"].value for i in range(9)], KERNELS[name].ravel())
        np.testing.assert_array_equal(demo.result["kernel"], KERNELS[name])
    before = demo.renders
    demo.controls["k4"].value = 7.0  # typing into the grid: one redraw, now with the custom kernel
    assert demo.renders == before + 1 and demo.controls["kernel"].value == CUSTOM
    assert demo.result["kernel"][1, 1] == 7.0
    before = demo.renders
    demo.controls["k0"].value = 2.0  # further typing: one redraw per number
    assert demo.renders == before + 1 and demo.result["kernel"][0, 0] == 2.0
    before = demo.renders
    demo.controls["stride"].value = 2
    assert demo.renders == before + 1
