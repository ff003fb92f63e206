"""Which cells the browser test runs (browserutil.needed_cells): the demos and what they read, no more and no less.
Headless: source analysis only (tests/test_browser.py runs the result in JupyterLab)."""

from __future__ import annotations

import json

import nbformat
from browserutil import WIDGET_VIEW, needed_cells, widget_cells
from conftest import LECTURES

SETUP = "import course_lib"


def test_a_demo_gets_the_setup_cell_and_the_cells_that_define_what_it_reads():
    cells = [SETUP, "import numpy as np\nseed = 3", "unused = 1", "data = np.arange(seed)", "plot(data)",
             "from course_lib.widgets.x import demo\n\ndemo(data)"]
    assert needed_cells(cells, [5]) == [0, 1, 3, 5]
    assert needed_cells(cells, []) == []


def test_names_bound_inside_a_cell_are_its_own_and_reassignments_read_the_old_value():
    cells = [SETUP, "s = 'old'", "x = 1", "for s in range(3):\n    total = s", "x = x + 1\nshow(x, total)"]
    # the loop reads no earlier `s` (its target is its own); `x = x + 1` reads the x of cell 2
    assert needed_cells(cells, [4]) == [0, 2, 3, 4]
    cells = [SETUP, "s = 'old'", "k = 5", "show([k for k in s])"]
    assert needed_cells(cells, [3]) == [0, 1, 3]  # a comprehension's variable is its own; what it loops over is not
    cells = [SETUP, "x = 1", "def f(x):\n    return x + y", "y = 2", "f(0)"]
    assert needed_cells(cells, [4]) == [0, 2, 3, 4]  # a function's parameter is not a global read; its free `y` is
    cells = [SETUP, "n = 0", "n += 1", "show(n)"]
    assert needed_cells(cells, [3]) == [0, 1, 2, 3]  # an augmented assignment reads the earlier value


def test_a_cell_that_cannot_be_analysed_always_runs():
    cells = [SETUP, "from numpy import *", "def broken(:", "x = 1", "show(x)"]
    assert needed_cells(cells, [4]) == [0, 1, 2, 3, 4]


def test_widget_cells_are_those_whose_run_displayed_a_widget():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("a = 1", outputs=[nbformat.v4.new_output("stream", text="x\n")]),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("demo()", outputs=[nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": "m", "version_major": 2, "version_minor": 0},
                                  "text/plain": "demo"})])])
    assert widget_cells(nb) == [1]  # indexes among the code cells


def test_lecture_08s_demos_get_the_trained_models_they_show():
    """The lecture whose demos need earlier results: the memory experiment and the character model."""
    path = next(p for p in LECTURES if p.name.startswith("08_"))
    sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    demos = [i for i, s in enumerate(sources) if "gradient_flow_demo(" in s or "text_sampler_demo(" in s]
    run = needed_cells(sources, demos)
    for name in ("mem = ", "sampler = ", "vocab = ", "prime = ", "DEVICE = "):
        definer = next(i for i, s in enumerate(sources) if name in s)
        assert definer in run, (name, definer, run)
    assert len(run) < len(sources)
