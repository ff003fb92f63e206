"""No graded answer in what students receive: compare every graded reference body with every function students get.

A graded reference body is the body of a function (or of each method of a class) that a solution notebook defines
for an exercise. It is compared, after normalising, with every function and method in the lectures
(`notebooks/`), the assignments, and `course_lib/` (which holds the public cases). Normalising removes
docstrings, comments and formatting and renames every local name and argument by order of first use, so a
copy with other variable names still matches; attribute names (`np.maximum`, `.T`) and constants are kept.

A match is either the whole normalised body, or (for bodies of three statements or more) the reference's
statements appearing in a row inside a longer function, or a near-copy: most of what is distinctive in the reference
found in one function. For near-copies every statement (nested ones too, a compound statement without its body) is
canonicalised: every name is `_`, casts that do not change a value (`float(x)`, `int(x)`, `np.asarray(x, ...)`,
`np.array(x, dtype=...)`) are dropped, the signature is ignored (an extra parameter changes nothing). The score of a
function against a reference body is the share, weighted by size (AST nodes), of the reference's distinctive
statements that the function contains; a statement is distinctive when it has more than MIN_NODES nodes and occurs
in at most COMMON functions of the material (boilerplate such as `path.append(x.copy())` is not evidence). A score
of NEAR or more is a leak (tests/test_leaks.py holds the measurement that chose NEAR). `course release` and
`course release --check` run it.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from autograder.release.solution import BEGIN, is_marker, parse
from course_lib.grading.homework import all_homeworks
from course_lib.grading.model import Homework
from course_lib.grading.notebook import strip_magics

Body = tuple[str, ...]  # one normalised statement per entry

NEAR = 0.56  # a function holding this share (by weight) of a reference body's distinctive statements leaks it
COMMON = 3  # a statement found in more functions of the material than this is boilerplate, not evidence
MIN_NODES = 4  # statements of this many AST nodes or fewer (`x = y`, `return x`) are not evidence either
MIN_WEIGHT = 15  # reference bodies with less distinctive weight than this are compared exactly only
CASTS = frozenset({"float", "int", "asarray", "array", "asanyarray", "ascontiguousarray"})


@dataclass(frozen=True)
class Found:
    """One function or method of the student material, normalised."""

    where: str  # file:line name
    body: Body
    anonymous: Body
    items: tuple[str, ...] = ()  # canonical statements (near-copy comparison)


@dataclass(frozen=True)
class Leak:
    exercise: str  # hw04.linear_forward (or hw03.Value.backward)
    where: str
    score: float | None = None  # a near-copy's score (None: an exact match)

    def __str__(self) -> str:
        if self.score is None:
            return f"{self.exercise}: its reference body is in {self.where}"
        return f"{self.exercise}: a near-copy of its reference body (similarity {self.score:.2f}) is in {self.where}"


class _Rename(ast.NodeTransformer):
    """Every Name and argument renamed v0, v1, ... by first use (or all to `_` when anonymous); attributes,
    constants and the shape of the code kept."""

    def __init__(self, anonymous: bool = False) -> None:
        self.names: dict[str, str] = {}
        self.anonymous = anonymous

    def _new(self, name: str) -> str:
        return "_" if self.anonymous else self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self._new(node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._new(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):  # nested definitions: the name is local too
        node.name = self._new(node.name)
        node.returns = None
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self.visit(node.args)
        node.body = _strip_doc(node.body)
        node.body = [self.visit(s) for s in node.body]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


def _strip_doc(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def normalise(fn: ast.FunctionDef | ast.AsyncFunctionDef, anonymous: bool = False) -> Body:
    """The function's arguments and statements, renamed and dumped (docstring and annotations dropped).
    Anonymous: every name is `_`, so a run of statements compares equal wherever it sits in a longer body."""
    import copy

    fn = copy.deepcopy(fn)
    r = _Rename(anonymous)
    args = r.visit(fn.args)
    stmts = [r.visit(s) for s in _strip_doc(fn.body)]
    head = ast.dump(args, annotate_fields=False, include_attributes=False)
    return (head,) + tuple(ast.dump(s, annotate_fields=False, include_attributes=False) for s in stmts)


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _canon(node, skip: tuple[str, ...] = ()) -> tuple[str, int]:
    """(canonical text, AST nodes) of a node: every name `_`, value-preserving casts dropped, annotations, decorators
    and contexts left out; the fields in `skip` (a compound statement's bodies) are written empty."""
    if isinstance(node, ast.Name):
        return "Name", 1
    if isinstance(node, ast.arg):
        return "arg", 1
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in CASTS and len(node.args) == 1 and all(k.arg in ("dtype", "copy") for k in node.keywords):
            return _canon(node.args[0])
    parts, count = [], 1
    for field, value in ast.iter_fields(node):
        if field in skip or field in ("ctx", "annotation", "returns", "decorator_list", "type_comment", "name"):
            continue
        if isinstance(value, list):
            texts = []
            for v in value:
                t, c = _canon(v) if isinstance(v, ast.AST) else (repr(v), 0)
                texts.append(t)
                count += c
            parts.append("[" + ", ".join(texts) + "]")
        elif isinstance(value, ast.AST):
            t, c = _canon(value)
            parts.append(t)
            count += c
        else:
            parts.append(repr(value))
    return f"{type(node).__name__}({', '.join(parts)})", count


def canonical_items(body: list[ast.stmt]) -> list[tuple[str, int]]:
    """(canonical text, AST nodes) of every statement of `body`, nested ones included; a compound statement stands
    for its header only (the statements of its bodies are items of their own)."""
    out: list[tuple[str, int]] = []
    for stmt in _strip_doc(list(body)):
        out.append(_canon(stmt, _BODIES))
        for field in _BODIES:
            for part in getattr(stmt, field, None) or []:
                if isinstance(part, (ast.excepthandler, ast.match_case)):
                    out += canonical_items(part.body)
                elif isinstance(part, ast.stmt):
                    out += canonical_items([part])
    return out


def distinctive(items: list[tuple[str, int]], common: Counter | None = None) -> dict[str, int]:
    """The reference statements that count as evidence, with their weights: more than MIN_NODES nodes and found in
    at most COMMON functions of the material."""
    common = common or Counter()
    return {t: n for t, n in items if n > MIN_NODES and common[t] <= COMMON}


def near_copy_score(evidence: dict[str, int], candidate: set[str]) -> float | None:
    """The share (by weight) of a reference's distinctive statements (`distinctive`) found in a candidate's
    statements; None when the reference has less distinctive weight than MIN_WEIGHT (compared exactly only)."""
    total = sum(evidence.values())
    if total < MIN_WEIGHT:
        return None
    return sum(n for t, n in evidence.items() if t in candidate) / total


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) for every function and method, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node


def functions_in_source(src: str, label: str) -> list[Found]:
    try:
        tree = ast.parse(strip_magics(src))
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [Found(f"{label}:{node.lineno} {name}", normalise(node), normalise(node, anonymous=True),
                  tuple(t for t, _ in canonical_items(node.body))) for name, node in _functions(tree)]


def _cells(path: Path) -> list[tuple[int, str]]:
    """(index in the notebook, source) of every code cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for k, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append((k, "".join(src) if isinstance(src, list) else src))
    return out


def student_material(root: Path) -> list[Found]:
    """Every function and method students receive: lectures, assignments and course_lib."""
    found: list[Found] = []
    for folder in ("notebooks", "assignments"):
        for path in sorted((root / folder).glob("*.ipynb")):
            for k, src in _cells(path):
                found += functions_in_source(src, f"{path.relative_to(root)} cell {k}")
    for path in sorted((root / "course_lib").rglob("*.py")):
        found += functions_in_source(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return found


def graded_bodies(hw: Homework, solution: Path | None = None) -> dict[str, ast.FunctionDef]:
    """hw04.linear_forward -> its definition; a graded class gives one entry per method (hw03.Value.backward)."""
    parsed = parse(hw, solution)
    names = {e.name for e in hw.exercises}
    out: dict[str, ast.FunctionDef] = {}
    for sc in parsed.cells.values():
        lines = sc.source.split("\n")
        marked = {k + 1 for k, line in enumerate(lines) if is_marker(line, BEGIN)}

        def answered(node, marked=marked) -> bool:  # a solution block inside: given code is not an answer
            return any(node.lineno <= k <= node.end_lineno for k in marked)

        tree = ast.parse(strip_magics(sc.source))
        for node in tree.body:
            if getattr(node, "name", None) not in names:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and answered(node):
                out[f"{hw.short}.{node.name}"] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and answered(item):
                        out[f"{hw.short}.{node.name}.{item.name}"] = item
    return out


def _trivial(body: Body) -> bool:
    """Bodies too small to be an answer: `pass`, a lone `return self.x`-like line, a bare raise."""
    stmts = body[1:]
    if not stmts:
        return True
    if len(stmts) == 1:
        s = stmts[0]
        return s.startswith(("Pass(", "Raise(")) or s in ("Return(Name('v0', Load()))",) or \
            (s.startswith("Return(Attribute(Name('v0'") and s.count("(") <= 4)
    return False


def _contains(long: tuple, short: tuple) -> bool:
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1))


def boilerplate(material: list[Found]) -> Counter:
    """How many functions of the material hold each canonical statement (exact duplicates counted once)."""
    seen: set[Body] = set()
    counts: Counter = Counter()
    for f in material:
        if f.anonymous not in seen:
            seen.add(f.anonymous)
            counts.update(set(f.items))
    return counts


def leaks(root: Path, homeworks: list[Homework] | None = None, solutions: Path | None = None) -> list[Leak]:
    """Every graded reference body found in the student material under `root`: exactly, or as a near-copy."""
    material = student_material(root)
    common = boilerplate(material)
    sets = [set(f.items) for f in material]
    out = []
    for hw in homeworks or all_homeworks():
        sol = (solutions / f"{hw.name}.ipynb") if solutions else None
        for exercise, node in graded_bodies(hw, sol).items():
            body, stmts = normalise(node), normalise(node, anonymous=True)[1:]
            if _trivial(body):
                continue
            evidence = distinctive(canonical_items(node.body), common)
            for f, found in zip(material, sets):
                if f.body == body or (len(stmts) >= 3 and _contains(f.anonymous[1:], stmts)):
                    out.append(Leak(exercise, f.where))
                    continue
                score = near_copy_score(evidence, found)
                if score is not None and score >= NEAR:
                    out.append(Leak(exercise, f.where, round(score, 2)))
    return out
