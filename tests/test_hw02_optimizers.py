"""hw02: reference scores full marks, classic mistakes lose exactly their exercise, torch replays agree."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
import torch
from gradeutil import assert_mutant_loses_only, grade_solution
from test_hints import assert_no_hint, expect_hint

from autograder.paths import solution_notebook
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import extract_file
from course_lib.grading.run import define


@lru_cache(maxsize=1)
def ref():
    """The reference solution's definitions (trusted, in-process)."""
    ns, errors = define(extract_file(solution_notebook("hw02_optimizers")).chunks)
    assert not errors, errors
    return ns


def test_spec_names_match_design():
    hw = load_homework("hw02")
    assert [e.name for e in hw.exercises] == ["momentum_step", "adagrad_step", "rmsprop_step", "adam_step",
                                              "optimal_gd_step", "optimal_momentum", "newton_schulz",
                                              "backtracking_line_search"]


def test_solution_full_marks():
    r = grade_solution("hw02")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]
    assert all(len(e.cases) >= 4 for e in r.exercises)  # public + hidden


# ---------------------------------------------------------------- classic mistakes, one exercise each

_LS = '''
import numpy as np
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    fx, g = f(x), grad(x)
    alpha = {start}
    for _ in range(max_steps):
        if {condition}:
            return alpha
        alpha *= rho
    return alpha
'''
_ARMIJO = "f(x + alpha * d) <= fx + c * alpha * float(g @ d)"


# The hint each mutant's numbers show (tests/test_hints.py): the step is off by a power of rho. Where it is rho² (the
# first public case of two of them) no quantity names the factor, and only the hidden cases say "a constant factor".
LS_HINTS = {"grad-norm-for-slope": ("factor",), "shrinks-first": ("factor", "1/2 of the expected: 0.5 is rho"),
            "plain-decrease": ("factor",), "sign-flipped": ("factor", "10/3 × the expected: 0.3 is rho")}


@pytest.mark.parametrize("start,condition", [
    ("alpha0", "f(x + alpha * d) <= fx - c * alpha * float(g @ g)"),  # assumes d = −∇f: ‖∇f‖² for −∇fᵀd
    ("alpha0 * rho", _ARMIJO),  # shrinks before trying the first step
    ("alpha0", "f(x + alpha * d) < fx"),  # plain decrease: no sufficient-decrease term
    ("alpha0", "f(x + alpha * d) <= fx - c * alpha * float(g @ d)"),  # the tilt's sign flipped
], ids=["grad-norm-for-slope", "shrinks-first", "plain-decrease", "sign-flipped"])
def test_mutant_backtracking_line_search(start, condition, request):
    res = assert_mutant_loses_only("hw02", _LS.format(start=start, condition=condition), {"backtracking_line_search"})
    expect_hint(res, "backtracking_line_search", LS_HINTS[request.node.callspec.id])


def test_an_independent_correct_variant_gets_no_hint():
    """Optimizer steps written in other, equivalent forms."""
    assert_no_hint(grade_solution("hw02", '''
import numpy as np
def momentum_step(w, g, v, lr, mu):
    v = np.multiply(mu, v) - np.multiply(lr, g)
    return np.add(w, v), v
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = m + (1 - beta1) * (g - m)
    v = v + (1 - beta2) * (g * g - v)
    step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return w - step, m, v
'''))


def test_line_search_mutant_template_is_the_reference_when_right():
    """The template above with the right start and condition scores full marks (so the mutants test one change)."""
    res = grade_solution("hw02", _LS.format(start="alpha0", condition=_ARMIJO))
    assert res.total == res.max_total


def test_backtracking_line_search_satisfies_armijo_and_is_maximal():
    """The reference's step satisfies the condition and the step before it (α/ρ) does not: replayed here."""
    from course_lib.grading.homework.hw02_optimizers import objective

    f, grad = objective("rosenbrock")
    x = np.array([-1.2, 1.0])
    d = -grad(x)
    a = ref()["backtracking_line_search"](f, grad, x, d, 1.0, 0.5, 1e-4)
    assert f(x + a * d) <= f(x) + 1e-4 * a * grad(x) @ d
    assert f(x + 2 * a * d) > f(x) + 1e-4 * 2 * a * grad(x) @ d
    # torch autograd agrees with the objective's hand-written gradient used by the driver (float64)
    xt = torch.tensor(x, requires_grad=True)
    (100 * (xt[1:] - xt[:-1] ** 2) ** 2 + (1 - xt[:-1]) ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), grad(x), rtol=1e-12)

def test_mutant_adam_without_bias_correction():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v
''', {"adam_step"})
    expect_hint(res, "adam_step", ("output", "only w differs (m and v are right)"))


def test_mutant_adam_eps_inside_sqrt_as_on_the_slide():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), m, v
''', {"adam_step"})
    expect_hint(res, "adam_step", ("output", "only w differs (m and v are right)"))


def test_mutant_adam_counts_from_zero():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
''', {"adam_step"})
    expect_hint(res, "adam_step", ("output", "only w differs (m and v are right)"))


def test_mutant_adagrad_eps_inside_sqrt():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def adagrad_step(w, g, s, lr, eps):
    s = s + g * g
    return w - lr * g / np.sqrt(s + eps), s
''', {"adagrad_step"})
    expect_hint(res, "adagrad_step", ("output", "only w differs (s is right)"))


def test_mutant_adagrad_uses_old_sum():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def adagrad_step(w, g, s, lr, eps):
    w = w - lr * g / (np.sqrt(s) + eps)
    return w, s + g * g
''', {"adagrad_step"})
    expect_hint(res, "adagrad_step", ("output", "only w differs (s is right)"))


def test_mutant_rmsprop_swapped_decay():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def rmsprop_step(w, g, s, lr, rho, eps):
    s = (1 - rho) * s + rho * g * g
    return w - lr * g / (np.sqrt(s) + eps), s
''', {"rmsprop_step"})
    expect_hint(res, "rmsprop_step", None)


def test_mutant_momentum_buffer_form_mixed_with_velocity_form():
    res = assert_mutant_loses_only("hw02", '''
def momentum_step(w, g, v, lr, mu):
    v = mu * v + g          # torch's buffer, but the homework's state is the velocity V
    return w - lr * v, v
''', {"momentum_step"})
    expect_hint(res, "momentum_step", ("factor", "only v differs (w is right): your v is −10 × the expected "
                                                 "everywhere (and the sign flipped): 0.1 is lr"))


def test_mutant_optimal_gd_step_one_over_L():
    res = assert_mutant_loses_only("hw02", '''
def optimal_gd_step(lam_min, lam_max):
    return 1.0 / lam_max, 1.0 - lam_min / lam_max
''', {"optimal_gd_step"})
    expect_hint(res, "optimal_gd_step", None)


def test_mutant_optimal_momentum_rate_is_beta():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def optimal_momentum(lam_min, lam_max):
    k = np.sqrt(lam_max / lam_min)
    beta = ((k - 1) / (k + 1)) ** 2
    return (2 / (np.sqrt(lam_min) + np.sqrt(lam_max))) ** 2, beta, beta
''', {"optimal_momentum"})
    expect_hint(res, "optimal_momentum", None)


def test_mutant_newton_schulz_forgets_to_transpose_back():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def newton_schulz(G, steps=5):
    a, b, c = 3.4445, -4.7750, 2.0315
    X = np.array(G, dtype=float)
    if X.shape[0] > X.shape[1]:
        X = X.T
    X = X / (np.linalg.norm(X) + 1e-7)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X
''', {"newton_schulz"})
    expect_hint(res, "newton_schulz", ("transpose", "the expected transposed (shape (2, 4) where (4, 2) is expected)"))


def test_mutant_newton_schulz_cubic_iteration():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def newton_schulz(G, steps=5):
    X = np.array(G, dtype=float)
    X = X / (np.linalg.norm(X) + 1e-7)
    for _ in range(steps):
        X = 1.5 * X - 0.5 * X @ X.T @ X
    return X
''', {"newton_schulz"})
    expect_hint(res, "newton_schulz", None)


def test_mutant_newton_schulz_spectral_normalisation():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def newton_schulz(G, steps=5):
    a, b, c = 3.4445, -4.7750, 2.0315
    X = np.array(G, dtype=float)
    X = X / (np.linalg.norm(X, 2) + 1e-7)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X
''', {"newton_schulz"})
    expect_hint(res, "newton_schulz", None)


# ---------------------------------------------------------------- float64 replays against torch.optim

def _replay(make_torch, step, state, steps=30, seed=0, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    target = rng.normal(size=shape)
    grad = lambda w: (w - target) + 0.5 * np.sin(3 * w)  # noqa: E731
    p = torch.nn.Parameter(torch.tensor(w.copy(), dtype=torch.float64))
    opt = make_torch([p])
    worst = 0.0
    for t in range(1, steps + 1):
        g = grad(w)
        p.grad = torch.tensor(g.copy(), dtype=torch.float64)
        opt.step()
        w, *state = step(w, g, *state, t)
        worst = max(worst, float(np.abs(w - p.detach().numpy()).max()))
    return worst


@pytest.mark.parametrize("lr,mu", [(0.1, 0.9), (0.01, 0.0), (0.3, 0.5)])
def test_momentum_step_matches_torch_sgd(lr, mu):
    z = np.zeros((4, 3))
    err = _replay(lambda p: torch.optim.SGD(p, lr=lr, momentum=mu),
                  lambda w, g, v, t: ref()["momentum_step"](w, g, v, lr, mu), [z])
    assert err < 1e-12


@pytest.mark.parametrize("lr,eps", [(0.1, 1e-10), (1.0, 1e-2)])
def test_adagrad_step_matches_torch(lr, eps):
    z = np.zeros((4, 3))
    err = _replay(lambda p: torch.optim.Adagrad(p, lr=lr, eps=eps),
                  lambda w, g, s, t: ref()["adagrad_step"](w, g, s, lr, eps), [z])
    assert err < 1e-12


@pytest.mark.parametrize("lr,rho,eps", [(0.01, 0.99, 1e-8), (0.1, 0.5, 1e-2)])
def test_rmsprop_step_matches_torch(lr, rho, eps):
    z = np.zeros((4, 3))
    err = _replay(lambda p: torch.optim.RMSprop(p, lr=lr, alpha=rho, eps=eps),
                  lambda w, g, s, t: ref()["rmsprop_step"](w, g, s, lr, rho, eps), [z])
    assert err < 1e-12


@pytest.mark.parametrize("lr,b1,b2,eps", [(1e-3, 0.9, 0.999, 1e-8), (0.1, 0.8, 0.99, 1e-2),
                                         (0.05, 0.0, 0.9, 1e-8)])
def test_adam_step_matches_torch(lr, b1, b2, eps):
    z = np.zeros((4, 3))
    err = _replay(lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps),
                  lambda w, g, m, v, t: ref()["adam_step"](w, g, m, v, t, lr, b1, b2, eps), [z, z])
    assert err < 1e-12


def _ns64(G, steps=5):
    """torch.optim.Muon's Newton–Schulz, in float64 instead of bfloat16."""
    from torch.optim._muon import DEFAULT_A, DEFAULT_B, DEFAULT_C, EPS

    X = torch.tensor(G, dtype=torch.float64)
    tall = X.size(0) > X.size(1)
    if tall:
        X = X.T
    X = X / X.norm().clamp(min=EPS)
    for _ in range(steps):
        A = X @ X.T
        X = DEFAULT_A * X + (DEFAULT_B * A + DEFAULT_C * A @ A) @ X
    return (X.T if tall else X).numpy()


@pytest.mark.parametrize("shape,steps", [((6, 4), 5), ((3, 7), 5), ((5, 5), 2), ((10, 1), 5)])
def test_newton_schulz_matches_torch_float64_and_bfloat16(shape, steps):
    G = np.random.default_rng(1).normal(size=shape) * 3
    O = ref()["newton_schulz"](G, steps=steps)
    assert O.shape == G.shape
    np.testing.assert_allclose(O, _ns64(G, steps), rtol=1e-6, atol=1e-6)  # eps 1e-7 added vs clamped
    from torch.optim._muon import DEFAULT_A, DEFAULT_B, DEFAULT_C, _zeropower_via_newtonschulz
    bf = _zeropower_via_newtonschulz(torch.tensor(G), (DEFAULT_A, DEFAULT_B, DEFAULT_C), steps, 1e-7)
    assert np.abs(bf.double().numpy() - O).max() < 0.05  # torch runs it in bfloat16 (8-bit mantissa)


def test_newton_schulz_pushes_singular_values_towards_one():
    rng = np.random.default_rng(2)
    G = rng.normal(size=(32, 16)) @ np.diag(np.geomspace(1, 1e-2, 16))
    s = np.linalg.svd(ref()["newton_schulz"](G), compute_uv=False)
    assert s.min() > 0.6 and s.max() < 1.25
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    O = ref()["newton_schulz"](G)
    cos = np.sum(O * (U @ Vt)) / np.linalg.norm(O) / np.linalg.norm(U @ Vt)
    assert cos > 0.98


def test_optimal_parameters_are_optimal():
    lo, hi = 0.02, 1.5
    a, r = ref()["optimal_gd_step"](lo, hi)
    alphas = np.linspace(0.01, 2.5 / hi, 2001)
    rates = np.maximum(np.abs(1 - alphas * lo), np.abs(1 - alphas * hi))
    assert abs(r - rates.min()) < 1e-5 and abs(a - alphas[rates.argmin()]) < 2e-3
    a, b, r = ref()["optimal_momentum"](lo, hi)
    for lam in (lo, hi, np.sqrt(lo * hi)):
        R = np.array([[b, lam], [-a * b, 1 - a * lam]])
        assert np.max(np.abs(np.linalg.eigvals(R))) == pytest.approx(r, rel=1e-6)
    assert r == pytest.approx(np.sqrt(b))
