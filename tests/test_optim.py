"""course_lib.optim: quadratic analysis, from-scratch optimizers vs torch.optim (float64), surface gradients."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import optim
from course_lib.compare import rel_error


def _grad_fn(shape, seed=0):
    rng = np.random.default_rng(seed)
    T = rng.normal(size=shape)
    return lambda w: (w - T) + 0.3 * np.sin(2 * w)


@pytest.mark.parametrize("name,hp", [("GD", {}), ("Momentum", {}), ("Nesterov", {"momentum": 0.5}),
                                     ("SGD", {"momentum": 0.9, "weight_decay": 0.1}), ("AdaGrad", {}),
                                     ("AdaGrad", {"eps": 0.1}), ("RMSProp", {}), ("RMSProp", {"rho": 0.5}),
                                     ("Adam", {}), ("Adam", {"betas": (0.5, 0.9), "eps": 1e-3}),
                                     ("Adam", {"weight_decay": 0.1}), ("AdamW", {}), ("AdamW", {"weight_decay": 0.3})])
def test_step_by_step_against_torch(name, hp):
    diffs = optim.replay_against_torch(name, np.linspace(-1, 1, 12).reshape(3, 4), _grad_fn((3, 4)), 40,
                                       lr=0.05, **hp)
    assert diffs.max() < 1e-13


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_muon_against_torch(shape, monkeypatch):
    import torch.optim._muon as m

    w0 = np.random.default_rng(3).normal(size=shape)
    bf16 = optim.replay_against_torch("Muon", w0, _grad_fn(shape), 10, lr=0.02, weight_decay=0.1)
    assert bf16.max() < 2e-2  # torch runs Newton–Schulz in bfloat16

    def ns64(grad, coeffs, steps, eps):
        a, b, c = coeffs
        X = grad.double()
        tall = X.size(0) > X.size(1)
        X = X.T if tall else X
        X = X / (X.norm() + eps)
        for _ in range(steps):
            A = X @ X.T
            X = a * X + (b * A + c * A @ A) @ X
        return X.T if tall else X

    monkeypatch.setattr(m, "_zeropower_via_newtonschulz", ns64)
    exact = optim.replay_against_torch("Muon", w0, _grad_fn(shape), 10, lr=0.02, weight_decay=0.1)
    assert exact.max() < 1e-12


def test_newton_schulz_polynomial_on_singular_values():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.normal(size=(6, 4)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    s = np.array([1.0, 0.5, 0.1, 0.01])
    G = U @ np.diag(s) @ V.T
    O = optim.newton_schulz(G)
    expected = U @ np.diag(optim.ns_polynomial(s / (np.linalg.norm(s) + 1e-7))) @ V.T
    np.testing.assert_allclose(O, expected, atol=1e-12)
    v = np.array([3.0, -4.0])
    assert optim.newton_schulz(v) == pytest.approx(v / 5 * optim.ns_polynomial(5 / (5 + 1e-7)))


def test_gd_quadratic_gap_matches_running_gd():
    A, lams = optim.two_by_two_quadratic(20.0, angle_deg=10)
    w0 = np.array([1.0, -2.0])
    path = optim.run_optimizer(optim.SGD(0.7), lambda w: A @ w, w0, 30)
    gap = 0.5 * np.einsum("ki,ij,kj->k", path, A, path)
    _, Q = np.linalg.eigh(A)
    np.testing.assert_allclose(optim.gd_quadratic_gap(lams, Q.T @ w0, 0.7, 30), gap, rtol=1e-10, atol=1e-300)


def test_momentum_analysis():
    a, b, r = optim.momentum_optimal(0.01, 1.0)
    assert r == pytest.approx(9 / 11) and b == pytest.approx(r ** 2) and a == pytest.approx((2 / 1.1) ** 2)
    assert optim.momentum_rate(a, b, np.linspace(0.01, 1, 50)) == pytest.approx(r, rel=1e-6)
    # components from the recursion decay like the spectral radius of R
    comps = optim.momentum_components(0.5, 0.6, [0.3], [1.0], 400)
    rho = np.max(np.abs(np.linalg.eigvals(optim.momentum_matrix(0.5, 0.6, 0.3))))
    assert abs(comps[-1, 0]) ** (1 / 400) == pytest.approx(rho, rel=2e-2)
    # edge of convergence 2 + 2β
    assert optim.momentum_rate(2.0 * 1.5 - 1e-6, 0.5, [1.0]) < 1 < optim.momentum_rate(3.0 + 1e-3, 0.5, [1.0])
    grid = optim.momentum_rate_grid([0.5, 1.0], [0.0, 0.6], 0.1, 1.0)
    assert grid[1, 0] == pytest.approx(optim.momentum_rate(0.5, 0.6, [0.1, 1.0]))


def test_gd_bounds():
    assert optim.gd_optimal_step(1.0, 3.0) == pytest.approx((0.5, 0.5))
    assert optim.strongly_convex_steps(1.0, 1e-6, 0.1, 1.0) == pytest.approx(np.log(1e6) / np.log(1 / 0.9))
    assert optim.convex_bound(2.0, 0.5, 3) == pytest.approx([2.0, 1.0, 2 / 3])


@pytest.mark.parametrize("key", ["quadratic", "rosenbrock", "saddle"])
def test_surface_gradients_by_centred_differences(key):
    s = optim.surfaces()[key]
    h = 1e-5
    for p in (s.x0, np.array([0.3, -0.7]), np.array([1.1, 0.9])):
        num = np.array([(s.f(p + h * e) - s.f(p - h * e)) / (2 * h) for e in np.eye(2)])
        assert rel_error(s.grad(p), num) < 1e-7
