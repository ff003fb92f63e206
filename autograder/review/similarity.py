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

Notebooks are read as grading reads them (course_lib.grading.notebook.extract: line endings normalised, the
same size limits). Definitions whose code runs strings (exec, eval, compile, __import__, import_module of a
computed name, …) are flagged, and functions defined in string literals of such a notebook are compared too.
Two submissions of one student (one owner: grade/ids.owner, e.g. two Canvas submissions of one user id) are
never paired. Pairs are ranked by their best function, then by all their functions together; each lists its
functions, so one copied pair takes one place, not one per function.

Writes OUT/similarity.html (ranked pairs, code that runs strings, then each top pair side by side with the shared
lines marked) and OUT/similarity.csv. It ranks; it does not accuse: short functions written from the same
lecture look alike.
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


def definitions(nb: dict, flags: list[str] | None = None) -> dict[str, str]:
    """Top-level function and class sources of a notebook by name (imports and definitions only, as graded;
    a later definition wins). When its definitions run strings, those places are added to `flags` and the
    functions defined in its string literals count too (where the code defines none of that name)."""
    from course_lib.grading.notebook import extract

    ex = extract(nb)
    out: dict[str, str] = {}
    trees = []
    for _, text, _ in ex.chunks:
        try:
            node = ast.parse(text).body[0]
        except (SyntaxError, IndexError, ValueError, RecursionError):
            continue
        trees.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = text
    if ex.runs_strings:
        if flags is not None:
            flags.extend(ex.runs_strings)
        for name, text in _string_definitions(trees).items():
            out.setdefault(name, text)
    return out


def _string_definitions(trees: list[ast.AST]) -> dict[str, str]:
    """Functions and classes defined by the code held in string literals (what exec would define)."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value):
                continue
            text = node.value.replace("\r\n", "\n").replace("\r", "\n")
            try:
                body = ast.parse(text).body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            for top in body:
                if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    out.setdefault(top.name, ast.get_source_segment(text, top) or "")
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


@dataclass
class RankedPair:
    """Two submissions and every graded function they were compared on, best first."""

    a: str
    b: str
    rows: list[Pair]

    @property
    def score(self) -> float:
        return self.rows[0].score

    def key(self) -> tuple:
        return (-self.score, -sum(p.score for p in self.rows), -sum(p.shared for p in self.rows), self.a, self.b)


def rank_pairs(pairs: list[Pair]) -> list[RankedPair]:
    """One entry per pair of submissions, ranked by its best function, then all its functions together."""
    by: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        by.setdefault((p.a, p.b), []).append(p)
    ranked = [RankedPair(a, b, sorted(rows, key=lambda p: (-p.score, -p.shared, p.function)))
              for (a, b), rows in by.items()]
    return sorted(ranked, key=RankedPair.key)


def compare(hw: Homework, notebooks: dict[str, dict], excluded: list[dict], owners: dict[str, str] | None = None,
            flags: dict[str, list[str]] | None = None, notes: list[str] | None = None) -> tuple[list[Pair], dict]:
    """(pair, function) rows (highest score first) over the graded functions, and the per-student fingerprints.
    Students with one owner (default: grade/ids.owner of the id) are never paired; `flags`, if given, gets the
    places where a student's definitions run strings, and `notes` the notebooks left out (above the size limits)."""
    from autograder.grade.ids import owner
    from course_lib.grading.notebook import NotebookError

    owners = owners or {s: owner(s) for s in notebooks}
    names = [e.name for e in hw.exercises]
    base: dict[str, set[int]] = {n: set() for n in names}
    for nb in excluded:
        defs = definitions(nb)
        for n in names:
            if n in defs:
                base[n] |= fingerprints(with_helpers(n, defs)).keys()
    prints: dict[str, dict[str, Fingerprints]] = {}
    for student, nb in notebooks.items():
        found: list[str] = []
        try:
            defs = definitions(nb, found)
        except NotebookError as exc:
            if notes is not None:
                notes.append(f"{student}: {exc}; not compared")
            continue
        if found and flags is not None:
            flags[student] = found
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
            if owners.get(a, a) == owners.get(b, b):
                continue
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


def report(hw: Homework, pairs: list[Pair], prints: dict, out: Path, top: int = 20,
           flags: dict[str, list[str]] | None = None) -> Path:
    """OUT/similarity.html and OUT/similarity.csv (one row per function of each pair, pairs in rank order)."""
    out.mkdir(parents=True, exist_ok=True)
    ranked = rank_pairs(pairs)
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["rank", "student_a", "student_b", "function", "score", "shared", "fingerprints_a",
                    "fingerprints_b"])
        for r, rp in enumerate(ranked, start=1):
            for p in rp.rows:
                w.writerow([r, _cell(p.a), _cell(p.b), p.function, f"{p.score:.3f}", p.shared, *p.sizes])
    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{r}</td><td><a href='#p{r}'>{esc(rp.a)}</a></td><td>{esc(rp.b)}</td><td>{rp.score:.2f}</td><td>"
        + ", ".join(f"<code>{esc(p.function)}</code> {p.score:.2f}" for p in rp.rows) + "</td></tr>"
        for r, rp in enumerate(ranked[:200], start=1))
    flagged = "\n".join(f"<li><b>{esc(st)}</b>: {esc('; '.join(where))}</li>"
                        for st, where in sorted((flags or {}).items()))
    details = "\n".join(
        f"<h3 id='p{r}'>{r}. {esc(rp.a)} / {esc(rp.b)} (best {rp.score:.2f})</h3>" + "".join(
            f"<h4><code>{esc(p.function)}</code> ({p.score:.2f}, {p.shared} shared fingerprints)</h4><div class='pair'>"
            f"<div><b>{esc(p.a)}</b>{_side(prints[p.a][p.function], prints[p.b][p.function])}</div>"
            f"<div><b>{esc(p.b)}</b>{_side(prints[p.b][p.function], prints[p.a][p.function])}</div></div>"
            for p in rp.rows)
        for r, rp in enumerate(ranked[:top], start=1))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Similarity: {esc(hw.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:2px 8px}} .pair{{display:flex;gap:1em}} .pair>div{{flex:1;min-width:0}} pre{{background:#f7f7f7;
padding:.5em;overflow-x:auto}} .shared{{background:#ffe08a}}</style></head><body>
<h1>Similarity: {esc(hw.name)}</h1>
<p>{len(ranked)} pairs of submissions ({len(pairs)} pair × graded function comparisons), best first; each pair lists
its functions. Score = shared winnowed fingerprints / fingerprints of the smaller function, after normalising names,
literals, comments and formatting, with the reference solution's and the released stub's fingerprints removed.
Two submissions of one student are never paired. Highlighted lines hold shared fingerprints. A high score is a
reason to look, not a finding: read the code.</p>
<table><tr><th>#</th><th>student</th><th>student</th><th>best</th><th>functions</th></tr>
{rows}</table>
<h2>Code that runs strings ({len(flags or {})})</h2>
<p>Definitions that run code held in strings (exec, eval, compile, __import__, import_module of a computed name, …)
hide that code from this comparison (functions defined in a string literal are compared where found): read them.
</p>
<ul>{flagged or "<li>none</li>"}</ul>
<h2>Top {min(top, len(ranked))} pairs side by side</h2>
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


@dataclass
class SimilarityRun:
    ranked: list[RankedPair]
    path: Path
    flags: dict[str, list[str]]  # student -> where their definitions run strings
    notes: list[str]  # collecting notes and notebooks that could not be read (instructor only)


def run(hw: Homework, submissions: str | Path, out: str | Path, top: int = 20) -> SimilarityRun:
    from autograder.grade.collect import collect_with_report
    from course_lib.grading.notebook import NotebookError, read_notebook

    notebooks, notes = {}, []
    with collect_with_report(submissions, hw.name, [e.name for e in hw.exercises]) as col:
        notes += col.report_lines()
        for s in col.submissions:
            if s.path is None:
                continue
            try:
                notebooks[s.student] = read_notebook(s.path)
            except NotebookError as exc:
                notes.append(f"{s.student}: {exc}; not compared")
    flags: dict[str, list[str]] = {}
    pairs, prints = compare(hw, notebooks, reference_notebooks(hw), flags=flags, notes=notes)
    path = report(hw, pairs, prints, Path(out), top, flags)
    return SimilarityRun(rank_pairs(pairs), path, flags, notes)
