"""Optimisation for lectures 01-02: GD and momentum on quadratics, from-scratch optimizers, test surfaces.

Everything is NumPy float64 and side-effect free, so the lectures, the widgets and the tests share one
implementation. The from-scratch optimizers follow torch.optim's conventions exactly (checked step by step
against torch in `replay_against_torch` and in tests/test_optim.py):

    opt = Adam(lr=1e-2)            # holds its own state, like torch.optim.Adam
    w = opt.step(w, grad)          # returns the new parameters (w itself is not modified)

Quadratic notation (lectures and REFERENCE.md): f(w) = ½ wᵀAw − bᵀw, eigenvalues λ₁ ≤ … ≤ λₙ, κ = λₙ/λ₁.
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw02",)

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# --------------------------------------------------------------------------------------------------
# Gradient descent on a quadratic
# --------------------------------------------------------------------------------------------------


def gd_rate(alpha: float, lams) -> float:
    """Worst contraction factor of GD per step: max_i |1 − αλᵢ| (converges iff < 1)."""
    lams = np.asarray(lams, dtype=float)
    return float(np.max(np.abs(1.0 - alpha * lams)))


def gd_optimal_step(lam_min: float, lam_max: float) -> tuple[float, float]:
    """α* = 2/(λ₁+λₙ) and its rate (κ−1)/(κ+1)."""
    return 2.0 / (lam_min + lam_max), (lam_max - lam_min) / (lam_max + lam_min)


def gd_quadratic_gap(lams, x0_eig, alpha: float, steps: int) -> np.ndarray:
    """Exact f(wᵏ) − f* for GD on a quadratic, k = 0..steps: Σᵢ (1−αλᵢ)²ᵏ λᵢ (xᵢ⁰)²/2 (eigen-coordinates)."""
    lams = np.asarray(lams, dtype=float)
    x0 = np.asarray(x0_eig, dtype=float)
    k = np.arange(steps + 1)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sum((1.0 - alpha * lams) ** (2 * k) * lams * x0 ** 2 / 2.0, axis=1)


def convex_bound(dist0_sq: float, t: float, steps: int) -> np.ndarray:
    """The O(1/k) bound ‖x⁰−x*‖²/(2tk) for convex L-smooth f and t ≤ 1/L, k = 1..steps."""
    k = np.arange(1, steps + 1)
    return dist0_sq / (2.0 * t * k)


def strongly_convex_steps(gap0: float, eps: float, m: float, M: float) -> float:
    """k* = log((f(x⁰)−f*)/ε) / log(1/(1−m/M)): enough steps of GD with t = 1/M to reach a gap ≤ ε."""
    return float(np.log(gap0 / eps) / np.log(1.0 / (1.0 - m / M)))


def two_by_two_quadratic(kappa: float, angle_deg: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """A = R diag(1, 1/κ) Rᵀ (L = 1, m = 1/κ) rotated by `angle_deg`; returns (A, eigenvalues ascending)."""
    th = np.deg2rad(angle_deg)
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    lams = np.array([1.0 / kappa, 1.0])
    A = R @ np.diag(lams[::-1]) @ R.T
    return 0.5 * (A + A.T), lams


# --------------------------------------------------------------------------------------------------
# Heavy-ball momentum on a quadratic (Goh, "Why Momentum Really Works", Distill 2017)
# --------------------------------------------------------------------------------------------------


def momentum_matrix(alpha: float, beta: float, lam: float) -> np.ndarray:
    """R with (zᵏ⁺¹, xᵏ⁺¹) = R (zᵏ, xᵏ) in one eigen-direction: z ← βz + λx, x ← x − αz."""
    return np.array([[beta, lam], [-alpha * beta, 1.0 - alpha * lam]])


def momentum_eigs(alpha: float, beta: float, lam: float) -> np.ndarray:
    """Eigenvalues σ₁,₂ = ½(1−αλ+β ± √((1−αλ+β)² − 4β)) of R (complex when the discriminant is < 0)."""
    s = 1.0 - alpha * lam + beta
    disc = np.lib.scimath.sqrt(s * s - 4.0 * beta)
    return np.array([(s + disc) / 2.0, (s - disc) / 2.0])


def momentum_rate(alpha: float, beta: float, lams) -> float:
    """Worst spectral radius max_i ρ(R(λᵢ)) (converges iff < 1, i.e. iff 0 < αλᵢ < 2 + 2β for all i)."""
    return float(max(np.max(np.abs(momentum_eigs(alpha, beta, lam))) for lam in np.atleast_1d(lams)))


def momentum_rate_grid(alphas, betas, lam_min: float, lam_max: float) -> np.ndarray:
    """Convergence rate on a grid (len(betas), len(alphas)); the worst case sits at λ₁ or λₙ."""
    A, B = np.meshgrid(np.asarray(alphas, float), np.asarray(betas, float))
    out = np.zeros_like(A)
    for lam in (lam_min, lam_max):
        s = 1.0 - A * lam + B
        disc = np.sqrt((s * s - 4.0 * B).astype(complex))
        r = np.maximum(np.abs((s + disc) / 2.0), np.abs((s - disc) / 2.0))
        out = np.maximum(out, r)
    return out


def momentum_optimal(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    """α = (2/(√λ₁+√λₙ))², β = ((√κ−1)/(√κ+1))², rate (√κ−1)/(√κ+1) = √β."""
    a, b = np.sqrt(lam_min), np.sqrt(lam_max)
    rate = (b - a) / (b + a)
    return float((2.0 / (a + b)) ** 2), float(rate ** 2), float(rate)


def momentum_components(alpha: float, beta: float, lams, x0_eig, steps: int) -> np.ndarray:
    """Per-eigencomponent error xᵢᵏ (shape (steps+1, n)) of heavy ball started at rest (z⁰ = 0)."""
    lams = np.asarray(lams, dtype=float)
    x = np.asarray(x0_eig, dtype=float).copy()
    z = np.zeros_like(x)
    out = [x.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            z = beta * z + lams * x
            x = x - alpha * z
            out.append(x.copy())
    return np.array(out)


# --------------------------------------------------------------------------------------------------
# From-scratch optimizers (torch.optim conventions, one parameter array each)
# --------------------------------------------------------------------------------------------------


class Optimizer:
    """Base class: `step(w, g)` returns the new parameters; state lives in the object."""

    name = "optimizer"

    def __init__(self, lr: float):
        self.lr = float(lr)
        self.t = 0

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """torch.optim.SGD: b ← μb + g (b¹ = g), then w ← w − α·b, or w ← w − α(g + μb) with Nesterov.

    With v = −α·b this is the slide form V ← μV − α∇L, W ← W + V (identical while α is constant).
    """

    name = "SGD"

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr)
        self.momentum, self.nesterov, self.weight_decay = float(momentum), bool(nesterov), float(weight_decay)
        self.buf: np.ndarray | None = None

    def step(self, w, g):
        w = np.asarray(w, dtype=float)
        g = np.asarray(g, dtype=float) + self.weight_decay * w
        self.t += 1
        if self.momentum:
            self.buf = g.copy() if self.buf is None else self.momentum * self.buf + g
            g = g + self.momentum * self.buf if self.nesterov else self.buf
        return w - self.lr * g


class Adagrad(Optimizer):
    """torch.optim.Adagrad: s ← s + g², w ← w − α g/(√s + ε)."""

    name = "AdaGrad"

    def __init__(self, lr: float = 1e-2, eps: float = 1e-10):
        super().__init__(lr)
        self.eps = float(eps)
        self.s: np.ndarray | None = None

    def step(self, w, g):
        w, g = np.asarray(w, dtype=float), np.asarray(g, dtype=float)
        self.t += 1
        self.s = g * g if self.s is None else self.s + g * g
        return w - self.lr * g / (np.sqrt(self.s) + self.eps)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: s ← ρs + (1−ρ)g², w ← w − α g/(√s + ε) (torch calls ρ `alpha`)."""

    name = "RMSProp"

    def __init__(self, lr: float = 1e-2, rho: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        self.rho, self.eps = float(rho), float(eps)
        self.s: np.ndarray | None = None

    def step(self, w, g):
        w, g = np.asarray(w, dtype=float), np.asarray(g, dtype=float)
        self.t += 1
        s = np.zeros_like(g) if self.s is None else self.s
        self.s = self.rho * s + (1.0 - self.rho) * g * g
        return w - self.lr * g / (np.sqrt(self.s) + self.eps)


class Adam(Optimizer):
    """torch.optim.Adam / AdamW (Kingma & Ba 2014; Loshchilov & Hutter 2019).

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), w ← w − α m̂/(√v̂ + ε).
    `weight_decay` with `decoupled=False` adds λw to g (Adam's L2); `decoupled=True` shrinks
    w ← (1 − αλ)w before the step (AdamW). `bias_correction=False` drops m̂, v̂ (for the lecture).
    """

    name = "Adam"

    def __init__(self, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled: bool = False, bias_correction: bool = True):
        super().__init__(lr)
        self.b1, self.b2 = float(betas[0]), float(betas[1])
        self.eps, self.weight_decay, self.decoupled = float(eps), float(weight_decay), bool(decoupled)
        self.bias_correction = bool(bias_correction)
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        if decoupled:
            self.name = "AdamW"

    def step(self, w, g):
        w, g = np.asarray(w, dtype=float), np.asarray(g, dtype=float)
        self.t += 1
        if self.weight_decay and self.decoupled:
            w = w * (1.0 - self.lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * w
        m = np.zeros_like(g) if self.m is None else self.m
        v = np.zeros_like(g) if self.v is None else self.v
        self.m = self.b1 * m + (1.0 - self.b1) * g
        self.v = self.b2 * v + (1.0 - self.b2) * g * g
        if self.bias_correction:
            m_hat = self.m / (1.0 - self.b1 ** self.t)
            v_hat = self.v / (1.0 - self.b2 ** self.t)
        else:
            m_hat, v_hat = self.m, self.v
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


NS_COEFFS = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, steps: int = 5, coeffs=NS_COEFFS, eps: float = 1e-7) -> np.ndarray:
    """Muon's quintic Newton–Schulz iteration in float64 (github.com/KellerJordan/Muon).

    X₀ = G/(‖G‖_F + ε) (transposed when rows > cols), then X ← aX + (bA + cA²)X with A = XXᵀ.
    Each singular value σ goes through p(σ) = aσ + bσ³ + cσ⁵ while the singular vectors stay:
    the result is ≈ UVᵀ with singular values in roughly [0.7, 1.2] instead of exactly 1.
    A 1-D G is treated as a row vector (the result is then ≈ G/‖G‖).
    """
    G = np.asarray(G, dtype=float)
    vec = G.ndim == 1
    X = G[None, :] if vec else G
    a, b, c = coeffs
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    X = X / (np.linalg.norm(X) + eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    if tall:
        X = X.T
    return X[0] if vec else X


def ns_polynomial(sigma, steps: int = 5, coeffs=NS_COEFFS) -> np.ndarray:
    """What `steps` quintic iterations do to a singular value σ ∈ [0, 1] (after normalisation)."""
    s = np.asarray(sigma, dtype=float)
    a, b, c = coeffs
    for _ in range(steps):
        s = a * s + b * s ** 3 + c * s ** 5
    return s


class Muon(Optimizer):
    """torch.optim.Muon (float64 here; torch runs Newton–Schulz in bfloat16).

    b ← μb + (1−μ)g; u = (1−μ)g + μb with Nesterov, else b; O = NS(u);
    w ← (1 − αλ)w − α·√max(1, rows/cols)·O. A 1-D parameter is treated as a row vector.
    """

    name = "Muon"

    def __init__(self, lr: float = 0.02, momentum: float = 0.95, nesterov: bool = True,
                 weight_decay: float = 0.0, ns_steps: int = 5):
        super().__init__(lr)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.weight_decay, self.ns_steps = float(weight_decay), int(ns_steps)
        self.buf: np.ndarray | None = None

    def step(self, w, g):
        w, g = np.asarray(w, dtype=float), np.asarray(g, dtype=float)
        self.t += 1
        buf = np.zeros_like(g) if self.buf is None else self.buf
        self.buf = buf + (1.0 - self.momentum) * (g - buf)
        u = g + self.momentum * (self.buf - g) if self.nesterov else self.buf
        O = newton_schulz(u, self.ns_steps)
        rows, cols = (1, g.size) if g.ndim == 1 else g.shape[:2]
        lr_adj = self.lr * np.sqrt(max(1.0, rows / cols))
        return w * (1.0 - self.lr * self.weight_decay) - lr_adj * O


def make_optimizer(name: str, lr: float, **hp) -> Optimizer:
    """'GD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSProp', 'Adam', 'AdamW', 'Muon' -> a fresh optimizer."""
    key = name.lower()
    if key in ("gd", "sgd"):
        return SGD(lr, **hp)
    if key == "momentum":
        return SGD(lr, momentum=hp.pop("momentum", 0.9), **hp)
    if key == "nesterov":
        return SGD(lr, momentum=hp.pop("momentum", 0.9), nesterov=True, **hp)
    if key == "adagrad":
        return Adagrad(lr, **hp)
    if key == "rmsprop":
        return RMSprop(lr, **hp)
    if key == "adam":
        return Adam(lr, **hp)
    if key == "adamw":
        return Adam(lr, decoupled=True, weight_decay=hp.pop("weight_decay", 1e-2), **hp)
    if key == "muon":
        return Muon(lr, **hp)
    raise KeyError(f"unknown optimizer {name!r}")


def run_optimizer(opt: Optimizer, grad_fn: Callable[[np.ndarray], np.ndarray], x0, steps: int,
                  clip: float = 1e6) -> np.ndarray:
    """Iterates (steps+1, d) of `opt` from x0; stops (repeating the last point) once |x| exceeds `clip`."""
    x = np.array(x0, dtype=float)
    path = [x.copy()]
    for _ in range(steps):
        if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > clip:
            path.append(path[-1])
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            x = opt.step(x, grad_fn(x))
        path.append(x.copy())
    return np.array(path)


def torch_optimizer(name: str, params, lr: float, **hp):
    """The torch.optim counterpart of make_optimizer(name, lr, **hp)."""
    import torch

    key = name.lower()
    if key in ("gd", "sgd"):
        return torch.optim.SGD(params, lr=lr, **hp)
    if key == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=hp.pop("momentum", 0.9), **hp)
    if key == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=hp.pop("momentum", 0.9), nesterov=True, **hp)
    if key == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, **hp)
    if key == "rmsprop":
        rho = hp.pop("rho", 0.99)
        return torch.optim.RMSprop(params, lr=lr, alpha=rho, **hp)
    if key == "adam":
        return torch.optim.Adam(params, lr=lr, **hp)
    if key == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=hp.pop("weight_decay", 1e-2), **hp)
    if key == "muon":
        return torch.optim.Muon(params, lr=lr, weight_decay=hp.pop("weight_decay", 0.0), **hp)
    raise KeyError(f"unknown optimizer {name!r}")


def replay_against_torch(name: str, w0, grad_fn: Callable[[np.ndarray], np.ndarray], steps: int = 20,
                         lr: float = 1e-2, **hp) -> np.ndarray:
    """Run our optimizer and torch.optim side by side on the same float64 parameter with the same gradients.

    Each step computes g = grad_fn(w) at our current w, hands the same g to both, and records
    max |w_ours − w_torch|. Returns the per-step differences (shape (steps,)).
    """
    import torch

    ours = make_optimizer(name, lr, **dict(hp))
    w = np.array(w0, dtype=float)
    p = torch.nn.Parameter(torch.tensor(w.copy(), dtype=torch.float64))
    theirs = torch_optimizer(name, [p], lr, **dict(hp))
    diffs = []
    for _ in range(steps):
        g = np.asarray(grad_fn(w), dtype=float)
        p.grad = torch.tensor(g.copy(), dtype=torch.float64)
        theirs.step()
        w = ours.step(w, g)
        diffs.append(float(np.max(np.abs(w - p.detach().numpy()))))
    return np.array(diffs)


# --------------------------------------------------------------------------------------------------
# 2-D test surfaces for the optimizer race
# --------------------------------------------------------------------------------------------------


@dataclass
class Surface:
    """A 2-D objective with its gradient, a start point, a view box and the minimum value (if bounded)."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]  # takes (..., 2)
    grad: Callable[[np.ndarray], np.ndarray]  # takes (2,)
    x0: np.ndarray
    xlim: tuple
    ylim: tuple
    f_min: float
    lrs: dict = field(default_factory=dict)  # a sensible learning rate per optimizer


def _quad_surface(kappa: float = 50.0) -> Surface:
    A, _ = two_by_two_quadratic(kappa, angle_deg=30.0)
    c = np.array([0.0, 0.0])

    def f(p):
        p = np.asarray(p, dtype=float) - c
        return 0.5 * np.einsum("...i,ij,...j->...", p, A, p)

    def grad(p):
        return A @ (np.asarray(p, dtype=float) - c)

    lrs = {"GD": 1.0, "Momentum": 0.3, "Nesterov": 0.3, "AdaGrad": 0.5, "RMSProp": 0.05, "Adam": 0.1,
           "Muon": 0.05}
    return Surface(f"ill-conditioned quadratic (κ={kappa:g})", f, grad, np.array([-1.8, 1.2]), (-2, 2),
                   (-2, 2), 0.0, lrs)


def _rosenbrock() -> Surface:
    def f(p):
        p = np.asarray(p, dtype=float)
        x, y = p[..., 0], p[..., 1]
        return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2

    def grad(p):
        x, y = float(p[0]), float(p[1])
        return np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])

    lrs = {"GD": 1e-3, "Momentum": 1e-3, "Nesterov": 1e-3, "AdaGrad": 0.3, "RMSProp": 0.01, "Adam": 0.05,
           "Muon": 0.02}
    return Surface("Rosenbrock", f, grad, np.array([-1.5, 2.0]), (-2, 2), (-1, 3), 0.0, lrs)


def _saddle() -> Surface:
    # f = x² + y⁴/4 − y²/2: a saddle at the origin, minima at (0, ±1) with f = −1/4.
    def f(p):
        p = np.asarray(p, dtype=float)
        x, y = p[..., 0], p[..., 1]
        return x ** 2 + y ** 4 / 4 - y ** 2 / 2

    def grad(p):
        x, y = float(p[0]), float(p[1])
        return np.array([2 * x, y ** 3 - y])

    lrs = {"GD": 0.1, "Momentum": 0.05, "Nesterov": 0.05, "AdaGrad": 0.5, "RMSProp": 0.02, "Adam": 0.05,
           "Muon": 0.05}
    return Surface("saddle", f, grad, np.array([-1.8, 1e-3]), (-2, 2), (-1.5, 1.5), -0.25, lrs)


def surfaces() -> dict[str, Surface]:
    """The race's surfaces by short name."""
    return {"quadratic": _quad_surface(), "rosenbrock": _rosenbrock(), "saddle": _saddle()}


RACE_OPTIMIZERS = ("GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "Muon")


def race(surface: str | Surface, names=RACE_OPTIMIZERS, steps: int = 200, lr_scale: float = 1.0) -> dict:
    """Run each optimizer on a surface: {"paths": {name: (steps+1, 2)}, "losses": {name: f − f_min}}."""
    s = surfaces()[surface] if isinstance(surface, str) else surface
    paths, losses = {}, {}
    for name in names:
        opt = make_optimizer(name, s.lrs.get(name, 1e-2) * lr_scale)
        path = run_optimizer(opt, s.grad, s.x0, steps, clip=1e3)
        paths[name] = path
        with np.errstate(over="ignore", invalid="ignore"):
            losses[name] = np.asarray(s.f(path), dtype=float) - s.f_min
    return {"surface": s.name, "paths": paths, "losses": losses}


# --------------------------------------------------------------------------------------------------
# Step sizes chosen by a line search (lecture 01): fixed steps vs exact and Wolfe line searches,
# with every evaluation of f and ∇f counted. (Armijo backtracking is hw02's graded exercise; it is
# deliberately not implemented here.)
# --------------------------------------------------------------------------------------------------


class CountedObjective:
    """f and ∇f that count their evaluations. A repeated call at the point just evaluated is answered from
    a one-entry cache and not counted (a line search that evaluates ∇f at the accepted point pays once)."""

    def __init__(self, f: Callable, grad: Callable):
        self._f, self._grad = f, grad
        self.f_calls = self.grad_calls = 0
        self._fx = self._gx = None

    def f(self, x) -> float:
        x = np.asarray(x, dtype=float)
        if self._fx is not None and np.array_equal(self._fx[0], x):
            return self._fx[1]
        self.f_calls += 1
        v = float(self._f(x))
        self._fx = (x.copy(), v)
        return v

    def grad(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._gx is not None and np.array_equal(self._gx[0], x):
            return self._gx[1].copy()
        self.grad_calls += 1
        g = np.asarray(self._grad(x), dtype=float)
        self._gx = (x.copy(), g.copy())
        return g

    @property
    def evals(self) -> int:
        return self.f_calls + self.grad_calls


def _descent_history(f, x0) -> dict:
    return {"f": [float(f(x0))], "evals": [0], "alphas": [], "x": np.asarray(x0, dtype=float).copy()}


def _finish(h: dict) -> dict:
    return {"f": np.array(h["f"]), "evals": np.array(h["evals"]), "alphas": np.array(h["alphas"]), "x": h["x"]}


def gd_fixed_step(f: Callable, grad: Callable, x0, alpha: float, steps: int, blowup: float = 1e12) -> dict:
    """x ← x − α∇f(x). Returns {"f": f at every iterate (steps+1,), "evals": evaluations of f and ∇f used up to
    each iterate (one ∇f per step; the recorded f values are for the plot and not counted), "alphas", "x"}.
    Stops early (curves end) when f exceeds `blowup` times its start."""
    obj, x = CountedObjective(f, grad), np.asarray(x0, dtype=float).copy()
    h = _descent_history(f, x)
    for _ in range(steps):
        x = x - alpha * obj.grad(x)
        h["f"].append(float(f(x)))
        h["evals"].append(obj.evals)
        h["alphas"].append(alpha)
        if not np.isfinite(h["f"][-1]) or abs(h["f"][-1]) > blowup * max(abs(h["f"][0]), 1.0):
            break
    h["x"] = x
    return _finish(h)


def gd_exact_quadratic(A, b, x0, steps: int) -> dict:
    """Steepest descent with the exact line search on f(x) = ½xᵀAx − bᵀx: along d = −g the minimiser of
    f(x + αd) is α* = gᵀg / gᵀAg. Each step costs one gradient and one product Ag (counted as two
    evaluations: for a quadratic, a product with A costs as much as a gradient)."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    x = np.asarray(x0, dtype=float).copy()
    f = lambda z: 0.5 * z @ A @ z - b @ z  # noqa: E731
    h, evals = _descent_history(f, x), 0
    for _ in range(steps):
        g = A @ x - b
        Ag = A @ g
        evals += 2
        gAg = float(g @ Ag)
        if gAg <= 0:  # at the minimiser (g = 0): nothing left to do
            h["f"].append(float(f(x))); h["evals"].append(evals); h["alphas"].append(0.0)  # noqa: E702
            continue
        alpha = float(g @ g) / gAg
        x = x - alpha * g
        h["f"].append(float(f(x)))
        h["evals"].append(evals)
        h["alphas"].append(alpha)
    h["x"] = x
    return _finish(h)


def gd_wolfe(f: Callable, grad: Callable, x0, steps: int, c1: float = 1e-4, c2: float = 0.9) -> dict:
    """Steepest descent whose step satisfies the strong Wolfe conditions, found by SciPy's
    `scipy.optimize.line_search` (Nocedal & Wright, Numerical Optimization, algorithms 3.5-3.6):

        f(x + αd) ≤ f(x) + c₁α∇f(x)ᵀd   and   |∇f(x + αd)ᵀd| ≤ c₂|∇f(x)ᵀd|,   d = −∇f(x).

    Counts every evaluation of f and ∇f the search makes. The first trial step of each search is SciPy's
    guess from the previous decrease (as in its BFGS). Stops when the search fails (returns no step)."""
    from scipy.optimize import line_search

    obj, x = CountedObjective(f, grad), np.asarray(x0, dtype=float).copy()
    h = _descent_history(f, x)
    fx, f_prev = obj.f(x), None
    h["evals"][0] = obj.evals
    for _ in range(steps):
        g = obj.grad(x)
        if not np.any(g):
            break
        alpha, _fc, _gc, f_new, _f_old, _slope = line_search(obj.f, obj.grad, x, -g, gfk=g, old_fval=fx,
                                                             old_old_fval=f_prev, c1=c1, c2=c2)
        if alpha is None:
            break
        x = x - alpha * g
        f_prev, fx = fx, (float(f_new) if f_new is not None else obj.f(x))
        h["f"].append(float(f(x)))
        h["evals"].append(obj.evals)
        h["alphas"].append(float(alpha))
    h["x"] = x
    return _finish(h)


def rosenbrock(x) -> float:
    """f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1)."""
    x = np.asarray(x, dtype=float)
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosenbrock_grad(x) -> np.ndarray:
    x0, x1 = float(x[0]), float(x[1])
    return np.array([-2 * (1 - x0) - 400 * x0 * (x1 - x0 ** 2), 200 * (x1 - x0 ** 2)])
