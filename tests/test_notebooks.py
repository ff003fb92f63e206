"""Execute every lecture and solution notebook in quick mode: no error output, within the 60 s budget.

Each notebook is executed once per test run (the `quick_run` fixture, tests/conftest.py) and kept in build/quick-mode/;
tests that need a lecture's outputs (tests/test_browser.py) use that same run. No retry: a stalled or slow notebook
fails here.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

BUDGET_S = 60.0
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))

pytestmark = pytest.mark.serial  # the budget is wall-clock time: measured without other tests beside it


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, quick_run):
    run = quick_run(path)
    assert not run.error, f"{path.name} stopped: {run.error}"
    assert not run.errors, run.errors
    assert run.seconds < BUDGET_S, f"{path.name} took {run.seconds:.1f} s in quick mode (budget {BUDGET_S:.0f} s)"


def test_every_lecture_topic_has_a_notebook():
    assert (ROOT / "notebooks" / "00_setup_check.ipynb").exists()
    assert NOTEBOOKS, "no notebooks found"
