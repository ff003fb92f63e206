"""hw03_autodiff: hidden-case generators (instructor side; never shipped to students).

Edge cases (labels = Exercise.edge_cases): one input / one output / non-square Jacobians; a complex step far below
where differences cancel; on tapes: x·x, exact zeros at the ReLU kink, inputs the output ignores, an output that
is an input, instructions after the output, a long chain, random tapes with constants on either side.
"""

from __future__ import annotations

import math

from course_lib.grading.homework.hw03_autodiff import TAPE_INPUTS, last_output, random_inputs, tape
from course_lib.grading.model import case

# ---------------------------------------------------------------------------------------------- differences


def _hidden_jacobian(rng):
    u = lambda n: rng.uniform(-1.2, 1.2, size=n)
    return [
        case("curve", u(1), 1e-4).edge("one input (n = 1)", "non-square Jacobian (m > n)"),
        case("energy", u(4), 1e-4).edge("one output (m = 1)"),
        case("energy", u(1), 1e-3).edge("one input (n = 1)", "one output (m = 1)"),
        case("rosen_residuals", u(4), 1e-4).edge("non-square Jacobian (m > n)"),
        case("layer", u(4), 1e-3),
        case("softmax", u(5), 1e-4),
        case("polar", rng.uniform(0.5, 2.0, size=2), 1e-3),
    ]


def _hidden_complex(rng):
    u = lambda n: rng.uniform(-1.0, 1.0, size=n)
    return [
        case("sin_exp", u(1), 1e-100).edge("step h = 1e-100, far below where differences cancel",
                                           "one coordinate (d = 1)"),
        case("exp_quadratic", u(5), 1e-100).edge("step h = 1e-100, far below where differences cancel"),
        case("log_poly", u(1), 1e-8).edge("one coordinate (d = 1)"),
        case("rosenbrock", u(4), 1e-20),
        case("tanh_chain", u(3), 1e-15),
    ]


# ---------------------------------------------------------------------------------------------- tapes

_F = {
    "neg": lambda a: -a, "exp": math.exp, "log": math.log, "sin": math.sin, "tanh": math.tanh,
    "relu": lambda a: a if a > 0 else 0.0,
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


def _random_tape(rng, n_inputs: int, n_ops: int, prefix: str = "v"):
    """A random valid tape: every log, root, negative power and quotient stays inside its domain, values stay
    moderate; binary ops take a constant on the left or the right now and then, and sometimes one variable twice."""
    names = [f"x{i}" for i in range(n_inputs)]
    inputs = {k: float(rng.uniform(-1.5, 1.5)) for k in names}
    vals = dict(inputs)
    t = []
    ops = ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sin", "tanh", "relu")
    while len(t) < n_ops:
        def pick(pool=names[-6:]):  # mostly one of the latest variables, so the tape grows deep
            pool = pool if rng.random() < 0.7 else names
            return pool[int(rng.integers(len(pool)))]

        op = ops[int(rng.integers(len(ops)))]
        a = pick()
        if op == "pow":
            p = [2, 3, -1, 0.5, 1.5, -0.5][int(rng.integers(6))]
            if (p != int(p) and vals[a] < 0.2) or (p < 0 and abs(vals[a]) < 0.5):
                continue
            args = (a, p)
        elif op in ("add", "sub", "mul", "div"):
            r = rng.random()
            c = float(round(rng.uniform(-2.0, 2.0), 3)) or 1.0
            args = (c, a) if r < 0.2 else (a, c) if r < 0.4 else (a, a) if r < 0.5 else (a, pick())
            if op == "div" and not isinstance(args[1], float) and abs(vals[args[1]]) < 0.5:
                continue
            if op == "div" and isinstance(args[1], float) and abs(args[1]) < 0.5:
                continue
        else:
            if (op == "log" and vals[a] < 0.2) or (op == "exp" and vals[a] > 2.0):
                continue
            args = (a,)
        v = _F[op](*[vals[x] if isinstance(x, str) else x for x in args])
        if not abs(v) < 20.0:
            continue
        out = f"{prefix}{len(t)}"
        vals[out] = v
        names.append(out)
        t.append((out, op) + args)
    return t, inputs


def _output_value(t, inputs) -> float:
    vals = dict(inputs)
    for out, op, *args in t:
        vals[out] = _F[op](*[vals[a] if isinstance(a, str) else a for a in args])
    return vals[t[-1][0]]


def _informative_tape(rng, n_inputs: int, n_ops: int):
    """A random tape whose output moves with at least two of its inputs (centred differences): no all-zero answers."""
    for _ in range(100):
        t, inputs = _random_tape(rng, n_inputs, n_ops)
        g = []
        for k in inputs:
            up, down = dict(inputs), dict(inputs)
            up[k] += 1e-6
            down[k] -= 1e-6
            try:
                g.append((_output_value(t, up) - _output_value(t, down)) / 2e-6)
            except (ValueError, ZeroDivisionError):
                g.append(0.0)
        if math.hypot(*g) > 0.05 and sum(abs(v) > 1e-3 for v in g) >= 2:
            return t, inputs
    raise RuntimeError("no informative random tape in 100 tries")


def _long_chain(steps: int = 16):
    """x ← x + 0.3·sin(0.7x) − 0.1·log(x·x + 1), 16 times: 144 instructions, each step uses x three times."""
    t, x = [], "x"
    for k in range(steps):
        t += [
            (f"a{k}", "mul", 0.7, x),
            (f"s{k}", "sin", f"a{k}"),
            (f"b{k}", "mul", 0.3, f"s{k}"),
            (f"q{k}", "mul", x, x),
            (f"p{k}", "add", f"q{k}", 1.0),
            (f"l{k}", "log", f"p{k}"),
            (f"c{k}", "mul", -0.1, f"l{k}"),
            (f"u{k}", "add", x, f"b{k}"),
            (f"x{k}", "add", f"u{k}", f"c{k}"),
        ]
        x = f"x{k}"
    return t


def _kink_tape():
    """relu of exactly 0 twice: of x − y with x = y, and of an input that is exactly 0."""
    return [
        ("d", "sub", "x", "y"),
        ("r", "relu", "d"),
        ("rz", "relu", "z"),
        ("m", "mul", "r", "x"),
        ("n", "mul", "rz", "y"),
        ("k", "mul", 2.0, "x"),
        ("s", "add", "m", "n"),
        ("out", "add", "s", "k"),
    ]


def _square_tape():
    """x·x and x + x (one variable as both operands), with an input w that the output never uses."""
    return [
        ("sq", "mul", "x", "x"),
        ("dbl", "add", "x", "x"),
        ("c", "mul", "sq", "dbl"),
        ("e", "sub", "c", "x"),
        ("w2", "mul", "w", "w"),  # after the output: contributes nothing
    ]


def _hidden_gradient(rng):
    out = []
    for name in ("neuron", "shared", "quotient", "power", "log_exp", "sin_tanh", "mlp"):
        t = tape(name)
        out.append(case(t, random_inputs(rng, name), last_output(t)))
    v = float(rng.uniform(0.3, 1.5))
    out += [
        case(_square_tape(), {"x": float(rng.uniform(-1.5, 1.5)), "w": 0.7}, "e").edge(
            "a variable used twice in one instruction (x·x)", "an input the output does not depend on",
            "instructions after the output"),
        case(_kink_tape(), {"x": v, "y": v, "z": 0.0}, "out").edge("exact zero at the ReLU kink"),
        case(tape("sin_tanh"), random_inputs(rng, "sin_tanh"), "m").edge("instructions after the output"),
        case(tape("slides"), {"x1": 0.3, "x2": -0.8}, "x2").edge("the output is one of the inputs"),
        case(_long_chain(), {"x": float(rng.uniform(-1.0, 1.0))}, "x15").edge("a long chain (144 instructions)"),
    ]
    for _ in range(4):
        t, inputs = _informative_tape(rng, 3, 25)
        out.append(case(t, inputs, last_output(t)).edge("random tape with constants on either side"))
    return out


def _seed(rng, names):
    return {k: float(rng.normal()) for k in names}


def _hidden_jvp(rng):
    out = []
    for name in ("power", "sin_tanh", "mlp", "shared"):
        out.append(case(tape(name), random_inputs(rng, name), _seed(rng, TAPE_INPUTS[name])))
    v = float(rng.uniform(0.3, 1.5))
    out += [
        case(_square_tape(), {"x": float(rng.uniform(-1.5, 1.5)), "w": 0.7}, {"x": 1.0, "w": -0.5}).edge(
            "a variable used twice in one instruction (x·x)"),
        case(_kink_tape(), {"x": v, "y": v, "z": 0.0}, {"x": 1.0, "y": -0.5, "z": 2.0}).edge(
            "exact zero at the ReLU kink"),
        case(tape("mlp"), random_inputs(rng, "mlp"), {k: (1.0 if k == "w3" else 0.0) for k in TAPE_INPUTS["mlp"]})
        .edge("zero tangent on every input but one"),
        case(_long_chain(), {"x": float(rng.uniform(-1.0, 1.0))}, {"x": 1.0}).edge("a long chain (144 instructions)"),
    ]
    for _ in range(3):
        t, inputs = _informative_tape(rng, 3, 25)
        out.append(case(t, inputs, _seed(rng, inputs)).edge("random tape with constants on either side"))
    return out


HIDDEN = {
    "central_jacobian": _hidden_jacobian,
    "complex_step_gradient": _hidden_complex,
    "tape_gradient": _hidden_gradient,
    "tape_jvp": _hidden_jvp,
}
