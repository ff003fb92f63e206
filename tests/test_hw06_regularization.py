"""hw06: the reference scores full marks, classic mistakes lose exactly their exercise, maths cross-checked."""

from __future__ import annotations

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, grade_solution, reference_namespace
from test_hints import assert_no_hint, case_hints, expect_hint

from autograder.paths import solution_notebook
from course_lib.grading.hints import HIDDEN_PHRASES
from course_lib.grading.homework import hw06_regularization as H
from course_lib.grading.notebook import compile_chunk, extract_file
from course_lib.grading.run import Namespace


@pytest.fixture(scope="module")
def ref():
    return reference_namespace("hw06")


def test_solution_full_marks():
    r = grade_solution("hw06")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


# --- classic mistakes ----------------------------------------------------------------------------------------

# Each mutant also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint); dropout
# forward and the folds are judged by properties (no expected values), so they never get one.
UNSCALED = ("factor", "is the inverted-dropout scale 1/(1 − p), did you forget to scale the kept units by 1/(1 − p)")
DIVERGES = ("nonfinite", "NaN or infinite at all 5 entries", "an overflow (values growing without bound) or a "
                                                              "division by zero?")
WRONG_W = ("output", "only w differs (b is right)")  # a 1-sweep case: the b-step comes first and is right
LASSO_NO_B = ("output", "only b differs (w is right)")  # the case with every weight 0


def expect_hints_among(res, exercise, *allowed):
    """Like expect_hint, for a mutant whose cases show different patterns: every hint is one of `allowed` (hidden
    ones the pattern's fixed phrase, public ones holding its texts), and each allowed pattern occurs."""
    found = case_hints(res, exercise)
    seen = set()
    for hidden, text in found:
        ok = [pat for pat, *texts in allowed
              if (text == f"hint: {HIDDEN_PHRASES[pat]}" if hidden else all(t in text for t in texts))]
        assert ok, (text, allowed)
        seen.update(ok)
    assert seen == {pat for pat, *_ in allowed}, (seen, found)


def test_an_independent_correct_variant_gets_no_hint():
    """Ridge with an intercept by an augmented least-squares problem (a column of ones, no penalty row for it), soft
    thresholding by clipping."""
    assert_no_hint(grade_solution("hw06", '''
import numpy as np
def ridge_with_intercept(X, y, lam):
    n, d = X.shape
    A = np.vstack([np.hstack([X, np.ones((n, 1))]), np.hstack([np.sqrt(n * lam) * np.eye(d), np.zeros((d, 1))])])
    sol = np.linalg.lstsq(A, np.concatenate([y, np.zeros(d)]), rcond=None)[0]
    return sol[:d], sol[d]
def soft_threshold(x, lam):
    return x - np.clip(x, -lam, lam)
'''))


def test_mutant_dropout_without_rescaling():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(float)
    return x * mask, mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


def test_mutant_dropout_keeps_with_probability_p():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    mask = (rng.random(x.shape) < p).astype(float)      # p read as the keep probability
    return x * mask / (1 - p), mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


def test_mutant_dropout_also_in_eval():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    mask = (rng.random(x.shape) >= p).astype(float)
    return x * mask / (1 - p), mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


def test_mutant_dropout_original_test_time_scaling():
    # the 2014 paper's convention: no scaling in training, multiply by (1 − p) at test time
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x * (1 - p), None
    mask = (rng.random(x.shape) >= p).astype(float)
    return x * mask, mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


def test_mutant_dropout_one_mask_per_feature():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    mask = np.broadcast_to((rng.random(x.shape[-1]) >= p).astype(float), x.shape).copy()
    return x * mask / (1 - p), mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


def test_mutant_dropout_global_rng():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    mask = (np.random.rand(*x.shape) >= p).astype(float)
    return x * mask / (1 - p), mask
''', {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)


# Fixed draws (the attack): right shapes, scale and keep fraction, reproducible from the seed, but the same
# mask or split whatever the generator's state; only the randomness check (other states, other draws) sees it.
FIXED_MASK = '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train:
        return x, None
    mask = (np.random.default_rng(0).random(x.shape) >= p).astype(float)   # not rng: one mask for ever
    return x * mask / (1 - p), mask
'''

UNSHUFFLED_FOLDS = '''
import numpy as np
def k_fold_indices(n, k, rng):
    folds = [np.arange(j, n, k) for j in range(k)]   # every k-th index: balanced, but never shuffled
    return [(np.setdiff1d(np.arange(n), v), v) for v in folds]
'''

FIXED_PERMUTATION_FOLDS = '''
import numpy as np
def k_fold_indices(n, k, rng):
    order = np.random.default_rng(42).permutation(n)   # shuffled once, the same way for every rng
    return [(np.setdiff1d(order, v), v) for v in np.array_split(order, k)]
'''


def test_mutant_dropout_fixed_mask():
    res = assert_mutant_loses_only("hw06", FIXED_MASK, {"dropout_forward"})
    expect_hint(res, "dropout_forward", None)
    msgs = [c.message for e in res.exercises if e.name == "dropout_forward" for c in e.cases if not c.ok]
    assert msgs and any("generators in other states gave the same mask" in m for m in msgs), msgs


@pytest.mark.parametrize("src", [UNSHUFFLED_FOLDS, FIXED_PERMUTATION_FOLDS], ids=["strided", "fixed-permutation"])
def test_mutant_k_fold_not_shuffled_by_rng(src):
    res = assert_mutant_loses_only("hw06", src, {"k_fold_indices"})
    expect_hint(res, "k_fold_indices", None)
    e = next(e for e in res.exercises if e.name == "k_fold_indices")
    assert e.points == 0, [c.message for c in e.cases]


def test_independent_correct_random_draws_get_full_marks():
    """A mask by comparing with uniforms the other way round, and folds by random labels (each fold sorted)."""
    r = grade_solution("hw06", '''
import numpy as np
def dropout_forward(x, p, train, rng):
    if not train or p == 0:
        return x, (None if not train else np.ones_like(x))
    mask = (rng.random(x.shape) < 1 - p).astype(float)
    return np.where(mask == 1, x / (1 - p), 0.0), mask
def k_fold_indices(n, k, rng):
    labels = rng.permutation(np.arange(n) % k)
    folds = [np.flatnonzero(labels == j) for j in range(k)]
    folds.sort(key=len, reverse=True)
    return [(np.flatnonzero(labels != labels[v[0]]), v) for v in folds]
''')
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_mutant_dropout_backward_unscaled():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def dropout_backward(dout, mask, p):
    return dout * mask
''', {"dropout_backward"})
    expect_hint(res, "dropout_backward", UNSCALED)


def test_mutant_ridge_without_n():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def ridge_with_intercept(X, y, lam):
    xm, ym = X.mean(axis=0), y.mean()
    Xc = X - xm
    w = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ (y - ym))
    return w, ym - xm @ w
''', {"ridge_with_intercept"})
    expect_hint(res, "ridge_with_intercept", None)


def test_mutant_ridge_penalizes_the_intercept():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def ridge_with_intercept(X, y, lam):
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])                  # b as one more weight: penalized like the others
    sol = np.linalg.solve(A.T @ A + n * lam * np.eye(d + 1), A.T @ y)
    return sol[:d], sol[d]
''', {"ridge_with_intercept"})
    expect_hint(res, "ridge_with_intercept", None)


def test_mutant_ridge_intercept_is_the_mean_target():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def ridge_with_intercept(X, y, lam):
    n, d = X.shape
    xm, ym = X.mean(axis=0), y.mean()
    Xc = X - xm
    w = np.linalg.solve(Xc.T @ Xc + n * lam * np.eye(d), Xc.T @ (y - ym))
    return w, ym                                         # as if x̄ were 0
''', {"ridge_with_intercept"})
    expect_hint(res, "ridge_with_intercept", ("output", "only b differs (w is right)"))


def test_mutant_ridge_centres_y_only():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def ridge_with_intercept(X, y, lam):
    n, d = X.shape
    ym = y.mean()
    w = np.linalg.solve(X.T @ X + n * lam * np.eye(d), X.T @ (y - ym))
    return w, ym - X.mean(axis=0) @ w
''', {"ridge_with_intercept"})
    expect_hint(res, "ridge_with_intercept", None)


def test_mutant_soft_threshold_one_sided():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def soft_threshold(x, lam):
    return np.maximum(np.asarray(x, dtype=float) - lam, 0.0)
''', {"soft_threshold"})
    expect_hint(res, "soft_threshold", None)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_mutant_lasso_assumes_unit_columns():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def lasso_cd_with_intercept(X, y, lam, num_sweeps):
    n, d = X.shape
    w = np.zeros(d); b = 0.0; r = y.copy()
    for _ in range(num_sweeps):
        m = r.mean(); b += m; r -= m
        for j in range(d):
            rho = X[:, j] @ r / n + w[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0.0)   # forgot to divide by z_j = ||x_j||²/n
            r -= X[:, j] * (new - w[j]); w[j] = new
    return w, b
''', {"lasso_cd_with_intercept"})
    expect_hints_among(res, "lasso_cd_with_intercept", WRONG_W, DIVERGES)


def test_mutant_lasso_jacobi_updates():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def lasso_cd_with_intercept(X, y, lam, num_sweeps):
    n, d = X.shape
    w = np.zeros(d); b = 0.0; z = np.sum(X * X, axis=0) / n
    for _ in range(num_sweeps):
        b = np.mean(y - X @ w)
        r = y - X @ w - b                                    # residual frozen for the rest of the sweep
        rho = X.T @ r / n + z * w
        w = np.sign(rho) * np.maximum(np.abs(rho) - lam, 0.0) / z
    return w, b
''', {"lasso_cd_with_intercept"})
    expect_hints_among(res, "lasso_cd_with_intercept", WRONG_W, ("nonfinite",))


def test_mutant_lasso_residual_includes_own_feature():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def lasso_cd_with_intercept(X, y, lam, num_sweeps):
    n, d = X.shape
    w = np.zeros(d); b = 0.0; z = np.sum(X * X, axis=0) / n
    for _ in range(num_sweeps):
        b = np.mean(y - X @ w)
        for j in range(d):
            rho = X[:, j] @ (y - X @ w - b) / n              # forgot to add back x_j w_j
            w[j] = np.sign(rho) * max(abs(rho) - lam, 0.0) / z[j]
    return w, b
''', {"lasso_cd_with_intercept"})
    expect_hint(res, "lasso_cd_with_intercept", ("nonfinite",))


def test_mutant_lasso_intercept_never_updated():
    """The lecture's lasso without intercept: right on centred data only."""
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def lasso_cd_with_intercept(X, y, lam, num_sweeps):
    n, d = X.shape
    w = np.zeros(d); r = y.copy(); z = np.sum(X * X, axis=0) / n
    for _ in range(num_sweeps):
        for j in range(d):
            if z[j] == 0:
                continue
            rho = X[:, j] @ r / n + z[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / z[j]
            r -= X[:, j] * (new - w[j]); w[j] = new
    return w, 0.0
''', {"lasso_cd_with_intercept"})
    expect_hint(res, "lasso_cd_with_intercept", LASSO_NO_B)


def test_mutant_lasso_intercept_set_once_to_the_mean():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def lasso_cd_with_intercept(X, y, lam, num_sweeps):
    n, d = X.shape
    b = y.mean()                                         # fixed before the sweeps, never re-estimated
    w = np.zeros(d); r = y - b; z = np.sum(X * X, axis=0) / n
    for _ in range(num_sweeps):
        for j in range(d):
            if z[j] == 0:
                continue
            rho = X[:, j] @ r / n + z[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / z[j]
            r -= X[:, j] * (new - w[j]); w[j] = new
    return w, b
''', {"lasso_cd_with_intercept"})
    expect_hint(res, "lasso_cd_with_intercept", None)


def test_mutant_early_stopping_argmin():
    res = assert_mutant_loses_only("hw06", '''
import numpy as np
def early_stopping_epoch(val_losses, patience):
    return int(np.argmin(val_losses))
''', {"early_stopping_epoch"})
    expect_hint(res, "early_stopping_epoch", None)


def test_mutant_early_stopping_off_by_one():
    res = assert_mutant_loses_only("hw06", '''
def early_stopping_epoch(val_losses, patience):
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait > patience:
                break
    return best_epoch
''', {"early_stopping_epoch"})
    expect_hint(res, "early_stopping_epoch", None)


# --- the property check itself ------------------------------------------------------------------------------

def test_dropout_check_passes_reference_over_many_seeds(ref):
    ns = Namespace(ref)
    x = np.random.default_rng(0).normal(size=(100, 500))
    for seed in range(30):
        for p in (0.0, 0.1, 0.5, 0.9):
            for train in (True, False):
                args = [x, p, train, seed]
                v = H.dropout_props(args, {}, None, H.dropout_draw(ns, *args), 0, 0)
                assert v.ok, v.message


def test_dropout_check_explains_scaling(ref):
    ns = Namespace(dict(ref, dropout_forward=lambda x, p, t, rng: (x * (rng.random(x.shape) >= p), (rng.random(
        x.shape) >= p).astype(float)) if t else (x, None)))
    x = np.ones((50, 40))
    v = H.dropout_props([x, 0.5, True, 1], {}, None, H.dropout_draw(ns, x, 0.5, True, 1), 0, 0)
    assert not v.ok


# --- maths cross-checks ---------------------------------------------------------------------------------------

def test_ridge_and_lasso_match_sklearn_scaling(ref):
    from sklearn.linear_model import Lasso, Ridge

    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 6)) * rng.uniform(0.5, 2, size=6) + rng.normal(size=6) * 3
    y = X @ np.array([2.0, 0, -1.0, 0, 0.5, 0]) + 4.0 + 0.2 * rng.normal(size=50)
    for lam in (0.01, 0.1, 0.5):
        w_r, b_r = ref["ridge_with_intercept"](X, y, lam)
        sk = Ridge(alpha=50 * lam, fit_intercept=True).fit(X, y)
        assert np.allclose(w_r, sk.coef_, atol=1e-9) and abs(b_r - sk.intercept_) < 1e-8
        w_l, b_l = ref["lasso_cd_with_intercept"](X, y, lam, 5000)
        sk = Lasso(alpha=lam, fit_intercept=True, tol=1e-14, max_iter=100_000).fit(X, y)
        assert np.allclose(w_l, sk.coef_, atol=1e-7) and abs(b_l - sk.intercept_) < 1e-6


def test_shifting_the_targets_moves_only_the_intercept(ref):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 4)) + 2.0
    y = X @ np.array([1.0, 0.0, -2.0, 0.5]) + rng.normal(size=30)
    for fit in (lambda y: ref["ridge_with_intercept"](X, y, 0.3),
                lambda y: ref["lasso_cd_with_intercept"](X, y, 0.1, 3000)):
        (w, b), (w2, b2) = fit(y), fit(y + 100.0)
        assert np.allclose(w, w2, atol=1e-8) and abs(b2 - b - 100.0) < 1e-7


def test_lasso_solution_satisfies_kkt(ref):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 8)) + 1.5
    y = rng.normal(size=40) + 3.0
    lam = 0.1
    w, b = ref["lasso_cd_with_intercept"](X, y, lam, 3000)
    r = X @ w + b - y
    assert abs(r.mean()) < 1e-12  # optimal in the unpenalized b
    g = X.T @ r / 40  # gradient of the smooth part in w
    on = w != 0
    assert np.allclose(g[on], -lam * np.sign(w[on]), atol=1e-9)
    assert np.all(np.abs(g[~on]) <= lam + 1e-9)


def test_dropout_backward_is_gradient_of_forward_in_torch(ref):
    import torch

    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 7))
    out, mask = ref["dropout_forward"](x, 0.4, True, np.random.default_rng(9))
    xt = torch.tensor(x, requires_grad=True)
    (xt * torch.tensor(mask) / 0.6).sum().backward()
    assert np.allclose(ref["dropout_backward"](np.ones_like(x), mask, 0.4), xt.grad.numpy(), atol=1e-15)
    assert np.allclose(out, x * mask / 0.6)


def test_hidden_early_stopping_cases_separate_argmin():
    from autograder.hidden.seed import resolve_seed
    from course_lib.grading.homework import load_homework

    ex = load_homework("hw06").exercise("early_stopping_epoch")
    from autograder.hidden import hidden_cases

    cases = hidden_cases(load_homework("hw06"), ex, resolve_seed(None)[0])
    ns: dict = {}
    for chunk in extract_file(solution_notebook("hw06_regularization")).chunks:
        exec(compile_chunk(chunk), ns)  # noqa: S102
    assert any(ns["early_stopping_epoch"](*c.args) != int(np.argmin(c.args[0])) for c in cases)


# ---------------------------------------------------------------- k-fold cross-validation

@pytest.mark.parametrize("src", [
    # no shuffle: contiguous folds in index order
    "import numpy as np\ndef k_fold_indices(n, k, rng):\n    f = np.array_split(np.arange(n), k)\n"
    "    return [(np.setdiff1d(np.arange(n), v), v) for v in f]\n",
    # the remainder all goes to the last fold: sizes differ by more than one
    "import numpy as np\ndef k_fold_indices(n, k, rng):\n    o, m = rng.permutation(n), n // k\n"
    "    f = [o[i * m:(i + 1) * m] for i in range(k - 1)] + [o[(k - 1) * m:]]\n"
    "    return [(np.setdiff1d(o, v), v) for v in f]\n",
    # training on everything, validation fold included
    "import numpy as np\ndef k_fold_indices(n, k, rng):\n    o = rng.permutation(n)\n"
    "    return [(o.copy(), v) for v in np.array_split(o, k)]\n",
    # the global NumPy generator instead of rng: not reproducible from the seed
    "import numpy as np\ndef k_fold_indices(n, k, rng):\n    o = np.random.permutation(n)\n"
    "    return [(np.setdiff1d(o, v), v) for v in np.array_split(o, k)]\n",
], ids=["no-shuffle", "remainder-in-last-fold", "train-includes-val", "global-rng"])
def test_mutant_k_fold_indices(src):
    res = assert_mutant_loses_only("hw06", src, {"k_fold_indices"})
    expect_hint(res, "k_fold_indices", None)


def test_k_fold_reference_agrees_with_scikit_learn_partition_rules():
    """The reference's folds have the sizes scikit-learn's KFold gives (n % k folds one larger) and partition."""
    from sklearn.model_selection import KFold

    ns = reference_namespace("hw06")
    for n, k in [(10, 5), (11, 3), (7, 7), (23, 4)]:
        ours = ns["k_fold_indices"](n, k, np.random.default_rng(0))
        theirs = list(KFold(k).split(np.zeros(n)))
        assert sorted(len(v) for _, v in ours) == sorted(len(v) for _, v in theirs)
        assert sorted(np.concatenate([v for _, v in ours]).tolist()) == list(range(n))
