"""course_lib.cnn, course_lib.sequence and course_lib.threads: the shared logic of lectures 07 and 08."""

from __future__ import annotations

import numpy as np
import torch

from course_lib.cnn import count_parameters, lenet, mlp, random_shift_flip
from course_lib.sequence import (
    TorchCharSampler,
    Vocab,
    char_model,
    first_symbol_task,
    jacobian_norms_through_time,
    rnn_cell_with_radius,
)
from course_lib.threads import cpu_threads


def test_lenet_and_mlp_have_similar_sizes_and_shapes():
    x = torch.zeros(3, 1, 28, 28)
    assert lenet()(x).shape == (3, 10) and mlp()(x).shape == (3, 10)
    assert count_parameters(lenet()) == 61706
    assert abs(count_parameters(mlp()) - count_parameters(lenet())) / count_parameters(lenet()) < 0.1


def test_random_shift_is_a_zero_filled_translation():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6) + 1
    y = random_shift_flip(x, shift=2, generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    for n in range(2):  # every output row/column is a shifted input row/column or zeros
        nz = y[n, 0][y[n, 0] > 0]
        assert set(nz.tolist()) <= set(x[n, 0].flatten().tolist())
        diffs = (y[n, 0][:, 1:] - y[n, 0][:, :-1])[(y[n, 0][:, 1:] > 0) & (y[n, 0][:, :-1] > 0)]
        assert torch.all(diffs == 1)  # horizontal neighbours stay neighbours
    flipped = random_shift_flip(x, shift=0, flip=True, generator=torch.Generator().manual_seed(0))
    for n in range(2):
        assert torch.equal(flipped[n], x[n]) or torch.equal(flipped[n], x[n].flip(-1))


def test_first_symbol_task():
    X, y = first_symbol_task(50, 10, num_symbols=4, num_distractors=3, seed=1)
    assert X.shape == (50, 10) and np.array_equal(X[:, 0], y)
    assert X[:, 1:].min() >= 4 and X[:, 1:].max() < 7 and y.max() < 4


def test_stateful_sampler_matches_full_context():
    torch.manual_seed(0)
    v = Vocab.from_text("abcdefgh ")
    m = char_model(len(v), hidden=16)
    s = TorchCharSampler(m, v)
    for k in range(1, 8):  # extend the context one character at a time (cached state)
        cached = s.next_logits(v.encode("abcdefgh"[:k]))
    fresh = TorchCharSampler(m, v).next_logits(v.encode("abcdefg"))
    np.testing.assert_allclose(cached, fresh, atol=1e-5)


def test_jacobian_norms_linear_regime_and_lstm_forget_gate():
    H, T = 6, 10
    cell = rnn_cell_with_radius(H, 0.8)
    np.testing.assert_allclose(jacobian_norms_through_time(cell, T), np.sqrt(H) * 0.8 ** (T - np.arange(T)),
                               rtol=1e-10)
    lstm = torch.nn.LSTMCell(1, H).double()
    with torch.no_grad():  # gates independent of the state, forget gate exactly σ(2)
        lstm.weight_hh.zero_()
        lstm.bias_ih.zero_()
        lstm.bias_hh.zero_()
        lstm.bias_ih[H:2 * H].fill_(2.0)
    f = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(jacobian_norms_through_time(lstm, T), np.sqrt(H) * f ** (T - np.arange(T)),
                               rtol=1e-10)


def test_cpu_threads_restores():
    before = torch.get_num_threads()
    with cpu_threads("cpu", 1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
