"""hw03, public part: a centred-difference Jacobian, complex-step gradients, and reverse and forward mode over a
Wengert list (a tape of instructions given as plain data).

The lecture builds its own scalar engine (`course_lib.autodiff`: Scalar, Dual, forward_derivative, finite
differences); the homework grades different functions that need the same understanding.

Cases are plain data: a test function's name plus numbers (the drivers build the callable in the sandbox), or a
tape, a dict of input values and an output name (or a dict of tangents).

A tape is a list of instructions `(out, op, arg)` or `(out, op, arg1, arg2)`: `out` names a new variable, each
arg is a variable name (an input or an earlier `out`) or a number (a constant). Ops: binary "add", "sub", "mul",
"div", "pow" (the exponent, the second argument, is always a constant number); unary "neg", "exp", "log", "sin",
"tanh", "relu" (derivative 0 at 0, as in PyTorch).
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.grading.model import Exercise, Homework, StudentCall, case

BINARY = ("add", "sub", "mul", "div", "pow")
UNARY = ("neg", "exp", "log", "sin", "tanh", "relu")

# ------------------------------------------------------------------------------------------------------------
# Test functions. Vector-valued ones (central_jacobian) take x of shape (n,) and return shape (m,); scalar ones
# (complex_step_gradient) return a number and accept complex arrays. `m` is the array module (NumPy here; the
# tests pass torch to compare with autograd).
# ------------------------------------------------------------------------------------------------------------

VECTOR_FUNCTIONS = {
    # polar to Cartesian: n = 2, m = 2
    "polar": lambda x, m=np: m.stack([x[0] * m.cos(x[1]), x[0] * m.sin(x[1])]),
    # a curve t -> (cos t, sin t, t² e^t): n = 1, m = 3
    "curve": lambda x, m=np: m.stack([m.cos(x[0]), m.sin(x[0]), x[0] ** 2 * m.exp(x[0])]),
    # softmax of any length n: m = n
    "softmax": lambda x, m=np: m.exp(x - x.max()) / m.exp(x - x.max()).sum(),
    # Rosenbrock's residuals: n ≥ 2, m = 2(n − 1)
    "rosen_residuals": lambda x, m=np: m.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]]),
    # one scalar output (m = 1) of any length n
    "energy": lambda x, m=np: m.stack([(m.sin(x) * x).sum() + 0.5 * (x ** 2).sum() ** 2]),
    # a tiny layer tanh(W x + b) with fixed W (3 × 4): n = 4, m = 3
    "layer": lambda x, m=np: m.tanh(
        (m.stack([0.5 * x[0] - x[1] + 0.3 * x[3], x[1] + 2.0 * x[2], -x[0] + 0.7 * x[2] - 0.4 * x[3]])) + 0.1),
}

SCALAR_FUNCTIONS = {
    "sin_exp": lambda x, m=np: (m.sin(x) * m.exp(x)).sum(),
    "rosenbrock": lambda x, m=np: (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum(),
    "log_poly": lambda x, m=np: m.log(1.0 + (x ** 2).sum()) + (x ** 3).sum() / 3.0,
    "tanh_chain": lambda x, m=np: m.tanh(m.tanh(x[0] * x[-1]) + m.cos(x).sum()),
    "exp_quadratic": lambda x, m=np: m.exp(-0.5 * (x * (1.0 + 0.1 * x)).sum()) * (1.0 + x[0]),
}


def _vector(name: str):
    if name not in VECTOR_FUNCTIONS:
        raise KeyError(f"unknown test function {name!r}")
    fn = VECTOR_FUNCTIONS[name]
    return lambda x: np.asarray(fn(np.asarray(x, dtype=float)), dtype=float)


def _scalar(name: str):
    if name not in SCALAR_FUNCTIONS:
        raise KeyError(f"unknown test function {name!r}")
    fn = SCALAR_FUNCTIONS[name]

    def f(x):
        x = np.asarray(x)
        if x.dtype.kind not in "fc":
            x = x.astype(float)
        return fn(x)

    return f


def central_jacobian_on(ns, name, x, h):
    """The student's central_jacobian on the named vector-valued test function."""
    return np.asarray(ns["central_jacobian"](_vector(name), np.array(x, dtype=float), h), dtype=float)


def complex_step_on(ns, name, x, h):
    """The student's complex_step_gradient on the named scalar test function (it accepts complex input)."""
    return np.asarray(ns["complex_step_gradient"](_scalar(name), np.array(x, dtype=float), h), dtype=float)


def _on_named(exercise):
    def call(args, kwargs):
        name, x, h = args[:3]
        return StudentCall(f"{exercise}(f, x, h)", {"x": x, "h": h}, f"f: the test function {name!r}")

    call.__name__ = f"{exercise}_call"
    return call


def _pub_jacobian():
    return [
        case("polar", np.array([1.5, 0.4]), 1e-4),
        case("curve", np.array([0.7]), 1e-4),
        case("softmax", np.array([0.2, -1.0, 0.5]), 1e-3),
        case("rosen_residuals", np.array([-1.2, 1.0, 0.5]), 1e-4),
    ]


def _pub_complex():
    return [
        case("sin_exp", np.array([1.0]), 1e-20),
        case("rosenbrock", np.array([-1.2, 1.0, 0.8]), 1e-20),
        case("log_poly", np.array([0.3, -0.7, 1.1]), 1e-10),
        case("tanh_chain", np.array([0.5, -0.2, 0.9, 1.3]), 1e-30),
    ]


# ------------------------------------------------------------------------------------------------------------
# Tapes (Wengert lists) as plain data
# ------------------------------------------------------------------------------------------------------------

TAPES = {
    # the slides' example (Hartnett, week 4): y = 5·x1 + sin(x2 + π), ∇y = [5, cos(x2 + π)]
    "slides": [
        ("a", "mul", 5.0, "x1"),
        ("b", "add", "x2", math.pi),
        ("c", "sin", "b"),
        ("y", "add", "a", "c"),
    ],
    # a neuron tanh(w1·x1 + w2·x2 + b)
    "neuron": [
        ("p1", "mul", "w1", "x1"),
        ("p2", "mul", "w2", "x2"),
        ("s", "add", "p1", "p2"),
        ("z", "add", "s", "b"),
        ("y", "tanh", "z"),
    ],
    # a = x·y feeds three instructions, one of them twice (a·a)
    "shared": [
        ("a", "mul", "x", "y"),
        ("sq", "mul", "a", "a"),
        ("e", "exp", "a"),
        ("t", "add", "sq", "e"),
        ("q", "div", "a", "y"),
        ("out", "sub", "t", "q"),
    ],
    # (x − y) / (x·y + 2) + 3 / x − 1 − y: constants on either side
    "quotient": [
        ("d", "sub", "x", "y"),
        ("m", "mul", "x", "y"),
        ("den", "add", "m", 2.0),
        ("r", "div", "d", "den"),
        ("inv", "div", 3.0, "x"),
        ("s", "add", "r", "inv"),
        ("s1", "sub", "s", 1.0),
        ("out", "sub", "s1", "y"),
    ],
    # x³ + y^(−1/2) + (x·y)^2.5 − (x²)^0.5
    "power": [
        ("c", "pow", "x", 3),
        ("r", "pow", "y", -0.5),
        ("m", "mul", "x", "y"),
        ("p", "pow", "m", 2.5),
        ("x2", "pow", "x", 2),
        ("ax", "pow", "x2", 0.5),
        ("s", "add", "c", "r"),
        ("s2", "add", "s", "p"),
        ("out", "sub", "s2", "ax"),
    ],
    # log(eˣ + eʸ) − relu(x·y) + relu(−x) + log y
    "log_exp": [
        ("ex", "exp", "x"),
        ("ey", "exp", "y"),
        ("se", "add", "ex", "ey"),
        ("lse", "log", "se"),
        ("m", "mul", "x", "y"),
        ("r1", "relu", "m"),
        ("nx", "neg", "x"),
        ("r2", "relu", "nx"),
        ("ly", "log", "y"),
        ("t1", "sub", "lse", "r1"),
        ("t2", "add", "t1", "r2"),
        ("out", "add", "t2", "ly"),
    ],
    # sin(x·y)·tanh(x) + sin(2y) − x / y, with a second output `g` that is not the last instruction
    "sin_tanh": [
        ("m", "mul", "x", "y"),
        ("s", "sin", "m"),
        ("t", "tanh", "x"),
        ("g", "mul", "s", "t"),
        ("y2", "mul", 2.0, "y"),
        ("s2", "sin", "y2"),
        ("q", "div", "x", "y"),
        ("u", "add", "g", "s2"),
        ("out", "sub", "u", "q"),
    ],
    # a two-unit network: (u1·relu(w1 x1 + w2 x2) + u2·tanh(w3 x1 + w4 x2 + 0.5) − 1)²
    "mlp": [
        ("a1", "mul", "w1", "x1"),
        ("a2", "mul", "w2", "x2"),
        ("z1", "add", "a1", "a2"),
        ("h1", "relu", "z1"),
        ("b1", "mul", "w3", "x1"),
        ("b2", "mul", "w4", "x2"),
        ("z2", "add", "b1", "b2"),
        ("z3", "add", "z2", 0.5),
        ("h2", "tanh", "z3"),
        ("o1", "mul", "u1", "h1"),
        ("o2", "mul", "u2", "h2"),
        ("o", "add", "o1", "o2"),
        ("e", "sub", "o", 1.0),
        ("loss", "pow", "e", 2),
    ],
}

# the input names of each tape, in order, and where their values may lie
TAPE_INPUTS = {
    "slides": ("x1", "x2"),
    "neuron": ("w1", "x1", "w2", "x2", "b"),
    "shared": ("x", "y"),
    "quotient": ("x", "y"),
    "power": ("x", "y"),
    "log_exp": ("x", "y"),
    "sin_tanh": ("x", "y"),
    "mlp": ("x1", "x2", "w1", "w2", "w3", "w4", "u1", "u2"),
}
_POSITIVE = {"quotient", "power", "log_exp", "sin_tanh"}


def tape(name: str) -> list:
    """A fresh copy of the named tape (a list of tuples)."""
    return [tuple(ins) for ins in TAPES[name]]


def random_inputs(rng, name: str) -> dict:
    """Input values for the named tape inside its domain (positive where it takes logs, roots or quotients)."""
    lo, hi = (0.4, 2.0) if name in _POSITIVE else (-1.5, 1.5)
    return {k: float(rng.uniform(lo, hi)) for k in TAPE_INPUTS[name]}


def last_output(t) -> str:
    return t[-1][0]


def tape_gradient_on(ns, t, inputs, output):
    """The student's tape_gradient; the result as {input name: float} (keys the student left out stay out)."""
    got = ns["tape_gradient"]([tuple(ins) for ins in t], dict(inputs), output)
    return {k: float(got[k]) for k in inputs if k in got}


def tape_jvp_on(ns, t, inputs, tangents):
    """The student's tape_jvp; the result as {variable name: float} over the inputs and every instruction."""
    got = ns["tape_jvp"]([tuple(ins) for ins in t], dict(inputs), dict(tangents))
    names = list(inputs) + [ins[0] for ins in t]
    return {k: float(got[k]) for k in names if k in got}


def _pub_gradient():
    return [
        case(tape("slides"), {"x1": 1.0, "x2": 0.5}, "y"),  # ∇y = [5, cos(0.5 + π)]
        case(tape("neuron"), {"w1": 0.5, "x1": -1.0, "w2": 2.0, "x2": 0.3, "b": 0.1}, "y"),
        case(tape("shared"), {"x": 0.7, "y": -0.4}, "out"),
        case(tape("quotient"), {"x": 1.2, "y": 0.8}, "out"),
        case(tape("power"), {"x": 1.3, "y": 0.6}, "out"),
        case(tape("log_exp"), {"x": 0.9, "y": 1.4}, "out"),
        case(tape("sin_tanh"), {"x": 0.6, "y": 1.1}, "g"),  # an output that is not the last instruction
    ]


def _pub_jvp():
    return [
        case(tape("slides"), {"x1": 1.0, "x2": 0.5}, {"x1": 0.0, "x2": 1.0}),
        case(tape("neuron"), {"w1": 0.5, "x1": -1.0, "w2": 2.0, "x2": 0.3, "b": 0.1},
             {"w1": 1.0, "x1": 0.0, "w2": 0.0, "x2": 0.0, "b": 0.0}),
        case(tape("quotient"), {"x": 1.2, "y": 0.8}, {"x": 1.0, "y": -2.0}),
        case(tape("log_exp"), {"x": 0.9, "y": 1.4}, {"x": 0.5, "y": 1.0}),
        case(tape("shared"), {"x": 0.7, "y": -0.4}, {"x": -0.3, "y": 0.8}),
    ]


HOMEWORK = Homework(
    name="hw03_autodiff",
    exercises=[
        Exercise("central_jacobian", 1, _pub_jacobian(), params=("f", "x", "h"), driver=central_jacobian_on,
                 student_call=_on_named("central_jacobian"), rtol=1e-07, atol=1e-08,
                 derivation_first=False,
                 edge_cases=("one input (n = 1)", "one output (m = 1)", "non-square Jacobian (m > n)")),
        Exercise("complex_step_gradient", 1, _pub_complex(), params=("f", "x", "h"), driver=complex_step_on,
                 student_call=_on_named("complex_step_gradient"), rtol=1e-10, atol=1e-12,
                 derivation_first=False,
                 edge_cases=("step h = 1e-100, far below where differences cancel", "one coordinate (d = 1)")),
        Exercise("tape_gradient", 5, _pub_gradient(), params=("tape", "inputs", "output"), driver=tape_gradient_on,
                 rtol=1e-08, atol=1e-10,
                 derivation_first=True,
                 edge_cases=("a variable used twice in one instruction (x·x)", "exact zero at the ReLU kink",
                             "an input the output does not depend on", "the output is one of the inputs",
                             "instructions after the output", "a long chain (144 instructions)",
                             "random tape with constants on either side")),
        Exercise("tape_jvp", 3, _pub_jvp(), params=("tape", "inputs", "tangents"), driver=tape_jvp_on, rtol=1e-08,
                 atol=1e-10,
                 derivation_first=True,
                 edge_cases=("a variable used twice in one instruction (x·x)", "exact zero at the ReLU kink",
                             "zero tangent on every input but one", "a long chain (144 instructions)",
                             "random tape with constants on either side")),
    ],
)
