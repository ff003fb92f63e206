"""hw05, public part: Xavier (for a convolution kernel) and He initializers (graded by properties), activation
statistics, BatchNorm, LayerNorm.

Conventions (stated in the homework): a weight matrix has shape (fan_in, fan_out) and a layer computes
h @ W; a convolution kernel has shape (c_out, c_in, kh, kw) (PyTorch's layout) with fan_in = c_in·kh·kw and
fan_out = c_out·kh·kw (torch.nn.init's convention); initializers take an explicit np.random.Generator. The initializer
cases pass a plain integer seed; the driver builds the generator, and the property check tests the sample's law (see
KS_ALPHA). fan_in ≠ fan_out in every initializer case, so Var = 1/fan_in (Xavier) or 2/fan_out (He) cannot pass, and
every Xavier case but the 1×1 ones has kh·kw > 1, so fans counted from the channels alone cannot pass either.
(Lecture 05's toolkit draws dense Xavier matrices, course_lib.initstats.init_matrix; the homework grades the
convolution kernel, whose fans the student derives.)

Drivers and property checks:
hw05 drivers and property checks: initializers (graded by statistics), activation statistics, normalization.

Initializers are random, so they are never compared with one seeded draw. The driver builds an explicit
`np.random.default_rng(seed)` from the plain-data seed, calls the student's function `draws` times with it
(plus once more with a fresh generator of the same seed), and the trusted check judges the sample:
shape, bounds, mean and variance (each within 6 standard errors computed for the sample size) and the whole
distribution (Kolmogorov–Smirnov against the target law). A correct initializer fails an exercise with
probability below 1e-6 (the rates are stated at KS_ALPHA).
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.grading.compare import Verdict
from course_lib.grading.gradcheck import numerical_gradients
from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, cache_call, case, show_value


def init_draws(fan_in, fan_out, target=60_000):
    return max(1, int(np.ceil(target / (fan_in * fan_out))))


def _pub_init():
    return [case(200, 300, 11, 1), case(3, 7, 12, init_draws(3, 7)), case(400, 100, 13, 2)]


def conv_draws(c_out, c_in, kh, kw, target=60_000):
    return init_draws(c_out * c_in, kh * kw, target)


def conv_case(c_out, c_in, kh, kw, seed):
    """A xavier_uniform_conv case: the kernel's shape, the seed and enough draws for 60,000 weights."""
    return case(c_out, c_in, kh, kw, seed, conv_draws(c_out, c_in, kh, kw))


def _pub_conv():
    return [conv_case(32, 16, 3, 3, 11), conv_case(3, 1, 5, 2, 12), conv_case(8, 64, 1, 1, 13)]


def random_weights(rng, sizes, scale="he"):
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        sd = np.sqrt(2.0 / a) if scale == "he" else scale
        ws.append(rng.normal(size=(a, b)) * sd)
    return ws


def _pub_stats():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 10))
    return [
        case(x, random_weights(rng, [10, 20, 20, 5]), "relu"),
        case(x, random_weights(rng, [10, 16, 16, 16], scale=0.5), "tanh"),
        case(np.arange(12.0).reshape(4, 3) / 10, [np.eye(3), 2 * np.eye(3)], "linear"),
        case(x[:8, :4], random_weights(rng, [4, 6, 2]), "sigmoid"),
    ]


def bn_inputs(rng, n, d, shift=0.0, scale=1.0):
    x = rng.normal(size=(n, d)) * scale + shift
    return x, rng.normal(size=d), rng.normal(size=d)


def _pub_bn():
    x = np.array([[1.0, 2.0, -1.0], [3.0, 0.0, 0.5], [-2.0, 4.0, 1.5], [0.0, 2.0, 3.0]])
    rng = np.random.default_rng(7)
    x2, g2, b2 = bn_inputs(rng, 16, 5, shift=3.0, scale=2.0)
    return [case(x, np.ones(3), np.zeros(3), 1e-5), case(x2, g2, b2, 1e-5), case(x2[:2], g2, b2, 1e-3)]


def _pub_bn_back():
    rng = np.random.default_rng(8)
    cases = []
    for n, d, eps in [(4, 3, 1e-5), (16, 5, 1e-5), (2, 3, 1e-3)]:
        x, g, b = bn_inputs(rng, n, d, shift=1.0, scale=2.0)
        cases.append(case(x, g, b, eps, rng.normal(size=(n, d))))
    return cases


def _pub_ln():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.0, 5.0]])
    rng = np.random.default_rng(9)
    x2 = rng.normal(size=(6, 8)) * 3 + 1
    return [
        case(x, np.ones(4), np.zeros(4), 1e-5),
        case(x2, rng.normal(size=8), rng.normal(size=8), 1e-5),
        case(x2[:1], np.full(8, 2.0), np.full(8, -1.0), 1e-3),
    ]


SIGMAS = 6.0  # width of the mean and variance tolerances, in standard errors

# False-failure rates: the probability that a correct initializer fails a case. Every case draws N ≥ 60,000 weights
# (init_draws, conv_draws), independent and identically distributed for a correct initializer, and is judged by
#   - the mean and the variance (mean of w²), each within SIGMAS = 6 standard errors: for He (normal weights) the
#     exact normal and chi-square tails, 2.0e-9 and 2.1e-9 at N = 60,000; for Xavier (bounded weights) at most
#     3.9e-8 and 4.2e-8 by Bernstein's inequality;
#   - Kolmogorov–Smirnov against the target law, failed when sup |F_N − F| > ε_N = √(ln(2/KS_ALPHA)/(2N)): by the
#     Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant, P(sup |F_N − F| > ε) ≤ 2·exp(−2Nε²) = KS_ALPHA
#     for every N (ε = 0.0126 at N = 60,000). A sample with k distinct values is at least 1/(2k) from any
#     continuous law (one value holds at least 1/k of it), so at N = 60,000 any draw from 39 atoms or fewer
#     fails, whatever its mean and variance;
#   - Xavier's range: no weight beyond a = √(6/(fan_in + fan_out)) (never fails a correct draw), the largest within
#     a·(1 − 30/N) of a (fails with probability (1 − 30/N)^N < e^−30 = 9.4e-14).
# Per case: He ≤ 1.5e-8, Xavier ≤ 9.2e-8; per exercise (8 cases: 3 public, 5 hidden) He ≤ 1.2e-7 and
# Xavier ≤ 7.4e-7, below 1e-6. tests/test_property_checks.py recomputes every figure (exact laws with SciPy) and runs
# the checks on many honest draws.
KS_ALPHA = 1e-8


def _draw(ns, name, fan_in, fan_out, seed, draws=1):
    fn = ns[name]
    rng = np.random.default_rng(int(seed))
    ws = [np.asarray(fn(int(fan_in), int(fan_out), rng), dtype=float) for _ in range(int(draws))]
    again = np.asarray(fn(int(fan_in), int(fan_out), np.random.default_rng(int(seed))), dtype=float)
    return np.stack(ws), again


def draw_xavier(ns, c_out, c_in, kh, kw, seed, draws=1):
    """(stack of `draws` kernels from one rng, one more kernel from a fresh rng with the same seed)."""
    fn = ns["xavier_uniform_conv"]
    shape = tuple(int(v) for v in (c_out, c_in, kh, kw))
    rng = np.random.default_rng(int(seed))
    ws = [np.asarray(fn(*shape, rng), dtype=float) for _ in range(int(draws))]
    again = np.asarray(fn(*shape, np.random.default_rng(int(seed))), dtype=float)
    return np.stack(ws), again


def draw_he(ns, fan_in, fan_out, seed, draws=1):
    return _draw(ns, "he_normal", fan_in, fan_out, seed, draws)


def show_conv(args, kwargs):
    c_out, c_in, kh, kw, seed = args[:5]
    draws = int(args[5]) if len(args) > 5 else 1
    more = f", called {draws} times on that rng" if draws > 1 else ""
    return f"xavier_uniform_conv({c_out}, {c_in}, {kh}, {kw}, rng) with rng = np.random.default_rng({seed}){more}"


def conv_call(args, kwargs):
    c_out, c_in, kh, kw, seed = args[:5]
    draws = int(args[5]) if len(args) > 5 else 1
    more = f", called {draws} times on that rng" if draws > 1 else ""
    return StudentCall("xavier_uniform_conv(c_out, c_in, kh, kw, rng)",
                       {"c_out": c_out, "c_in": c_in, "kh": kh, "kw": kw},
                       f"rng = np.random.default_rng({seed}){more}")


def _show_init(name):
    def shown(args, kwargs):
        fan_in, fan_out, seed = args[0], args[1], args[2]
        draws = int(args[3]) if len(args) > 3 else 1
        more = f", called {draws} times on that rng" if draws > 1 else ""
        return f"{name}({fan_in}, {fan_out}, rng) with rng = np.random.default_rng({seed}){more}"

    shown.__name__ = f"show_{name}"
    return shown


def show_bn_backward(args, kwargs):
    x, gamma, beta, eps, dout = args[:5]
    return (f"batchnorm_backward(dout={show_value(dout)}, cache) with the cache of your batchnorm_forward("
            f"{show_value(x)}, {show_value(gamma)}, {show_value(beta)}, {show_value(eps)})")


def _init_call(name):
    def call(args, kwargs):
        fan_in, fan_out, seed = args[0], args[1], args[2]
        draws = int(args[3]) if len(args) > 3 else 1
        more = f", called {draws} times on that rng" if draws > 1 else ""
        return StudentCall(f"{name}(fan_in, fan_out, rng)", {"fan_in": fan_in, "fan_out": fan_out},
                           f"rng = np.random.default_rng({seed}){more}")

    call.__name__ = f"{name}_call"
    return call


def _common(name, args, got, dims=2, axes="(fan_in, fan_out)"):
    """Shape and reproducibility checks shared by the initializers (the first `dims` arguments are the shape, then
    the seed and the number of draws); returns (sample, verdict or None)."""
    want = tuple(int(v) for v in args[:dims])
    draws = int(args[dims + 1]) if len(args) > dims + 1 else 1
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, Verdict(False, f"{name}: the driver expected a matrix (internal format error)")
    stack, again = np.asarray(got[0], dtype=float), np.asarray(got[1], dtype=float)
    if stack.shape != (draws, *want):
        shape = stack.shape[1:] if stack.ndim == dims + 1 else stack.shape
        sizes = ", ".join(map(str, want))
        return None, Verdict(
            False,
            f"{name}({sizes}, rng): expected shape ({sizes}) = {axes}, got shape {tuple(shape)}",
        )
    if not np.all(np.isfinite(stack)):
        return None, Verdict(False, f"{name}: the weights contain NaN or infinity")
    if again.shape != stack[0].shape or not np.array_equal(again, stack[0]):
        return None, Verdict(
            False,
            f"{name}: two calls with generators built from the same seed gave different "
            "weights; draw every random number from the `rng` argument "
            "(e.g. rng.uniform, rng.normal), not from np.random",
        )
    return stack.ravel(), None


def _within(label, value, target, se):
    ok = abs(value - target) <= SIGMAS * se
    msg = (
        ""
        if ok
        else (
            f"{label} is {value:.6g}, expected {target:.6g} ± {SIGMAS * se:.2g} "
            f"({SIGMAS:g} standard errors for this sample size)"
        )
    )
    return ok, msg


def ks_threshold(n: int, alpha: float = KS_ALPHA) -> float:
    """ε with P(sup |F_n − F| > ε) ≤ alpha for n independent draws from F (DKW–Massart: 2·exp(−2nε²) = alpha)."""
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def ks_distance(w, cdf) -> tuple[float, float]:
    """Kolmogorov–Smirnov distance sup_x |F_n(x) − F(x)| of the sample w from the law with CDF `cdf` (a vectorised
    function), and a point x where it is reached."""
    x = np.sort(np.asarray(w, dtype=float).ravel())
    n = x.size
    F = np.asarray(cdf(x), dtype=float)
    above = np.arange(1, n + 1) / n - F  # F_n just after each point minus F there
    below = F - np.arange(n) / n  # F minus F_n just before each point
    i, j = int(np.argmax(above)), int(np.argmax(below))
    return (float(above[i]), float(x[i])) if above[i] >= below[j] else (float(below[j]), float(x[j]))


_ERF = np.frompyfunc(math.erf, 1, 1)


def normal_cdf(sd):
    return lambda x: 0.5 * (1.0 + _ERF(np.asarray(x, dtype=float) / (sd * math.sqrt(2.0))).astype(float))


def uniform_cdf(a):
    return lambda x: np.clip((np.asarray(x, dtype=float) + a) / (2.0 * a), 0.0, 1.0)


def _ks(where, w, cdf, law):
    """None when the sample passes Kolmogorov–Smirnov against the law, else a failing verdict that says where."""
    d, at = ks_distance(w, cdf)
    eps = ks_threshold(w.size)
    if d <= eps:
        return None
    atoms = np.unique(w).size
    few = f"; your {w.size} weights take only {atoms} distinct values" if atoms <= 1000 else ""
    return Verdict(False, f"{where} over {w.size} samples: the weights do not follow {law}: their "
                          f"empirical CDF is {d:.3g} away from it near w = {at:.4g} (Kolmogorov–Smirnov; a correct "
                          f"initializer stays within {eps:.2g} except with probability {KS_ALPHA:g}){few}")


def xavier_props(args, kwargs, expected, got, rtol, atol) -> Verdict:
    """Glorot uniform for a conv kernel (c_out, c_in, kh, kw): U(−a, a) with a = √(6/(fan_in+fan_out)),
    fan_in = c_in·kh·kw, fan_out = c_out·kh·kw; variance a²/3 = 2/(fan_in+fan_out)."""
    name = "xavier_uniform_conv"
    w, bad = _common(name, args, got, dims=4, axes="(c_out, c_in, kh, kw)")
    if bad is not None:
        return bad
    c_out, c_in, kh, kw = (int(v) for v in args[:4])
    m, n = c_in * kh * kw, c_out * kh * kw  # fan_in, fan_out
    where = f"{name}({', '.join(str(int(v)) for v in args[:4])})"
    N = w.size
    a = math.sqrt(6.0 / (m + n))
    top = float(np.max(np.abs(w)))
    if top > a * (1 + 1e-12):
        return Verdict(
            False,
            f"{where}: a weight of size {top:.4g} lies outside the bound a = √(6/(fan_in+fan_out)) = {a:.4g}",
        )
    if top < a * (1 - 30.0 / N):  # P(max|w| < a(1 − t)) = (1 − t)^N ≈ e^{−30}
        return Verdict(
            False,
            f"{where}: the largest |weight| is {top:.4g}, far below the "
            f"bound a = {a:.4g}: the weights do not fill (−a, a)",
        )
    checks = [
        _within("the mean of the weights", float(w.mean()), 0.0, math.sqrt(a * a / 3 / N)),
        _within(
            "the variance of the weights (mean of w²)", float(np.mean(w * w)), a * a / 3, math.sqrt(4 * a**4 / 45 / N)
        ),
    ]
    for ok, msg in checks:
        if not ok:
            return Verdict(False, f"{where} over {N} samples: {msg}")
    return _ks(where, w, uniform_cdf(a), f"the uniform law on (−a, a), a = {a:.4g}") or Verdict(True, "", 0.0)


def he_props(args, kwargs, expected, got, rtol, atol) -> Verdict:
    """He/Kaiming normal for ReLU: N(0, 2/fan_in)."""
    w, bad = _common("he_normal", args, got)
    if bad is not None:
        return bad
    m, n = int(args[0]), int(args[1])
    N = w.size
    var = 2.0 / m
    sd = math.sqrt(var)
    checks = [
        _within("the mean of the weights", float(w.mean()), 0.0, math.sqrt(var / N)),
        _within("the variance of the weights (mean of w²)", float(np.mean(w * w)), var, var * math.sqrt(2.0 / N)),
    ]
    for ok, msg in checks:
        if not ok:
            return Verdict(False, f"he_normal({m}, {n}) over {N} samples: {msg}")
    return _ks(f"he_normal({m}, {n})", w, normal_cdf(sd), f"the normal law N(0, 2/fan_in), sd {sd:.4g}") \
        or Verdict(True, "", 0.0)


def activation_stats(ns, x, weights, activation):
    """forward_activation_stats as two float arrays (lists are accepted from the student)."""
    means, stds = ns["forward_activation_stats"](
        np.array(x, dtype=float), [np.array(W, dtype=float) for W in weights], activation
    )
    return np.asarray(means, dtype=float), np.asarray(stds, dtype=float)


def bn_forward(ns, x, gamma, beta, eps):
    """The output of batchnorm_forward (the cache is the student's own business)."""
    out, _cache = ns["batchnorm_forward"](
        np.array(x, dtype=float), np.array(gamma, dtype=float), np.array(beta, dtype=float), eps
    )
    return np.asarray(out, dtype=float)


def bn_backward(ns, x, gamma, beta, eps, dout):
    """batchnorm_backward(dout, cache) with the cache of the student's own batchnorm_forward."""
    _out, cache = ns["batchnorm_forward"](
        np.array(x, dtype=float), np.array(gamma, dtype=float), np.array(beta, dtype=float), eps
    )
    dx, dgamma, dbeta = ns["batchnorm_backward"](np.array(dout, dtype=float), cache)
    return np.asarray(dx, dtype=float), np.asarray(dgamma, dtype=float), np.asarray(dbeta, dtype=float)


# ---------------------------------------------------------------- a residual block


def _res_pair(ns, x, W1, b1, W2, b2):
    """(out, cache) of the student's residual_block_forward, checked to be a pair."""
    out = ns["residual_block_forward"](*(np.array(v, dtype=float) for v in (x, W1, b1, W2, b2)))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("residual_block_forward must return a pair (out, cache)")
    return out


def res_forward(ns, x, W1, b1, W2, b2):
    """The output of residual_block_forward (the cache is the student's own business)."""
    return np.asarray(_res_pair(ns, x, W1, b1, W2, b2)[0], dtype=float)


def res_backward(ns, x, W1, b1, W2, b2, dout):
    """residual_block_backward(dout, cache) with the cache of the student's own residual_block_forward."""
    grads = ns["residual_block_backward"](np.array(dout, dtype=float), _res_pair(ns, x, W1, b1, W2, b2)[1])
    if not isinstance(grads, (tuple, list)) or len(grads) != 5:
        raise TypeError("residual_block_backward must return five arrays (dx, dW1, db1, dW2, db2)")
    return tuple(np.asarray(g, dtype=float) for g in grads)


def residual_case(rng, N, D, H, kinks=False, dout=False):
    """(x, W1, b1, W2, b2[, dout]); kinks=True puts exact zeros into the hidden pre-activation (ReLU's kink)."""
    x = rng.normal(size=(N, D))
    W1, b1 = rng.normal(size=(D, H)) * np.sqrt(2.0 / D), rng.normal(size=H) * 0.1
    W2, b2 = rng.normal(size=(H, D)) * np.sqrt(1.0 / H), rng.normal(size=D) * 0.1
    if kinks:  # zero the first hidden unit's pre-activation exactly: x·W1[:, 0] + b1[0] = 0 for every row
        W1[:, 0] = 0.0
        b1[0] = 0.0
    args = (x, W1, b1, W2, b2) + ((rng.normal(size=(N, D)),) if dout else ())
    return case(*args)


def _pub_res_fwd():
    r = np.random.default_rng(21)
    x = np.array([[1.0, -2.0], [0.5, 0.0]])
    W1 = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]])
    W2 = np.array([[1.0, 0.0], [-1.0, 1.0], [0.5, 0.5]])
    return [case(x, W1, np.array([0.0, 0.5, -0.5]), W2, np.array([0.1, -0.1])), residual_case(r, 5, 4, 6)]


def _pub_res_bwd():
    r = np.random.default_rng(22)
    return [residual_case(r, 4, 3, 5, dout=True), residual_case(r, 3, 4, 2, kinks=True, dout=True)]


def bn_gradient_check(ns, x, gamma, beta, eps, dout):
    """The student's (dx, dgamma, dbeta) beside centred differences of Σ dout·y through the student's forward."""
    fwd = ns["batchnorm_forward"]
    x, gamma, beta, dout = (np.array(v, dtype=float) for v in (x, gamma, beta, dout))
    dx, dgamma, dbeta = ns["batchnorm_backward"](dout, fwd(x, gamma, beta, eps)[1])

    def loss(x_, g_, b_):
        return float(np.sum(np.asarray(fwd(x_, g_, b_, eps)[0], dtype=float) * dout))

    return list(zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), numerical_gradients(loss, (x, gamma, beta))))


def res_gradient_check(ns, x, W1, b1, W2, b2, dout):
    """The student's five gradients beside centred differences of Σ dout·out through the student's forward."""
    params = [np.array(v, dtype=float) for v in (x, W1, b1, W2, b2)]
    dout = np.array(dout, dtype=float)
    grads = res_backward(ns, *params, dout)

    def loss(*ps):
        return float(np.sum(np.asarray(_res_pair(ns, *ps)[0], dtype=float) * dout))

    names = ("dx", "dW1", "db1", "dW2", "db2")
    return list(zip(names, grads, numerical_gradients(loss, params)))


def _grad_check(fn):
    """Adapt a check written with named arguments to gradient_check's (ns, args, kwargs)."""
    def gradient_check(ns, args, kwargs):
        return fn(ns, *args, **kwargs)

    gradient_check.__name__ = fn.__name__
    return gradient_check


def _batch(v):
    return [Factor(np.shape(v["x"])[0], "N, the batch size (x.shape[0])", "did you sum where the mean is asked?",
                   "did you divide by N once too often?")]


STATS_HINTS = Hints(outputs=("means", "stds"))
def _unbiased(v):
    n = np.shape(v["x"])[0]
    return [Factor(math.sqrt(n / (n - 1)), "√(N/(N − 1)) for the batch size N",
                   "did you divide the variance by N where N − 1 is asked?",
                   "did you divide the variance by N − 1 (unbiased) where N is asked?")] if n > 1 else []


BN_FORWARD_HINTS = Hints(factors=_unbiased)
BN_BACKWARD_HINTS = Hints(outputs=("dx", "dgamma", "dbeta"), factors=_batch)
RES_BACKWARD_HINTS = Hints(outputs=("dx", "dW1", "db1", "dW2", "db2"), factors=_batch)

INIT_EDGES = ("very unequal fans", "tiny layer drawn many times")
CONV_EDGES = ("very unequal fans", "tiny kernel drawn many times", "non-square kernel",
              "1×1 kernel (no receptive field)")
RES_EDGES = ("batch of one", "exact zeros at the ReLU kink", "hidden layer wider than the input")

BN = ("x", "gamma", "beta", "eps")
RES = ("x", "W1", "b1", "W2", "b2")

HOMEWORK = Homework(
    name="hw05_initialization",
    exercises=[
        Exercise("xavier_uniform_conv", 2, _pub_conv(), params=("c_out", "c_in", "kh", "kw", "rng"),
                 driver=draw_xavier, check=xavier_props, shown_call=show_conv, student_call=conv_call,
                 derivation_first=True, edge_cases=CONV_EDGES),
        Exercise("he_normal", 2, _pub_init(), params=("fan_in", "fan_out", "rng"), driver=draw_he, check=he_props,
                 shown_call=_show_init("he_normal"), student_call=_init_call("he_normal"), derivation_first=True,
                 edge_cases=INIT_EDGES),
        Exercise("forward_activation_stats", 2, _pub_stats(), params=("x", "weights", "activation"),
                 driver=activation_stats, hints=STATS_HINTS, rtol=1e-07, atol=1e-10,
                 edge_cases=("a single layer", "batch of one", "saturating sigmoid (large pre-activations)")),
        Exercise("batchnorm_forward", 2, _pub_bn(), params=BN, driver=bn_forward, hints=BN_FORWARD_HINTS,
                 rtol=1e-06, atol=1e-08,
                 edge_cases=("constant feature (zero variance)", "large offset (|mean| ≫ std)")),
        Exercise("batchnorm_backward", 3, _pub_bn_back(), params=("dout", "cache"), driver=bn_backward,
                 rtol=1e-05, atol=1e-08, shown_call=show_bn_backward,
                 student_call=cache_call("batchnorm_backward", BN, "batchnorm_forward"), hints=BN_BACKWARD_HINTS,
                 derivation_first=True, edge_cases=("constant feature (zero variance)", "batch of two"),
                 gradient_check=_grad_check(bn_gradient_check)),
        Exercise("layernorm_forward", 1, _pub_ln(), params=BN, rtol=1e-06, atol=1e-08,
                 edge_cases=("batch of one", "large offset (|mean| ≫ std)")),
        Exercise("residual_block_forward", 1, _pub_res_fwd(), params=RES, driver=res_forward, rtol=1e-09,
                 atol=1e-12, edge_cases=RES_EDGES),
        Exercise("residual_block_backward", 3, _pub_res_bwd(), params=("dout", "cache"), driver=res_backward,
                 rtol=1e-07, atol=1e-10, student_call=cache_call("residual_block_backward", RES,
                                                                   "residual_block_forward"),
                 hints=RES_BACKWARD_HINTS, derivation_first=True, edge_cases=RES_EDGES,
                 gradient_check=_grad_check(res_gradient_check)),
    ],
)
