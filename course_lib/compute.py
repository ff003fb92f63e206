"""Compute estimation: FLOP formulas, parameter counts, training cost, benchmarks of the machine you are on.

Conventions (lecture 09): one multiply-accumulate (MAC) is **2 FLOPs**; forward-pass formulas count the
matrix products only (no bias, no activation or other elementwise terms). Training a dense model costs about
6·N·D FLOPs (2N forward + 4N backward per token, N parameters, D tokens).

Importing this module does not import torch: every function that needs it imports it inside.
"""

from __future__ import annotations

# The lecture's toolkit, from which hw09's answers can be composed (chinchilla_optimal, conv2d_flops with groups,
# gru_step_flops): the grader refuses this module in submissions.
__answers_for__ = ("hw09",)

import functools
import math
import statistics
import time
from typing import Callable, Iterable, Sequence

from course_lib.compute_peaks import (
    lookup_bandwidth,
    lookup_peak,
    lookup_power,
    peak_flops,
    precision_name,
)

SECONDS_PER_DAY = 86_400.0
__all__ = [
    "arithmetic_intensity", "attainable_flops", "benchmark_bandwidth", "benchmark_matmul", "bert_model",
    "bert_training_flops_per_token",
    "chinchilla_optimal", "conv2d_flops", "count_flops", "count_parameters", "device_name", "gru_step_flops",
    "linear_flops",
    "lookup_bandwidth", "lookup_peak", "lookup_power", "lstm_step_flops", "matmul_flops", "mfu",
    "model_flops_utilization", "peak_flops", "precision_name", "ridge_point", "rnn_step_flops", "time_fn",
    "training_cost", "training_days", "training_flops", "transformer_flops_per_token", "warm_up",
]


# --------------------------------------------------------------------------------------------- FLOP formulas
def _pair(k) -> tuple[int, int]:
    if isinstance(k, (tuple, list)):
        if len(k) != 2:
            raise ValueError(f"kernel must be an int or a pair, got {k!r}")
        return int(k[0]), int(k[1])
    return int(k), int(k)


def matmul_flops(m: int, k: int, n: int) -> int:
    """(m×k)·(k×n): m·n outputs, each a k-term dot product (k multiplies, k−1 adds ≈ k MACs) → 2mnk."""
    return 2 * m * k * n


def linear_flops(batch: int, d_in: int, d_out: int) -> int:
    """Forward pass of a dense layer without bias: 2·batch·d_in·d_out."""
    return 2 * batch * d_in * d_out


def conv2d_flops(batch: int, c_in: int, c_out: int, kernel, h_out: int, w_out: int, groups: int = 1) -> int:
    """Forward pass of a 2-D convolution without bias: 2·B·C_out·(C_in/groups)·k_h·k_w·H_out·W_out."""
    kh, kw = _pair(kernel)
    return 2 * batch * c_out * (c_in // groups) * kh * kw * h_out * w_out


def lstm_step_flops(batch: int, d_in: int, d_hidden: int) -> int:
    """One LSTM time step: the four gates' products W_x·x (4H×I) and W_h·h (4H×H) → 8·B·H·(I+H)."""
    return 2 * batch * 4 * d_hidden * (d_in + d_hidden)


def gru_step_flops(batch: int, d_in: int, d_hidden: int) -> int:
    """One GRU time step: three gates → 6·B·H·(I+H)."""
    return 2 * batch * 3 * d_hidden * (d_in + d_hidden)


def rnn_step_flops(batch: int, d_in: int, d_hidden: int) -> int:
    """One vanilla (Elman) RNN step: 2·B·H·(I+H)."""
    return 2 * batch * d_hidden * (d_in + d_hidden)


def training_flops(n_params: float, n_tokens: float) -> float:
    """Dense-model training compute C ≈ 6·N·D (Kaplan et al. 2020, eq. 2.1; 2N forward + 4N backward)."""
    return 6.0 * float(n_params) * float(n_tokens)


def transformer_flops_per_token(n_params: float, n_layers: int, d_model: int, seq_len: int) -> float:
    """Training FLOPs per token with attention: 6N + 12·L·d·T (PaLM, Chowdhery et al. 2022, appendix B)."""
    return 6.0 * n_params + 12.0 * n_layers * d_model * seq_len


def chinchilla_optimal(flops_budget: float, tokens_per_param: float = 20.0) -> tuple[float, float]:
    """Split a budget C = 6·N·D with D = r·N (r ≈ 20, Hoffmann et al. 2022): N = √(C/6r), D = r·N."""
    n = math.sqrt(flops_budget / (6.0 * tokens_per_param))
    return n, tokens_per_param * n


def training_days(total_flops: float, n_gpus: int, peak_flops_per_gpu: float, mfu: float) -> float:
    """Wall-clock days: total / (n_gpus · peak · MFU) seconds, divided by 86,400."""
    return total_flops / (n_gpus * peak_flops_per_gpu * mfu) / SECONDS_PER_DAY


def model_flops_utilization(tokens_per_second: float, flops_per_token: float, peak_flops: float) -> float:
    """MFU as a fraction: achieved model FLOP/s (tokens/s × FLOPs/token) over peak FLOP/s (PaLM, 2022)."""
    return tokens_per_second * flops_per_token / peak_flops


def mfu(model_flops: float, seconds: float, peak: float, n_devices: int = 1) -> float:
    """MFU from a measurement: `model_flops` of useful work in `seconds` on `n_devices` of `peak` FLOP/s."""
    return model_flops / seconds / (peak * n_devices)


def training_cost(n_params: float, n_tokens: float, n_gpus: int, peak_flops_per_gpu: float, mfu: float,
                  price_per_gpu_hour: float, watts_per_gpu: float | None = None, pue: float = 1.0) -> dict:
    """FLOPs, days, GPU-hours, dollars and (if watts given) energy in MWh of a 6·N·D training run."""
    flops = training_flops(n_params, n_tokens)
    days = training_days(flops, n_gpus, peak_flops_per_gpu, mfu)
    gpu_hours = days * 24.0 * n_gpus
    out = {"flops": flops, "days": days, "gpu_hours": gpu_hours, "dollars": gpu_hours * price_per_gpu_hour}
    out["energy_mwh"] = (gpu_hours * watts_per_gpu * pue / 1e6) if watts_per_gpu else float("nan")
    return out


# ------------------------------------------------------------------------------------------- roofline model
def arithmetic_intensity(flops: float, bytes_moved: float) -> float:
    """FLOPs per byte moved to and from memory."""
    return flops / bytes_moved


def attainable_flops(intensity, peak: float, bandwidth: float):
    """Roofline (Williams, Waterman & Patterson 2009): min(peak, bandwidth × intensity). Works on arrays."""
    import numpy as np

    return np.minimum(peak, bandwidth * np.asarray(intensity, dtype=float))


def ridge_point(peak: float, bandwidth: float) -> float:
    """The intensity (FLOP/byte) where a kernel stops being memory-bound: peak / bandwidth."""
    return peak / bandwidth


def linear_intensity(batch: int, d_in: int, d_out: int, bytes_per_element: int = 4) -> float:
    """FLOP/byte of a dense layer: 2·B·I·O over (read x, read W, write y) = (B·I + I·O + B·O) elements."""
    elems = batch * d_in + d_in * d_out + batch * d_out
    return linear_flops(batch, d_in, d_out) / (elems * bytes_per_element)


def conv2d_intensity(batch: int, c_in: int, c_out: int, kernel, h_in: int, w_in: int, h_out: int, w_out: int,
                     bytes_per_element: int = 4) -> float:
    """FLOP/byte of a convolution that reads input and weights once and writes the output once."""
    kh, kw = _pair(kernel)
    elems = batch * c_in * h_in * w_in + c_out * c_in * kh * kw + batch * c_out * h_out * w_out
    return conv2d_flops(batch, c_in, c_out, kernel, h_out, w_out) / (elems * bytes_per_element)


# ---------------------------------------------------------------------------------------- counting in torch
def count_parameters(module, trainable_only: bool = False) -> int:
    """Number of parameters of a torch module (shared tensors once; buffers such as BN statistics excluded)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def count_flops(fn: Callable, *args, **kwargs) -> tuple[int, dict]:
    """Run fn(*args) under torch.utils.flop_counter.FlopCounterMode; return (total, {op name: flops}).

    FlopCounterMode counts matmuls, convolutions and attention only (2 FLOPs per MAC); an op without a
    registered formula (e.g. the fused aten::lstm behind nn.LSTM) counts as 0.
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    counts = counter.get_flop_counts().get("Global", {})
    per_op = {str(op).replace("aten.", ""): int(v) for op, v in counts.items()}
    return int(counter.get_total_flops()), per_op


# ------------------------------------------------------------------------------------ a BERT-sized count
BERT_BASE = {"vocab": 30522, "d_model": 768, "n_layers": 12, "n_heads": 12, "d_ff": 3072, "max_len": 512}


def bert_model(vocab: int = 30522, d_model: int = 768, n_layers: int = 12, n_heads: int = 12, d_ff: int = 3072,
               max_len: int = 512, head: str = "pretraining", embeddings_as_matmul: bool = False):
    """A BERT encoder (Devlin et al. 2019; BERT-base by default) as a torch module, for counting FLOPs.

    Token, position and segment embeddings + LayerNorm; `n_layers` post-LN blocks (Q, K, V and output projections,
    attention written out as two matmuls so that FlopCounterMode sees them, a GELU feed-forward layer);
    head "pretraining": the masked-LM head (dense + GELU + LayerNorm, then the output layer tied to the token
    embeddings, applied only at the masked positions) and the next-sentence head on the pooled first token;
    head "span": SQuAD's start/end logits at every position. forward(ids, masked) returns a scalar to
    back-propagate (`masked`: indices into the flattened (batch·seq) positions). `embeddings_as_matmul=True` (for
    tests) computes the token embedding as one-hot @ table, a matmul, instead of a lookup.
    """
    import torch
    import torch.nn as nn

    dh = d_model // n_heads

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_model) for _ in range(4))
            self.ff1, self.ff2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
            self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

        def forward(self, x):
            B, T, _ = x.shape
            heads = lambda t: t.view(B, T, n_heads, dh).transpose(1, 2)  # noqa: E731
            q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
            att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
            x = self.ln1(x + self.o((att @ v).transpose(1, 2).reshape(B, T, d_model)))
            return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos, self.seg = nn.Embedding(vocab, d_model), nn.Embedding(max_len, d_model), \
                nn.Embedding(2, d_model)
            self.ln = nn.LayerNorm(d_model)
            self.blocks = nn.ModuleList(Block() for _ in range(n_layers))
            if head == "pretraining":
                self.mlm, self.mlm_ln = nn.Linear(d_model, d_model), nn.LayerNorm(d_model)
                self.mlm_bias = nn.Parameter(torch.zeros(vocab))
                self.pool, self.nsp = nn.Linear(d_model, d_model), nn.Linear(d_model, 2)
            elif head == "span":
                self.span = nn.Linear(d_model, 2)
            else:
                raise ValueError(f"bert_model: head must be 'pretraining' or 'span', got {head!r}")

        def embed_tokens(self, ids):
            if embeddings_as_matmul:
                return nn.functional.one_hot(ids, vocab).to(self.tok.weight.dtype) @ self.tok.weight
            return self.tok(ids)

        def forward(self, ids, masked=None):
            B, T = ids.shape
            x = self.embed_tokens(ids) + self.pos(torch.arange(T, device=ids.device)) + self.seg(torch.zeros_like(ids))
            x = self.ln(x)
            for block in self.blocks:
                x = block(x)
            if head == "span":
                return self.span(x).sum()
            h = x.reshape(B * T, d_model)[masked]
            logits = nn.functional.linear(self.mlm_ln(nn.functional.gelu(self.mlm(h))), self.tok.weight, self.mlm_bias)
            return logits.logsumexp(-1).sum() + self.nsp(torch.tanh(self.pool(x[:, 0]))).sum()

    return Bert()


def bert_training_flops_per_token(seq_len: int, head: str = "pretraining", mask_fraction: float = 0.15,
                                  batch: int = 20, **config) -> dict:
    """Training FLOPs per token (forward + backward, FlopCounterMode) of `bert_model(**config)` at `seq_len`, on
    the meta device (shapes only: nothing is allocated or computed). With the pre-training head, the masked-LM
    output is computed at round(mask_fraction · batch · seq_len) positions (BERT masks 15% of the tokens).

    Returns per_token (FLOPs), n_params (all parameters), n_embedding (token, position and segment tables) and
    per_op (FLOPs per operator, whole batch)."""
    import torch

    cfg = {**BERT_BASE, **config}
    with torch.device("meta"):
        model = bert_model(head=head, **cfg)
    ids = torch.zeros(batch, seq_len, dtype=torch.long, device="meta")
    masked = torch.arange(int(round(mask_fraction * batch * seq_len)), device="meta")
    total, per_op = count_flops(lambda: model(ids, masked).backward())
    emb = sum(t.weight.numel() for t in (model.tok, model.pos, model.seg))
    return {"per_token": total / (batch * seq_len), "n_params": count_parameters(model), "n_embedding": emb,
            "per_op": per_op}


# ----------------------------------------------------------------------------------------------- timing
def _torch_device(device):
    import torch

    if device is None:
        from course_lib.device import pick_device

        return pick_device()
    return torch.device(device)


def synchronize(device) -> None:
    """Wait for queued work on `device` (CUDA and MPS run asynchronously; the CPU does not)."""
    import torch

    kind = _torch_device(device).type
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def time_fn(fn: Callable[[], object], device=None, warmup: int = 2, repeats: int = 5) -> list[float]:
    """Seconds per call of `fn`, one entry per repeat, timed correctly for the device.

    Warm-up calls first (kernel selection, caches, lazy allocation). On CUDA each call is bracketed by CUDA
    events (GPU time, not launch time); on MPS and CPU by perf_counter after a synchronize.
    """
    import torch

    dev = _torch_device(device)
    for _ in range(warmup):
        fn()
    synchronize(dev)
    times = []
    if dev.type == "cuda":
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1000.0)
        return times
    for _ in range(repeats):
        synchronize(dev)
        t0 = time.perf_counter()
        fn()
        synchronize(dev)
        times.append(time.perf_counter() - t0)
    return times


def _time_calls(fn: Callable[[], object], dev, calls: int) -> float:
    """Seconds for `calls` back-to-back calls of `fn` (CUDA events on CUDA, perf_counter elsewhere)."""
    import torch

    if dev.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000.0
    synchronize(dev)
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    synchronize(dev)
    return time.perf_counter() - t0


def warm_up(fn: Callable[[], object], device=None, min_seconds: float | None = None,
            max_seconds: float | None = None, tol: float | None = None, window: int = 3, min_calls: int = 2,
            chunk_seconds: float | None = None) -> dict:
    """Call `fn` until the device is warm: at least `min_calls` calls and `min_seconds` of wall time, and the
    last `window` timings (each over a chunk of calls lasting about `chunk_seconds`) agree within `tol`.
    Stops at `max_seconds` whatever happens (the cap), once `min_calls` calls have run.

    A GPU raises its clocks only after some time under load, and the first calls pay for kernel selection and
    allocation, so a fixed couple of warm-up calls under-reports (an H200's bf16 matmul: 69% of peak after two
    calls, 79% once warm). Defaults: CUDA/MPS ≥ 1 s, steady within 2%, cap 5 s, chunks of ~50 ms; CPU no
    minimum, steady within 5%, cap 0.3 s, chunks of ~10 ms (CPU runs stay quick).

    Returns seconds (wall time spent), calls, per_call (the last chunk's seconds per call), steady (whether the
    timings agreed before the cap) and timings (seconds per call of each chunk).
    """
    dev = _torch_device(device)
    gpu = dev.type in ("cuda", "mps")
    if min_seconds is None:
        min_seconds = 1.0 if gpu else 0.0
    if max_seconds is None:
        max_seconds = max(5.0 if gpu else 0.3, 2.0 * min_seconds)
    if tol is None:
        tol = 0.02 if gpu else 0.05
    if chunk_seconds is None:
        chunk_seconds = 0.05 if gpu else 0.01
    window = max(2, int(window))
    t_start = time.perf_counter()
    calls, chunk, timings, steady = 0, 1, [], False
    while True:
        per_call = _time_calls(fn, dev, chunk) / chunk
        calls += chunk
        timings.append(per_call)
        elapsed = time.perf_counter() - t_start
        last = timings[-window:]
        steady = len(last) == window and max(last) <= min(last) * (1.0 + tol)
        if calls >= min_calls and ((steady and elapsed >= min_seconds) or elapsed >= max_seconds):
            break
        # next chunk: about chunk_seconds long, never running far past the cap
        room = max(max_seconds - elapsed, 0.0)
        target = min(chunk_seconds, room) if room > 0 else chunk_seconds
        chunk = max(1, min(int(target / max(per_call, 1e-9)), 4 * chunk + 16))
    return {"seconds": time.perf_counter() - t_start, "calls": calls, "per_call": timings[-1],
            "steady": steady, "timings": timings}


def device_name(device=None) -> str:
    """A human name for `device`: the CUDA product name, 'Apple GPU (MPS)', or the CPU's name."""
    import platform

    import torch

    dev = _torch_device(device)
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    if dev.type == "mps":
        return "Apple GPU (MPS)"
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"CPU: {name} ({torch.get_num_threads()} threads)"


_TORCH_DTYPES = {"fp32": "float32", "tf32": "float32", "bf16": "bfloat16", "fp16": "float16",
                 "fp64": "float64"}


def benchmark_matmul(device=None, dtype="fp32", sizes: Sequence[int] = (256, 512, 1024), repeats: int = 5,
                     warmup: int = 2, min_seconds: float = 0.0, warmup_seconds: float | None = None,
                     max_warmup_seconds: float | None = None) -> list[dict]:
    """Time square matmuls C = A·B (n×n) and report achieved TFLOP/s (2n³ per product), median of `repeats`.

    dtype: 'fp32' (true FP32: TF32 switched off), 'tf32' (FP32 storage, TF32 tensor cores; CUDA only),
    'bf16', 'fp16', 'fp64', or a torch dtype. Each row: size, precision, seconds (median), tflops,
    pct_of_peak (None when the device or precision is not in the peak table), all timings, and the warm-up
    (warmup_s, warmup_calls, warmup_steady).
    Warm-up is by time (see `warm_up`): before each size, at least `warmup` calls and `warmup_seconds`
    (default 1 s on a GPU, none on a CPU) until the timings are steady, capped at `max_warmup_seconds`
    (default 5 s on a GPU, 0.3 s on a CPU).
    `min_seconds` repeats the product inside one timed call until the call lasts that long (less noise for
    tiny sizes).
    """
    import torch

    dev = _torch_device(device)
    prec = precision_name(dtype)
    if prec not in _TORCH_DTYPES:
        raise ValueError(f"benchmark_matmul does not support {prec}")
    tdtype = getattr(torch, _TORCH_DTYPES[prec])
    name = device_name(dev)
    peak = peak_flops(name, prec) if dev.type == "cuda" else None
    old_tf32 = torch.backends.cuda.matmul.allow_tf32
    old_cudnn = torch.backends.cudnn.allow_tf32
    rows = []
    try:
        torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
        torch.backends.cudnn.allow_tf32 = prec == "tf32"
        for n in sizes:
            a = torch.randn(n, n, device=dev).to(tdtype)
            b = torch.randn(n, n, device=dev).to(tdtype)
            out = torch.empty(n, n, device=dev, dtype=tdtype)

            def run(a=a, b=b, out=out, inner=1):
                for _ in range(inner):
                    torch.mm(a, b, out=out)

            warm = warm_up(run, dev, min_seconds=warmup_seconds, max_seconds=max_warmup_seconds,
                           min_calls=max(1, warmup))
            inner = 1
            if min_seconds > 0:
                inner = max(1, int(min_seconds / max(warm["per_call"], 1e-7)))
            run = functools.partial(run, inner=inner)

            times = [t / inner for t in time_fn(run, dev, warmup=0, repeats=repeats)]
            med = statistics.median(times)
            tflops = matmul_flops(n, n, n) / med / 1e12
            rows.append({"size": int(n), "precision": prec, "seconds": med, "tflops": tflops,
                         "pct_of_peak": (100.0 * tflops * 1e12 / peak) if peak else None, "times": times,
                         "device": name, "warmup_s": warm["seconds"], "warmup_calls": warm["calls"],
                         "warmup_steady": warm["steady"]})
            del a, b, out
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old_tf32
        torch.backends.cudnn.allow_tf32 = old_cudnn
    return rows


def benchmark_bandwidth(device=None, megabytes: float | None = None, repeats: int = 5,
                        warmup: int = 2, warmup_seconds: float | None = None,
                        max_warmup_seconds: float | None = None) -> dict:
    """Memory bandwidth from a large device-to-device copy: 2 × bytes (read + write) / median time.

    Default size: 256 MB on a GPU (far beyond any cache), 64 MB on a CPU. Warm-up by time as in
    `benchmark_matmul` (`warm_up`; on a GPU at least 0.5 s by default). Returns bytes, seconds,
    gb_per_s, pct_of_peak (None when the device is not in the table) and all timings.
    """
    import torch

    dev = _torch_device(device)
    if megabytes is None:
        megabytes = 256.0 if dev.type in ("cuda", "mps") else 64.0
    n = int(megabytes * 1e6) // 4
    src = torch.ones(n, device=dev, dtype=torch.float32)
    dst = torch.empty_like(src)
    def copy():
        dst.copy_(src)

    if warmup_seconds is None and dev.type in ("cuda", "mps"):
        warmup_seconds = 0.5
    warm_up(copy, dev, min_seconds=warmup_seconds, max_seconds=max_warmup_seconds, min_calls=max(1, warmup))
    times = time_fn(copy, dev, warmup=0, repeats=repeats)
    med = statistics.median(times)
    nbytes = 2 * n * 4
    name = device_name(dev)
    peak_bw = lookup_bandwidth(name) if dev.type == "cuda" else None
    gbs = nbytes / med / 1e9
    return {"bytes": nbytes, "seconds": med, "gb_per_s": gbs, "times": times, "device": name,
            "pct_of_peak": (100.0 * gbs * 1e9 / peak_bw) if peak_bw else None}


def markdown_table(rows: Iterable[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
                   fmt: dict | None = None) -> str:
    """Rows of dicts as a markdown table (for printing benchmark results)."""
    fmt = fmt or {}
    headers = list(headers or columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            cells.append("–" if v is None else (fmt[c].format(v) if c in fmt else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
