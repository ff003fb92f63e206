"""Lecture 08's new and changed claims can fail: each experiment runs through its course_lib.sequence function at a
tiny size, once as the lecture runs it and once deliberately broken, and the claim's rule must separate the two.
Also: truncated BPTT carries the state between windows and cuts the gradient at the window's start."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib.sequence as S
from course_lib.widgets.gradient_flow import gradient_flow_compute

WORDS = ["cat", "dog", "owl", "eel", "ant", "bee"]


# ---------------------------------------------------------------- bidirectional tagging (§5)

def test_bidirectional_tagger_claim_holds_and_fails_without_the_backward_half():
    assert S.tagging_accuracy(bidirectional=True, steps=100, seed=0) >= 0.95  # the lecture's claim
    # broken: a "bidirectional" tagger that lost its backward half is a unidirectional one
    assert S.tagging_accuracy(bidirectional=False, steps=100, seed=0) < 0.95


def test_unidirectional_tagger_is_at_chance_unless_the_task_leaks_the_answer(monkeypatch):
    assert S.tagging_accuracy(bidirectional=False, steps=100, seed=0) <= 0.3  # the lecture's claim
    # broken task: the tags are the current tokens (Y = X), which a left-to-right reader sees
    real = S.next_token_tagging_task
    monkeypatch.setattr(S, "next_token_tagging_task", lambda n, length, k=4, seed=0: (real(n, length, k, seed)[0],) * 2)
    assert S.tagging_accuracy(bidirectional=False, steps=100, seed=0) > 0.3


def test_next_token_tags():
    X, Y = S.next_token_tagging_task(5, 7, seed=3)
    assert (Y[:, :-1] == X[:, 1:]).all() and (Y[:, -1] == X[:, -1]).all()


# ---------------------------------------------------------------- conditional generation (§5)

def test_conditional_generator_claim_holds_and_fails_without_feedback():
    assert S.word_generation(WORDS, conditional=True, steps=100)["valid"] >= 0.95  # the lecture's claim
    assert S.word_generation(WORDS, conditional=False, steps=100)["valid"] < 0.95  # broken: feedback left out


def test_generator_without_feedback_mixes_words_unless_it_is_fed_back():
    r = S.word_generation(WORDS, conditional=False, steps=100)
    assert r["valid"] < 0.2 and r["bits"] > np.log2(6) + 2  # the lecture's claim; per-position letters only
    # broken: the "no feedback" model is accidentally given its previous letter
    assert S.word_generation(WORDS, conditional=True, steps=100)["valid"] >= 0.2


# ---------------------------------------------------------------- truncated BPTT (§2, §7)

def periodic_text(n_repeats=400, period=13, seed=0):
    return np.tile(np.random.default_rng(seed).integers(0, 3, size=period), n_repeats)


class Forgetful(torch.nn.Module):
    """A deliberately broken model: it drops the state it is given (as if the state were never carried)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, state=None):
        return self.inner(x, None)


def test_window_start_claim_holds_with_truncated_bptt_and_fails_when_the_state_is_dropped():
    ids = periodic_text()
    torch.manual_seed(0)
    model = S.char_model(3, hidden=32, embed=8)
    S.train_char_model(model, ids[:4000], steps=150, seq_len=16, batch_size=16, lr=1e-2, progress=False)
    assert S.window_start_bits(model, ids[4000:], seq_len=16, first=4, rows=8)["gain"] >= 0.3  # the lecture's rule
    torch.manual_seed(0)
    broken = Forgetful(S.char_model(3, hidden=32, embed=8))
    S.train_char_model(broken, ids[:4000], steps=150, seq_len=16, batch_size=16, lr=1e-2, progress=False)
    assert S.window_start_bits(broken, ids[4000:], seq_len=16, first=4, rows=8)["gain"] < 0.3


def test_char_streams_continue_each_row_and_restart_passes():
    ids = np.arange(1000)
    batches = list(S.char_streams(ids, seq_len=10, batch_size=4, steps=30, seed=1))
    stream = (len(ids) - 1) // 4
    x0, y0, fresh0 = batches[0]
    assert fresh0 and x0.shape == (4, 10) and (y0 == x0 + 1).all()
    assert (x0[:, 0] - x0[0, 0] == torch.arange(4) * stream).all()  # row b reads stream b
    for (x, _, _), (x_next, _, fresh) in zip(batches, batches[1:]):
        if not fresh:
            assert (x_next[:, 0] == x[:, -1] + 1).all()  # the next window continues where this one ended
    assert sum(f for _, _, f in batches) >= 2  # 30 windows of 10 over streams of 249: several passes


def test_truncated_bptt_carries_the_state_but_cuts_the_gradient():
    torch.manual_seed(0)
    model = S.char_model(5, hidden=8, embed=4)
    x1, x2 = torch.randint(0, 5, (2, 6)), torch.randint(0, 5, (2, 6))
    _, state = model(x1)
    carried = S.detach_state(state)
    out_carried, _ = model(x2, carried)
    out_zero, _ = model(x2)
    assert not torch.allclose(out_carried, out_zero)  # the forward pass sees the previous window
    emb = model.embed.weight
    g = torch.autograd.grad(out_carried.sum(), emb, allow_unused=True)[0]
    # the gradient reaches only the embeddings of tokens in the second window
    assert set(torch.nonzero(g.abs().sum(1)).flatten().tolist()) <= set(x2.flatten().tolist())


# ---------------------------------------------------------------- same inputs for the RNN and the LSTM (§4, widget)

def test_gradient_flow_uses_the_same_inputs_and_the_rnn_takes_over_30_steps():
    r = gradient_flow_compute(rho=0.9, forget_bias=3.0, T=60, seed=0)
    assert 30 < r["rnn_steps_to_1e-3"] <= 60  # equal inputs: 36–39 steps over seeds 0–2 (not 24–26)
    assert r["lstm_first"] > 0.1


@pytest.mark.parametrize("forget_bias, holds", [(3.0, True), (0.0, False)])
def test_cell_path_claim_holds_with_forget_bias_3_and_fails_with_0(forget_bias, holds):
    gen = torch.Generator().manual_seed(0)
    xs = torch.randn(40, 4, dtype=torch.float64, generator=gen)
    lstm = S.jacobian_norms_through_time(S.lstm_cell_with_forget_bias(32, forget_bias, input_size=4), 40, xs)
    rnn = S.jacobian_norms_through_time(S.rnn_cell_with_radius(32, 0.9, 4), 40, xs)
    assert bool(lstm[0] / rnn[0] > 100) == holds  # the lecture's rule, 40 steps back
