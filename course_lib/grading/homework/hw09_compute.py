"""hw09, public part: FLOPs of a GRU, an attention layer and a depthwise-separable convolution, KV-cache and
training memory, per-layer FLOPs counted with forward hooks, and the largest compute-optimal model for a deadline.

Conventions (stated in every prompt): a multiply-accumulate is 2 FLOPs; FLOP counts are forward passes of the
matrix products (and convolutions) only: no bias, no activation, softmax, scaling or other elementwise work.

Drivers:
hw09 drivers: layer_flops takes a torch module and a tensor, which cannot cross the sandbox as data.

A model is described by plain data, a list of layer specs, and built here inside the sandbox as an
nn.Sequential (layer k is named "k"):

    [["conv2d", 3, 8, [3, 3], 1, 1, 1, True], ["relu"], ["flatten"], ["linear", 512, 10, True]]

Kinds (arguments after the kind):
  linear d_in d_out bias | conv2d c_in c_out kernel stride padding groups bias | relu | flatten | maxpool k
  twice d bias  (a block holding one Linear(d, d), named "<k>.inner", applied two times: a shared layer)
  spare d  (a block holding a Linear(d, d) named "<k>.unused" that its forward never calls)
"""

from __future__ import annotations

import math

from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case

# Counting formulas are exact integers; floats (1e23 FLOPs) only need relative accuracy.
RTOL = 1e-9


def _pub_gru():
    return [
        case(1, 1, 1, 1),
        case(32, 50, 128, 256),
        case(4, 10, 16, 32, num_layers=2),
        case(2, 7, 3, 5, num_layers=2, bidirectional=True),
    ]


def _pub_attention():
    return [
        case(1, 1, 1, 8, 1, 1),
        case(2, 128, 128, 512, 8, 8),
        case(4, 16, 64, 256, 4, 4),
        case(1, 1, 2048, 4096, 32, 8),
    ]


def _pub_depthwise():
    return [
        case(1, 1, 1, 1, 1, 1),
        case(8, 32, 64, 3, 56, 56),
        case(2, 16, 24, (3, 5), 10, 7),
        case(4, 8, 16, 3, 14, 14, multiplier=2),
    ]


def _pub_kv():
    return [
        case(1, 1, 1, 8, 1, 1),
        case(32, 1, 4096, 4096, 32, 32),
        case(80, 8, 8192, 8192, 64, 8),
        case(12, 4, 1024, 768, 12, 12, bytes_per_element=4),
    ]


def _pub_memory():
    return [
        case(1000, "sgd"),
        case(7e9, "adam"),
        case(1e6, "momentum", param_bytes=4),
        case(70e9, "adam", param_bytes=2),
    ]


def _pub_layers():
    return [
        case([["linear", 3, 2, True]], [1, 3]),
        case([["linear", 16, 32, False], ["relu"], ["linear", 32, 4, True]], [5, 16]),
        case([["conv2d", 3, 8, [3, 3], 1, 0, 1, True], ["relu"], ["flatten"], ["linear", 8 * 6 * 6, 10, True]],
             [2, 3, 8, 8]),
        case([["linear", 12, 12, True], ["twice", 12, False]], [3, 12]),
    ]


def _pub_deadline():
    return [
        case(1.0, 1, 1e15, 1.0),
        case(30.0, 1024, 989e12, 0.4),
        case(7.0, 8, 312e12, 0.35, tokens_per_param=40.0),
    ]


# --------------------------------------------------------------------------------------- layer_flops driver
def _layer(spec):
    import torch.nn as nn

    kind, *a = spec
    if kind == "linear":
        return nn.Linear(int(a[0]), int(a[1]), bias=bool(a[2]))
    if kind == "conv2d":
        k = a[2]
        k = tuple(int(v) for v in k) if isinstance(k, (list, tuple)) else int(k)
        return nn.Conv2d(int(a[0]), int(a[1]), k, stride=int(a[3]), padding=int(a[4]), groups=int(a[5]),
                         bias=bool(a[6]))
    if kind == "relu":
        return nn.ReLU()
    if kind == "flatten":
        return nn.Flatten()
    if kind == "maxpool":
        return nn.MaxPool2d(int(a[0]))
    if kind == "twice":
        return _blocks()[0](int(a[0]), bool(a[1]))
    if kind == "spare":
        return _blocks()[1](int(a[0]))
    raise ValueError(f"unknown layer kind {kind!r}")


def _blocks():
    import torch.nn as nn

    class Twice(nn.Module):
        """One Linear(d, d) applied two times in a row (a shared layer)."""

        def __init__(self, d: int, bias: bool):
            super().__init__()
            self.inner = nn.Linear(d, d, bias=bias)

        def forward(self, x):
            return self.inner(self.inner(x))

        def extra_repr(self):
            return "applies inner twice"

    class Spare(nn.Module):
        """Holds a Linear(d, d) that forward never calls (e.g. a head used only at another stage)."""

        def __init__(self, d: int):
            super().__init__()
            self.unused = nn.Linear(d, d)

        def forward(self, x):
            return x

    return Twice, Spare


def build_model(layers):
    """A torch.nn.Sequential of the described layers, float32, seeded weights."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    return nn.Sequential(*[_layer(s) for s in layers])


def layer_flops_of(ns, layers, input_shape):
    """Build the model and an input of `input_shape`; return the student's layer_flops(model, x) as plain data.

    torch's FlopCounterMode is switched off while the student's function runs: the exercise is to count."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = build_model(layers)
    x = torch.randn(*[int(s) for s in input_shape], generator=torch.Generator().manual_seed(1))

    def refused(self, *a, **k):
        raise RuntimeError("FlopCounterMode is switched off in this exercise: count with forward hooks")

    saved = FlopCounterMode.__enter__
    FlopCounterMode.__enter__ = refused
    try:
        got = ns["layer_flops"](model, x)
    finally:
        FlopCounterMode.__enter__ = saved
    if not isinstance(got, dict):
        return got
    return {str(k): int(v) for k, v in got.items()}


def layer_flops_call(args, kwargs):
    """layer_flops(model, x) on the model and input the driver builds from the layer specs."""
    layers, input_shape = args[:2]
    return StudentCall("layer_flops(model, x)", {"layers": layers, "input_shape": input_shape},
                       "model: an nn.Sequential of these layers (layer k named \"k\"); x: an input of that shape")


MAC = Factor(2, "the FLOPs of one multiply-add", "each multiply-add counted as 2 FLOPs twice?",
             "multiply-adds (MACs) counted where FLOPs are asked?")


def _gru_factors(v):
    out = [MAC, Factor(4 / 3, "4 gate blocks for a GRU's 3 (r, z, n)",
                       "did you count an LSTM's four gates?", "")]
    if v.get("bidirectional"):
        out.append(Factor(2, "the number of directions", "",
                          "did you count one direction of the bidirectional layers?"))
    return out


def _kv_factors(v):
    out = [Factor(2, "the two tensors cached (keys and values)", "",
                  "did you count the keys only (or the values only)?"),
           Factor(8, "the bits in a byte", "bits counted where bytes are asked?", "")]
    if v.get("n_kv_heads"):
        out.append(Factor(v["n_heads"] / v["n_kv_heads"], "n_heads / n_kv_heads, the query heads per KV head",
                          "did you cache every query head? only the n_kv_heads KV heads are cached", ""))
    return out


def _deadline_factors(v):
    """N and D grow like √C (C = 6·N·D, D = r·N): a factor f on C is √f on both."""
    out = [Factor(math.sqrt(24), "√24 (a day has 24 hours, and N and D grow like the square root of the compute)",
                  "hours and days mixed up?", "hours and days mixed up?"),
           Factor(math.sqrt(86400), "√86400 (a day has 86400 seconds, and N and D grow like the square root of the "
                                    "compute)", "seconds and days mixed up?", "seconds and days mixed up?"),
           Factor(math.sqrt(3600), "√3600 (an hour has 3600 seconds, and N and D grow like the square root of the "
                                   "compute)", "seconds and hours mixed up?", "seconds and hours mixed up?"),
           Factor(math.sqrt(6), "√6 (C = 6·N·D, and N and D grow like √C)", "did you leave out the 6 of C = 6ND?",
                  "is the 6 of C = 6ND counted twice?")]
    if 0 < v.get("mfu", 0) < 1:
        out.append(Factor(1 / math.sqrt(v["mfu"]), "1/√mfu (the compute actually used is mfu × peak)",
                          "did you leave out the MFU (the share of the peak the run achieves)?", ""))
    return out


LAYER_TWO = Factor(2, "the FLOPs of one multiply-add, or the calls of a layer used twice",
                   "each multiply-add counted as 2 FLOPs twice?",
                   "multiply-adds counted where FLOPs are asked, or a shared layer counted once?")


def _layer_factors(v):
    """The groups of grouped convolutions, 2 (FLOPs per multiply-add, a layer called twice) and the input's leading
    sizes (a Linear layer acts on every position of x's dimensions but the last)."""
    shape = [int(d) for d in v.get("input_shape", [])]
    groups = sorted({int(s[6]) for s in v.get("layers", []) if s and s[0] == "conv2d" and int(s[6]) > 1})
    return [Factor(g, "the groups of a convolution", "each filter sees only C_in / groups input channels: did you "
                   "count all of them?", "") for g in groups] + [LAYER_TWO] + [
        Factor(d, f"x.shape[{i}]", "is a dimension counted twice?",
                                 "a Linear layer acts on every position of x: all its dimensions but the last are "
                                 "batch") for i, d in enumerate(shape[:-1]) if d > 1]
def _memory_factors(v):
    if str(v.get("optimizer", "")).lower() != "sgd":
        return []
    return [Factor(2, "the weights and their gradients (the same size)", "",
                   "did you leave out the gradients, as large as the weights?")]


GRU = ("batch", "seq_len", "d_in", "d_hidden", "num_layers", "bidirectional")
ATTENTION = ("batch", "q_len", "kv_len", "d_model", "n_heads", "n_kv_heads")
DEPTHWISE = ("batch", "c_in", "c_out", "kernel", "h_out", "w_out", "multiplier")
KV = ("n_layers", "batch", "seq_len", "d_model", "n_heads", "n_kv_heads", "bytes_per_element")
DEADLINE = ("days", "n_gpus", "peak_flops_per_gpu", "mfu", "tokens_per_param")

HOMEWORK = Homework(
    name="hw09_compute",
    exercises=[
        Exercise("gru_flops", 2, _pub_gru(), params=GRU, hints=Hints(factors=_gru_factors), rtol=RTOL, atol=0.0,
                 derivation_first=True,
                 edge_cases=("sequence of length 1", "bidirectional stack (layer 2 reads both directions)",
                             "deep unidirectional stack")),
        Exercise("attention_flops", 2, _pub_attention(), params=ATTENTION, hints=Hints(factors=lambda v: [MAC]),
                 rtol=RTOL, atol=0.0,
                 derivation_first=True,
                 edge_cases=("cross-attention: q_len != kv_len", "one decoding step: q_len = 1",
                             "multi-query: one KV head", "plain multi-head: n_kv_heads = n_heads")),
        Exercise("depthwise_separable_conv_flops", 1, _pub_depthwise(), params=DEPTHWISE,
                 hints=Hints(factors=lambda v: [MAC]), rtol=RTOL, atol=0.0,
                 derivation_first=True, edge_cases=("non-square kernel", "depth multiplier > 1", "1x1 output")),
        Exercise("kv_cache_bytes", 1, _pub_kv(), params=KV, hints=Hints(factors=_kv_factors), rtol=RTOL,
                 atol=0.0, derivation_first=True,
                 edge_cases=("multi-query: one KV head", "1-byte (8-bit) cache", "batch of one, one token")),
        Exercise("training_memory_bytes", 2, _pub_memory(), params=("n_params", "optimizer", "param_bytes"),
                 hints=Hints(factors=_memory_factors), rtol=RTOL, atol=0.0, derivation_first=True,
                 edge_cases=("plain SGD: no optimizer state", "8-bit weights with an FP32 master copy",
                             "mixed precision Adam")),
        Exercise("layer_flops", 2, _pub_layers(), params=("model", "x"), driver=layer_flops_of,
                 student_call=layer_flops_call, hints=Hints(factors=_layer_factors), uses_torch=True,
                 rtol=0.0, atol=0.0, time_limit=20.0,
                 derivation_first=True,
                 edge_cases=("linear layer on a (B, T, d) sequence", "grouped convolution with stride and padding",
                             "a shared layer called twice", "a layer that is never called")),
        Exercise("largest_model_for_days", 1, _pub_deadline(), params=DEADLINE,
                 hints=Hints(outputs=("N", "D"), factors=_deadline_factors, advice={"reversed": "N and D swapped?"}),
                 rtol=1e-7, atol=0.0,
                 derivation_first=True, edge_cases=("run shorter than a day", "tokens per parameter far from 20")),
    ],
)
