"""hw09, public part: FLOPs of layers (2 per MAC, no bias), 6ND, days, MFU, parameter counts, the Chinchilla split.

Drivers and property checks:
hw09 drivers: count_parameters takes a torch module, which cannot cross the sandbox as data.

A module is described by plain data, a list of layer specs, and built here inside the sandbox:

    [["linear", 784, 128, True], ["conv2d", 3, 16, [3, 5], False], ["lstm", 32, 64, 2], ...]

Kinds (arguments after the kind):
  linear d_in d_out bias | conv2d c_in c_out kernel bias | lstm d_in d_hidden num_layers
  embedding vocab dim | layernorm dim
  batchnorm2d channels (its running statistics are buffers, not parameters)
  frozen_linear d_in d_out (weights with requires_grad=False: still parameters of the model)
  tied_lm vocab dim (an embedding and an output layer sharing one weight matrix: count it once)
"""

from __future__ import annotations

from course_lib.grading.model import Exercise, Homework, case

# Counting formulas are exact integers; floats (1e23 FLOPs) only need relative accuracy.
RTOL = 1e-9


def _pub_linear():
    return [case(1, 3, 2), case(32, 784, 128), case(512, 4096, 4096)]


def _pub_conv():
    return [
        case(1, 1, 1, 3, 1, 1),
        case(8, 3, 16, 3, 30, 30),
        case(2, 64, 128, (3, 5), 14, 12),
        case(4, 16, 32, 1, 7, 7),
    ]


def _pub_lstm():
    return [case(1, 1, 1), case(32, 128, 256), case(16, 300, 100)]


def _pub_train():
    return [case(175e9, 300e9), case(1e6, 1e9), case(37e9, 14.8e12)]


def _pub_days():
    return [case(3.14e23, 1024, 80e12, 1.0), case(8.64e19, 1, 1e15, 1.0), case(3.8e25, 16384, 989e12, 0.4)]


def _pub_mfu():
    return [case(1000.0, 6e9, 312e12), case(2.5e4, 6 * 8e9, 989e12), case(1.0, 1.0, 2.0)]


def _pub_params():
    return [
        [["linear", 3, 2, True]],
        [["linear", 784, 128, True], ["linear", 128, 10, False]],
        [["conv2d", 3, 16, 3, True], ["batchnorm2d", 16], ["conv2d", 16, 8, [1, 3], False]],
        [["lstm", 10, 20, 1]],
        [["frozen_linear", 4, 3], ["linear", 3, 1, True]],
    ]


def _pub_chinchilla():
    return [case(3.14e23), case(5.76e23), case(1e21, 20.0), case(1e24, tokens_per_param=40.0)]


def _layer(spec):
    import torch.nn as nn

    kind, *a = spec
    if kind == "linear":
        return nn.Linear(int(a[0]), int(a[1]), bias=bool(a[2]))
    if kind == "conv2d":
        k = a[2]
        k = tuple(int(v) for v in k) if isinstance(k, (list, tuple)) else int(k)
        return nn.Conv2d(int(a[0]), int(a[1]), k, bias=bool(a[3]))
    if kind == "lstm":
        return nn.LSTM(int(a[0]), int(a[1]), num_layers=int(a[2]))
    if kind == "embedding":
        return nn.Embedding(int(a[0]), int(a[1]))
    if kind == "layernorm":
        return nn.LayerNorm(int(a[0]))
    if kind == "batchnorm2d":
        return nn.BatchNorm2d(int(a[0]))
    if kind == "frozen_linear":
        layer = nn.Linear(int(a[0]), int(a[1]))
        for p in layer.parameters():
            p.requires_grad_(False)
        return layer
    if kind == "tied_lm":
        return _TiedLM(int(a[0]), int(a[1]))
    raise ValueError(f"unknown layer kind {kind!r}")


def _tied_class():
    import torch.nn as nn

    class TiedLM(nn.Module):
        """Embedding and output projection share one weight (as in GPT-2); the output layer has a bias."""

        def __init__(self, vocab: int, dim: int):
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.head = nn.Linear(dim, vocab)
            self.head.weight = self.embed.weight

    return TiedLM


def _TiedLM(vocab: int, dim: int):
    return _tied_class()(vocab, dim)


def build_module(layers):
    """A torch.nn.Sequential of the described layers (only built, never run)."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    return nn.Sequential(*[_layer(s) for s in layers])


def count_params_of(ns, layers):
    """Build the described module and return the student's count_parameters(module) as an int-like number."""
    return ns["count_parameters"](build_module(layers))


HOMEWORK = Homework(
    name="hw09_compute",
    exercises=[
        Exercise("linear_flops", 1, _pub_linear(), rtol=RTOL, atol=0.0),
        Exercise("conv2d_flops", 2, _pub_conv(), rtol=RTOL, atol=0.0),
        Exercise("lstm_step_flops", 2, _pub_lstm(), rtol=RTOL, atol=0.0),
        Exercise("training_flops", 1, _pub_train(), rtol=RTOL, atol=0.0),
        Exercise("training_days", 1, _pub_days(), rtol=RTOL, atol=0.0),
        Exercise("model_flops_utilization", 1, _pub_mfu(), rtol=RTOL, atol=0.0),
        Exercise(
            "count_parameters",
            2,
            [case(layers) for layers in _pub_params()],
            driver=count_params_of,
            uses_torch=True,
            rtol=0.0,
            atol=0.0,
            time_limit=20.0,
        ),
        Exercise("chinchilla_optimal", 1, _pub_chinchilla(), rtol=1e-07, atol=0.0),
    ],
)
