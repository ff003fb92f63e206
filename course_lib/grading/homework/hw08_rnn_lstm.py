"""hw08, public part: vanilla RNN and LSTM forward passes (torch's gate order), gradient norms through time.

Drivers and property checks:
hw08 drivers: gradient_norms_through_time takes a torch RNN cell, built here in float64 from weights.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.model import Exercise, Homework, case


def rnn_params(rng, D, H, scale=1.0):
    return (
        rng.normal(size=(D, H)) * scale / np.sqrt(D),
        rng.normal(size=(H, H)) * scale / np.sqrt(H),
        rng.normal(size=H) * 0.5,
    )


def _pub_rnn_step():
    x = np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])
    h = np.array([[0.1, -0.2], [0.3, 0.0]])
    Wx = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
    Wh = np.array([[0.9, -0.4], [0.4, 0.9]])
    b = np.array([0.05, -0.1])
    r = np.random.default_rng(1)
    return [case(x, h, Wx, Wh, b), case(r.normal(size=(4, 5)), r.normal(size=(4, 3)), *rnn_params(r, 5, 3))]


def _pub_rnn():
    r = np.random.default_rng(2)
    return [
        case(r.normal(size=(4, 2, 3)), np.zeros((2, 5)), *rnn_params(r, 3, 5)),
        case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), *rnn_params(r, 2, 2)),
    ]


def lstm_params(rng, D, H, scale=1.0):
    return (
        rng.normal(size=(D, 4 * H)) * scale / np.sqrt(D),
        rng.normal(size=(H, 4 * H)) * scale / np.sqrt(H),
        rng.normal(size=4 * H) * scale,
    )


def _pub_lstm_step():
    r = np.random.default_rng(3)
    N, D, H = 2, 3, 2
    Wx = np.arange(D * 4 * H, dtype=float).reshape(D, 4 * H) / 20.0 - 0.5
    Wh = np.cos(np.arange(H * 4 * H, dtype=float)).reshape(H, 4 * H)
    b = np.linspace(-1, 1, 4 * H)
    return [
        case(np.ones((N, D)), np.zeros((N, H)), np.zeros((N, H)), Wx, Wh, b),
        case(r.normal(size=(3, 4)), r.normal(size=(3, 5)), r.normal(size=(3, 5)), *lstm_params(r, 4, 5)),
    ]


def _pub_lstm():
    r = np.random.default_rng(4)
    return [
        case(r.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), *lstm_params(r, 3, 4)),
        case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), r.normal(size=(1, 2)), *lstm_params(r, 2, 2)),
    ]


def _scaled_orthogonal(rng, H, rho):
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    return rho * Q


def gn_case(rng, D, H, T, rho, inputs=True, start=True, bias=True):
    W_ih = rng.normal(size=(H, D)) / np.sqrt(D)
    W_hh = _scaled_orthogonal(rng, H, rho)
    b_ih = rng.normal(size=H) * 0.2 if bias else np.zeros(H)
    b_hh = rng.normal(size=H) * 0.2 if bias else np.zeros(H)
    kwargs = {}
    if inputs:
        kwargs["xs"] = rng.normal(size=(T, D))
    if start:
        kwargs["h0"] = rng.normal(size=H) * 0.5
    return case(W_ih, W_hh, b_ih, b_hh, T, **kwargs)


def _pub_gn():
    r = np.random.default_rng(5)
    return [gn_case(r, 1, 3, 5, 0.9, inputs=False, start=False, bias=False), gn_case(r, 2, 4, 6, 1.2)]


def build_rnn_cell(W_ih, W_hh, b_ih, b_hh, nonlinearity: str = "tanh"):
    """torch.nn.RNNCell in float64 with the given weights (W_ih (H, D), W_hh (H, H), biases (H,))."""
    import torch

    W_ih = np.asarray(W_ih, dtype=float)
    H, D = W_ih.shape
    cell = torch.nn.RNNCell(D, H, nonlinearity=nonlinearity).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.as_tensor(W_ih))
        cell.weight_hh.copy_(torch.as_tensor(np.asarray(W_hh, dtype=float)))
        cell.bias_ih.copy_(torch.as_tensor(np.asarray(b_ih, dtype=float)))
        cell.bias_hh.copy_(torch.as_tensor(np.asarray(b_hh, dtype=float)))
    return cell


def grad_norms(ns, W_ih, W_hh, b_ih, b_hh, T, xs=None, h0=None, nonlinearity="tanh"):
    """Call the student's gradient_norms_through_time on a float64 RNNCell; returns a float array (T,)."""
    import torch

    cell = build_rnn_cell(W_ih, W_hh, b_ih, b_hh, nonlinearity)
    kwargs = {}
    if xs is not None:
        kwargs["xs"] = torch.as_tensor(np.asarray(xs, dtype=float))
    if h0 is not None:
        kwargs["h0"] = torch.as_tensor(np.asarray(h0, dtype=float))
    got = ns["gradient_norms_through_time"](cell, int(T), **kwargs)
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    return np.asarray(got, dtype=float)


HOMEWORK = Homework(
    name="hw08_rnn_lstm",
    exercises=[
        Exercise("rnn_step_forward", 1, _pub_rnn_step(), rtol=1e-09, atol=1e-12),
        Exercise("rnn_forward", 1, _pub_rnn(), rtol=1e-09, atol=1e-12),
        Exercise("lstm_step_forward", 3, _pub_lstm_step(), rtol=1e-09, atol=1e-12),
        Exercise("lstm_forward", 2, _pub_lstm(), rtol=1e-09, atol=1e-12),
        Exercise(
            "gradient_norms_through_time",
            3,
            _pub_gn(),
            driver=grad_norms,
            rtol=1e-07,
            atol=1e-12,
            uses_torch=True,
            time_limit=20.0,
        ),
    ],
)
