"""Read notebooks safely and extract the definitions the grader runs (imports, functions, classes).

Grading is by name, not by cell: cells may be moved, copied or retyped. Demo code, training loops
and prints are skipped, so grading is fast and a stray `while True` in a demo cell costs nothing.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.solution import cell_source, strip_magics

KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotebookError(ValueError):
    """The file is not a readable notebook (one-line reason)."""


@dataclass
class Extracted:
    """Per code cell, the kept source (other lines blanked so line numbers stay right), plus warnings."""

    chunks: list[tuple[str, str]] = field(default_factory=list)  # (label, source)
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def read_notebook(path: str | Path) -> dict:
    """Load .ipynb JSON as a dict with a 'cells' list; raise NotebookError with one readable line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotebookError(f"{path.name}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) > 50 * 1024 * 1024:
        raise NotebookError(f"{path.name}: notebook is larger than 50 MB")
    try:
        nb = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"{path.name}: not a valid notebook (JSON error: {exc})") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path.name}: not a valid notebook (no list of cells)")
    return nb


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


def extract_source(src: str, label: str = "cell") -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Split one cell into kept top-level statements: ([(label, source)], warnings, names)."""
    clean = strip_magics(src)
    try:
        tree = ast.parse(clean)
    except SyntaxError as exc:
        return [], [f"{label}: syntax error on line {exc.lineno}: {exc.msg}; its definitions were skipped"], []
    except (ValueError, RecursionError, MemoryError) as exc:
        return [], [f"{label}: could not be parsed ({type(exc).__name__}); skipped"], []
    lines = clean.split("\n")
    chunks, names = [], []
    for node in tree.body:
        if not (isinstance(node, KEEP) or _is_constant_assign(node)):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = node.end_lineno or node.lineno
        body = ["" for _ in range(start - 1)] + lines[start - 1:end]
        chunks.append((label, "\n".join(body)))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets)
    return chunks, [], names


def extract(nb: dict) -> Extracted:
    """Definitions from every code cell, in notebook order (a later definition wins, as when run)."""
    out = Extracted()
    for index, src in code_cells(nb):
        chunks, warnings, names = extract_source(src, f"cell {index + 1}")
        out.chunks.extend(chunks)
        out.warnings.extend(warnings)
        out.names.extend(names)
    return out


def extract_file(path: str | Path) -> Extracted:
    return extract(read_notebook(path))
