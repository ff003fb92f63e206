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
    labels = {1: ("batch of one",), 8: ("saturated tanh (large pre-activations)",)}
    return [
        case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), *rnn_params(rng, D, H, s)).edge(*labels.get(N, ()))
        for N, D, H, s in [(3, 4, 6, 1.0), (1, 2, 2, 3.0), (5, 6, 3, 0.3), (8, 3, 4, 40.0)]
    ]


def _hidden_rnn(rng):
    labels = {15: ("long sequence (T = 15)",), 3: ("batch of one",), 1: ("T = 1 sequence",)}
    return [
        case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), *rnn_params(rng, D, H, s)).edge(*labels.get(T, ()))
        for T, N, D, H, s in [(7, 3, 4, 5, 1.0), (15, 2, 2, 3, 1.5), (3, 1, 5, 4, 0.5), (1, 4, 3, 2, 1.0)]
    ]


def _hidden_lstm_step(rng):
    out = [
        case(rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), *lstm_params(rng, D, H, s))
        for N, D, H, s in [(4, 3, 6, 1.0), (2, 5, 3, 0.5)]
    ]
    out.append(case(rng.normal(size=(3, 2)), rng.normal(size=(3, 1)), rng.normal(size=(3, 1)),
                    *lstm_params(rng, 2, 1, 1.0)).edge("hidden size of one (H = 1)"))
    # large pre-activations: a naive 1/(1+exp(-z)) overflows (a warning) but must still give the right values
    out.append(
        case(
            rng.normal(size=(2, 3)) * 50,
            rng.normal(size=(2, 4)),
            rng.normal(size=(2, 4)),
            *lstm_params(rng, 3, 4, 20.0),
        ).edge("large pre-activations (stable sigmoid)")
    )
    return out


def _hidden_lstm(rng):
    labels = {20: ("long sequence (T = 20)",), 1: ("T = 1 sequence",)}
    return [
        case(rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
             *lstm_params(rng, D, H, s)).edge(*labels.get(T, ()))
        for T, N, D, H, s in [(8, 3, 4, 5, 1.0), (20, 2, 2, 3, 2.0), (1, 3, 4, 2, 1.0)]
    ]


def _hidden_gn(rng):
    return [
        gn_case(rng, 2, 5, 10, 0.5).edge("vanishing regime (rho < 1)"),
        gn_case(rng, 3, 4, 12, 1.5).edge("exploding regime (rho > 1)"),
        gn_case(rng, 1, 6, 8, 1.0, inputs=False, start=False, bias=False).edge(
            "zero inputs, zero start and no bias (Jacobian = W_hh)"),
    ]


def _hidden_rnn_step_back(rng):
    # a batch of one, a saturated tanh (large pre-activations), a zero upstream gradient
    big = rnn_step_case(rng, 3, 4, 5, scale=6.0)
    zero = rnn_step_case(rng, 2, 3, 3)
    zero.args = (np.zeros_like(zero.args[0]),) + zero.args[1:]
    return [rnn_step_case(rng, 1, 2, 3).edge("batch of one"), big.edge("saturated tanh (large pre-activations)"),
            zero.edge("zero upstream gradient")]


def _hidden_rnn_back(rng):
    # full BPTT, truncation every step and every 3 steps, a T = 1 sequence, a batch of one
    return [rnn_seq_case(rng, 6, 3, 2, 4).edge("full BPTT (no truncation)"),
            rnn_seq_case(rng, 5, 2, 3, 3, truncate=1).edge("truncation at every step (truncate = 1)"),
            rnn_seq_case(rng, 8, 1, 2, 5, truncate=3).edge("batch of one"),
            rnn_seq_case(rng, 1, 2, 4, 3, truncate=2).edge("T = 1 sequence")]


def _hidden_lstm_step_back(rng):
    # a batch of one, saturated gates, a hidden size of one
    return [lstm_step_case(rng, 1, 3, 4).edge("batch of one"),
            lstm_step_case(rng, 4, 2, 3, scale=5.0).edge("saturated gates"),
            lstm_step_case(rng, 3, 5, 1).edge("hidden size of one (H = 1)")]


def _hidden_clip(rng):
    grads = [rng.normal(size=(4, 3)) * 10, rng.normal(size=(2, 2, 2)), rng.normal(size=1)]
    small = [rng.normal(size=3) * 1e-3]
    return [case(grads, float(rng.uniform(0.5, 2.0))).edge("arrays of different shapes"),
            case(small, 1.0).edge("norm already below max_norm (unchanged)"),
            case([np.zeros(4), np.zeros(2)], 1.0).edge("all-zero gradients")]


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
