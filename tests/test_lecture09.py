"""Lecture 09's new claims can fail: the BERT FLOP count and the fused-attention blind spot, each computed with the
course_lib function the lecture uses, once as the lecture does and once deliberately broken. Also the BERT-base
numbers the lecture prints (FlopCounterMode on the meta device: integers, the same on every machine)."""

from __future__ import annotations

import pytest
import torch

import course_lib.compute as C

# embedding table about a quarter of the encoder's weights, as in BERT-base (23.4M against 84.9M)
TINY = {"vocab": 800, "d_model": 64, "n_layers": 4, "n_heads": 4, "d_ff": 256, "max_len": 64}


def over_count(seq_len=32, **kw):
    """6N + 12LdT with N = all parameters, over the counted training FLOPs per token, minus 1 (the lecture's rule)."""
    c = C.bert_training_flops_per_token(seq_len, batch=4, **{**TINY, **kw})
    formula = C.transformer_flops_per_token(c["n_params"], TINY["n_layers"], TINY["d_model"], seq_len)
    return formula / c["per_token"] - 1


def test_six_n_over_counts_when_embeddings_are_lookups_and_not_when_they_are_matmuls():
    assert over_count() > 0.15  # the lecture's claim, on a tiny BERT
    # broken: the token embedding computed as one-hot @ table, a real product (4Vd per token, no input gradient):
    # the over-count falls below the rule
    assert over_count(embeddings_as_matmul=True) <= 0.15


def test_bert_base_counts_and_parameters():
    c128 = C.bert_training_flops_per_token(128)
    c512 = C.bert_training_flops_per_token(512)
    assert round(c128["per_token"] / 1e6) == 545 and round(c512["per_token"] / 1e6) == 588
    assert c128["n_embedding"] == (30522 + 512 + 2) * 768
    assert 109e6 < c128["n_params"] < 111e6
    # the counted training FLOPs: forward + backward = 3 × forward for every product in the encoder
    layer = 12 * (4 * 768 ** 2 + 2 * 768 * 3072)
    attention = 12 * 12 * 768 * 128
    head = 0.15 * 6 * (768 ** 2 + 30522 * 768)
    assert c128["per_token"] == pytest.approx(6 * layer + attention + head, rel=1e-3)


def test_pretraining_arithmetic_matches_the_issue():
    tokens = {128: 1e6 * 256 * 0.9 * 128, 512: 1e6 * 256 * 0.1 * 512}
    assert sum(tokens.values()) / 3.3e9 == pytest.approx(12.9, abs=0.05)
    flops = sum(n * C.bert_training_flops_per_token(T)["per_token"] for T, n in tokens.items())
    dgx_tf32 = 8 * 156e12
    assert flops / (5 * 3600) / dgx_tf32 == pytest.approx(1.06, abs=0.005)
    assert flops / (0.4 * dgx_tf32) / 3600 == pytest.approx(13.2, abs=0.05)


def mha_counts(explicit_both=False):
    mha = torch.nn.MultiheadAttention(64, 4, batch_first=True)
    x = torch.randn(2, 16, 64)
    with torch.no_grad():
        return {nw: C.count_flops(lambda nw=nw: mha(x, x, x, need_weights=nw or explicit_both))[0]
                for nw in (True, False)}


def test_fused_attention_is_not_counted_on_this_build_but_explicit_attention_is():
    counts = mha_counts()
    assert counts[True] - counts[False] > 0  # the lecture's claim (torch's CPU build: no formula for fused SDPA)
    assert counts[True] - counts[False] == 4 * 2 * 16 * 16 * 64  # exactly the two attention products
    broken = mha_counts(explicit_both=True)  # broken experiment: both calls take the explicit path
    assert broken[True] - broken[False] <= 0


# ---------------------------------------------------------------- §6 roofline and §7 MFU (timed: large margins)

def small_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 16, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))


def step_seconds(batch, model, opt):
    xb, yb = torch.randn(batch, 1, 8, 8), torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()

    return min(C.time_fn(step, "cpu", warmup=3, repeats=7))


def test_mfu_grows_from_batch_1_to_128_unless_the_flops_ignore_the_batch():
    from course_lib.threads import cpu_threads

    with cpu_threads("cpu", n=1):
        model = small_cnn()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x1, y1 = torch.randn(1, 1, 8, 8), torch.randint(0, 10, (1,))
        per_example, _ = C.count_flops(lambda: torch.nn.functional.cross_entropy(model(x1), y1).backward())
        t = {b: step_seconds(b, model, opt) for b in (1, 128)}
    ref = 1e11
    mfu = {b: C.mfu(b * per_example, t[b], ref) for b in t}
    assert mfu[128] / mfu[1] > 1.5  # the lecture's claim
    broken = {b: C.mfu(per_example, t[b], ref) for b in t}  # broken: FLOPs of one example for every batch
    assert broken[128] / broken[1] <= 1.5


def test_big_matmul_is_near_a_matmul_roof_but_not_near_a_roof_raised_by_overcounted_flops():
    from course_lib.threads import cpu_threads

    n = 512
    with cpu_threads("cpu", n=1), torch.no_grad():
        a, lin, xb = torch.randn(n, n), torch.nn.Linear(n, n, bias=False), torch.randn(n, n)
        roof = max(C.matmul_flops(n, n, n) / s for s in C.time_fn(lambda: a @ a, "cpu", warmup=2, repeats=5))
        best = max(C.linear_flops(n, n, n) / s for s in C.time_fn(lambda: lin(xb), "cpu", warmup=2, repeats=5))
    assert best / roof >= 0.5  # the lecture's claim: the roof is the fastest timed matmul
    # broken roof: raised by a layer whose FLOPs were counted 4× too high (as a direct-formula count of a kernel that
    # does fewer multiplications would be)
    assert best / (4 * roof) < 0.5
