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
                                              "optimal_step_pair", "momentum_for_step", "polar_factor",
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

# The hint each mutant of exercises 5-7 gets (tests/test_hints.py); None: its numbers show no pattern.
_ONLY_STEPS = ("output", "only steps differs (O is right)")
HINT = {"pair-fixed": None, "pair-per-pair": None, "pair-ends": None, "mom-joint": None, "mom-small-end": None,
        "mom-beta-rate": None, "polar-quintic": ("output",), "polar-large-gram": _ONLY_STEPS,
        "polar-count": _ONLY_STEPS,
        "polar-transpose": ("transpose", "only O differs (steps is right): your O is the expected transposed "
                                         "(shape (2, 4) where (4, 2) is expected)")}


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


def test_mutant_optimal_step_pair_repeats_the_best_fixed_step():
    res = assert_mutant_loses_only("hw02", '''
def optimal_step_pair(lam_min, lam_max):
    a = 2.0 / (lam_min + lam_max)  # lecture 1's best fixed step, twice: no better than one step
    return a, a, (lam_max - lam_min) / (lam_max + lam_min)
''', {"optimal_step_pair"})
    expect_hint(res, "optimal_step_pair", HINT["pair-fixed"])


def test_mutant_optimal_step_pair_rate_per_pair():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def optimal_step_pair(lam_min, lam_max):
    c, d = (lam_min + lam_max) / 2, (lam_max - lam_min) / 2
    return 1 / (c + d / np.sqrt(2)), 1 / (c - d / np.sqrt(2)), d * d / (2 * c * c - d * d)  # per pair, not per step
''', {"optimal_step_pair"})
    expect_hint(res, "optimal_step_pair", HINT["pair-per-pair"])


def test_mutant_optimal_step_pair_roots_at_the_ends():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def optimal_step_pair(lam_min, lam_max):
    # p vanishes at both ends of the interval: the middle is left worst
    mid = (lam_min + lam_max) / 2
    return 1 / lam_max, 1 / lam_min, float(np.sqrt((1 - mid / lam_max) * (mid / lam_min - 1)))
''', {"optimal_step_pair"})
    expect_hint(res, "optimal_step_pair", HINT["pair-ends"])


def test_mutant_momentum_for_step_ignores_the_step():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def momentum_for_step(alpha, lam_min, lam_max):
    k = np.sqrt(lam_max / lam_min)
    r = (k - 1) / (k + 1)  # lecture 2's beta for its own optimal step, whatever alpha is
    return r * r, r
''', {"momentum_for_step"})
    expect_hint(res, "momentum_for_step", HINT["mom-joint"])


def test_mutant_momentum_for_step_small_end_only():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def momentum_for_step(alpha, lam_min, lam_max):
    r = 1 - np.sqrt(alpha * lam_min)  # the interval reaches down to alpha*lam_min, but not always up to alpha*lam_max
    return r * r, r
''', {"momentum_for_step"})
    expect_hint(res, "momentum_for_step", HINT["mom-small-end"])


def test_mutant_momentum_for_step_beta_is_the_rate():
    res = assert_mutant_loses_only("hw02", '''
import numpy as np
def momentum_for_step(alpha, lam_min, lam_max):
    r = max(1 - np.sqrt(alpha * lam_min), np.sqrt(alpha * lam_max) - 1)
    return r, r  # the rate is sqrt(beta): beta itself is r squared
''', {"momentum_for_step"})
    expect_hint(res, "momentum_for_step", HINT["mom-beta-rate"])


_POLAR = '''
import numpy as np
def polar_factor(G, tol=1e-10, max_steps=50):
    X = np.array(G, dtype=float)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    X = X / np.linalg.norm(X)
    steps = 0
    while steps < max_steps:
        {test}
        X = {update}
        steps += 1
    return {back}, {count}
'''
_TEST = "if np.linalg.norm(X @ X.T - np.eye(X.shape[0])) <= tol: break"
_CUBIC = "1.5 * X - 0.5 * X @ X.T @ X"


def _polar(test=_TEST, update=_CUBIC, back="(X.T if tall else X)", count="steps"):
    return _POLAR.format(test=test, update=update, back=back, count=count)


def test_polar_mutant_template_is_right():
    assert_mutant_loses_only("hw02", _polar(), set())


def test_mutant_polar_factor_muon_quintic():
    res = assert_mutant_loses_only("hw02", _polar(
        update="3.4445 * X + (-4.7750 * (X @ X.T) + 2.0315 * (X @ X.T) @ (X @ X.T)) @ X  # Muon's coefficients"),
        {"polar_factor"})
    expect_hint(res, "polar_factor", HINT["polar-quintic"])


def test_mutant_polar_factor_residual_on_the_large_gram():
    res = assert_mutant_loses_only("hw02", _polar(
        test="if np.linalg.norm(X.T @ X - np.eye(X.shape[1])) <= tol: break  # rank-deficient: never passes"),
        {"polar_factor"})
    expect_hint(res, "polar_factor", HINT["polar-large-gram"])


def test_mutant_polar_factor_counts_the_tests():
    res = assert_mutant_loses_only("hw02", _polar(count="steps + 1  # the tests, not the steps"), {"polar_factor"})
    expect_hint(res, "polar_factor", HINT["polar-count"])


def test_mutant_polar_factor_forgets_to_transpose_back():
    res = assert_mutant_loses_only("hw02", _polar(back="X"), {"polar_factor"})
    expect_hint(res, "polar_factor", HINT["polar-transpose"])


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


@pytest.mark.parametrize("shape", [(6, 4), (3, 7), (5, 5), (10, 1)])
def test_polar_factor_is_the_svd_polar_factor(shape):
    G = np.random.default_rng(1).normal(size=shape) * 3
    O, steps = ref()["polar_factor"](G, tol=1e-12)
    assert O.shape == G.shape and 0 <= steps < 50
    U, _, Vt = torch.linalg.svd(torch.tensor(G, dtype=torch.float64), full_matrices=False)
    np.testing.assert_allclose(O, (U @ Vt).numpy(), atol=1e-10)


def test_polar_factor_cubic_fixes_one_and_is_flat_there():
    # the derived cubic: p(1) = 1, p'(1) = 0, so the distance to 1 is about squared per step
    p = lambda s: 1.5 * s - 0.5 * s ** 3  # noqa: E731
    assert p(1.0) == 1.0 and (p(1 + 1e-6) - p(1 - 1e-6)) / 2e-6 == pytest.approx(0.0, abs=1e-9)
    G = np.diag([1.0, 0.5, 0.2])
    O, steps = ref()["polar_factor"](G)
    np.testing.assert_allclose(O, np.eye(3), atol=1e-10)
    s = np.array([1.0, 0.5, 0.2]) / np.linalg.norm([1.0, 0.5, 0.2])
    k = 0
    while np.linalg.norm(s * s - 1) > 1e-10:
        s, k = p(s), k + 1
    assert steps == k


def test_polar_factor_step_counts_are_not_borderline():
    """Every case's residuals stay far from tol (a factor 1.2 or more), so equivalent arithmetic counts alike."""
    from autograder.hidden.hw02_optimizers import HIDDEN
    hw = load_homework("hw02")
    ex = next(e for e in hw.exercises if e.name == "polar_factor")
    for seed in range(20):
        for c in list(ex.public) + HIDDEN["polar_factor"](np.random.default_rng(seed)):
            G = np.array(c.args[0], dtype=float)
            tol = c.kwargs.get("tol", 1e-10)
            X = G.T if G.shape[0] > G.shape[1] else G
            X = X / np.linalg.norm(X)
            for _ in range(c.kwargs.get("max_steps", 50) + 1):
                r = np.linalg.norm(X @ X.T - np.eye(len(X)))
                assert not tol / 1.2 < r < tol * 1.2, (seed, G.shape, r, tol)
                X = 1.5 * X - 0.5 * X @ X.T @ X


def test_optimal_step_pair_beats_every_pair_on_a_grid():
    lo, hi = 0.02, 1.5
    a1, a2, r = ref()["optimal_step_pair"](lo, hi)
    lam = np.linspace(lo, hi, 4001)
    assert a1 <= a2 and a2 > 2 / hi  # the long step alone diverges (kappa > 1 + sqrt 2)
    assert np.sqrt(np.abs((1 - a1 * lam) * (1 - a2 * lam)).max()) == pytest.approx(r, rel=1e-9)
    grid = np.geomspace(0.3 / hi, 3 / lo, 500)
    P = np.abs((1 - grid[:, None, None] * lam[None, None, ::20]) * (1 - grid[None, :, None] * lam[None, None, ::20]))
    assert np.sqrt(P.max(axis=2).min()) >= r - 1e-9
    assert r < (hi - lo) / (hi + lo)  # better than lecture 1's best fixed step


@pytest.mark.parametrize("alpha_lmax", [0.3, 1.0, 2.2, 3.5])
def test_momentum_for_step_is_the_best_beta(alpha_lmax):
    from course_lib.optim import momentum_rate
    lo, hi = 0.05, 1.0
    alpha = alpha_lmax / hi
    beta, r = ref()["momentum_for_step"](alpha, lo, hi)
    assert r == pytest.approx(np.sqrt(beta))
    assert momentum_rate(alpha, beta, np.linspace(lo, hi, 200)) == pytest.approx(r, abs=1e-6)
    betas = np.linspace(0, 0.999, 3000)
    assert min(momentum_rate(alpha, b, [lo, hi]) for b in betas) >= r - 1e-6


def test_momentum_for_step_at_the_joint_optimum_is_lecture_2s_beta():
    from course_lib.optim import momentum_optimal
    a, b, r = momentum_optimal(0.01, 1.0)
    assert ref()["momentum_for_step"](a, 0.01, 1.0) == pytest.approx((b, r), rel=1e-9)
