"""hw09 drivers: count_parameters takes a torch module, which cannot cross the sandbox as data.

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
