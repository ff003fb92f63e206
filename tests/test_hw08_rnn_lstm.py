"""hw08 (RNN, LSTM): full marks, classic mistakes, agreement with torch.nn.RNN / nn.LSTM, BPTT norms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradeutil import assert_mutant_loses_only, grade_solution
from test_hints import assert_no_hint, expect_hint

from autograder.grade.reference import reference_chunks
from course_lib.grading.homework.hw08_rnn_lstm import build_rnn_cell
from course_lib.grading.run import define

HW = "hw08"


@pytest.fixture(scope="module")
def ref():
    ns, errors = define(reference_chunks("hw08_rnn_lstm"))
    assert not errors, errors
    return ns


def test_solution_full_marks():
    r = grade_solution(HW)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_lstm_matches_torch_nn_lstm(ref, dtype):
    torch.manual_seed(0)
    T, N, D, H = 9, 4, 5, 6
    lstm = torch.nn.LSTM(D, H).to(dtype)
    with torch.no_grad():  # make the biases and weights large enough that all gates matter
        for p in lstm.parameters():
            p.mul_(3.0)
    Wx = lstm.weight_ih_l0.detach().double().numpy().T
    Wh = lstm.weight_hh_l0.detach().double().numpy().T
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().double().numpy()
    rng = np.random.default_rng(0)
    xs, h0, c0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    hs, cT = ref["lstm_forward"](xs, h0, c0, Wx, Wh, b)
    with torch.no_grad():
        out, (hn, cn) = lstm(torch.tensor(xs, dtype=dtype), (torch.tensor(h0, dtype=dtype)[None],
                                                             torch.tensor(c0, dtype=dtype)[None]))
    tol = 1e-12 if dtype == torch.float64 else 1e-6
    assert hs.shape == (T, N, H) and cT.shape == (N, H)
    assert np.abs(hs - out.double().numpy()).max() < tol
    assert np.abs(cT - cn[0].double().numpy()).max() < tol
    assert np.abs(hs[-1] - hn[0].double().numpy()).max() < tol


def test_lstm_step_matches_torch_lstm_cell(ref):
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(3, 4).double()
    rng = np.random.default_rng(1)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    Wx, Wh = cell.weight_ih.detach().numpy().T, cell.weight_hh.detach().numpy().T
    hn, cn = ref["lstm_step_forward"](x, h, c, Wx, Wh, (cell.bias_ih + cell.bias_hh).detach().numpy())
    with torch.no_grad():
        th, tc = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    np.testing.assert_allclose(hn, th.numpy(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(cn, tc.numpy(), rtol=0, atol=1e-14)


def test_rnn_matches_torch_nn_rnn(ref):
    torch.manual_seed(2)
    rnn = torch.nn.RNN(3, 5).double()
    rng = np.random.default_rng(2)
    xs, h0 = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 5))
    hs = ref["rnn_forward"](xs, h0, rnn.weight_ih_l0.detach().numpy().T, rnn.weight_hh_l0.detach().numpy().T,
                            (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy())
    with torch.no_grad():
        out, _ = rnn(torch.tensor(xs), torch.tensor(h0)[None])
    np.testing.assert_allclose(hs, out.numpy(), rtol=0, atol=1e-14)


def test_gradient_norms_linear_regime_is_exact(ref):
    """h0 = 0, zero inputs and biases: ∂h_T/∂h_t = W_hh^(T−t), so norms = √H ρ^(T−t) for ρ·orthogonal."""
    rng = np.random.default_rng(3)
    H, T = 5, 12
    for rho in (0.5, 1.0, 1.5):
        Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
        cell = build_rnn_cell(rng.normal(size=(H, 2)), rho * Q, np.zeros(H), np.zeros(H))
        norms = ref["gradient_norms_through_time"](cell, T)
        assert norms.shape == (T,)
        np.testing.assert_allclose(norms, np.sqrt(H) * rho ** (T - np.arange(T)), rtol=1e-10)


def test_gradient_norms_match_explicit_jacobian_product(ref):
    """General case: compare with the product of the analytic Jacobians diag(1 − h²) W_hh."""
    rng = np.random.default_rng(4)
    H, D, T = 4, 3, 7
    W_ih, W_hh = rng.normal(size=(H, D)), rng.normal(size=(H, H))
    b_ih, b_hh = rng.normal(size=H), rng.normal(size=H)
    xs, h0 = rng.normal(size=(T, D)), rng.normal(size=H)
    cell = build_rnn_cell(W_ih, W_hh, b_ih, b_hh)
    norms = ref["gradient_norms_through_time"](cell, T, torch.tensor(xs), torch.tensor(h0))
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(W_ih @ xs[t] + b_ih + W_hh @ hs[-1] + b_hh))
    J = np.eye(H)
    want = np.zeros(T)
    for t in range(T - 1, -1, -1):
        J = J @ (np.diag(1 - hs[t + 1] ** 2) @ W_hh)
        want[t] = np.linalg.norm(J)
    np.testing.assert_allclose(norms, want, rtol=1e-10)


# Each mutant also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint); the
# parametrized ones by id:
BPTT_HINTS = {
    "one-minus-h": None, "tanh-of-h": None,
    "mean-bias": ("factor", "only db differs", "is N, the batch size (x.shape[0]), did you average over the batch"),
    "dWh-transposed": ("transpose", "only dWh differs (dx, dh_prev, dWx and db are right): your dWh is the expected "
                                    "transposed"),
    "Wh-not-transposed": ("output", "only dh_prev differs (dx, dWx, dWh and db are right)"),
    "no-carry": None, "last-step-only": None, "truncation-off-by-one": None, "ignores-truncate": None,
    "no-sum-over-time": ("output", "only dWh differs (dxs, dh0, dWx and db are right)"),
    "no-forget-gate": ("output", "only dc_prev differs (dx, dh_prev, dWx, dWh and db are right)"),
    "no-tanh-prime": None, "drops-dc": None, "sigmoid-prime": None,
    "gate-order": ("blocks", "your dWx, dWh and db each hold the right blocks in another order: i, f, o, g where "
                             "i, f, g, o is expected", "dx and dh_prev differ in another way"),
    "per-array": ("factor", "total_norm is right; your clipped[0] is", "a constant factor"),
    "always-rescales": ("factor", "total_norm is right; your clipped[0] and clipped[1] are each"),
    "l1-norm": ("output", "only total_norm differs (clipped[0] and clipped[1] are right)"),
}


def test_mutant_rnn_forward_includes_h0():
    res = assert_mutant_loses_only(HW, '''
def rnn_forward(xs, h0, Wx, Wh, b):
    hs = [h0]
    for x in xs:
        hs.append(rnn_step_forward(x, hs[-1], Wx, Wh, b))
    return np.stack(hs)
''', {"rnn_forward"})
    expect_hint(res, "rnn_forward", ("step", "one entry too many along axis 0: without its first one it is the "
                                             "expected", "h0 not included?"))


def test_mutant_rnn_step_transposed_recurrent_weight():
    """h_prev @ Wh.T: same shapes, wrong maths; rnn_forward (which calls the step) breaks with it."""
    res = assert_mutant_loses_only(HW, '''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh.T + b)
''', {"rnn_step_forward", "rnn_forward"})
    expect_hint(res, "rnn_step_forward", None)
    expect_hint(res, "rnn_forward", None)


def test_mutant_lstm_gate_order_ifog():
    """cs231n's gate order (i, f, o, g) is a fine LSTM but not torch's; lstm_forward calls the step."""
    res = assert_mutant_loses_only(HW, '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    H = a.shape[1] // 4
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2*H]), sig(a[:, 2*H:3*H]), np.tanh(a[:, 3*H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
''', {"lstm_step_forward", "lstm_forward"})
    # h and c are not the gates: nothing in their numbers shows the order (lstm_step_backward's dW does)
    expect_hint(res, "lstm_step_forward", None)
    expect_hint(res, "lstm_forward", None)


def test_mutant_lstm_forward_returns_final_h_instead_of_c():
    res = assert_mutant_loses_only(HW, '''
def lstm_forward(xs, h0, c0, Wx, Wh, b):
    h, c = h0, c0
    hs = []
    for x in xs:
        h, c = lstm_step_forward(x, h, c, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs), h
''', {"lstm_forward"})
    expect_hint(res, "lstm_forward", ("output", "only c_T differs (hs is right)"))


def test_mutant_gradient_norms_reversed():
    """Indexing by steps back (T − t) instead of by t: the array comes out reversed."""
    res = assert_mutant_loses_only(HW, '''
def gradient_norms_through_time(cell, T, xs=None, h0=None):
    import torch
    p = next(cell.parameters())
    xs = torch.zeros(T, cell.input_size, dtype=p.dtype) if xs is None else xs
    h = (torch.zeros(cell.hidden_size, dtype=p.dtype) if h0 is None else h0).clone().requires_grad_(True)
    states = [h]
    for t in range(T):
        states.append(cell(xs[t], states[-1]))
    rows = [torch.autograd.grad(states[-1][k], states[:-1], retain_graph=True)
            for k in range(cell.hidden_size)]
    norms = [float(torch.linalg.matrix_norm(torch.stack([r[t] for r in rows]))) for t in range(T)]
    return np.array(norms[::-1])
''', {"gradient_norms_through_time"})
    expect_hint(res, "gradient_norms_through_time", ("reversed", "the right values in reversed order"))


def test_mutant_gradient_norms_spectral_instead_of_frobenius():
    res = assert_mutant_loses_only(HW, '''
def gradient_norms_through_time(cell, T, xs=None, h0=None):
    import torch
    p = next(cell.parameters())
    xs = torch.zeros(T, cell.input_size, dtype=p.dtype) if xs is None else xs
    h = (torch.zeros(cell.hidden_size, dtype=p.dtype) if h0 is None else h0).clone().requires_grad_(True)
    states = [h]
    for t in range(T):
        states.append(cell(xs[t], states[-1]))
    rows = [torch.autograd.grad(states[-1][k], states[:-1], retain_graph=True)
            for k in range(cell.hidden_size)]
    return np.array([float(torch.linalg.matrix_norm(torch.stack([r[t] for r in rows]), ord=2))
                     for t in range(T)])
''', {"gradient_norms_through_time"})
    expect_hint(res, "gradient_norms_through_time", None)


# ---------------------------------------------------------------- backpropagation through time

_STEP = '''
import numpy as np
def rnn_step_backward(dh, x, h_prev, Wx, Wh, b):
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    da = {da}
    return da @ {WxT}, da @ {WhT}, x.T @ da, {dWh}, {db}
'''
_STEP_OK = dict(da="dh * (1 - h ** 2)", WxT="Wx.T", WhT="Wh.T", dWh="h_prev.T @ da", db="da.sum(axis=0)")


def test_step_template_is_right_when_unchanged():
    assert_no_hint(grade_solution(HW, _STEP.format(**_STEP_OK)))  # an independent correct variant: no hint


@pytest.mark.parametrize("change", [
    {"da": "dh * (1 - h)"},  # tanh' written as 1 − h
    {"da": "dh * (1 - np.tanh(h) ** 2)"},  # tanh' taken at the output instead of the pre-activation
    {"db": "da.mean(axis=0)"},  # the bias gradient averaged over the batch
    {"dWh": "da.T @ h_prev"},  # the recurrent-weight gradient transposed
    {"WhT": "Wh"},  # dh_prev without the transpose (square Wh: shapes still fit)
], ids=["one-minus-h", "tanh-of-h", "mean-bias", "dWh-transposed", "Wh-not-transposed"])
def test_mutant_rnn_step_backward(change, request):
    res = assert_mutant_loses_only(HW, _STEP.format(**{**_STEP_OK, **change}), {"rnn_step_backward"})
    expect_hint(res, "rnn_step_backward", BPTT_HINTS[request.node.callspec.id])


_SEQ = '''
import numpy as np
def rnn_backward(dhs, xs, h0, Wx, Wh, b, truncate=None):
    hs, h = [], h0
    for x in xs:
        h = rnn_step_forward(x, h, Wx, Wh, b)
        hs.append(h)
    dxs = np.zeros_like(xs)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    carry = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        h_prev = hs[t - 1] if t > 0 else h0
        dxs[t], dh_prev, a, c, d = rnn_step_backward({upstream}, xs[t], h_prev, Wx, Wh, b)
        dWx, dWh, db = dWx + a, {dWh}, db + d
        cut = truncate is not None and t > 0 and {cut}
        carry = np.zeros_like(h0) if cut else dh_prev
    return dxs, carry, dWx, dWh, db
'''
_SEQ_OK = dict(upstream="dhs[t] + carry", dWh="dWh + c", cut="t % truncate == 0")


def test_sequence_template_is_right_when_unchanged():
    r = grade_solution(HW, _SEQ.format(**_SEQ_OK))
    assert r.total == r.max_total


@pytest.mark.parametrize("change", [
    {"upstream": "dhs[t]"},  # forgets the gradient arriving from later steps
    {"upstream": "(dhs[t] if t == len(xs) - 1 else 0 * dhs[t]) + carry"},  # a loss at the last step only
    {"dWh": "c"},  # keeps the last step's weight gradient instead of summing over time (weight sharing)
    {"cut": "t % truncate == 1"},  # truncation one step off
    {"cut": "False"},  # ignores truncate
], ids=["no-carry", "last-step-only", "no-sum-over-time", "truncation-off-by-one", "ignores-truncate"])
def test_mutant_rnn_backward(change, request):
    res = assert_mutant_loses_only(HW, _SEQ.format(**{**_SEQ_OK, **change}), {"rnn_backward"})
    expect_hint(res, "rnn_backward", BPTT_HINTS[request.node.callspec.id])


_LSTM = '''
import numpy as np
def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    s = lambda z: 1 / (1 + np.exp(-z))
    a = x @ Wx + h_prev @ Wh + b
    H = h_prev.shape[1]
    i, f, g, o = s(a[:, :H]), s(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), s(a[:, 3 * H:])
    tc = np.tanh(f * c_prev + i * g)
    dct = {dct}
    di, df, dg, do = dct * g, dct * c_prev, dct * i, dh * tc
    da = np.concatenate({gates}, axis=1)
    return da @ Wx.T, da @ Wh.T, {dc_prev}, x.T @ da, h_prev.T @ da, da.sum(axis=0)
'''
_LSTM_OK = dict(dct="dc + dh * o * (1 - tc ** 2)", dc_prev="dct * f",
                gates="[di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)]")


def test_lstm_template_is_right_when_unchanged():
    r = grade_solution(HW, _LSTM.format(**_LSTM_OK))
    assert r.total == r.max_total


@pytest.mark.parametrize("change", [
    {"dc_prev": "dct"},  # the forget gate left out of the cell-state path
    {"dct": "dc + dh * o"},  # tanh'(c) missing on the path through h
    {"dct": "dh * o * (1 - tc ** 2)"},  # the direct gradient dc from the next step ignored
    {"gates": "[di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)]"},  # i, f, o, g order
    {"gates": "[di * i, df * f, dg * (1 - g ** 2), do * o]"},  # σ' written as σ
], ids=["no-forget-gate", "no-tanh-prime", "drops-dc", "gate-order", "sigmoid-prime"])
def test_mutant_lstm_step_backward(change, request):
    res = assert_mutant_loses_only(HW, _LSTM.format(**{**_LSTM_OK, **change}), {"lstm_step_backward"})
    expect_hint(res, "lstm_step_backward", BPTT_HINTS[request.node.callspec.id])


@pytest.mark.parametrize("src", [
    # each array clipped on its own
    "def clip_grad_norm(grads, max_norm):\n    import numpy as np\n"
    "    n = float(np.sqrt(sum(np.sum(g * g) for g in grads)))\n"
    "    return [g * min(1, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], n\n",
    # always rescaled, also when already below max_norm
    "def clip_grad_norm(grads, max_norm):\n    import numpy as np\n"
    "    n = float(np.sqrt(sum(np.sum(g * g) for g in grads)))\n"
    "    return [g * max_norm / (n + 1e-6) for g in grads], n\n",
    # the L1 norm instead of L2
    "def clip_grad_norm(grads, max_norm):\n    import numpy as np\n"
    "    n = float(sum(np.sum(np.abs(g)) for g in grads))\n"
    "    return [g * min(1, max_norm / (n + 1e-6)) for g in grads], n\n",
], ids=["per-array", "always-rescales", "l1-norm"])
def test_mutant_clip_grad_norm(src, request):
    res = assert_mutant_loses_only(HW, src, {"clip_grad_norm"})
    expect_hint(res, "clip_grad_norm", BPTT_HINTS[request.node.callspec.id])


def test_bptt_reference_matches_torch_autograd_in_float64(ref):
    """The reference's rnn_backward (full and truncated) and lstm_step_backward replayed with torch autograd."""
    torch.set_default_dtype(torch.float64)
    try:
        rng = np.random.default_rng(7)
        T, N, D, H = 7, 3, 4, 5
        xs, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
        Wx, Wh, b = rng.normal(size=(D, H)) / 2, rng.normal(size=(H, H)) / 2, rng.normal(size=H)
        dhs = rng.normal(size=(T, N, H))
        for k in (None, 1, 2, 3, 10):
            leaves = [torch.tensor(v, requires_grad=True) for v in (xs, h0, Wx, Wh, b)]
            X, H0, W1, W2, B = leaves
            h, outs = H0, []
            for t in range(T):
                if k and t > 0 and t % k == 0:
                    h = h.detach()  # truncated BPTT, as in a PyTorch training loop
                h = torch.tanh(X[t] @ W1 + h @ W2 + B)
                outs.append(h)
            (torch.stack(outs) * torch.tensor(dhs)).sum().backward()
            want = [v.grad.numpy() if v.grad is not None else np.zeros_like(h0) for v in leaves]
            got = ref["rnn_backward"](dhs, xs, h0, Wx, Wh, b, truncate=k)
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        N, D, H = 3, 4, 2
        x, hp, cp = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
        Wx, Wh, b = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H)
        dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
        cell = torch.nn.LSTMCell(D, H)
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor(Wx.T))
            cell.weight_hh.copy_(torch.tensor(Wh.T))
            cell.bias_ih.copy_(torch.tensor(b))
            cell.bias_hh.zero_()
        X, HP, CP = (torch.tensor(v, requires_grad=True) for v in (x, hp, cp))
        hn, cn = cell(X, (HP, CP))
        ((hn * torch.tensor(dh)).sum() + (cn * torch.tensor(dc)).sum()).backward()
        want = [X.grad, HP.grad, CP.grad, cell.weight_ih.grad.T, cell.weight_hh.grad.T, cell.bias_ih.grad]
        for g, w in zip(ref["lstm_step_backward"](dh, dc, x, hp, cp, Wx, Wh, b), want):
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-10, atol=1e-12)
        grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
        tg = [torch.tensor(g, requires_grad=True) for g in grads]
        for t, g in zip(tg, grads):
            t.grad = torch.tensor(g)
        norm = torch.nn.utils.clip_grad_norm_(tg, 1.5)
        clipped, total = ref["clip_grad_norm"](grads, 1.5)
        assert total == pytest.approx(float(norm), rel=1e-12)
        for c, t in zip(clipped, tg):
            np.testing.assert_allclose(c, t.grad.numpy(), rtol=1e-12)
    finally:
        torch.set_default_dtype(torch.float32)
