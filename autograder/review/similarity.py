"""`course similarity hwNN SUBS [--out DIR]`: which submissions share code, per graded function.

For each submission and each graded function, the function's source plus the helper functions and classes it
calls (found by name in the same notebook, transitively) are tokenized with Python's tokenize module and
normalised: comments, docstrings and formatting disappear, every identifier that is not an attribute name, a
builtin or a module alias becomes `V`, every number `N` and every string `S`. The token stream is cut into k-grams
whose hashes are winnowed (Schleimer, Wilkerson & Aiken 2003, "Winnowing: local algorithms for document
fingerprinting": the minimum hash of every window of w consecutive k-gram hashes, so any match of at least
w + k - 1 tokens is guaranteed to be found). Fingerprints that also occur in the reference solution or in the
released stub of the same function are removed first: code everyone was given, or that matches the
reference, is never evidence. A pair's score for a function is |shared| / min(|A|, |B|) of the remaining
fingerprints (1.0: one copy contains the other); functions with fewer than MIN_FINGERPRINTS left are skipped.

Writes OUT/similarity.html (ranked pairs, then each top pair side by side with the shared lines marked) and
OUT/similarity.csv. It ranks; it does not accuse: short functions written from the same lecture look alike.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import html
import io
import keyword
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading.model import Homework

K = 5  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window
MIN_FINGERPRINTS = 4
KEEP_NAMES = set(dir(builtins)) | {"np", "numpy", "torch", "nn", "F", "math", "plt", "scipy", "self", "cls"}
SKIP_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass
class Fingerprints:
    """Winnowed k-gram hashes of one function (with its helpers) and the source lines each one covers."""

    source: str
    hashes: dict[int, set[int]] = field(default_factory=dict)  # hash -> line numbers (1-based) it spans

    def keys(self) -> set[int]:
        return set(self.hashes)


def normalise(source: str) -> list[tuple[str, int, int]]:
    """(token, first line, last line) with identifiers, numbers and strings replaced by placeholders."""
    out: list[tuple[str, int, int]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    docstrings = _docstring_lines(source)
    prev = ""
    for tok in tokens:
        if tok.type in SKIP_TOKENS:
            continue
        if tok.type == tokenize.STRING and tok.start[0] in docstrings:
            continue
        if tok.type == tokenize.NAME:
            if keyword.iskeyword(tok.string) or prev == "." or tok.string in KEEP_NAMES:
                text = tok.string
            else:
                text = "V"
        elif tok.type == tokenize.NUMBER:
            text = "N"
        elif tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_START", -1):
            text = "S"
        elif tok.type in (getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)):
            continue
        else:
            text = tok.string
        out.append((text, tok.start[0], tok.end[0]))
        prev = tok.string
    return out


def _docstring_lines(source: str) -> set[int]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                lines.add(first.lineno)
    return lines


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest(), "big")


def winnow(tokens: list[tuple[str, int, int]], k: int = K, w: int = WINDOW) -> dict[int, set[int]]:
    """Winnowing: in each window of w consecutive k-gram hashes keep the minimum (the rightmost on ties)."""
    grams = [(_hash(tuple(t for t, _, _ in tokens[i:i + k])), tokens[i][1], tokens[i + k - 1][2])
             for i in range(len(tokens) - k + 1)]
    picked: dict[int, set[int]] = {}
    if not grams:
        return picked
    if len(grams) < w:
        windows = [range(len(grams))]
    else:
        windows = [range(i, i + w) for i in range(len(grams) - w + 1)]
    last = -1
    for win in windows:
        j = min(win, key=lambda i: (grams[i][0], -i))
        if j != last:
            h, a, b = grams[j]
            picked.setdefault(h, set()).update(range(a, b + 1))
            last = j
    return picked


def definitions(nb: dict) -> dict[str, str]:
    """Top-level function and class sources of a notebook by name (imports and definitions only, as graded;
    a later definition wins)."""
    from course_lib.grading.notebook import code_cells, extract_source

    out: dict[str, str] = {}
    for index, src in code_cells(nb):
        chunks, _, _ = extract_source(src, f"cell {index + 1}")
        for _, text, _ in chunks:
            try:
                node = ast.parse(text).body[0]
            except (SyntaxError, IndexError, ValueError, RecursionError):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = text
    return out


def with_helpers(name: str, defs: dict[str, str]) -> str:
    """The source of `name` followed by the notebook's functions and classes it uses, transitively."""
    seen, order, todo = {name}, [name], [name]
    while todo:
        try:
            tree = ast.parse(defs[todo.pop()])
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in defs and node.id not in seen:
                seen.add(node.id)
                order.append(node.id)
                todo.append(node.id)
    return "\n\n".join(defs[n] for n in order)


def fingerprints(source: str) -> Fingerprints:
    return Fingerprints(source, winnow(normalise(source)))


@dataclass
class Pair:
    a: str
    b: str
    function: str
    score: float
    shared: int
    sizes: tuple[int, int]


def compare(hw: Homework, notebooks: dict[str, dict], excluded: list[dict]) -> tuple[list[Pair], dict]:
    """Ranked pairs (highest score first) over the graded functions, and the per-student fingerprints."""
    names = [e.name for e in hw.exercises]
    base: dict[str, set[int]] = {n: set() for n in names}
    for nb in excluded:
        defs = definitions(nb)
        for n in names:
            if n in defs:
                base[n] |= fingerprints(with_helpers(n, defs)).keys()
    prints: dict[str, dict[str, Fingerprints]] = {}
    for student, nb in notebooks.items():
        defs = definitions(nb)
        prints[student] = {}
        for n in names:
            if n in defs:
                fp = fingerprints(with_helpers(n, defs))
                fp.hashes = {h: lines for h, lines in fp.hashes.items() if h not in base[n]}
                prints[student][n] = fp
    pairs: list[Pair] = []
    students = sorted(prints)
    for i, a in enumerate(students):
        for b in students[i + 1:]:
            for n in names:
                fa, fb = prints[a].get(n), prints[b].get(n)
                if fa is None or fb is None:
                    continue
                ka, kb = fa.keys(), fb.keys()
                if min(len(ka), len(kb)) < MIN_FINGERPRINTS:
                    continue
                shared = len(ka & kb)
                pairs.append(Pair(a, b, n, shared / min(len(ka), len(kb)), shared, (len(ka), len(kb))))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.function, p.a, p.b))
    return pairs, prints


def _side(fp: Fingerprints, other: Fingerprints) -> str:
    shared_lines: set[int] = set()
    for h in fp.keys() & other.keys():
        shared_lines |= fp.hashes[h]
    rows = []
    for k, line in enumerate(fp.source.split("\n"), start=1):
        cls = ' class="shared"' if k in shared_lines else ""
        rows.append(f"<span{cls}>{html.escape(line) or ' '}</span>")
    return "<pre>" + "\n".join(rows) + "</pre>"


def report(hw: Homework, pairs: list[Pair], prints: dict, out: Path, top: int = 20) -> Path:
    """OUT/similarity.html and OUT/similarity.csv."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["rank", "student_a", "student_b", "function", "score", "shared", "fingerprints_a",
                    "fingerprints_b"])
        for r, p in enumerate(pairs, start=1):
            w.writerow([r, _cell(p.a), _cell(p.b), p.function, f"{p.score:.3f}", p.shared, *p.sizes])
    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{r}</td><td><a href='#p{r}'>{esc(p.a)}</a></td><td>{esc(p.b)}</td><td><code>{esc(p.function)}"
        f"</code></td><td>{p.score:.2f}</td><td>{p.shared}</td></tr>" for r, p in enumerate(pairs[:200], start=1))
    details = "\n".join(
        f"<h3 id='p{r}'>{r}. {esc(p.a)} / {esc(p.b)}: <code>{esc(p.function)}</code> ({p.score:.2f}, "
        f"{p.shared} shared fingerprints)</h3><div class='pair'>"
        f"<div><b>{esc(p.a)}</b>{_side(prints[p.a][p.function], prints[p.b][p.function])}</div>"
        f"<div><b>{esc(p.b)}</b>{_side(prints[p.b][p.function], prints[p.a][p.function])}</div></div>"
        for r, p in enumerate(pairs[:top], start=1))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Similarity: {esc(hw.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:2px 8px}} .pair{{display:flex;gap:1em}} .pair>div{{flex:1;min-width:0}} pre{{background:#f7f7f7;
padding:.5em;overflow-x:auto}} .shared{{background:#ffe08a}}</style></head><body>
<h1>Similarity: {esc(hw.name)}</h1>
<p>{len(pairs)} pairs of submissions × graded functions, highest first. Score = shared winnowed fingerprints /
fingerprints of the smaller function, after normalising names, literals, comments and formatting, with the
reference solution's and the released stub's fingerprints removed. Highlighted lines hold shared fingerprints.
A high score is a reason to look, not a finding: read the code.</p>
<table><tr><th>#</th><th>student</th><th>student</th><th>function</th><th>score</th><th>shared</th></tr>
{rows}</table>
<h2>Top {min(top, len(pairs))} side by side</h2>
{details}
</body></html>
"""
    path = out / "similarity.html"
    path.write_text(page, encoding="utf-8")
    return path


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def reference_notebooks(hw: Homework) -> list[dict]:
    """The solution and the released assignment notebooks: their code is never evidence."""
    from autograder.paths import assignments_dir, solution_notebook
    from course_lib.grading.notebook import read_notebook

    out = []
    for path in (solution_notebook(hw.name), assignments_dir() / f"{hw.name}.ipynb"):
        if path.exists():
            out.append(read_notebook(path))
    return out


def run(hw: Homework, submissions: str | Path, out: str | Path, top: int = 20) -> tuple[list[Pair], Path]:
    from autograder.grade.collect import collect_with_report
    from course_lib.grading.notebook import NotebookError, read_notebook

    col = collect_with_report(submissions)
    notebooks = {}
    try:
        for s in col.submissions:
            if s.path is None:
                continue
            try:
                notebooks[s.student] = read_notebook(s.path)
            except NotebookError:
                continue
    finally:
        if col.tmp is not None:
            col.tmp.cleanup()
    pairs, prints = compare(hw, notebooks, reference_notebooks(hw))
    return pairs, report(hw, pairs, prints, Path(out), top)
