"""A text corpus of over a megabyte that every Python installation already holds: the docstrings of the
standard library (lecture 08's character model).

Nothing is downloaded and nothing large is committed: `stdlib_docstrings()` reads the `.py` files under the
running interpreter's standard library (`sysconfig.get_paths()["stdlib"]`) in sorted order, extracts the
module, class and function docstrings with `ast` in source order, drops exact repeats and separator lines, keeps
printable ASCII and joins them with blank lines. The same interpreter always gives the same text.
`load_corpus()` caches it under the course's data folder ($COURSE_DATA_DIR, else ~/.cache/course_lib), keyed by
the Python version.
"""

from __future__ import annotations

import ast
import hashlib
import os
import string
import sys
import sysconfig
from pathlib import Path

# Left out: tests (test data, deliberately odd code), third-party packages, and boilerplate that would teach a
# model to recite: the codec tables of `encodings/` (a hundred near-identical docstrings) and `turtle.py` (some
# sixty docstrings end with the same "Example (for a Turtle instance named turtle): ..." block).
SKIP_DIRS = frozenset({"site-packages", "dist-packages", "test", "tests", "__pycache__", "idle_test", "encodings",
                       "turtledemo"})
SKIP_FILES = frozenset({"turtle.py"})
ALLOWED = frozenset(string.printable) - set("\t\r\x0b\x0c")
MIN_CHARS = 1_000_000
CORPUS_VERSION = 3  # bump when the extraction rules change (the cache key includes it)


def stdlib_root() -> Path:
    """The running interpreter's standard-library folder."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_files(root: str | Path | None = None) -> list[Path]:
    """Every `.py` file under `root` outside SKIP_DIRS, sorted by relative path (deterministic)."""
    root = Path(root) if root is not None else stdlib_root()
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        files += [Path(folder) / n for n in names if n.endswith(".py") and n not in SKIP_FILES]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _docstrings(node):
    """Docstrings of a module and of the classes and functions in it, in source order (cleaned)."""
    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        doc = ast.get_docstring(node, clean=True)
        if doc:
            yield doc
    for child in getattr(node, "body", []):
        if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _docstrings(child)


def _is_rule(line: str) -> bool:
    """A separator, reST underline or table border: one punctuation character repeated, possibly in several
    groups separated by spaces (e.g. '-----', '===== ======')."""
    s = line.replace(" ", "")
    return len(s) >= 4 and len(set(s)) == 1 and not s[0].isalnum()


def clean_text(text: str) -> str:
    """Tabs become four spaces; characters outside printable ASCII (and newline) are dropped; separator lines
    ('-----', '=====', …) are removed, since a model would learn to copy their long runs of one character."""
    text = "".join(c for c in text.replace("\t", "    ") if c in ALLOWED)
    return "\n".join(line for line in text.split("\n") if not _is_rule(line))


def stdlib_docstrings(root: str | Path | None = None, max_chars: int | None = None) -> str:
    """The standard library's docstrings, one after the other, separated by a blank line.

    Files that do not parse are skipped. If the docstrings give less than MIN_CHARS (a stripped Python), the
    source text of the same files is appended until there is enough. `max_chars` cuts the result at a
    docstring boundary.
    """
    files = stdlib_files(root)
    seen: set[str] = set()
    parts: list[str] = []
    total = 0
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
            continue
        for doc in _docstrings(tree):
            doc = clean_text(doc).strip()
            if not doc or doc in seen:
                continue
            seen.add(doc)
            parts.append(doc)
            total += len(doc) + 2
            if max_chars is not None and total >= max_chars:
                return "\n\n".join(parts)[:max_chars]
    if total < MIN_CHARS:  # a stripped install: fall back on the source text itself
        for path in files:
            if total >= MIN_CHARS:
                break
            try:
                src = clean_text(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, OSError):
                continue
            parts.append(src)
            total += len(src) + 2
    text = "\n\n".join(parts)
    return text[:max_chars] if max_chars is not None else text


def corpus_cache_path() -> Path:
    """Where load_corpus keeps its copy: one file per Python version and extraction rules."""
    from course_lib.data.fashion_mnist import cache_dir

    key = f"{sys.implementation.name}{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
    where = hashlib.sha256(str(stdlib_root()).encode()).hexdigest()[:8]
    return cache_dir() / "corpus" / f"stdlib-docstrings-v{CORPUS_VERSION}-{key}-{where}.txt"


def load_corpus(cache: bool = True) -> str:
    """The standard-library docstring corpus, from the cache when it is there (else built, about 3 s)."""
    path = corpus_cache_path()
    if cache and path.exists():
        return path.read_text(encoding="utf-8")
    text = stdlib_docstrings()
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        except OSError:  # a read-only home: use the text without caching it
            pass
    return text
