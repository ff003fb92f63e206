"""A semester, end to end, with the numbers worked out by hand: two homework (hw01, hw09), a roster (with a withdrawn
student), Canvas download names, a late submission with and without an extension, a manual score (the review sheet
shows the estimate's output), a regrade of one student, an override, and the course gradebook as CSV and as Canvas
and Moodle imports, read back with the importers' rules (tests/lms_rules.py)."""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ROOT, sample_class
from conftest import grades_by_student as by_student
from lms_rules import CanvasStudent, MoodleUser, canvas_import, moodle_import

from autograder.grade.collect import lms_id
from autograder.records.late import parse_rule, parse_time
from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.cli import main

HW09_SOLUTION = ROOT / "solutions" / "hw09_compute.ipynb"
RULE = "10%/day,cap=50%,grace=15min"


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def table(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def run(capsys, *argv: str) -> str:
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == 0, out.err + out.out
    return out.out + out.err


# -- the pieces, by hand ---------------------------------------------------------------------------------------

def test_penalty_rule_by_hand():
    rule = parse_rule(RULE)
    assert rule.penalty(14 * 60) == (0, 0.0)  # inside the grace
    assert rule.penalty(16 * 60) == (1, 0.1)  # a started day
    assert rule.penalty(24 * 3600) == (1, 0.1)
    assert rule.penalty(24 * 3600 + 1) == (2, 0.2)
    assert rule.penalty(30 * 86400) == (30, 0.5)  # capped
    assert parse_rule("25%/day").penalty(5 * 86400) == (5, 1.0)  # no cap given: down to zero
    assert parse_rule("2%/hour").penalty(90 * 60) == (2, 0.04)
    assert parse_time("2026-12-01T23:59").tzinfo is not None
    assert parse_time("2026-12-01T23:59+01:00").timestamp() == ts("2026-12-01T22:59")
    for bad in ("10%", "ten%/day", "10%/day,cap=150%", "10%/day,grace=soon", "10%/day,foo=1"):
        with pytest.raises(ValueError):
            parse_rule(bad)


def test_canvas_names():
    assert lms_id("lovelaceada_12345_900_hw01_gradient_descent.ipynb") == ("12345", 900)
    assert lms_id("babbagecharles_LATE_23456_901_hw01.ipynb") == ("23456", 901)
    assert lms_id("alice.ipynb") is None and lms_id("late_student.ipynb") is None


# -- the semester ----------------------------------------------------------------------------------------------

def test_a_semester(tmp_path, capsys, monkeypatch):
    if detect() != NAMESPACES:
        pytest.skip("needs Linux namespaces")
    monkeypatch.setenv("COURSE_HIDDEN_SEED", "semester-seed")
    out, db = tmp_path / "out", str(tmp_path / "out" / "gradebook.sqlite")
    roster = write(tmp_path / "roster.csv", 'student_id,name,email,section,sis_id,login,status\n'
                   '12345,"Lovelace, Ada",ada@uni.edu,A,S1,ada,\n23456,"Babbage, Charles",charles@uni.edu,A,S2,cb,\n'
                   '34567,"Hopper, Grace",grace@uni.edu,B,S3,gh,\n45678,"Withdrawn, Will",,B,S4,ww,withdrawn\n')

    # hw01, downloaded from Canvas: Ada on time (inside the grace), Charles 2 started days late (his older,
    # blank submission is refused until removed), dave is not on the roster, Grace submitted nothing, Will
    # (withdrawn) submitted the blank notebook before withdrawing.
    subs1 = sample_class(tmp_path / "hw01", {"lovelaceada_12345_900_hw01_gradient_descent": "correct",
                                             "babbagecharles_LATE_23456_901_hw01_gradient_descent": "correct",
                                             "babbagecharles_23456_800_hw01_gradient_descent": "blank",
                                             "dave": "blank", "willw_45678_902_hw01_gradient_descent": "blank"})
    times = write(tmp_path / "times.csv", "student,submitted_at\n12345,2026-12-02T00:10:00Z\n"
                  "23456,2026-12-03T10:00:00Z\ndave,2026-12-01T12:00:00Z\n")
    args = ["grade", "hw01", str(subs1), "--out", str(out / "hw01"), "--db", db, "--workers", "2",
            "--due", "2026-12-01T23:59", "--late-penalty", RULE, "--times", str(times), "--roster", str(roster)]
    # Canvas downloads the latest submission of each student only: two submission ids of one user id are
    # refused, naming both files, and nothing is graded (issue 24 item 2); without the older file it grades
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "'23456': 'babbagecharles_23456_800_hw01_gradient_descent.ipynb', 'babbagecharles_LATE_23456_901" in err
    (subs1 / "babbagecharles_23456_800_hw01_gradient_descent.ipynb").unlink()
    text = run(capsys, *args)
    # by hand: 12345 is 11 min late < 15 min grace -> 10; 23456 is 34 h late -> 2 started days -> 20% of 10 -> 8
    g1 = by_student(out / "hw01" / "grades.csv")
    assert set(g1) == {"12345", "23456", "34567", "45678", "dave"}
    assert g1["12345"]["status"] == "graded" and g1["45678"]["status"] == "withdrawn"  # kept, not counted
    assert (g1["12345"]["total"], g1["12345"]["late_days"], g1["12345"]["penalty"]) == ("10", "0", "0%")
    assert (g1["23456"]["total"], g1["23456"]["raw_total"], g1["23456"]["late_days"]) == ("8", "10", "2")
    assert g1["23456"]["penalty"] == "20%"
    assert g1["34567"]["status"] == "no submission" and g1["34567"]["total"] == "0"
    assert g1["dave"]["status"] == "graded (not on the roster)" and g1["dave"]["total"] == "0"
    assert "NOT ON THE ROSTER: 1 (dave)" in text
    assert "withdrawn: 1 (45678); not counted" in text
    assert sum(b["count"] for b in json.loads((out / "hw01" / "summary.json").read_text())["histogram"]) == 3
    fb = (out / "hw01" / "feedback" / "23456.md").read_text(encoding="utf-8")
    assert "**Score: 8 / 10**" in fb and "raw 10 / 10, late 2 days: −20% → 8 / 10" in fb
    gs = json.loads((out / "hw01" / "gradescope" / "23456" / "results.json").read_text())
    assert gs["score"] == 8 and "late 2 days" in gs["output"]
    assert not (out / "hw01" / "feedback" / "34567.md").exists()

    # hw09, submission times from the files: Ada 1 h late (no extension: 1 day, 10%), Charles a day and a half
    # late but with a 2-day extension (on time)
    subs9 = tmp_path / "hw09"
    subs9.mkdir()
    for name, when in (("ada_12345_950_hw09_compute.ipynb", "2026-12-09T01:00"),
                       ("charles_23456_951_hw09_compute.ipynb", "2026-12-10T12:00")):
        nb = json.loads(HW09_SOLUTION.read_text(encoding="utf-8"))
        estimate = next(c for c in nb["cells"] if c["cell_type"] == "code" and "my_model = {" in "".join(c["source"]))
        estimate["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [f"{name[:3]}: 1.20e+20 FLOPs\n"]}]
        write(subs9 / name, json.dumps(nb))
        os.utime(subs9 / name, (ts(when), ts(when)))
    ext = write(tmp_path / "ext.csv", "student,days\n23456,2\n")
    run(capsys, "grade", "hw09", str(subs9), "--out", str(out / "hw09"), "--db", db, "--workers", "2",
        "--due", "2026-12-08T23:59", "--late-penalty", RULE, "--extensions", str(ext))
    g9 = by_student(out / "hw09" / "grades.csv")
    auto = 11  # hw09's exercises: 2+2+1+1+2+2+1 points; the reference solution gets them all
    assert float(g9["12345"]["total"]) == pytest.approx(auto * 0.9) and g9["12345"]["late_days"] == "1"
    assert float(g9["23456"]["total"]) == auto and g9["23456"]["late_days"] == "0"
    assert g9["12345"]["max_total"] == "13" and g9["12345"]["own_estimate"] == ""  # 2 manual points to come

    # manual grading: the review sheet shows each answer; the instructor fills in the scores and merges them
    text = run(capsys, "review", "hw09", "--out", str(out / "hw09"), "--db", db)
    page = (out / "hw09" / "review.html").read_text(encoding="utf-8")
    assert page.count("my_model") >= 2 and "own_estimate" in page
    assert "ada: 1.20e+20 FLOPs" in page and "cha: 1.20e+20 FLOPs" in page  # the estimate's output, not only code
    sheet = table(out / "hw09" / "review.csv")
    assert sheet[0] == ["student", "item", "points_max", "score", "comment"]
    assert sorted(r[:4] for r in sheet[1:]) == [["12345", "own_estimate", "2", ""], ["23456", "own_estimate", "2", ""]]
    write(out / "hw09" / "review.csv", "student,item,points_max,score,comment\n12345,own_estimate,2,2,clear\n"
          "23456,own_estimate,2,1,which number is the most uncertain?\n")
    run(capsys, "review", "hw09", "--out", str(out / "hw09"), "--db", db, "--merge", str(out / "hw09" / "review.csv"))
    g9 = by_student(out / "hw09" / "grades.csv")
    # by hand: Ada (11 + 2) x 0.9 = 11.7; Charles 11 + 1 = 12
    assert float(g9["12345"]["total"]) == pytest.approx(11.7) and float(g9["12345"]["raw_total"]) == 13
    assert float(g9["23456"]["total"]) == 12 and g9["23456"]["own_estimate"] == "1"
    fb = (out / "hw09" / "feedback" / "23456.md").read_text(encoding="utf-8")
    assert "`own_estimate` (graded by hand) | 1 / 2 | which number is the most uncertain?" in fb
    summary = (out / "hw09" / "summary.md").read_text(encoding="utf-8")
    assert "own_estimate (manual)" in summary
    stats = json.loads((out / "hw09" / "summary.json").read_text())
    assert sum(b["count"] for b in stats["histogram"]) == 2 and stats["pass_rates"]["gru_flops"] == 1.0
    assert (out / "hw09" / "summary.html").exists() and (out / "hw09" / "stats" / "histogram.png").exists()

    # a regrade of one student: only Charles's hw01 row, nothing else; his late penalty stays
    run(capsys, "grade", "hw01", str(subs1), "--out", str(out / "hw01"), "--db", db, "--workers", "1",
        "--only", "23456")
    assert by_student(out / "hw01" / "grades.csv")["23456"]["total"] == "8"

    # the course gradebook
    run(capsys, "gradebook", "--out", str(out), "--to", str(tmp_path / "course.csv"))
    rows = table(tmp_path / "course.csv")
    assert rows[0] == ["student_id", "name", "email", "hw01", "hw09", "total", "max_total", "status"]
    got = {r[0]: r for r in rows[1:]}
    assert list(got) == ["12345", "23456", "34567", "45678", "dave"]  # roster order, then students not on it
    expect = {"12345": (10, 11.7, 21.7), "23456": (8, 12, 20), "34567": (0, 0, 0), "45678": (0, 0, 0),
              "dave": (0, 0, 0)}
    for sid, (h1, h9, total) in expect.items():
        assert [float(x) for x in got[sid][3:7]] == pytest.approx([h1, h9, total, 23]), sid
    assert got["12345"][1:3] == ["Lovelace, Ada", "ada@uni.edu"]
    assert (got["45678"][7], got["dave"][7], got["12345"][7]) == ("withdrawn", "not on the roster", "")

    # Canvas: Canvas's user ids come from the download names; Grace (no Canvas file) is matched by her SIS id;
    # Will (withdrawn) is not in the file; dave has no identifier Canvas knows: left out, and said so
    text = run(capsys, "gradebook", "--out", str(out), "--to", str(tmp_path / "canvas.csv"), "--format", "canvas",
               "--canvas-ids", "hw01=501")
    assert "left out 1 row(s)" in text and "dave" in text
    rows = table(tmp_path / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw01 (501)", "hw09"]
    assert rows[1][:5] == ["Points Possible", "", "", "", ""] and [float(x) for x in rows[1][5:]] == [10, 13]
    assert rows[2][:5] == ["Lovelace, Ada", "12345", "S1", "ada", "A"]
    course = [CanvasStudent(12345, "Lovelace, Ada", "S1", "ada"), CanvasStudent(23456, "Babbage, Charles", "S2", "cb"),
              CanvasStudent(34567 * 10, "Hopper, Grace", "S3", "gh")]
    imported = canvas_import((tmp_path / "canvas.csv").read_text(encoding="utf-8"), course, {501: "hw01"})
    assert imported.matched_by == {12345: "ID", 23456: "ID", 345670: "SIS User ID"} and not imported.unmatched
    assert imported.grades[12345] == pytest.approx({"hw01": 10, "hw09": 11.7})
    assert imported.grades[23456] == pytest.approx({"hw01": 8, "hw09": 12})
    assert imported.points_possible == {"hw01": 10, "hw09": 13}

    # Moodle: everyone in the file has an email (Will, withdrawn, has none and is not in it): the email column
    text = run(capsys, "gradebook", "--out", str(out), "--to", str(tmp_path / "moodle.csv"), "--format", "moodle")
    assert "identified by email" in text and "left out 1 row(s)" in text and "dave" in text
    users = [MoodleUser(1, "ada@uni.edu", "S1", "ada"), MoodleUser(2, "charles@uni.edu", "S2", "cb"),
             MoodleUser(3, "grace@uni.edu", "S3", "gh")]
    imported = moodle_import((tmp_path / "moodle.csv").read_text(encoding="utf-8"), users, "email", "useremail")
    assert imported == {1: pytest.approx({"hw01": 10, "hw09": 11.7}), 2: pytest.approx({"hw01": 8, "hw09": 12}),
                        3: {"hw01": 0, "hw09": 0}}

    record = run(capsys, "gradebook", "--out", str(out), "--student", "23456")
    assert "hw01_gradient_descent: 8 / 10" in record and "hw09_compute: 12 / 13" in record
    assert "late 2; penalty 20%" in record and "own_estimate (manual)" in record
    reasons = [line.split()[-1] for line in record.splitlines() if "->" in line]
    assert reasons.count("graded") == 2 and "--only" in reasons and "(own_estimate)" in reasons
    record = run(capsys, "gradebook", "--out", str(out), "--student", "dave")  # blank work: failed, never "ok"
    assert "ols_closed_form              0 / 2  failed" in record and " ok" not in record

    # an override: the feedback's total is the instructor's; the autograder's table is labelled superseded and
    # the late line (a raw total that no longer counts) is gone
    run(capsys, "gradebook", "--out", str(out), "--override", "hw01", "23456", "9.5", "--note", "oral exam")
    fb = (out / "hw01" / "feedback" / "23456.md").read_text(encoding="utf-8")
    assert "**Score: 9.5 / 10**" in fb and "Total set by the instructor: 9.5 / 10" in fb
    assert "points (superseded)" in fb and "raw 10 / 10" not in fb
