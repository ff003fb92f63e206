"""hw07 drivers: forward passes return (out, cache) and the backward passes take the student's own cache.

Only plain data crosses the sandbox: the drivers keep `out` and drop the cache (which may hold anything),
and grade each backward pass together with the student's forward pass that produced its cache.
"""

from __future__ import annotations

import numpy as np


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
