"""Linear trusted-side work (issue 24 item 4): a notebook above the documented size limits is refused with a
one-line note (score 0, the reason in the feedback, the class goes on); a 2 MB notebook is handled in seconds;
extraction is linear (no padding) and runs once per submission in `course grade` and in `course similarity`."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

import course_lib.grading.notebook as notebook
from autograder.cli.grade import GradeOptions, run_grade
from autograder.grade.homework import coded
from autograder.grade.reference import reference_chunks
from autograder.review import similarity
from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.grading.notebook import (
    MAX_CODE_CELLS,
    MAX_CODE_CHARS,
    MAX_CODE_LINES,
    NotebookError,
    extract,
    read_notebook,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
MB = 1024 * 1024


def code_cell(src: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}


def with_cells(sample: str, cells: list[dict], outputs: list | None = None) -> dict:
    nb = read_notebook(SAMPLES / f"{sample}.ipynb")
    nb["cells"] += cells
    if outputs:
        nb["cells"][-1]["outputs"] = outputs
    return nb


def huge_code_notebook() -> dict:
    """The correct notebook plus 2 MB of one-line definitions in one cell (about 60,000 lines)."""
    lines = [f"def helper_{i}(x): return x + {i}" for i in range(62_000)]
    nb = with_cells("correct", [code_cell("\n".join(lines))])
    assert len(json.dumps(nb)) > 2 * MB
    return nb


def big_output_notebook() -> dict:
    """The correct notebook with a 2 MB image output: outputs are not code and cost nothing."""
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * (2 * MB)}}
    return with_cells("correct", [code_cell("print('plot')")], [image])


def test_the_limits_are_far_above_real_notebooks():
    largest = max((read_notebook(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
                   + sorted((ROOT / "solutions").glob("*.ipynb"))),
                  key=lambda nb: sum(len(s) for _, s in notebook.code_cells(nb)))
    cells = notebook.code_cells(largest)
    assert 20 * len(cells) < MAX_CODE_CELLS
    assert 20 * sum(s.count("\n") + 1 for _, s in cells) < MAX_CODE_LINES
    assert 20 * sum(len(s) for _, s in cells) < MAX_CODE_CHARS


@pytest.mark.parametrize("cells, what, limit", [
    ([code_cell("x = 1")] * (MAX_CODE_CELLS + 1), f"{MAX_CODE_CELLS + 1:,} code cells", MAX_CODE_CELLS),
    ([code_cell("\n" * MAX_CODE_LINES)], f"{MAX_CODE_LINES + 1:,} lines of code", MAX_CODE_LINES),
    ([code_cell("# " + "x" * MAX_CODE_CHARS)], f"{MAX_CODE_CHARS + 2:,} characters of code", MAX_CODE_CHARS),
])
def test_above_a_limit_is_one_line_error(cells, what, limit):
    with pytest.raises(NotebookError) as err:
        extract({"cells": cells})
    assert str(err.value) == (f"the notebook is too large to grade: {what} (the limit is {limit:,}); keep demos "
                              "and data out of code cells")
    extract({"cells": cells[:MAX_CODE_CELLS]} if len(cells) > 1 else {"cells": [code_cell("x = 1")]})  # under: fine


def test_at_the_limits_extraction_is_linear():
    """MAX_CODE_LINES lines of definitions are kept whole, with no padding (before: each kept statement was
    padded with one blank line per preceding line of its cell: quadratic)."""
    n = MAX_CODE_LINES // 2
    src = "\n".join(f"def f{i}(x):\n    return x + {i}" for i in range(n))
    ex = extract({"cells": [code_cell(src)]})
    assert len(ex.names) == n and ex.names[-1] == f"f{n - 1}"
    assert sum(len(c[1]) for c in ex.chunks) <= len(src)
    assert ex.chunks[-1][2] == 2 * n - 1  # the line it starts on, for tracebacks


def test_a_2mb_notebook_is_refused_and_costs_only_its_student(tmp_path, monkeypatch):
    """Attacker first: a_huge (2 MB of code) scores 0 with the reason in its feedback; b_outputs (a 2 MB image
    output) and c_correct get 10 each; extraction runs once per submission (the wrong-homework guess reuses it)."""
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_huge.ipynb").write_text(json.dumps(huge_code_notebook()))
    (subs / "b_outputs.ipynb").write_text(json.dumps(big_output_notebook()))
    shutil.copy(SAMPLES / "correct.ipynb", subs / "c_correct.ipynb")
    calls = []
    real = notebook.extract
    monkeypatch.setattr(notebook, "extract", lambda nb: calls.append(1) or real(nb))
    reference_chunks.cache_clear()
    rep = run_grade(coded("hw01"), GradeOptions(subs, tmp_path / "out", workers=2, seed="size", progress=False))
    assert (rep.failed, rep.missing) == (0, [])
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        got = {r["student"]: r["total"] for r in csv.DictReader(f)}
    assert got == {"a_huge": "0", "b_outputs": "10", "c_correct": "10"}
    md = (tmp_path / "out" / "feedback" / "a_huge.md").read_text()
    assert "the notebook is too large to grade: 62," in md and f"(the limit is {MAX_CODE_LINES:,})" in md
    assert len(calls) == 3 + 1  # once per submission (grading only), and the reference once per run


def test_similarity_extracts_each_notebook_once_and_skips_a_huge_one(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_huge.ipynb").write_text(json.dumps(huge_code_notebook()))
    for name in ("b", "c"):
        shutil.copy(ROOT / "solutions" / "hw02_optimizers.ipynb", subs / f"{name}.ipynb")
    calls = []
    real = notebook.extract
    monkeypatch.setattr(notebook, "extract", lambda nb: calls.append(1) or real(nb))
    res = similarity.run(coded("hw02").homework, subs, tmp_path / "out")
    assert len(calls) == 3 + 2  # the three submissions and the two reference notebooks, once each
    assert any(n.startswith("a_huge: the notebook is too large to grade") and n.endswith("; not compared")
               for n in res.notes)
    assert (tmp_path / "out" / "similarity.html").exists()
