"""hw03_autodiff: hidden-case generators (instructor side; never shipped to students)."""

from __future__ import annotations

from course_lib.grading.homework.hw03_autodiff import SIZES, random_inputs
from course_lib.grading.model import case


def _hidden_fd(rng):
    out = []
    for name, d, h in [("logsumexp", 5, 1e-3), ("cubic", 3, 1e-3), ("rosenbrock", 4, 1e-4), ("quadratic", 1, 1e-2)]:
        out.append(case(name, rng.uniform(-1.5, 1.5, size=d), h))
    return out


def _hidden_value(rng):
    out = [
        case(name, random_inputs(rng, name))
        for name in (
            "slides",
            "neuron",
            "shared",
            "same_operand",
            "quotient",
            "power",
            "log_exp",
            "sin_tanh",
            "mlp",
            "chain",
        )
    ]
    out += [
        case("mlp", random_inputs(rng, "mlp"), mode="twice"),
        case("same_operand", random_inputs(rng, "same_operand"), mode="switch"),
        case("sin_tanh", random_inputs(rng, "sin_tanh"), mode="switch"),
    ]
    return out


def _hidden_dual(rng):
    return [
        case(name, random_inputs(rng, name), rng.normal(size=SIZES[name]))
        for name in ("shared", "same_operand", "power", "sin_tanh", "mlp", "chain")
    ]


def _hidden_fwd(rng):
    return [
        case("chain", float(rng.uniform(-1, 1))),
        case("shared", random_inputs(rng, "shared")),
        case("mlp", random_inputs(rng, "mlp")),
        case("power", random_inputs(rng, "power")),
    ]


HIDDEN = {
    "forward_difference": _hidden_fd,
    "central_difference": _hidden_fd,
    "Value": _hidden_value,
    "Dual": _hidden_dual,
    "forward_derivative": _hidden_fwd,
}
