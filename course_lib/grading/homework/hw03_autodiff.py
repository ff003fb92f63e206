"""hw03, public part: finite differences, a scalar reverse-mode engine (Value), dual numbers (Dual) and forward mode.

Every exercise goes through a driver in this module: the cases name a test function or an
expression (plain strings) plus plain numbers, and the driver builds the callable or the graph in the sandbox.

Drivers and property checks:
hw03 drivers: the graded code takes callables (finite differences, forward mode) or is a class (Value, Dual),
so each case names a test function or expression built here, inside the sandbox, from plain inputs.

Expressions only use the public API stated in the homework: + − * / with numbers on either side, unary −,
** with a constant exponent, and the methods exp, log, sin, tanh, relu.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.grading.model import Exercise, Homework, case

# ---------------------------------------------------------------------------------------------- differences


def _pub_fd():
    return [
        case("quadratic", np.array([1.0, -2.0, 0.5]), 1e-3),
        case("rosenbrock", np.array([-1.2, 1.0]), 1e-4),
        case("sin_exp", np.array([0.3, -0.7, 1.1, 2.0]), 1e-3),
    ]


# ---------------------------------------------------------------------------------------------- Value

_NEEDS_POSITIVE = {"power", "log_exp", "sin_tanh"}
SIZES = {
    "slides": 2,
    "neuron": 5,
    "shared": 2,
    "same_operand": 1,
    "quotient": 2,
    "power": 2,
    "log_exp": 2,
    "sin_tanh": 2,
    "mlp": 8,
    "chain": 1,
}


def random_inputs(rng, name):
    d = SIZES[name]
    if name in _NEEDS_POSITIVE or name == "quotient":
        return rng.uniform(0.4, 2.0, size=d)
    return rng.uniform(-1.5, 1.5, size=d)


def _pub_value():
    return [
        case("slides", np.array([1.0, 0.5])),  # ∇y = [5, cos(0.5 + π)]
        case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1])),
        case("shared", np.array([0.7, -0.4])),
        case("same_operand", np.array([1.5])),
        case("quotient", np.array([1.2, 0.8])),
        case("power", np.array([1.3, 0.6])),
        case("log_exp", np.array([0.9, 1.4])),
        case("slides", np.array([-0.3, 2.0]), mode="twice"),  # repeated backward(): same gradients
        case("shared", np.array([0.2, 0.9]), mode="switch"),  # backward() on a second output
    ]


# ---------------------------------------------------------------------------------------------- Dual


def _pub_dual():
    return [
        case("slides", np.array([1.0, 0.5]), np.array([0.0, 1.0])),
        case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1]), np.array([1.0, 0.0, 0.0, 0.0, 0.0])),
        case("quotient", np.array([1.2, 0.8]), np.array([1.0, -2.0])),
        case("log_exp", np.array([0.9, 1.4]), np.array([0.5, 1.0])),
    ]


# ---------------------------------------------------------------------------------------------- forward_derivative


def _pub_fwd():
    return [
        case("same_operand", 1.5),
        case("slides", np.array([1.0, 0.5])),
        case("neuron", np.array([0.5, -1.0, 2.0, 0.3, 0.1])),
    ]


# ------------------------------------------------------------------------------------------------------------
# Test functions for finite differences: scalar f of a vector x (any length d ≥ 1 unless noted)
# ------------------------------------------------------------------------------------------------------------

FUNCTIONS = {
    "quadratic": lambda x: 0.5 * float(np.sum(np.arange(1, x.size + 1) * x**2)) + float(np.sum(x[:-1] * x[1:])),
    "rosenbrock": lambda x: float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)),
    "logsumexp": lambda x: float(np.log(np.sum(np.exp(x - x.max()))) + x.max()),
    "sin_exp": lambda x: float(np.sin(x[0]) * np.exp(0.5 * x[-1]) + np.sum(np.cos(x) * x)),
    "cubic": lambda x: float(np.sum(x**3) - 2.0 * np.prod(np.tanh(x))),
}


def _named(name: str):
    if name not in FUNCTIONS:
        raise KeyError(f"unknown test function {name!r}")
    fn = FUNCTIONS[name]
    return lambda x: fn(np.array(x, dtype=float))


def forward_difference_on(ns, name, x, h):
    """The student's forward_difference on the named test function."""
    return np.asarray(ns["forward_difference"](_named(name), np.array(x, dtype=float), h), dtype=float)


def central_difference_on(ns, name, x, h):
    """The student's central_difference on the named test function."""
    return np.asarray(ns["central_difference"](_named(name), np.array(x, dtype=float), h), dtype=float)


# ------------------------------------------------------------------------------------------------------------
# Expressions for Value (reverse mode) and Dual (forward mode): each takes a list of inputs, returns one output
# ------------------------------------------------------------------------------------------------------------


def _shared(v):
    x, y = v
    a = x * y + 1.0  # a sub-expression used three times, x used twice
    return a * a + a.exp() * x - a / y


def _same_operand(v):
    (x,) = v
    return x * x * x + x + x - x / 2.0  # a node that is both operands of a product: grads must accumulate


def _mlp(v):
    x1, x2, w1, w2, w3, w4, u1, u2 = v
    h1 = (w1 * x1 + w2 * x2).relu()
    h2 = (w3 * x1 + w4 * x2 + 0.5).tanh()
    return (u1 * h1 + u2 * h2 - 1.0) ** 2


def _chain(v):
    (x,) = v
    for _ in range(30):
        x = x + 0.3 * (0.7 * x).sin() - 0.1 * (x * x + 1.0).log()
    return x


EXPRESSIONS = {
    # the slides' example (Hartnett, week 4): y = 5·x1 + sin(x2 + π), ∇y = [5, cos(x2 + π)]
    "slides": lambda v: 5 * v[0] + (v[1] + math.pi).sin(),
    "neuron": lambda v: (v[0] * v[1] + v[2] * v[3] + v[4]).tanh(),
    "shared": _shared,
    "same_operand": _same_operand,
    "quotient": lambda v: (v[0] - v[1]) / (v[0] * v[1] + 2.0) + 3.0 / v[0] - 1.0 - v[1],
    "power": lambda v: v[0] ** 3 + v[1] ** -0.5 + (v[0] * v[1]) ** 2.5 - (v[0] ** 2) ** 0.5,
    "log_exp": lambda v: (v[0].exp() + v[1].exp()).log() - (v[0] * v[1]).relu() + (-v[0]).relu() + v[1].log(),
    "sin_tanh": lambda v: (v[0] * v[1]).sin() * v[0].tanh() + (2.0 * v[1]).sin() - v[0] / v[1],
    "mlp": _mlp,
    "chain": _chain,
}

# a second output on the same inputs, for the "switch" mode (backward on one output, then on another)
SECOND = {
    2: lambda v: v[0] * v[1] * v[1] - v[0],
    1: lambda v: v[0] * 3.0 + v[0] * v[0],
}


def _expr(name):
    if name not in EXPRESSIONS:
        raise KeyError(f"unknown expression {name!r}")
    return EXPRESSIONS[name]


def _leaf_grads(xs) -> np.ndarray:
    return np.array([float(x.grad) for x in xs], dtype=float)


def value_expression(ns, name, inputs, mode="once"):
    """Build expression `name` on Value leaves; return (output value, gradients of the leaves).

    mode "once": one backward(); "twice": backward() twice (gradients must not double);
    "switch": backward() on this output, then on another output of the same leaves, whose gradients are returned.
    """
    Value = ns["Value"]
    xs = [Value(float(v)) for v in inputs]
    out = _expr(name)(xs)
    out.backward()
    if mode == "twice":
        out.backward()
    elif mode == "switch":
        out2 = SECOND[2 if len(xs) >= 2 else 1](xs)
        out2.backward()
        return float(out2.data), _leaf_grads(xs)
    return float(out.data), _leaf_grads(xs)


def dual_expression(ns, name, inputs, seed):
    """Evaluate expression `name` on Dual inputs with tangents `seed`; return (value, directional derivative)."""
    Dual = ns["Dual"]
    xs = [Dual(float(v), float(s)) for v, s in zip(inputs, seed)]
    out = _expr(name)(xs)
    return float(out.val), float(out.dot)


def forward_derivative_on(ns, name, x):
    """The student's forward_derivative on a named expression, with the grader's reference Dual (same API) in
    place of theirs, so a bug in Dual costs only the Dual exercise."""
    from course_lib.grading.reference import RefDual as CourseDual

    fd = ns["forward_derivative"]
    g = getattr(fd, "__globals__", None)
    f = _expr(name)
    x_arr = np.asarray(x, dtype=float)
    if x_arr.ndim == 0:
        fn = lambda d: f([d])  # scalar expressions take one input
    else:
        fn = lambda ds: f(list(ds))
    saved = g.get("Dual", None) if g is not None else None
    if g is not None:
        g["Dual"] = CourseDual
    try:
        out = fd(fn, float(x_arr) if x_arr.ndim == 0 else x_arr.copy())
    finally:
        if g is not None:
            if saved is None:
                g.pop("Dual", None)
            else:
                g["Dual"] = saved
    return np.asarray(out, dtype=float) if x_arr.ndim else float(out)


HOMEWORK = Homework(
    name="hw03_autodiff",
    exercises=[
        Exercise("forward_difference", 1, _pub_fd(), driver=forward_difference_on, rtol=1e-07, atol=1e-08),
        Exercise("central_difference", 1, _pub_fd(), driver=central_difference_on, rtol=1e-07, atol=1e-08),
        Exercise("Value", 5, _pub_value(), driver=value_expression, rtol=1e-08, atol=1e-10),
        Exercise("Dual", 2, _pub_dual(), driver=dual_expression, rtol=1e-08, atol=1e-10),
        Exercise("forward_derivative", 1, _pub_fwd(), driver=forward_derivative_on, rtol=1e-08, atol=1e-10),
    ],
)
