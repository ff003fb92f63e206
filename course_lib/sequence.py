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


def char_streams(ids: np.ndarray, seq_len: int, batch_size: int, steps: int, seed: int = 0, device=None):
    """Batches for truncated back-propagation through time: the text is cut into `batch_size` streams of equal
    length, read in parallel, window after window, so that row b of window k + 1 continues exactly where row b
    of window k ended. Yields (x, y, fresh): x, y LongTensors (batch_size, seq_len), y = x shifted by one, and
    fresh = True on the first window of each pass over the text (each pass starts at a new random offset; the
    state carried from the end of the previous pass must then be dropped)."""
    import torch

    rng = np.random.default_rng(seed)
    data = torch.as_tensor(ids, dtype=torch.long)
    if device is not None:
        data = data.to(device)
    stream = (len(ids) - 1) // batch_size
    if stream < seq_len + 1:
        raise ValueError(f"char_streams: {len(ids)} characters are too few for {batch_size} streams of {seq_len}")
    starts = torch.arange(batch_size) * stream
    done, pos = 0, None
    while done < steps:
        if pos is None or pos + seq_len > stream:  # a new pass, at a random offset into every stream
            pos, fresh = int(rng.integers(0, seq_len)), True
            if pos + seq_len > stream:
                pos = 0
        idx = starts[:, None] + pos + torch.arange(seq_len + 1)[None, :]
        if device is not None:
            idx = idx.to(device)
        chunk = data[idx]
        yield chunk[:, :-1], chunk[:, 1:], fresh
        pos, fresh, done = pos + seq_len, False, done + 1


def detach_state(state):
    """The recurrent state with its history cut off (a tensor or a tuple of tensors, e.g. an LSTM's (h, c))."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def train_char_model(model, ids: np.ndarray, steps: int, seq_len: int = 64, batch_size: int = 32,
                     lr: float = 3e-3, device=None, seed: int = 0, clip: float = 1.0, progress: bool = True,
                     threads: int = 1, cosine: bool = False, truncated_bptt: bool = True) -> dict:
    """Next-character training with Adam and gradient-norm clipping (`threads` torch threads on a CPU).

    `truncated_bptt=True`: truncated back-propagation through time. The text is read as `batch_size` parallel
    streams (`char_streams`); the hidden state at the end of each window is carried into the next window (the
    forward pass sees context across window boundaries) but detached from the graph, so the gradient stops at
    the window's start (memory and time per update O(seq_len)). `truncated_bptt=False`: independent random
    windows, each from a zero state (no context beyond `seq_len` ever, in training).
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
    if truncated_bptt:
        batches = char_streams(ids, seq_len, batch_size, steps, seed, device)
    else:
        batches = ((x, y, True) for x, y in char_batches(ids, seq_len, batch_size, steps, seed, device))
    state = None
    with cpu_threads(device, threads):  # one thread: latency-bound tiny steps
        for x, y, fresh in tqdm(batches, total=steps, disable=not progress, leave=False, desc="char model"):
            logits, state = model(x, None if fresh else state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            state = detach_state(state)  # carried forward, but the next window's gradient stops here
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


def window_start_bits(model, ids, seq_len: int = 64, first: int = 8, rows: int = 32, device=None) -> dict:
    """Bits per character on the first `first` characters of every window of `seq_len`, when the text is read as
    in truncated BPTT (`rows` parallel streams, window after window): with the state carried over from the
    previous window ("carried"), and with every window started from a zero state ("fresh"). The first window
    of each stream has no previous window and is left out of both. gain = fresh − carried: how much the
    context from before the window helps where the window itself offers little."""
    import torch

    device = torch.device(device or next(model.parameters()).device)
    n_win = (len(ids) - 1) // rows // seq_len
    if n_win < 2:
        raise ValueError("window_start_bits: the text is too short for two windows per stream")
    span = n_win * seq_len
    x = torch.as_tensor(np.asarray(ids[:rows * span]).reshape(rows, span), dtype=torch.long, device=device)
    y = torch.as_tensor(np.stack([np.asarray(ids[r * span + 1:(r + 1) * span + 1]) for r in range(rows)]),
                        dtype=torch.long, device=device)
    sums = {"carried": 0.0, "fresh": 0.0}
    count = 0
    model.eval()
    with torch.no_grad(), cpu_threads(device):
        state = None
        for k in range(n_win):
            sl = slice(k * seq_len, (k + 1) * seq_len)
            logits, new_state = model(x[:, sl], state)
            if k > 0:
                head = slice(0, first)
                nll = torch.nn.functional.cross_entropy(logits[:, head].reshape(-1, logits.shape[-1]),
                                                        y[:, sl][:, head].reshape(-1), reduction="sum")
                fresh_logits, _ = model(x[:, sl][:, head])
                nll_fresh = torch.nn.functional.cross_entropy(fresh_logits.reshape(-1, logits.shape[-1]),
                                                              y[:, sl][:, head].reshape(-1), reduction="sum")
                sums["carried"] += float(nll)
                sums["fresh"] += float(nll_fresh)
                count += rows * first
            state = new_state
    out = {k: v / count / float(np.log(2)) for k, v in sums.items()}
    out["gain"] = out["fresh"] - out["carried"]
    return out


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


# ---------------------------------------------------------------- bidirectional and conditional RNNs

def next_token_tagging_task(n: int, length: int, num_symbols: int = 4, seed: int = 0):
    """Tag every position with the token that comes *next*: X (n, length) ints in 0..num_symbols−1, Y (n, length)
    with Y[:, t] = X[:, t+1] and, at the last position, Y[:, −1] = X[:, −1]. A unidirectional reader cannot know
    the next token when it must tag the current one (chance 1/num_symbols, except at the last position); a
    bidirectional one has read it."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, num_symbols, size=(n, length))
    Y = np.concatenate([X[:, 1:], X[:, -1:]], axis=1)
    return X, Y


def sequence_tagger(vocab_size: int, num_tags: int, hidden: int = 16, bidirectional: bool = False):
    """Embedding → GRU (one or two directions) → a tag's logits at every position."""
    import torch.nn as nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, 8)
            self.rnn = nn.GRU(8, hidden, batch_first=True, bidirectional=bidirectional)
            self.head = nn.Linear(hidden * (2 if bidirectional else 1), num_tags)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out)

    return Tagger()


def tagging_accuracy(bidirectional: bool, length: int = 12, steps: int = 200, hidden: int = 16,
                     num_symbols: int = 4, batch_size: int = 64, n_test: int = 500, lr: float = 1e-2,
                     seed: int = 0) -> float:
    """Train a sequence_tagger on next_token_tagging_task (fresh batches, Adam) on the CPU; return its test
    accuracy over the positions 0 … length−2 (the last position, which needs no future, is left out). A
    unidirectional tagger gets `2·hidden` units so that both have the same state size."""
    import torch

    with cpu_threads("cpu"):
        torch.manual_seed(seed)
        model = sequence_tagger(num_symbols, num_symbols, hidden if bidirectional else 2 * hidden, bidirectional)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng([seed, length])
        for _ in range(steps):
            X, Y = next_token_tagging_task(batch_size, length, num_symbols, seed=int(rng.integers(2**31)))
            logits = model(torch.as_tensor(X))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, num_symbols), torch.as_tensor(Y).reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        Xt, Yt = next_token_tagging_task(n_test, length, num_symbols, seed=20_000 + length)
        with torch.no_grad():
            pred = model(torch.as_tensor(Xt)).argmax(-1).numpy()
    return float((pred[:, :-1] == Yt[:, :-1]).mean())


def word_generator(vocab_size: int, hidden: int = 32, conditional: bool = True):
    """A GRU that outputs a word letter by letter. conditional=True: step t's input is the letter of step t−1
    (a start token at t = 0), so output t sees outputs 1 … t−1 (teacher forcing in training, its own samples
    when generating). conditional=False: every input is the start token, so output t depends on t only."""
    import torch.nn as nn

    class WordGen(nn.Module):
        def __init__(self):
            super().__init__()
            self.conditional = conditional
            self.start = vocab_size  # the start token's id
            self.embed = nn.Embedding(vocab_size + 1, 8)
            self.rnn = nn.GRU(8, hidden, batch_first=True)
            self.head = nn.Linear(hidden, vocab_size)

        def inputs(self, letters):
            import torch

            start = torch.full_like(letters[:, :1], self.start)
            if not self.conditional:
                return start.expand_as(letters)
            return torch.cat([start, letters[:, :-1]], dim=1)

        def forward(self, inp, state=None):
            out, state = self.rnn(self.embed(inp), state)
            return self.head(out), state

    return WordGen()


def word_generation(words, conditional: bool, steps: int = 300, hidden: int = 32, n_samples: int = 500,
                    batch_size: int = 64, lr: float = 1e-2, seed: int = 0) -> dict:
    """Train a word_generator on `words` (equally likely, all the same length), then sample `n_samples` words at
    temperature 1. Returns "valid": the fraction of samples that are one of the words, "bits": the trained
    model's mean −log₂ p(word) over the words, "samples": the first 12 samples."""
    import torch

    letters = sorted(set("".join(words)))
    index = {c: i for i, c in enumerate(letters)}
    data = np.array([[index[c] for c in w] for w in words])
    length = data.shape[1]
    with cpu_threads("cpu"):
        torch.manual_seed(seed)
        model = word_generator(len(letters), hidden, conditional)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            batch = torch.as_tensor(data[rng.integers(0, len(words), size=batch_size)])
            logits, _ = model(model.inputs(batch))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(letters)), batch.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            all_words = torch.as_tensor(data)
            logp = torch.log_softmax(model(model.inputs(all_words))[0], -1)
            bits = float(-logp.gather(-1, all_words[..., None]).sum((1, 2)).mean() / np.log(2))
            gen = torch.Generator().manual_seed(seed)
            inp = torch.full((n_samples, 1), model.start)
            state, out = None, []
            for _ in range(length):
                logits, state = model(inp, state)
                nxt = torch.multinomial(torch.softmax(logits[:, -1], -1), 1, generator=gen)
                out.append(nxt)
                inp = nxt if conditional else torch.full_like(nxt, model.start)
            samples = ["".join(letters[int(i)] for i in row) for row in torch.cat(out, 1)]
    valid = float(np.mean([s in set(words) for s in samples]))
    return {"valid": valid, "bits": bits, "samples": samples[:12]}
