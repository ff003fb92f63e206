"""hw07_cnn: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

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
    out.append(case(11, 10, [5, 3], 3, 1))
    return out


def _hidden_fwd(rng):
    return [
        case(*conv_case(rng, 2, 3, 7, 8, 4, 3, 1, 1)),
        case(*conv_case(rng, 3, 2, 9, 9, 2, 5, 2, 2)),
        case(*conv_case(rng, 1, 1, 8, 6, 3, 2, 3, 0)),
        case(*conv_case(rng, 2, 4, 5, 5, 5, 3, 2, 0)),
    ]


def _hidden_bwd(rng):
    return [
        with_dout(rng, *conv_case(rng, 2, 3, 6, 7, 4, 3, 1, 1)),
        with_dout(rng, *conv_case(rng, 3, 2, 9, 9, 2, 5, 2, 2)),
        with_dout(rng, *conv_case(rng, 2, 1, 8, 8, 3, 2, 2, 0)),
        with_dout(rng, *conv_case(rng, 1, 2, 7, 6, 2, 3, 3, 1)),
    ]


def _hidden_pool(rng):
    return [
        case(rng.normal(size=(2, 3, 8, 8)), 2, 2),
        case(rng.normal(size=(1, 2, 7, 9)), 3, 2),
        case(rng.normal(size=(3, 1, 6, 5)), 2, 1),
    ]


def _hidden_pool_bwd(rng):
    return [pool_dout(rng, c.args[0], c.args[1], c.args[2]) for c in _hidden_pool(rng)]


HIDDEN = {
    "conv2d_output_shape": _hidden_shape,
    "conv2d_forward_naive": _hidden_fwd,
    "conv2d_forward_fast": _hidden_fwd,
    "conv2d_backward": _hidden_bwd,
    "maxpool2d_forward": _hidden_pool,
    "maxpool2d_backward": _hidden_pool_bwd,
}
