"""Find the submissions: `<student>.ipynb` files and/or `<student>/` folders with one notebook; zips too."""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_ZIP_BYTES = 2 * 1024 ** 3
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


@dataclass
class Submission:
    student: str
    path: Path | None  # None when the folder held no notebook
    problem: str = ""


def student_id(name: str) -> str:
    return _SAFE.sub("_", name)[:100] or "unnamed"


def _safe_extract(zpath: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zpath) as zf:
        total = sum(i.file_size for i in zf.infolist())
        if total > MAX_ZIP_BYTES:
            raise ValueError(f"{zpath.name}: archive expands to more than 2 GB")
        for info in zf.infolist():
            target = (dest / info.filename).resolve()
            if not str(target).startswith(str(dest.resolve())):
                raise ValueError(f"{zpath.name}: unsafe path in archive: {info.filename}")
        zf.extractall(dest)
    entries = [p for p in dest.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        inner = [c for c in entries[0].iterdir() if not c.name.startswith(".")]
        if any(c.is_dir() for c in inner) or len([c for c in inner if c.suffix == ".ipynb"]) > 1:
            return entries[0]  # a wrapper folder around the class
    return dest


def collect(source: str | Path) -> tuple[list[Submission], tempfile.TemporaryDirectory | None]:
    """Submissions in a folder or a zip; the temporary folder (if any) must be kept alive by the caller."""
    source = Path(source)
    tmp = None
    if source.is_file() and source.suffix == ".zip":
        tmp = tempfile.TemporaryDirectory(prefix="course-subs-")
        source = _safe_extract(source, Path(tmp.name))
    if not source.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {source}")
    subs: dict[str, Submission] = {}
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            sid = student_id(entry.stem)
            subs[sid] = Submission(sid, entry)
        elif entry.is_dir():
            sid = student_id(entry.name)
            nbs = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not nbs:
                subs[sid] = Submission(sid, None, "no .ipynb file in the folder")
            else:
                subs[sid] = Submission(sid, nbs[0], "" if len(nbs) == 1 else
                                       f"{len(nbs)} notebooks in the folder; graded {nbs[0].name}")
    return list(subs.values()), tmp
