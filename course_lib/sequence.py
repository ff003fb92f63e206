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

    def bits_per_char(self, ids) -> float:
        """Mean −log₂ p(next | current) over the consecutive pairs of `ids` (the first character is given)."""
        ids = np.asarray(ids)
        return float(-self.log_probs[ids[:-1], ids[1:]].mean() / np.log(2))


def longest_copied_substring(sample: str, text: str) -> str:
    """The longest substring of `sample` that occurs verbatim in `text` (a memorisation check).

    Scans the sample once and grows the best length while `sample[i:i+best+1] in text`: any common substring
    longer than the best so far, starting at i, contains that slice. About len(sample) substring searches.
    """
    best, where = 0, 0
    i = 0
    while i + best < len(sample):
        if sample[i:i + best + 1] in text:
            best, where = best + 1, i
        else:
            i += 1
    return sample[where:where + best]


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
                     threads: int = 1, cosine: bool = False) -> dict:
    """Next-character training with Adam and gradient-norm clipping (`threads` torch threads on a CPU).

    `cosine=True` decays the learning rate from `lr` to lr/10 along a half cosine over the `steps`.
    Returns losses (nats/char), seconds and characters/s."""
    import time

    import torch
    from tqdm.auto import tqdm

    device = torch.device(device or next(model.parameters()).device)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = None
    if cosine:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=lr / 10)
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
            if sched is not None:
                sched.step()
            losses.append(float(loss.detach()))
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"loss": losses, "seconds": dt, "chars_per_s": steps * batch_size * seq_len / dt}


def bits_per_char(model, ids, rows: int = 64, device=None) -> float:
    """Validation loss of a char_model on `ids` in bits per character.

    The text is cut into `rows` consecutive pieces read in parallel, each from an empty state (only the
    first character of each piece is predicted without context). Every character except the very first of
    each piece is scored once.
    """
    import torch

    device = torch.device(device or next(model.parameters()).device)
    n = (len(ids) - 1) // rows
    if n < 2:
        rows, n = 1, len(ids) - 1
    x = torch.as_tensor(np.asarray(ids[:rows * n]).reshape(rows, n), dtype=torch.long, device=device)
    y = torch.as_tensor(np.asarray(ids[1:rows * n + 1]).reshape(rows, n), dtype=torch.long, device=device)
    model.eval()
    with torch.no_grad(), cpu_threads(device):
        logits, _ = model(x)
        nats = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return float(nats) / float(np.log(2))


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


def chrono_init_(lstm, t_max: float, generator=None) -> None:
    """Chrono initialisation of a one-layer torch.nn.LSTM (Tallec & Ollivier 2018, "Can recurrent neural
    networks warp time?"): forget-gate biases b_f = log(u), u ~ U(1, t_max − 1), input-gate biases −b_f.

    Unit k then starts with forget gate σ(b_f) = u/(1+u), a memory of about u steps: the units' memories
    spread over 1 … t_max steps instead of all being short.
    """
    import torch

    H = lstm.hidden_size
    u = torch.empty(H).uniform_(1.0, max(float(t_max) - 1.0, 2.0), generator=generator)
    b_f = torch.log(u)
    with torch.no_grad():
        lstm.bias_ih_l0[H:2 * H].copy_(b_f)
        lstm.bias_hh_l0[H:2 * H].zero_()
        lstm.bias_ih_l0[:H].copy_(-b_f)
        lstm.bias_hh_l0[:H].zero_()


def memory_experiment(lengths, kinds=("rnn", "lstm"), seeds=(0, 1, 2), steps: int = 300, batch_size: int = 128,
                      n_test: int = 1000, hidden: int = 32, num_symbols: int = 4, lr: float = 3e-3,
                      clip: float = 1.0, device=None, progress: bool = False) -> dict:
    """Test accuracy of each kind of recurrent net on first_symbol_task, per seed and sequence length.

    Every run takes `steps` Adam updates on fresh batches (no fixed training set, so nothing to overfit), with
    gradient-norm clipping; the LSTM starts from the chrono initialisation with t_max = L. The test set of
    each length is fixed (the same for every kind and seed). Returns {"lengths", "seeds", "chance",
    kind: array (len(seeds), len(lengths)) of accuracies, "seconds": {kind: total seconds}}.
    """
    from course_lib.device import pick_device

    device = device or pick_device()
    with cpu_threads(device):  # tiny recurrent nets are latency-bound: one CPU thread is fastest
        return _memory_runs(list(lengths), kinds, list(seeds), steps, batch_size, n_test, hidden, num_symbols, lr,
                            clip, device, progress)


def _memory_runs(lengths, kinds, seeds, steps, batch_size, n_test, hidden, num_symbols, lr, clip, device,
                 progress):
    import time

    import torch
    from tqdm.auto import tqdm

    device = torch.device(device)
    tests = {L: first_symbol_task(n_test, L, num_symbols, seed=10_000 + L) for L in lengths}
    out: dict = {"lengths": lengths, "seeds": seeds, "chance": 1.0 / num_symbols, "seconds": {}}
    bar = tqdm(total=len(kinds) * len(seeds) * len(lengths), disable=not progress, leave=False, desc="memory")
    for kind in kinds:
        acc = np.zeros((len(seeds), len(lengths)))
        t0 = time.perf_counter()
        for i, seed in enumerate(seeds):
            for j, L in enumerate(lengths):
                torch.manual_seed(seed)
                rng = np.random.default_rng([seed, L])
                model = sequence_classifier(num_symbols + 4, num_symbols, hidden, kind).to(device)
                if kind == "lstm":
                    chrono_init_(model.rnn, L, torch.Generator().manual_seed(seed))
                opt = torch.optim.Adam(model.parameters(), lr=lr)
                model.train()
                for _ in range(steps):
                    X, y = first_symbol_task(batch_size, L, num_symbols, seed=int(rng.integers(2**31)))
                    X, y = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
                    loss = torch.nn.functional.cross_entropy(model(X), y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                    opt.step()
                model.eval()
                Xt, yt = (torch.as_tensor(a, device=device) for a in tests[L])
                with torch.no_grad():
                    acc[i, j] = float((model(Xt).argmax(1) == yt).float().mean())
                bar.update(1)
        if device.type == "cuda":
            torch.cuda.synchronize()
        out[kind] = acc
        out["seconds"][kind] = time.perf_counter() - t0
    bar.close()
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


# ---------------------------------------------------------------- spectral radius, forget bias, memory

def lstm_cell_with_forget_bias(H: int, forget_bias: float, input_size: int = 1, seed: int = 0,
                               hh_scale: float = 0.5):
    """A float64 torch.nn.LSTMCell whose forget gates start at σ(forget_bias) (b_if = forget_bias, b_hf = 0);
    the recurrent weights are scaled by `hh_scale` (as in lecture 08's cell-path picture)."""
    import torch

    torch.manual_seed(seed)
    cell = torch.nn.LSTMCell(input_size, H).double()
    with torch.no_grad():
        cell.weight_hh.mul_(hh_scale)
        cell.bias_ih[H:2 * H].fill_(forget_bias)
        cell.bias_hh[H:2 * H].zero_()
    return cell


def memory_accuracy(kind: str, length: int, steps: int = 150, rho: float | None = None,
                    forget_bias: float | None = None, hidden: int = 32, batch_size: int = 64, n_test: int = 500,
                    lr: float = 3e-3, clip: float = 1.0, seed: int = 0) -> float:
    """One small run of the first-symbol memory task on the CPU: test accuracy after `steps` Adam updates.

    kind "rnn": the recurrent matrix starts as ρ·orthogonal (`rho`; None: torch's default init);
    kind "lstm": every forget-gate bias starts at `forget_bias` (None: torch's default init).
    Gradient-norm clipping with torch.nn.utils.clip_grad_norm_, as in memory_experiment.
    """
    import torch

    with cpu_threads("cpu"):
        torch.manual_seed(seed)
        model = sequence_classifier(8, 4, hidden, kind)
        H = hidden
        with torch.no_grad():
            if kind == "rnn" and rho is not None:
                model.rnn.weight_hh_l0.copy_(torch.as_tensor(scaled_orthogonal(H, rho, seed), dtype=torch.float32))
            if kind == "lstm" and forget_bias is not None:
                model.rnn.bias_ih_l0[H:2 * H].fill_(forget_bias)
                model.rnn.bias_hh_l0[H:2 * H].zero_()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng([seed, length])
        model.train()
        for _ in range(steps):
            X, y = first_symbol_task(batch_size, length, seed=int(rng.integers(2**31)))
            loss = torch.nn.functional.cross_entropy(model(torch.as_tensor(X)), torch.as_tensor(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
        model.eval()
        Xt, yt = first_symbol_task(n_test, length, seed=10_000 + length)
        with torch.no_grad():
            return float((model(torch.as_tensor(Xt)).argmax(1) == torch.as_tensor(yt)).float().mean())
