"""hw07_cnn: hidden-case generators (instructor side; never shipped to students).

Edge cases, labelled with `.edge(...)` (the names of each exercise's `edge_cases`): non-square kernels with
stride > 1, a batch of one, padding larger than the kernel's half (windows mostly over zeros), a stride that
leaves the last rows unused (floor in the output size), overlapping windows, all-negative pooling inputs (a max
started at 0 is wrong) and ties inside a pooling window (the first maximum in row-major order takes the gradient).
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.homework.hw07_cnn import conv_case, pool_dout, with_dout
from course_lib.grading.model import case


def _hidden_shape(rng):
    out = []
    for _ in range(4):
        H, W = (int(v) for v in rng.integers(5, 40, size=2))
        k = int(rng.integers(1, 6))
        s = int(rng.integers(1, 4))
        p = int(rng.integers(0, 3))
        out.append(case(H, W, k, s, p))
    out.append(case(11, 10, [5, 3], 3, 1).edge("non-square kernel", "stride that does not divide the padded length"))
    out.append(case(3, 4, 5, 1, 1).edge("kernel as large as the padded input"))
    return out


def _conv_edges(rng):
    """Forward-pass cases: (x, w, b, stride, pad) tuples with their edge-case labels."""
    return [
        (conv_case(rng, 2, 3, 7, 8, 4, 3, 1, 1), ()),
        (conv_case(rng, 3, 2, 9, 9, 2, 5, 2, 2), ()),
        (conv_case(rng, 2, 4, 5, 5, 5, 3, 2, 0), ()),
        (conv_case(rng, 2, 2, 9, 7, 3, 3, 2, 1, kw=2), ("stride > 1 and non-square kernel",)),
        (conv_case(rng, 1, 1, 8, 6, 3, 2, 3, 0), ("batch of one",)),
        (conv_case(rng, 2, 1, 5, 6, 2, 3, 1, 2), ("padding larger than the kernel's half",)),
        (conv_case(rng, 1, 2, 10, 9, 2, 3, 3, 0), ("stride that leaves the last rows unused", "batch of one")),
    ]


def _hidden_fwd(rng):
    return [case(*args).edge(*covers) for args, covers in _conv_edges(rng)]


def _hidden_bwd(rng):
    out = []
    for args, covers in _conv_edges(rng):
        overlap = ("overlapping windows (stride < kernel)",) if args[3] < min(args[1].shape[2:]) else ()
        out.append(with_dout(rng, *args).edge(*covers, *overlap))
    return out


def _hidden_pool(rng):
    return [
        case(rng.normal(size=(2, 3, 8, 8)), 2, 2),
        case(rng.normal(size=(1, 2, 7, 9)), 3, 2).edge("batch of one", "overlapping windows (stride < size)"),
        case(rng.normal(size=(3, 1, 6, 5)), 2, 1).edge("overlapping windows (stride < size)"),
        case(-1.0 - np.abs(rng.normal(size=(2, 2, 6, 6))), 2, 2).edge("all inputs negative"),
        case(rng.integers(0, 3, size=(2, 2, 7, 7)).astype(float), 3, 2).edge("ties in a window"),
    ]


def _hidden_pool_bwd(rng):
    return [pool_dout(rng, c.args[0], c.args[1], c.args[2]).edge(*c.covers) for c in _hidden_pool(rng)]


HIDDEN = {
    "conv2d_output_shape": _hidden_shape,
    "conv2d_forward_naive": _hidden_fwd,
    "conv2d_forward_fast": _hidden_fwd,
    "conv2d_backward": _hidden_bwd,
    "maxpool2d_forward": _hidden_pool,
    "maxpool2d_backward": _hidden_pool_bwd,
}
