"""Issue 25's smaller export items, one by one: six significant figures, a status column every time, histogram bins on
point boundaries, blank work counted apart in the failure kinds, the superseded table after an override, the
review sheet's outputs."""

from __future__ import annotations

import csv

from autograder.exports.feedback import feedback_markdown
from autograder.exports.grades import fmt, write_grades
from autograder.exports.stats import failure_kinds, histogram
from autograder.model import CaseResult, ExerciseResult, Row, SubmissionResult
from autograder.release.manual import find_answer, manual_items
from autograder.review.manual import write_review
from course_lib.grading.homework import load_homework

HW07 = load_homework("hw07")


def _row(student: str, points: dict[str, float], messages: dict[str, str] | None = None) -> Row:
    exs = []
    for e in HW07.exercises:
        got = points.get(e.name, float(e.points))
        msg = (messages or {}).get(e.name, "")
        cases = [CaseResult(0, False, got >= e.points, "" if got >= e.points else msg, kind="exception")]
        exs.append(ExerciseResult(e.name, got, float(e.points), cases))
    return Row(SubmissionResult(student, HW07.name, exs), graded_at=1.0)


def test_numbers_keep_six_significant_figures():
    assert (fmt(8.590909), fmt(11.7), fmt(12.5), fmt(1 / 3)) == ("8.59091", "11.7", "12.5", "0.333333")


def test_grades_csv_always_has_its_status_column(tmp_path):
    write_grades(HW07, [_row("ada", {})], tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["status"] == "graded" and row["total"] == "11"


def test_histogram_keeps_10_and_11_apart_on_an_11_point_homework():
    bins = histogram([11, 10, 10.5, 0, 3.2], 11)
    assert [(b["from"], b["to"]) for b in bins][-3:] == [(9, 10), (10, 11), (11, 11)]
    assert [b["count"] for b in bins][-2:] == [2, 1] and bins[0]["count"] == 1 and bins[3]["count"] == 1
    assert sum(b["count"] for b in histogram([12.5, 12, 6], 12.5)) == 3
    assert histogram([12.5], 12.5)[-1] == {"from": 12.5, "to": 12.5, "count": 1}


def test_blank_work_is_counted_apart_from_mistakes():
    stub = {e.name: 0.0 for e in HW07.exercises}
    blank = _row("blank", stub, {e.name: "NotImplementedError: hw07.x: your code here" for e in HW07.exercises})
    wrong = _row("wrong", {"conv2d_backward": 0.0}, {"conv2d_backward": "values differ"})
    kinds = failure_kinds([blank, wrong])
    assert kinds == {"exception": 1, "not attempted": len(HW07.exercises)}
    assert list(kinds)[-1] == "not attempted"


def test_an_override_supersedes_the_table_and_the_raw_total():
    row = _row("ada", {"conv2d_backward": 0.0})
    row.late_days, row.penalty, row.override_total = 2, 0.2, 10.0
    md = feedback_markdown(HW07, row.result, "namespaces", row)
    assert "**Score: 10 / 11**" in md and "Total set by the instructor: 10 / 11" in md
    assert "points (superseded)" in md and "raw 8" not in md and "late 2 days" not in md


def test_the_review_sheet_shows_the_estimates_output(tmp_path):
    hw = load_homework("hw09")
    (item,) = manual_items(hw)
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"manual": {"name": "own_estimate", "points": 2}},
                     "source": "## Your own estimate (graded by hand, 2 points)"},
                    {"cell_type": "code", "metadata": {}, "source": "print(6 * 1e9 * 20e9)", "execution_count": 1,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "1.2e+20\n"}]},
                    {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None},
                    {"cell_type": "markdown", "metadata": {}, "source": "the MFU is the most uncertain"}]}
    answer = find_answer(nb, item)
    assert answer.found == "metadata" and answer.outputs == ["1.2e+20", "", ""]
    page, _ = write_review(hw, [item], {"ada": {item.name: answer}}, {}, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "1.2e+20" in text and "no output saved" in text and "the MFU is the most uncertain" in text
