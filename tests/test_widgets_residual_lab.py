"""The residual lab's slice title counts its local minima in good grammar ("1 local minimum", "2 local minima")."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.widgets.residual_lab import draw  # noqa: E402


@pytest.mark.parametrize("n, words", [(0, "0 local minima"), (1, "1 local minimum"), (2, "2 local minima")])
def test_slice_title_counts_minima(n, words):
    res = {"depth": 4, "skip": True, "norm": False, "grads_init": [1.0, 0.5], "loss": [2.3, 1.0],
           "diverged": False, "val_acc": 0.9, "alphas": np.linspace(-1, 1, 5), "slice": np.ones(5),
           "roughness": {"local_minima": n, "excess_variation": 0.0}}
    fig = draw(res)
    try:
        title = fig.axes[2].get_title()
        assert title.startswith(f"loss slice: {words},"), title
    finally:
        plt.close(fig)
