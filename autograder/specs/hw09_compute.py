"""hw09 spec: FLOPs of layers (2 per MAC, no bias), 6ND, days, MFU, parameter counts, the Chinchilla split."""

from __future__ import annotations

from autograder.spec import Exercise, Homework, case

# Counting formulas are exact integers; floats (1e23 FLOPs) only need relative accuracy.
RTOL = 1e-9


def _pub_linear():
    return [case(1, 3, 2), case(32, 784, 128), case(512, 4096, 4096)]


def _hidden_linear(rng):
    return [case(int(rng.integers(1, 300)), int(rng.integers(1, 2000)), int(rng.integers(1, 2000)))
            for _ in range(4)]


def _pub_conv():
    return [case(1, 1, 1, 3, 1, 1), case(8, 3, 16, 3, 30, 30), case(2, 64, 128, (3, 5), 14, 12),
            case(4, 16, 32, 1, 7, 7)]


def _hidden_conv(rng):
    out = []
    for square in (True, True, False, False):
        k = int(rng.integers(1, 8)) if square else (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
        if not square and k[0] == k[1]:
            k = (k[0], k[0] + 2)
        out.append(case(int(rng.integers(1, 64)), int(rng.integers(1, 256)), int(rng.integers(1, 256)), k,
                        int(rng.integers(1, 64)), int(rng.integers(1, 64))))
    return out


def _pub_lstm():
    return [case(1, 1, 1), case(32, 128, 256), case(16, 300, 100)]


def _hidden_lstm(rng):
    return [case(int(rng.integers(1, 128)), int(rng.integers(1, 1024)), int(rng.integers(1, 1024)))
            for _ in range(4)]


def _pub_train():
    return [case(175e9, 300e9), case(1e6, 1e9), case(37e9, 14.8e12)]


def _hidden_train(rng):
    return [case(float(10 ** rng.uniform(6, 12)), float(10 ** rng.uniform(9, 14))) for _ in range(4)]


def _pub_days():
    return [case(3.14e23, 1024, 80e12, 1.0), case(8.64e19, 1, 1e15, 1.0), case(3.8e25, 16384, 989e12, 0.4)]


def _hidden_days(rng):
    return [case(float(10 ** rng.uniform(20, 26)), int(rng.integers(1, 20000)),
                 float(rng.uniform(10, 2000)) * 1e12, float(rng.uniform(0.05, 0.8))) for _ in range(4)]


def _pub_mfu():
    return [case(1000.0, 6e9, 312e12), case(2.5e4, 6 * 8e9, 989e12), case(1.0, 1.0, 2.0)]


def _hidden_mfu(rng):
    return [case(float(10 ** rng.uniform(2, 6)), float(10 ** rng.uniform(8, 12)),
                 float(rng.uniform(10, 2000)) * 1e12) for _ in range(4)]


def _pub_params():
    return [
        [["linear", 3, 2, True]],
        [["linear", 784, 128, True], ["linear", 128, 10, False]],
        [["conv2d", 3, 16, 3, True], ["batchnorm2d", 16], ["conv2d", 16, 8, [1, 3], False]],
        [["lstm", 10, 20, 1]],
        [["frozen_linear", 4, 3], ["linear", 3, 1, True]],
    ]


def _hidden_params(rng):
    def r(lo, hi):
        return int(rng.integers(lo, hi))

    return [
        case([["embedding", r(50, 500), r(4, 64)], ["lstm", r(4, 64), r(4, 64), r(1, 3)]]),
        case([["conv2d", r(1, 8), r(2, 16), [r(1, 5), r(1, 5)], True], ["batchnorm2d", r(2, 16)],
              ["frozen_linear", r(2, 50), r(2, 50)]]),
        case([["tied_lm", r(50, 400), r(4, 32)], ["layernorm", r(4, 32)]]),
        case([["linear", r(1, 100), r(1, 100), True], ["frozen_linear", r(1, 30), r(1, 30)],
              ["linear", r(1, 100), r(1, 100), False]]),
    ]


def _pub_chinchilla():
    return [case(3.14e23), case(5.76e23), case(1e21, 20.0), case(1e24, tokens_per_param=40.0)]


def _hidden_chinchilla(rng):
    return [case(float(10 ** rng.uniform(18, 26))) for _ in range(2)] + \
        [case(float(10 ** rng.uniform(18, 26)), float(rng.uniform(5, 200))) for _ in range(2)]


HOMEWORK = Homework(
    name="hw09_compute",
    exercises=[
        Exercise("linear_flops", 1, _pub_linear(), _hidden_linear, rtol=RTOL, atol=0.0),
        Exercise("conv2d_flops", 2, _pub_conv(), _hidden_conv, rtol=RTOL, atol=0.0),
        Exercise("lstm_step_flops", 2, _pub_lstm(), _hidden_lstm, rtol=RTOL, atol=0.0),
        Exercise("training_flops", 1, _pub_train(), _hidden_train, rtol=RTOL, atol=0.0),
        Exercise("training_days", 1, _pub_days(), _hidden_days, rtol=RTOL, atol=0.0),
        Exercise("model_flops_utilization", 1, _pub_mfu(), _hidden_mfu, rtol=RTOL, atol=0.0),
        Exercise("count_parameters", 2, [case(layers) for layers in _pub_params()], _hidden_params,
                 driver="hw09.count_params_of", uses_torch=True, rtol=0.0, atol=0.0, time_limit=20.0),
        Exercise("chinchilla_optimal", 1, _pub_chinchilla(), _hidden_chinchilla, rtol=1e-7, atol=0.0),
    ],
)
