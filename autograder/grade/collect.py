"""Find the submissions: `<student>.ipynb` files and/or `<student>/` folders with one notebook; zips too; and
LMS download names (Canvas: the student id is the Canvas user id in the file name).

Collecting is exact: only regular files and folders inside the submissions root are taken. Symbolic links are
never followed (at any depth), devices, FIFOs and sockets are never opened, and every entry left out is listed
with its reason (`Collection.skipped`). Student ids are case-insensitive and nobody can take another's
(grade/ids.py): an id claimed by two inputs is contested (`Collection.collisions`, naming both) and neither is
filed under it. Canvas "Download submissions" names give the Canvas user id; several files of one Canvas
submission are one submission. Where a student hands in several notebooks the rule of grade/choice.py picks one
(`Collection.choices` lists each choice with the notebooks left out).
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.grade.choice import choice_note, choose_notebook
from autograder.grade.ids import CANVAS_NAME, Collision, claim_ids, lms_id, shown, student_id
from autograder.model import Submission

__all__ = ["CANVAS_NAME", "Collection", "collect", "collect_with_report", "lms_id", "scan_folder", "shown",
           "student_id"]

MAX_ZIP_BYTES = 2 * 1024 ** 3
MAX_ZIP_ENTRIES = 100_000
MAX_FOLDER_ENTRIES = 20_000  # entries looked at inside one student's folder
MAX_FOLDER_DEPTH = 32
_JUNK = ("__MACOSX", ".ipynb_checkpoints")  # never a submission, never looked into


@dataclass
class Collection:
    """What `collect_with_report` found. Unpacks as `(submissions, tmp)`, like `collect`'s tuple."""

    submissions: list[Submission]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name under the root, reason)
    warnings: list[str] = field(default_factory=list)  # truncated folder walks (instructor only)
    tmp: tempfile.TemporaryDirectory | None = None  # must be kept alive while the submissions are read
    collisions: list[Collision] = field(default_factory=list)  # ids claimed by several inputs (none is filed under)
    choices: list[str] = field(default_factory=list)  # "alice: 3 notebooks; graded …; not graded: …"

    def __iter__(self):
        return iter((self.submissions, self.tmp))

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Remove the folder a zip was extracted into (if any)."""
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    def report_lines(self) -> list[str]:
        """One line per contested id, per skipped entry ("bob.ipynb: a symbolic link; skipped"), per choice among
        several notebooks, then the warnings."""
        return ([c.line() for c in self.collisions] + [f"{name}: {reason}; skipped" for name, reason in self.skipped]
                + list(self.choices) + list(self.warnings))


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    for test, what in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return f"not a regular file ({what})"
    return "not a regular file"


def _member_is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_IFMT(mode) == stat.S_IFLNK


def _member_is_special(info: zipfile.ZipInfo) -> bool:
    fmt = stat.S_IFMT(info.external_attr >> 16)
    return fmt not in (0, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK)


def _member_parts(zname: str, info: zipfile.ZipInfo) -> tuple[str, ...]:
    name = info.filename
    pure = PurePosixPath(name)
    parts = tuple(p for p in pure.parts if p not in ("", "."))
    if pure.is_absolute() or ".." in parts or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"{zname}: unsafe path in archive: {shown(name)}")
    return parts


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: list[int]) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise ValueError("archive expands to more than 2 GB")
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _safe_extract(zpath: Path, dest: Path) -> tuple[Path, list[tuple[tuple[str, ...], str]]]:
    """Extract regular files and folders only (no links, bounded size); returns (root, skipped members)."""
    skipped: list[tuple[tuple[str, ...], str]] = []
    with zipfile.ZipFile(zpath) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ValueError(f"{zpath.name}: archive has more than {MAX_ZIP_ENTRIES} entries")
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_BYTES:
            raise ValueError(f"{zpath.name}: archive expands to more than 2 GB")
        members = [(_member_parts(zpath.name, i), i) for i in infos]  # refuse the archive on any unsafe path
        budget = [MAX_ZIP_BYTES]
        macosx = False
        droot = os.path.realpath(dest)
        for parts, info in members:
            if not parts:
                continue
            if parts[0] == "__MACOSX":
                macosx = True
                continue
            target = dest.joinpath(*parts)
            if os.path.commonpath([droot, os.path.realpath(target)]) != droot:
                raise ValueError(f"{zpath.name}: unsafe path in archive: {shown(info.filename)}")
            if _member_is_link(info):
                skipped.append((parts, "a symbolic link in the archive"))
                continue
            if _member_is_special(info):
                skipped.append((parts, "not a regular file in the archive"))
                continue
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_member(zf, info, target, budget)
            except FileExistsError:
                skipped.append((parts, "a second archive entry with the same name"))
            except ValueError as exc:
                raise ValueError(f"{zpath.name}: {exc}") from exc
            except (OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
                skipped.append((parts, f"cannot be extracted ({shown(str(exc))[:120]})"))
        if macosx:
            skipped.append((("__MACOSX",), "macOS archive metadata"))
    root = dest
    entries = [p for p in dest.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and _is_dir(entries[0]):
        inner = [c for c in entries[0].iterdir() if not c.name.startswith(".")]
        if any(_is_dir(c) for c in inner) or len([c for c in inner if c.suffix == ".ipynb"]) > 1:
            root = entries[0]  # a wrapper folder around the class
    prefix = root.relative_to(dest).parts
    rel = [(parts[len(prefix):], why) for parts, why in skipped if parts[:len(prefix)] == prefix]
    rel += [(parts, why) for parts, why in skipped if parts[:len(prefix)] != prefix]  # outside: listed as is
    return root, rel


def _is_dir(p: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(p).st_mode)
    except OSError:
        return False


def scan_folder(folder: Path, name: str) -> tuple[list[Path], list[tuple[str, str]], str]:
    """Regular .ipynb files under `folder`, never following links: (notebooks, skipped, truncation note)."""
    notebooks: list[tuple[tuple[str, ...], Path]] = []
    skipped: list[tuple[str, str]] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(folder, (name,))]
    seen, note = 0, ""
    while stack:
        here, rel = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(("/".join(rel), f"cannot be listed ({exc.strerror or exc})"))
            continue
        subdirs = []
        for e in entries:
            seen += 1
            if seen > MAX_FOLDER_ENTRIES:
                note = f"more than {MAX_FOLDER_ENTRIES} entries in the folder; the rest was not searched"
                stack.clear()
                break
            if e.name in _JUNK or e.name.startswith("._"):
                continue
            sub = rel + (e.name,)
            try:
                mode = e.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                skipped.append(("/".join(sub), f"cannot be read ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(mode):
                if len(sub) > MAX_FOLDER_DEPTH:
                    note = f"folders nested more than {MAX_FOLDER_DEPTH} deep; the deeper ones were not searched"
                else:
                    subdirs.append((Path(e.path), sub))
            elif stat.S_ISREG(mode):
                if e.name.endswith(".ipynb"):
                    notebooks.append((sub, Path(e.path)))
            else:
                skipped.append(("/".join(sub), _kind(mode)))
        stack.extend(reversed(subdirs))
    notebooks.sort(key=lambda t: t[0][1:])
    return [p for _, p in notebooks], skipped, note


def _rel(path: Path, root: Path) -> str:
    try:
        return shown(path.relative_to(root).as_posix())
    except ValueError:
        return shown(path.name)


def _unpack(source: Path) -> tuple[Path, list[tuple[tuple[str, ...], str]], tempfile.TemporaryDirectory | None]:
    """The folder to collect from: `source`, or a zip extracted safely into a temporary folder (with what was
    left out of it)."""
    if not (source.is_file() and source.suffix == ".zip"):
        if not source.is_dir():
            raise FileNotFoundError(f"submissions folder not found: {source}")
        return source, [], None
    tmp = tempfile.TemporaryDirectory(prefix="course-subs-")
    try:
        root, skips = _safe_extract(source, Path(tmp.name))
        if not root.is_dir():
            raise FileNotFoundError(f"submissions folder not found: {root}")
    except BaseException:
        tmp.cleanup()
        raise
    return root, skips, tmp


@dataclass
class _Walk:
    """What collecting the top-level entries gathers, and the homework's names the notebook choice needs."""

    root: Path
    homework: str = ""
    names: tuple[str, ...] = ()
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    inner_skips: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def choose(self, label: str, paths: list[Path]) -> tuple[Path, str]:
        """The notebook to grade among `paths`, and the note for the student's feedback ("" if only one)."""
        choice = choose_notebook(paths, self.homework, self.names)
        if not choice.others:
            return choice.path, ""
        note = choice_note(choice, lambda p: _rel(p, self.root))
        self.choices.append(f"{shown(label)}: {note}")
        return choice.path, note


def _folder_candidate(e, name: str, walk: _Walk) -> tuple:
    """The candidate for a student's folder: its notebook (chosen, if several) and the problems to report."""
    nbs, inner, note = scan_folder(Path(e.path), name)
    walk.skipped.extend((shown(n), why) for n, why in inner)
    inner = walk.inner_skips.pop(name, []) + inner
    if note:
        walk.warnings.append(f"{shown(name)}: {note}")
    lines = [f"{shown(n)}: {why}; skipped" for n, why in inner]
    if not nbs:
        problem = "no .ipynb file in the folder"
        if lines:
            problem += f" ({'; '.join(lines[:3])}{'; …' if len(lines) > 3 else ''})"
        return (name, student_id(name), None, problem)
    path, chosen = walk.choose(name, nbs)
    parts = [chosen] if chosen else []
    parts += lines[:3] + (["…"] if len(lines) > 3 else [])
    return (name, student_id(name), path, "; ".join(parts))


def _candidate(e, walk: _Walk) -> tuple | None:
    """(original name, readable id, path or None, problem) for one top-level entry; None when it is left out."""
    name = e.name
    if name.startswith("."):
        walk.skipped.append((shown(name), "a hidden entry"))
        return None
    if name in _JUNK:
        walk.skipped.append((shown(name), "macOS archive metadata" if name == "__MACOSX" else "Jupyter checkpoints"))
        return None
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    try:
        mode = e.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        walk.skipped.append((shown(name), f"cannot be read ({exc.strerror or exc})"))
        return None
    if stat.S_ISREG(mode):
        if name.endswith(".ipynb") and stem:
            return (name, student_id(stem), Path(e.path), "")
        walk.skipped.append((shown(name), "not a notebook (.ipynb) or a folder"))
        return None
    if stat.S_ISDIR(mode):
        return _folder_candidate(e, name, walk)
    why = _kind(mode)
    walk.skipped.append((shown(name), why))
    if stat.S_ISLNK(mode) or name.endswith(".ipynb"):
        return (name, student_id(stem), None, f"{shown(name)}: {why}; not graded")
    return None


def _canvas(cands: list[tuple], walk: _Walk) -> list[tuple]:
    """Canvas names take the Canvas user id; the files of one submission (one user id, one submission id) are
    one candidate, its notebook chosen as in a folder. Two submission ids of one user stay two candidates (a
    contested id)."""
    out: list[tuple] = []
    groups: dict[tuple[str, int], list[tuple]] = {}
    for c in cands:
        parsed = lms_id(c[0])
        if parsed is None:
            out.append(c)
        else:
            groups.setdefault(parsed, []).append(c)
    for (uid, sub), members in groups.items():
        files = [c for c in members if c[2] is not None]
        if len(files) < 2:
            keep = files[0] if files else members[0]
            out.append((keep[0], uid, keep[2], keep[3]))
            continue
        path, note = walk.choose(f"Canvas submission {sub} of {uid}", [c[2] for c in files])
        keep = next(c for c in files if c[2] == path)
        out.append((keep[0], uid, path, "; ".join(x for x in (note, keep[3]) if x)))
    return out


def collect_with_report(source: str | Path, homework: str = "", names=()) -> Collection:
    """Submissions in a folder or a zip, plus every entry left out and why; keep `.tmp` alive while grading (or
    use the Collection in a `with` block). `homework` and `names` (its graded functions, plain strings) decide
    which notebook is graded where a student hands in several (grade/choice.py)."""
    source = Path(source)
    zip_label = f" (in {shown(source.name)})" if source.suffix == ".zip" else ""
    root, zip_skips, tmp = _unpack(source)
    walk = _Walk(root, homework, tuple(names))
    # top-level entries of the archive that were not extracted still get a row (score 0, with the reason)
    placeholders: dict[str, str] = {}
    for parts, why in zip_skips:
        name = "/".join(parts)
        walk.skipped.append((shown(name) + zip_label, why))
        if len(parts) == 1 and parts[0] != "__MACOSX":
            placeholders[parts[0]] = why
        elif len(parts) > 1:
            walk.inner_skips.setdefault(parts[0], []).append((name, why))
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        if tmp is not None:
            tmp.cleanup()
        raise FileNotFoundError(f"submissions folder cannot be read: {root} ({exc.strerror or exc})") from exc
    cands = [c for c in (_candidate(e, walk) for e in entries) if c is not None]
    for name, why in placeholders.items():
        stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
        if stem and all(c[0] != name for c in cands):
            cands.append((name, student_id(stem), None, f"{shown(name)}: {why}; not graded"))
    for folder, inner in walk.inner_skips.items():  # skipped members of a folder that holds nothing else
        if all(c[0] != folder for c in cands):
            lines = [f"{shown(n)}: {why}; skipped" for n, why in inner]
            cands.append((folder, student_id(folder), None,
                          f"no .ipynb file in the folder ({'; '.join(lines[:3])}{'; …' if len(lines) > 3 else ''})"))
    cands = sorted(_canvas(sorted(cands, key=lambda c: c[0]), walk), key=lambda c: c[0])
    ids, collisions = claim_ids([(c[0], c[1]) for c in cands])
    subs = [Submission(sid, path, problem, orig) for sid, (orig, _, path, problem) in zip(ids, cands)]
    return Collection(subs, walk.skipped, walk.warnings, tmp, collisions, walk.choices)


def collect(source: str | Path) -> tuple[list[Submission], tempfile.TemporaryDirectory | None]:
    """Submissions in a folder or a zip; the temporary folder (if any) must be kept alive by the caller.

    `collect_with_report` returns the same plus the skipped entries and the id warnings.
    """
    c = collect_with_report(source)
    return c.submissions, c.tmp
