"""hw03 drivers: the graded code takes callables (finite differences, forward mode) or is a class (Value, Dual),
so each case names a test function or expression built here, inside the sandbox, from plain inputs.

Expressions only use the public API stated in the homework: + − * / with numbers on either side, unary −,
** with a constant exponent, and the methods exp, log, sin, tanh, relu.
"""

from __future__ import annotations

import math

import numpy as np

# ------------------------------------------------------------------------------------------------------------
# Test functions for finite differences: scalar f of a vector x (any length d ≥ 1 unless noted)
# ------------------------------------------------------------------------------------------------------------

FUNCTIONS = {
    "quadratic": lambda x: 0.5 * float(np.sum(np.arange(1, x.size + 1) * x ** 2)) + float(np.sum(x[:-1] * x[1:])),
    "rosenbrock": lambda x: float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)),
    "logsumexp": lambda x: float(np.log(np.sum(np.exp(x - x.max()))) + x.max()),
    "sin_exp": lambda x: float(np.sin(x[0]) * np.exp(0.5 * x[-1]) + np.sum(np.cos(x) * x)),
    "cubic": lambda x: float(np.sum(x ** 3) - 2.0 * np.prod(np.tanh(x))),
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


def value_expression_plain(name, inputs, mode="once"):
    """Reference for tests: the same computation with the course's Scalar engine."""
    from course_lib.autodiff import Scalar

    return value_expression({"Value": Scalar}, name, inputs, mode)


def dual_expression(ns, name, inputs, seed):
    """Evaluate expression `name` on Dual inputs with tangents `seed`; return (value, directional derivative)."""
    Dual = ns["Dual"]
    xs = [Dual(float(v), float(s)) for v, s in zip(inputs, seed)]
    out = _expr(name)(xs)
    return float(out.val), float(out.dot)


def forward_derivative_on(ns, name, x):
    """The student's forward_derivative on a named expression, with the course's Dual (same API) in place of
    theirs, so a bug in Dual costs only the Dual exercise."""
    from course_lib.autodiff import Dual as CourseDual

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
