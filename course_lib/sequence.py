"""Shared logic for lecture 08 (recurrent networks): character vocabularies and models, temperature
sampling, a bigram baseline, the long-range memory task, and measuring gradients through time.

NumPy parts (vocabulary, temperature, bigram model) import no torch; the rest imports torch lazily.
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw08",)

from dataclasses import dataclass

import numpy as np

from course_lib.threads import cpu_threads

# ---------------------------------------------------------------- characters

@dataclass
class Vocab:
    """Character ↔ integer maps for a text."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.chars)}
        return np.array([index[c] for c in text if c in index], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def softmax_with_temperature(logits, temperature: float) -> np.ndarray:
    """p_k ∝ exp(z_k / τ). τ → 0: arg-max (one-hot); τ = 1: the model's distribution; τ → ∞: uniform."""
    z = np.asarray(logits, dtype=float)
    if temperature <= 0:
        p = np.zeros_like(z)
        p[..., :] = (z == z.max(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)
    z = z / temperature
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def entropy_bits(p) -> float:
    """Shannon entropy of a distribution in bits."""
    p = np.asarray(p, dtype=float)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


class BigramModel:
    """Counts of next character given the current one (add-one smoothing): a baseline and a torch-free
    stand-in for the sampler widget. logits(ids) returns log-probabilities of the next character."""

    def __init__(self, text: str, vocab: Vocab | None = None):
        self.vocab = vocab or Vocab.from_text(text)
        ids = self.vocab.encode(text)
        V = len(self.vocab)
        counts = np.ones((V, V))
        np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
        self.log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))

    def next_logits(self, context_ids) -> np.ndarray:
        return self.log_probs[int(context_ids[-1])]


# ---------------------------------------------------------------- torch models

def char_model(vocab_size: int, hidden: int = 128, kind: str = "lstm", layers: int = 1, embed: int = 32):
    """Embedding → RNN/GRU/LSTM → linear read-out to next-character logits."""
    import torch.nn as nn

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.kind = kind
            self.embed = nn.Embedding(vocab_size, embed)
            rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind]
            self.rnn = rnn(embed, hidden, num_layers=layers, batch_first=True)
            self.head = nn.Linear(hidden, vocab_size)

        def forward(self, x, state=None):
            out, state = self.rnn(self.embed(x), state)
            return self.head(out), state

    return CharRNN()


def char_batches(ids: np.ndarray, seq_len: int, batch_size: int, steps: int, seed: int = 0, device=None):
    """Random windows of the text: yields (x, y) LongTensors (batch, seq_len), y = x shifted by one."""
    import torch

    rng = np.random.default_rng(seed)
    data = torch.as_tensor(ids, dtype=torch.long)
    if device is not None:
        data = data.to(device)
    hi = len(ids) - seq_len - 1
    for _ in range(steps):
        starts = torch.as_tensor(rng.integers(0, hi, size=batch_size))
        idx = starts[:, None] + torch.arange(seq_len + 1)[None, :]
        if device is not None:
            idx = idx.to(device)
        chunk = data[idx]
        yield chunk[:, :-1], chunk[:, 1:]


def train_char_model(model, ids: np.ndarray, steps: int, seq_len: int = 64, batch_size: int = 32,
                     lr: float = 3e-3, device=None, seed: int = 0, clip: float = 1.0, progress: bool = True,
                     threads: int = 1) -> dict:
    """Next-character training with Adam and gradient-norm clipping (`threads` torch threads on a CPU).
    Returns losses (nats/char), seconds and characters/s."""
    import time

    import torch
    from tqdm.auto import tqdm

    device = torch.device(device or next(model.parameters()).device)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    t0 = time.perf_counter()
    model.train()
    with cpu_threads(device, threads):  # one thread: latency-bound tiny steps
        for x, y in tqdm(char_batches(ids, seq_len, batch_size, steps, seed, device), total=steps,
                         disable=not progress, leave=False, desc="char model"):
            logits, _ = model(x)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(float(loss.detach()))
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"loss": losses, "seconds": dt, "chars_per_s": steps * batch_size * seq_len / dt}


class TorchCharSampler:
    """Wrap a trained char_model so it has next_logits(context_ids) like BigramModel.

    It keeps the recurrent state of the last context, so extending the context by one character costs one
    step (generation is linear in the length, not quadratic)."""

    def __init__(self, model, vocab: Vocab, max_context: int = 200):
        self.model, self.vocab, self.max_context = model, vocab, max_context
        self._ctx: list[int] | None = None
        self._state = None
        self._logits = None

    def next_logits(self, context_ids) -> np.ndarray:
        import torch

        ids = [int(i) for i in context_ids]
        c = self._ctx
        if c is not None and len(ids) >= len(c) and ids[:len(c)] == c:
            new, state = ids[len(c):], self._state
            if not new:
                return self._logits
        else:
            new, state = ids[-self.max_context:], None
        device = next(self.model.parameters()).device
        x = torch.as_tensor(new, dtype=torch.long, device=device)[None]
        self.model.eval()
        with torch.no_grad(), cpu_threads(device):
            logits, state = self.model(x, state)
        self._ctx, self._state = ids, state
        self._logits = logits[0, -1].double().cpu().numpy()
        return self._logits


def sample_text(model, vocab: Vocab, prime: str = "Alice ", length: int = 200, temperature: float = 1.0,
                seed: int = 0) -> str:
    """Generate `length` characters after `prime`, drawing each from softmax(logits / temperature).

    `model` is anything with next_logits(context_ids) (BigramModel, TorchCharSampler). Temperature 0 is greedy.
    """
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prime)) or [0]
    for _ in range(length):
        p = softmax_with_temperature(model.next_logits(ids), temperature)
        ids.append(int(rng.choice(len(p), p=p)))
    return vocab.decode(ids)


# ---------------------------------------------------------------- long-range memory

def first_symbol_task(n: int, length: int, num_symbols: int = 4, num_distractors: int = 4, seed: int = 0):
    """Remember the first token across `length` − 1 distractors: X (n, length) ints, y (n,) in 0..num_symbols-1.

    Step 0 holds one of `num_symbols` symbols; steps 1.. hold random distractor tokens (ids num_symbols..).
    The answer is read after the last step, so chance accuracy is 1/num_symbols.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_symbols, size=n)
    X = rng.integers(num_symbols, num_symbols + num_distractors, size=(n, length))
    X[:, 0] = y
    return X, y


def sequence_classifier(vocab_size: int, num_classes: int, hidden: int = 32, kind: str = "lstm"):
    """Embedding → RNN/GRU/LSTM → class logits from the last hidden state."""
    import torch.nn as nn

    class SeqClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, 16)
            self.rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](16, hidden, batch_first=True)
            self.head = nn.Linear(hidden, num_classes)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out[:, -1])

    return SeqClassifier()


def memory_experiment(lengths, kinds=("rnn", "lstm"), n_train: int = 2000, n_test: int = 500, epochs: int = 10,
                      hidden: int = 32, num_symbols: int = 4, lr: float = 1e-2, batch_size: int = 64,
                      device=None, seed: int = 0, progress: bool = False, forget_bias: float = 3.0) -> dict:
    """Test accuracy of each kind of recurrent net on first_symbol_task for each sequence length.

    Returns {"lengths": [...], kind: [accuracy per length], "chance": 1/num_symbols, "examples_per_s": {...}}.
    The LSTM's forget-gate bias starts at `forget_bias` (σ(3) ≈ 0.95), so its memory starts long.
    """
    from course_lib.device import pick_device

    device = device or pick_device()
    with cpu_threads(device):  # tiny recurrent nets are latency-bound: one CPU thread is fastest
        return _memory_runs(lengths, kinds, n_train, n_test, epochs, hidden, num_symbols, lr, batch_size,
                            device, seed, progress, forget_bias)


def _memory_runs(lengths, kinds, n_train, n_test, epochs, hidden, num_symbols, lr, batch_size, device, seed,
                 progress, forget_bias):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib.train import evaluate, fit

    out: dict = {"lengths": list(lengths), "chance": 1.0 / num_symbols, "examples_per_s": {}}
    for kind in kinds:
        accs, speeds = [], []
        for L in lengths:
            torch.manual_seed(seed)
            Xtr, ytr = first_symbol_task(n_train, L, num_symbols, seed=seed)
            Xte, yte = first_symbol_task(n_test, L, num_symbols, seed=seed + 1)
            train = DataLoader(TensorDataset(torch.as_tensor(Xtr), torch.as_tensor(ytr)), batch_size=batch_size,
                               shuffle=True, generator=torch.Generator().manual_seed(seed))
            test = DataLoader(TensorDataset(torch.as_tensor(Xte), torch.as_tensor(yte)), batch_size=1024)
            model = sequence_classifier(num_symbols + 4, num_symbols, hidden, kind)
            if kind == "lstm":  # a positive forget-gate bias: remember by default (Jozefowicz et al. 2015)
                with torch.no_grad():
                    model.rnn.bias_ih_l0[hidden:2 * hidden].fill_(forget_bias)
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            hist = fit(model, train, opt, epochs=epochs, device=device, progress=progress)
            accs.append(evaluate(model, test, device=device)["accuracy"])
            speeds.append(float(np.mean(hist["examples_per_s"])))
        out[kind] = accs
        out["examples_per_s"][kind] = float(np.mean(speeds))
    return out


# ---------------------------------------------------------------- gradients through time

def scaled_orthogonal(H: int, rho: float, seed: int = 0) -> np.ndarray:
    """ρ·Q for a random orthogonal Q: every singular value and |eigenvalue| equals ρ."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(H, H)))
    return rho * Q


def rnn_cell_with_radius(H: int, rho: float, input_size: int = 1, seed: int = 0, bias: bool = False):
    """A float64 tanh torch.nn.RNNCell whose recurrent matrix is ρ·orthogonal (biases zero unless `bias`)."""
    import torch

    torch.manual_seed(seed)
    cell = torch.nn.RNNCell(input_size, H).double()
    with torch.no_grad():
        cell.weight_hh.copy_(torch.as_tensor(scaled_orthogonal(H, rho, seed)))
        if not bias:
            cell.bias_ih.zero_()
            cell.bias_hh.zero_()
    return cell


def jacobian_norms_through_time(cell, T: int, xs=None, h0=None) -> np.ndarray:
    """norms[t] = ‖∂h_T/∂h_t‖_F, t = 0..T-1, for an unbatched torch cell (the lecture's copy of the hw08 tool).

    For an LSTMCell the state is (h, c) and we measure ∂c_T/∂c_t, the path the LSTM keeps open.
    """
    import torch

    p = next(cell.parameters())
    H = cell.hidden_size
    if xs is None:
        xs = torch.zeros(T, cell.input_size, dtype=p.dtype)
    with cpu_threads(p.device):
        return _jacobian_norms(cell, T, xs, h0, p, H)


def _jacobian_norms(cell, T, xs, h0, p, H):
    import torch

    lstm = isinstance(cell, torch.nn.LSTMCell)
    h = (torch.zeros(H, dtype=p.dtype) if h0 is None else h0).detach().clone()
    c = torch.zeros(H, dtype=p.dtype).requires_grad_(True)
    if not lstm:
        h.requires_grad_(True)
    states = [c if lstm else h]
    for t in range(T):
        if lstm:
            h, c = cell(xs[t], (h, c))
            states.append(c)
        else:
            h = cell(xs[t], h)
            states.append(h)
    sq = torch.zeros(T, dtype=p.dtype)
    for k in range(H):
        rows = torch.autograd.grad(states[-1][k], states[:-1], retain_graph=True, allow_unused=True)
        sq += torch.stack([(r ** 2).sum() if r is not None else sq.new_zeros(()) for r in rows])
    return torch.sqrt(sq).numpy()
