"""hw06, public part: dropout (graded by properties), ridge with an intercept, soft thresholding, lasso with an
intercept by coordinate descent, early stopping, k-fold indices.

Objective scaling (stated in the homework), both with an unpenalized intercept b:
  ridge  (1/(2n))·‖Xw + b − y‖² + (λ/2)·‖w‖²   (sklearn Ridge(alpha=nλ, fit_intercept=True))
  lasso  (1/(2n))·‖Xw + b − y‖² + λ·‖w‖₁       (sklearn Lasso(alpha=λ, fit_intercept=True))
Lecture 06's toolkit (course_lib.regularize: ridge, elastic_net_cd) fits without an intercept; the homework grades
the intercept versions. Lasso coordinate descent is specified exactly (start at w = 0, b = 0; each sweep updates b,
then j = 0..d−1; `num_sweeps` full sweeps), so iterates after a few sweeps are compared by value, and one case per set
is run to convergence.

Drivers and property checks:
hw06 drivers and property checks: dropout is random, so it is graded by properties, never by one draw.

The driver builds `np.random.default_rng(seed)` from the plain-data seed and calls the student's
dropout_forward twice with generators of the same seed (the two results must agree: the student used
`rng`), then with ALTERNATIVES generators in other states (seeded [seed, 1], [seed, 2], ...). The trusted check
then verifies: shapes; a 0/1 mask; every kept unit scaled by exactly 1/(1 − p) and every dropped unit zero; a keep
fraction within 6 standard errors of 1 − p; a mask that varies across examples; a mask that changes with the
generator's state (not one fixed mask: at least one of the other generators gives another mask); and the identity
in evaluation mode. k_fold_indices is judged the same way: the same seed gives the same folds, other states other
folds. False-failure rates: see RANDOMNESS_RATES.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.grading.compare import Verdict
from course_lib.grading.exact import on_grid
from course_lib.grading.gradcheck import numerical_gradient
from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case


def random_x(rng, shape, scale=1.0):
    return rng.normal(size=shape) * scale + 0.5


def _pub_dropout():
    rng = np.random.default_rng(21)
    x = random_x(rng, (100, 500))
    small = np.arange(1.0, 13.0).reshape(3, 4)
    return [
        case(x, 0.5, True, 1),
        case(x, 0.2, True, 2),
        case(x, 0.7, True, 3),
        case(x, 0.7, False, 4),
        case(x, 0.0, True, 5),
        case(small, 0.5, True, 6),
    ]


def random_mask(rng, shape, p):
    return (rng.random(shape) >= p).astype(float)


def _pub_dropout_back():
    rng = np.random.default_rng(22)
    return [
        case(rng.normal(size=(4, 5)), random_mask(rng, (4, 5), 0.5), 0.5),
        case(rng.normal(size=(3, 6)), random_mask(rng, (3, 6), 0.2), 0.2),
        case(np.ones((2, 3)), np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), 0.75),
    ]


def design(rng, n, d):
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0, size=d)  # columns of different scales
    w = rng.normal(size=d) * (rng.random(d) < 0.6)
    return X, on_grid(X @ w + 0.3 * rng.normal(size=n))  # BLAS's last bits differ between CPUs: on a grid


def offset_design(rng, n, d, shift=3.0, intercept=5.0):
    """design() moved away from the origin: columns with means of size ~shift, targets offset by `intercept`."""
    X, y = design(rng, n, d)
    return X + shift * rng.normal(size=d), on_grid(y + intercept)


def _pub_ridge():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    y = np.array([1.0, 3.0, 6.0, 7.0])
    rng = np.random.default_rng(23)
    X2, y2 = offset_design(rng, 30, 6)
    X3, y3 = offset_design(rng, 5, 8)  # more features than examples: ridge still has a unique solution
    return [case(X, y, 0.0), case(X, y, 0.5), case(X2, y2, 0.1), case(X3, y3, 0.3)]


def _pub_soft():
    return [
        case(np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]), 1.0),
        case(2.5, 1.0),
        case(-0.2, 0.5),
        case(np.array([[0.3, -2.0], [1.5, -0.1]]), 0.25),
    ]


def _pub_lasso():
    rng = np.random.default_rng(24)
    X, y = offset_design(rng, 30, 5)
    return [case(X, y, 0.1, 1), case(X, y, 0.1, 3), case(X, y, 0.05, 2000), case(X, y, 100.0, 2),
            case(X, y, 0.0, 2000)]


def _pub_early():
    bumpy = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 2.0, 2.5]
    return [
        case(bumpy, 3),
        case(bumpy, 4),
        case([3.0, 2.0, 1.5, 1.0, 0.9], 2),
        case([1.0, 1.0, 1.0, 1.0], 2),
        case([3.0, 2.0, 2.5, 1.0], 1),
    ]


SIGMAS = 6.0

# Randomness: the draws under ALTERNATIVES other generator states must not all equal the first draw. A correct
# implementation draws each mask entry independently (kept with probability 1 − p) and each split as a uniformly
# random ordered partition, so one other state repeats a mask with probability q = (p² + (1 − p)²)^N (N entries) and
# a split with probability 1/M, M = n!/(s₁!···s_k!) the number of ordered partitions into folds of sizes s_j; all
# ALTERNATIVES repeat it with q³ or 1/M³. Largest over the cases: the 3 × 4 public dropout case at p = 0.5,
# q³ = 2^−36 = 1.5e-11; the k-fold hidden case n = 13, k = 2, M = C(13, 7) = 1716, 1/M³ = 2.0e-10. The keep
# fraction's 6-standard-error window fails a correct mask with probability below 2.1e-9 per case (exact binomial
# tails; N ≥ 6,000 in every training case but the 3 × 4 one, whose window is wider than [0, 1]), so a correct
# dropout_forward loses a case to chance with probability below 2e-8 per exercise (7 training cases), and a correct
# k_fold_indices below 1e-9: both far below 1e-6 (tests/test_property_checks.py computes them from the cases).
ALTERNATIVES = 3
RANDOMNESS_RATES = {"dropout_forward": 2e-8, "k_fold_indices": 1e-9}


def other_generators(seed):
    """ALTERNATIVES generators in states other than default_rng(seed)'s (seeded [seed, 1], [seed, 2], ...)."""
    return [np.random.default_rng([int(seed), j]) for j in range(1, ALTERNATIVES + 1)]


def _mask(m):
    m = None if m is None else np.asarray(m)
    return m.astype(float) if m is not None and m.dtype == bool else m


def dropout_draw(ns, x, p, train, seed):
    """(out, mask, out_again, other_masks): out_again from a fresh generator with the same seed, other_masks the
    masks drawn with generators in other states (other_generators)."""
    fn = ns["dropout_forward"]
    x = np.array(x, dtype=float)
    out, mask = fn(x.copy(), p, train, np.random.default_rng(int(seed)))
    out2, _ = fn(x.copy(), p, train, np.random.default_rng(int(seed)))
    others = [_mask(fn(x.copy(), p, train, g)[1]) for g in other_generators(seed)] if train else []
    return np.asarray(out, dtype=float), _mask(mask), np.asarray(out2, dtype=float), others


def dropout_props(args, kwargs, expected, got, rtol, atol) -> Verdict:
    x, p, train, _seed = np.asarray(args[0], dtype=float), float(args[1]), bool(args[2]), args[3]
    where = f"dropout_forward(x of shape {x.shape}, p={p:g}, train={train})"
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return Verdict(False, f"{where}: expected (out, mask) (internal format error)")
    out, mask, out2, others = got
    out, out2 = np.asarray(out, dtype=float), np.asarray(out2, dtype=float)
    if out.shape != x.shape:
        return Verdict(False, f"{where}: out should have the shape of x, {x.shape}; got {out.shape}")
    if not train:
        if not np.array_equal(out, x):
            return Verdict(
                False,
                f"{where}: in evaluation mode dropout must be the identity (out == x); "
                f"largest difference {np.max(np.abs(out - x)):.3g}",
            )
        if mask is not None and not (np.shape(mask) == x.shape and np.all(np.asarray(mask) == 1)):
            return Verdict(False, f"{where}: in evaluation mode return mask None (or all ones)")
        return Verdict(True, "", 0.0)
    if mask is None:
        return Verdict(False, f"{where}: in training mode return the 0/1 mask of kept units, got None")
    mask = np.asarray(mask, dtype=float)
    if mask.shape != x.shape:
        return Verdict(
            False,
            f"{where}: the mask should have the shape of x, {x.shape}; got {mask.shape} "
            "(one independent coin per entry)",
        )
    if not np.all((mask == 0) | (mask == 1)):
        return Verdict(
            False,
            f"{where}: the mask should hold 0 (dropped) and 1 (kept) only; got values such as "
            f"{float(mask[(mask != 0) & (mask != 1)][0]):.4g}",
        )
    if not np.array_equal(out2, out):
        return Verdict(
            False,
            f"{where}: two calls with generators built from the same seed gave different "
            "outputs; draw the mask from the `rng` argument, not from np.random",
        )
    want = x * mask / (1.0 - p)
    err = float(np.max(np.abs(out - want))) if out.size else 0.0
    if not np.allclose(out, want, rtol=1e-12, atol=1e-15):
        kept = mask == 1
        ratio = float(np.median(out[kept & (x != 0)] / x[kept & (x != 0)])) if np.any(kept & (x != 0)) else 0.0
        return Verdict(
            False,
            f"{where}: out must be x·mask/(1−p): kept units scaled by 1/(1−p) = {1 / (1 - p):.6g} "
            f"and dropped units 0; kept units came out scaled by {ratio:.6g}",
            err,
        )
    N = mask.size
    keep = float(mask.mean())
    se = math.sqrt(p * (1 - p) / N) if 0 < p < 1 else 0.0
    if abs(keep - (1 - p)) > SIGMAS * se + 1e-12:
        return Verdict(
            False,
            f"{where}: kept a fraction {keep:.4f} of the units; expected 1 − p = {1 - p:.4f} "
            f"± {SIGMAS * se:.2g} (p is the probability to DROP a unit)",
        )
    if 0 < p < 1 and x.ndim == 2 and x.shape[0] > 1 and x.shape[1] >= 20 and np.all(mask == mask[:1]):
        return Verdict(False, f"{where}: every example got the same mask; draw an independent mask per entry")
    if 0 < p < 1 and others and all(o is not None and np.shape(o) == mask.shape and np.array_equal(o, mask)
                                    for o in others):
        return Verdict(False, f"{where}: {len(others)} generators in other states gave the same mask as this one: "
                              "the mask must be drawn from `rng` (a fixed mask drops the same units at every "
                              "training step)")
    return Verdict(True, "", err)


# ---------------------------------------------------------------- model selection: k-fold cross-validation


def kfold_draw(ns, n, k, seed):
    """(folds, folds from a fresh generator with the same seed, [folds from each of other_generators(seed)]), each
    a list of [train, val] int arrays."""
    fn = ns["k_fold_indices"]

    def draw(rng=None):
        folds = fn(int(n), int(k), np.random.default_rng(int(seed)) if rng is None else rng)
        if not isinstance(folds, (list, tuple)):
            raise TypeError(f"k_fold_indices must return a list of (train_idx, val_idx) pairs, "
                            f"got {type(folds).__name__}")
        out = []
        for pair in folds:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError("each fold must be a pair (train_idx, val_idx)")
            out.append([np.asarray(pair[0]), np.asarray(pair[1])])
        return out

    return draw(), draw(), [draw(g) for g in other_generators(seed)]


def kfold_props(args, kwargs, expected, got, rtol, atol) -> Verdict:
    """k folds that partition range(n), sizes within one of each other, train = the rest, shuffled by rng."""
    n, k = int(args[0]), int(args[1])
    where = f"k_fold_indices({n}, {k}, rng)"
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return Verdict(False, f"{where}: internal format error")
    folds, again, others = got
    if len(folds) != k:
        return Verdict(False, f"{where}: expected {k} folds, got {len(folds)}")
    vals = []
    for j, (train, val) in enumerate(folds):
        train, val = np.asarray(train), np.asarray(val)
        if train.ndim != 1 or val.ndim != 1 or train.dtype.kind not in "iu" or val.dtype.kind not in "iu":
            return Verdict(False, f"{where}: fold {j}: indices must be 1-D integer arrays, got dtypes "
                                  f"{train.dtype} and {val.dtype}")
        rest = np.setdiff1d(np.arange(n), val)
        if len(train) != len(rest) or not np.array_equal(np.sort(train), rest):
            return Verdict(False, f"{where}: fold {j}: the training indices must be exactly the {len(rest)} "
                                  f"indices not in its validation fold (got {len(train)})")
        vals.append(val)
    joined = np.concatenate(vals) if vals else np.zeros(0, dtype=int)
    if len(joined) != n or not np.array_equal(np.sort(joined), np.arange(n)):
        return Verdict(False, f"{where}: every index 0..{n - 1} must be in exactly one validation fold")
    sizes = [len(v) for v in vals]
    if max(sizes) - min(sizes) > 1:
        return Verdict(False, f"{where}: validation folds of sizes {sizes}: they should differ by at most one")
    if len(again) != k or not all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                                  for a, b in zip(folds, again)):
        return Verdict(False, f"{where}: two generators with the same seed gave different folds; draw the "
                              "shuffle from the `rng` argument")
    if n >= 10 and np.array_equal(joined, np.arange(n)):
        return Verdict(False, f"{where}: the folds are not shuffled (fold 0 is indices 0, 1, 2, ...); shuffle "
                              "the indices with rng before splitting")
    if n > 1 and others and all(_same_split(folds, o) for o in others):
        return Verdict(False, f"{where}: {len(others)} generators in other states gave the same folds as this one: "
                              "the split is not shuffled with `rng` (shuffle the indices with rng before splitting)")
    return Verdict(True, "", 0.0)


def _same_split(folds, other) -> bool:
    """The same validation sets in the same order (the order of indices inside a fold does not count)."""
    try:
        return len(other) == len(folds) and all(
            np.array_equal(np.sort(np.asarray(a[1]).ravel()), np.sort(np.asarray(b[1]).ravel()))
            for a, b in zip(folds, other))
    except (TypeError, ValueError, IndexError):
        return False


def _seeded(name, params):
    def call(args, kwargs):
        inputs = dict(zip(params, args[:len(params)]))
        return StudentCall(f"{name}({', '.join(params)}, rng)", inputs,
                           f"rng = np.random.default_rng({args[len(params)]})")

    call.__name__ = f"{name}_call"
    return call


def _keep_scale(v):
    p = float(v["p"])
    return [Factor(1.0 / (1.0 - p), "the inverted-dropout scale 1/(1 − p)", "is the 1/(1 − p) applied twice?",
                   "did you forget to scale the kept units by 1/(1 − p), as the forward pass does?")] if p < 1 else []


def _n_examples(v):
    return [Factor(np.shape(v["X"])[0], "n, the number of examples (X.shape[0])",
                   "is the penalty nλ where the objective asks for λ (or the reverse)?",
                   "is the penalty nλ where the objective asks for λ (or the reverse)?")]


DROPOUT_HINTS = Hints(factors=_keep_scale)
RIDGE_HINTS = Hints(outputs=("w", "b"), factors=_n_examples)
LASSO_HINTS = Hints(outputs=("w", "b"))
EARLY_HINTS = Hints(advice={"step": "is the epoch counted from 0?"})


def _pub_kfold():
    return [case(10, 5, 1), case(11, 3, 2), case(7, 7, 3), case(23, 4, 4)]


def dropout_gradient_check(ns, args, kwargs):
    """The student's dropout_backward beside centred differences of Σ dout·out through the student's
    dropout_forward, with a generator of a fixed seed so that every evaluation draws the same mask."""
    dout, _mask, p = np.array(args[0], dtype=float), args[1], float(args[2])
    fwd = ns["dropout_forward"]
    x = np.random.default_rng(0).normal(size=dout.shape) + 0.5

    def forward(v):
        out, mask = fwd(np.array(v, dtype=float), p, True, np.random.default_rng(1234))
        return np.asarray(out, dtype=float), mask

    _out, mask = forward(x)
    dx = np.asarray(ns["dropout_backward"](dout, mask, p), dtype=float)
    return [("dx", dx, numerical_gradient(lambda v: float(np.sum(forward(v)[0] * dout)), x))]


HOMEWORK = Homework(
    name="hw06_regularization",
    exercises=[
        Exercise("dropout_forward", 2, _pub_dropout(), params=("x", "p", "train", "rng"), driver=dropout_draw,
                 check=dropout_props,
                 student_call=_seeded("dropout_forward", ("x", "p", "train")),
                 edge_cases=("evaluation mode (train = False)", "p = 0 (keep everything)")),
        Exercise("dropout_backward", 1, _pub_dropout_back(), params=("dout", "mask", "p"), hints=DROPOUT_HINTS,
                 rtol=1e-10, atol=1e-12,
                 derivation_first=True,
                 edge_cases=("p = 0 (identity)", "high drop rate (p = 0.95)"),
                 gradient_check=dropout_gradient_check),
        Exercise("ridge_with_intercept", 2, _pub_ridge(), params=("X", "y", "lam"), hints=RIDGE_HINTS, rtol=1e-06,
                 atol=1e-08,
                 derivation_first=True,
                 edge_cases=("more features than examples (d > n)", "lam = 0 (least squares with an intercept)",
                             "a constant column", "data far from the origin")),
        Exercise("soft_threshold", 1, _pub_soft(), params=("x", "lam"), rtol=1e-10, atol=1e-12, derivation_first=True,
                 edge_cases=("a scalar input", "lam = 0 (identity)", "entries exactly at 0 and ±lam")),
        Exercise("lasso_cd_with_intercept", 3, _pub_lasso(), params=("X", "y", "lam", "num_sweeps"), rtol=1e-06,
                 atol=1e-08, hints=LASSO_HINTS, derivation_first=True,
                 edge_cases=("lam so large that every weight is 0", "an all-zero column",
                             "unnormalised columns of different scales", "data far from the origin")),
        Exercise("early_stopping_epoch", 1, _pub_early(), params=("val_losses", "patience"), hints=EARLY_HINTS,
                 rtol=0, atol=0,
                 edge_cases=("patience = 1", "ties are not improvements", "the list ends before patience runs out")),
        Exercise("k_fold_indices", 2, _pub_kfold(), params=("n", "k", "rng"), driver=kfold_draw, check=kfold_props,
                 student_call=_seeded("k_fold_indices", ("n", "k")), derivation_first=True,
                 edge_cases=("leave-one-out (k = n)", "uneven split (k does not divide n)")),
    ],
)
