"""hw03: the reference scores full marks, classic mistakes lose exactly their exercise, and the reference
agrees with torch.autograd (float64) and with centred differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradeutil import assert_mutant_loses_only, expected, grade_solution

from course_lib import autodiff
from course_lib.grading.homework import hw03_autodiff as hw03
from course_lib.grading.homework import load_homework


def test_solution_full_marks():
    r = grade_solution("hw03")
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_exercises_match_design_table():
    names = [e.name for e in load_homework("hw03").exercises]
    assert names == ["forward_difference", "central_difference", "Value", "Dual", "forward_derivative"]


# ------------------------------------------------------------------------------------------------ mutants


def test_mutant_forward_difference_uses_centred_formula():
    assert_mutant_loses_only("hw03", '''
import numpy as np
def forward_difference(f, x, h):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x); e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g
''', {"forward_difference"})


def test_mutant_central_difference_divides_by_h():
    assert_mutant_loses_only("hw03", '''
import numpy as np
def central_difference(f, x, h):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x); e[i] = h
        g[i] = (f(x + e) - f(x - e)) / h
    return g
''', {"central_difference"})


def _value_source(backward_body: str, mul_parents: str = "((self, other.data), (other, self.data))") -> str:
    """A complete Value class with a replaceable backward() and product rule."""
    return f'''
import math
class Value:
    def __init__(self, data, _parents=()):
        self.data = float(data); self.grad = 0.0; self._parents = tuple(_parents)
    def _l(self, o): return o if isinstance(o, Value) else Value(o)
    def __add__(self, o): o = self._l(o); return Value(self.data + o.data, ((self, 1.0), (o, 1.0)))
    __radd__ = __add__
    def __neg__(self): return Value(-self.data, ((self, -1.0),))
    def __sub__(self, o): return self + (-self._l(o))
    def __rsub__(self, o): return self._l(o) - self
    def __mul__(self, o):
        other = self._l(o)
        return Value(self.data * other.data, {mul_parents})
    __rmul__ = __mul__
    def __truediv__(self, o): return self * self._l(o) ** -1
    def __rtruediv__(self, o): return self._l(o) / self
    def __pow__(self, p): return Value(self.data ** p, ((self, p * self.data ** (p - 1)),))
    def exp(self): e = math.exp(self.data); return Value(e, ((self, e),))
    def log(self): return Value(math.log(self.data), ((self, 1 / self.data),))
    def sin(self): return Value(math.sin(self.data), ((self, math.cos(self.data)),))
    def tanh(self): t = math.tanh(self.data); return Value(t, ((self, 1 - t * t),))
    def relu(self): return Value(max(self.data, 0.0), ((self, float(self.data > 0)),))
    def backward(self):
{backward_body}
'''


_TOPO = '''        order, seen = [], set()
        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p, _ in v._parents:
                    visit(p)
                order.append(v)
        visit(self)
'''


def test_alternative_correct_value_scores_full():
    """A differently written but correct Value (recursive topological sort, division via ** -1) scores full."""
    src = _value_source(_TOPO + '''        for v in order: v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            for p, local in v._parents: p.grad += v.grad * local
''')
    r = grade_solution("hw03", src)
    assert r.total == r.max_total, [c.message for e in r.exercises for c in e.cases if not c.ok]


def test_mutant_value_accumulates_across_backward_calls():
    """micrograd's original backward: no reset, so a second backward() doubles the gradients."""
    res = assert_mutant_loses_only("hw03", _value_source(_TOPO + '''        self.grad = 1.0
        for v in reversed(order):
            for p, local in v._parents: p.grad += v.grad * local
'''), {"Value"})
    value = next(e for e in res.exercises if e.name == "Value")
    assert 0 < value.points < value.max_points  # single-backward cases still pass: partial credit


def test_mutant_value_overwrites_instead_of_accumulating():
    """`=` instead of `+=`: wrong as soon as a node feeds two others (shared sub-expressions, x * x)."""
    assert_mutant_loses_only("hw03", _value_source(_TOPO + '''        for v in order: v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            for p, local in v._parents: p.grad = v.grad * local
'''), {"Value"})


def test_mutant_value_breadth_first_instead_of_topological():
    """Visiting each node once in breadth-first order from the output: a node can be processed before all
    the nodes that use it have sent their gradient (wrong on shared sub-expressions and longer side paths)."""
    assert_mutant_loses_only("hw03", _value_source(_TOPO + '''        for v in order: v.grad = 0.0
        self.grad = 1.0
        queue, done = [self], set()
        while queue:
            v = queue.pop(0)
            if id(v) in done:
                continue
            done.add(id(v))
            for p, local in v._parents:
                p.grad += v.grad * local
                queue.append(p)
'''), {"Value"})


def test_mutant_dual_quotient_rule_sign():
    assert_mutant_loses_only("hw03", '''
import math
class Dual:
    def __init__(self, val, dot=0.0): self.val = float(val); self.dot = float(dot)
    def _l(self, o): return o if isinstance(o, Dual) else Dual(o)
    def __add__(self, o): o = self._l(o); return Dual(self.val + o.val, self.dot + o.dot)
    __radd__ = __add__
    def __neg__(self): return Dual(-self.val, -self.dot)
    def __sub__(self, o): return self + (-self._l(o))
    def __rsub__(self, o): return self._l(o) - self
    def __mul__(self, o): o = self._l(o); return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)
    __rmul__ = __mul__
    def __truediv__(self, o):
        o = self._l(o)
        return Dual(self.val / o.val, (self.val * o.dot - self.dot * o.val) / o.val ** 2)
    def __rtruediv__(self, o): return self._l(o) / self
    def __pow__(self, p): return Dual(self.val ** p, p * self.val ** (p - 1) * self.dot)
    def exp(self): return Dual(math.exp(self.val), math.exp(self.val) * self.dot)
    def log(self): return Dual(math.log(self.val), self.dot / self.val)
    def sin(self): return Dual(math.sin(self.val), math.cos(self.val) * self.dot)
    def tanh(self): t = math.tanh(self.val); return Dual(t, (1 - t * t) * self.dot)
    def relu(self): return Dual(max(self.val, 0.0), self.dot if self.val > 0 else 0.0)
''', {"Dual"})


def test_mutant_forward_derivative_seeds_all_inputs_at_once():
    """Seeding every input with tangent 1 gives the sum of the partials (a directional derivative)."""
    assert_mutant_loses_only("hw03", '''
import numpy as np
def forward_derivative(f, x):
    if np.ndim(x) == 0:
        return float(f(Dual(float(x), 1.0)).dot)
    d = f([Dual(v, 1.0) for v in np.asarray(x, dtype=float)]).dot
    return np.full(len(x), d)
''', {"forward_derivative"})


# ------------------------------------------------------------------------------------------------ references


def _torch_value_and_grad(name, inputs):
    torch = pytest.importorskip("torch")

    class T:  # adapts torch tensors to the Value API used by the expressions
        def __init__(self, t):
            self.t = t

        def _o(self, o):
            return o.t if isinstance(o, T) else o

        def __add__(self, o): return T(self.t + self._o(o))
        def __radd__(self, o): return T(self._o(o) + self.t)
        def __sub__(self, o): return T(self.t - self._o(o))
        def __rsub__(self, o): return T(self._o(o) - self.t)
        def __mul__(self, o): return T(self.t * self._o(o))
        def __rmul__(self, o): return T(self._o(o) * self.t)
        def __truediv__(self, o): return T(self.t / self._o(o))
        def __rtruediv__(self, o): return T(self._o(o) / self.t)
        def __neg__(self): return T(-self.t)
        def __pow__(self, p): return T(self.t ** p)
        def exp(self): return T(self.t.exp())
        def log(self): return T(self.t.log())
        def sin(self): return T(self.t.sin())
        def tanh(self): return T(self.t.tanh())
        def relu(self): return T(torch.relu(self.t))

    leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in inputs]
    out = hw03.EXPRESSIONS[name]([T(t) for t in leaves]).t
    out.backward()
    return float(out.detach()), np.array([float(t.grad) if t.grad is not None else 0.0 for t in leaves])


def test_reference_value_matches_torch_and_centred_differences():
    ex = expected("hw03")
    spec = load_homework("hw03").exercise("Value")
    public, hidden, outs = ex.get(spec)
    for c, o in zip(public + hidden, outs):
        name, inputs = c.args[0], np.asarray(c.args[1], dtype=float)
        mode = c.kwargs.get("mode", "once")
        val, grads = o["value"]
        if mode == "once":
            tv, tg = _torch_value_and_grad(name, inputs)
            assert abs(val - tv) <= 1e-12 * max(1, abs(tv))
            np.testing.assert_allclose(grads, tg, rtol=1e-10, atol=1e-12)
            num = autodiff.central_difference(
                lambda v, name=name: hw03.EXPRESSIONS[name]([autodiff.Scalar(a) for a in v]).data, inputs, 1e-6)
            assert autodiff.rel_error(num, grads) < 1e-6, (name, num, grads)
        else:  # twice: same as once; switch: the second output's gradients
            ref = value_expression_plain(name, inputs, mode)
            np.testing.assert_allclose(grads, ref[1], rtol=1e-12)


def value_expression_plain(name, inputs, mode="once"):
    """Reference for these tests: the driver's computation with the course's Scalar engine."""
    return hw03.value_expression({"Value": autodiff.Scalar}, name, inputs, mode)


def test_slides_example_gradient():
    x1, x2 = 1.0, 0.5
    val, grads = value_expression_plain("slides", [x1, x2])
    assert val == pytest.approx(5 * x1 + math.sin(x2 + math.pi))
    np.testing.assert_allclose(grads, [5.0, math.cos(x2 + math.pi)], rtol=1e-14)


def test_reference_dual_is_directional_derivative():
    ex = expected("hw03")
    public, hidden, outs = ex.get(load_homework("hw03").exercise("Dual"))
    for c, o in zip(public + hidden, outs):
        name, inputs, seed = c.args
        _, grads = value_expression_plain(name, inputs)
        assert o["value"][1] == pytest.approx(float(np.dot(grads, seed)), rel=1e-10, abs=1e-12)


def test_reference_finite_differences_close_to_exact():
    ex = expected("hw03")
    for name in ("forward_difference", "central_difference"):
        public, hidden, outs = ex.get(load_homework("hw03").exercise(name))
        for c, o in zip(public + hidden, outs):
            fn_name, x, h = c.args
            f = lambda v, fn_name=fn_name: hw03.FUNCTIONS[fn_name](np.asarray(v, dtype=float))
            exact = autodiff.central_difference(f, x, 1e-6)
            tol = 2000 * h if name == "forward_difference" else 2e3 * h * h + 1e-6
            assert np.max(np.abs(o["value"] - exact)) < tol, (name, fn_name, o["value"], exact)


def test_fd_error_orders():
    """Forward differences are O(h), centred O(h²) (slope on a log–log plot) before round-off sets in."""
    r = autodiff.fd_errors(math.sin, math.cos, 1.0, [1e-2, 1e-3])
    assert 8 < r["forward"][0] / r["forward"][1] < 12
    assert 80 < r["central"][0] / r["central"][1] < 120
