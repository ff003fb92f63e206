"""hw09_compute: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

from course_lib.grading.model import case


def _hidden_linear(rng):
    return [case(int(rng.integers(1, 300)), int(rng.integers(1, 2000)), int(rng.integers(1, 2000))) for _ in range(4)]


def _hidden_conv(rng):
    out = []
    for square in (True, True, False, False):
        k = int(rng.integers(1, 8)) if square else (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
        if not square and k[0] == k[1]:
            k = (k[0], k[0] + 2)
        out.append(
            case(
                int(rng.integers(1, 64)),
                int(rng.integers(1, 256)),
                int(rng.integers(1, 256)),
                k,
                int(rng.integers(1, 64)),
                int(rng.integers(1, 64)),
            )
        )
    return out


def _hidden_lstm(rng):
    return [case(int(rng.integers(1, 128)), int(rng.integers(1, 1024)), int(rng.integers(1, 1024))) for _ in range(4)]


def _hidden_train(rng):
    return [case(float(10 ** rng.uniform(6, 12)), float(10 ** rng.uniform(9, 14))) for _ in range(4)]


def _hidden_days(rng):
    return [
        case(
            float(10 ** rng.uniform(20, 26)),
            int(rng.integers(1, 20000)),
            float(rng.uniform(10, 2000)) * 1e12,
            float(rng.uniform(0.05, 0.8)),
        )
        for _ in range(4)
    ]


def _hidden_mfu(rng):
    return [
        case(float(10 ** rng.uniform(2, 6)), float(10 ** rng.uniform(8, 12)), float(rng.uniform(10, 2000)) * 1e12)
        for _ in range(4)
    ]


def _hidden_params(rng):
    def r(lo, hi):
        return int(rng.integers(lo, hi))

    return [
        case([["embedding", r(50, 500), r(4, 64)], ["lstm", r(4, 64), r(4, 64), r(1, 3)]]),
        case(
            [
                ["conv2d", r(1, 8), r(2, 16), [r(1, 5), r(1, 5)], True],
                ["batchnorm2d", r(2, 16)],
                ["frozen_linear", r(2, 50), r(2, 50)],
            ]
        ),
        case([["tied_lm", r(50, 400), r(4, 32)], ["layernorm", r(4, 32)]]),
        case(
            [
                ["linear", r(1, 100), r(1, 100), True],
                ["frozen_linear", r(1, 30), r(1, 30)],
                ["linear", r(1, 100), r(1, 100), False],
            ]
        ),
    ]


def _hidden_chinchilla(rng):
    return [case(float(10 ** rng.uniform(18, 26))) for _ in range(2)] + [
        case(float(10 ** rng.uniform(18, 26)), float(rng.uniform(5, 200))) for _ in range(2)
    ]


HIDDEN = {
    "linear_flops": _hidden_linear,
    "conv2d_flops": _hidden_conv,
    "lstm_step_flops": _hidden_lstm,
    "training_flops": _hidden_train,
    "training_days": _hidden_days,
    "model_flops_utilization": _hidden_mfu,
    "count_parameters": _hidden_params,
    "chinchilla_optimal": _hidden_chinchilla,
}
