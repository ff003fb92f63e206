"""Student ids: one per input, case-insensitive, and nobody can take another's.

An entry's readable id is its name without `.ipynb`, every character outside `A-Z a-z 0-9 . _ @ + -` replaced by
`_` (at most 100 characters); a Canvas "Download submissions" name (`<name>_<user id>_<submission id>_<file>`,
late ones `<name>_LATE_<user id>_…`) gives the Canvas user id instead. Two ids that differ only in case are the
same id (they would share a feedback file on macOS and Windows).

When two inputs claim one id (`Alice.ipynb` beside `alice.ipynb`, a folder `alice/` beside `alice.ipynb`,
`Müller` beside `Mäller`, or one Canvas user id with two submission ids) the id is *contested*: it is reported
(a Collision, naming every input) and no input is filed under it; each gets an id of its own,
`<id>~<12 hex digits of the sha256 of its original name>`, which no readable id can spell (`~` is never kept)
and which does not depend on what else is in the folder. Nothing is decided by sort order or by submission
number: `course grade` refuses to grade a class with a contested id unless `--allow-id-collisions` is given.
Canvas puts only the latest submission of each student in its download, so one user id with two submission ids
means a planted file or a merged download; several files of one submission (one user id, one submission id) are
one submission, and the notebook is chosen as in a folder (grade/choice.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")
OWN = "~"  # separates a contested id from the digest of the input's name; never part of a readable id
CANVAS_NAME = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9-]*?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")


def student_id(name: str) -> str:
    """The readable id of a name (its stem for a notebook)."""
    return _SAFE.sub("_", name)[:100] or "unnamed"


def shown(name: str) -> str:
    """A name made safe to print on one line: control and other unprintable characters as \\xNN escapes."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in name)


def lms_id(source_name: str) -> tuple[str, int] | None:
    """(student id, submission id) from a Canvas download name, else None."""
    m = CANVAS_NAME.match(source_name)
    if not m:
        return None
    return m.group("id"), int(m.group("sub"))


def lms_file(source_name: str) -> str:
    """The student's own file name inside a Canvas download name (the name itself otherwise)."""
    m = CANVAS_NAME.match(source_name)
    return m.group("file") if m else source_name


def owner(student: str) -> str:
    """Whose submission an id is: the readable (or Canvas) id it was made from, in lower case. Two submissions
    with one owner are never compared with each other (similarity)."""
    return student.split(OWN, 1)[0].lower()


def own_id(student: str, original: str, digits: int = 12) -> str:
    return f"{student}{OWN}{hashlib.sha256(original.encode('utf-8', 'surrogatepass')).hexdigest()[:digits]}"


@dataclass
class Collision:
    """One id claimed by several inputs: the id, the inputs' original names, and the ids they were given."""

    student: str
    sources: list[str]
    given: list[str]

    def line(self) -> str:
        names = ", ".join(f"'{shown(s)}'" for s in self.sources)
        ids = ", ".join(f"'{g}'" for g in self.given)
        return (f"student id '{self.student}' is claimed by {len(self.sources)} inputs: {names}; none is filed "
                f"under it (their own ids: {ids})")


def claim_ids(claims: list[tuple[str, str]]) -> tuple[list[str], list[Collision]]:
    """(original name, id) per input -> the id each input is filed under, and the contested ids."""
    groups: dict[str, list[int]] = {}
    for i, (_, sid) in enumerate(claims):
        groups.setdefault(sid.lower(), []).append(i)
    ids = [sid for _, sid in claims]
    collisions = []
    for members in groups.values():
        if len(members) < 2:
            continue
        given = [own_id(claims[i][1], claims[i][0]) for i in members]
        if len({g.lower() for g in given}) < len(given):  # 48 bits alike: use the whole digest
            given = [own_id(claims[i][1], claims[i][0], 64) for i in members]
        for i, g in zip(members, given):
            ids[i] = g
        collisions.append(Collision(claims[members[0]][1].lower(), [claims[i][0] for i in members], given))
    return ids, collisions
