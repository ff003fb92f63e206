"""Lecture 03's differentiation toolkit: finite differences, forward mode (dual numbers), a tiny reverse-mode
engine that records its computational graph, and helpers to draw that graph.

Everything here is scalar and pure Python/NumPy so the mechanics stay visible; the homework (hw03) grades
different functions built on the same ideas (a centred-difference Jacobian, complex-step gradients, reverse and
forward mode over a tape of instructions); a submission still may not import its tools from here.

    >>> x1, x2 = Scalar(1.0, "x1"), Scalar(2.0, "x2")
    >>> y = 5 * x1 + (x2 + math.pi).sin()
    >>> y.backward(); x1.grad, x2.grad       # (5.0, cos(x2 + π))
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw03",)

import math
from typing import Callable, Iterable

import numpy as np

# --------------------------------------------------------------------------------------------------------------
# Numerical differentiation
# --------------------------------------------------------------------------------------------------------------


def forward_difference(f: Callable[[np.ndarray], float], x, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x_i ≈ (f(x + h e_i) − f(x)) / h for every i: d + 1 evaluations, error O(h)."""
    x = np.array(x, dtype=float)
    fx = float(f(x))
    g = np.zeros_like(x)
    for i in range(x.size):
        xp = x.copy()
        xp.flat[i] += h
        g.flat[i] = (float(f(xp)) - fx) / h
    return g


def central_difference(f: Callable[[np.ndarray], float], x, h: float = 1e-5) -> np.ndarray:
    """∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h): 2d evaluations, error O(h²)."""
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        g.flat[i] = (float(f(xp)) - float(f(xm))) / (2 * h)
    return g


def numerical_gradient_array(f: Callable[[], float], arr: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred differences of a scalar f() with respect to the array `arr`, perturbed in place (cs231n style).

    f takes no argument: it reads `arr` (e.g. a weight matrix inside a params dict). `arr` is restored.
    """
    grad = np.zeros_like(arr, dtype=float)
    it = np.nditer(arr, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        old = arr[idx]
        arr[idx] = old + h
        fp = float(f())
        arr[idx] = old - h
        fm = float(f())
        arr[idx] = old
        grad[idx] = (fp - fm) / (2 * h)
        it.iternext()
    return grad


def numerical_vjp(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray,
                  h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of ⟨f(x), dout⟩ with respect to x: checks a layer's backward pass."""
    x = np.array(x, dtype=float)
    return numerical_gradient_array(lambda: float(np.sum(f(x) * dout)), x, h)


def rel_error(x, y) -> float:
    """cs231n's relative error max |x−y| / max(1e-8, |x|+|y|) (same as course_lib.compare.rel_error)."""
    from course_lib.compare import rel_error as _re

    return _re(x, y)


def fd_errors(f: Callable[[float], float], df: Callable[[float], float], x0: float,
              hs: Iterable[float]) -> dict[str, np.ndarray]:
    """Absolute errors of forward and centred differences of a 1-D f at x0 for each step h."""
    hs = np.asarray(list(hs), dtype=float)
    exact = float(df(x0))
    fwd = np.array([(f(x0 + h) - f(x0)) / h for h in hs])
    cen = np.array([(f(x0 + h) - f(x0 - h)) / (2 * h) for h in hs])
    return {"h": hs, "forward": np.abs(fwd - exact), "central": np.abs(cen - exact), "exact": exact}


# --------------------------------------------------------------------------------------------------------------
# Forward mode: dual numbers a + b·ε with ε² = 0
# --------------------------------------------------------------------------------------------------------------


class Dual:
    """A dual number val + dot·ε (ε² = 0): `dot` carries the derivative along with the value.

    Supports + − * / with numbers on either side, ** with a constant exponent, and exp, log, sin, cos, tanh, relu.
    """

    __slots__ = ("val", "dot")

    def __init__(self, val, dot=0.0):
        self.val = float(val)
        self.dot = float(dot)

    @staticmethod
    def lift(o) -> "Dual":
        return o if isinstance(o, Dual) else Dual(o, 0.0)

    def __add__(self, o):
        o = Dual.lift(o)
        return Dual(self.val + o.val, self.dot + o.dot)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.val, -self.dot)

    def __sub__(self, o):
        return self + (-Dual.lift(o))

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __mul__(self, o):
        o = Dual.lift(o)
        return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual.lift(o)
        return Dual(self.val / o.val, (self.dot * o.val - self.val * o.dot) / (o.val * o.val))

    def __rtruediv__(self, o):
        return Dual.lift(o) / self

    def __pow__(self, p):
        p = float(p)
        return Dual(self.val ** p, p * self.val ** (p - 1) * self.dot)

    def exp(self):
        e = math.exp(self.val)
        return Dual(e, e * self.dot)

    def log(self):
        return Dual(math.log(self.val), self.dot / self.val)

    def sin(self):
        return Dual(math.sin(self.val), math.cos(self.val) * self.dot)

    def cos(self):
        return Dual(math.cos(self.val), -math.sin(self.val) * self.dot)

    def tanh(self):
        t = math.tanh(self.val)
        return Dual(t, (1 - t * t) * self.dot)

    def relu(self):
        return Dual(max(self.val, 0.0), self.dot if self.val > 0 else 0.0)

    def __repr__(self) -> str:
        return f"Dual({self.val:.6g}, dot={self.dot:.6g})"


def forward_derivative(f: Callable, x):
    """f'(x) by forward mode: one pass per input direction.

    x a number: f takes one Dual, returns f'(x). x a 1-D array: f takes a list of Duals; d passes, seed e_i each.
    """
    if np.ndim(x) == 0:
        return float(f(Dual(float(x), 1.0)).dot)
    x = np.asarray(x, dtype=float)
    g = np.zeros(x.size)
    for i in range(x.size):
        g[i] = f([Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(x)]).dot
    return g


# --------------------------------------------------------------------------------------------------------------
# Reverse mode: a scalar engine that records the graph (a micrograd-style tape)
# --------------------------------------------------------------------------------------------------------------


class Scalar:
    """A scalar node of a computational graph: value `data`, gradient `grad` (∂output/∂self after backward()).

    Each operation creates a node that remembers its parents and the local derivatives ∂node/∂parent.
    `backward()` visits nodes in reverse topological order and accumulates grad·local into each parent
    (gradients are zeroed first, so calling it again gives the same answer; torch instead accumulates).
    """

    __slots__ = ("data", "grad", "_parents", "op", "label")

    def __init__(self, data, label: str = "", _parents: tuple = (), op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents  # tuple of (parent, local derivative)
        self.op = op
        self.label = label

    # ----- arithmetic ---------------------------------------------------------------------------------------
    @staticmethod
    def lift(o) -> "Scalar":
        return o if isinstance(o, Scalar) else Scalar(o, label=f"{float(o):.4g}", op="const")

    def __add__(self, o):
        o = Scalar.lift(o)
        return Scalar(self.data + o.data, "", ((self, 1.0), (o, 1.0)), "+")

    __radd__ = __add__

    def __mul__(self, o):
        o = Scalar.lift(o)
        return Scalar(self.data * o.data, "", ((self, o.data), (o, self.data)), "*")

    __rmul__ = __mul__

    def __neg__(self):
        return Scalar(-self.data, "", ((self, -1.0),), "neg")

    def __sub__(self, o):
        o = Scalar.lift(o)
        return Scalar(self.data - o.data, "", ((self, 1.0), (o, -1.0)), "−")

    def __rsub__(self, o):
        return Scalar.lift(o) - self

    def __truediv__(self, o):
        o = Scalar.lift(o)
        return Scalar(self.data / o.data, "", ((self, 1.0 / o.data), (o, -self.data / o.data ** 2)), "/")

    def __rtruediv__(self, o):
        return Scalar.lift(o) / self

    def __pow__(self, p):
        p = float(p)
        return Scalar(self.data ** p, "", ((self, p * self.data ** (p - 1)),), f"^{p:g}")

    def exp(self):
        e = math.exp(self.data)
        return Scalar(e, "", ((self, e),), "exp")

    def log(self):
        return Scalar(math.log(self.data), "", ((self, 1.0 / self.data),), "log")

    def sin(self):
        return Scalar(math.sin(self.data), "", ((self, math.cos(self.data)),), "sin")

    def cos(self):
        return Scalar(math.cos(self.data), "", ((self, -math.sin(self.data)),), "cos")

    def tanh(self):
        t = math.tanh(self.data)
        return Scalar(t, "", ((self, 1.0 - t * t),), "tanh")

    def relu(self):
        return Scalar(max(self.data, 0.0), "", ((self, 1.0 if self.data > 0 else 0.0),), "relu")

    # ----- reverse pass -------------------------------------------------------------------------------------
    def topo(self) -> list["Scalar"]:
        """Every node this one depends on, parents before children (iterative DFS: no recursion limit)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p, _ in node._parents:
                if id(p) not in seen:
                    stack.append((p, False))
        return order

    def backward(self) -> None:
        order = self.topo()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node._parents:
                parent.grad += node.grad * local

    def __repr__(self) -> str:
        return f"Scalar(data={self.data:.6g}, grad={self.grad:.6g}{', ' + self.label if self.label else ''})"


def graph_of(out: Scalar) -> dict:
    """Nodes and edges of the graph that produced `out`, for drawing (ids are positions in topological order)."""
    order = out.topo()
    index = {id(n): i for i, n in enumerate(order)}
    nodes = [{"id": i, "label": n.label or n.op or "x", "op": n.op, "data": n.data, "grad": n.grad,
              "leaf": not n._parents} for i, n in enumerate(order)]
    edges = [(index[id(p)], index[id(n)], local) for n in order for p, local in n._parents]
    return {"nodes": nodes, "edges": edges, "output": index[id(out)]}


def layered_layout(graph: dict) -> dict[int, tuple[float, float]]:
    """x = longest path from a leaf (depth), y spread evenly within a depth: a readable left-to-right layout."""
    depth: dict[int, int] = {}
    parents: dict[int, list[int]] = {n["id"]: [] for n in graph["nodes"]}
    for a, b, _ in graph["edges"]:
        parents[b].append(a)
    for n in graph["nodes"]:  # topological order already
        depth[n["id"]] = 0 if not parents[n["id"]] else 1 + max(depth[p] for p in parents[n["id"]])
    columns: dict[int, list[int]] = {}
    for i, d in depth.items():
        columns.setdefault(d, []).append(i)
    pos = {}
    for d, ids in columns.items():
        for k, i in enumerate(ids):
            pos[i] = (float(d), (len(ids) - 1) / 2.0 - k)
    return pos


def draw_graph(graph: dict, ax=None, show_grad: bool = True, title: str | None = None):
    """Draw a computational graph: one box per node with its value (and gradient after backward())."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    pos = layered_layout(graph)
    for a, b, local in graph["edges"]:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1 - 0.18, y1), xytext=(x0 + 0.18, y0),
                    arrowprops=dict(arrowstyle="->", color="0.5", lw=1))
        if show_grad:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.08, f"∂={local:.3g}", fontsize=6, color="tab:purple",
                    ha="center")
    for n in graph["nodes"]:
        x, y = pos[n["id"]]
        color = "#cfe8ff" if n["leaf"] and n["op"] != "const" else ("#eeeeee" if n["op"] == "const" else "#ffe9c7")
        if n["id"] == graph["output"]:
            color = "#c8f0c8"
        text = n["label"] if n["op"] == "const" else f"{n['label']}\n{n['data']:.3g}"
        if show_grad and n["op"] != "const":
            text += f"\ng={n['grad']:.3g}"
        ax.text(x, y, text, ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.3", fc=color, ec="0.4"))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


# --------------------------------------------------------------------------------------------------------------
# Example expressions shared by the lecture and the widgets (they work with Scalar, Dual or torch tensors)
# --------------------------------------------------------------------------------------------------------------


EXAMPLES: dict[str, dict] = {
    "slides: 5·x1 + sin(x2 + π)": {
        "inputs": ("x1", "x2"),
        "f": lambda x1, x2: 5 * x1 + (x2 + math.pi).sin(),
        "grad": lambda x1, x2: (5.0, math.cos(x2 + math.pi)),
    },
    "neuron: tanh(w·x + b)": {
        "inputs": ("x", "w", "b"),
        "f": lambda x, w, b: (w * x + b).tanh(),
        "grad": lambda x, w, b: tuple(np.array([w, x, 1.0]) * (1 - math.tanh(w * x + b) ** 2)),
    },
    "shared: a = x·y; a² + eᵃ": {
        "inputs": ("x", "y"),
        "f": lambda x, y: (lambda a: a * a + a.exp())(x * y),
        "grad": lambda x, y: ((2 * x * y + math.exp(x * y)) * y, (2 * x * y + math.exp(x * y)) * x),
    },
    "log-sum-exp: log(eˣ + eʸ)": {
        "inputs": ("x", "y"),
        "f": lambda x, y: (x.exp() + y.exp()).log(),
        "grad": lambda x, y: (1 / (1 + math.exp(y - x)), 1 / (1 + math.exp(x - y))),
    },
}


def build_example(name: str, values: Iterable[float]) -> tuple[Scalar, list[Scalar]]:
    """Build EXAMPLES[name] on Scalar leaves labelled with the input names; returns (output, leaves)."""
    ex = EXAMPLES[name]
    leaves = [Scalar(v, label=lab) for lab, v in zip(ex["inputs"], values)]
    return ex["f"](*leaves), leaves
