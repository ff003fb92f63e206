"""hw09_compute: hidden-case generators (instructor side; never shipped to students).

Every edge case an exercise names (Exercise.edge_cases) labels at least one case here with .edge(...)."""

from __future__ import annotations

from course_lib.grading.model import case


def _r(rng, lo, hi):
    return int(rng.integers(lo, hi))


def _hidden_gru(rng):
    return [
        case(_r(rng, 1, 64), 1, _r(rng, 1, 512), _r(rng, 1, 512)).edge("sequence of length 1"),
        case(_r(rng, 1, 64), _r(rng, 2, 500), _r(rng, 1, 512), _r(rng, 1, 512), num_layers=_r(rng, 2, 5),
             bidirectional=True).edge("bidirectional stack (layer 2 reads both directions)"),
        case(_r(rng, 1, 64), _r(rng, 2, 500), _r(rng, 1, 512), _r(rng, 1, 512), num_layers=_r(rng, 3, 6))
        .edge("deep unidirectional stack"),
        case(1, _r(rng, 2, 100), _r(rng, 1, 300), _r(rng, 1, 300), num_layers=1, bidirectional=True),
    ]


def _hidden_attention(rng):
    def dims(n_heads, n_kv):
        return _r(rng, 1, 65) * n_heads, n_heads, n_kv

    h = int(rng.choice([4, 8, 16]))
    return [
        case(_r(rng, 1, 16), _r(rng, 2, 300), _r(rng, 301, 2000), *dims(h, h))
        .edge("cross-attention: q_len != kv_len", "plain multi-head: n_kv_heads = n_heads"),
        case(_r(rng, 1, 64), 1, _r(rng, 100, 8000), *dims(h, h // 4)).edge("one decoding step: q_len = 1"),
        case(_r(rng, 1, 8), 1, _r(rng, 100, 8000), *dims(h, 1))
        .edge("multi-query: one KV head", "one decoding step: q_len = 1"),
        case(_r(rng, 1, 16), *(2 * [_r(rng, 2, 2000)]), *dims(h, h // 2)),
    ]


def _hidden_depthwise(rng):
    kh = _r(rng, 1, 8)
    return [
        case(_r(rng, 1, 64), _r(rng, 1, 512), _r(rng, 1, 512), (kh, kh + _r(rng, 1, 4)), _r(rng, 1, 64),
             _r(rng, 1, 64)).edge("non-square kernel"),
        case(_r(rng, 1, 64), _r(rng, 1, 256), _r(rng, 1, 512), _r(rng, 1, 8), _r(rng, 1, 64), _r(rng, 1, 64),
             multiplier=_r(rng, 2, 6)).edge("depth multiplier > 1"),
        case(_r(rng, 1, 64), _r(rng, 1, 1024), _r(rng, 1, 1024), 3, 1, 1).edge("1x1 output"),
        case(_r(rng, 1, 64), _r(rng, 1, 512), _r(rng, 1, 512), _r(rng, 1, 8), _r(rng, 1, 64), _r(rng, 1, 64)),
    ]


def _hidden_kv(rng):
    def dims(n_heads, n_kv):
        return _r(rng, 1, 129) * n_heads, n_heads, n_kv

    h = int(rng.choice([8, 16, 32, 64]))
    return [
        case(_r(rng, 1, 128), _r(rng, 1, 64), _r(rng, 1, 32768), *dims(h, 1)).edge("multi-query: one KV head"),
        case(_r(rng, 1, 128), _r(rng, 1, 64), _r(rng, 1, 32768), *dims(h, h // 8), bytes_per_element=1)
        .edge("1-byte (8-bit) cache"),
        case(_r(rng, 1, 128), 1, 1, *dims(h, h // 4)).edge("batch of one, one token"),
        case(_r(rng, 1, 128), _r(rng, 1, 64), _r(rng, 1, 32768), *dims(h, h), bytes_per_element=4),
    ]


def _hidden_memory(rng):
    def n():
        return float(round(10 ** rng.uniform(5, 12)))

    return [
        case(n(), "sgd", param_bytes=int(rng.choice([2, 4]))).edge("plain SGD: no optimizer state"),
        case(n(), str(rng.choice(["adam", "momentum"])), param_bytes=1)
        .edge("8-bit weights with an FP32 master copy"),
        case(n(), "adam", param_bytes=2).edge("mixed precision Adam"),
        case(n(), "momentum", param_bytes=2),
        case(n(), "adam", param_bytes=4),
    ]


def _hidden_layers(rng):
    b, t, d = _r(rng, 1, 5), _r(rng, 2, 9), _r(rng, 4, 24)
    c_in, g = 4 * _r(rng, 1, 3), int(rng.choice([2, 4]))  # groups divide both channel counts
    c_out, k = g * _r(rng, 1, 4), (_r(rng, 1, 4), _r(rng, 2, 5))
    hw = _r(rng, 9, 16)
    stride, pad = 2, _r(rng, 0, 2)
    h_out = (hw + 2 * pad - k[0]) // stride + 1
    w_out = (hw + 2 * pad - k[1]) // stride + 1
    d2 = _r(rng, 2, 16)
    return [
        case([["linear", d, d2, True], ["relu"], ["linear", d2, _r(rng, 1, 9), False]], [b, t, d])
        .edge("linear layer on a (B, T, d) sequence"),
        case([["conv2d", c_in, c_out, list(k), stride, pad, g, True], ["relu"], ["flatten"],
              ["linear", c_out * h_out * w_out, _r(rng, 2, 10), True]], [b, c_in, hw, hw])
        .edge("grouped convolution with stride and padding"),
        case([["linear", d, d, False], ["twice", d, True], ["spare", d], ["linear", d, _r(rng, 1, 6), True]],
             [b, t, d]).edge("a shared layer called twice", "a layer that is never called"),
        case([["conv2d", 3, c_out, 3, 1, 1, 1, False], ["maxpool", 2], ["conv2d", c_out, c_out, 1, 1, 0, c_out, True]],
             [b, 3, 2 * hw, 2 * hw]),
    ]


def _hidden_deadline(rng):
    def gpus():
        return _r(rng, 1, 20000), float(rng.uniform(10, 2000)) * 1e12, float(rng.uniform(0.05, 0.8))

    return [
        case(float(rng.uniform(0.01, 0.9)), *gpus()).edge("run shorter than a day"),
        case(float(rng.uniform(1, 200)), *gpus(), tokens_per_param=float(rng.uniform(100, 2000)))
        .edge("tokens per parameter far from 20"),
        case(float(rng.uniform(1, 200)), *gpus()),
        case(float(rng.uniform(1, 200)), *gpus(), float(rng.uniform(1, 10))),
    ]


HIDDEN = {
    "gru_flops": _hidden_gru,
    "attention_flops": _hidden_attention,
    "depthwise_separable_conv_flops": _hidden_depthwise,
    "kv_cache_bytes": _hidden_kv,
    "training_memory_bytes": _hidden_memory,
    "layer_flops": _hidden_layers,
    "largest_model_for_days": _hidden_deadline,
}
