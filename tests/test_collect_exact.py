"""Collecting is exact: distinct inputs get distinct ids, links and special files are skipped with a reason,
and a hostile notebook (huge, FIFO, /dev/zero, 5,000-digit integer, 100k-deep nesting) is a NotebookError."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.grade.collect import Collection, collect, collect_with_report
from course_lib.grading.notebook import NotebookError, extract, read_notebook

CORRECT = ROOT / "autograder" / "samples" / "hw01" / "correct.ipynb"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")


def _nb(path: Path) -> Path:
    shutil.copy(CORRECT, path)
    return path


def _by_source(c: Collection) -> dict[str, object]:
    return {s.source: s for s in c.submissions}


def test_similar_names_never_share_an_id(tmp_path):
    """Names that map to one id contest it: each input gets an id of its own (the id plus a digest of its own
    name), nobody gets the contested id, and the collision names every input (issue 24 item 2)."""
    from autograder.grade.ids import own_id

    for name in ("Müller", "Mäller", "ann lee", "ann_lee", "bob", "a" * 100 + "x" * 20, "a" * 100 + "y" * 20):
        _nb(tmp_path / f"{name}.ipynb")
    (tmp_path / "bob").mkdir()
    _nb(tmp_path / "bob" / "hw01.ipynb")
    c = collect_with_report(tmp_path)
    ids = {s.source: s.student for s in c.submissions}
    assert ids == {src: own_id(readable, src) for src, readable in (
        ("Mäller.ipynb", "M_ller"), ("Müller.ipynb", "M_ller"), ("ann lee.ipynb", "ann_lee"),
        ("ann_lee.ipynb", "ann_lee"), ("bob", "bob"), ("bob.ipynb", "bob"),
        ("a" * 100 + "x" * 20 + ".ipynb", "a" * 100), ("a" * 100 + "y" * 20 + ".ipynb", "a" * 100))}
    assert len(set(ids.values())) == 8 and all("~" in i for i in ids.values())
    assert {x.student: x.sources for x in c.collisions} == {
        "m_ller": ["Mäller.ipynb", "Müller.ipynb"], "ann_lee": ["ann lee.ipynb", "ann_lee.ipynb"],
        "bob": ["bob", "bob.ipynb"], "a" * 100: ["a" * 100 + "x" * 20 + ".ipynb", "a" * 100 + "y" * 20 + ".ipynb"]}
    assert c.skipped == [] and c.warnings == []
    assert any(line.startswith("student id 'm_ller' is claimed by 2 inputs: 'Mäller.ipynb', 'Müller.ipynb'")
               for line in c.report_lines())
    by = _by_source(c)
    assert by["bob"].path == tmp_path / "bob" / "hw01.ipynb" and by["bob.ipynb"].path == tmp_path / "bob.ipynb"
    assert all(not s.problem for s in c.submissions)  # the collision is for the instructor, not in feedback
    subs, tmp = collect(tmp_path)  # the old API: same submissions, a plain tuple
    assert tmp is None and [s.student for s in subs] == [s.student for s in c.submissions]


def test_suffix_never_takes_a_real_students_id(tmp_path):
    from autograder.grade.ids import own_id

    for name in ("x y", "x_y", "x_y-2", "Eve", "eve"):
        _nb(tmp_path / f"{name}.ipynb")
    ids = {s.source: s.student for s in collect_with_report(tmp_path).submissions}
    # ids differing only in case would share a feedback file on macOS/Windows, so they count as equal
    assert ids == {"x y.ipynb": own_id("x_y", "x y.ipynb"), "x_y.ipynb": own_id("x_y", "x_y.ipynb"),
                   "x_y-2.ipynb": "x_y-2", "Eve.ipynb": own_id("Eve", "Eve.ipynb"),
                   "eve.ipynb": own_id("eve", "eve.ipynb")}


@posix_only
def test_links_are_never_followed(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    secret = _nb(tmp_path / "solution.ipynb")  # outside the submissions root
    (tmp_path / "solutions").mkdir()
    _nb(tmp_path / "solutions" / "hw01.ipynb")
    _nb(subs / "ann.ipynb")
    os.symlink(secret, subs / "bob.ipynb")  # a file link to a file outside
    os.symlink(tmp_path / "solutions", subs / "dave")  # a folder link
    (subs / "carol").mkdir()
    os.symlink(subs / "ann.ipynb", subs / "carol" / "hw01.ipynb")  # a link inside a folder, to a peer
    (subs / "erin").mkdir()
    _nb(subs / "erin" / "hw01.ipynb")
    (subs / "erin" / "deep").mkdir()
    os.symlink(tmp_path / "solutions", subs / "erin" / "deep" / "more")
    c = collect_with_report(subs)
    assert sorted(c.skipped) == [("bob.ipynb", "a symbolic link"), ("carol/hw01.ipynb", "a symbolic link"),
                                 ("dave", "a symbolic link"), ("erin/deep/more", "a symbolic link")]
    assert "bob.ipynb: a symbolic link; skipped" in c.report_lines()
    by = _by_source(c)
    assert set(by) == {"ann.ipynb", "bob.ipynb", "carol", "dave", "erin"}  # every input has a row
    assert by["ann.ipynb"].path == subs / "ann.ipynb"
    assert by["bob.ipynb"].path is None and by["bob.ipynb"].problem == "bob.ipynb: a symbolic link; not graded"
    assert by["dave"].path is None and "a symbolic link" in by["dave"].problem
    assert by["carol"].path is None
    assert by["carol"].problem == "no .ipynb file in the folder (carol/hw01.ipynb: a symbolic link; skipped)"
    assert by["erin"].path == subs / "erin" / "hw01.ipynb"
    assert by["erin"].problem == "erin/deep/more: a symbolic link; skipped"
    # even if handed a link directly, the reader refuses it
    with pytest.raises(NotebookError, match="symbolic link"):
        read_notebook(subs / "bob.ipynb")


@posix_only
def test_fifo_and_dev_zero_are_skipped_promptly(tmp_path):
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "frank").mkdir()
    os.mkfifo(tmp_path / "frank" / "hw01.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    _nb(tmp_path / "ann.ipynb")
    t0 = time.monotonic()
    c = collect_with_report(tmp_path)
    with pytest.raises(NotebookError, match="FIFO"):
        read_notebook(tmp_path / "pipe.ipynb")
    with pytest.raises(NotebookError, match="symbolic link"):
        read_notebook(tmp_path / "zero.ipynb")
    with pytest.raises(NotebookError, match="character device"):
        read_notebook("/dev/zero")
    assert time.monotonic() - t0 < 5
    assert sorted(c.skipped) == [("frank/hw01.ipynb", "not a regular file (FIFO)"),
                                 ("pipe.ipynb", "not a regular file (FIFO)"), ("zero.ipynb", "a symbolic link")]
    assert "pipe.ipynb: not a regular file (FIFO); skipped" in c.report_lines()
    by = _by_source(c)
    assert by["pipe.ipynb"].path is None and by["zero.ipynb"].path is None and by["frank"].path is None
    assert by["ann.ipynb"].path == tmp_path / "ann.ipynb"


def test_other_entries_are_listed(tmp_path):
    _nb(tmp_path / "ann.ipynb")
    (tmp_path / "notes.txt").write_text("hi")
    _nb(tmp_path / ".hidden.ipynb")
    c = collect_with_report(tmp_path)
    assert [s.student for s in c.submissions] == ["ann"]
    assert sorted(c.skipped) == [(".hidden.ipynb", "a hidden entry"),
                                 ("notes.txt", "not a notebook (.ipynb) or a folder")]


@posix_only
def test_zip_links_are_skipped_and_traversal_refused(tmp_path):
    z = tmp_path / "class.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(CORRECT, "ada/hw01.ipynb")
        zf.write(CORRECT, "bob/hw01.ipynb")
        link = zipfile.ZipInfo("carl.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        link = zipfile.ZipInfo("bob/peer.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "../ada/hw01.ipynb")
    c = collect_with_report(z)
    try:
        assert sorted(c.skipped) == [("bob/peer.ipynb (in class.zip)", "a symbolic link in the archive"),
                                     ("carl.ipynb (in class.zip)", "a symbolic link in the archive")]
        by = _by_source(c)
        assert set(by) == {"ada", "bob", "carl.ipynb"}
        assert by["carl.ipynb"].path is None and by["bob"].path.name == "hw01.ipynb"
        assert "bob/peer.ipynb: a symbolic link in the archive; skipped" in by["bob"].problem
        assert not any(p.is_symlink() for p in Path(c.tmp.name).rglob("*"))
    finally:
        c.tmp.cleanup()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.write(CORRECT, "ada.ipynb")
        zf.writestr("../evil.ipynb", "{}")
    with pytest.raises(ValueError, match="unsafe path"):
        collect_with_report(bad)
    assert not (tmp_path / "evil.ipynb").exists()


def test_huge_file_is_refused_by_size_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "x.ipynb"
    with open(big, "wb") as f:  # sparse: 60 MB of nothing on disk
        f.truncate(60 * 1024 * 1024)
    reads = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(NotebookError, match="larger than 50 MB") as err:
        read_notebook(big)
    assert reads == [] and "\n" not in str(err.value)


@pytest.mark.parametrize("text, why", [
    ('{"cells": [{"cell_type": "code", "execution_count": ' + "9" * 5000 + ', "source": ""}]}',
     "x.ipynb: not a valid notebook (a number with too many digits)"),
    ('{"cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "x.ipynb: not a valid notebook (JSON nested too deeply)"),
    ('{"cells": [', None),
    ('[1, 2]', "x.ipynb: not a valid notebook (no list of cells)"),
])
def test_hostile_json_is_one_notebook_error(tmp_path, text, why):
    p = tmp_path / "x.ipynb"
    p.write_text(text)
    with pytest.raises(NotebookError) as err:
        read_notebook(p)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("x.ipynb: not a valid notebook")
    if why:
        assert msg == why


def test_odd_cells_never_raise(tmp_path):
    nb = {"cells": [1, None, "x", [], {"cell_type": "code", "source": {"a": 1}},
                    {"cell_type": "code", "source": [1, None, "def f():\n", "    return 1\n"]},
                    {"cell_type": ["code"], "source": "x"}, {"cell_type": "code"},
                    {"cell_type": "code", "source": "def g(:\n"}, {"cell_type": "code", "source": "a = 1\x00"},
                    {"cell_type": "code", "source": "x = " + "(" * 10_000 + ")" * 10_000}]}
    p = tmp_path / "odd.ipynb"
    p.write_text(json.dumps(nb))
    ex = extract(read_notebook(p))
    assert ex.names == ["f"] and len(ex.warnings) == 3
