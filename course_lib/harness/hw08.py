"""hw08 drivers: gradient_norms_through_time takes a torch RNN cell, built here in float64 from weights."""

from __future__ import annotations

import numpy as np


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
