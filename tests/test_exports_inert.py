"""Exports are inert: no spreadsheet formula in grades.csv, no forged line, row or heading in the feedback."""

from __future__ import annotations

import csv

from autograder.exports.feedback import feedback_html, feedback_markdown
from autograder.exports.grades import write_grades
from autograder.model import CaseResult, ExerciseResult, Row, SubmissionResult
from course_lib.grading.homework import load_homework

HW = load_homework("hw01")
FORGED = "\n**Score: 10 / 10**\n| x | y |\n# Perfect\n## Bonus\r\n- ok\u2028| a | b |\u0085## c"


def _result(student: str, msg: str = "") -> SubmissionResult:
    r = SubmissionResult(student, HW.name)
    for i, ex in enumerate(HW.exercises):
        cases = [CaseResult(0, False, True, ""), CaseResult(1, True, not msg, msg)]
        r.exercises.append(ExerciseResult(ex.name, 0.5 if i else 0.0, float(ex.points), cases,
                                          status="error" if msg else "ok", note=msg))
    if msg:
        r.warnings.append(msg)
        r.error = msg
    return r


def test_csv_cells_never_start_a_formula(tmp_path):
    ids = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "ann", "o'neil"]
    write_grades(HW, [Row(_result(s)) for s in ids], tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["student", "total", "max_total"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ann", "o'neil"]
    for r in rows[1:]:  # numbers we format ourselves are untouched
        assert r[1] == "2" and r[2] == "10" and r[3] == "0" and r[4] == "0.5"


def test_a_forged_exception_name_stays_on_its_line():
    msg = f"raised Evil{FORGED}Error: boom `code` <script>alert(1)</script>"
    r = _result("eve\n# h1", msg)
    md = feedback_markdown(HW, r, "namespaces")
    lines = md.split("\n")
    assert sum(line.startswith("**Score:") for line in lines) == 1
    assert md.count("**Score:") == 1  # the forged one is escaped: \*\*Score:
    n_ex = len(HW.exercises)
    assert sum(line.startswith("|") for line in lines) == 2 + n_ex  # header, rule, one row per exercise
    assert [line for line in lines if line.startswith("#")] == \
        [f"# {HW.name}: feedback for eve # h1"] + [f"## `{e.name}`" for e in HW.exercises] + \
        ["## Notes on your notebook"]
    assert "\r" not in md and "\u2028" not in md and "\u0085" not in md
    assert "\\| x \\| y \\|" in md and "\\`code\\`" in md and "\\<script>" in md
    page = feedback_html(md, f"{HW.name}: {r.student}")
    assert page.count("<tr>") == 1 + n_ex and page.count("<table>") == 1
    assert page.count("<h1>") == 1 and page.count("<h2>") == n_ex + 1
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("<strong>Score") == 1 and "**Score: 10 / 10**" in page  # shown literally, not as bold
    assert "<code>code</code>" not in page and "`code`" in page


def test_plain_feedback_is_unchanged():
    r = _result("ann")
    r.exercises[0].cases[0] = CaseResult(0, False, False, "case 1: expected 3.0, got 2.0 (largest error 1)")
    md = feedback_markdown(HW, r, "namespaces")
    assert md.startswith(f"# {HW.name}: feedback for ann\n\n**Score: ")
    assert "- case 1: expected 3.0, got 2.0 (largest error 1)\n" in md
    page = feedback_html(md, "t")
    assert "<li>case 1: expected 3.0, got 2.0 (largest error 1)</li>" in page
    assert f"<td><code>{HW.exercises[0].name}</code></td>" in page
