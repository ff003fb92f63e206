"""hw04: the reference scores full marks, classic mistakes lose exactly their exercise, the reference agrees
with torch.autograd in float64 and with centred differences, and a student's own cache format works."""

from __future__ import annotations

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, expected, grade_solution

from course_lib import layers
from course_lib.autodiff import rel_error
from course_lib.grading.homework import load_homework


def test_solution_full_marks():
    r = grade_solution("hw04")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_exercises_match_design_table():
    names = [e.name for e in load_homework("hw04").exercises]
    assert names == ["linear_forward", "linear_backward", "relu_forward", "relu_backward", "sigmoid_forward",
                     "sigmoid_backward", "tanh_forward", "tanh_backward", "softmax_cross_entropy",
                     "mlp_loss_and_grads"]


def test_own_cache_format_scores_full():
    """A dict cache for linear, the input (not the output) cached for sigmoid/tanh: still full marks."""
    r = grade_solution("hw04", '''
import numpy as np
def linear_forward(x, W, b):
    return x.dot(W) + b, {"input": x, "weight": W}
def linear_backward(dout, cache):
    return dout.dot(cache["weight"].T), cache["input"].T.dot(dout), np.sum(dout, axis=0)
def sigmoid_forward(x):
    return 0.5 * (1 + np.tanh(x / 2)), x
def sigmoid_backward(dout, x):
    s = 0.5 * (1 + np.tanh(x / 2))
    return dout * s * (1 - s)
def tanh_forward(x):
    return np.tanh(x), [x]
def tanh_backward(dout, cache):
    return dout / np.cosh(cache[0]) ** 2
''')
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


# ------------------------------------------------------------------------------------------------ mutants


def test_mutant_bias_gradient_not_summed_over_batch():
    assert_mutant_loses_only("hw04", '''
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
''', {"linear_backward"})


def test_mutant_linear_forward_forgets_bias():
    assert_mutant_loses_only("hw04", '''
def linear_forward(x, W, b):
    return x @ W, (x, W)
''', {"linear_forward"})


def test_mutant_sigmoid_derivative_of_input():
    """σ'(x) = x(1 − x) instead of σ(x)(1 − σ(x))."""
    assert_mutant_loses_only("hw04", '''
import numpy as np
def sigmoid_forward(x):
    return np.exp(-np.logaddexp(0.0, -x)), x
def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)
''', {"sigmoid_backward"})


def test_mutant_tanh_derivative_uses_input():
    assert_mutant_loses_only("hw04", '''
import numpy as np
def tanh_forward(x):
    return np.tanh(x), x
def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)
''', {"tanh_backward"})


def test_mutant_relu_gradient_one_at_zero():
    assert_mutant_loses_only("hw04", '''
def relu_backward(dout, cache):
    return dout * (cache >= 0)
''', {"relu_backward"})


def test_mutant_relu_forward_leaky():
    assert_mutant_loses_only("hw04", '''
import numpy as np
def relu_forward(x):
    return np.where(x > 0, x, 0.01 * x), x
''', {"relu_forward"})


def test_mutant_softmax_gradient_missing_one_over_n():
    assert_mutant_loses_only("hw04", '''
import numpy as np
def softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(np.maximum(p[np.arange(n), y], 1e-300)))
    d = p.copy(); d[np.arange(n), y] -= 1
    return loss, d
''', {"softmax_cross_entropy"})


def test_mutant_softmax_unstable_overflows():
    """No max shift: exp(1000) overflows to inf and the loss becomes nan."""
    assert_mutant_loses_only("hw04", '''
import numpy as np
def softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(n), y]))
    d = p.copy(); d[np.arange(n), y] -= 1
    return loss, d / n
''', {"softmax_cross_entropy"})


def test_mutant_mlp_forgets_relu_mask_in_backward():
    assert_mutant_loses_only("hw04", '''
import numpy as np
def mlp_loss_and_grads(params, X, y):
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0)
    z = h @ params["W2"] + params["b2"]
    loss, dz = softmax_cross_entropy(z, y)
    dh = dz @ params["W2"].T
    return loss, {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ dz, "b2": dz.sum(0)}
''', {"mlp_loss_and_grads"})


def test_mlp_graded_with_course_layers_so_layer_bugs_do_not_cascade():
    """A buggy linear_backward used inside mlp_loss_and_grads costs only linear_backward."""
    assert_mutant_loses_only("hw04", '''
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)
''', {"linear_backward"})


# ------------------------------------------------------------------------------------------------ references

torch = pytest.importorskip("torch")


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def test_reference_layers_match_torch():
    ex = expected("hw04")
    hw = load_homework("hw04")
    fns = {"linear": lambda x, W, b: x @ W + b, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    for layer in ("linear", "relu", "sigmoid", "tanh"):
        public, hidden, outs = ex.get(hw.exercise(f"{layer}_backward"))
        for c, o in zip(public + hidden, outs):
            inputs, dout = c.args[1], c.args[2]
            ts = [_t(a) for a in inputs]
            out = fns[layer](*ts)
            out.backward(torch.as_tensor(dout, dtype=torch.float64))
            got = o["value"] if isinstance(o["value"], tuple) else (o["value"],)
            for g, t in zip(got, ts):
                np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, atol=1e-14)
        public, hidden, outs = ex.get(hw.exercise(f"{layer}_forward"))
        for c, o in zip(public + hidden, outs):
            ref = fns[layer](*[_t(a, False) for a in c.args[1:]]).numpy()
            np.testing.assert_allclose(o["value"], ref, rtol=1e-12, atol=1e-14)


def test_reference_softmax_ce_matches_torch():
    ex = expected("hw04")
    public, hidden, outs = ex.get(load_homework("hw04").exercise("softmax_cross_entropy"))
    for c, o in zip(public + hidden, outs):
        z = _t(c.args[0])
        loss = torch.nn.functional.cross_entropy(z, torch.as_tensor(c.args[1], dtype=torch.long))
        loss.backward()
        assert o["value"][0] == pytest.approx(float(loss.detach()), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(o["value"][1], z.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_reference_mlp_matches_torch_and_centred_differences():
    ex = expected("hw04")
    public, hidden, outs = ex.get(load_homework("hw04").exercise("mlp_loss_and_grads"))
    for c, o in zip(public + hidden, outs):
        params, X, y = c.args
        tp = {k: _t(v) for k, v in params.items()}
        z = torch.relu(_t(X, False) @ tp["W1"] + tp["b1"]) @ tp["W2"] + tp["b2"]
        loss = torch.nn.functional.cross_entropy(z, torch.as_tensor(y, dtype=torch.long))
        loss.backward()
        val, grads = o["value"]
        assert val == pytest.approx(float(loss.detach()), rel=1e-12)
        for k in tp:
            np.testing.assert_allclose(grads[k], tp[k].grad.numpy(), rtol=1e-10, atol=1e-13)
        p = {k: np.array(v, dtype=float) for k, v in params.items()}
        errs = layers.grad_check_params(lambda q, X=X, y=y: layers.mlp_loss_and_grads(q, X, y)[0], p, grads)
        assert max(errs.values()) < 1e-6, errs


def test_course_layers_gradient_checks():
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
    assert max(layers.grad_check_layer(layers.linear_forward, layers.linear_backward, [x, W, b],
                                       rng.normal(size=(4, 3)))) < 1e-8
    for act in ("relu", "sigmoid", "tanh"):
        fwd, bwd = layers.ACTIVATIONS[act]
        assert layers.grad_check_layer(fwd, bwd, [rng.normal(size=(3, 4))], rng.normal(size=(3, 4)))[0] < 1e-8
    for act in ("relu", "tanh", "sigmoid"):
        params = layers.init_mlp([2, 5, 4, 3], seed=1)
        Xs, ys = rng.normal(size=(6, 2)), rng.integers(0, 3, size=6)
        loss, grads = layers.mlp_loss_and_grads(params, Xs, ys, act, weight_decay=0.1)
        errs = layers.grad_check_params(lambda q, Xs=Xs, ys=ys, act=act: layers.mlp_loss_and_grads(
            q, Xs, ys, act, 0.1)[0], params, grads)
        assert max(errs.values()) < 1e-6, (act, errs)


def test_train_mlp_learns_spirals():
    from course_lib.data import spirals

    X, y = spirals(n=60, classes=3, seed=0)
    r = layers.train_mlp(X, y, hidden=[32], lr=1.0, steps=600, seed=0)
    assert r["accuracy"][-1] > 0.85
    assert rel_error(r["loss"][0], r["loss"][-1]) > 0.5
