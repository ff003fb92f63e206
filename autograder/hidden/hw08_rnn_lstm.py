"""hw08_rnn_lstm: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw08_rnn_lstm import (
    gn_case,
    lstm_params,
    lstm_step_case,
    rnn_params,
    rnn_seq_case,
    rnn_step_case,
)
from course_lib.grading.model import case


def _hidden_rnn_step(rng):
    return [
        case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), *rnn_params(rng, D, H, s))
        for N, D, H, s in [(3, 4, 6, 1.0), (1, 2, 2, 3.0), (5, 6, 3, 0.3)]
    ]


def _hidden_rnn(rng):
    return [
        case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), *rnn_params(rng, D, H, s))
        for T, N, D, H, s in [(7, 3, 4, 5, 1.0), (15, 2, 2, 3, 1.5), (3, 1, 5, 4, 0.5)]
    ]


def _hidden_lstm_step(rng):
    out = [
        case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), *lstm_params(rng, D, H, s))
        for N, D, H, s in [(4, 3, 6, 1.0), (2, 5, 3, 0.5)]
    ]
    # large pre-activations: a naive 1/(1+exp(-z)) overflows (a warning) but must still give the right values
    out.append(
        case(
            rng.normal(size=(2, 3)) * 50,
            rng.normal(size=(2, 4)),
            rng.normal(size=(2, 4)),
            *lstm_params(rng, 3, 4, 20.0),
        )
    )
    return out


def _hidden_lstm(rng):
    return [
        case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), *lstm_params(rng, D, H, s))
        for T, N, D, H, s in [(8, 3, 4, 5, 1.0), (20, 2, 2, 3, 2.0)]
    ]


def _hidden_gn(rng):
    return [
        gn_case(rng, 2, 5, 10, 0.5),
        gn_case(rng, 3, 4, 12, 1.5),
        gn_case(rng, 1, 6, 8, 1.0, inputs=False, start=False, bias=False),
    ]


def _hidden_rnn_step_back(rng):
    # a batch of one, a saturated tanh (large pre-activations), a zero upstream gradient
    big = rnn_step_case(rng, 3, 4, 5, scale=6.0)
    zero = rnn_step_case(rng, 2, 3, 3)
    zero.args = (np.zeros_like(zero.args[0]),) + zero.args[1:]
    return [rnn_step_case(rng, 1, 2, 3), big, zero]


def _hidden_rnn_back(rng):
    # full BPTT, truncation every step and every 3 steps, a T = 1 sequence, a batch of one
    return [rnn_seq_case(rng, 6, 3, 2, 4), rnn_seq_case(rng, 5, 2, 3, 3, truncate=1),
            rnn_seq_case(rng, 8, 1, 2, 5, truncate=3), rnn_seq_case(rng, 1, 2, 4, 3, truncate=2)]


def _hidden_lstm_step_back(rng):
    # a batch of one, saturated gates, a hidden size of one
    return [lstm_step_case(rng, 1, 3, 4), lstm_step_case(rng, 4, 2, 3, scale=5.0), lstm_step_case(rng, 3, 5, 1)]


def _hidden_clip(rng):
    grads = [rng.normal(size=(4, 3)) * 10, rng.normal(size=(2, 2, 2)), rng.normal(size=1)]
    small = [rng.normal(size=3) * 1e-3]
    return [case(grads, float(rng.uniform(0.5, 2.0))), case(small, 1.0), case([np.zeros(4), np.zeros(2)], 1.0)]


HIDDEN = {
    "rnn_step_forward": _hidden_rnn_step,
    "rnn_forward": _hidden_rnn,
    "lstm_step_forward": _hidden_lstm_step,
    "lstm_forward": _hidden_lstm,
    "gradient_norms_through_time": _hidden_gn,
    "rnn_step_backward": _hidden_rnn_step_back,
    "rnn_backward": _hidden_rnn_back,
    "lstm_step_backward": _hidden_lstm_step_back,
    "clip_grad_norm": _hidden_clip,
}
