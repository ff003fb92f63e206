"""The Canvas and Moodle files of `course gradebook` import under the importers' own rules (tests/lms_rules.py, written
from Canvas's app/models/gradebook_importer.rb and Moodle's grade/import/csv/classes/load_data.php and
lib/csvlib.class.php; see that module's docstring), with the classes that broke them: a withdrawn student without an
email, students without Canvas's numeric id, a grader's id that is no LMS id, a student with no identifier at all."""

from __future__ import annotations

import pytest
from lms_rules import CanvasStudent, ImportAborted, MoodleUser, canvas_import, moodle_import

from autograder.exports.course import CourseTable, write_course
from autograder.exports.lms import moodle_identifier
from autograder.model import Status, Student
from autograder.records.roster import read_roster

HWS = ["hw04_backprop", "hw07_cnn", "hw09_compute"]
MAX = {"hw04_backprop": 12.5, "hw07_cnn": 11.0, "hw09_compute": 13.0}


def table(students: list[Student], scores: dict[str, tuple], canvas_ids: dict[str, str] | None = None,
          unknown: list[str] | None = None) -> CourseTable:
    sc = {(s, h): v for s, vals in scores.items() for h, v in zip(HWS, vals)}
    st = {k: Status.GRADED for k in sc}
    return CourseTable(HWS, MAX, students, sc, st, unknown or [], canvas_ids or {})


ROSTER = """student_id,name,email,section,sis_id,canvas_id,login,status
ada,"Lovelace, Ada",ada@uni.edu,A,S1,1001,alovelace,
bob,"Babbage, Bob",bob@uni.edu,A,S2,,bbabbage,active
cy,Cy Hopper,,B,S3,1003,chopper,withdrawn
dee,Dee Knuth,dee@uni.edu,B,S4,,dknuth,
"""
CANVAS_COURSE = [CanvasStudent(1001, "Lovelace, Ada", "S1", "alovelace"),
                 CanvasStudent(1002, "Babbage, Bob", "S2", "bbabbage"),
                 CanvasStudent(1004, "Dee Knuth", "S4", "dknuth"),
                 CanvasStudent(23456, "Zed Canvasname", "", "zcanvas")]
MOODLE_USERS = [MoodleUser(1, "ada@uni.edu", "S1", "alovelace"), MoodleUser(2, "bob@uni.edu", "S2", "bbabbage"),
                MoodleUser(3, "", "S3", "chopper"), MoodleUser(4, "dee@uni.edu", "S4", "dknuth"),
                MoodleUser(5, "zed@uni.edu", "", "zcanvas")]


@pytest.fixture
def roster(tmp_path) -> list[Student]:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return read_roster(path)


def test_roster_reads_canvas_id_login_and_status(roster, tmp_path):
    by = {s.student_id: s for s in roster}
    assert (by["ada"].canvas_id, by["ada"].login, by["ada"].status) == ("1001", "alovelace", "")
    assert by["cy"].status == Status.WITHDRAWN and by["bob"].status == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,status\nx,dropped\n", encoding="utf-8")
    with pytest.raises(ValueError, match="status 'dropped'"):
        read_roster(bad)
    bad.write_text("student_id,canvas_id\nx,abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="numeric"):
        read_roster(bad)


def test_canvas_file_imports_by_canvas_id_sis_id_and_login(roster, tmp_path):
    students = roster + [Student("23456"), Student("eve")]  # graded, not on the roster: a Canvas id; no id at all
    t = table(students, {"ada": (12.5, 11, 11.7), "bob": (10, 8.59091, None), "cy": (0, 0, 0), "dee": (2.5, 0, 13),
                         "23456": (6, 5.5, 0), "eve": (1, 1, 1)}, canvas_ids={"ada": "1001", "23456": "23456"},
              unknown=["23456", "eve"])
    path = tmp_path / "canvas.csv"
    notes = write_course(t, path, "canvas", {"hw04": "501"})
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "Student,ID,SIS User ID,SIS Login ID,Section,hw04 (501),hw07,hw09"
    got = canvas_import(text, CANVAS_COURSE, {501: "hw04", 502: "old"})
    assert got.assignments == [("hw04", 501), ("hw07", None), ("hw09", None)]  # hw04 updated, two new ones
    assert got.points_possible == {"hw04": 12.5, "hw07": 11.0, "hw09": 13.0}
    assert got.matched_by == {1001: "ID", 1002: "SIS User ID", 1004: "SIS User ID", 23456: "ID"}
    assert not got.unmatched
    assert got.grades[1001] == {"hw04": 12.5, "hw07": 11.0, "hw09": 11.7}
    assert got.grades[1002] == {"hw04": 10.0, "hw07": 8.59091, "hw09": None}  # no longer submitted: blank
    assert "cy" not in text and "Cy Hopper" not in text  # withdrawn: not in the file
    assert any("left out 1 row" in n and "eve" in n for n in notes), notes


def test_the_old_canvas_header_is_refused():
    """The layout before issue 25 (no SIS Login ID): Canvas's importer finds no Section where it looks for it."""
    old = "Student,ID,SIS User ID,Section,hw04\nPoints Possible,,,,12.5\n\"Lovelace, Ada\",ada,S1,A,12.5\n"
    with pytest.raises(ImportAborted, match="Invalid header"):
        canvas_import(old, CANVAS_COURSE, {})


@pytest.mark.parametrize("drop, expect", [
    ((), "email"),  # everyone exported has an email (cy, withdrawn, has none: not exported)
    (("email",), "idnumber"),
    (("email", "sis_id"), "username"),
])
def test_moodle_file_uses_the_identifier_every_row_has(roster, tmp_path, drop, expect):
    for s in roster:
        for f in drop:
            setattr(s, f, "")
    t = table(roster, {"ada": (12.5, 11, 11.7), "bob": (10, 8.5, None), "cy": (0, 0, 0), "dee": (2.5, 0, 13)})
    path = tmp_path / "moodle.csv"
    notes = write_course(t, path, "moodle")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"{expect},hw04,hw07,hw09"
    mapto = {"email": "useremail", "idnumber": "useridnumber", "username": "username"}[expect]
    got = moodle_import(text, MOODLE_USERS, expect, mapto)
    assert got == {1: {"hw04": 12.5, "hw07": 11.0, "hw09": 11.7}, 2: {"hw04": 10.0, "hw07": 8.5, "hw09": None},
                   4: {"hw04": 2.5, "hw07": 0.0, "hw09": 13.0}}
    assert not any("left out" in n for n in notes) and expect in notes[0]


def test_moodle_leaves_out_and_reports_a_row_without_the_identifier(roster, tmp_path):
    """fay has no email, dave (not on the roster) has no identifier at all: idnumber is the identifier most rows
    have (all but dave), dave's row is left out and named, and Moodle imports the rest. The file before issue 25
    switched to an `idnumber` column filled with course logins, which Moodle aborts on."""
    students = roster + [Student("dave"), Student("fay", "Fay", "", "C", "S6", login="fay")]
    t = table(students, {"ada": (1, 1, 1), "bob": (2, 2, 2), "cy": (0, 0, 0), "dee": (3, 3, 3), "dave": (4, 4, 4),
                         "fay": (5, 5, 5)}, unknown=["dave"])
    assert moodle_identifier([s for s in students if s.status != Status.WITHDRAWN]) == ("idnumber", "sis_id",
                                                                                         ["dave"])
    path = tmp_path / "moodle.csv"
    notes = write_course(t, path, "moodle")
    got = moodle_import(path.read_text(encoding="utf-8"), MOODLE_USERS + [MoodleUser(6, "", "S6", "fay")],
                        "idnumber", "useridnumber")
    assert sorted(got) == [1, 2, 4, 6] and got[6] == {"hw04": 5.0, "hw07": 5.0, "hw09": 5.0}
    assert any("left out 1 row(s)" in n and "dave" in n for n in notes), notes
    old = "idnumber,hw04\nada,1\n"  # what the old export wrote: a course login where Moodle expects the SIS id
    with pytest.raises(ImportAborted, match="usermappingerror"):
        moodle_import(old, MOODLE_USERS, "idnumber", "useridnumber")


def test_moodle_rules_refuse_what_moodle_refuses():
    users = [MoodleUser(1, "a@x", "S1", "a")]
    with pytest.raises(ImportAborted, match="csvweirdcolumns"):
        moodle_import("email,hw04\na@x,1,2\n", users, "email", "useremail")
    with pytest.raises(ImportAborted, match="badgrade"):
        moodle_import("email,hw04\na@x,ten\n", users, "email", "useremail")
    with pytest.raises(ImportAborted, match="gradevaluetoobig"):
        moodle_import("email,hw04\na@x,101\n", users, "email", "useremail")
    with pytest.raises(ImportAborted, match="usernotfound"):
        moodle_import("email,hw04\n,1\n", users, "email", "useremail")
    assert moodle_import("\ufeffemail,hw04\r\na@x,-\r\n", users, "email", "useremail") == {1: {"hw04": None}}


def test_no_identifier_at_all_is_one_clear_error(tmp_path):
    t = table([Student("x"), Student("y")], {"x": (1, 1, 1), "y": (2, 2, 2)})
    with pytest.raises(ValueError, match="email, sis_id or login"):
        write_course(t, tmp_path / "m.csv", "moodle")


def test_course_csv_keeps_withdrawn_students(roster, tmp_path):
    t = table(roster, {"ada": (1, 1, 1), "bob": (2, 2, 2), "cy": (3, 3, 3), "dee": (0, 0, 0)})
    write_course(t, tmp_path / "course.csv", "csv")
    lines = (tmp_path / "course.csv").read_text().splitlines()
    assert lines[0] == "student_id,name,email,hw04,hw07,hw09,total,max_total,status"
    assert lines[3] == "cy,Cy Hopper,,3,3,3,9,36.5,withdrawn"
