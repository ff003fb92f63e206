"""Ids nobody can take (issue 24 item 2): ids are case-insensitive; an id claimed by two inputs (Alice.ipynb beside
alice.ipynb, a folder alice/ beside alice.ipynb, one Canvas user id with two submission ids, a Canvas id beside
a plain name) is reported with both names and `course grade` exits 2 having graded nothing, unless
--allow-id-collisions, which files each input under an id of its own. Never sort order, never submission number."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from autograder.grade.collect import collect_with_report
from autograder.grade.ids import claim_ids, own_id, owner, student_id
from autograder.sandbox.isolation import NAMESPACES, detect
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "hw01"
HW01 = ("hw01_gradient_descent", ["ols_closed_form", "mse_loss_grad", "logistic_loss_grad", "gradient_descent",
                                  "smoothness_constant"])
needs_namespaces = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces")


def put(folder: Path, name: str, sample: str = "correct") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / f"{sample}.ipynb", path)
    return path


def grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def refused(capsys, subs: Path, out: Path, *extra: str) -> str:
    """Run `course grade` where it must refuse (nothing is graded, so no sandbox is needed): its stderr."""
    rc = main(["grade", "hw01", str(subs), "--out", str(out), "--hidden-seed", "ids", "--allow-weak-isolation",
               *extra])
    err = capsys.readouterr().err
    assert rc == 2, err
    return err


@needs_namespaces
def test_a_case_variant_never_takes_an_id(tmp_path, capsys):
    """alice and bob are graded; then an attacker adds Alice.ipynb: the rerun exits 2 naming both files and changes
    no row (before: Alice took the id 'Alice', alice got 'alice-2', and alice's row became 'no longer submitted',
    exit 0). With --allow-id-collisions each is filed under an id of its own."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    put(subs, "alice.ipynb")
    put(subs, "bob.ipynb")
    args = ["grade", "hw01", str(subs), "--out", str(out), "--workers", "2", "--hidden-seed", "ids"]
    assert main(args) == 0
    capsys.readouterr()
    before = grades(out)
    assert {k: v["total"] for k, v in before.items()} == {"alice": "10", "bob": "10"}

    put(subs, "Alice.ipynb", "blank")  # the attacker, graded first in name order
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "1 student id(s) claimed by more than one input ('alice': 'Alice.ipynb', 'alice.ipynb')" in err
    assert "nothing was graded" in err and "--allow-id-collisions" in err
    assert (out / "collect.txt").read_text().startswith(
        "student id 'alice' is claimed by 2 inputs: 'Alice.ipynb', 'alice.ipynb'; none is filed under it")
    assert grades(out) == before  # no row changed, nobody marked "no longer submitted"
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert sorted(db.execute("SELECT student, status FROM results")) == [("alice", "graded"), ("bob", "graded")]

    assert main(args + ["--allow-id-collisions"]) == 0
    err = capsys.readouterr().err
    assert "1 contested student id(s) graded under ids of their own" in err
    after = grades(out)
    attacker, honest = own_id("Alice", "Alice.ipynb"), own_id("alice", "alice.ipynb")
    assert {k: (v["total"], v.get("status", "")) for k, v in after.items()} == {
        attacker: ("0", "graded"), honest: ("10", "graded"), "bob": ("10", "graded"),
        "alice": ("10", "no longer submitted")}  # the contested id's own row is kept, marked, not counted


def test_a_folder_beside_a_notebook_contests_the_id(tmp_path, capsys):
    """Before: the folder alice/ was graded as alice (sorted first) and alice.ipynb as alice-2, exit 0."""
    subs = tmp_path / "subs"
    put(subs, "alice/hw01_gradient_descent.ipynb", "blank")
    put(subs, "alice.ipynb")
    put(subs, "bob.ipynb")
    err = refused(capsys, subs, tmp_path / "out")
    assert "('alice': 'alice', 'alice.ipynb')" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_planted_canvas_name_never_replaces_a_submission(tmp_path, capsys):
    """Before: zz_12345_99999999_x.ipynb replaced user 12345's submission (highest submission id wins), exit 0."""
    subs = tmp_path / "subs"
    put(subs, "zz_12345_99999999_x.ipynb", "blank")
    put(subs, "lovelaceada_12345_67890_hw01_gradient_descent.ipynb")
    put(subs, "babbagecharles_23456_67891_hw01_gradient_descent.ipynb")
    err = refused(capsys, subs, tmp_path / "out")
    assert "('12345': 'lovelaceada_12345_67890_hw01_gradient_descent.ipynb', 'zz_12345_99999999_x.ipynb')" in err
    c = collect_with_report(subs, *HW01)
    assert {s.source: s.student for s in c.submissions} == {
        "zz_12345_99999999_x.ipynb": own_id("12345", "zz_12345_99999999_x.ipynb"),
        "lovelaceada_12345_67890_hw01_gradient_descent.ipynb":
            own_id("12345", "lovelaceada_12345_67890_hw01_gradient_descent.ipynb"),
        "babbagecharles_23456_67891_hw01_gradient_descent.ipynb": "23456"}


def test_a_resubmission_in_the_download_is_refused_too(tmp_path, capsys):
    """Canvas puts the latest submission only in its download: a late resubmission beside the first one (a merged
    download, or a planted file) is never decided by submission number."""
    subs = tmp_path / "subs"
    put(subs, "ada_12345_100_hw01.ipynb", "blank")
    put(subs, "ada_LATE_12345_200_hw01.ipynb")
    err = refused(capsys, subs, tmp_path / "out")
    assert "('12345': 'ada_12345_100_hw01.ipynb', 'ada_LATE_12345_200_hw01.ipynb')" in err


def test_a_plain_name_cannot_claim_a_canvas_id(tmp_path, capsys):
    subs = tmp_path / "subs"
    put(subs, "12345.ipynb", "blank")
    put(subs, "ada_12345_100_hw01.ipynb")
    err = refused(capsys, subs, tmp_path / "out")
    assert "('12345': '12345.ipynb', 'ada_12345_100_hw01.ipynb')" in err


def test_several_files_of_one_canvas_submission_are_one_submission(tmp_path):
    """One user id, one submission id, two notebooks: one submission, the notebook chosen by the folder rule."""
    subs = tmp_path / "subs"
    put(subs, "ada_12345_100_hw01_gradient_descent-Copy1.ipynb", "blank")
    put(subs, "ada_12345_100_hw01_gradient_descent.ipynb")
    c = collect_with_report(subs, *HW01)
    assert not c.collisions and len(c.submissions) == 1
    s = c.submissions[0]
    assert (s.student, s.path.name) == ("12345", "ada_12345_100_hw01_gradient_descent.ipynb")
    assert "not graded: ada_12345_100_hw01_gradient_descent-Copy1.ipynb" in s.problem
    assert c.choices == [f"Canvas submission 100 of 12345: {s.problem}"]


def test_ids_do_not_depend_on_the_rest_of_the_folder(tmp_path):
    """A contested id's replacement depends on the input's own name only: adding files changes no one's id, and
    no readable id can spell one (`~` is never kept in a readable id)."""
    ids, _ = claim_ids([("Alice.ipynb", "Alice"), ("alice.ipynb", "alice")])
    more, _ = claim_ids([("ALICE.ipynb", "ALICE"), ("Alice.ipynb", "Alice"), ("alice.ipynb", "alice"),
                         ("bob.ipynb", "bob")])
    assert more[1:3] == ids and len({i.lower() for i in more}) == 4
    assert student_id(ids[1]) != ids[1] and student_id("alice~a4ee46aead76") == "alice_a4ee46aead76"
    assert owner(ids[0]) == owner(ids[1]) == "alice" and owner("12345") == "12345"


def test_control_characters_in_contested_names_are_escaped(tmp_path, capsys):
    """Two file names with terminal escapes contest one id: stderr and collect.txt show \\x1b and \\x07, never
    the bytes."""
    subs = tmp_path / "subs"
    put(subs, "eve\x1b[31m.ipynb", "blank")
    put(subs, "eve\x07[31m.ipynb")
    err = refused(capsys, subs, tmp_path / "out")
    text = (tmp_path / "out" / "collect.txt").read_text()
    for shown_text in (err, text):
        assert "\x1b" not in shown_text and "\x07" not in shown_text
        assert "'eve\\x07[31m.ipynb', 'eve\\x1b[31m.ipynb'" in shown_text
