"""Picking the notebook (issue 25 item 1): in a folder with several notebooks the one named after the homework
wins, then the one that defines the most graded functions; JupyterLab's `-Copy1` and an `Untitled.ipynb` never
win; the choice is reported on the terminal, in collect.txt, in the run's summary line and in the student's
feedback, listing the others; the Gradescope autograder uses the same function."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.grade.choice import choose_notebook
from autograder.grade.collect import collect_with_report
from autograder.interop.gradescope import find_submission
from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.cli import main
from course_lib.grading.homework import load_homework

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
HW = load_homework("hw01")
NAMES = [e.name for e in HW.exercises]


def put(folder: Path, name: str, sample: str = "correct") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if sample == "untitled":  # a scratch notebook: no graded function
        path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "import numpy as np",
                                               "outputs": [], "execution_count": None}], "metadata": {},
                                    "nbformat": 4, "nbformat_minor": 5}))
    else:
        shutil.copy(SAMPLES / f"{sample}.ipynb", path)
    return path


def the_class(subs: Path) -> dict[str, str]:
    """Folders as students hand them in; what must be graded in each."""
    put(subs, "ann/hw01_gradient_descent-Copy1.ipynb", "partial")  # before: graded (first by name): 5 instead of 10
    put(subs, "ann/hw01_gradient_descent.ipynb")
    put(subs, "ben/Untitled.ipynb", "untitled")  # before: graded (first by name): 0 instead of 10
    put(subs, "ben/my_work.ipynb")
    put(subs, "cat/HW01.ipynb")  # the short name, any case
    put(subs, "cat/a_scratch.ipynb", "partial")
    put(subs, "dan/notes/extra.ipynb", "untitled")
    put(subs, "dan/solution_attempt.ipynb")
    put(subs, "eve.ipynb")  # one notebook: no note
    return {"ann": "ann/hw01_gradient_descent.ipynb", "ben": "ben/my_work.ipynb", "cat": "cat/HW01.ipynb",
            "dan": "dan/solution_attempt.ipynb", "eve": "eve.ipynb"}


def test_collect_chooses_by_name_then_graded_functions(tmp_path):
    subs = tmp_path / "subs"
    want = the_class(subs)
    c = collect_with_report(subs, HW.name, NAMES)
    got = {s.student: s.path.relative_to(subs).as_posix() for s in c.submissions}
    assert got == want
    by = {s.student: s for s in c.submissions}
    assert by["ann"].problem == ("2 notebooks; graded ann/hw01_gradient_descent.ipynb (named after the homework); "
                                 "not graded: ann/hw01_gradient_descent-Copy1.ipynb")
    assert by["ben"].problem == ("2 notebooks; graded ben/my_work.ipynb (defines the most graded functions (5 of 5));"
                                 " not graded: ben/Untitled.ipynb")
    assert by["eve"].problem == ""
    assert c.choices == [f"{s}: {by[s].problem}" for s in ("ann", "ben", "cat", "dan")]
    assert all(line in c.report_lines() for line in c.choices)


def test_the_gradescope_autograder_uses_the_same_rule(tmp_path):
    subs = tmp_path / "subs"
    want = the_class(subs)
    for student, rel in want.items():
        folder = subs / student
        if not folder.is_dir():
            continue
        path, note = find_submission(folder, HW)
        assert path == subs / rel, student
        same = next(s.problem for s in collect_with_report(subs, HW.name, NAMES).submissions if s.student == student)
        assert note == same.replace(f"{student}/", "")  # paths inside the upload folder


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_link_named_after_the_homework_is_never_chosen(tmp_path):
    """Gradescope's upload folder: a link to a file outside (named after the homework) is not followed."""
    outside = put(tmp_path, "outside.ipynb")
    folder = tmp_path / "submission"
    put(folder, "my_work.ipynb", "partial")
    os.symlink(outside, folder / "hw01_gradient_descent.ipynb")
    assert find_submission(folder, HW) == (folder / "my_work.ipynb", "")


def test_the_rule_in_order(tmp_path):
    copy1 = put(tmp_path, "hw01_gradient_descent-Copy1.ipynb")
    named = put(tmp_path, "hw01_gradient_descent.ipynb", "blank")  # the template: still named after the homework
    assert choose_notebook([copy1, named], HW.name, NAMES).path == named
    untitled, partial = put(tmp_path, "Untitled.ipynb", "untitled"), put(tmp_path, "b.ipynb", "partial")
    assert choose_notebook([untitled, partial], HW.name, NAMES).path == partial
    broken = tmp_path / "a.ipynb"
    broken.write_text("{not json")
    scratch = put(tmp_path, "b_scratch.ipynb", "untitled")
    assert choose_notebook([broken, scratch], HW.name, NAMES).path == scratch  # unreadable comes last
    tie = choose_notebook([put(tmp_path, "z.ipynb"), put(tmp_path, "hw01_v2.ipynb"), put(tmp_path, "c.ipynb")],
                          HW.name, NAMES)
    assert tie.path.name == "hw01_v2.ipynb" and tie.why == "ties broken by name"  # the homework's prefix first


def test_course_grade_reports_the_choices(tmp_path, capsys):
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")
    subs, out = tmp_path / "subs", tmp_path / "out"
    the_class(subs)
    assert main(["grade", "hw01", str(subs), "--out", str(out), "--workers", "2", "--hidden-seed", "pick"]) == 0
    captured = capsys.readouterr()
    with open(out / "grades.csv", newline="") as f:
        assert {r["student"]: r["total"] for r in csv.DictReader(f)} == {s: "10" for s in
                                                                         ("ann", "ben", "cat", "dan", "eve")}
    assert "4 handed in several notebooks (one graded each, see collect.txt)" in captured.out
    text = (out / "collect.txt").read_text()
    for student in ("ann", "ben", "cat", "dan"):
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{student}: "))
        assert f"  {line}" in captured.err
    assert "not graded: ann/hw01_gradient_descent-Copy1.ipynb" in (out / "feedback" / "ann.md").read_text()
