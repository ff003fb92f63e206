"""hw08 spec: vanilla RNN and LSTM forward passes (torch's gate order), gradient norms through time."""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _rnn_params(rng, D, H, scale=1.0):
    return (rng.normal(size=(D, H)) * scale / np.sqrt(D), rng.normal(size=(H, H)) * scale / np.sqrt(H),
            rng.normal(size=H) * 0.5)


def _pub_rnn_step():
    x = np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])
    h = np.array([[0.1, -0.2], [0.3, 0.0]])
    Wx = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
    Wh = np.array([[0.9, -0.4], [0.4, 0.9]])
    b = np.array([0.05, -0.1])
    r = np.random.default_rng(1)
    return [case(x, h, Wx, Wh, b), case(r.normal(size=(4, 5)), r.normal(size=(4, 3)), *_rnn_params(r, 5, 3))]


def _hidden_rnn_step(rng):
    return [case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), *_rnn_params(rng, D, H, s))
            for N, D, H, s in [(3, 4, 6, 1.0), (1, 2, 2, 3.0), (5, 6, 3, 0.3)]]


def _pub_rnn():
    r = np.random.default_rng(2)
    return [case(r.normal(size=(4, 2, 3)), np.zeros((2, 5)), *_rnn_params(r, 3, 5)),
            case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), *_rnn_params(r, 2, 2))]


def _hidden_rnn(rng):
    return [case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), *_rnn_params(rng, D, H, s))
            for T, N, D, H, s in [(7, 3, 4, 5, 1.0), (15, 2, 2, 3, 1.5), (3, 1, 5, 4, 0.5)]]


def _lstm_params(rng, D, H, scale=1.0):
    return (rng.normal(size=(D, 4 * H)) * scale / np.sqrt(D),
            rng.normal(size=(H, 4 * H)) * scale / np.sqrt(H),
            rng.normal(size=4 * H) * scale)


def _pub_lstm_step():
    r = np.random.default_rng(3)
    N, D, H = 2, 3, 2
    Wx = np.arange(D * 4 * H, dtype=float).reshape(D, 4 * H) / 20.0 - 0.5
    Wh = np.cos(np.arange(H * 4 * H, dtype=float)).reshape(H, 4 * H)
    b = np.linspace(-1, 1, 4 * H)
    return [case(np.ones((N, D)), np.zeros((N, H)), np.zeros((N, H)), Wx, Wh, b),
            case(r.normal(size=(3, 4)), r.normal(size=(3, 5)), r.normal(size=(3, 5)), *_lstm_params(r, 4, 5))]


def _hidden_lstm_step(rng):
    out = [case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
                *_lstm_params(rng, D, H, s)) for N, D, H, s in [(4, 3, 6, 1.0), (2, 5, 3, 0.5)]]
    # large pre-activations: a naive 1/(1+exp(-z)) overflows (a warning) but must still give the right values
    out.append(case(rng.normal(size=(2, 3)) * 50, rng.normal(size=(2, 4)), rng.normal(size=(2, 4)),
                    *_lstm_params(rng, 3, 4, 20.0)))
    return out


def _pub_lstm():
    r = np.random.default_rng(4)
    return [case(r.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), *_lstm_params(r, 3, 4)),
            case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), r.normal(size=(1, 2)),
                 *_lstm_params(r, 2, 2))]


def _hidden_lstm(rng):
    return [case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
                 *_lstm_params(rng, D, H, s)) for T, N, D, H, s in [(8, 3, 4, 5, 1.0), (20, 2, 2, 3, 2.0)]]


def _scaled_orthogonal(rng, H, rho):
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    return rho * Q


def _gn_case(rng, D, H, T, rho, inputs=True, start=True, bias=True):
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
    return [_gn_case(r, 1, 3, 5, 0.9, inputs=False, start=False, bias=False),
            _gn_case(r, 2, 4, 6, 1.2)]


def _hidden_gn(rng):
    return [_gn_case(rng, 2, 5, 10, 0.5), _gn_case(rng, 3, 4, 12, 1.5),
            _gn_case(rng, 1, 6, 8, 1.0, inputs=False, start=False, bias=False)]


HOMEWORK = Homework(
    name="hw08_rnn_lstm",
    exercises=[
        Exercise("rnn_step_forward", 1, _pub_rnn_step(), _hidden_rnn_step, rtol=1e-9, atol=1e-12),
        Exercise("rnn_forward", 1, _pub_rnn(), _hidden_rnn, rtol=1e-9, atol=1e-12),
        Exercise("lstm_step_forward", 3, _pub_lstm_step(), _hidden_lstm_step, rtol=1e-9, atol=1e-12),
        Exercise("lstm_forward", 2, _pub_lstm(), _hidden_lstm, rtol=1e-9, atol=1e-12),
        Exercise("gradient_norms_through_time", 3, _pub_gn(), _hidden_gn, driver="hw08.grad_norms",
                 rtol=1e-7, atol=1e-12, uses_torch=True, time_limit=20.0),
    ],
)
