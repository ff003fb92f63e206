"""hw09 (compute): the solution scores full marks; classic mistakes lose exactly the exercise they break; the
reference's counts agree with torch (FlopCounterMode on nn.GRU, explicit float64 attention and convolutions,
the bytes a real torch.optim optimizer holds, real cache tensors) and with numbers derived by hand."""

from __future__ import annotations

import math

import pytest
from gradeutil import assert_mutant_loses_only, grade_solution, reference_namespace
from test_hints import assert_no_hint, expect_hint

torch = pytest.importorskip("torch")


REF = reference_namespace("hw09")


def test_solution_full_marks():
    r = grade_solution("hw09")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_design_edge_cases_label_hidden_cases_and_derivation_first_share():
    import numpy as np

    from autograder.hidden.hw09_compute import HIDDEN
    from course_lib.grading.homework import load_homework

    hw = load_homework("hw09")
    for ex in hw.exercises:
        assert ex.edge_cases, ex.name
        covered = {name for c in HIDDEN[ex.name](np.random.default_rng(0)) for name in c.covers}
        assert set(ex.edge_cases) <= covered, (ex.name, set(ex.edge_cases) - covered)
        assert covered <= set(ex.edge_cases), (ex.name, covered - set(ex.edge_cases))
    share = sum(e.points for e in hw.exercises if e.derivation_first) / hw.max_points
    assert share >= 0.5 and hw.max_points == 11


# Each mutant also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint). A count
# that is off by a factor is named where the factor is one of the exercise's quantities; where two quantities have the
# same value in a case, the hint names both.
DIRECTIONS = ("factor", "1/2 of the expected: 2 is the FLOPs of one multiply-add or the number of directions")
FOUR_GATES = ("factor", "4/3 × the expected: 4/3 is 4 gate blocks for a GRU's 3 (r, z, n)")
KEYS_ONLY = ("factor", "1/2 of the expected: 2 is the two tensors cached (keys and values)")
QUERY_HEADS = ("factor", "8 × the expected: 8 is the bits in a byte or n_heads / n_kv_heads, the query heads per KV")
ONE_LAYER = ("factor", "of the expected:", "is n_layers")
BITS = ("factor", "8 × the expected: 8 is the bits in a byte")
NO_GRADIENTS = ("factor", "1/2 of the expected: 2 is the weights and their gradients (the same size)")
SHARED_ONCE = ("factor", "only output['1.inner'] differs (output['0'] is right): your output['1.inner'] is 1/2 of the "
                         "expected: 2 is the FLOPs of one multiply-add, or the calls of a layer used twice",
               "or a shared layer counted once?")


def test_an_independent_correct_variant_gets_no_hint():
    """The KV cache and the memory counted term by term, in another order."""
    assert_no_hint(grade_solution("hw09", '''
def kv_cache_bytes(n_layers, batch, seq_len, d_model, n_heads, n_kv_heads, bytes_per_element=2):
    head_dim = d_model // n_heads
    per_token = 2 * n_kv_heads * head_dim * bytes_per_element
    return n_layers * batch * seq_len * per_token
'''))


# ---------------------------------------------------------------- classic mistakes, one exercise each
# gru_flops
def test_mutant_gru_second_layer_reads_the_input_size():
    res = assert_mutant_loses_only("hw09", '''
def gru_flops(batch, seq_len, d_in, d_hidden, num_layers=1, bidirectional=False):
    dirs = 2 if bidirectional else 1
    return num_layers * dirs * seq_len * 6 * batch * d_hidden * (d_in + d_hidden)
''', {"gru_flops"})
    expect_hint(res, "gru_flops", None)


def test_mutant_gru_forgets_the_second_direction():
    res = assert_mutant_loses_only("hw09", '''
def gru_flops(batch, seq_len, d_in, d_hidden, num_layers=1, bidirectional=False):
    total, size = 0, d_in
    for _ in range(num_layers):
        total += seq_len * 6 * batch * d_hidden * (size + d_hidden)
        size = (2 if bidirectional else 1) * d_hidden
    return total
''', {"gru_flops"})
    expect_hint(res, "gru_flops", DIRECTIONS)


def test_mutant_gru_upper_layers_read_one_direction():
    res = assert_mutant_loses_only("hw09", '''
def gru_flops(batch, seq_len, d_in, d_hidden, num_layers=1, bidirectional=False):
    dirs = 2 if bidirectional else 1
    total, size = 0, d_in
    for _ in range(num_layers):
        total += dirs * seq_len * 6 * batch * d_hidden * (size + d_hidden)
        size = d_hidden
    return total
''', {"gru_flops"})
    expect_hint(res, "gru_flops", None)


def test_mutant_gru_four_gates():
    res = assert_mutant_loses_only("hw09", '''
def gru_flops(batch, seq_len, d_in, d_hidden, num_layers=1, bidirectional=False):
    dirs = 2 if bidirectional else 1
    total, size = 0, d_in
    for _ in range(num_layers):
        total += dirs * seq_len * 8 * batch * d_hidden * (size + d_hidden)
        size = dirs * d_hidden
    return total
''', {"gru_flops"})
    expect_hint(res, "gru_flops", FOUR_GATES)


# attention_flops
def test_mutant_attention_ignores_grouped_kv_heads():
    res = assert_mutant_loses_only("hw09", '''
def attention_flops(batch, q_len, kv_len, d_model, n_heads, n_kv_heads):
    return 4 * batch * q_len * d_model ** 2 + 4 * batch * kv_len * d_model ** 2 + 4 * batch * q_len * kv_len * d_model
''', {"attention_flops"})
    expect_hint(res, "attention_flops", None)


def test_mutant_attention_full_width_per_head():
    res = assert_mutant_loses_only("hw09", '''
def attention_flops(batch, q_len, kv_len, d_model, n_heads, n_kv_heads):
    kv_width = n_kv_heads * d_model // n_heads
    return (4 * batch * q_len * d_model ** 2 + 4 * batch * kv_len * d_model * kv_width
            + 4 * batch * n_heads * q_len * kv_len * d_model)
''', {"attention_flops"})
    expect_hint(res, "attention_flops", None)


def test_mutant_attention_projects_kv_over_the_query_length():
    res = assert_mutant_loses_only("hw09", '''
def attention_flops(batch, q_len, kv_len, d_model, n_heads, n_kv_heads):
    kv_width = n_kv_heads * d_model // n_heads
    return (4 * batch * q_len * d_model ** 2 + 4 * batch * q_len * d_model * kv_width
            + 4 * batch * q_len * kv_len * d_model)
''', {"attention_flops"})
    expect_hint(res, "attention_flops", None)


def test_mutant_attention_forgets_output_projection():
    res = assert_mutant_loses_only("hw09", '''
def attention_flops(batch, q_len, kv_len, d_model, n_heads, n_kv_heads):
    kv_width = n_kv_heads * d_model // n_heads
    return (2 * batch * q_len * d_model ** 2 + 4 * batch * kv_len * d_model * kv_width
            + 4 * batch * q_len * kv_len * d_model)
''', {"attention_flops"})
    expect_hint(res, "attention_flops", None)


# depthwise_separable_conv_flops
def test_mutant_depthwise_counted_as_full_convolution():
    res = assert_mutant_loses_only("hw09", '''
def depthwise_separable_conv_flops(batch, c_in, c_out, kernel, h_out, w_out, multiplier=1):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    m = c_in * multiplier
    return 2 * batch * h_out * w_out * (m * c_in * kh * kw + c_out * m)
''', {"depthwise_separable_conv_flops"})
    expect_hint(res, "depthwise_separable_conv_flops", None)


def test_mutant_depthwise_kernel_not_squared():
    res = assert_mutant_loses_only("hw09", '''
def depthwise_separable_conv_flops(batch, c_in, c_out, kernel, h_out, w_out, multiplier=1):
    kh, kw = (kernel, 1) if isinstance(kernel, int) else kernel
    m = c_in * multiplier
    return 2 * batch * h_out * w_out * (m * kh * kw + c_out * m)
''', {"depthwise_separable_conv_flops"})
    expect_hint(res, "depthwise_separable_conv_flops", None)


def test_mutant_depthwise_pointwise_ignores_the_multiplier():
    res = assert_mutant_loses_only("hw09", '''
def depthwise_separable_conv_flops(batch, c_in, c_out, kernel, h_out, w_out, multiplier=1):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return 2 * batch * h_out * w_out * (c_in * multiplier * kh * kw + c_out * c_in)
''', {"depthwise_separable_conv_flops"})
    expect_hint(res, "depthwise_separable_conv_flops", None)


def test_mutant_depthwise_forgets_pointwise():
    res = assert_mutant_loses_only("hw09", '''
def depthwise_separable_conv_flops(batch, c_in, c_out, kernel, h_out, w_out, multiplier=1):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return 2 * batch * h_out * w_out * c_in * multiplier * kh * kw
''', {"depthwise_separable_conv_flops"})
    expect_hint(res, "depthwise_separable_conv_flops", None)


# kv_cache_bytes
def test_mutant_kv_keys_only():
    res = assert_mutant_loses_only("hw09", '''
def kv_cache_bytes(n_layers, batch, seq_len, d_model, n_heads, n_kv_heads, bytes_per_element=2):
    return n_layers * batch * seq_len * n_kv_heads * (d_model // n_heads) * bytes_per_element
''', {"kv_cache_bytes"})
    expect_hint(res, "kv_cache_bytes", KEYS_ONLY)


def test_mutant_kv_all_query_heads():
    res = assert_mutant_loses_only("hw09", '''
def kv_cache_bytes(n_layers, batch, seq_len, d_model, n_heads, n_kv_heads, bytes_per_element=2):
    return 2 * n_layers * batch * seq_len * d_model * bytes_per_element
''', {"kv_cache_bytes"})
    expect_hint(res, "kv_cache_bytes", QUERY_HEADS)


def test_mutant_kv_one_layer():
    res = assert_mutant_loses_only("hw09", '''
def kv_cache_bytes(n_layers, batch, seq_len, d_model, n_heads, n_kv_heads, bytes_per_element=2):
    return 2 * batch * seq_len * n_kv_heads * (d_model // n_heads) * bytes_per_element
''', {"kv_cache_bytes"})
    expect_hint(res, "kv_cache_bytes", ONE_LAYER)


def test_mutant_kv_in_bits():
    res = assert_mutant_loses_only("hw09", '''
def kv_cache_bytes(n_layers, batch, seq_len, d_model, n_heads, n_kv_heads, bytes_per_element=2):
    return 16 * n_layers * batch * seq_len * n_kv_heads * (d_model // n_heads) * bytes_per_element
''', {"kv_cache_bytes"})
    expect_hint(res, "kv_cache_bytes", BITS)


# training_memory_bytes
def test_mutant_memory_adam_one_state():
    res = assert_mutant_loses_only("hw09", '''
def training_memory_bytes(n_params, optimizer="adam", param_bytes=4):
    states = {"sgd": 0, "momentum": 1, "adam": 1}[optimizer]
    return float(n_params) * (2 * param_bytes + 4 * states + (4 if param_bytes < 4 else 0))
''', {"training_memory_bytes"})
    expect_hint(res, "training_memory_bytes", None)


def test_mutant_memory_no_master_copy():
    res = assert_mutant_loses_only("hw09", '''
def training_memory_bytes(n_params, optimizer="adam", param_bytes=4):
    states = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]
    return float(n_params) * (2 * param_bytes + 4 * states)
''', {"training_memory_bytes"})
    expect_hint(res, "training_memory_bytes", None)


def test_mutant_memory_forgets_gradients():
    res = assert_mutant_loses_only("hw09", '''
def training_memory_bytes(n_params, optimizer="adam", param_bytes=4):
    states = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]
    return float(n_params) * (param_bytes + 4 * states + (4 if param_bytes < 4 else 0))
''', {"training_memory_bytes"})
    expect_hint(res, "training_memory_bytes", NO_GRADIENTS)


def test_mutant_memory_states_in_low_precision():
    res = assert_mutant_loses_only("hw09", '''
def training_memory_bytes(n_params, optimizer="adam", param_bytes=4):
    states = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]
    return float(n_params) * (2 * param_bytes + param_bytes * states + (4 if param_bytes < 4 else 0))
''', {"training_memory_bytes"})
    expect_hint(res, "training_memory_bytes", None)


def test_mutant_memory_ignores_precision():
    """16 bytes for Adam in FP32 and in BF16 alike: right for those two, wrong for 8-bit weights."""
    res = assert_mutant_loses_only("hw09", '''
def training_memory_bytes(n_params, optimizer="adam", param_bytes=4):
    return float(n_params) * {"sgd": 8, "momentum": 12, "adam": 16}[optimizer]
''', {"training_memory_bytes"})
    expect_hint(res, "training_memory_bytes", None)


# layer_flops
_LAYER_FLOPS_TEMPLATE = '''
import torch
def layer_flops(model, x):
    counts, handles = {}, []
    def make(name):
        def hook(m, inputs, output):
            if isinstance(m, torch.nn.Linear):
                counts[name] += LINEAR
            else:
                kh, kw = m.kernel_size
                counts[name] += CONV
        return hook
    for name, m in model.named_modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            counts[name] = 0
            handles.append(m.register_forward_hook(make(name)))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return counts
'''
_LINEAR_OK = "2 * (inputs[0].numel() // m.in_features) * m.in_features * m.out_features"
_CONV_OK = "2 * output.numel() * (m.in_channels // m.groups) * kh * kw"


def _layer_mutant(linear=_LINEAR_OK, conv=_CONV_OK, accumulate="+="):
    src = _LAYER_FLOPS_TEMPLATE.replace("LINEAR", linear).replace("CONV", conv)
    return src.replace("counts[name] +=", f"counts[name] {accumulate}")


def test_layer_flops_template_with_right_formulas_scores():
    res = grade_solution("hw09", _layer_mutant())
    ex = next(e for e in res.exercises if e.name == "layer_flops")
    assert ex.points == ex.max_points


def test_mutant_layer_flops_linear_batch_from_first_dimension():
    res = assert_mutant_loses_only("hw09",
                                   _layer_mutant(linear="2 * inputs[0].shape[0] * m.in_features * m.out_features"),
                             {"layer_flops"})
    expect_hint(res, "layer_flops", ("factor",))


def test_mutant_layer_flops_ignores_groups():
    res = assert_mutant_loses_only("hw09", _layer_mutant(conv="2 * output.numel() * m.in_channels * kh * kw"),
                             {"layer_flops"})
    expect_hint(res, "layer_flops", ("factor",))  # the grouped convolution's count: hidden cases only


def test_mutant_layer_flops_input_size_for_conv():
    conv = "2 * inputs[0].shape[0] * m.out_channels * (m.in_channels // m.groups) * kh * kw * " \
           "inputs[0].shape[2] * inputs[0].shape[3]"
    res = assert_mutant_loses_only("hw09", _layer_mutant(conv=conv), {"layer_flops"})
    expect_hint(res, "layer_flops", ("output", "only output['0'] differs (output['3'] is right)"))


def test_mutant_layer_flops_counts_a_shared_layer_once():
    res = assert_mutant_loses_only("hw09", _layer_mutant(accumulate="="), {"layer_flops"})
    expect_hint(res, "layer_flops", SHARED_ONCE)


_FLOP_COUNTER_SHORTCUT = '''
import torch
from torch.utils.flop_counter import FlopCounterMode
def layer_flops(model, x):
    with FlopCounterMode(display=False) as fc:
        model(x)
    per = fc.get_flop_counts()
    return {n: int(sum(per.get("Sequential." + n, {}).values())) for n, m in model.named_modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))}
'''


def test_mutant_layer_flops_uses_flop_counter_mode():
    """The shortcut gives the right numbers outside the grader; the driver switches FlopCounterMode off."""
    from course_lib.grading.homework.hw09_compute import build_model

    ns: dict = {}
    exec(_FLOP_COUNTER_SHORTCUT, ns)  # noqa: S102 - our own test code
    model = build_model([["linear", 4, 4, True], ["twice", 4, False]])
    x = torch.randn(3, 2, 4)
    assert ns["layer_flops"](model, x) == REF["layer_flops"](model, x)
    res = assert_mutant_loses_only("hw09", _FLOP_COUNTER_SHORTCUT, {"layer_flops"})
    expect_hint(res, "layer_flops", None)
    assert next(e for e in res.exercises if e.name == "layer_flops").points == 0


# largest_model_for_days
def test_mutant_deadline_days_as_seconds():
    res = assert_mutant_loses_only("hw09", '''
import math
def largest_model_for_days(days, n_gpus, peak_flops_per_gpu, mfu, tokens_per_param=20.0):
    n = math.sqrt(days * n_gpus * peak_flops_per_gpu * mfu / (6 * tokens_per_param))
    return n, tokens_per_param * n
''', {"largest_model_for_days"})
    expect_hint(res, "largest_model_for_days", ("factor", "√86400 (a day has 86400 seconds"))


def test_mutant_deadline_forgets_six():
    res = assert_mutant_loses_only("hw09", '''
import math
def largest_model_for_days(days, n_gpus, peak_flops_per_gpu, mfu, tokens_per_param=20.0):
    n = math.sqrt(days * 86400 * n_gpus * peak_flops_per_gpu * mfu / tokens_per_param)
    return n, tokens_per_param * n
''', {"largest_model_for_days"})
    expect_hint(res, "largest_model_for_days", ("factor", "√6 (C = 6·N·D", "did you leave out the 6"))


def test_mutant_deadline_tokens_divided_by_ratio():
    res = assert_mutant_loses_only("hw09", '''
import math
def largest_model_for_days(days, n_gpus, peak_flops_per_gpu, mfu, tokens_per_param=20.0):
    c = days * 86400 * n_gpus * peak_flops_per_gpu * mfu
    n = math.sqrt(c * tokens_per_param / 6)
    return n, n / tokens_per_param
''', {"largest_model_for_days"})
    expect_hint(res, "largest_model_for_days", ("reversed", "the right values in reversed order"))


def test_mutant_deadline_ignores_mfu():
    res = assert_mutant_loses_only("hw09", '''
import math
def largest_model_for_days(days, n_gpus, peak_flops_per_gpu, mfu, tokens_per_param=20.0):
    n = math.sqrt(days * 86400 * n_gpus * peak_flops_per_gpu / (6 * tokens_per_param))
    return n, tokens_per_param * n
''', {"largest_model_for_days"})
    expect_hint(res, "largest_model_for_days", ("factor", "1/√mfu (the compute actually used"))


# ------------------------------------------------------------- the reference against torch and by hand
def _flops(fn, *inputs):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn(*inputs)
    return fc.get_total_flops()


@pytest.mark.parametrize("b,t,i,h,layers,bidir", [
    (1, 1, 1, 1, 1, False), (3, 4, 5, 7, 1, False), (2, 3, 4, 6, 3, False), (2, 5, 3, 4, 2, True),
    (1, 2, 9, 3, 3, True),
])
def test_gru_matches_flop_counter_on_cpu(b, t, i, h, layers, bidir):
    """On the CPU nn.GRU runs as addmm's per step, direction and layer, which FlopCounterMode counts."""
    gru = torch.nn.GRU(i, h, num_layers=layers, bidirectional=bidir)
    assert REF["gru_flops"](b, t, i, h, num_layers=layers, bidirectional=bidir) == _flops(gru, torch.randn(t, b, i))


def test_gru_by_hand():
    # 2 layers, bidirectional, B=2, T=4, I=3, H=5. Layer 1, one direction, one step: W_i (15×3)·x and W_h (15×5)·h
    # for 2 examples = 2·2·15·(3+5) = 480 FLOPs; ×2 directions ×4 steps = 3,840. Layer 2 reads 2H = 10:
    # 2·2·15·(10+5) = 900 per step and direction, ×8 = 7,200. Total 11,040.
    assert REF["gru_flops"](2, 4, 3, 5, num_layers=2, bidirectional=True) == 11_040


def _gqa_float64(xq, xkv, wq, wk, wv, wo, n_heads):
    b, tq, d = xq.shape
    dh = d // n_heads
    q = (xq @ wq).view(b, tq, n_heads, dh).transpose(1, 2)
    k = (xkv @ wk).view(b, xkv.shape[1], -1, dh).transpose(1, 2)
    v = (xkv @ wv).view(b, xkv.shape[1], -1, dh).transpose(1, 2)
    g = n_heads // k.shape[1]
    k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
    p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    return (p @ v).transpose(1, 2).reshape(b, tq, d) @ wo


@pytest.mark.parametrize("b,tq,tkv,d,h,hkv", [
    (1, 1, 1, 8, 1, 1), (2, 5, 5, 16, 4, 4), (3, 4, 9, 24, 6, 2), (2, 1, 13, 32, 8, 1), (1, 7, 3, 12, 4, 2),
])
def test_attention_matches_an_explicit_float64_layer(b, tq, tkv, d, h, hkv):
    """An explicit GQA layer, checked against torch's scaled_dot_product_attention, counted by FlopCounterMode."""
    dt = torch.float64
    xq, xkv = torch.randn(b, tq, d, dtype=dt), torch.randn(b, tkv, d, dtype=dt)
    wq, wo = torch.randn(d, d, dtype=dt), torch.randn(d, d, dtype=dt)
    wk, wv = torch.randn(d, hkv * d // h, dtype=dt), torch.randn(d, hkv * d // h, dtype=dt)
    dh = d // h
    sdpa = torch.nn.functional.scaled_dot_product_attention(
        (xq @ wq).view(b, tq, h, dh).transpose(1, 2), (xkv @ wk).view(b, tkv, hkv, dh).transpose(1, 2),
        (xkv @ wv).view(b, tkv, hkv, dh).transpose(1, 2), enable_gqa=True)
    ours = _gqa_float64(xq, xkv, wq, wk, wv, wo, h)
    assert torch.allclose(ours, sdpa.transpose(1, 2).reshape(b, tq, d) @ wo, atol=1e-10)
    assert REF["attention_flops"](b, tq, tkv, d, h, hkv) == _flops(_gqa_float64, xq, xkv, wq, wk, wv, wo, h)


def test_attention_matches_multihead_attention_module():
    """nn.MultiheadAttention (n_kv_heads = n_heads) with the attention weights returned: its products are counted."""
    b, tq, tkv, d, h = 2, 5, 7, 16, 4
    mha = torch.nn.MultiheadAttention(d, h, bias=False, batch_first=True)
    xq, xkv = torch.randn(b, tq, d), torch.randn(b, tkv, d)
    got = _flops(lambda: mha(xq, xkv, xkv, need_weights=True))
    assert REF["attention_flops"](b, tq, tkv, d, h, h) == got


def test_attention_by_hand():
    # Llama-2-70B-like decoding step: B=1, T_q=1, T_kv=2048, d=4096, 32 heads, 8 KV heads (d_h = 128).
    # Q and output projections: 2·(2·1·4096·4096) = 67,108,864; K and V: 2·(2·2048·4096·1024) = 34,359,738,368;
    # scores and weighted sum: 32 heads · 2·(2·1·2048·128) = 33,554,432. Total 34,460,401,664.
    assert REF["attention_flops"](1, 1, 2048, 4096, 32, 8) == 34_460_401_664


@pytest.mark.parametrize("b,ci,co,k,m,h,w,stride,pad", [
    (1, 1, 1, 1, 1, 1, 1, 1, 0), (2, 4, 6, 3, 1, 9, 9, 1, 1), (3, 3, 5, (3, 5), 2, 12, 10, 2, 0),
    (1, 8, 4, (1, 3), 3, 7, 8, 1, 1),
])
def test_depthwise_matches_flop_counter(b, ci, co, k, m, h, w, stride, pad):
    dw = torch.nn.Conv2d(ci, ci * m, k, stride=stride, padding=pad, groups=ci, bias=False)
    pw = torch.nn.Conv2d(ci * m, co, 1, bias=False)
    x = torch.randn(b, ci, h, w)
    ho, wo = dw(x).shape[-2:]
    assert REF["depthwise_separable_conv_flops"](b, ci, co, k, ho, wo, multiplier=m) == \
        _flops(lambda: pw(dw(x)))


def test_kv_cache_matches_real_cache_tensors():
    """Allocate the cache as a model would (per layer: K and V of shape (B, n_kv, T, d_h)) and add up nbytes."""
    n_layers, b, t, d, h, hkv = 3, 2, 11, 48, 6, 2
    for dtype, nbytes in ((torch.bfloat16, 2), (torch.float32, 4), (torch.int8, 1)):
        cache = [(torch.zeros(b, hkv, t, d // h, dtype=dtype), torch.zeros(b, hkv, t, d // h, dtype=dtype))
                 for _ in range(n_layers)]
        real = sum(k.nbytes + v.nbytes for k, v in cache)
        assert REF["kv_cache_bytes"](n_layers, b, t, d, h, hkv, bytes_per_element=nbytes) == real


def test_kv_cache_by_hand():
    # Llama 2 70B: 80 layers · (K and V) 2 · 8 KV heads · 128 · 2 bytes = 327,680 bytes per token.
    assert REF["kv_cache_bytes"](80, 1, 1, 8192, 64, 8) == 327_680


@pytest.mark.parametrize("name,make", [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
])
def test_training_memory_matches_a_real_optimizer_in_fp32(name, make):
    """One step of torch.optim on an FP32 model; add the bytes of weights, gradients and state tensors."""
    model = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    opt = make(model.parameters())
    model(torch.randn(4, 7)).square().sum().backward()
    opt.step()
    params = list(model.parameters())
    state = sum(v.nbytes for s in opt.state.values() for key, v in s.items()
                if torch.is_tensor(v) and key != "step")
    real = sum(p.nbytes for p in params) + sum(p.grad.nbytes for p in params) + state
    n = sum(p.numel() for p in params)
    assert REF["training_memory_bytes"](n, name, param_bytes=4) == real


def test_training_memory_by_hand():
    # ZeRO (Rajbhandari et al. 2020, §3.1): mixed-precision Adam keeps 2 + 2 + (4 + 4 + 4) = 16 bytes per parameter.
    assert REF["training_memory_bytes"](7.5e9, "adam", param_bytes=2) == 16 * 7.5e9
    # FP8 weights and gradients with momentum: 1 + 1 + 4 (momentum) + 4 (master) = 10 bytes per parameter.
    assert REF["training_memory_bytes"](1e6, "momentum", param_bytes=1) == 10e6
    with pytest.raises(ValueError, match="unknown optimizer"):
        REF["training_memory_bytes"](10, "adagrad")


@pytest.mark.parametrize("layers,shape", [
    ([["linear", 6, 4, True], ["relu"], ["linear", 4, 3, False]], [2, 5, 6]),
    ([["conv2d", 4, 6, [2, 3], 2, 1, 2, True], ["relu"], ["conv2d", 6, 6, 3, 1, 1, 6, False], ["flatten"],
      ["linear", 6 * 5 * 4, 3, True]], [2, 4, 9, 7]),
    ([["linear", 5, 5, False], ["twice", 5, True], ["spare", 5]], [3, 4, 5]),
])
def test_layer_flops_matches_flop_counter_per_module(layers, shape):
    """FlopCounterMode's per-module totals (keyed "Sequential.<name>"; a shared layer's two calls both counted)
    equal the hook counts."""
    from torch.utils.flop_counter import FlopCounterMode

    from course_lib.grading.homework.hw09_compute import build_model

    model = build_model(layers)
    x = torch.randn(*shape)
    ours = REF["layer_flops"](model, x)
    with FlopCounterMode(display=False) as fc:
        model(x)
    per_module = fc.get_flop_counts()
    want = {name: int(sum(per_module.get(f"Sequential.{name}", {}).values()))
            for name, m in model.named_modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))}
    assert ours == want
    assert all(not m._forward_hooks for m in model.modules()), "hooks left on the model"


def test_layer_flops_by_hand():
    from course_lib.grading.homework.hw09_compute import build_model

    # Linear(4, 3) on (2, 5, 4): 10 rows · 4 · 3 MACs = 240 FLOPs; Conv2d(4, 6, 3, groups=2) on 2×4×5×5 → 2×6×3×3:
    # 108 outputs · (4/2)·9 MACs = 3,888 FLOPs.
    assert REF["layer_flops"](build_model([["linear", 4, 3, True]]), torch.randn(2, 5, 4)) == {"0": 240}
    conv = build_model([["conv2d", 4, 6, 3, 1, 0, 2, True]])
    assert REF["layer_flops"](conv, torch.randn(2, 4, 5, 5)) == {"0": 3888}


def test_largest_model_by_hand():
    # One GPU of 1 PFLOP/s for a day at MFU 1: C = 8.64e19 FLOPs; 6·N·(20N) = C gives N = √(7.2e17) ≈ 8.485e8.
    n, d = REF["largest_model_for_days"](1.0, 1, 1e15, 1.0)
    assert math.isclose(n, 848_528_137.4, rel_tol=1e-9) and math.isclose(d, 20 * n)
    # The round trip: 6ND equals the budget, whatever the ratio.
    n, d = REF["largest_model_for_days"](30.0, 1024, 989e12, 0.4, tokens_per_param=37.0)
    assert math.isclose(6 * n * d, 30 * 86400 * 1024 * 989e12 * 0.4, rel_tol=1e-12) and math.isclose(d / n, 37.0)
