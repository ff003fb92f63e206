"""Find the submissions: `<student>.ipynb` files and/or `<student>/` folders with one notebook; zips too; and
LMS download names (Canvas: the student id is the Canvas user id in the file name).

Collecting is exact: only regular files and folders inside the submissions root are taken. Symbolic links are
never followed (at any depth), devices, FIFOs and sockets are never opened, and every entry left out is listed
with its reason (`Collection.skipped`). Distinct inputs never share a student id: when two names map to the same
readable id, the later ones (in sorted order of the original names) get "-2", "-3", … and a warning naming both
originals (`Collection.warnings`, for the instructor only; it names other students).

Canvas "Download submissions" names files `<name>_<user id>_<submission id>_<original name>` (late ones
`<name>_LATE_<user id>_<submission id>_<original name>`): the student id is the user id, so a resubmission,
which gets a new submission id, is the same student (apply_lms_ids).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.model import Submission

MAX_ZIP_BYTES = 2 * 1024 ** 3
MAX_ZIP_ENTRIES = 100_000
MAX_FOLDER_ENTRIES = 20_000  # entries looked at inside one student's folder
MAX_FOLDER_DEPTH = 32
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")
_JUNK = ("__MACOSX", ".ipynb_checkpoints")  # never a submission, never looked into


@dataclass
class Collection:
    """What `collect_with_report` found. Unpacks as `(submissions, tmp)`, like `collect`'s tuple."""

    submissions: list[Submission]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name under the root, reason)
    warnings: list[str] = field(default_factory=list)  # id collisions, truncated folder walks (instructor only)
    tmp: tempfile.TemporaryDirectory | None = None  # must be kept alive while the submissions are read

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
        """One line per skipped entry ("bob.ipynb: a symbolic link; skipped"), then the warnings."""
        return [f"{name}: {reason}; skipped" for name, reason in self.skipped] + list(self.warnings)


def student_id(name: str) -> str:
    return _SAFE.sub("_", name)[:100] or "unnamed"


def shown(name: str) -> str:
    """A name made safe to print on one line: control and other unprintable characters as \\xNN escapes."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in name)


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


def _scan_folder(folder: Path, name: str) -> tuple[list[Path], list[tuple[str, str]], str]:
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


def _assign_ids(cands: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(original name, readable id) in sorted order -> distinct ids (case-insensitively) and warnings."""
    leaders: dict[str, int] = {}
    for i, (_, sid) in enumerate(cands):
        leaders.setdefault(sid.lower(), i)
    used = {sid.lower() for _, sid in cands}  # every readable id stays reserved for its owner
    ids, warnings = [], []
    for i, (orig, sid) in enumerate(cands):
        first = leaders[sid.lower()]
        if first == i:
            ids.append(sid)
            continue
        n = 2
        while f"{sid}-{n}".lower() in used:
            n += 1
        new = f"{sid}-{n}"
        used.add(new.lower())
        ids.append(new)
        warnings.append(f"'{shown(cands[first][0])}' and '{shown(orig)}' both map to student id "
                        f"'{cands[first][1]}'; '{shown(orig)}' is graded as '{new}'")
    return ids, warnings


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


def _folder_candidate(e, name: str, inner_skips: list[tuple[str, str]], skipped: list, warnings: list) -> tuple:
    """The candidate for a student's folder: its notebook (the first, if several) and the problems to report."""
    nbs, inner, note = _scan_folder(Path(e.path), name)
    skipped.extend((shown(n), why) for n, why in inner)
    inner = inner_skips + inner
    if note:
        warnings.append(f"{shown(name)}: {note}")
    lines = [f"{shown(n)}: {why}; skipped" for n, why in inner]
    if not nbs:
        problem = "no .ipynb file in the folder"
        if lines:
            problem += f" ({'; '.join(lines[:3])}{'; …' if len(lines) > 3 else ''})"
        return (name, student_id(name), None, problem)
    parts = [] if len(nbs) == 1 else [f"{len(nbs)} notebooks in the folder; graded {shown(nbs[0].name)}"]
    parts += lines[:3] + (["…"] if len(lines) > 3 else [])
    return (name, student_id(name), nbs[0], "; ".join(parts))


def _candidate(e, inner_skips: dict, skipped: list, warnings: list) -> tuple | None:
    """(original name, readable id, path or None, problem) for one top-level entry; None when it is left out."""
    name = e.name
    if name.startswith("."):
        skipped.append((shown(name), "a hidden entry"))
        return None
    if name in _JUNK:
        skipped.append((shown(name), "macOS archive metadata" if name == "__MACOSX" else "Jupyter checkpoints"))
        return None
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    try:
        mode = e.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        skipped.append((shown(name), f"cannot be read ({exc.strerror or exc})"))
        return None
    if stat.S_ISREG(mode):
        if name.endswith(".ipynb") and stem:
            return (name, student_id(stem), Path(e.path), "")
        skipped.append((shown(name), "not a notebook (.ipynb) or a folder"))
        return None
    if stat.S_ISDIR(mode):
        return _folder_candidate(e, name, inner_skips.pop(name, []), skipped, warnings)
    why = _kind(mode)
    skipped.append((shown(name), why))
    if stat.S_ISLNK(mode) or name.endswith(".ipynb"):
        return (name, student_id(stem), None, f"{shown(name)}: {why}; not graded")
    return None


def collect_with_report(source: str | Path) -> Collection:
    """Submissions in a folder or a zip, plus every entry left out and why; keep `.tmp` alive while grading (or
    use the Collection in a `with` block)."""
    source = Path(source)
    zip_label = f" (in {shown(source.name)})" if source.suffix == ".zip" else ""
    root, zip_skips, tmp = _unpack(source)
    skipped: list[tuple[str, str]] = []
    warnings: list[str] = []
    # top-level entries of the archive that were not extracted still get a row (score 0, with the reason)
    placeholders: dict[str, str] = {}
    inner_skips: dict[str, list[tuple[str, str]]] = {}
    for parts, why in zip_skips:
        name = "/".join(parts)
        skipped.append((shown(name) + zip_label, why))
        if len(parts) == 1 and parts[0] != "__MACOSX":
            placeholders[parts[0]] = why
        elif len(parts) > 1:
            inner_skips.setdefault(parts[0], []).append((name, why))
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        if tmp is not None:
            tmp.cleanup()
        raise FileNotFoundError(f"submissions folder cannot be read: {root} ({exc.strerror or exc})") from exc
    cands = [c for c in (_candidate(e, inner_skips, skipped, warnings) for e in entries) if c is not None]
    for name, why in placeholders.items():
        stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
        if stem and all(c[0] != name for c in cands):
            cands.append((name, student_id(stem), None, f"{shown(name)}: {why}; not graded"))
    for folder, inner in inner_skips.items():  # skipped members of a folder that holds nothing else
        if all(c[0] != folder for c in cands):
            lines = [f"{shown(n)}: {why}; skipped" for n, why in inner]
            cands.append((folder, student_id(folder), None,
                          f"no .ipynb file in the folder ({'; '.join(lines[:3])}{'; …' if len(lines) > 3 else ''})"))
    cands.sort(key=lambda c: c[0])
    ids, id_warnings = _assign_ids([(c[0], c[1]) for c in cands])
    subs = [Submission(sid, path, problem, orig) for sid, (orig, _, path, problem) in zip(ids, cands)]
    subs, lms_notes = apply_lms_ids(subs)
    return Collection(subs, skipped, id_warnings + warnings + lms_notes, tmp)


def collect(source: str | Path) -> tuple[list[Submission], tempfile.TemporaryDirectory | None]:
    """Submissions in a folder or a zip; the temporary folder (if any) must be kept alive by the caller.

    `collect_with_report` returns the same plus the skipped entries and the id warnings.
    """
    c = collect_with_report(source)
    return c.submissions, c.tmp


CANVAS_NAME = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9-]*?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")


def lms_id(source_name: str) -> tuple[str, int] | None:
    """(student id, submission id) from a Canvas download name, else None."""
    m = CANVAS_NAME.match(source_name)
    if not m:
        return None
    return m.group("id"), int(m.group("sub"))


def apply_lms_ids(subs: list) -> tuple[list, list[str]]:
    """Re-key Canvas-named submissions by the Canvas user id; of several submissions by one student keep the
    latest (highest submission id). Returns (submissions, notes for the instructor)."""
    notes: list[str] = []
    best: dict[str, tuple[int, object]] = {}
    order: list[str] = []
    for s in subs:
        parsed = lms_id(s.source or "")
        key, rank = (parsed if parsed else (s.student, -1))
        if parsed:
            s.student = key
        if key in best:
            keep, drop = (s, best[key][1]) if rank > best[key][0] else (best[key][1], s)
            notes.append(f"{drop.source}: an older submission of {key} than {keep.source}; skipped")
            best[key] = (max(rank, best[key][0]), keep)
        else:
            best[key] = (rank, s)
            order.append(key)
    return [best[k][1] for k in order], notes
