"""hw08, public part: vanilla RNN and LSTM forward passes (torch's gate order), gradient norms through time,
and backpropagation through time: one RNN step, the whole sequence (full and truncated), one LSTM step, and
gradient clipping by global norm.

Backward exercises that compose other exercises (rnn_backward uses a step's forward and backward,
lstm_step_backward may reuse lstm_step_forward) are graded with torch-autograd reference pieces swapped in for
those names, so a bug in one exercise costs only that exercise.

Drivers and property checks:
hw08 drivers: gradient_norms_through_time takes a torch RNN cell, built here in float64 from weights.
"""

from __future__ import annotations

import numpy as np

from course_lib.grading.exact import on_grid
from course_lib.grading.gradcheck import numerical_gradients
from course_lib.grading.hints import Factor, Hints
from course_lib.grading.model import Exercise, Homework, StudentCall, case


def rnn_params(rng, D, H, scale=1.0):
    return (
        rng.normal(size=(D, H)) * scale / np.sqrt(D),
        rng.normal(size=(H, H)) * scale / np.sqrt(H),
        rng.normal(size=H) * 0.5,
    )


def _pub_rnn_step():
    x = np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])
    h = np.array([[0.1, -0.2], [0.3, 0.0]])
    Wx = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
    Wh = np.array([[0.9, -0.4], [0.4, 0.9]])
    b = np.array([0.05, -0.1])
    r = np.random.default_rng(1)
    return [case(x, h, Wx, Wh, b), case(r.normal(size=(4, 5)), r.normal(size=(4, 3)), *rnn_params(r, 5, 3))]


def _pub_rnn():
    r = np.random.default_rng(2)
    return [
        case(r.normal(size=(4, 2, 3)), np.zeros((2, 5)), *rnn_params(r, 3, 5)),
        case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), *rnn_params(r, 2, 2)),
    ]


def lstm_params(rng, D, H, scale=1.0):
    return (
        rng.normal(size=(D, 4 * H)) * scale / np.sqrt(D),
        rng.normal(size=(H, 4 * H)) * scale / np.sqrt(H),
        rng.normal(size=4 * H) * scale,
    )


def _pub_lstm_step():
    r = np.random.default_rng(3)
    N, D, H = 2, 3, 2
    Wx = np.arange(D * 4 * H, dtype=float).reshape(D, 4 * H) / 20.0 - 0.5
    Wh = on_grid(np.cos(np.arange(H * 4 * H, dtype=float))).reshape(H, 4 * H)
    b = np.linspace(-1, 1, 4 * H)
    return [
        case(np.ones((N, D)), np.zeros((N, H)), np.zeros((N, H)), Wx, Wh, b),
        case(r.normal(size=(3, 4)), r.normal(size=(3, 5)), r.normal(size=(3, 5)), *lstm_params(r, 4, 5)),
    ]


def _pub_lstm():
    r = np.random.default_rng(4)
    return [
        case(r.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), *lstm_params(r, 3, 4)),
        case(r.normal(size=(1, 1, 2)), r.normal(size=(1, 2)), r.normal(size=(1, 2)), *lstm_params(r, 2, 2)),
    ]


def _scaled_orthogonal(rng, H, rho):
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    return on_grid(rho * Q)  # LAPACK's last bits differ between CPUs: on a grid, the same everywhere


def gn_case(rng, D, H, T, rho, inputs=True, start=True, bias=True):
    W_ih = rng.normal(size=(H, D)) / np.sqrt(D)
    W_hh = _scaled_orthogonal(rng, H, rho)
    b_ih = rng.normal(size=H) * 0.2 if bias else np.zeros(H)
    b_hh = rng.normal(size=H) * 0.2 if bias else np.zeros(H)
    kwargs = {}
    if inputs:
        kwargs["xs"] = rng.normal(size=(T, D))
    if start:
        kwargs["h0"] = rng.normal(size=H) * 0.5
    return case(W_ih, W_hh, b_ih, b_hh, T, **kwargs)


def _pub_gn():
    r = np.random.default_rng(5)
    return [gn_case(r, 1, 3, 5, 0.9, inputs=False, start=False, bias=False), gn_case(r, 2, 4, 6, 1.2)]


def build_rnn_cell(W_ih, W_hh, b_ih, b_hh, nonlinearity: str = "tanh"):
    """torch.nn.RNNCell in float64 with the given weights (W_ih (H, D), W_hh (H, H), biases (H,))."""
    import torch

    W_ih = np.asarray(W_ih, dtype=float)
    H, D = W_ih.shape
    cell = torch.nn.RNNCell(D, H, nonlinearity=nonlinearity).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.as_tensor(W_ih))
        cell.weight_hh.copy_(torch.as_tensor(np.asarray(W_hh, dtype=float)))
        cell.bias_ih.copy_(torch.as_tensor(np.asarray(b_ih, dtype=float)))
        cell.bias_hh.copy_(torch.as_tensor(np.asarray(b_hh, dtype=float)))
    return cell


def grad_norms(ns, W_ih, W_hh, b_ih, b_hh, T, xs=None, h0=None, nonlinearity="tanh"):
    """Call the student's gradient_norms_through_time on a float64 RNNCell; returns a float array (T,)."""
    import torch

    cell = build_rnn_cell(W_ih, W_hh, b_ih, b_hh, nonlinearity)
    kwargs = {}
    if xs is not None:
        kwargs["xs"] = torch.as_tensor(np.asarray(xs, dtype=float))
    if h0 is not None:
        kwargs["h0"] = torch.as_tensor(np.asarray(h0, dtype=float))
    got = ns["gradient_norms_through_time"](cell, int(T), **kwargs)
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    return np.asarray(got, dtype=float)


# ---------------------------------------------------------------- backpropagation through time


def _torch_step(x, h_prev, Wx, Wh, b):
    import torch

    t = [torch.as_tensor(np.asarray(v, dtype=float)).requires_grad_() for v in (x, h_prev, Wx, Wh, b)]
    return t, torch.tanh(t[0] @ t[2] + t[1] @ t[3] + t[4])


def torch_rnn_step_forward(x, h_prev, Wx, Wh, b):
    """Reference piece: one tanh step, computed by torch."""
    return _torch_step(x, h_prev, Wx, Wh, b)[1].detach().numpy()


def torch_rnn_step_backward(dh, x, h_prev, Wx, Wh, b):
    """Reference piece: the step's gradients (dx, dh_prev, dWx, dWh, db) by torch autograd."""
    import torch

    leaves, h = _torch_step(x, h_prev, Wx, Wh, b)
    grads = torch.autograd.grad(h, leaves, grad_outputs=torch.as_tensor(np.asarray(dh, dtype=float)))
    return tuple(g.numpy() for g in grads)


def torch_lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """Reference piece: one LSTM step (gates i, f, g, o), computed by torch."""
    import torch

    x, h_prev, c_prev, Wx, Wh, b = (torch.as_tensor(np.asarray(v, dtype=float)) for v in (x, h_prev, c_prev,
                                                                                         Wx, Wh, b))
    i, f, g, o = (x @ Wx + h_prev @ Wh + b).chunk(4, dim=1)
    c = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    return (torch.sigmoid(o) * torch.tanh(c)).numpy(), c.numpy()


def _floats(result, n: int, what: str):
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise TypeError(f"{what} must return {n} arrays, got {type(result).__name__}"
                        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return tuple(np.asarray(r, dtype=float) for r in result)


def rnn_backward_on(ns, dhs, xs, h0, Wx, Wh, b, truncate=None):
    """The student's rnn_backward with torch's step forward/backward in place of theirs."""
    from course_lib.grading.reference import swapped_globals

    fn = ns["rnn_backward"]
    with swapped_globals(fn, {"rnn_step_forward": torch_rnn_step_forward,
                              "rnn_step_backward": torch_rnn_step_backward}):
        out = fn(*(np.array(v, dtype=float) for v in (dhs, xs, h0, Wx, Wh, b)), truncate=truncate)
    return _floats(out, 5, "rnn_backward")


def lstm_step_backward_on(ns, dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    """The student's lstm_step_backward with torch's LSTM step forward in place of theirs."""
    from course_lib.grading.reference import swapped_globals

    fn = ns["lstm_step_backward"]
    with swapped_globals(fn, {"lstm_step_forward": torch_lstm_step_forward}):
        out = fn(*(np.array(v, dtype=float) for v in (dh, dc, x, h_prev, c_prev, Wx, Wh, b)))
    return _floats(out, 6, "lstm_step_backward")


def clip_on(ns, grads, max_norm):
    """clip_grad_norm(grads, max_norm) -> (list of arrays, float)."""
    out = ns["clip_grad_norm"]([np.array(g, dtype=float) for g in grads], max_norm)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("clip_grad_norm must return a pair (clipped gradients, total norm)")
    return [np.asarray(g, dtype=float) for g in out[0]], float(out[1])


def rnn_step_case(rng, N, D, H, scale=1.0):
    """(dh, x, h_prev, Wx, Wh, b) with pre-activations of size about `scale`."""
    Wx, Wh, b = rnn_params(rng, D, H, scale)
    return case(rng.normal(size=(N, H)), rng.normal(size=(N, D)), rng.normal(size=(N, H)), Wx, Wh, b)


def rnn_seq_case(rng, T, N, D, H, truncate=None, scale=1.0):
    """(dhs, xs, h0, Wx, Wh, b) with a loss at every step, and the truncation length."""
    Wx, Wh, b = rnn_params(rng, D, H, scale)
    return case(rng.normal(size=(T, N, H)), rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), Wx, Wh, b,
                truncate=truncate)


def lstm_step_case(rng, N, D, H, scale=1.0):
    """(dh, dc, x, h_prev, c_prev, Wx, Wh, b)."""
    return case(rng.normal(size=(N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, D)),
                rng.normal(size=(N, H)), rng.normal(size=(N, H)), *lstm_params(rng, D, H, scale))


def _pub_rnn_step_back():
    r = np.random.default_rng(11)
    x = np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])
    h = np.array([[0.1, -0.2], [0.3, 0.0]])
    Wx = np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
    Wh = np.array([[0.9, -0.4], [0.4, 0.9]])
    return [case(np.ones((2, 2)), x, h, Wx, Wh, np.array([0.05, -0.1])), rnn_step_case(r, 4, 5, 3)]


def _pub_rnn_back():
    r = np.random.default_rng(12)
    return [rnn_seq_case(r, 4, 2, 3, 5), rnn_seq_case(r, 5, 2, 3, 4, truncate=2), rnn_seq_case(r, 1, 1, 2, 2)]


def _pub_lstm_step_back():
    r = np.random.default_rng(13)
    return [lstm_step_case(r, 2, 3, 2), lstm_step_case(r, 3, 4, 5)]


def _pub_clip():
    r = np.random.default_rng(14)
    grads = [r.normal(size=(3, 4)), r.normal(size=5)]
    # the third case: norm 5 clipped to 4, away from the boundary norm = max_norm, where torch's always-scale rule
    # (a factor max_norm / (norm + 1e-6) just below 1) and 'scale only if larger' differ by 2e-7
    return [case(grads, 1.0), case(grads, 100.0), case([np.array([3.0, 4.0])], 4.0)]


def _dot_check(forward: str, backward: str, names: tuple[str, ...]):
    """A gradient check for `backward(dout, *params)`: the student's gradients beside centred differences of
    Σ dout·forward(*params) through the student's own forward pass."""

    def check(ns, args, kwargs):
        dout, *params = (np.array(v, dtype=float) for v in args[:6])
        fwd = ns[forward]
        grads = _floats(ns[backward](dout, *params), len(names), backward)
        numeric = numerical_gradients(lambda *ps: float(np.sum(np.asarray(fwd(*ps), dtype=float) * dout)), params)
        return list(zip(names, grads, numeric))

    check.__name__ = f"{backward}_gradient_check"
    return check


rnn_step_gradient_check = _dot_check("rnn_step_forward", "rnn_step_backward", ("dx", "dh_prev", "dWx", "dWh", "db"))
_rnn_bptt_check = _dot_check("rnn_forward", "rnn_backward", ("dxs", "dh0", "dWx", "dWh", "db"))


def rnn_backward_gradient_check(ns, args, kwargs):
    """rnn_backward (full BPTT only) beside centred differences through the student's rnn_forward; no check for a
    truncated case (truncation is deliberately not the gradient)."""
    return [] if kwargs.get("truncate") is not None else _rnn_bptt_check(ns, args, kwargs)


def lstm_step_gradient_check(ns, args, kwargs):
    """The student's lstm_step_backward beside centred differences of Σ(dh·h + dc·c) through the student's
    lstm_step_forward."""
    dh, dc, *params = (np.array(v, dtype=float) for v in args[:8])
    fwd = ns["lstm_step_forward"]
    grads = _floats(ns["lstm_step_backward"](dh, dc, *params), 6, "lstm_step_backward")

    def loss(*ps):
        h, c = fwd(*ps)
        return float(np.sum(np.asarray(h, dtype=float) * dh) + np.sum(np.asarray(c, dtype=float) * dc))

    names = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
    return list(zip(names, grads, numerical_gradients(loss, params)))


def norms_call(args, kwargs):
    """gradient_norms_through_time(cell, T, xs, h0) on the float64 RNNCell the driver builds from the weights."""
    W_ih, W_hh, b_ih, b_hh, T = args[:5]
    inputs = {"T": T, **kwargs, "W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}
    shown = ", ".join(["cell", "T"] + [k for k in ("xs", "h0") if k in kwargs])
    return StudentCall(f"gradient_norms_through_time({shown})", inputs,
                       "cell: a float64 torch.nn.RNNCell with weight_ih = W_ih, weight_hh = W_hh, bias_ih = b_ih, "
                       "bias_hh = b_hh")


GATES = ("i", "f", "g", "o")
RNN_STEP = ("x", "h_prev", "Wx", "Wh", "b")
LSTM_STEP = ("x", "h_prev", "c_prev", "Wx", "Wh", "b")
SEQUENCE_HINTS = Hints(steps=0, advice={"step": "one hidden state per input step, h0 not included?"})
LSTM_FORWARD_HINTS = Hints(outputs=("hs", "c_T"), steps=0,
                           advice={"step": "one hidden state per input step, h0 not included?"})
NORMS_HINTS = Hints(steps=0, advice={"step": "entry t is the norm of ∂h_T/∂h_t, for t = 0..T−1?"})
RNN_STEP_BACKWARD_HINTS = Hints(outputs=("dx", "dh_prev", "dWx", "dWh", "db"),
                                factors=lambda v: [Factor(np.shape(v["x"])[0], "N, the batch size (x.shape[0])",
                                                          "did you sum where the mean is asked?",
                                                          "did you average over the batch where the sum is asked?")])
RNN_BACKWARD_HINTS = Hints(outputs=("dxs", "dh0", "dWx", "dWh", "db"),
                           advice={"step": "check the first and last steps of the backward loop (and where "
                                           "truncation cuts)"})
LSTM_STEP_BACKWARD_HINTS = Hints(outputs=("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"), blocks=GATES,
                                 advice={"blocks": "torch's gate order along the 4H columns is i, f, g, o"})
CLIP_HINTS = Hints(outputs=("clipped", "total_norm"))


HOMEWORK = Homework(
    name="hw08_rnn_lstm",
    exercises=[
        Exercise("rnn_step_forward", 1, _pub_rnn_step(), params=RNN_STEP, rtol=1e-09, atol=1e-12,
                 edge_cases=("batch of one", "saturated tanh (large pre-activations)")),
        Exercise("rnn_forward", 1, _pub_rnn(), params=("xs", "h0", "Wx", "Wh", "b"), hints=SEQUENCE_HINTS,
                 rtol=1e-09, atol=1e-12, edge_cases=("T = 1 sequence", "batch of one", "long sequence (T = 15)")),
        Exercise("lstm_step_forward", 3, _pub_lstm_step(), params=LSTM_STEP, hints=Hints(outputs=("h", "c")),
                 rtol=1e-09, atol=1e-12,
                 edge_cases=("large pre-activations (stable sigmoid)", "hidden size of one (H = 1)")),
        Exercise("lstm_forward", 2, _pub_lstm(), params=("xs", "h0", "c0", "Wx", "Wh", "b"), hints=LSTM_FORWARD_HINTS,
                 rtol=1e-09, atol=1e-12, edge_cases=("T = 1 sequence", "long sequence (T = 20)")),
        Exercise(
            "gradient_norms_through_time",
            3,
            _pub_gn(),
            params=("cell", "T", "xs", "h0"),
            driver=grad_norms,
            student_call=norms_call,
            hints=NORMS_HINTS,
            rtol=1e-07,
            atol=1e-12,
            uses_torch=True,
            time_limit=20.0,
            derivation_first=True,
            edge_cases=("zero inputs, zero start and no bias (Jacobian = W_hh)", "exploding regime (rho > 1)",
                        "vanishing regime (rho < 1)"),
        ),
        Exercise("rnn_step_backward", 2, _pub_rnn_step_back(), params=("dh",) + RNN_STEP,
                 hints=RNN_STEP_BACKWARD_HINTS, rtol=1e-07, atol=1e-10, derivation_first=True, per_output=True,
                 edge_cases=("batch of one", "saturated tanh (large pre-activations)", "zero upstream gradient"),
                 gradient_check=rnn_step_gradient_check),
        Exercise("rnn_backward", 3, _pub_rnn_back(), params=("dhs", "xs", "h0", "Wx", "Wh", "b", "truncate"),
                 driver=rnn_backward_on, hints=RNN_BACKWARD_HINTS, rtol=1e-07, atol=1e-10,
                 uses_torch=True, time_limit=20.0, derivation_first=True, per_output=True,
                 edge_cases=("full BPTT (no truncation)", "truncation at every step (truncate = 1)",
                             "T = 1 sequence", "batch of one"),
                 gradient_check=rnn_backward_gradient_check),
        Exercise("lstm_step_backward", 3, _pub_lstm_step_back(), params=("dh", "dc") + LSTM_STEP,
                 driver=lstm_step_backward_on, hints=LSTM_STEP_BACKWARD_HINTS, rtol=1e-07,
                 atol=1e-10, uses_torch=True, time_limit=20.0, derivation_first=True, per_output=True,
                 edge_cases=("batch of one", "saturated gates", "hidden size of one (H = 1)"),
                 gradient_check=lstm_step_gradient_check),
        Exercise("clip_grad_norm", 1, _pub_clip(), params=("grads", "max_norm"), driver=clip_on, hints=CLIP_HINTS,
                 rtol=1e-09, atol=1e-12,
                 edge_cases=("all-zero gradients", "norm already below max_norm (unchanged)",
                             "arrays of different shapes")),
    ],
)
