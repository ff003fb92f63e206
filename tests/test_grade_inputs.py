"""The rest of issue 24 item 10: submission times from a trusted source (a warning when file times judge
lateness), control characters escaped wherever a name is printed, a malformed cell costs its own student only,
and one seed rule for every command (`course export --hidden-seed ""` fails before writing anything)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
needs_namespaces = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces")


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


@needs_namespaces
def test_back_dated_files_get_a_warning_and_trusted_times_decide(tmp_path, capsys):
    """A late student back-dates the file (and its name carries terminal escapes); an honest student is on time.
    Without --times: both 10, and a warning on stderr and in collect.txt (before: no warning). With the LMS's
    times the late student gets the penalty (9). The name is escaped in stderr, collect.txt, the feedback, the
    summary and `course gradebook --student` (before: the raw bytes reached the terminal)."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    late = subs / "dan\x1b[31m.ipynb"
    shutil.copy(SAMPLES / "correct.ipynb", late)
    os.utime(late, (ts("2026-12-01T12:00"), ts("2026-12-01T12:00")))  # back-dated: really 2026-12-02T20:00
    (subs / "fay").mkdir()
    shutil.copy(SAMPLES / "correct.ipynb", subs / "fay" / "hw01_gradient_descent.ipynb")
    shutil.copy(SAMPLES / "blank.ipynb", subs / "fay" / "Untitled\x07.ipynb")
    os.utime(subs / "fay" / "hw01_gradient_descent.ipynb", (ts("2026-12-01T10:00"), ts("2026-12-01T10:00")))
    args = ["grade", "hw01", str(subs), "--out", str(out), "--workers", "2", "--hidden-seed", "times",
            "--due", "2026-12-01T23:59", "--late-penalty", "10%/day"]
    assert main(args) == 0
    cap = capsys.readouterr()
    warning = ("2 submission time(s) come from file times (zip entry dates or modification times), which anyone who "
               "handles the files can set, and this homework has a due date: give the LMS's submission times with "
               "--times CSV")
    assert f"course grade: warning: {warning}" in cap.err
    text = (out / "collect.txt").read_text(encoding="utf-8")
    assert warning in text.splitlines()
    assert {k: v["total"] for k, v in grades(out).items()} == {"dan__31m": "10", "fay": "10"}
    printed = [cap.out, cap.err, text, (out / "summary.md").read_text(encoding="utf-8")]
    printed += [p.read_text(encoding="utf-8") for p in (out / "feedback").glob("*.md")]
    assert "fay/Untitled\\x07.ipynb" in text and "fay/Untitled\\x07.ipynb" in cap.err
    assert main(["gradebook", "--out", str(out), "--student", "dan__31m"]) == 0
    record = capsys.readouterr().out
    assert "source dan\\x1b[31m.ipynb" in record
    for shown_text in printed + [record]:
        assert "\x1b" not in shown_text and "\x07" not in shown_text

    times = tmp_path / "times.csv"  # the LMS's record
    times.write_text("student,submitted_at\ndan__31m,2026-12-02T20:00:00Z\nfay,2026-12-01T10:00:00Z\n")
    assert main(args + ["--times", str(times)]) == 0
    cap = capsys.readouterr()
    assert "file times" not in cap.err
    got = grades(out)
    assert (got["dan__31m"]["total"], got["dan__31m"]["late_days"]) == ("9", "1")
    assert got["fay"]["total"] == "10"


@needs_namespaces
def test_a_malformed_cell_costs_only_its_student(tmp_path, capsys):
    """A cell whose source list holds a number (in the manual answer and in a code cell): graded as if the number
    were not there; `course review` writes the sheet for the class (before: it exited 2 for everyone)."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    nb = json.loads((ROOT / "solutions" / "hw09_compute.ipynb").read_text(encoding="utf-8"))
    answer = next(i for i, c in enumerate(nb["cells"]) if c.get("metadata", {}).get("manual")) + 1
    nb["cells"][answer]["source"] = ["my_model = {'name': 'tiny'}\n", 7, None]
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "def " in "".join(c["source"]))
    code["source"] = [42] + (code["source"] if isinstance(code["source"], list) else [code["source"]])
    (subs / "a_malformed.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    shutil.copy(ROOT / "solutions" / "hw09_compute.ipynb", subs / "b_honest.ipynb")
    assert main(["grade", "hw09", str(subs), "--out", str(out), "--workers", "2", "--hidden-seed", "cells"]) == 0
    assert {k: v["total"] for k, v in grades(out).items()} == {"a_malformed": "11", "b_honest": "11"}
    capsys.readouterr()
    assert main(["review", "hw09", "--out", str(out)]) == 0
    assert "2 student(s) x 1 item(s)" in capsys.readouterr().out
    with open(out / "review.csv", newline="", encoding="utf-8") as f:
        assert sorted(r["student"] for r in csv.DictReader(f)) == ["a_malformed", "b_honest"]
    assert "tiny" in (out / "review.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", [
    ["export", "nbgrader", "{dir}", "hw01", "--hidden-seed", ""],
    ["export", "otter", "{dir}", "hw01", "--hidden-seed", " "],
    ["export", "gradescope", "hw01", "{dir}/hw01.zip", "--hidden-seed", ""],
    ["grade", "hw01", "{subs}", "--out", "{dir}", "--hidden-seed", "", "--allow-weak-isolation"],
])
def test_an_empty_seed_fails_every_command_before_writing(tmp_path, capsys, argv):
    """Before: `course export nbgrader --hidden-seed ""` had written nbgrader_config.py (and otter a
    requirements.txt) when it failed."""
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SAMPLES / "correct.ipynb", subs / "ann.ipynb")
    dest = tmp_path / "dest"
    assert main([a.format(dir=dest, subs=subs) for a in argv]) == 2
    assert "--hidden-seed is empty (an unset variable?); give the course's secret seed" in capsys.readouterr().err
    assert not dest.exists() or not any(p.is_file() for p in dest.rglob("*"))


def test_an_empty_seed_variable_fails_export_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_HIDDEN_SEED", "")
    assert main(["export", "nbgrader", str(tmp_path / "dest"), "hw01"]) == 2
    assert "$COURSE_HIDDEN_SEED is set but empty" in capsys.readouterr().err
    assert not (tmp_path / "dest").exists()


def test_the_public_default_seed_is_a_warning_for_export(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_HIDDEN_SEED", raising=False)
    assert main(["export", "gradescope", "hw01", str(tmp_path / "hw01.zip")]) == 0
    assert "course export: warning: no --hidden-seed or $COURSE_HIDDEN_SEED: using the public default seed" \
        in capsys.readouterr().err
