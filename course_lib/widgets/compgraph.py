"""Computational-graph view: build an example expression on the course's reverse-mode engine, then show the
graph with every node's value (forward pass) and gradient ∂y/∂node (backward pass), step by step.

    from course_lib.widgets.compgraph import compgraph_demo
    compgraph_demo()
"""

from __future__ import annotations

from course_lib.autodiff import EXAMPLES, build_example, graph_of


def compgraph(example: str = "slides: 5·x1 + sin(x2 + π)", a: float = 1.0, b: float = 0.5, c: float = 0.0,
              stage: str = "backward") -> dict:
    """Values (and, at stage 'backward', gradients) of every node of EXAMPLES[example] at inputs (a, b, c).

    Returns the drawable graph, the output value, the leaves' gradients and the exact gradient for comparison.
    """
    ex = EXAMPLES[example]
    values = [a, b, c][:len(ex["inputs"])]
    out, leaves = build_example(example, values)
    if stage == "backward":
        out.backward()
    g = graph_of(out)
    return {
        "graph": g, "stage": stage, "example": example, "inputs": dict(zip(ex["inputs"], values)),
        "value": out.data, "grads": {lf.label: lf.grad for lf in leaves},
        "exact_grads": dict(zip(ex["inputs"], ex["grad"](*values))),
    }


def draw_compgraph(r: dict):
    import matplotlib.pyplot as plt

    from course_lib.autodiff import draw_graph

    fig, ax = plt.subplots(figsize=(8, 3.6))
    shown = "values and gradients g = ∂y/∂node" if r["stage"] == "backward" else "values only (forward pass)"
    draw_graph(r["graph"], ax=ax, show_grad=r["stage"] == "backward",
               title=f"{r['example']}  —  y = {r['value']:.5g}; {shown}")
    if r["stage"] == "backward":
        txt = "  ".join(f"∂y/∂{k} = {v:.5g} (exact {r['exact_grads'][k]:.5g})" for k, v in r["grads"].items())
        fig.text(0.5, 0.02, txt, ha="center", fontsize=8)
    return fig


def compgraph_demo(example: str = "slides: 5·x1 + sin(x2 + π)"):
    """The widget: pick an expression and its inputs; toggle forward pass / backward pass."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    controls = {
        "example": w.Dropdown(options=list(EXAMPLES), value=example, description="y ="),
        "stage": w.ToggleButtons(options=["forward", "backward"], value="backward", description="pass"),
        "a": w.FloatSlider(value=1.0, min=-3, max=3, step=0.1, description="input 1", continuous_update=False),
        "b": w.FloatSlider(value=0.5, min=-3, max=3, step=0.1, description="input 2", continuous_update=False),
        "c": w.FloatSlider(value=0.0, min=-3, max=3, step=0.1, description="input 3", continuous_update=False),
    }
    return Demo(compgraph, draw_compgraph, controls, height="400px")
