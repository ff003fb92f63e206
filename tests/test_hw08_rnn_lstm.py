"""hw08 (RNN, LSTM): full marks, classic mistakes, agreement with torch.nn.RNN / nn.LSTM, BPTT norms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradeutil import assert_mutant_loses_only, grade_solution

from autograder.grader import reference_chunks
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


def test_mutant_rnn_forward_includes_h0():
    assert_mutant_loses_only(HW, '''
def rnn_forward(xs, h0, Wx, Wh, b):
    hs = [h0]
    for x in xs:
        hs.append(rnn_step_forward(x, hs[-1], Wx, Wh, b))
    return np.stack(hs)
''', {"rnn_forward"})


def test_mutant_rnn_step_transposed_recurrent_weight():
    """h_prev @ Wh.T: same shapes, wrong maths; rnn_forward (which calls the step) breaks with it."""
    assert_mutant_loses_only(HW, '''
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh.T + b)
''', {"rnn_step_forward", "rnn_forward"})


def test_mutant_lstm_gate_order_ifog():
    """cs231n's gate order (i, f, o, g) is a fine LSTM but not torch's; lstm_forward calls the step."""
    assert_mutant_loses_only(HW, '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    H = a.shape[1] // 4
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2*H]), sig(a[:, 2*H:3*H]), np.tanh(a[:, 3*H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
''', {"lstm_step_forward", "lstm_forward"})


def test_mutant_lstm_forward_returns_final_h_instead_of_c():
    assert_mutant_loses_only(HW, '''
def lstm_forward(xs, h0, c0, Wx, Wh, b):
    h, c = h0, c0
    hs = []
    for x in xs:
        h, c = lstm_step_forward(x, h, c, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs), h
''', {"lstm_forward"})


def test_mutant_gradient_norms_reversed():
    """Indexing by steps back (T − t) instead of by t: the array comes out reversed."""
    assert_mutant_loses_only(HW, '''
_ref_gn = gradient_norms_through_time
def gradient_norms_through_time(cell, T, xs=None, h0=None):
    return _ref_gn(cell, T, xs, h0)[::-1].copy()
''', {"gradient_norms_through_time"})


def test_mutant_gradient_norms_spectral_instead_of_frobenius():
    assert_mutant_loses_only(HW, '''
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
