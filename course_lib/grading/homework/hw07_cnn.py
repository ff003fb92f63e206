"""hw07, public part: convolution (shape, naive and vectorised forward, backward) and max pooling (forward, backward).

Backward passes are graded with the student's own forward cache (drivers in this module).

Drivers and property checks:
hw07 drivers: forward passes return (out, cache) and the backward passes take the student's own cache.

Only plain data crosses the sandbox: the drivers keep `out` and drop the cache (which may hold anything),
and grade each backward pass together with the student's forward pass that produced its cache.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Budget, Exercise, Homework, cache_call, case


def _windows(n, k, s, p):
    """How many start positions 0, s, 2s, ... leave a whole window of size k inside an axis of n + 2p (counted one by
    one, not the exercise's closed form)."""
    count, start = 0, 0
    while start + k <= n + 2 * p:
        count, start = count + 1, start + s
    return count


def _pub_shape():
    return [case(28, 28, 5, 1, 2), case(32, 32, 3, 2, 1), case(7, 9, [3, 2], 2, 0), case(5, 5, 3, 1, 0)]


def _slide():
    x = np.array([[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]], float)
    return x[None, None], np.array([[1.0, 0, -1]] * 3)[None, None], np.zeros(1)


def conv_case(rng, N, C, H, W, F, k, s, p, kw=None):
    """(x, w, b, stride, pad) with standard-normal entries; the kernel is k × k, or k × kw."""
    x = rng.normal(size=(N, C, H, W))
    w = rng.normal(size=(F, C, k, k if kw is None else kw))
    b = rng.normal(size=F)
    return x, w, b, s, p


# The budget case's shape is drawn with each draw, within these bounds (the prompt states them): one image, C
# channels, F square k × k filters, stride 1, padding `pad`, an H × W image. Each draw is timed against the
# reference on the same draw, so draws of different sizes are compared fairly, and no one shape can be special-cased.
LARGE_BOUNDS = {"C": (1, 2), "F": (1, 2), "k": (2, 3), "pad": (0, 1), "H": (192, 256), "W": (192, 256)}


def large_conv(rng):
    """conv2d_forward_fast's budget case: one H × W image (192 to 256 each), 1 or 2 channels, 1 or 2 filters of 2 × 2
    or 3 × 3, stride 1, padding 0 or 1, all drawn from `rng`: at least 36,000 output positions and little work at
    each, so a Python loop over them costs 30-1000× the reference."""
    b = LARGE_BOUNDS
    C, F, k, pad = (int(rng.integers(lo, hi + 1)) for lo, hi in (b["C"], b["F"], b["k"], b["pad"]))
    H, W = (int(rng.integers(lo, hi + 1)) for lo, hi in (b["H"], b["W"]))
    return case(*conv_case(rng, 1, C, H, W, F, k, 1, pad))


def _pub_fwd():
    x, w, b = _slide()
    r = np.random.default_rng(7)
    x2 = np.arange(2 * 2 * 5 * 6, dtype=float).reshape(2, 2, 5, 6) / 10.0
    w2 = on_grid(np.sin(np.arange(3 * 2 * 3 * 3, dtype=float))).reshape(3, 2, 3, 3)
    return [
        case(x, w, b, 1, 0),
        case(x2, w2, np.array([0.5, -1.0, 2.0]), 2, 1),
        case(*conv_case(r, 1, 3, 6, 6, 2, 1, 1, 0)),
    ]


def with_dout(rng, x, w, b, s, p):
    Ho, Wo = _windows(x.shape[2], w.shape[2], s, p), _windows(x.shape[3], w.shape[3], s, p)
    return case(x, w, b, s, p, rng.normal(size=(x.shape[0], w.shape[0], Ho, Wo)))


def _pub_bwd():
    r = np.random.default_rng(11)
    x, w, b = _slide()
    return [
        with_dout(r, x, w, b, 1, 0),
        with_dout(r, *conv_case(r, 2, 2, 5, 5, 3, 3, 1, 1)),
        with_dout(r, *conv_case(r, 1, 3, 7, 7, 2, 3, 2, 1)),
    ]


def _pub_pool():
    x = np.array([[1.0, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 1, 3, 4]])[None, None]
    r = np.random.default_rng(3)
    return [case(x, 2, 2), case(r.normal(size=(2, 3, 6, 6)), 3, 3), case(r.normal(size=(1, 2, 5, 5)), 3, 2)]


def pool_dout(rng, x, size, stride):
    Ho, Wo = _windows(x.shape[2], size, stride, 0), _windows(x.shape[3], size, stride, 0)
    return case(x, size, stride, rng.normal(size=(x.shape[0], x.shape[1], Ho, Wo)))


def _pub_pool_bwd():
    r = np.random.default_rng(5)
    return [pool_dout(r, c.args[0], c.args[1], c.args[2]) for c in _pub_pool()]


def _f(a):
    return np.asarray(a, dtype=float)


def output_shape(ns, H, W, kernel, stride, pad):
    """conv2d_output_shape as a tuple of two ints (lists from the wire become tuples for the kernel)."""
    kernel = tuple(kernel) if isinstance(kernel, (list, tuple)) else kernel
    got = ns["conv2d_output_shape"](H, W, kernel, stride, pad)
    return tuple(int(v) for v in got)


def conv_naive_out(ns, x, w, b, stride, pad):
    """The `out` of the student's conv2d_forward_naive (a pair (out, cache) is expected)."""
    res = ns["conv2d_forward_naive"](_f(x), _f(w), _f(b), stride, pad)
    if not isinstance(res, tuple) or len(res) != 2:
        raise TypeError("conv2d_forward_naive must return a pair (out, cache)")
    return np.asarray(res[0], dtype=float)


def conv_forward_backward(ns, x, w, b, stride, pad, dout):
    """(dx, dw, db) from the student's conv2d_backward fed by the cache of their conv2d_forward_naive."""
    _, cache = ns["conv2d_forward_naive"](_f(x), _f(w), _f(b), stride, pad)
    dx, dw, db = ns["conv2d_backward"](_f(dout), cache)
    return np.asarray(dx, dtype=float), np.asarray(dw, dtype=float), np.asarray(db, dtype=float)


def pool_out(ns, x, size, stride):
    """The `out` of the student's maxpool2d_forward."""
    res = ns["maxpool2d_forward"](_f(x), size, stride)
    if not isinstance(res, tuple) or len(res) != 2:
        raise TypeError("maxpool2d_forward must return a pair (out, cache)")
    return np.asarray(res[0], dtype=float)


def pool_forward_backward(ns, x, size, stride, dout):
    """dx from the student's maxpool2d_backward fed by the cache of their maxpool2d_forward."""
    _, cache = ns["maxpool2d_forward"](_f(x), size, stride)
    return np.asarray(ns["maxpool2d_backward"](_f(dout), cache), dtype=float)


def _stride(v):
    s = v.get("stride")
    return [Factor(s, "the stride", "did you multiply by the stride where you divide?",
                   "did you divide by the stride twice?")] if isinstance(s, (int, float)) and s > 1 else []


CONV = ("x", "w", "b", "stride", "pad")
CONV_FORWARD_HINTS = Hints(advice={"sign": "a minus sign, or the kernel flipped (true convolution where "
                                           "cross-correlation is asked) on an antisymmetric kernel?"})
SHAPE_HINTS = Hints(outputs=("H_out", "W_out"), factors=_stride)
def _positions(v):
    n, f = np.shape(v["dout"])[:2]
    return [Factor(np.size(v["dout"]) / f, "N·H_out·W_out, the positions db sums over",
                   "is each position counted more than once?", "did you average where the sum is asked?"),
            Factor(n, "N, the batch size (x.shape[0])", "did you sum where the mean is asked?",
                   "did you average over the batch where the sum is asked?")]


CONV_BACKWARD_HINTS = Hints(outputs=("dx", "dw", "db"), factors=_positions)

CONV_EDGES = ("stride > 1 and non-square kernel", "batch of one", "padding larger than the kernel's half",
              "stride that leaves the last rows unused")

HOMEWORK = Homework(
    name="hw07_cnn",
    exercises=[
        Exercise("conv2d_output_shape", 1, _pub_shape(), params=("H", "W", "kernel", "stride", "pad"),
                 driver=output_shape, hints=SHAPE_HINTS, rtol=0.0, atol=0.0, derivation_first=True,
                 edge_cases=("non-square kernel", "stride that does not divide the padded length",
                             "kernel as large as the padded input")),
        Exercise("conv2d_forward_naive", 2, _pub_fwd(), params=CONV, driver=conv_naive_out, hints=CONV_FORWARD_HINTS,
                 rtol=1e-07, atol=1e-09,
                 time_limit=20.0, edge_cases=CONV_EDGES),
        Exercise("conv2d_forward_fast", 2, _pub_fwd(), params=CONV, hints=CONV_FORWARD_HINTS, rtol=1e-07, atol=1e-09,
                 time_limit=20.0,
                 edge_cases=CONV_EDGES, budget=Budget(large_conv, factor=10.0, floor_s=0.05, repeats=5)),
        Exercise(
            "conv2d_backward", 3, _pub_bwd(), params=("dout", "cache"), driver=conv_forward_backward,
            student_call=cache_call("conv2d_backward", CONV, "conv2d_forward_naive"), hints=CONV_BACKWARD_HINTS,
            rtol=1e-07, atol=1e-09, time_limit=20.0,
            derivation_first=True, edge_cases=CONV_EDGES + ("overlapping windows (stride < kernel)",),
        ),
        Exercise("maxpool2d_forward", 1, _pub_pool(), params=("x", "size", "stride"), driver=pool_out, rtol=0.0,
                 atol=0.0, edge_cases=("overlapping windows (stride < size)", "all inputs negative", "batch of one",
                                       "ties in a window")),
        Exercise("maxpool2d_backward", 2, _pub_pool_bwd(), params=("dout", "cache"), driver=pool_forward_backward,
                 student_call=cache_call("maxpool2d_backward", ("x", "size", "stride"), "maxpool2d_forward"),
                 rtol=1e-12, atol=1e-12, derivation_first=True,
                 edge_cases=("ties in a window", "overlapping windows (stride < size)", "all inputs negative",
                             "batch of one")),
    ],
)
