"""Full mode (`make full`, tools/full_mode.py): the report writer on a tiny notebook with one passing and one failing
claim, lecture 02 in full mode under nbclient with many threads (it once stalled for a whole cell timeout after
`momentum_demo()` and failed with a bare AssertionError on a 16-core GPU machine), and asserts with messages."""

from __future__ import annotations

import ast
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, TOOLS
from conftest import code_notebook as _notebook

sys.path.insert(0, str(TOOLS))
import full_mode  # noqa: E402

MY_LECTURES = sorted((ROOT / "notebooks").glob("0[0-5]_*.ipynb"))
SETUP = "from course_lib.claims import claim"


@pytest.mark.slow
def test_report_lists_every_claim_and_fails_when_one_fails(tmp_path):
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    _notebook(lectures / "01_tiny.ipynb", SETUP,
              'claim("the passing claim", [1.0, 2.0, 3.0], ">", 1.0, unit="nats")',
              'claim("the failing claim", 0.25, ">=", 0.5)')
    _notebook(lectures / "02_broken.ipynb", SETUP, 'claim("made before the error", 1.0, "<", 2.0)',
              'raise RuntimeError("boom")')
    out = tmp_path / "report" / "full-mode.md"
    status = full_mode.main(["--notebooks", str(lectures), "--out", str(out)])
    assert status == 1
    md = out.read_text(encoding="utf-8")
    assert "the passing claim" in md and "the failing claim" in md and "made before the error" in md
    assert "| 2 ± 1 (n = 3) nats | > 1 nats | held |" in md
    assert "| 0.25 | >= 0.5 | **FAILED** |" in md
    assert "**FAIL**" in md and "RuntimeError" in md
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["summary"] == {**data["summary"], "lectures": 2, "claims": 3, "held": 2, "failed": 1, "errors": 1}
    tiny = data["lectures"][0]
    assert tiny["lecture"] == "01_tiny" and tiny["error"] == "" and tiny["device"]
    assert [c["held"] for c in tiny["claims"]] == [True, False]
    assert all(c["mode"] == "full" and c["lecture"] == "01_tiny" for c in tiny["claims"])
    assert (out.parent / "full-mode" / "01_tiny.ipynb").exists()  # executed notebooks for the site

    # only the passing lecture: exit status 0
    ok = tmp_path / "ok"
    ok.mkdir()
    _notebook(ok / "03_fine.ipynb", SETUP, 'claim("fine", 1.0, ">", 0.0)')
    assert full_mode.main(["--notebooks", str(ok), "--out", str(tmp_path / "ok-report")]) == 0
    assert "**PASS**" in (tmp_path / "ok-report" / "full-mode.md").read_text(encoding="utf-8")


def test_only_selects_by_number_or_name():
    paths = [Path("00_setup_check.ipynb"), Path("01_gradient_descent.ipynb"), Path("02_momentum_and_adaptive.ipynb")]
    assert full_mode.select(paths, "01, 02") == paths[1:]
    assert full_mode.select(paths, "00_setup_check") == paths[:1]
    assert full_mode.select(paths, "") == paths
    with pytest.raises(SystemExit):
        full_mode.select(paths, "42")


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.serial  # asserts on wall-clock time
def test_lecture_02_full_mode_with_many_threads(tmp_path, monkeypatch):
    """16 BLAS/OpenMP/torch threads (as on a 16-core machine), full mode, nbclient: no error, every claim holds, no
    cell waits out a timeout (the stall came from nbclient's Output-widget echo, see tools/run_notebook.py)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, "16")  # torch reads OMP_NUM_THREADS for its intra-op pool
    t0 = time.perf_counter()
    record = full_mode.run_lecture(ROOT / "notebooks" / "02_momentum_and_adaptive.ipynb", tmp_path, timeout=120)
    wall = time.perf_counter() - t0
    assert record["error"] == "", record["error"]
    failed = [c["text"] for c in record["claims"] if c["held"] is not True]
    assert not failed, f"claims that did not hold in full mode: {failed}"
    assert len(record["claims"]) >= 15, "lecture 02's claims were not recorded"
    assert wall < 240, f"lecture 02 took {wall:.0f} s in full mode with 16 threads (budget 240 s)"
    nb = nbformat.read(str(tmp_path / "02_momentum_and_adaptive.ipynb"), as_version=4)
    stamps = [c.metadata["execution"] for c in nb.cells if c.cell_type == "code" and "execution" in c.metadata]
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    gaps = [(parse(b["iopub.execute_input"]) - parse(a["iopub.status.idle"])).total_seconds()
            for a, b in zip(stamps, stamps[1:])]
    assert max(gaps) < 20, f"the client waited {max(gaps):.0f} s between two cells (a stalled reply)"


@pytest.mark.parametrize("path", MY_LECTURES, ids=[p.name for p in MY_LECTURES])
def test_every_assert_a_student_can_hit_has_a_message(path):
    nb = nbformat.read(str(path), as_version=4)
    bare = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"cell {i + 1}, line {node.lineno}")
    assert not bare, f"{path.name}: asserts without a message (a lecture's claims use course_lib.claims.claim): {bare}"
