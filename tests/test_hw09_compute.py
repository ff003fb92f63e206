"""hw09 (compute): the solution scores full marks; classic mistakes lose exactly the exercise they break;
the reference formulas agree with torch's FlopCounterMode and the parameter counts with torch."""

from __future__ import annotations

import math

import pytest
from gradeutil import assert_mutant_loses_only, grade_solution, reference_namespace

torch = pytest.importorskip("torch")


REF = reference_namespace("hw09")


def test_solution_full_marks():
    r = grade_solution("hw09")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


# ---------------------------------------------------------------- classic mistakes, one exercise each
def test_mutant_counts_macs_not_flops():
    assert_mutant_loses_only("hw09", '''
def linear_flops(batch, d_in, d_out):
    return batch * d_in * d_out
''', {"linear_flops"})


def test_mutant_conv_kernel_not_squared():
    assert_mutant_loses_only("hw09", '''
def conv2d_flops(batch, c_in, c_out, kernel, h_out, w_out):
    k = kernel[0] if isinstance(kernel, (tuple, list)) else kernel
    return 2 * batch * c_out * c_in * k * h_out * w_out
''', {"conv2d_flops"})


def test_mutant_conv_ignores_second_kernel_dimension():
    assert_mutant_loses_only("hw09", '''
def conv2d_flops(batch, c_in, c_out, kernel, h_out, w_out):
    k = kernel[0] if isinstance(kernel, (tuple, list)) else kernel
    return 2 * batch * c_out * c_in * k * k * h_out * w_out
''', {"conv2d_flops"})


def test_mutant_lstm_forgets_recurrent_product():
    assert_mutant_loses_only("hw09", '''
def lstm_step_flops(batch, d_in, d_hidden):
    return 2 * batch * 4 * d_hidden * d_in
''', {"lstm_step_flops"})


def test_mutant_lstm_three_gates():
    assert_mutant_loses_only("hw09", '''
def lstm_step_flops(batch, d_in, d_hidden):
    return 2 * batch * 3 * d_hidden * (d_in + d_hidden)
''', {"lstm_step_flops"})


def test_mutant_training_forward_only():
    assert_mutant_loses_only("hw09", '''
def training_flops(n_params, n_tokens):
    return 2.0 * n_params * n_tokens
''', {"training_flops"})


def test_mutant_days_in_hours():
    assert_mutant_loses_only("hw09", '''
def training_days(total_flops, n_gpus, peak_flops_per_gpu, mfu):
    return total_flops / (n_gpus * peak_flops_per_gpu * mfu) / 3600.0
''', {"training_days"})


def test_mutant_days_multiplies_by_mfu():
    assert_mutant_loses_only("hw09", '''
def training_days(total_flops, n_gpus, peak_flops_per_gpu, mfu):
    return total_flops * mfu / (n_gpus * peak_flops_per_gpu) / 86400.0
''', {"training_days"})


def test_mutant_mfu_in_percent():
    assert_mutant_loses_only("hw09", '''
def model_flops_utilization(tokens_per_second, flops_per_token, peak_flops):
    return 100.0 * tokens_per_second * flops_per_token / peak_flops
''', {"model_flops_utilization"})


def test_mutant_count_state_dict():
    """state_dict() counts BatchNorm's buffers and a tied weight twice."""
    res = assert_mutant_loses_only("hw09", '''
def count_parameters(module):
    return sum(v.numel() for v in module.state_dict().values())
''', {"count_parameters"})
    ex = next(e for e in res.exercises if e.name == "count_parameters")
    assert 0 < ex.points < ex.max_points  # plain linear and LSTM cases still pass: partial credit per case


def test_mutant_count_trainable_only():
    assert_mutant_loses_only("hw09", '''
def count_parameters(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
''', {"count_parameters"})


def test_mutant_count_tensors_not_scalars():
    assert_mutant_loses_only("hw09", '''
def count_parameters(module):
    return len(list(module.parameters()))
''', {"count_parameters"})


def test_mutant_chinchilla_forgets_six():
    assert_mutant_loses_only("hw09", '''
import math
def chinchilla_optimal(flops_budget, tokens_per_param=20.0):
    n = math.sqrt(flops_budget / tokens_per_param)
    return n, tokens_per_param * n
''', {"chinchilla_optimal"})


# ------------------------------------------------------------- the reference against torch
def _flops(module, *inputs):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        module(*inputs)
    return fc.get_total_flops()


@pytest.mark.parametrize("b,i,o", [(1, 1, 1), (7, 13, 5), (32, 784, 128)])
def test_linear_matches_flop_counter(b, i, o):
    assert REF["linear_flops"](b, i, o) == _flops(torch.nn.Linear(i, o), torch.randn(b, i))


@pytest.mark.parametrize("b,ci,co,k,h,w,stride,pad", [
    (2, 3, 8, 3, 10, 10, 1, 0), (1, 4, 6, (3, 5), 12, 9, 1, 1), (3, 2, 5, (1, 3), 11, 8, 2, 0),
    (2, 5, 4, 4, 9, 9, 2, 1),
])
def test_conv_matches_flop_counter(b, ci, co, k, h, w, stride, pad):
    conv = torch.nn.Conv2d(ci, co, k, stride=stride, padding=pad)
    out = conv(torch.randn(b, ci, h, w))
    ho, wo = out.shape[-2:]
    assert REF["conv2d_flops"](b, ci, co, k, ho, wo) == _flops(conv, torch.randn(b, ci, h, w))


@pytest.mark.parametrize("b,i,h", [(1, 1, 1), (4, 24, 32), (3, 50, 7)])
def test_lstm_step_matches_lstmcell(b, i, h):
    assert REF["lstm_step_flops"](b, i, h) == _flops(torch.nn.LSTMCell(i, h), torch.randn(b, i))


def test_lstm_step_matches_explicit_float64_step():
    """Replay one LSTM step as explicit float64 matmuls (torch's gate order) and count those."""
    b, i, h = 3, 6, 5
    cell = torch.nn.LSTMCell(i, h).double()
    x, h0, c0 = torch.randn(b, i, dtype=torch.float64), torch.randn(b, h, dtype=torch.float64), \
        torch.randn(b, h, dtype=torch.float64)

    def step(x, h0, c0):
        gates = x @ cell.weight_ih.T + h0 @ cell.weight_hh.T + cell.bias_ih + cell.bias_hh
        ig, fg, gg, og = gates.chunk(4, 1)
        c1 = torch.sigmoid(fg) * c0 + torch.sigmoid(ig) * torch.tanh(gg)
        return torch.sigmoid(og) * torch.tanh(c1), c1

    h1, c1 = step(x, h0, c0)
    h_ref, c_ref = cell(x, (h0, c0))
    assert torch.allclose(h1, h_ref, atol=1e-12) and torch.allclose(c1, c_ref, atol=1e-12)
    assert REF["lstm_step_flops"](b, i, h) == _flops(step, x, h0, c0)


def test_flop_counter_reports_zero_for_fused_lstm():
    """The lecture's claim: FlopCounterMode has no formula for nn.LSTM's fused kernel."""
    assert _flops(torch.nn.LSTM(8, 16), torch.randn(5, 2, 8)) == 0


def test_six_nd_matches_an_mlp_training_step():
    """6·N·B for an MLP without bias, minus the first layer's input gradient (never computed)."""
    from torch.utils.flop_counter import FlopCounterMode

    b, dims = 16, [20, 64, 32, 10]
    layers = [torch.nn.Linear(dims[k], dims[k + 1], bias=False) for k in range(3)]
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    x = torch.randn(b, dims[0])
    with FlopCounterMode(display=False) as fc:
        model(x).square().sum().backward()
    n = REF["count_parameters"](model)
    assert fc.get_total_flops() == REF["training_flops"](n, b) - 2 * b * dims[0] * dims[1]


def test_count_parameters_matches_torch_and_handles_tied_and_buffers():
    from course_lib.grading.homework.hw09_compute import build_module

    m = build_module([["tied_lm", 100, 8], ["batchnorm2d", 4], ["frozen_linear", 3, 2]])
    assert REF["count_parameters"](m) == 100 * 8 + 100 + 2 * 4 + 3 * 2 + 2
    m2 = build_module([["lstm", 10, 20, 2]])
    assert REF["count_parameters"](m2) == 4 * 20 * (10 + 20 + 2) + 4 * 20 * (20 + 20 + 2)


def test_days_and_chinchilla_by_hand():
    assert math.isclose(REF["training_days"](3.14e23, 1024, 80e12, 1.0), 44.36, rel_tol=1e-3)
    n, d = REF["chinchilla_optimal"](5.76e23)  # Chinchilla's own budget → about 70B on 1.4T
    assert math.isclose(n, 69.3e9, rel_tol=1e-2) and math.isclose(d / n, 20.0)
    assert math.isclose(REF["training_flops"](n, d), 5.76e23)
