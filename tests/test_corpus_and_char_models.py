"""Library code behind lectures 06-09: the standard-library text corpus, the memorisation check, bits per
character (bigram and LSTM), the chrono initialisation and the memory experiment."""

from __future__ import annotations

import math
import socket

import numpy as np
import pytest
import torch

from course_lib.data import corpus
from course_lib.sequence import (
    BigramModel,
    Vocab,
    bits_per_char,
    char_model,
    chrono_init_,
    longest_copied_substring,
    memory_experiment,
)

# ---------------------------------------------------------------- corpus


def _fake_stdlib(root):
    (root / "pkg").mkdir()
    (root / "test").mkdir()
    (root / "b.py").write_text('"""Module b."""\n\ndef f():\n    """Function f.\n\n    Details\there."""\n')
    (root / "a.py").write_text('"""Module a: caf\u00e9."""\n\nclass K:\n    """Class K."""\n\n    def m(self):\n'
                               '        """Module b."""\n', encoding="utf-8")
    (root / "pkg" / "c.py").write_text('"""Package module c."""\n')
    (root / "test" / "t.py").write_text('"""A test: skipped."""\n')
    (root / "broken.py").write_text("def (:\n")


def test_corpus_order_cleaning_and_deduplication(tmp_path, monkeypatch):
    _fake_stdlib(tmp_path)
    monkeypatch.setattr(corpus, "MIN_CHARS", 0)
    text = corpus.stdlib_docstrings(tmp_path)
    # sorted files (a, b, pkg/c), source order inside a file, exact repeats once, test/ and broken files skipped,
    # non-ASCII dropped, tabs expanded (to 8-column stops by ast.get_docstring)
    assert text == "Module a: caf.\n\nClass K.\n\nModule b.\n\nFunction f.\n\nDetails     here.\n\nPackage module c."
    assert corpus.stdlib_docstrings(tmp_path) == text
    assert corpus.stdlib_docstrings(tmp_path, max_chars=10) == text[:10]


def test_corpus_falls_back_on_source_text_when_docstrings_are_few(tmp_path):
    _fake_stdlib(tmp_path)
    text = corpus.stdlib_docstrings(tmp_path)  # MIN_CHARS = 1 MB cannot be reached: the sources are appended
    assert text.startswith("Module a: caf.") and 'class K:' in text


@pytest.fixture(scope="module")
def stdlib_text():
    return corpus.stdlib_docstrings()


def test_real_corpus_is_over_a_megabyte_of_printable_text(stdlib_text):
    assert len(stdlib_text) >= 1_000_000, len(stdlib_text)
    assert set(stdlib_text) <= corpus.ALLOWED | {"\n"}


def test_corpus_builds_offline_deterministically_and_is_cached(tmp_path, monkeypatch, stdlib_text):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    text = corpus.load_corpus()  # a second build, without the network: the same text
    assert text == stdlib_text
    path = corpus.corpus_cache_path()
    assert path.is_relative_to(tmp_path) and path.read_text(encoding="utf-8") == text
    path.write_text("cached copy", encoding="utf-8")  # the second call reads the cache
    assert corpus.load_corpus() == "cached copy"


# ---------------------------------------------------------------- memorisation check


def _brute_force_longest(sample: str, text: str) -> int:
    best = 0
    for i in range(len(sample)):
        for j in range(i + 1, len(sample) + 1):
            if j - i > best and sample[i:j] in text:
                best = j - i
    return best


def test_longest_copied_substring():
    text = "the quick brown fox jumps over the lazy dog"
    assert longest_copied_substring("a quick brown cat", text) == " quick brown "
    assert longest_copied_substring("xyz", text) == "x"  # the first of the longest (x, y and z: 1 character)
    assert longest_copied_substring("", text) == ""
    assert longest_copied_substring("QQQ", text) == ""
    rng = np.random.default_rng(0)
    for _ in range(30):
        text = "".join(rng.choice(list("abc"), size=60))
        sample = "".join(rng.choice(list("abc"), size=25))
        found = longest_copied_substring(sample, text)
        assert found in text and found in sample
        assert len(found) == _brute_force_longest(sample, text)


# ---------------------------------------------------------------- bits per character


def test_bigram_bits_per_char_by_hand():
    # training text "abab": pairs a→b, b→a, a→b; add-one counts: from a [1, 3], from b [2, 1]
    bigram = BigramModel("abab")
    np.testing.assert_allclose(np.exp(bigram.log_probs), [[1 / 4, 3 / 4], [2 / 3, 1 / 3]])
    # "aba": −(log2 3/4 + log2 2/3)/2 = log2(4/3 · 3/2)/2 = 1/2 bit per character
    assert bigram.bits_per_char(bigram.vocab.encode("aba")) == pytest.approx(0.5, abs=1e-12)
    # "aa": one pair a→a, probability 1/4: 2 bits
    assert bigram.bits_per_char(bigram.vocab.encode("aa")) == pytest.approx(2.0, abs=1e-12)


def test_lstm_bits_per_char_is_the_cross_entropy_in_bits():
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefgh")
    ids = np.random.default_rng(0).integers(0, len(vocab), size=201)
    model = char_model(len(vocab), hidden=8)
    with torch.no_grad():
        logits, _ = model(torch.as_tensor(ids[:-1])[None])
        nats = torch.nn.functional.cross_entropy(logits[0], torch.as_tensor(ids[1:])).item()
    assert bits_per_char(model, ids, rows=1) == pytest.approx(nats / math.log(2), rel=1e-5)
    # rows > 1: the same characters scored, each piece read from an empty state
    assert abs(bits_per_char(model, ids, rows=4) - nats / math.log(2)) < 0.1
    assert bits_per_char(model, ids) > 0  # more rows than characters per row: falls back to one row


# ---------------------------------------------------------------- memory task


def test_chrono_init_spreads_the_forget_gates():
    lstm = torch.nn.LSTM(4, 16)
    chrono_init_(lstm, 50, torch.Generator().manual_seed(0))
    H = 16
    b_f = lstm.bias_ih_l0[H:2 * H] + lstm.bias_hh_l0[H:2 * H]
    b_i = lstm.bias_ih_l0[:H] + lstm.bias_hh_l0[:H]
    assert torch.all(b_f >= 0) and torch.all(b_f <= math.log(49) + 1e-6)
    torch.testing.assert_close(b_i, -b_f)
    assert b_f.max() - b_f.min() > 1.0  # memories of very different lengths


def test_memory_experiment_shapes_and_chance():
    out = memory_experiment([3, 5], seeds=[0, 1], steps=3, batch_size=8, n_test=20, hidden=4, device="cpu")
    assert out["lengths"] == [3, 5] and out["chance"] == 0.25
    for kind in ("rnn", "lstm"):
        assert out[kind].shape == (2, 2) and np.all((out[kind] >= 0) & (out[kind] <= 1))
        assert out["seconds"][kind] >= 0
