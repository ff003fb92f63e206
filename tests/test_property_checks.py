"""Property checks that test the property (issue 24, item 6).

hw05's initializers are judged by their law (Kolmogorov–Smirnov against the target distribution, beside the mean
and the variance), hw06's dropout mask and k-fold split by their randomness (the same generator state gives the same
draw, other states give other draws). For each: the false-failure rate stated in the homework module is recomputed
here from the exact laws (SciPy) for the sample sizes the cases use, the checks are run on many honest draws, and
draws from a discrete law with few atoms, a fixed mask and an unshuffled split fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradeutil import expected, reference_namespace
from scipy import stats

from course_lib.grading.homework import hw05_initialization as H5
from course_lib.grading.homework import hw06_regularization as H6
from course_lib.grading.homework import load_homework
from course_lib.grading.run import Namespace

FAIL_BUDGET = 1e-6  # the most a correct submission may lose an exercise's case to chance


def _cases(hw_name, exercise):
    public, hidden, _ = expected(hw_name).get(load_homework(hw_name).exercise(exercise))
    return public + hidden


def _sizes(hw_name, exercise):
    """Sample size N of every case of an initializer exercise: draws · fan_in · fan_out (he_normal's arguments
    fan_in, fan_out, seed, draws), or draws · c_out · c_in · kh · kw (xavier_uniform_conv's c_out, c_in, kh, kw, seed,
    draws)."""
    dims = 4 if exercise == "xavier_uniform_conv" else 2
    return [math.prod(int(v) for v in c.args[:dims]) * int(c.args[dims + 1] if len(c.args) > dims + 1 else 1)
            for c in _cases(hw_name, exercise)]


# ------------------------------------------------------------------------------- hw05: the rates, computed

def _bernstein(n, var, bound, sigmas=H5.SIGMAS):
    """Bernstein's bound on P(|Σ(Xᵢ − μ)| ≥ sigmas·√(n·var)) for independent |Xᵢ − μ| ≤ bound."""
    t = sigmas * math.sqrt(n * var)
    return 2.0 * math.exp(-(t * t / 2.0) / (n * var + bound * t / 3.0))


def he_case_rate(n):
    """A correct he_normal fails one case of n draws with at most this probability: exact laws."""
    mean = 2.0 * stats.norm.sf(H5.SIGMAS)  # the mean of n N(0, σ²) is N(0, σ²/n)
    z = H5.SIGMAS * math.sqrt(2.0 / n)  # n·mean(w²)/σ² is χ²(n); the check allows ±6·√(2/n) relative
    var = stats.chi2.sf(n * (1 + z), n) + stats.chi2.cdf(n * (1 - z), n)
    ks = stats.kstwo.sf(H5.ks_threshold(n), n)  # the exact law of the KS statistic for a continuous target
    return mean + var + ks


def xavier_case_rate(n):
    """A correct xavier_uniform_conv (U(−a, a), a = 1 without loss of generality) fails one case with at most this."""
    mean = _bernstein(n, 1.0 / 3.0, 1.0)
    var = _bernstein(n, 4.0 / 45.0, 2.0 / 3.0)  # w² − 1/3 lies in [−1/3, 2/3]
    ks = stats.kstwo.sf(H5.ks_threshold(n), n)
    top = (1.0 - 30.0 / n) ** n  # the largest |w| below a(1 − 30/n)
    return mean + var + ks + top


def test_ks_threshold_is_the_dkw_massart_bound_and_exact_rate_is_below_it():
    for n in (60_000, 60_018, 80_000, 10**6):
        eps = H5.ks_threshold(n)
        assert 2 * math.exp(-2 * n * eps * eps) == pytest.approx(H5.KS_ALPHA, rel=1e-9)
        assert stats.kstwo.sf(eps, n) <= H5.KS_ALPHA
    assert H5.ks_threshold(60_000) == pytest.approx(0.0126, abs=5e-5)  # the figure the module states


def test_stated_false_failure_rates_hold_for_every_case():
    """The figures of hw05's comment (per case He ≤ 1.5e-8, Xavier ≤ 9.2e-8; per exercise below 1e-6)."""
    assert 2 * stats.norm.sf(6) == pytest.approx(2.0e-9, rel=0.02)
    assert he_case_rate(60_000) <= 1.5e-8
    assert xavier_case_rate(60_000) <= 9.2e-8
    for exercise, rate in (("he_normal", he_case_rate), ("xavier_uniform_conv", xavier_case_rate)):
        sizes = _sizes("hw05", exercise)
        assert min(sizes) >= 60_000 and len(sizes) == 8, sizes
        total = sum(rate(n) for n in sizes)
        assert total < FAIL_BUDGET, (exercise, total)


def test_ks_distance_is_exact_on_a_small_sample():
    # 3 points 0.1, 0.5, 0.9 against U(0, 1) (shifted to U(−1, 1) here): F_n − F is 1/3 − 0.1 just after 0.1, F − F_n
    # is 0.9 − 2/3 just before 0.9 (both 0.2333), 0.5 − 1/3 before 0.5, 1 − 0.9 after 0.9: D = 0.2333, at 0.1 or 0.9
    d, at = H5.ks_distance(np.array([0.1, 0.5, 0.9]) * 2 - 1, H5.uniform_cdf(1.0))
    assert d == pytest.approx(1 / 3 - 0.1) and round(abs(at), 12) == 0.8
    d, _ = H5.ks_distance(np.array([0.0, 0.0, 0.0, 0.0]), H5.normal_cdf(1.0))  # one atom at the median
    assert d == pytest.approx(0.5)
    w = np.random.default_rng(1).normal(size=1000) * 0.3
    assert H5.ks_distance(w, H5.normal_cdf(0.3))[0] == pytest.approx(stats.kstest(w, stats.norm(0, 0.3).cdf).statistic)


# ------------------------------------------------------------------------- hw05: honest and discrete draws

@pytest.fixture(scope="module")
def ref5():
    return Namespace(reference_namespace("hw05"))


def test_checks_pass_many_honest_draws_and_the_ks_statistic_has_its_law(ref5):
    """400 honest draws per initializer (seeds 0..399) at the smallest sample size: none fails, and √N·D has the
    Kolmogorov law (its median 0.83, its 99th percentile 1.63; the check fails only beyond √N·ε_N = 3.09)."""
    m, n = 200, 300  # N = 60,000, the smallest sample of any case
    kernel = (100, 60, 5, 2)  # N = 60,000 too: fan_in = 600, fan_out = 1000
    roots = {"he_normal": [], "xavier_uniform_conv": []}
    for seed in range(400):
        for name, args, draw, props, cdf in (
                ("he_normal", [m, n, seed, 1], H5.draw_he, H5.he_props, H5.normal_cdf(math.sqrt(2 / m))),
                ("xavier_uniform_conv", [*kernel, seed, 1], H5.draw_xavier, H5.xavier_props,
                 H5.uniform_cdf(math.sqrt(6 / (600 + 1000))))):
            got = draw(ref5, *args)
            v = props(args, {}, None, got, 0, 0)
            assert v.ok, (name, seed, v.message)
            roots[name].append(math.sqrt(m * n) * H5.ks_distance(got[0].ravel(), cdf)[0])
    for name, r in roots.items():
        assert stats.kstest(r, stats.kstwobign.cdf).pvalue > 1e-4, name  # √N·D follows Kolmogorov's law
        assert max(r) < math.sqrt(m * n) * H5.ks_threshold(m * n), name


def _quantile_atoms(k, ppf):
    """k equally likely atoms at the midpoints of k equal-probability bins: the discrete law with k atoms
    closest to the target in Kolmogorov–Smirnov distance (exactly 1/(2k))."""
    return ppf((np.arange(k) + 0.5) / k)


@pytest.mark.parametrize("k", [2, 3, 5, 10, 20, 39])
def test_a_discrete_law_with_few_atoms_fails(k, ref5):
    m, n = 200, 300

    def he(fan_in, fan_out, rng):
        return rng.choice(_quantile_atoms(k, stats.norm(0, math.sqrt(2 / fan_in)).ppf), size=(fan_in, fan_out))

    def xavier(c_out, c_in, kh, kw, rng):
        a = math.sqrt(6 / ((c_in + c_out) * kh * kw))
        return rng.choice(_quantile_atoms(k, stats.uniform(-a, 2 * a).ppf), size=(c_out, c_in, kh, kw))

    ns = Namespace(dict(reference_namespace("hw05"), he_normal=he, xavier_uniform_conv=xavier))
    for seed in range(3):
        args = [m, n, seed, 1]
        assert not H5.he_props(args, {}, None, H5.draw_he(ns, *args), 0, 0).ok
        args = [100, 60, 5, 2, seed, 1]
        assert not H5.xavier_props(args, {}, None, H5.draw_xavier(ns, *args), 0, 0).ok


def test_the_discrete_mutants_passed_the_moment_checks_alone(ref5):
    """The issue's attack: the discrete laws of test_hw05's mutants have the right mean, variance, range and
    one-sigma (He) or half-bound (Xavier) fraction, the statistics the check used before; only the KS test fails."""
    from test_hw05_initialization import DISCRETE_HE, DISCRETE_XAVIER

    ns: dict = {}
    exec(DISCRETE_HE + DISCRETE_XAVIER, ns)  # noqa: S102 - our own test code
    m, n = 200, 300
    w = ns["he_normal"](m, n, np.random.default_rng(0))
    sd = math.sqrt(2 / m)
    assert abs(w.mean()) < 6 * sd / math.sqrt(w.size) and abs(np.mean(w * w) / sd**2 - 1) < 6 * math.sqrt(2 / w.size)
    assert abs(np.mean(np.abs(w) < sd) - math.erf(1 / math.sqrt(2))) < 0.01
    v = H5.he_props([m, n, 0, 1], {}, None, H5.draw_he(Namespace(ns), m, n, 0, 1), 0, 0)
    assert not v.ok and "Kolmogorov" in v.message and "3 distinct values" in v.message
    kernel = (100, 60, 5, 2)
    a = math.sqrt(6 / (600 + 1000))
    w = ns["xavier_uniform_conv"](*kernel, np.random.default_rng(0))
    assert np.max(np.abs(w)) == pytest.approx(a) and abs(np.mean(w * w) / (a * a / 3) - 1) < 0.02
    assert abs(np.mean(np.abs(w) < a / 2) - 0.5) < 0.01
    v = H5.xavier_props([*kernel, 0, 1], {}, None, H5.draw_xavier(Namespace(ns), *kernel, 0, 1), 0, 0)
    assert not v.ok and "Kolmogorov" in v.message


# ------------------------------------------------------------------------------- hw06: randomness checks

def dropout_case_rate(x_shape, p):
    """A correct dropout_forward fails a training case (0 < p < 1) with at most this probability: the exact binomial
    tails of the keep-fraction window, all ALTERNATIVES other generators repeating the mask, every row alike."""
    n = int(np.prod(x_shape))
    w = H6.SIGMAS * math.sqrt(p * (1 - p) / n) + 1e-12
    keep = stats.binom.cdf(math.ceil((1 - p - w) * n) - 1, n, 1 - p) + stats.binom.sf(math.floor((1 - p + w) * n),
                                                                                       n, 1 - p)
    same = ((p * p + (1 - p) ** 2) ** n) ** H6.ALTERNATIVES
    rows = 0.0
    if len(x_shape) == 2 and x_shape[0] > 1 and x_shape[1] >= 20:
        rows = (p ** x_shape[0] + (1 - p) ** x_shape[0]) ** x_shape[1]
    return keep + same + rows


def kfold_case_rate(n, k):
    """A correct k_fold_indices (a uniformly random ordered partition) repeats its split under all ALTERNATIVES
    other generators with probability 1/M³, M = n!/(s₁!···s_k!)."""
    sizes = [len(v) for v in np.array_split(np.arange(n), k)]
    log_m = math.lgamma(n + 1) - sum(math.lgamma(s + 1) for s in sizes)
    return math.exp(-H6.ALTERNATIVES * log_m)


def test_randomness_false_failure_rates_hold_for_every_case():
    """The figures of hw06's comment: per exercise below RANDOMNESS_RATES (2e-8 and 1e-9), the worst single terms
    2^−36 (3 × 4 mask, p = ½) and 1/1716³ (n = 13, k = 2, the smallest hidden uneven split)."""
    assert dropout_case_rate((3, 4), 0.5) == pytest.approx(2.0**-36, rel=1e-6)
    assert kfold_case_rate(13, 2) == pytest.approx(1716.0**-3, rel=1e-9)
    total = 0.0
    for c in _cases("hw06", "dropout_forward"):
        x, p, train = np.asarray(c.args[0]), float(c.args[1]), bool(c.args[2])
        if train and 0 < p < 1:
            rate = dropout_case_rate(x.shape, p)
            assert rate < 2.1e-9, (x.shape, p, rate)
            total += rate
    assert total < H6.RANDOMNESS_RATES["dropout_forward"] < FAIL_BUDGET
    total = sum(kfold_case_rate(int(c.args[0]), int(c.args[1])) for c in _cases("hw06", "k_fold_indices"))
    worst_hidden = max(kfold_case_rate(2 * m + 1, 2) for m in range(6, 40))  # the generator's uneven split
    assert total + worst_hidden < H6.RANDOMNESS_RATES["k_fold_indices"] < FAIL_BUDGET


@pytest.fixture(scope="module")
def ref6():
    return Namespace(reference_namespace("hw06"))


def test_randomness_checks_pass_many_honest_draws(ref6):
    """300 seeds of the reference on the smallest cases, where chance repeats most often."""
    small = np.arange(1.0, 13.0).reshape(3, 4)
    for seed in range(300):
        args = [small, 0.5, True, seed]
        v = H6.dropout_props(args, {}, None, H6.dropout_draw(ref6, *args), 0, 0)
        assert v.ok, (seed, v.message)
        for n, k in ((7, 7), (13, 2), (10, 5)):
            v = H6.kfold_props([n, k, seed], {}, None, H6.kfold_draw(ref6, n, k, seed), 0, 0)
            assert v.ok, (seed, n, k, v.message)


def test_the_same_state_gives_the_same_draw_and_other_states_other_draws(ref6):
    """The driver's generators: a fresh default_rng(seed) repeats the draw, the ALTERNATIVES others do not."""
    x = np.ones((40, 50))
    out, mask, again, others = H6.dropout_draw(ref6, x, 0.5, True, 7)
    assert np.array_equal(out, again) and len(others) == H6.ALTERNATIVES
    assert all(not np.array_equal(o, mask) for o in others)
    folds, same, other_folds = H6.kfold_draw(ref6, 30, 4, 7)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, same))
    assert all(not H6._same_split(folds, o) for o in other_folds)


def test_a_fixed_mask_and_an_unshuffled_split_fail(ref6):
    fixed = (np.random.default_rng(0).random((40, 50)) >= 0.5).astype(float)
    ns = Namespace(dict(reference_namespace("hw06"),
                        dropout_forward=lambda x, p, t, rng: (x * fixed / (1 - p), fixed) if t else (x, None),
                        k_fold_indices=lambda n, k, rng: [(np.setdiff1d(np.arange(n), v), v)
                                                          for v in (np.arange(j, n, k) for j in range(k))]))
    x = np.ones((40, 50))
    v = H6.dropout_props([x, 0.5, True, 3], {}, None, H6.dropout_draw(ns, x, 0.5, True, 3), 0, 0)
    assert not v.ok and "other states gave the same mask" in v.message
    v = H6.kfold_props([30, 4, 3], {}, None, H6.kfold_draw(ns, 30, 4, 3), 0, 0)
    assert not v.ok and "other states gave the same folds" in v.message
