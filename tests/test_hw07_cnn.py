"""hw07 (convolution and pooling): full marks, classic mistakes, torch float64 replays, gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradeutil import assert_mutant_loses_only, grade_solution
from test_hints import assert_no_hint, expect_hint

from autograder.grade.reference import reference_chunks
from course_lib.compare import rel_error
from course_lib.grading.run import define

HW = "hw07"


@pytest.fixture(scope="module")
def ref():
    ns, errors = define(reference_chunks("hw07_cnn"))
    assert not errors, errors
    return ns


def numeric_grad(f, a, h=1e-5):
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        fp = f()
        a[idx] = old - h
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def test_solution_full_marks():
    r = grade_solution(HW)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_slide_example_first_output_is_6(ref):
    x = np.array([[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]], float)
    k = np.array([[1.0, 0, -1]] * 3)
    out, _ = ref["conv2d_forward_naive"](x[None, None], k[None, None], np.zeros(1), 1, 0)
    assert out.shape == (1, 1, 3, 3)
    assert out[0, 0, 0, 0] == 6.0
    fast = ref["conv2d_forward_fast"](x[None, None], k[None, None], np.zeros(1), 1, 0)
    np.testing.assert_allclose(fast, out)


@pytest.mark.parametrize("stride,pad,k", [(1, 0, 3), (2, 1, 3), (3, 2, 5), (1, 1, 1), (2, 0, 2)])
def test_forward_matches_torch_float64(ref, stride, pad, k):
    rng = np.random.default_rng(stride * 10 + pad + k)
    x = rng.normal(size=(2, 3, 9, 8))
    w = rng.normal(size=(4, 3, k, k))
    b = rng.normal(size=4)
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=stride,
                                      padding=pad).numpy()
    naive, _ = ref["conv2d_forward_naive"](x, w, b, stride, pad)
    fast = ref["conv2d_forward_fast"](x, w, b, stride, pad)
    assert naive.shape == want.shape == fast.shape
    assert ref["conv2d_output_shape"](9, 8, k, stride, pad) == want.shape[2:]
    assert rel_error(naive, want) < 1e-10
    assert rel_error(fast, want) < 1e-10


def test_backward_matches_torch_autograd_and_centred_differences(ref):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 6, 5))
    w = rng.normal(size=(3, 2, 3, 3))
    b = rng.normal(size=3)
    out, cache = ref["conv2d_forward_naive"](x, w, b, 2, 1)
    G = rng.normal(size=out.shape)
    dx, dw, db = ref["conv2d_backward"](G, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    (torch.nn.functional.conv2d(xt, wt, bt, stride=2, padding=1) * torch.tensor(G)).sum().backward()
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    assert rel_error(dw, wt.grad.numpy()) < 1e-10
    assert rel_error(db, bt.grad.numpy()) < 1e-10
    loss = lambda: float(np.sum(ref["conv2d_forward_naive"](x, w, b, 2, 1)[0] * G))
    assert rel_error(dx, numeric_grad(loss, x)) < 1e-7
    assert rel_error(dw, numeric_grad(loss, w)) < 1e-7
    assert rel_error(db, numeric_grad(loss, b)) < 1e-7


@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_maxpool_matches_torch_and_centred_differences(ref, size, stride):
    rng = np.random.default_rng(size * 7 + stride)
    x = rng.normal(size=(2, 3, 7, 8))
    out, cache = ref["maxpool2d_forward"](x, size, stride)
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.max_pool2d(xt, size, stride)
    np.testing.assert_array_equal(out, want.detach().numpy())
    G = rng.normal(size=out.shape)
    (want * torch.tensor(G)).sum().backward()
    dx = ref["maxpool2d_backward"](G, cache)
    assert rel_error(dx, xt.grad.numpy()) < 1e-12
    loss = lambda: float(np.sum(ref["maxpool2d_forward"](x, size, stride)[0] * G))
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-7, atol=1e-8)


# Each mutant also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint).
# The flipped kernel shows as a sign only on the slide's antisymmetric edge kernel (the other cases: no pattern).
FLIPPED = ("sign", "the expected with the sign flipped everywhere: a minus sign, or the kernel flipped")
ONLY_DX = ("output", "only dx differs (dw and db are right)")
AVERAGED = ("factor", "only db differs (dx and dw are right): your db is 1/",
            "is N·H_out·W_out, the positions db sums over, did you average where the sum is asked?")


def test_an_independent_correct_variant_gets_no_hint():
    """The output size by ceiling division, the fast forward pass by sliding windows and einsum."""
    assert_no_hint(grade_solution(HW, '''
import numpy as np
def conv2d_output_shape(H, W, kernel, stride=1, pad=0):
    kh, kw = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
    return (-(-(H + 2 * pad - kh + 1) // stride), -(-(W + 2 * pad - kw + 1) // stride))
def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("ncijuv,fcuv->nfij", win, w) + b[None, :, None, None]
'''))


def test_mutant_output_shape_forgets_padding_on_both_sides():
    res = assert_mutant_loses_only(HW, '''
def conv2d_output_shape(H, W, kernel, stride=1, pad=0):
    kh, kw = (kernel, kernel) if np.isscalar(kernel) else tuple(kernel)
    return ((H + pad - kh) // stride + 1, (W + pad - kw) // stride + 1)
''', {"conv2d_output_shape"})
    expect_hint(res, "conv2d_output_shape", None)


def test_mutant_naive_flips_the_kernel():
    """True convolution instead of cross-correlation: disagrees with torch's conv2d."""
    res = assert_mutant_loses_only(HW, '''
def conv2d_forward_naive(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w[f, :, ::-1, ::-1]) + b[f]
    return out, (x, w, b, stride, pad)
''', {"conv2d_forward_naive"})
    expect_hint(res, "conv2d_forward_naive", FLIPPED)


def test_mutant_fast_ignores_stride():
    res = assert_mutant_loses_only(HW, '''
def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    return np.einsum("ncijuv,fcuv->nfij", win, w) + b[None, :, None, None]
''', {"conv2d_forward_fast"})
    expect_hint(res, "conv2d_forward_fast", None)


def test_mutant_backward_overwrites_instead_of_accumulating():
    """dx of overlapping windows assigned with = instead of +=: wrong wherever windows overlap."""
    res = assert_mutant_loses_only(HW, '''
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + HH)
            cols = slice(j * stride, j * stride + WW)
            g = dout[:, :, i, j]
            dw += np.einsum("nf,ncuv->fcuv", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] = np.einsum("nf,fcuv->ncuv", g, w)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db
''', {"conv2d_backward"})
    expect_hint(res, "conv2d_backward", ONLY_DX)


def test_mutant_backward_bias_grad_averaged():
    res = assert_mutant_loses_only(HW, '''
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + HH)
            cols = slice(j * stride, j * stride + WW)
            g = dout[:, :, i, j]
            dw += np.einsum("nf,ncuv->fcuv", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fcuv->ncuv", g, w)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.mean(axis=(0, 2, 3))
''', {"conv2d_backward"})
    expect_hint(res, "conv2d_backward", AVERAGED)


def test_mutant_average_pooling():
    res = assert_mutant_loses_only(HW, '''
def maxpool2d_forward(x, size=2, stride=2):
    win = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return win.mean(axis=(-2, -1)), (x, size, stride)
''', {"maxpool2d_forward"})
    expect_hint(res, "maxpool2d_forward", None)


def test_mutant_pool_backward_overwrites_overlaps():
    res = assert_mutant_loses_only(HW, '''
def maxpool2d_backward(dout, cache):
    x, size, stride = cache
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    win = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    u, v = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, c, i * stride + u, j * stride + v] = dout[n, c, i, j]
    return dx
''', {"maxpool2d_backward"})
    expect_hint(res, "maxpool2d_backward", None)


@pytest.mark.parametrize("size,stride", [(3, 2), (2, 1), (2, 2)])
def test_maxpool_backward_ties_go_to_the_first_maximum_as_in_torch(ref, size, stride):
    """Integer inputs make ties; the stated convention (first maximum in row-major order) is torch's."""
    rng = np.random.default_rng(size * 5 + stride)
    x = rng.integers(0, 3, size=(2, 2, 7, 7)).astype(float)
    out, cache = ref["maxpool2d_forward"](x, size, stride)
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.max_pool2d(xt, size, stride)
    np.testing.assert_array_equal(out, want.detach().numpy())
    G = rng.normal(size=out.shape)
    (want * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(ref["maxpool2d_backward"](G, cache), xt.grad.numpy(), rtol=0, atol=1e-12)


def test_edge_cases_label_hidden_cases_and_derivation_first_points():
    from autograder.hidden.hw07_cnn import HIDDEN
    from course_lib.grading.homework import load_homework

    hw = load_homework(HW)
    for ex in hw.exercises:
        covered = {n for c in HIDDEN[ex.name](np.random.default_rng(0)) for n in c.covers}
        assert ex.edge_cases and set(ex.edge_cases) == covered, (ex.name, set(ex.edge_cases) ^ covered)
    first = sum(e.points for e in hw.exercises if e.derivation_first)
    assert first >= hw.max_points / 2, (first, hw.max_points)


def test_mutant_pool_backward_splits_the_gradient_between_ties():
    """mask = (window == max) sends the gradient to every tied input: wrong under the stated convention."""
    res = assert_mutant_loses_only(HW, '''
def maxpool2d_backward(dout, cache):
    x, size, stride = cache
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            mask = win == win.max(axis=(2, 3), keepdims=True)
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            dx[:, :, rows, cols] += mask * dout[:, :, i, j][:, :, None, None]
    return dx
''', {"maxpool2d_backward"})
    expect_hint(res, "maxpool2d_backward", None)


def test_mutant_pool_forward_starts_the_maximum_at_zero():
    """A running maximum started at 0 instead of -inf: wrong only when a whole window is negative."""
    res = assert_mutant_loses_only(HW, '''
def maxpool2d_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for u in range(size):
        for v in range(size):
            out = np.maximum(out, x[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride])
    return out, (x, size, stride)
''', {"maxpool2d_forward"})
    expect_hint(res, "maxpool2d_forward", None)


def test_mutant_backward_unpads_with_negative_slices():
    """dx = dx_pad[:, :, pad:-pad, pad:-pad]: an empty array when pad == 0."""
    res = assert_mutant_loses_only(HW, '''
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + HH)
            cols = slice(j * stride, j * stride + WW)
            g = dout[:, :, i, j]
            dw += np.einsum("nf,ncuv->fcuv", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fcuv->ncuv", g, w)
    return dxp[:, :, pad:-pad, pad:-pad], dw, dout.sum(axis=(0, 2, 3))
''', {"conv2d_backward"})
    expect_hint(res, "conv2d_backward", ONLY_DX)
