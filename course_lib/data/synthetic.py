"""Synthetic datasets with known ground truth (NumPy only, explicit seeds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Regression:
    """Features X (n, d), targets y (n,), and the true weights that generated them."""

    X: np.ndarray
    y: np.ndarray
    w_true: np.ndarray


def linear_regression(n: int = 200, d: int = 3, noise: float = 0.5, seed: int = 0,
                      intercept: bool = True) -> Regression:
    """y = X w_true + noise·ε; with `intercept` the first column of X is all ones."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if intercept:
        X[:, 0] = 1.0
    w_true = rng.normal(size=d)
    y = X @ w_true + noise * rng.normal(size=n)
    return Regression(X, y, w_true)


def logistic_regression(n: int = 400, d: int = 3, seed: int = 0, intercept: bool = True) -> Regression:
    """y ~ Bernoulli(σ(X β_true)) with y ∈ {0, 1}."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if intercept:
        X[:, 0] = 1.0
    beta = rng.normal(size=d) * 2.0
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    y = (rng.random(n) < p).astype(float)
    return Regression(X, y, beta)


def moons(n: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n, 2), labels y ∈ {0, 1}."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n - n0)
    a = np.c_[np.cos(t0), np.sin(t0)]
    b = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    X = np.vstack([a, b]) + noise * rng.normal(size=(n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)].astype(int)
    return X, y


def circles(n: int = 400, noise: float = 0.08, factor: float = 0.5, seed: int = 0):
    """A small circle inside a large one: X (n, 2), labels y ∈ {0, 1} (1 = inner)."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.ones(n0), factor * np.ones(n - n0)]
    X = np.c_[r * np.cos(t), r * np.sin(t)] + noise * rng.normal(size=(n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)].astype(int)
    return X, y


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """The cs231n spiral: `classes` arms, X (n·classes, 2), labels y ∈ {0..classes-1}."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n * classes, 2))
    y = np.zeros(n * classes, dtype=int)
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + noise * rng.normal(size=n)
        X[k * n:(k + 1) * n] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[k * n:(k + 1) * n] = k
    return X, y


@dataclass
class Quadratic:
    """f(w) = ½ wᵀAw − bᵀw with A symmetric positive definite."""

    A: np.ndarray
    b: np.ndarray

    @property
    def eigenvalues(self) -> np.ndarray:
        return np.linalg.eigvalsh(self.A)

    @property
    def minimizer(self) -> np.ndarray:
        return np.linalg.solve(self.A, self.b)

    def f(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w) - w @ self.b

    def grad(self, w: np.ndarray) -> np.ndarray:
        return self.A @ np.asarray(w, dtype=float) - self.b


def ill_conditioned_quadratic(d: int = 2, kappa: float = 10.0, seed: int | None = 0,
                              rotate: bool = True) -> Quadratic:
    """A quadratic whose Hessian has eigenvalues spread log-evenly from 1 to κ (rotated if `rotate`)."""
    lams = np.geomspace(1.0, kappa, d) if d > 1 else np.array([1.0])
    if rotate and d > 1:
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    else:
        Q = np.eye(d)
    A = Q @ np.diag(lams) @ Q.T
    A = 0.5 * (A + A.T)
    b = np.zeros(d)
    return Quadratic(A, b)
