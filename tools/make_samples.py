"""Regenerate the sample class in autograder/samples/hw01/ (used by `make grade-demo` and the tests).

correct: the reference solution; partial: two classic mistakes; blank: the unfilled assignment;
broken: not a notebook at all; infinite_loop: a graded function that never returns plus a demo
cell that loops forever at top level.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "autograder" / "samples" / "hw01"

PARTIAL = {
    "mse_loss_grad": '''def mse_loss_grad(w, X, y):
    """Forgot the 1/n in the gradient (a classic)."""
    r = X @ w - y
    n = X.shape[0]
    return float(r @ r) / (2 * n), X.T @ r
''',
    "logistic_loss_grad": '''def logistic_loss_grad(beta, X, y):
    """Naive log(1 + e^z): overflows for large |z|."""
    z = X @ beta
    p = 1 / (1 + np.exp(-z))
    loss = float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
    return loss, X.T @ (p - y) / X.shape[0]
''',
}

LOOP = '''def ols_closed_form(X, y):
    while True:
        pass
'''


def _with_replacements(nb, replacements: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name, src in replacements.items():
            if f"def {name}(" in cell.source:
                cell.source = "import numpy as np\n\n" + src
    return nb


def main() -> None:
    """correct.ipynb and blank.ipynb are written (and checked for staleness) by `course release`; this script
    writes the other three, starting from the solution notebook."""
    OUT.mkdir(parents=True, exist_ok=True)
    solution = nbformat.read(str(ROOT / "solutions" / "hw01_gradient_descent.ipynb"), as_version=4)
    nbformat.write(_with_replacements(solution, PARTIAL), str(OUT / "partial.ipynb"))
    loop = _with_replacements(solution, {"ols_closed_form": LOOP})
    loop.cells.append(nbformat.v4.new_code_cell("while True:\n    pass  # a demo cell that never ends"))
    nbformat.write(loop, str(OUT / "infinite_loop.ipynb"))
    (OUT / "broken.ipynb").write_text('{"cells": [ {"cell_type": "code", "source": "def ols_closed_form(', "utf-8")
    print(f"wrote 3 sample submissions to {OUT} (correct and blank: `course release`)")


if __name__ == "__main__":
    main()
