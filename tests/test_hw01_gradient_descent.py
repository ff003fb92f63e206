"""hw01: the reference scores full marks, classic mistakes lose exactly their exercise, gradients replayed in torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradeutil import assert_mutant_loses_only, grade_solution, reference_namespace
from test_hints import assert_no_hint, expect_hint

from course_lib.grading.homework import hw01_gradient_descent as H


@pytest.fixture(scope="module")
def ref():
    return reference_namespace("hw01")


def test_solution_full_marks():
    r = grade_solution("hw01")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


# --- classic mistakes, one exercise each -----------------------------------------------------------------

# Each mutant also gets the hint of the pattern its numbers show (tests/test_hints.py), or none: (pattern, words of
# the public hint) or None.
N_TIMES = ("factor", "is n, the number of examples (X.shape[0]), did you sum where the mean is asked?")


@pytest.mark.parametrize("body,hint", [
    ("return np.linalg.solve(X.T @ X + np.eye(X.shape[1]), X.T @ y)", None),         # a silent ridge term
    ("return (X.T @ y) / np.sum(X * X, axis=0)", None),                              # columns treated as orthogonal
    ("return np.linalg.solve(X.T @ X, X.T @ y / X.shape[0])",                        # the MSE's 1/n on one side only
     ("factor", "of the expected everywhere", "is n, the number of examples (X.shape[0]), did you divide by n twice?")),
])
def test_mutant_ols(body, hint):
    res = assert_mutant_loses_only("hw01", f"import numpy as np\ndef ols_closed_form(X, y):\n    {body}\n",
                                   {"ols_closed_form"})
    expect_hint(res, "ols_closed_form", hint)


@pytest.mark.parametrize("ret,hint,shown", [
    ("float(r @ r) / (2 * n), X.T @ r",                                # forgot 1/n in the gradient
     ("factor", "only grad differs (loss is right)"), "your grad is 3 × the expected everywhere: 3 is n, the number"),
    ("float(r @ r) / (2 * n), 2 * X.T @ r / n",                        # 2/n in the gradient, ½ in the loss
     ("factor", "only grad differs (loss is right)"), "your grad is 2 × the expected everywhere: a ½ forgotten?"),
    ("float(r @ r) / n, X.T @ r / n",                                  # no ½ in the loss
     ("factor", "only loss differs (grad is right)"), "your loss is 2 × the expected: a ½ forgotten?"),
])
def test_mutant_mse(ret, hint, shown):
    """(Where the gradient is two small integers, only a factor the exercise names is said: n, not 2.)"""
    res = assert_mutant_loses_only("hw01", f'''
import numpy as np
def mse_loss_grad(w, X, y):
    r = X @ w - y
    n = X.shape[0]
    return {ret}
''', {"mse_loss_grad"})
    expect_hint(res, "mse_loss_grad", hint)
    assert any(shown in c.message for e in res.exercises for c in e.cases), shown


@pytest.mark.parametrize("src", [
    '''
def logistic_loss_grad(beta, X, y):
    z = X @ beta
    p = 1 / (1 + np.exp(-z))                    # naive: log(0) for large |z|
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), X.T @ (p - y) / X.shape[0]
''', '''
def logistic_loss_grad(beta, X, y):
    z = X @ beta
    p = np.exp(-np.logaddexp(0.0, -z))
    return float(np.mean(np.logaddexp(0.0, z) - y * z)), X.T @ (y - p) / X.shape[0]   # sign flipped
''', '''
def logistic_loss_grad(beta, X, y):
    z = X @ beta
    p = np.exp(-np.logaddexp(0.0, -z))
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), X.T @ (p - y)                  # sums, not means
'''])
def test_mutant_logistic(src):
    res = assert_mutant_loses_only("hw01", "import numpy as np\n" + src, {"logistic_loss_grad"})
    hint = {"naive": ("nonfinite", "only loss differs (grad is right): your loss is nan where 233.333 is expected",
                      "the inputs reach |X| = 400): use a stable form"),
            "sign flipped": ("sign", "only grad differs (loss is right): your grad is the expected with the sign "
                                     "flipped everywhere"),
            "sums, not means": ("factor", "your loss and grad are each", N_TIMES[1])}
    expect_hint(res, "logistic_loss_grad", next(v for k, v in hint.items() if k in src))


@pytest.mark.parametrize("src", [
    '''
def gradient_descent(grad_fn, x0, lr, num_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(num_steps):
        x -= lr * grad_fn(x)                    # in place: every row is the same array
        path.append(x)
    return np.array(path)
''', '''
def gradient_descent(grad_fn, x0, lr, num_steps):
    x = np.array(x0, dtype=float)
    path = []
    for _ in range(num_steps):              # x0 left out
        x = x - lr * grad_fn(x)
        path.append(x)
    return np.array(path)
''', '''
def gradient_descent(grad_fn, x0, lr, num_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max(num_steps, 1)):       # always at least one step
        x = x - lr * grad_fn(x)
        path.append(x)
    return np.array(path)
'''])
def test_mutant_gd(src):
    res = assert_mutant_loses_only("hw01", "import numpy as np\n" + src, {"gradient_descent"})
    path = "row 0 is x0 and row k a copy of the iterate after k steps, num_steps + 1 rows"
    hint = {"in place": ("step", "only at the first step along axis 0", path),  # shows where only row 0 is wrong
            "x0 left out": ("step", "one entry too few along axis 0: it is the expected without its first one", path),
            "at least one step": ("step",)}  # only the hidden zero-step case
    expect_hint(res, "gradient_descent", next(v for k, v in hint.items() if k in src))


@pytest.mark.parametrize("body,hint", [
    ("return float(np.linalg.eigvalsh(X.T @ X)[-1])", ("factor",)),  # forgot 1/n (hidden cases: public are counts)
    ("return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[0])", None),  # smallest eigenvalue
    ("return float(np.trace(X.T @ X) / X.shape[0])", None),                # sum of the eigenvalues
])
def test_mutant_smoothness(body, hint):
    res = assert_mutant_loses_only("hw01", f"import numpy as np\ndef smoothness_constant(X):\n    {body}\n",
                                   {"smoothness_constant"})
    expect_hint(res, "smoothness_constant", hint)


def test_an_independent_correct_variant_gets_no_hint():
    """lstsq for the normal equations, einsum for the gradients, the singular values for the smoothness constant."""
    assert_no_hint(grade_solution("hw01", '''
import numpy as np
def ols_closed_form(X, y):
    return np.linalg.lstsq(X, y, rcond=None)[0]
def mse_loss_grad(w, X, y):
    r = np.einsum("nd,d->n", X, w) - y
    return float(np.mean(r ** 2) / 2), np.einsum("nd,n->d", X, r) / len(y)
def smoothness_constant(X):
    return float(np.linalg.svd(X, compute_uv=False)[0] ** 2 / X.shape[0])
'''))


# --- the maths, replayed independently ---------------------------------------------------------------------

def test_gradients_match_torch_autograd(ref):
    rng = np.random.default_rng(3)
    X, w = H.design(rng, 9, 4, scale=3.0), rng.normal(size=4)
    y_reg, y_cls = rng.normal(size=9), (rng.random(9) < 0.5).astype(float)
    Xt, yr, yc = (torch.tensor(a) for a in (X, y_reg, y_cls))
    wt = torch.tensor(w, requires_grad=True)
    mse = ((Xt @ wt - yr) ** 2).mean() / 2
    g_mse, = torch.autograd.grad(mse, wt)
    wt2 = torch.tensor(w, requires_grad=True)
    nll = torch.nn.functional.binary_cross_entropy_with_logits(Xt @ wt2, yc)
    g_nll, = torch.autograd.grad(nll, wt2)
    loss, grad = ref["mse_loss_grad"](w, X, y_reg)
    assert abs(loss - mse.item()) < 1e-12 and np.allclose(grad, g_mse.numpy(), rtol=1e-12, atol=1e-14)
    loss, grad = ref["logistic_loss_grad"](w, X, y_cls)
    assert abs(loss - nll.item()) < 1e-12 and np.allclose(grad, g_nll.numpy(), rtol=1e-12, atol=1e-14)


def test_smoothness_is_the_lipschitz_constant_of_the_gradient(ref):
    rng = np.random.default_rng(4)
    X = H.design(rng, 15, 3, scale=2.0)
    L = ref["smoothness_constant"](X)
    ratios = []
    for _ in range(200):
        u, v = rng.normal(size=3), rng.normal(size=3)
        gu, gv = ref["mse_loss_grad"](u, X, np.zeros(15))[1], ref["mse_loss_grad"](v, X, np.zeros(15))[1]
        ratios.append(np.linalg.norm(gu - gv) / np.linalg.norm(u - v))
    top = np.linalg.svd(X, compute_uv=False)[0] ** 2 / 15   # independent: the largest singular value squared
    assert max(ratios) <= L * (1 + 1e-12) and abs(L - top) < 1e-10 * top
