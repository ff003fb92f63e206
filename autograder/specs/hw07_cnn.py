"""hw07 spec: convolution (shape, naive and vectorised forward, backward) and max pooling (forward, backward).

Backward passes are graded with the student's own forward cache (drivers in course_lib/harness/hw07.py).
"""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case


def _out_hw(H, W, k, s, p):
    return (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1


def _pub_shape():
    return [case(28, 28, 5, 1, 2), case(32, 32, 3, 2, 1), case(7, 9, [3, 2], 2, 0), case(5, 5, 3, 1, 0)]


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


def _slide():
    x = np.array([[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]], float)
    return x[None, None], np.array([[1.0, 0, -1]] * 3)[None, None], np.zeros(1)


def _conv_case(rng, N, C, H, W, F, k, s, p):
    x = rng.normal(size=(N, C, H, W))
    w = rng.normal(size=(F, C, k, k))
    b = rng.normal(size=F)
    return x, w, b, s, p


def _pub_fwd():
    x, w, b = _slide()
    r = np.random.default_rng(7)
    x2 = np.arange(2 * 2 * 5 * 6, dtype=float).reshape(2, 2, 5, 6) / 10.0
    w2 = np.sin(np.arange(3 * 2 * 3 * 3, dtype=float)).reshape(3, 2, 3, 3)
    return [case(x, w, b, 1, 0), case(x2, w2, np.array([0.5, -1.0, 2.0]), 2, 1),
            case(*_conv_case(r, 1, 3, 6, 6, 2, 1, 1, 0))]


def _hidden_fwd(rng):
    return [case(*_conv_case(rng, 2, 3, 7, 8, 4, 3, 1, 1)), case(*_conv_case(rng, 3, 2, 9, 9, 2, 5, 2, 2)),
            case(*_conv_case(rng, 1, 1, 8, 6, 3, 2, 3, 0)), case(*_conv_case(rng, 2, 4, 5, 5, 5, 3, 2, 0))]


def _with_dout(rng, x, w, b, s, p):
    Ho, Wo = _out_hw(x.shape[2], x.shape[3], w.shape[2], s, p)
    return case(x, w, b, s, p, rng.normal(size=(x.shape[0], w.shape[0], Ho, Wo)))


def _pub_bwd():
    r = np.random.default_rng(11)
    x, w, b = _slide()
    return [_with_dout(r, x, w, b, 1, 0), _with_dout(r, *_conv_case(r, 2, 2, 5, 5, 3, 3, 1, 1)),
            _with_dout(r, *_conv_case(r, 1, 3, 7, 7, 2, 3, 2, 1))]


def _hidden_bwd(rng):
    return [_with_dout(rng, *_conv_case(rng, 2, 3, 6, 7, 4, 3, 1, 1)),
            _with_dout(rng, *_conv_case(rng, 3, 2, 9, 9, 2, 5, 2, 2)),
            _with_dout(rng, *_conv_case(rng, 2, 1, 8, 8, 3, 2, 2, 0)),
            _with_dout(rng, *_conv_case(rng, 1, 2, 7, 6, 2, 3, 3, 1))]


def _pub_pool():
    x = np.array([[1.0, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 1, 3, 4]])[None, None]
    r = np.random.default_rng(3)
    return [case(x, 2, 2), case(r.normal(size=(2, 3, 6, 6)), 3, 3), case(r.normal(size=(1, 2, 5, 5)), 3, 2)]


def _hidden_pool(rng):
    return [case(rng.normal(size=(2, 3, 8, 8)), 2, 2), case(rng.normal(size=(1, 2, 7, 9)), 3, 2),
            case(rng.normal(size=(3, 1, 6, 5)), 2, 1)]


def _pool_dout(rng, x, size, stride):
    Ho = (x.shape[2] - size) // stride + 1
    Wo = (x.shape[3] - size) // stride + 1
    return case(x, size, stride, rng.normal(size=(x.shape[0], x.shape[1], Ho, Wo)))


def _pub_pool_bwd():
    r = np.random.default_rng(5)
    return [_pool_dout(r, c.args[0], c.args[1], c.args[2]) for c in _pub_pool()]


def _hidden_pool_bwd(rng):
    return [_pool_dout(rng, c.args[0], c.args[1], c.args[2]) for c in _hidden_pool(rng)]


HOMEWORK = Homework(
    name="hw07_cnn",
    exercises=[
        Exercise("conv2d_output_shape", 1, _pub_shape(), _hidden_shape, driver="hw07.output_shape",
                 rtol=0.0, atol=0.0),
        Exercise("conv2d_forward_naive", 2, _pub_fwd(), _hidden_fwd, driver="hw07.conv_naive_out",
                 rtol=1e-7, atol=1e-9, time_limit=20.0),
        Exercise("conv2d_forward_fast", 2, _pub_fwd(), _hidden_fwd, rtol=1e-7, atol=1e-9),
        Exercise("conv2d_backward", 3, _pub_bwd(), _hidden_bwd, driver="hw07.conv_forward_backward",
                 rtol=1e-7, atol=1e-9, time_limit=20.0),
        Exercise("maxpool2d_forward", 1, _pub_pool(), _hidden_pool, driver="hw07.pool_out",
                 rtol=0.0, atol=0.0),
        Exercise("maxpool2d_backward", 2, _pub_pool_bwd(), _hidden_pool_bwd,
                 driver="hw07.pool_forward_backward",
                 rtol=1e-12, atol=1e-12),
    ],
)
