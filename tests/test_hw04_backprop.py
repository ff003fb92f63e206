"""hw04: the reference scores full marks, classic mistakes lose exactly their exercise, the reference agrees
with torch.autograd in float64 (and with centred differences), a student's own cache format works, and the
homework ships no answer (its graded bodies differ from the lecture's toolkit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, expected, grade_solution, reference_namespace
from test_hints import assert_no_hint, expect_hint

from autograder.release.leaks import leaks
from course_lib.autodiff import numerical_gradient_array, rel_error
from course_lib.grading.homework import load_homework

HW = "hw04"


def test_solution_full_marks():
    r = grade_solution(HW)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_exercises_and_points():
    hw = load_homework(HW)
    assert [e.name for e in hw.exercises] == [
        "leaky_relu_forward", "leaky_relu_backward", "gelu_forward", "gelu_backward", "embedding_forward",
        "embedding_backward", "bce_with_logits", "skip_mlp_loss_and_grads"]
    assert hw.max_points == 12.5


def test_derivation_first_and_edge_cases_are_labelled():
    """At least half the points are derivation-first, and every edge case labels a hidden case."""
    from autograder.hidden import hidden_cases

    hw = load_homework(HW)
    assert sum(e.points for e in hw.exercises if e.derivation_first) >= 0.5 * hw.max_points
    for ex in hw.exercises:
        assert ex.edge_cases, ex.name
        covered = {label for c in hidden_cases(hw, ex, "seed-a") for label in c.covers}
        assert set(ex.edge_cases) <= covered, (ex.name, set(ex.edge_cases) - covered)
        assert covered <= set(ex.edge_cases), (ex.name, covered - set(ex.edge_cases))


def test_no_graded_answer_is_shipped():
    root = Path(__file__).resolve().parents[1]
    assert leaks(root, [load_homework(HW)]) == []


def test_own_cache_format_scores_full():
    """Caching the output and alpha in a dict, only the input for GELU, the whole table for the embedding."""
    r = grade_solution(HW, '''
import numpy as np
def leaky_relu_forward(x, alpha=0.01):
    out = np.maximum(x, alpha * x)
    return out, {"out": out, "slope": alpha}
def leaky_relu_backward(dout, cache):
    return dout * np.where(cache["out"] > 0, 1.0, cache["slope"])
def gelu_forward(x):
    c = np.sqrt(2 / np.pi)
    return 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3))), [x]
def gelu_backward(dout, cache):
    x = cache[0]
    c = np.sqrt(2 / np.pi)
    u = c * (x + 0.044715 * x**3)
    sech2 = 1 - np.tanh(u) ** 2
    return dout * (0.5 * (1 + np.tanh(u)) + 0.5 * x * sech2 * c * (1 + 0.134145 * x**2))
def embedding_forward(idx, W):
    return np.take(W, idx, axis=0), (idx, W)
def embedding_backward(dout, cache):
    idx, W = cache
    flat = idx.reshape(-1)
    onehot = np.zeros((flat.size, W.shape[0])); onehot[np.arange(flat.size), flat] = 1.0
    return onehot.T @ dout.reshape(flat.size, -1)
''')
    assert_no_hint(r)  # full marks, and no case carries a hint


# ------------------------------------------------------------------------------------------------ mutants

_LEAKY_FWD = '''
def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)
'''
_GELU_FWD = '''
def gelu_forward(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), x
'''
_EMB_FWD = '''
def embedding_forward(idx, W):
    return W[idx], (idx, W.shape)
'''


def _mutant(body: str, broken: str, *pieces: str):
    return assert_mutant_loses_only(HW, "import numpy as np\n" + "".join(pieces) + body, {broken})


# The hint each mutant gets (tests/test_hints.py, expect_hint): (pattern, words of the public hint) or None, by the
# mutant's id. Mistakes that show no pattern in the numbers get none.
KINK = ("kink", "your output differs only where x is exactly 0", "at the kink, use the value the exercise asks for")
REPEATED = ("repeated", "an index that occurs more than once in idx: every occurrence must add its contribution")
HINTS = {
    "relu": None, "constant": None, "swapped": None, "default": None,  # leaky_relu_forward: no pattern
    "kink": KINK, "no-dout": None,  # leaky_relu_backward ("relu" as above)
    "erf": None, "sqrt-2pi": None, "half": ("factor", "your output is 2 × the expected everywhere: a ½ forgotten?"),
    "sigmoid": None, "product-rule": None, "inner-derivative": None, "tanh-prime": None, "power-rule": None,
    "ravel": ("reshape", "your output holds the right values in shape (6, 2) where (2, 3, 2) is expected"),
    "transposed": None, "unique": None,
    "assign": REPEATED, "plus-equals": REPEATED, "loop-first-axis": REPEATED, "unique-rows": None,
    "naive-log": ("nonfinite", "only loss differs (dlogits is right): your loss is nan where 400 is expected",
                  "the inputs reach |logits| = 800): use a stable form"),
    "one-sided": ("nonfinite", "only loss differs (dlogits is right): your loss is inf where 400 is expected"),
    "no-mean": ("factor", "only dlogits differs (loss is right): your dlogits is",
                "is the number of logits (the mean is over all of them), did you sum where the mean is asked?"),
    "sign": ("sign", "only dlogits differs (loss is right): your dlogits is the expected with the sign flipped"),
    "rows-not-entries": ("factor",),  # (N, K) logits: hidden cases only
    "x-one-path": ("output", "only grads['X'] differs (loss, grads['W1'], grads['b1'], grads['W2'], grads['b2'] "
                             "and grads['Ws'] are right)"),
    "half-split": ("factor", "loss and grads['b2'] are right; your grads['W1'], grads['b1'], grads['W2'], "
                             "grads['Ws'] and grads['X'] are each 1/2 of the expected everywhere: an extra ½?"),
    "no-mask": None,
}


@pytest.mark.parametrize("body", [
    # plain ReLU: the leak forgotten
    "def leaky_relu_forward(x, alpha=0.01):\n    return np.maximum(x, 0.0), (x, alpha)\n",
    # alpha instead of alpha·x on the negative side
    "def leaky_relu_forward(x, alpha=0.01):\n    return np.where(x > 0, x, alpha), (x, alpha)\n",
    # the sides swapped
    "def leaky_relu_forward(x, alpha=0.01):\n    return np.where(x > 0, alpha * x, x), (x, alpha)\n",
    # PyTorch's default slope misremembered
    "def leaky_relu_forward(x, alpha=0.1):\n    return np.where(x > 0, x, alpha * x), (x, alpha)\n",
], ids=["relu", "constant", "swapped", "default"])
def test_mutant_leaky_relu_forward(body, request):
    res = _mutant(body, "leaky_relu_forward")
    expect_hint(res, "leaky_relu_forward", HINTS[request.node.callspec.id])


@pytest.mark.parametrize("body", [
    # slope 1 at x = 0 (x >= 0): the kink convention
    "def leaky_relu_backward(dout, cache):\n    x, a = cache\n    return np.where(x >= 0, dout, a * dout)\n",
    # the local derivative only, dout forgotten
    "def leaky_relu_backward(dout, cache):\n    x, a = cache\n    return np.where(x > 0, 1.0, a)\n",
    # ReLU's derivative: no gradient on the negative side
    "def leaky_relu_backward(dout, cache):\n    x, a = cache\n    return dout * (x > 0)\n",
], ids=["kink", "no-dout", "relu"])
def test_mutant_leaky_relu_backward(body, request):
    res = _mutant(body, "leaky_relu_backward", _LEAKY_FWD)
    expect_hint(res, "leaky_relu_backward", HINTS[request.node.callspec.id])


@pytest.mark.parametrize("body", [
    # the exact GELU x·Φ(x) instead of the tanh approximation
    "from math import erf\ndef gelu_forward(x):\n"
    "    return x * 0.5 * (1 + np.vectorize(erf)(x / np.sqrt(2))), _ref_cache(x)\n",
    # √(2π) for √(2/π)
    "def gelu_forward(x):\n"
    "    return 0.5 * x * (1 + np.tanh(np.sqrt(2 * np.pi) * (x + 0.044715 * x**3))), _ref_cache(x)\n",
    # the ½ forgotten
    "def gelu_forward(x):\n    return x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), _ref_cache(x)\n",
    # sigmoid approximation x·σ(1.702x)
    "def gelu_forward(x):\n    return x * np.exp(-np.logaddexp(0, -1.702 * x)), _ref_cache(x)\n",
], ids=["erf", "sqrt-2pi", "half", "sigmoid"])
def test_mutant_gelu_forward(body, request):
    res = _mutant(body, "gelu_forward", _REF_GELU_CACHE)
    expect_hint(res, "gelu_forward", HINTS[request.node.callspec.id])


_REF_GELU_CACHE = '''
def _ref_cache(x):
    return x, np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))
'''


_GELU_PARTS = '''
def _u(x):
    return np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
def _du(x):
    return np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x**2)
'''


@pytest.mark.parametrize("body", [
    # product rule forgotten: only the first term
    "def gelu_backward(dout, x):\n    return dout * 0.5 * (1 + np.tanh(_u(x)))\n",
    # chain rule stops at tanh: du/dx forgotten
    "def gelu_backward(dout, x):\n    t = np.tanh(_u(x))\n    return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t**2))\n",
    # tanh' = 1 - tanh (not squared)
    "def gelu_backward(dout, x):\n    t = np.tanh(_u(x))\n"
    "    return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t) * _du(x))\n",
    # du/dx without the factor 3 from x³
    "def gelu_backward(dout, x):\n    t = np.tanh(_u(x))\n"
    "    return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * np.sqrt(2 / np.pi) * (1 + 0.044715 * x**2))\n",
], ids=["product-rule", "inner-derivative", "tanh-prime", "power-rule"])
def test_mutant_gelu_backward(body, request):
    res = _mutant(body, "gelu_backward", _GELU_FWD, _GELU_PARTS)
    expect_hint(res, "gelu_backward", HINTS[request.node.callspec.id])


def test_mutant_gelu_backward_overflows_on_large_x():
    """sech² as 4/(e^u + e^−u)² is fine, but e^{2u} − 1 over e^{2u} + 1 gives inf/inf = nan for large u:
    only the saturated hidden case fails."""
    res = assert_mutant_loses_only(HW, "import numpy as np\n" + _GELU_FWD + _GELU_PARTS + '''
def gelu_backward(dout, x):
    with np.errstate(all="ignore"):
        e = np.exp(2 * _u(x))
        t = (e - 1) / (e + 1)
    return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * _du(x))
''', {"gelu_backward"})
    ex = next(e for e in res.exercises if e.name == "gelu_backward")
    assert [c.ok for c in ex.cases if not c.hidden] == [True, True]
    expect_hint(res, "gelu_backward", ("nonfinite",))


@pytest.mark.parametrize("body", [
    # indices flattened: (N, T) lookups come back as (N·T, D)
    "def embedding_forward(idx, W):\n    return W[idx.ravel()], (idx, W.shape[0])\n",
    # the table read as (D, V)
    "def embedding_forward(idx, W):\n    return W[:, idx % W.shape[1]].T, (idx, W.shape[0])\n",
    # repeated indices looked up once
    "def embedding_forward(idx, W):\n    return W[np.unique(idx)], (idx, W.shape[0])\n",
], ids=["ravel", "transposed", "unique"])
def test_mutant_embedding_forward(body, request):
    res = _mutant(body, "embedding_forward")
    expect_hint(res, "embedding_forward", HINTS[request.node.callspec.id])


@pytest.mark.parametrize("body", [
    # the classic: fancy-index assignment overwrites repeated rows
    "def embedding_backward(dout, cache):\n    idx, shape = cache\n    dW = np.zeros(shape)\n"
    "    dW[idx] = dout\n    return dW\n",
    # += is buffered too: still one contribution per repeated row
    "def embedding_backward(dout, cache):\n    idx, shape = cache\n    dW = np.zeros(shape)\n"
    "    dW[idx] += dout\n    return dW\n",
    # a loop over the first axis only: fine for (N,), buffered again inside a row of an (N, T) array
    "def embedding_backward(dout, cache):\n    idx, shape = cache\n    dW = np.zeros(shape)\n"
    "    for n in range(len(idx)):\n        dW[idx[n]] += dout[n]\n    return dW\n",
    # gradient only for the rows that were looked up, shape (#unique, D)
    "def embedding_backward(dout, cache):\n    idx, shape = cache\n    u, inv = np.unique(idx, return_inverse=True)\n"
    "    g = np.zeros((len(u), shape[1]))\n    np.add.at(g, inv.reshape(-1), dout.reshape(-1, shape[1]))\n"
    "    return g\n",
], ids=["assign", "plus-equals", "loop-first-axis", "unique-rows"])
def test_mutant_embedding_backward(body, request):
    res = _mutant(body, "embedding_backward", _EMB_FWD)
    expect_hint(res, "embedding_backward", HINTS[request.node.callspec.id])


@pytest.mark.parametrize("body", [
    # the textbook form: log σ(z) → log 0 = −inf for large |z|
    '''def bce_with_logits(logits, y):
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-logits))
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(loss), (p - y) / logits.size
''',
    # stable on one side only: log(1 + e^z) overflows for large positive z
    '''def bce_with_logits(logits, y):
    with np.errstate(all="ignore"):
        loss = np.mean(np.log1p(np.exp(logits)) - y * logits)
    p = np.exp(-np.logaddexp(0, -logits))
    return float(loss), (p - y) / logits.size
''',
    # gradient without the 1/M of the mean
    '''def bce_with_logits(logits, y):
    p = np.exp(-np.logaddexp(0, -logits))
    return float(np.mean(np.logaddexp(0, logits) - y * logits)), p - y
''',
    # gradient with the sign flipped
    '''def bce_with_logits(logits, y):
    p = np.exp(-np.logaddexp(0, -logits))
    return float(np.mean(np.logaddexp(0, logits) - y * logits)), (y - p) / logits.size
''',
    # 1/N (rows) instead of 1/M (entries): wrong for (N, K) logits only
    '''def bce_with_logits(logits, y):
    p = np.exp(-np.logaddexp(0, -logits))
    return float(np.mean(np.logaddexp(0, logits) - y * logits)), (p - y) / len(logits)
''',
], ids=["naive-log", "one-sided", "no-mean", "sign", "rows-not-entries"])
def test_mutant_bce_with_logits(body, request):
    res = _mutant(body, "bce_with_logits")
    expect_hint(res, "bce_with_logits", HINTS[request.node.callspec.id])


_SKIP_HEAD = '''
def skip_mlp_loss_and_grads(params, X, y):
    W1, b1, W2, b2, Ws = (params[k] for k in ("W1", "b1", "W2", "b2", "Ws"))
    n = X.shape[0]
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    z = h @ W2 + b2 + X @ Ws
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(n), y].mean())
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1.0
    dz /= n
'''


@pytest.mark.parametrize("tail", [
    # X's gradient from the hidden path only: the two uses of X do not add up
    '''    da = (dz @ W2.T) * (a > 0)
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0), "Ws": X.T @ dz, "X": da @ W1.T}
''',
    # dz split in half between the two summands
    '''    da = (dz / 2 @ W2.T) * (a > 0)
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz / 2, "b2": dz.sum(0), "Ws": X.T @ dz / 2,
                  "X": da @ W1.T + dz / 2 @ Ws.T}
''',
    # ReLU mask forgotten in the backward pass
    '''    da = dz @ W2.T
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0), "Ws": X.T @ dz,
                  "X": da @ W1.T + dz @ Ws.T}
''',
    # ReLU slope 1 at 0: wrong only where a pre-activation is exactly 0
    '''    da = (dz @ W2.T) * (a >= 0)
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0), "Ws": X.T @ dz,
                  "X": da @ W1.T + dz @ Ws.T}
''',
], ids=["x-one-path", "half-split", "no-mask", "kink"])
def test_mutant_skip_mlp(tail, request):
    res = _mutant(_SKIP_HEAD + tail, "skip_mlp_loss_and_grads")
    # a ReLU slope of 1 at a kink inside the network (a = 0) shows in the weights' gradients, which sum over it
    expect_hint(res, "skip_mlp_loss_and_grads", None if request.node.callspec.id == "kink" else
                HINTS[request.node.callspec.id])


_SKIP_TAIL = '''
    da = (dz @ W2.T) * (a > 0)
    return loss, {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0), "Ws": X.T @ dz,
                  "X": da @ W1.T + dz @ Ws.T}
'''


def test_mutant_skip_mlp_gradient_of_the_sum_not_the_mean():
    """(p − onehot) without the 1/N of the mean loss: every gradient N times too large (N = 1 passes)."""
    res = _mutant(_SKIP_HEAD.replace("    dz /= n\n", "") + _SKIP_TAIL, "skip_mlp_loss_and_grads")
    expect_hint(res, "skip_mlp_loss_and_grads", (
        "factor", "loss is right; your grads['W1'], grads['b1'], grads['W2'], grads['b2'], grads['Ws'] and "
                  "grads['X'] are each", "is N, the batch size (X.shape[0]), did you sum where the mean is asked?"))


def test_mutant_skip_mlp_no_max_shift():
    """exp of logits in the hundreds overflows: only the large-logits hidden case is lost."""
    body = _SKIP_HEAD.replace("    z = z - z.max(axis=1, keepdims=True)\n", "").replace(
        "    logp = z - np.log", "    with np.errstate(all='ignore'):\n        logp = z - np.log") + _SKIP_TAIL
    res = assert_mutant_loses_only(HW, "import numpy as np\n" + body, {"skip_mlp_loss_and_grads"})
    ex = next(e for e in res.exercises if e.name == "skip_mlp_loss_and_grads")
    assert sum(not c.ok for c in ex.cases) == 1
    expect_hint(res, "skip_mlp_loss_and_grads", ("nonfinite",))  # the loss overflows (the others differ too)


def test_skip_mlp_does_not_depend_on_the_other_exercises():
    """A broken layer elsewhere (even one named like a lecture layer) costs only its own exercise."""
    res = assert_mutant_loses_only(HW, '''
import numpy as np
def leaky_relu_backward(dout, cache):
    x, a = cache
    return dout * (x > 0)
def bce_with_logits(logits, y):
    return 0.0, np.zeros_like(logits)
''', {"leaky_relu_backward", "bce_with_logits"})
    expect_hint(res, "leaky_relu_backward", None)
    expect_hint(res, "bce_with_logits", None)


# ------------------------------------------------------------------------------------------------ references

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


def _outputs(name):
    ex = expected(HW)
    public, hidden, outs = ex.get(load_homework(HW).exercise(name))
    cases = public + hidden
    assert len(cases) == len(outs) and len(hidden) >= 3
    return zip(cases, (o["value"] for o in outs))


_TORCH = {"leaky_relu": lambda x, alpha=0.01: F.leaky_relu(x, alpha),
          "gelu": lambda x: F.gelu(x, approximate="tanh")}


@pytest.mark.parametrize("layer", ["leaky_relu", "gelu"])
def test_activations_match_torch(layer):
    for c, got in _outputs(f"{layer}_forward"):
        x, *rest = c.args[1:]
        np.testing.assert_allclose(got, _TORCH[layer](_t(x, False), *rest).numpy(), rtol=1e-13, atol=1e-14)
    for c, got in _outputs(f"{layer}_backward"):
        (x, *rest), dout = c.args[1], c.args[2]
        tx = _t(x)
        _TORCH[layer](tx, *rest).backward(torch.as_tensor(dout, dtype=torch.float64))
        np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
        assert np.all(np.isfinite(got))


def test_leaky_relu_slope_at_zero_is_alpha():
    for c, got in _outputs("leaky_relu_backward"):
        (x, alpha), dout = c.args[1], c.args[2]
        zero = x == 0
        assert zero.any()
        np.testing.assert_array_equal(got[zero], alpha * dout[zero])


def test_gelu_derivative_limits():
    ns = reference_namespace(HW)
    x = np.array([0.0, 1000.0, -1000.0, 30.0, -30.0])
    _, cache = ns["gelu_forward"](x)
    np.testing.assert_allclose(ns["gelu_backward"](np.ones(5), cache), [0.5, 1, 0, 1, 0], atol=1e-15)


def test_embedding_matches_torch():
    for c, got in _outputs("embedding_forward"):
        idx, W = c.args[1:]
        np.testing.assert_array_equal(got, F.embedding(torch.as_tensor(idx), _t(W, False)).numpy())
    for c, got in _outputs("embedding_backward"):
        (idx, W), dout = c.args[1], c.args[2]
        tW = _t(W)
        F.embedding(torch.as_tensor(idx), tW).backward(torch.as_tensor(dout, dtype=torch.float64))
        np.testing.assert_allclose(got, tW.grad.numpy(), rtol=1e-13, atol=1e-14)


def test_bce_matches_torch():
    for c, (loss, grad) in _outputs("bce_with_logits"):
        z = _t(c.args[0])
        ref = F.binary_cross_entropy_with_logits(z, torch.as_tensor(c.args[1], dtype=torch.float64))
        ref.backward()
        assert loss == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-13)
        np.testing.assert_allclose(grad, z.grad.numpy(), rtol=1e-12, atol=1e-15)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))


def test_skip_mlp_matches_torch_and_centred_differences():
    for c, (loss, grads) in _outputs("skip_mlp_loss_and_grads"):
        params, X, y = c.args
        tp = {k: _t(v) for k, v in params.items()}
        tX = _t(X)
        z = torch.relu(tX @ tp["W1"] + tp["b1"]) @ tp["W2"] + tp["b2"] + tX @ tp["Ws"]
        ref = F.cross_entropy(z, torch.as_tensor(y, dtype=torch.long))
        ref.backward()
        assert loss == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-13)
        for k, t in [*tp.items(), ("X", tX)]:
            np.testing.assert_allclose(grads[k], t.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=k)
    # centred differences on one small case (the kink-free public one)
    ns = reference_namespace(HW)
    c = load_homework(HW).exercise("skip_mlp_loss_and_grads").public[0]
    params, X, y = ({k: np.array(v) for k, v in c.args[0].items()}, np.array(c.args[1]), c.args[2])
    _, grads = ns["skip_mlp_loss_and_grads"](params, X, y)
    for k, arr in [*params.items(), ("X", X)]:
        num = numerical_gradient_array(lambda: ns["skip_mlp_loss_and_grads"](params, X, y)[0], arr)
        assert rel_error(num, grads[k]) < 1e-7, k


# ------------------------------------------------------------------------------------------------ lecture 04's toolkit
# (course_lib.layers is the lecture's own code, not a homework answer; these checks moved here with the old hw04)


def test_course_layers_gradient_checks():
    from course_lib import layers

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


def test_course_softmax_cross_entropy_and_mlp_match_torch():
    from course_lib import layers

    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(7, 4)) * 300, rng.integers(0, 4, size=7)
    tz = _t(z)
    ref = F.cross_entropy(tz, torch.as_tensor(y))
    ref.backward()
    loss, d = layers.softmax_cross_entropy(z, y)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(d, tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    params = layers.init_mlp([3, 6, 4], seed=2)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 4, size=5)
    tp = {k: _t(v) for k, v in params.items()}
    ref = F.cross_entropy(torch.relu(_t(X, False) @ tp["W1"] + tp["b1"]) @ tp["W2"] + tp["b2"], torch.as_tensor(y))
    ref.backward()
    loss, grads = layers.mlp_loss_and_grads(params, X, y)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12)
    for k in tp:
        np.testing.assert_allclose(grads[k], tp[k].grad.numpy(), rtol=1e-10, atol=1e-13)


def test_train_mlp_learns_spirals():
    from course_lib import layers
    from course_lib.data import spirals

    X, y = spirals(n=60, classes=3, seed=0)
    r = layers.train_mlp(X, y, hidden=[32], lr=1.0, steps=600, seed=0)
    assert r["accuracy"][-1] > 0.85
    assert rel_error(r["loss"][0], r["loss"][-1]) > 0.5
