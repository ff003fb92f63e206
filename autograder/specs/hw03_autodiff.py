"""hw03 spec: finite differences, a scalar reverse-mode engine (Value), dual numbers (Dual) and forward mode.

Every exercise goes through a driver in course_lib/harness/hw03.py: the cases name a test function or an
expression (plain strings) plus plain numbers, and the driver builds the callable or the graph in the sandbox.
"""

from __future__ import annotations

import numpy as np

from autograder.spec import Exercise, Homework, case

# ---------------------------------------------------------------------------------------------- differences


def _pub_fd():
    return [case("quadratic", np.array([1.0, -2.0, 0.5]), 1e-3),
            case("rosenbrock", np.array([-1.2, 1.0]), 1e-4),
            case("sin_exp", np.array([0.3, -0.7, 1.1, 2.0]), 1e-3)]


def _hidden_fd(rng):
    out = []
    for name, d, h in [("logsumexp", 5, 1e-3), ("cubic", 3, 1e-3), ("rosenbrock", 4, 1e-4), ("quadratic", 1, 1e-2)]:
        out.append(case(name, rng.uniform(-1.5, 1.5, size=d), h))
    return out


# ---------------------------------------------------------------------------------------------- Value

_NEEDS_POSITIVE = {"power", "log_exp", "sin_tanh"}
_SIZES = {"slides": 2, "neuron": 5, "shared": 2, "same_operand": 1, "quotient": 2, "power": 2, "log_exp": 2,
          "sin_tanh": 2, "mlp": 8, "chain": 1}


def _inputs(rng, name):
    d = _SIZES[name]
    if name in _NEEDS_POSITIVE or name == "quotient":
        return rng.uniform(0.4, 2.0, size=d)
    return rng.uniform(-1.5, 1.5, size=d)


def _pub_value():
    return [
        case("slides", np.array([1.0, 0.5])),                      # ∇y = [5, cos(0.5 + π)]
        case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1])),
        case("shared", np.array([0.7, -0.4])),
        case("same_operand", np.array([1.5])),
        case("quotient", np.array([1.2, 0.8])),
        case("power", np.array([1.3, 0.6])),
        case("log_exp", np.array([0.9, 1.4])),
        case("slides", np.array([-0.3, 2.0]), mode="twice"),        # repeated backward(): same gradients
        case("shared", np.array([0.2, 0.9]), mode="switch"),        # backward() on a second output
    ]


def _hidden_value(rng):
    out = [case(name, _inputs(rng, name)) for name in
           ("slides", "neuron", "shared", "same_operand", "quotient", "power", "log_exp", "sin_tanh", "mlp",
            "chain")]
    out += [case("mlp", _inputs(rng, "mlp"), mode="twice"), case("same_operand", _inputs(rng, "same_operand"),
                                                                 mode="switch"),
            case("sin_tanh", _inputs(rng, "sin_tanh"), mode="switch")]
    return out


# ---------------------------------------------------------------------------------------------- Dual


def _pub_dual():
    return [case("slides", np.array([1.0, 0.5]), np.array([0.0, 1.0])),
            case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1]), np.array([1.0, 0.0, 0.0, 0.0, 0.0])),
            case("quotient", np.array([1.2, 0.8]), np.array([1.0, -2.0])),
            case("log_exp", np.array([0.9, 1.4]), np.array([0.5, 1.0]))]


def _hidden_dual(rng):
    return [case(name, _inputs(rng, name), rng.normal(size=_SIZES[name]))
            for name in ("shared", "same_operand", "power", "sin_tanh", "mlp", "chain")]


# ---------------------------------------------------------------------------------------------- forward_derivative


def _pub_fwd():
    return [case("same_operand", 1.5), case("slides", np.array([1.0, 0.5])),
            case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1]))]


def _hidden_fwd(rng):
    return [case("chain", float(rng.uniform(-1, 1))), case("shared", _inputs(rng, "shared")),
            case("mlp", _inputs(rng, "mlp")), case("power", _inputs(rng, "power"))]


HOMEWORK = Homework(
    name="hw03_autodiff",
    exercises=[
        Exercise("forward_difference", 1, _pub_fd(), _hidden_fd, driver="hw03.forward_difference_on",
                 rtol=1e-7, atol=1e-8),
        Exercise("central_difference", 1, _pub_fd(), _hidden_fd, driver="hw03.central_difference_on",
                 rtol=1e-7, atol=1e-8),
        Exercise("Value", 5, _pub_value(), _hidden_value, driver="hw03.value_expression", rtol=1e-8, atol=1e-10),
        Exercise("Dual", 2, _pub_dual(), _hidden_dual, driver="hw03.dual_expression", rtol=1e-8, atol=1e-10),
        Exercise("forward_derivative", 1, _pub_fwd(), _hidden_fwd, driver="hw03.forward_derivative_on",
                 rtol=1e-8, atol=1e-10),
    ],
)
