"""hw05: the reference scores full marks, classic mistakes lose exactly their exercise, maths replayed in torch."""

from __future__ import annotations

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, grade_solution, reference_namespace
from test_hints import assert_no_hint, expect_hint

from course_lib.compare import rel_error
from course_lib.grading.homework import hw05_initialization as H
from course_lib.grading.run import Namespace


@pytest.fixture(scope="module")
def ref():
    return reference_namespace("hw05")


def test_solution_full_marks():
    r = grade_solution("hw05")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


# --- classic mistakes, one exercise each -----------------------------------------------------------------
# Each also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint); the
# initializers are judged by properties (no expected values), so they never get one.

def test_mutant_xavier_conv_fans_from_the_channels_alone():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(6.0 / (c_in + c_out))    # the receptive field kh·kw forgotten in both fans
    return rng.uniform(-a, a, size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_xavier_conv_receptive_field_only_in_fan_in():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(6.0 / (c_in * kh * kw + c_out))
    return rng.uniform(-a, a, size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_xavier_conv_lecun_variance():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(3.0 / (c_in * kh * kw))          # Var = 1/fan_in: LeCun, not Glorot
    return rng.uniform(-a, a, size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_xavier_conv_normal_with_bound_as_std():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    fan_in, fan_out = c_in * kh * kw, c_out * kh * kw
    return rng.normal(0.0, np.sqrt(6.0 / (fan_in + fan_out)), size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_xavier_conv_forgot_factor_three():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(2.0 / (c_in * kh * kw + c_out * kh * kw))
    return rng.uniform(-a, a, size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_xavier_conv_channels_last_layout():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(6.0 / (c_in * kh * kw + c_out * kh * kw))
    return rng.uniform(-a, a, size=(kh, kw, c_in, c_out))   # TensorFlow's HWIO layout, not (c_out, c_in, kh, kw)
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)
    msgs = [c.message for e in res.exercises if e.name == "xavier_uniform_conv" for c in e.cases
            if not c.ok and c.message.startswith("public")]
    assert msgs and all("expected shape" in m and "(c_out, c_in, kh, kw)" in m for m in msgs), msgs


def test_mutant_xavier_conv_global_rng():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(6.0 / (c_in * kh * kw + c_out * kh * kw))
    return np.random.uniform(-a, a, size=(c_out, c_in, kh, kw))
''', {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)


def test_mutant_he_fan_out():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_out), size=(fan_in, fan_out))
''', {"he_normal"})
    expect_hint(res, "he_normal", None)


def test_mutant_he_variance_passed_as_std():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))
''', {"he_normal"})
    expect_hint(res, "he_normal", None)


def test_mutant_he_uniform_same_variance():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def he_normal(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_in)          # right variance, wrong distribution
    return rng.uniform(-a, a, size=(fan_in, fan_out))
''', {"he_normal"})
    expect_hint(res, "he_normal", None)


def test_mutant_he_transposed_shape():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
''', {"he_normal"})
    expect_hint(res, "he_normal", None)


# Draws from discrete laws with the right mean, variance, range and band fractions (the attack): only the
# law itself tells them apart (Kolmogorov–Smirnov; tests/test_property_checks.py).
DISCRETE_HE = '''
import numpy as np
def he_normal(fan_in, fan_out, rng):
    sd = np.sqrt(2.0 / fan_in)
    p = (1 - 0.6826894921370859) / 2          # P(|z| > 1): 0 inside one sd, ±c outside, variance sd²
    c = sd / np.sqrt(2 * p)
    return rng.choice([-c, 0.0, c], p=[p, 1 - 2 * p, p], size=(fan_in, fan_out))
'''

DISCRETE_XAVIER = '''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(6.0 / (c_in * kh * kw + c_out * kh * kw))
    mids = a * ((np.arange(8) + 0.5) / 4 - 1)   # 8 bin midpoints, and the bounds ±a now and then
    atoms = np.concatenate([mids, [-a, a]])
    p = np.concatenate([np.full(8, 0.998 / 8), [0.001, 0.001]])
    return rng.choice(atoms, p=p, size=(c_out, c_in, kh, kw))
'''


def test_mutant_he_discrete_law_with_the_right_moments():
    res = assert_mutant_loses_only("hw05", DISCRETE_HE, {"he_normal"})
    expect_hint(res, "he_normal", None)
    assert res.exercises[1].points == 0, [c.message for c in res.exercises[1].cases]


def test_mutant_xavier_discrete_law_with_the_right_moments():
    res = assert_mutant_loses_only("hw05", DISCRETE_XAVIER, {"xavier_uniform_conv"})
    expect_hint(res, "xavier_uniform_conv", None)
    assert res.exercises[0].points == 0, [c.message for c in res.exercises[0].cases]


def test_independent_correct_initializers_get_full_marks():
    """Other correct ways to draw: a scaled standard uniform (fans from torch's rule for any kernel rank), Box–Muller
    from uniforms, the inverse normal CDF."""
    for src in ('''
import numpy as np
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    shape = (c_out, c_in, kh, kw)
    receptive = int(np.prod(shape[2:]))
    limit = (6.0 / (shape[1] * receptive + shape[0] * receptive)) ** 0.5
    return (2.0 * rng.random(shape) - 1.0) * limit
def he_normal(fan_in, fan_out, rng):
    u1, u2 = 1.0 - rng.random((fan_in, fan_out)), rng.random((fan_in, fan_out))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2) * np.sqrt(2.0 / fan_in)
''', '''
import numpy as np
from statistics import NormalDist
def he_normal(fan_in, fan_out, rng):
    u = rng.random(fan_in * fan_out)
    z = np.array([NormalDist().inv_cdf(float(v)) for v in u])
    return (z * (2.0 / fan_in) ** 0.5).reshape(fan_in, fan_out)
'''):
        r = grade_solution("hw05", src)
        assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_mutant_stats_of_preactivations():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def forward_activation_stats(x, weights, activation):
    g = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "linear": lambda z: z}[activation]
    h, means, stds = np.asarray(x, float), [], []
    for W in weights:
        z = h @ W
        means.append(z.mean()); stds.append(z.std())   # statistics before the activation
        h = g(z)
    return np.array(means), np.array(stds)
''', {"forward_activation_stats"})
    expect_hint(res, "forward_activation_stats", None)


def test_mutant_bn_backward_constant_statistics():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def batchnorm_backward(dout, cache):
    xhat, inv_std, gamma = cache
    return dout * gamma * inv_std, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
''', {"batchnorm_backward"})
    expect_hint(res, "batchnorm_backward", ("output", "only dx differs (dgamma and dbeta are right)"))


def test_mutant_bn_backward_forgot_mean_path():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def batchnorm_backward(dout, cache):
    xhat, inv_std, gamma = cache
    n = dout.shape[0]
    g = dout * gamma
    dx = inv_std / n * (n * g - xhat * np.sum(g * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
''', {"batchnorm_backward"})
    expect_hint(res, "batchnorm_backward", ("output", "only dx differs (dgamma and dbeta are right)"))


def test_mutant_layernorm_over_batch_axis():
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def layernorm_forward(x, gamma, beta, eps):
    mu, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
''', {"layernorm_forward"})
    expect_hint(res, "layernorm_forward", None)


def test_mutant_bn_unbiased_variance_costs_forward_and_backward():
    # the backward pass is graded through the student's own forward cache, so both lose points
    res = assert_mutant_loses_only("hw05", '''
import numpy as np
def batchnorm_forward(x, gamma, beta, eps):
    mu = x.mean(axis=0); var = x.var(axis=0, ddof=1)
    inv_std = 1 / np.sqrt(var + eps); xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (xhat, inv_std, gamma)
''', {"batchnorm_forward", "batchnorm_backward"})
    expect_hint(res, "batchnorm_backward", None)
    # (a factor only where γ = 1 and β = 0: √(N/(N − 1)) on x̂)
    expect_hint(res, "batchnorm_forward", ("factor", "0.866 × the expected everywhere: √(N/(N − 1)) for the batch"))


# --- the property checks themselves ------------------------------------------------------------------------

def test_property_checks_pass_reference_over_many_seeds(ref):
    ns = Namespace(ref)
    for seed in range(25):
        for m, n in [(200, 300), (3, 7), (57, 13)]:
            draws = max(1, int(np.ceil(60_000 / (m * n))))
            args = [m, n, seed, draws]
            assert H.he_props(args, {}, None, H.draw_he(ns, *args), 0, 0).ok
        for shape in [(32, 16, 3, 3), (3, 1, 5, 2), (2, 7, 1, 1)]:
            args = [*shape, seed, H.conv_draws(*shape)]
            assert H.xavier_props(args, {}, None, H.draw_xavier(ns, *args), 0, 0).ok


def test_property_check_messages_are_specific(ref):
    ns = Namespace(dict(ref, he_normal=lambda m, n, rng: rng.normal(0, np.sqrt(2 / n), size=(m, n))))
    v = H.he_props([200, 300, 1, 1], {}, None, H.draw_he(ns, 200, 300, 1, 1), 0, 0)
    assert not v.ok and "variance" in v.message
    ns = Namespace(dict(ref, xavier_uniform_conv=lambda o, i, kh, kw, rng: rng.uniform(-1, 1, size=(i, o, kh, kw))))
    v = H.xavier_props([32, 16, 3, 3, 1, 1], {}, None, H.draw_xavier(ns, 32, 16, 3, 3, 1, 1), 0, 0)
    assert not v.ok and "expected shape (32, 16, 3, 3) = (c_out, c_in, kh, kw)" in v.message


def test_xavier_conv_matches_torch_fans_and_bound(ref):
    """torch.nn.init.xavier_uniform_ on a Conv2d weight uses the same fans and bound as the reference."""
    import math

    import torch

    for shape in [(32, 16, 3, 3), (3, 1, 5, 2), (8, 64, 1, 1)]:
        t = torch.empty(shape, dtype=torch.float64)
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(t)
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        torch.nn.init.xavier_uniform_(t)
        rng = np.random.default_rng(0)
        w = np.stack([ref["xavier_uniform_conv"](*shape, rng) for _ in range(200)])
        assert w.shape[1:] == shape
        assert float(t.abs().max()) <= bound and float(np.abs(w).max()) <= bound
        assert float(np.abs(w).max()) > 0.99 * bound  # P(all 200·N below) ≤ 0.99^6000


# --- maths: torch float64 replays and gradient checks ------------------------------------------------------

def _num_grad(f, v, h=1e-5):
    g = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        old = v[idx]
        v[idx] = old + h
        fp = f()
        v[idx] = old - h
        fm = f()
        v[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def test_batchnorm_matches_torch_and_centred_differences(ref):
    import torch

    rng = np.random.default_rng(3)
    for n, d in [(6, 4), (2, 3), (32, 5)]:
        x = rng.normal(size=(n, d)) * 2 + 0.5
        gamma, beta, dout = rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d))
        out, cache = ref["batchnorm_forward"](x, gamma, beta, 1e-5)
        dx, dg, db = ref["batchnorm_backward"](dout, cache)
        xt = torch.tensor(x, requires_grad=True)
        gt = torch.tensor(gamma, requires_grad=True)
        bt = torch.tensor(beta, requires_grad=True)
        ot = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
        ot.backward(torch.tensor(dout))
        assert rel_error(out, ot.detach().numpy()) < 1e-10
        assert rel_error(dx, xt.grad.numpy()) < 1e-8
        assert rel_error(dg, gt.grad.numpy()) < 1e-10
        assert rel_error(db, bt.grad.numpy()) < 1e-10

        def f(x=x, gamma=gamma, beta=beta, dout=dout):
            return float(np.sum(ref["batchnorm_forward"](x, gamma, beta, 1e-5)[0] * dout))

        assert rel_error(dx, _num_grad(f, x)) < 1e-5  # n = 2: tiny gradients
        assert rel_error(dg, _num_grad(f, gamma)) < 1e-7
        assert rel_error(db, _num_grad(f, beta)) < 1e-7


def test_layernorm_matches_torch(ref):
    import torch

    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 6)) * 3 - 1
    g, b = rng.normal(size=6), rng.normal(size=6)
    want = torch.nn.functional.layer_norm(torch.tensor(x), (6,), torch.tensor(g), torch.tensor(b), eps=1e-5)
    assert rel_error(ref["layernorm_forward"](x, g, b, 1e-5), want.numpy()) < 1e-10


def test_activation_stats_match_torch(ref):
    import torch

    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 8))
    ws = [rng.normal(size=(8, 12)) * 0.5, rng.normal(size=(12, 12)) * 0.3, rng.normal(size=(12, 3))]
    for act, fn in [("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid),
                    ("linear", lambda z: z)]:
        means, stds = ref["forward_activation_stats"](x, ws, act)
        h = torch.tensor(x)
        for i, W in enumerate(ws):
            h = fn(h @ torch.tensor(W))
            assert abs(means[i] - float(h.mean())) < 1e-12
            assert abs(stds[i] - float(h.std(unbiased=False))) < 1e-12


# ---------------------------------------------------------------- the residual block

_RES = '''
import numpy as np
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    h = np.maximum(z, 0.0)
    return {out}, (x, W1, W2, z, h)
def residual_block_backward(dout, cache):
    x, W1, W2, z, h = cache
    dz = (dout @ W2.T) * {mask}
    return {dx}, x.T @ dz, {db1}, {dW2}, dout.sum(axis=0)
'''
_RES_OK = dict(out="x + h @ W2 + b2", mask="(z > 0)", dx="dout + dz @ W1.T", db1="dz.sum(axis=0)",
               dW2="h.T @ dout")


def test_residual_template_is_right_when_unchanged():
    assert_no_hint(grade_solution("hw05", _RES.format(**_RES_OK)))  # full marks, no hint


RES_HINTS = {
    "relu-after-add": None, "no-skip": None,
    "no-identity-gradient": ("output", "only dx differs (dW1, db1, dW2 and db2 are right)"),
    # the kink case zeroes W1's first column and b1's first entry, so the pre-activation is 0 there
    "kink-gradient-one": ("kink", "differs only where W1 is exactly 0", "at the kink, use the value"),
    "mean-bias": ("factor", "only db1 differs", "is N, the batch size (x.shape[0]), did you divide by N once too "
                                                "often?"),
    "dW2-transposed": ("transpose", "only dW2 differs (dx, dW1, db1 and db2 are right): your dW2 is the expected "
                                    "transposed"),
}


@pytest.mark.parametrize("change,broken", [
    ({"out": "np.maximum(x + h @ W2 + b2, 0)"}, "residual_block_forward"),  # a ReLU after the addition
    ({"out": "h @ W2 + b2"}, "residual_block_forward"),  # no skip: a plain layer
    ({"dx": "dz @ W1.T"}, "residual_block_backward"),  # the identity path's gradient forgotten
    ({"mask": "(z >= 0)"}, "residual_block_backward"),  # ReLU' = 1 at the kink (the hidden cases hit z = 0)
    ({"db1": "dz.mean(axis=0)"}, "residual_block_backward"),  # bias gradient averaged over the batch
    ({"dW2": "dout.T @ h"}, "residual_block_backward"),  # the weight gradient transposed
], ids=["relu-after-add", "no-skip", "no-identity-gradient", "kink-gradient-one", "mean-bias", "dW2-transposed"])
def test_mutant_residual_block(change, broken, request):
    res = assert_mutant_loses_only("hw05", _RES.format(**{**_RES_OK, **change}), {broken})
    expect_hint(res, broken, RES_HINTS[request.node.callspec.id])


def test_residual_block_reference_matches_torch_and_centred_differences():
    import torch
    from gradeutil import reference_namespace

    from course_lib.grading.homework.hw05_initialization import residual_case

    ns = reference_namespace("hw05")
    rng = np.random.default_rng(3)
    x, W1, b1, W2, b2, dout = residual_case(rng, 6, 4, 7, dout=True).args
    out, cache = ns["residual_block_forward"](x, W1, b1, W2, b2)
    grads = ns["residual_block_backward"](dout, cache)
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, W1, b1, W2, b2)]
    t_out = leaves[0] + torch.relu(leaves[0] @ leaves[1] + leaves[2]) @ leaves[3] + leaves[4]
    (t_out * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-12)
    for g, leaf in zip(grads, leaves):
        np.testing.assert_allclose(g, leaf.grad.numpy(), rtol=1e-10, atol=1e-12)
    h = 1e-6
    num = np.zeros_like(W1)
    for idx in np.ndindex(*W1.shape):
        up, down = W1.copy(), W1.copy()
        up[idx] += h
        down[idx] -= h
        num[idx] = (np.sum(ns["residual_block_forward"](x, up, b1, W2, b2)[0] * dout)
                    - np.sum(ns["residual_block_forward"](x, down, b1, W2, b2)[0] * dout)) / (2 * h)
    assert rel_error(num, grads[1]) < 1e-7
