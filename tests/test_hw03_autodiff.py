"""hw03: the reference scores full marks, classic mistakes lose exactly their exercise, and the reference's
outputs on every public and hidden case agree with PyTorch float64 autograd (reverse and forward mode)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, expected, grade_solution
from test_hints import assert_no_hint, expect_hint

from autograder.hidden.hw03_autodiff import HIDDEN
from autograder.paths import solution_notebook
from course_lib.grading.homework import hw03_autodiff as hw03
from course_lib.grading.homework import load_homework

torch = pytest.importorskip("torch")


def test_solution_full_marks():
    r = grade_solution("hw03")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_exercises_and_points():
    hw = load_homework("hw03")
    assert [(e.name, e.points) for e in hw.exercises] == [
        ("central_jacobian", 1), ("complex_step_gradient", 1), ("tape_gradient", 5), ("tape_jvp", 3)]
    assert hw.max_points == 10


def test_design_fields_derivation_first_and_edge_cases():
    """≥ 50 % of the points derivation-first; every named edge case labels at least one hidden case."""
    hw = load_homework("hw03")
    df = sum(e.points for e in hw.exercises if e.derivation_first)
    assert df >= 0.5 * hw.max_points
    rng = np.random.default_rng(0)
    for e in hw.exercises:
        assert e.edge_cases, e.name
        covered = {name for c in HIDDEN[e.name](rng) for name in c.covers}
        assert set(e.edge_cases) <= covered, (e.name, set(e.edge_cases) - covered)
        assert covered <= set(e.edge_cases), (e.name, covered - set(e.edge_cases))


def test_derivation_first_prompts_hold_back_the_local_derivatives():
    """The tape prompts state task, contract and hint, not the derivative rules (e.g. 1 − tanh², −a/b²)."""
    nb = json.loads(solution_notebook(load_homework("hw03").name).read_text(encoding="utf-8"))
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    start, end = md.index("## Exercise 3"), md.index("## Demo")
    prompts = md[start:end]
    for formula in ("1 - \\tanh", "1-\\tanh", "\\cos", "/b^2", "b^2}", "\\frac{1}{a}", "pa^{p-1}", "b a^{b-1}",
                    "\\dot a b", "\\dot a\\,b"):
        assert formula not in prompts, formula


# ------------------------------------------------------------------------------------------------ mutants


def _reference_source(fn: str) -> str:
    """The code cell of the solution notebook that defines `fn` (markers are comments, so it runs as is)."""
    nb = json.loads(solution_notebook(load_homework("hw03").name).read_text(encoding="utf-8"))
    for c in nb["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] == "code" and f"def {fn}(" in src:
            return "import math\nimport numpy as np\n" + src
    raise KeyError(fn)


def _mutant(fn: str, old: str, new: str) -> str:
    src = _reference_source(fn)
    assert src.count(old) == 1, (fn, old)
    return src.replace(old, new)


# central_jacobian
# Each mutant also gets the hint of the pattern its numbers show, or none (tests/test_hints.py, expect_hint).


def test_mutant_jacobian_transposed():
    """Columns stacked as rows: (n, m) instead of (m, n), wrong even when square."""
    res = assert_mutant_loses_only("hw03", _mutant("central_jacobian", "np.stack(columns, axis=1)",
                                             "np.stack(columns, axis=0)"), {"central_jacobian"})
    expect_hint(res, "central_jacobian", ("transpose", "your output is the expected transposed"))


def test_mutant_jacobian_divides_by_h():
    res = assert_mutant_loses_only("hw03", _mutant("central_jacobian", "/ (2 * h))", "/ h)"), {"central_jacobian"})
    expect_hint(res, "central_jacobian", ("factor", "2 × the expected everywhere: a ½ forgotten?"))


def test_mutant_jacobian_one_sided():
    """A forward difference: O(h) error instead of O(h²)."""
    res = assert_mutant_loses_only("hw03", _mutant(
        "central_jacobian",
        "(np.asarray(f(x + step), dtype=float) - np.asarray(f(x - step), dtype=float)) / (2 * h)",
        "(np.asarray(f(x + step), dtype=float) - np.asarray(f(x), dtype=float)) / h"), {"central_jacobian"})
    expect_hint(res, "central_jacobian", None)


def test_mutant_jacobian_perturbs_x_in_place_without_restoring():
    res = assert_mutant_loses_only("hw03", '''
import numpy as np
def central_jacobian(f, x, h):
    cols = []
    for j in range(len(x)):
        x[j] += h
        fp = np.asarray(f(x), dtype=float)
        x[j] -= 2 * h
        fm = np.asarray(f(x), dtype=float)
        cols.append((fp - fm) / (2 * h))
    return np.array(cols).T
''', {"central_jacobian"})
    expect_hint(res, "central_jacobian", None)


# complex_step_gradient


def test_mutant_complex_step_real_part():
    res = assert_mutant_loses_only("hw03", _mutant("complex_step_gradient", "np.imag(f(z))", "np.real(f(z))"),
                             {"complex_step_gradient"})
    expect_hint(res, "complex_step_gradient", None)


def test_mutant_complex_step_divides_by_2h():
    res = assert_mutant_loses_only("hw03", _mutant("complex_step_gradient", "np.imag(f(z)) / h",
                                                   "np.imag(f(z)) / (2 * h)"),
                             {"complex_step_gradient"})
    expect_hint(res, "complex_step_gradient", ("factor", "1/2 of the expected", "an extra ½?"))


def test_mutant_complex_step_all_coordinates_at_once():
    """x + ih·(1, …, 1): the derivative along the diagonal, the same number in every entry."""
    res = assert_mutant_loses_only("hw03", _mutant("complex_step_gradient", "z[j] = complex(x[j], h)",
                                                   "z = x + 1j * h"),
                             {"complex_step_gradient"})
    expect_hint(res, "complex_step_gradient", None)


def test_mutant_complex_step_into_a_float_array():
    """A float64 copy cannot hold the imaginary step (NumPy drops it, or refuses)."""
    res = assert_mutant_loses_only("hw03", _mutant("complex_step_gradient", "z = x.astype(complex)", "z = x.copy()"),
                             {"complex_step_gradient"})
    expect_hint(res, "complex_step_gradient", None)


def test_mutant_complex_step_is_a_forward_difference():
    """(f(x + h e_j) − f(x)) / h with h = 1e-20 is 0: the subtraction cancels completely."""
    res = assert_mutant_loses_only("hw03", '''
import numpy as np
def complex_step_gradient(f, x, h):
    x = np.asarray(x, dtype=float)
    g = np.zeros(x.size)
    for j in range(x.size):
        e = np.zeros(x.size); e[j] = h
        g[j] = (float(np.real(f(x + e))) - float(np.real(f(x)))) / h
    return g
''', {"complex_step_gradient"})
    expect_hint(res, "complex_step_gradient", None)


# tape_gradient


def test_mutant_tape_gradient_overwrites_instead_of_accumulating():
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "adjoint[arg] = adjoint.get(arg, 0.0) + bar * d",
                                             "adjoint[arg] = bar * d"), {"tape_gradient"})
    expect_hint(res, "tape_gradient", ("output", "only output['x'] differs (output['y'] is right)"))


def test_mutant_tape_gradient_sweeps_in_tape_order():
    """Adjoints propagated front to back: an adjoint is used before all its contributions arrived."""
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "for out, op, *args in reversed(tape):",
                                             "for out, op, *args in tape:"), {"tape_gradient"})
    expect_hint(res, "tape_gradient", ("output",))


def test_mutant_tape_gradient_relu_derivative_one_at_the_kink():
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "(1.0 if a[0] > 0 else 0.0,)",
                                                   "(1.0 if a[0] >= 0 else 0.0,)"), {"tape_gradient"})
    expect_hint(res, "tape_gradient", None)
    ex = next(e for e in res.exercises if e.name == "tape_gradient")
    assert ex.points > 0.8 * ex.max_points  # only the kink case fails


def test_mutant_tape_gradient_tanh_derivative_of_the_input():
    """1 − a² with a the argument, instead of 1 − tanh(a)²."""
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "(1.0 - value[out] ** 2,)", "(1.0 - a[0] ** 2,)"),
                             {"tape_gradient"})
    expect_hint(res, "tape_gradient", ("output", "only output['x'] differs (output['y'] is right)"))


def test_mutant_tape_gradient_quotient_sign():
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "-a[0] / a[1] ** 2", "a[0] / a[1] ** 2"),
                             {"tape_gradient"})
    expect_hint(res, "tape_gradient", ("output", "only output['y'] differs (output['x'] is right)"))


def test_mutant_tape_gradient_leaves_out_unused_inputs():
    res = assert_mutant_loses_only("hw03", _mutant("tape_gradient", "{name: adjoint.get(name, 0.0) for name in inputs}",
                                             "{name: adjoint[name] for name in inputs if name in adjoint}"),
                             {"tape_gradient"})
    expect_hint(res, "tape_gradient", None)


def test_alternative_correct_tape_gradient_scores_full():
    """Local derivatives recorded during the forward sweep, adjoints in a list: another correct design."""
    src = '''
import math
def tape_gradient(tape, inputs, output):
    idx = {name: k for k, name in enumerate(inputs)}
    val = [float(inputs[name]) for name in inputs]
    rec = []
    D = {"neg": lambda a, y: -1.0, "exp": lambda a, y: y, "log": lambda a, y: 1 / a,
         "sin": lambda a, y: math.cos(a), "tanh": lambda a, y: 1 - y * y, "relu": lambda a, y: float(a > 0)}
    F = {"neg": lambda a: -a, "exp": math.exp, "log": math.log, "sin": math.sin, "tanh": math.tanh,
         "relu": lambda a: max(a, 0.0)}
    for out, op, *args in tape:
        xs = [val[idx[a]] if isinstance(a, str) else a for a in args]
        if op in F:
            y = F[op](xs[0]); locs = [D[op](xs[0], y)]
        else:
            a, b = xs
            y, locs = {"add": (a + b, [1, 1]), "sub": (a - b, [1, -1]), "mul": (a * b, [b, a]),
                       "div": (a / b, [1 / b, -a / (b * b)]) if op == "div" else (0, [0, 0]),
                       "pow": (a ** b, [b * a ** (b - 1), 0]) if op == "pow" else (0, [0, 0])}[op]
        idx[out] = len(val); val.append(y)
        rec.append([(idx[a], l) for a, l in zip(args, locs) if isinstance(a, str)])
    bar = [0.0] * len(val)
    bar[idx[output]] = 1.0
    for k in range(len(rec) - 1, -1, -1):
        for j, l in rec[k]:
            bar[j] += bar[len(inputs) + k] * l
    return {name: bar[idx[name]] for name in inputs}
'''
    assert_no_hint(grade_solution("hw03", src))  # full marks, and no case carries a hint


# tape_jvp


def test_mutant_tape_jvp_product_rule_one_term():
    res = assert_mutant_loses_only("hw03", _mutant("tape_jvp", "da * b + a * db", "da * b"), {"tape_jvp"})
    expect_hint(res, "tape_jvp", None)


def test_mutant_tape_jvp_quotient_sign():
    res = assert_mutant_loses_only("hw03", _mutant("tape_jvp", "(da - v * db) / b", "(da + v * db) / b"), {"tape_jvp"})
    expect_hint(res, "tape_jvp", None)


def test_mutant_tape_jvp_relu_passes_the_tangent_at_the_kink():
    res = assert_mutant_loses_only("hw03", _mutant("tape_jvp", "if a > 0 else (0.0, 0.0)", "if a >= 0 else (0.0, 0.0)"),
                             {"tape_jvp"})
    expect_hint(res, "tape_jvp", None)


def test_mutant_tape_jvp_power_forgets_the_inner_tangent():
    res = assert_mutant_loses_only("hw03", _mutant("tape_jvp", "b * a ** (b - 1) * da", "b * a ** (b - 1)"),
                                   {"tape_jvp"})
    expect_hint(res, "tape_jvp", ("output",))


# ------------------------------------------------------------------------------------------------ PyTorch replays

_TORCH_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b, "neg": lambda a: -a, "exp": torch.exp, "log": torch.log, "sin": torch.sin,
    "tanh": torch.tanh, "relu": torch.relu,
}


def _torch_tape(tape, names):
    """x (tensor of the inputs, in `names` order) -> every variable's value, stacked (inputs first)."""
    def run(x):
        env = {k: x[i] for i, k in enumerate(names)}
        for out, op, *args in tape:
            env[out] = _TORCH_OPS[op](*[env[a] if isinstance(a, str) else a for a in args])
        return torch.stack([env[k] for k in list(names) + [ins[0] for ins in tape]])
    return run


def _cases(name):
    public, hidden, outs = expected("hw03").get(load_homework("hw03").exercise(name))
    assert len(outs) == len(public) + len(hidden)
    return list(zip(public + hidden, outs))


def test_reference_tape_gradient_matches_torch_autograd():
    for c, o in _cases("tape_gradient"):
        tape, inputs, output = c.args
        names = list(inputs)
        x = torch.tensor([inputs[k] for k in names], dtype=torch.float64, requires_grad=True)
        allnames = names + [ins[0] for ins in tape]
        y = _torch_tape(tape, names)(x)[allnames.index(output)]
        (g,) = torch.autograd.grad(y, x, allow_unused=True)
        g = np.zeros(len(names)) if g is None else g.numpy()
        got = np.array([o["value"][k] for k in names])
        np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-12, err_msg=str(c.covers))


def test_reference_tape_jvp_matches_torch_forward_mode():
    for c, o in _cases("tape_jvp"):
        tape, inputs, tangents = c.args
        names = list(inputs)
        x = torch.tensor([inputs[k] for k in names], dtype=torch.float64)
        s = torch.tensor([tangents[k] for k in names], dtype=torch.float64)
        _, dots = torch.func.jvp(_torch_tape(tape, names), (x,), (s,))
        allnames = names + [ins[0] for ins in tape]
        got = np.array([o["value"][k] for k in allnames])
        np.testing.assert_allclose(got, dots.numpy(), rtol=1e-10, atol=1e-12, err_msg=str(c.covers))


def test_reference_central_jacobian_close_to_torch_jacobian():
    for c, o in _cases("central_jacobian"):
        name, x, h = c.args
        fn = hw03.VECTOR_FUNCTIONS[name]
        t = torch.tensor(x, dtype=torch.float64)
        J = torch.autograd.functional.jacobian(lambda v, fn=fn: fn(v, torch), t).numpy()
        assert o["value"].shape == J.shape
        assert np.max(np.abs(o["value"] - J)) < 50 * h * h + 1e-9, (name, o["value"], J)


def test_reference_complex_step_equals_torch_gradient():
    for c, o in _cases("complex_step_gradient"):
        name, x, h = c.args
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(hw03.SCALAR_FUNCTIONS[name](t, torch), t)
        np.testing.assert_allclose(o["value"], g.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


def test_slides_example_by_hand():
    """y = 5·x1 + sin(x2 + π): ∇y = [5, cos(x2 + π)], the tangent along e2 is cos(x2 + π)."""
    c, out = _cases("tape_gradient")[0]
    assert c.args == (hw03.tape("slides"), {"x1": 1.0, "x2": 0.5}, "y")
    c, o = _cases("tape_jvp")[0]
    assert c.args[2] == {"x1": 0.0, "x2": 1.0}
    assert o["value"]["y"] == pytest.approx(math.cos(0.5 + math.pi), rel=1e-15)


def test_hidden_tapes_are_valid_and_varied():
    """Random tapes stay inside every op's domain and use constants on both sides and x·x-style reuse."""
    rng = np.random.default_rng(5)
    left = right = twice = 0
    for c in HIDDEN["tape_gradient"](rng):
        tape, inputs, output = c.args
        names = list(inputs)
        vals = _torch_tape(tape, names)(torch.tensor([inputs[k] for k in names], dtype=torch.float64))
        assert torch.isfinite(vals).all()
        for ins in tape:
            args = ins[2:]
            left += len(args) == 2 and not isinstance(args[0], str)
            right += len(args) == 2 and not isinstance(args[1], str) and ins[1] != "pow"
            twice += len(args) == 2 and args[0] == args[1]
    assert left and right and twice
