"""Loss landscapes and line searches (lectures 01 and 05): line searches with counted evaluations, the residual MLP,
filter-normalized directions (Li et al. 2018), loss slices, their roughness measure and the residual lab widget."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------------- roughness


def test_roughness_of_a_single_valley_is_zero():
    from course_lib.initstats import slice_roughness

    a = np.linspace(-1, 1, 41)
    r = slice_roughness(a ** 2)
    assert r == {"local_minima": 1, "excess_variation": 0.0}
    assert slice_roughness(np.exp(a))["local_minima"] == 0  # monotone: no interior minimum
    assert slice_roughness(np.exp(a))["excess_variation"] == 0.0


def test_roughness_counts_bumps():
    from course_lib.initstats import slice_roughness

    a = np.linspace(-1, 1, 201)
    r = slice_roughness(a ** 2 + 0.1 * np.cos(20 * np.pi * a))
    assert r["local_minima"] >= 15
    # excess total variation: TV minus that of one valley through the same end points and minimum, over the range
    v = a ** 2 + 0.1 * np.cos(20 * np.pi * a)
    expected = (np.abs(np.diff(v)).sum() - (v[0] - v.min()) - (v[-1] - v.min())) / np.ptp(v)
    assert r["excess_variation"] == pytest.approx(expected) and expected > 1
    w = np.array([0.0, 1.0, 0.0, 1.0, 0.0])  # two interior... minima at index 2 only; TV 4, valley 0+0, range 1
    assert slice_roughness(w) == {"local_minima": 1, "excess_variation": 4.0}


def test_roughness_handles_blown_up_values():
    from course_lib.initstats import slice_roughness

    r = slice_roughness([np.inf, 2.0, 1.0, 2.0, np.nan])
    assert r == {"local_minima": 1, "excess_variation": 0.0}
    assert slice_roughness([np.nan, np.nan]) == {"local_minima": 0, "excess_variation": 0.0}


# ---------------------------------------------------------------------------------------------- residual nets


def test_plain_and_residual_nets_share_weights_and_differ_by_the_skip():
    from course_lib.initstats import residual_mlp

    plain = residual_mlp(depth=3, width=8, d_in=5, d_out=4, skip=False, seed=1)
    res = residual_mlp(depth=3, width=8, d_in=5, d_out=4, skip=True, seed=1)
    for p, q in zip(plain.parameters(), res.parameters()):
        assert torch.equal(p, q)
    x = torch.randn(6, 5)
    with torch.no_grad():
        h = res.stem(x)
        for block in res.blocks:
            h = h + torch.relu(block[0](h)) @ block[2].weight.T + block[2].bias
        assert torch.allclose(res(x), res.head(h), atol=1e-6)
        h = plain.stem(x)
        for block in plain.blocks:
            h = block(h)
        assert torch.allclose(plain(x), plain.head(h), atol=1e-6)
    assert len(residual_mlp(depth=2, width=8, skip=True, norm=True).blocks[0]) == 4  # Linear, BN, ReLU, Linear


def test_init_gradients_vanish_without_skips_and_stay_even_with_them():
    from course_lib.initstats import init_grad_norms

    rng = np.random.default_rng(0)
    data = (rng.normal(size=(64, 64)).astype(np.float32), rng.integers(0, 10, 64))
    plain = init_grad_norms(depth=12, width=32, skip=False, data=data, n=64)
    res = init_grad_norms(depth=12, width=32, skip=True, data=data, n=64)
    assert plain.shape == res.shape == (12,)
    assert plain[0] / plain[-1] < 1e-4
    assert 0.1 < res[0] / res[-1] < 10


# ---------------------------------------------------------------------------------------------- Li et al.


def test_filter_normalized_direction_matches_every_filter_norm():
    from course_lib.initstats import filter_normalized_direction, residual_mlp

    model = residual_mlp(depth=2, width=8, d_in=5, d_out=3, norm=True, seed=0)
    d = filter_normalized_direction(model, seed=3)
    params = list(model.parameters())
    assert len(d) == len(params)
    for p, u in zip(params, d):
        assert u.shape == p.shape
        if p.dim() <= 1:
            assert torch.count_nonzero(u) == 0  # biases and BatchNorm parameters: zero (Li et al.)
        else:  # one filter = one row of a Linear weight (a unit's incoming weights)
            torch.testing.assert_close(u.norm(dim=1), p.detach().norm(dim=1), rtol=1e-5, atol=1e-6)
    d2 = filter_normalized_direction(model, seed=4)
    assert not torch.equal(d[0], d2[0])  # seeded: different seeds, different directions
    assert torch.equal(d[0], filter_normalized_direction(model, seed=3)[0])


def test_filter_normalization_of_a_conv_weight_is_per_output_channel():
    from course_lib.initstats import filter_normalized_direction

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten())
    (dw, db) = filter_normalized_direction(model, seed=0)
    w = model[0].weight.detach()
    torch.testing.assert_close(dw.flatten(1).norm(dim=1), w.flatten(1).norm(dim=1), rtol=1e-5, atol=1e-6)
    assert torch.count_nonzero(db) == 0


def test_loss_surface_is_the_loss_at_the_moved_parameters_and_restores_the_model():
    from course_lib.initstats import filter_normalized_direction, loss_surface, residual_mlp

    model = residual_mlp(depth=2, width=8, d_in=5, d_out=3, norm=True, seed=0)
    model.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X, y = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32), np.arange(16) % 3
    d1, d2 = filter_normalized_direction(model, 1), filter_normalized_direction(model, 2)
    line = loss_surface(model, X, y, d1, [0.0, 0.5])
    Z = loss_surface(model, X, y, d1, [0.0, 0.5], d2, [0.0, -0.3, 0.2])
    assert line.shape == (2,) and Z.shape == (3, 2)
    assert Z[0] == pytest.approx(line)
    for k, v in model.state_dict().items():  # parameters and running statistics restored, mode too
        assert torch.equal(v, state[k]), k
    assert not model.training
    import copy

    moved = copy.deepcopy(model).train()
    with torch.no_grad():
        for p, u, v in zip(moved.parameters(), d1, d2):
            p.add_(0.5 * u - 0.3 * v)
        expected = float(torch.nn.functional.cross_entropy(moved(torch.as_tensor(X)), torch.as_tensor(y)))
    assert Z[1, 1] == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------------------------- widget


def test_residual_lab_widget_follows_its_controls():
    from course_lib.widgets.residual_lab import residual_lab, residual_lab_demo

    rng = np.random.default_rng(0)
    data = (rng.normal(size=(80, 64)).astype(np.float32), rng.integers(0, 10, 80),
            rng.normal(size=(20, 64)).astype(np.float32), rng.integers(0, 10, 20))
    r = residual_lab(depth=3, skip=True, norm=False, steps=4, points=5, data=data)
    assert r["grads_init"].shape == (3,) and r["loss"].shape == (4,) and r["slice"].shape == (5,)
    assert set(r["roughness"]) == {"local_minima", "excess_variation"}
    demo = residual_lab_demo(steps=3, data=data)
    demo.controls["depth"].value = 4
    demo.controls["skip"].value = False
    demo.controls["norm"].value = False
    assert demo.result is None  # trains only on the button
    out = demo.click()
    assert out["depth"] == 4 and out["skip"] is False and out["grads_init"].shape == (4,)
    assert out["grads_init"][0] < out["grads_init"][-1]  # plain, no BatchNorm: vanishing towards the input
    assert demo.renders == 1


# ---------------------------------------------------------------------------------------------- line searches


def test_exact_line_search_step_is_the_minimiser_along_the_gradient():
    from course_lib import optim
    from course_lib.data import ill_conditioned_quadratic

    q = ill_conditioned_quadratic(d=5, kappa=30, seed=1)
    x0 = np.arange(1.0, 6.0)
    r = optim.gd_exact_quadratic(q.A, q.b, x0, 1)
    g = q.grad(x0)
    alphas = np.linspace(0, 2 * r["alphas"][0], 2001)
    assert alphas[np.argmin([q.f(x0 - a * g) for a in alphas])] == pytest.approx(r["alphas"][0], rel=2e-3)
    assert r["evals"].tolist() == [0, 2]
    r = optim.gd_exact_quadratic(q.A, q.b, x0, 30)
    assert np.all(np.diff(r["f"]) <= 1e-12) and r["f"][-1] < 1e-2 * r["f"][0]


def test_fixed_step_counts_one_gradient_per_step_and_stops_when_it_blows_up():
    from course_lib import optim
    from course_lib.data import ill_conditioned_quadratic

    q = ill_conditioned_quadratic(d=4, kappa=10, seed=0)
    x0 = np.ones(4)
    r = optim.gd_fixed_step(q.f, q.grad, x0, 0.1, 7)
    assert r["evals"].tolist() == list(range(8)) and len(r["f"]) == 8
    x = x0.copy()
    for _ in range(7):
        x = x - 0.1 * q.grad(x)
    np.testing.assert_allclose(r["x"], x)
    big = optim.gd_fixed_step(q.f, q.grad, x0, 2.5 / q.eigenvalues[-1], 10_000)
    assert len(big["f"]) < 10_001 and big["f"][-1] > 1e12 * big["f"][0]


def test_wolfe_steps_satisfy_the_strong_wolfe_conditions_and_every_evaluation_is_counted():
    from course_lib import optim

    pytest.importorskip("scipy")
    calls = {"f": 0, "g": 0}

    def f(x):
        calls["f"] += 1
        return optim.rosenbrock(x)

    def g(x):
        calls["g"] += 1
        return optim.rosenbrock_grad(x)

    x0 = np.array([-1.2, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = optim.gd_wolfe(f, g, x0, 40, c1=1e-4, c2=0.9)
    recorded = len(r["f"])  # the history's own f values (for the plot) are computed outside the counter
    assert r["evals"][-1] == calls["f"] + calls["g"] - recorded
    assert np.all(np.diff(r["evals"]) >= 2)  # each step: at least one f and one new gradient
    x = x0.copy()
    for a in r["alphas"]:  # replay: every accepted step meets both strong Wolfe conditions
        gx = optim.rosenbrock_grad(x)
        d = -gx
        xn = x + a * d
        assert optim.rosenbrock(xn) <= optim.rosenbrock(x) + 1e-4 * a * gx @ d + 1e-12
        assert abs(optim.rosenbrock_grad(xn) @ d) <= 0.9 * abs(gx @ d) + 1e-12
        x = xn
    np.testing.assert_allclose(x, r["x"])
    assert r["f"][-1] < r["f"][0]


def test_counted_objective_caches_the_last_point_only():
    from course_lib.optim import CountedObjective

    obj = CountedObjective(lambda x: float(x @ x), lambda x: 2 * x)
    x = np.array([1.0, 2.0])
    obj.f(x); obj.f(x); obj.grad(x); obj.grad(x.copy())  # noqa: E702
    assert (obj.f_calls, obj.grad_calls, obj.evals) == (1, 1, 2)
    obj.f(x + 1); obj.f(x)  # noqa: E702
    assert obj.f_calls == 3
