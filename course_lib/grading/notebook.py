"""Read notebooks safely and extract the definitions the grader runs (imports, functions, classes).

Grading is by name, not by cell: cells may be moved, copied or retyped. Demo code, training loops
and prints are skipped, so grading is fast and a stray `while True` in a demo cell costs nothing.
The student's `course check` and the grader share this module. Extraction is linear in the notebook's size:
each kept statement is a slice of its cell plus the line it starts on (no padding), parsed once. Line endings
are Python's: `\r\n` and a lone `\r` end a line as `\n` does.

Size limits (far above any real notebook: the largest lecture has 49 cells, 25 code cells, 456 lines and 27 kB
of code): a file of at most MAX_NOTEBOOK_BYTES (outputs and images included), and in its code cells at most
MAX_CODE_CELLS cells, MAX_CODE_LINES lines and MAX_CODE_CHARS characters. Above them the notebook is refused
with a one-line NotebookError (the grader scores it 0 with that reason; the class goes on).
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


_MAGIC = re.compile(r"^\s*(%|!|\?)")


def strip_magics(src: str) -> str:
    """Blank every magic line (`%`, `!`, `?` at the start of a line: not Python), keeping line numbers."""
    return "\n".join("" if _MAGIC.match(line) else line for line in src.split("\n"))


def cell_source(cell: dict) -> str:
    """A cell's source as one string with `\n` line endings (nbformat stores a string or a list of lines; items
    that are not strings, and anything else, count as empty)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src.replace("\r\n", "\n").replace("\r", "\n") if isinstance(src, str) else ""


class NotebookError(ValueError):
    """The file is not a readable notebook (one-line reason)."""


Chunk = tuple  # (label, source, first_line): a kept top-level statement and the cell line it starts on


@dataclass
class Extracted:
    """The kept statements of every code cell in order, warnings (cells that do not parse), the names defined,
    and per cell that failed to parse the names it seems to define (for a "not defined: cell 9 has a syntax
    error" message)."""

    chunks: list[Chunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # name -> "cell 9 has a syntax error (line 3: ...)"
    runs_strings: list[str] = field(default_factory=list)  # "cell 7: exec, eval": kept code that runs strings


MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CODE_CELLS = 2_000
MAX_CODE_LINES = 20_000
MAX_CODE_CHARS = 1_000_000
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _file_kind(mode: int) -> str:
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return "not a regular file"


def _read_bounded(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes: links are not followed, nothing else is opened
    (a FIFO or device never blocks or streams), and the size is checked before reading."""
    name = _printable(path.name)
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise NotebookError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise NotebookError(f"{name}: cannot read ({_file_kind(st.st_mode)}, not a regular file)")
    if st.st_size > limit:
        raise NotebookError(f"{name}: notebook is larger than 50 MB")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotebookError(f"{name}: cannot read (a symbolic link, not a regular file)") from exc
        raise NotebookError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    try:
        st = os.fstat(fd)  # the file actually opened (it may have been swapped since the lstat)
        if not stat.S_ISREG(st.st_mode):
            raise NotebookError(f"{name}: cannot read ({_file_kind(st.st_mode)}, not a regular file)")
        if st.st_size > limit:
            raise NotebookError(f"{name}: notebook is larger than 50 MB")
        chunks, got = [], 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except BlockingIOError as exc:
        raise NotebookError(f"{name}: cannot read (not a regular file)") from exc
    except OSError as exc:
        raise NotebookError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    if got > limit:
        raise NotebookError(f"{name}: notebook is larger than 50 MB")
    return b"".join(chunks)


def read_notebook(path: str | Path) -> dict:
    """Load .ipynb JSON as a dict with a 'cells' list; raise NotebookError with one readable line.

    The file is read bounded and without following links; malformed JSON, numbers with too many digits,
    nesting too deep for the parser and running out of memory are all a NotebookError, never a crash.
    """
    path = Path(path)
    raw = _read_bounded(path)
    name = _printable(path.name)
    try:
        text = raw.decode("utf-8")
        del raw
        nb = json.loads(text)
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{name}: not a valid notebook (not UTF-8 text at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{name}: not a valid notebook (JSON error: {_one_line(str(exc))})") from exc
    except RecursionError as exc:
        raise NotebookError(f"{name}: not a valid notebook (JSON nested too deeply)") from exc
    except MemoryError as exc:
        raise NotebookError(f"{name}: not a valid notebook (too large to parse)") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        what = "a number with too many digits" if "digits" in str(exc) else _one_line(str(exc))[:200]
        raise NotebookError(f"{name}: not a valid notebook ({what})") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{name}: not a valid notebook (no list of cells)")
    return nb


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _printable(name: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in name)


def code_cells(nb: dict) -> list[tuple[int, str]]:
    """(index, source) of every code cell; cells of other types are ignored."""
    return [(i, cell_source(c)) for i, c in enumerate(nb["cells"])
            if isinstance(c, dict) and c.get("cell_type") == "code"]


def _is_constant_assign(node: ast.AST) -> bool:
    """`NAME = <literal>` (e.g. EPS = 1e-8) is kept: harmless and common in solutions."""
    if not isinstance(node, ast.Assign) or not all(isinstance(t, ast.Name) for t in node.targets):
        return False
    try:
        ast.literal_eval(node.value)
    except (ValueError, SyntaxError, TypeError, RecursionError):
        return False
    return True


_DEF_LINE = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def extract_source(src: str, label: str = "cell") -> tuple[list[Chunk], list[str], list[str]]:
    """Split one cell into kept top-level statements: ([(label, source, first_line)], warnings, names)."""
    chunks, warnings, names, _ = _extract_cell(src, label)
    return chunks, warnings, names


def _extract_cell(src: str, label: str) -> tuple[list[Chunk], list[str], list[str], list[str]]:
    """extract_source's three lists, and how the kept statements run code held in strings."""
    clean = strip_magics(src)
    try:
        tree = ast.parse(clean)
    except SyntaxError as exc:
        return [], [f"{label}: syntax error on line {exc.lineno}: {exc.msg}; its definitions were skipped"], [], []
    except (ValueError, RecursionError, MemoryError) as exc:
        return [], [f"{label}: could not be parsed ({type(exc).__name__}); skipped"], [], []
    lines = clean.split("\n")
    chunks, names, runs = [], [], []
    for node in tree.body:
        if not (isinstance(node, KEEP) or _is_constant_assign(node)):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = node.end_lineno or node.lineno
        chunks.append((label, "\n".join(lines[start - 1:end]), start))
        runs.extend(runs_strings(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets)
    return chunks, [], names, sorted(set(runs))


RUNS_STRINGS = frozenset({"exec", "eval", "compile", "__import__", "execfile", "__builtins__"})
_LOADERS = {("marshal", "loads"), ("pickle", "loads"), ("types", "FunctionType"), ("types", "CodeType")}


def runs_strings(node: ast.AST) -> list[str]:
    """How a statement can run code held in strings: any use of exec, eval, compile, __import__ or
    __builtins__ (not only a call), the builtins module, importlib's import_module of anything but a literal
    name, marshal/pickle loads, types.FunctionType/CodeType. Attribute calls such as `model.eval()` or
    `re.compile(...)` are not counted. For the instructor's review (similarity) and a note: never points."""
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in RUNS_STRINGS:
            found.append(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            if n.value.id in ("builtins", "__builtins__") or (n.value.id, n.attr) in _LOADERS:
                found.append(f"{n.value.id}.{n.attr}")
        elif isinstance(n, ast.Import) and any(a.name.split(".")[0] == "builtins" for a in n.names):
            found.append("import builtins")
        elif isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "builtins":
            found.append("from builtins import")
        elif isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")) == "import_module":
            first = n.args[0] if n.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                found.append("import_module of a computed name")
    return found


def compile_chunk(chunk: Chunk):
    """The code object of one kept statement, with the line numbers of its cell (tracebacks name the right line).

    Compiled from the source and then moved to its first line (every code object's line table is relative to its
    first line): several times faster than building, renumbering and compiling an AST, which matters in the sandbox,
    where every job compiles the submission afresh."""
    label, src, first = (tuple(chunk) + (1,))[:3]
    return _moved(compile(src, f"<{label}>", "exec"), int(first) - 1)


def _moved(code, by: int):
    if by == 0:
        return code
    consts = tuple(_moved(c, by) if isinstance(c, type(code)) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + by, co_consts=consts)


def check_size(cells: list[tuple[int, str]]) -> None:
    """Refuse code cells above the documented limits (NotebookError, one line)."""
    lines = chars = 0
    for _, src in cells:
        lines += src.count("\n") + 1
        chars += len(src)
    for what, n, limit in (("code cells", len(cells), MAX_CODE_CELLS), ("lines of code", lines, MAX_CODE_LINES),
                           ("characters of code", chars, MAX_CODE_CHARS)):
        if n > limit:
            raise NotebookError(f"the notebook is too large to grade: {n:,} {what} (the limit is {limit:,}); "
                                "keep demos and data out of code cells")


def extract(nb: dict) -> Extracted:
    """Definitions from every code cell, in notebook order (a later definition wins, as when run); a notebook
    above the size limits is a NotebookError."""
    out = Extracted()
    cells = code_cells(nb)
    check_size(cells)
    for index, src in cells:
        chunks, warnings, names, runs = _extract_cell(src, f"cell {index + 1}")
        out.chunks.extend(chunks)
        out.warnings.extend(warnings)
        out.names.extend(names)
        if runs:
            out.runs_strings.append(f"cell {index + 1}: {', '.join(runs)}")
        if warnings:  # the cell did not parse: remember which names it meant to define
            why = warnings[0].split(": ", 1)[1].split(";")[0]
            for name in _DEF_LINE.findall(strip_magics(src)):
                out.broken[name] = f"cell {index + 1} has a {why}" if why.startswith("syntax") else \
                    f"cell {index + 1} {why}"
    for name in out.names:  # defined after all (another cell): not broken
        out.broken.pop(name, None)
    if out.runs_strings:
        out.warnings.append(f"your definitions run code held in strings ({'; '.join(out.runs_strings[:3])}); "
                            "the instructor is told (no points are taken for it)")
    return out


def defined_names(nb: dict) -> set[str]:
    """Top-level function and class names of the code cells, read from their `def`/`class` lines (nothing is
    parsed: for choosing among a student's notebooks)."""
    return {name for _, src in code_cells(nb) for name in _DEF_LINE.findall(strip_magics(src))}


def extract_file(path: str | Path) -> Extracted:
    return extract(read_notebook(path))
