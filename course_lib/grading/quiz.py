"""Concept checks in the lecture notebooks: `answer("07.2", "b")` says at once whether an answer is right.

It works offline against `course_lib/quiz_keys/lectureNN.json` (written by `course release`), which holds no
plain answer: per question a salt, and for every canonical form of an accepted answer the first 12 bytes of
HMAC-SHA256(salt, canonical) (the lookup id) and the explanation key XOR its last 16 (the pad). The explanation is
XOR-encrypted with a SHA-256 keystream of that key, so it opens only with a right answer.

Wrong answers teach too. A question may list common wrong answers, each with a targeted hint ("did you forget the
biases?"): the keys hold, under "wrong", the lookup id of every canonical form of each (accepted roundings, as for
the right answer) and, XOR the pad, the index and key of its hint; each hint is stored once
(under "hints"), encrypted with its own key, so a hint opens only for the wrong answer it belongs to and neither
names the right one. Any other wrong number is checked against generic patterns
(NUMBER_PATTERNS: the sign, a factor 10, 100, 1000 or 2, the reciprocal; expressions: the sign, 2, the reciprocal)
by hashing the transformed answer (−x, x/10, …) and looking it up among the right answer's ids: nothing more is
shipped for them, and what they reveal (the answer is −x) is what the student already holds up to that pattern.

Canonical forms (the same code canonicalises on the grading side, from the plain answers):
- number: rounded to `digits` significant digits ("r"), or to a multiple of 10^exp ("a"), or an exact integer
  ("x"); the keys list every rounding inside the tolerance, so an answer counts when it is inside the tolerance
  (up to half a rounding step at its edges);
- choice: the option label, lower case, without spaces and brackets ("(B)" -> "b");
- expression: its values at fixed sample points (exact rational arithmetic where possible), each rounded to 9
  significant digits, so "2*B*T*d" and "d*T*B*2" agree.

A number can be searched for by trying values, as with any self-check: the keys keep the answer from being
read, not from being guessed. The grader (`course grade quizNN`) reads the literal written in each
`answer(...)` call from the notebook's source (`read_answers`); it never runs the notebook.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import math
import numbers
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

KEYS_DIR = Path(__file__).resolve().parent.parent / "quiz_keys"
EXPRESSION_DIGITS = 9  # significant digits of an expression's value at a sample point
MAX_EXPRESSION_CHARS = 300
MAX_NODES = 80
MAX_EXPONENT = 64  # |constant exponent| allowed in **
MAX_BITS = 4096  # numerator/denominator size of an exact intermediate value
ID_PATTERN = re.compile(r"^(\d\d)\.(\d{1,3})$")


class QuizError(ValueError):
    """An answer that cannot be read as the question asks (one-line reason, never the right answer)."""


# -- safe arithmetic ---------------------------------------------------------------------------------------------

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def parse_expression(text: str, variables: tuple[str, ...] | list[str] = ()) -> ast.AST:
    """Parse a short arithmetic expression: numbers, the given names, + - * / **, unary minus, parentheses.

    The exponent of ** must be made of numbers only (2**-1, x**(1/3)) and is at most 64 in size when it is
    evaluated, before the power is taken; the text is at most 300 characters and 80 nodes. Anything else raises
    QuizError."""
    if not isinstance(text, str):
        raise QuizError("an expression must be a string, e.g. \"2*B*T*d\"")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise QuizError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise QuizError("not a valid expression (use numbers, the names, + - * / ** and parentheses)") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise QuizError(f"the expression is too long (more than {MAX_NODES} parts)")
    allowed = set(variables)
    for node in nodes:
        if isinstance(node, (ast.Expression, ast.Load)) or isinstance(node, _BINOPS + (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINOPS):
                raise QuizError("only + - * / ** are allowed")
            if isinstance(node.op, ast.Pow) and any(isinstance(n, ast.Name) for n in ast.walk(node.right)):
                raise QuizError("the exponent of ** must be a number, e.g. x**2 or x**(1/3)")
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise QuizError("numbers must be finite")
            continue
        if isinstance(node, ast.Name):
            if node.id not in allowed:
                names = ", ".join(variables) if variables else "none"
                raise QuizError(f"unknown name {node.id[:20]!r} (names allowed here: {names})")
            continue
        raise QuizError("not an arithmetic expression (use numbers, the names, + - * / ** and parentheses)")
    return tree


class _Undefined(ArithmeticError):
    """Division by zero, a complex or infinite value: the expression has no value at this point."""


def _check_size(v):
    if isinstance(v, Fraction):
        if v.numerator.bit_length() > MAX_BITS or v.denominator.bit_length() > MAX_BITS:
            raise QuizError("the expression's numbers grow too large")
    elif not math.isfinite(v):
        raise _Undefined
    return v


def _eval(node: ast.AST, env: dict):
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return Fraction(node.value) if isinstance(node.value, int) else Fraction(repr(node.value))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    a = _eval(node.left, env)
    op = node.op
    if isinstance(op, ast.Pow):
        e = _eval(node.right, {})  # numbers only (checked when parsed)
        if abs(e) > MAX_EXPONENT:
            raise QuizError(f"exponents are limited to {MAX_EXPONENT} in size")
        if float(e).is_integer():
            e = int(e)
            if isinstance(a, Fraction):
                size = max(a.numerator.bit_length(), a.denominator.bit_length())
                if size * abs(e) > MAX_BITS:
                    raise QuizError("the expression's numbers grow too large")
                if a == 0 and e < 0:
                    raise _Undefined
                return _check_size(a ** e)
        a, e = float(a), (e if isinstance(e, int) else float(e))
        if (a < 0 and not isinstance(e, int)) or (a == 0 and e < 0):
            raise _Undefined
        try:
            return _check_size(a ** e)
        except (OverflowError, ZeroDivisionError):
            raise _Undefined from None
    b = _eval(node.right, env)
    try:
        if isinstance(op, ast.Add):
            r = a + b
        elif isinstance(op, ast.Sub):
            r = a - b
        elif isinstance(op, ast.Mult):
            r = a * b
        else:
            if b == 0:
                raise _Undefined
            r = a / b
    except OverflowError:
        raise _Undefined from None
    return _check_size(r)


def evaluate(tree: ast.AST, env: dict | None = None):
    """The value of a parsed expression at `env` (name -> Fraction): a Fraction when exact, else a float;
    None where it is undefined (division by zero, a negative base under a fractional power, overflow)."""
    try:
        return _eval(tree, env or {})
    except _Undefined:
        return None
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        if isinstance(exc, QuizError):
            raise
        return None


# -- canonical forms ------------------------------------------------------------------------------------------------

_CTX = Context(prec=60)


def to_decimal(x) -> Decimal:
    """An int, float or Fraction as a Decimal (a float by its shortest repr, so 0.1 is 0.1)."""
    if isinstance(x, bool):
        raise QuizError("expected a number, not True/False")
    if isinstance(x, int):
        return Decimal(x)
    if isinstance(x, Fraction):
        return _CTX.divide(Decimal(x.numerator), Decimal(x.denominator))
    if isinstance(x, numbers.Integral):  # e.g. numpy.int64
        return Decimal(int(x))
    if isinstance(x, (float, numbers.Real)):  # float, numpy.float32 ...
        x = float(x)
        if not math.isfinite(x):
            raise QuizError("expected a finite number")
        return Decimal(repr(x))
    raise QuizError("expected a number")


def significant(d: Decimal, digits: int) -> tuple[int, int]:
    """(M, E) with d ≈ M·10^E, |M| of exactly `digits` digits (round half even); (0, 0) for zero."""
    if d == 0:
        return 0, 0
    e = d.adjusted() - digits + 1
    m = int(d.scaleb(-e, _CTX).quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_CTX))
    if abs(m) >= 10 ** digits:
        m, e = m // 10 if m > 0 else -((-m) // 10), e + 1
    return m, e


def number_canonical(x, spec: dict) -> str:
    """The canonical string of a number under a number question's public spec (mode r, a or x)."""
    d = to_decimal(x)
    mode = spec["mode"]
    if mode == "r":
        m, e = significant(d, int(spec["digits"]))
        return f"r{m}e{e}"
    if mode == "a":
        k = int(spec["exp"])
        n = int(d.scaleb(-k, _CTX).quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_CTX))
        return f"a{n}e{k}"
    if d == d.to_integral_value():
        return f"x{int(d)}"
    return f"x{d.normalize()}"


def choice_canonical(label) -> str:
    """An option label, normalised: lower case, no spaces, no brackets or final dot ("(B)" -> "b")."""
    if not isinstance(label, str):
        raise QuizError("expected an option label as a string, e.g. \"b\"")
    if len(label) > 40:
        raise QuizError("expected a short option label, e.g. \"b\"")
    return "c" + re.sub(r"[\s().\]\[]", "", label).lower()


def point_values(point: dict) -> dict:
    """A stored sample point {"B": "27/13", ...} as Fractions."""
    return {k: Fraction(v) for k, v in point.items()}


def value_canonical(v) -> str:
    if v is None:
        return "undefined"
    m, e = significant(to_decimal(v), EXPRESSION_DIGITS)
    return f"{m}e{e}"


def expression_values(text, variables, points: list[dict]) -> list:
    """The values of an expression at the sample points (a Fraction where exact, a float, or None)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text)
    tree = parse_expression(text, tuple(variables))
    return [evaluate(tree, point_values(p)) for p in points]


def expression_canonical(text, variables, points: list[dict]) -> str:
    """The values of an expression at the sample points, each rounded to 9 significant digits."""
    return "e" + ";".join(value_canonical(v) for v in expression_values(text, variables, points))


def canonical(spec: dict, value) -> str:
    """The canonical string of `value` for a question's public spec; QuizError when it cannot be read (a number
    too large to compare, 1e61 say, included)."""
    try:
        return _canonical(spec, value)
    except (ArithmeticError, ValueError, RecursionError) as exc:  # decimal.InvalidOperation is an ArithmeticError
        if isinstance(exc, QuizError):
            raise
        raise QuizError("this value cannot be compared (too large or malformed)") from None


def _canonical(spec: dict, value) -> str:
    kind = spec["kind"]
    if kind == "number":
        if isinstance(value, str):  # "9/11" or "1e-3": arithmetic without names
            v = evaluate(parse_expression(value, ()))
            if v is None:
                raise QuizError("the expression has no value (division by zero?)")
            value = v
        return number_canonical(value, spec)
    if kind == "choice":
        c = choice_canonical(value)
        if c[1:] not in spec["options"]:
            raise QuizError(f"not one of the options ({', '.join(spec['options'])})")
        return c
    if kind == "expression":
        return expression_canonical(value, spec["variables"], spec["sample"])
    raise QuizError(f"unknown question kind {kind!r}")


# -- keys ---------------------------------------------------------------------------------------------------------

def entry(salt: bytes, canon: str) -> tuple[bytes, bytes]:
    """(lookup id, pad) from HMAC-SHA256(salt, canonical): its first 12 bytes and its last 16."""
    mac = hmac.new(salt, canon.encode("utf-8"), hashlib.sha256).digest()
    return mac[:12], mac[16:]


def keystream_xor(key: bytes, data: bytes) -> bytes:
    """data XOR SHA-256(key ‖ counter) blocks (encrypts and decrypts)."""
    out = bytearray()
    for i in range(0, len(data), 32):
        block = hashlib.sha256(key + i.to_bytes(8, "big")).digest()
        out.extend(a ^ b for a, b in zip(data[i:i + 32], block))
    return bytes(out)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


@lru_cache(maxsize=16)
def load_keys(lecture: str) -> dict:
    path = KEYS_DIR / f"lecture{lecture}.json"
    if not path.exists():
        raise QuizError(f"no concept checks for lecture {lecture} here ({path.name} is missing; "
                        "the instructor runs `course release`)")
    return json.loads(path.read_text(encoding="utf-8"))


def lecture_of(qid: str) -> str:
    m = ID_PATTERN.match(qid) if isinstance(qid, str) else None
    if not m:
        raise QuizError(f"{str(qid)[:20]!r} is not a question id (they look like \"07.2\")")
    return m.group(1)


@dataclass
class Verdict:
    correct: bool | None  # None: not answered, or the answer could not be read
    message: str
    explanation: str = ""
    hint: str = ""  # for a wrong answer: what is wrong with it, when the keys know (targeted or a generic pattern)


# Generic patterns of a wrong number: (transform of the student's value, what it says when the transformed value is
# right). Each is checked by hashing the transformed value like any answer: nothing new is shipped for them.
NUMBER_PATTERNS: tuple[tuple[str, object, str], ...] = (
    ("sign", lambda f: -f, "the sign is wrong (the size is right)"),
    ("10x", lambda f: f / 10, "your answer is 10 times too large: a power of ten (units?)"),
    ("x/10", lambda f: f * 10, "your answer is 10 times too small: a power of ten (units?)"),
    ("100x", lambda f: f / 100, "your answer is 100 times too large: a percentage where a fraction is asked?"),
    ("x/100", lambda f: f * 100, "your answer is 100 times too small: a fraction where a percentage is asked?"),
    ("1000x", lambda f: f / 1000, "your answer is 1000 times too large: a unit prefix (k, M, G)?"),
    ("x/1000", lambda f: f * 1000, "your answer is 1000 times too small: a unit prefix (k, M, G)?"),
    ("2x", lambda f: f / 2, "your answer is twice the right one: a factor 2 (a ½ forgotten, or 2 FLOPs per "
                            "multiply-add counted twice)?"),
    ("x/2", lambda f: f * 2, "your answer is half the right one: a factor 2 (an extra ½, or multiply-adds "
                             "counted where FLOPs are asked)?"),
    ("1/x", lambda f: 1 / f, "your answer is the reciprocal of the right one: a ratio upside down?"),
)
# The same for an expression, applied to its value at every sample point.
EXPRESSION_PATTERNS: tuple[tuple[str, object, str], ...] = (
    ("sign", lambda f: -f, "the sign is wrong (everything else is right)"),
    ("2x", lambda f: f * Fraction(1, 2), "your expression is twice the right one: a factor 2 too many?"),
    ("x/2", lambda f: f * 2, "your expression is half the right one: a factor 2 missing?"),
    ("1/x", lambda f: 1 / f, "your expression is the reciprocal of the right one: a ratio upside down?"),
)


def _exact(v) -> Fraction:
    """A number read from an answer (int, float, Fraction, numpy scalar) as an exact Fraction."""
    if isinstance(v, Fraction):
        return v
    return Fraction(to_decimal(v))


def _lookup(spec: dict, canon: str) -> tuple[bytes, bytes, str | None, str | None]:
    """(id, pad, wrapped explanation key or None, encrypted wrong-answer hint or None) of a canonical form."""
    ident, pad = entry(unb64(spec["salt"]), canon)
    key = b64(ident)
    return ident, pad, spec["entries"].get(key), (spec.get("wrong") or {}).get(key)


def _listed_hint(spec: dict, pad: bytes, wrapped: str) -> str:
    """The hint of a listed wrong answer: its entry is (hint index ‖ hint key) XOR the pad."""
    plain = bytes(a ^ b for a, b in zip(unb64(wrapped), pad))
    hints = spec.get("hints") or []
    if len(plain) != 16 or plain[0] >= len(hints):
        return ""
    return keystream_xor(plain[1:], unb64(hints[plain[0]])).decode("utf-8", "replace")


def _pattern_hint(spec: dict, value, canon: str) -> str:
    """The generic pattern that makes a wrong answer right (its sign, a power of ten, 2, the reciprocal), found by
    hashing the transformed answer; "" when none does."""
    kind = spec["kind"]
    try:
        if kind == "number":
            f = _exact(evaluate(parse_expression(value, ())) if isinstance(value, str) else value)
            if f == 0 or _lookup(spec, number_canonical(0, spec))[2] is not None:
                return ""  # 0 has no sign and no scale: near an answer of 0, every small number is "x/1000"
            for _name, fn, text in NUMBER_PATTERNS:
                if _lookup(spec, number_canonical(fn(f), spec))[2] is not None:
                    return text
        elif kind == "expression":
            values = expression_values(value, spec["variables"], spec["sample"])
            if all(v is None or v == 0 for v in values):
                return ""
            for _name, fn, text in EXPRESSION_PATTERNS:
                moved = [None if v is None else (None if (v == 0 and _name == "1/x") else fn(_exact(v)))
                         for v in values]
                if _lookup(spec, "e" + ";".join(value_canonical(v) for v in moved))[2] is not None:
                    return text
    except (QuizError, ArithmeticError, ValueError, TypeError, OverflowError):
        return ""
    return ""


SEALED_NOTE = "this check is sealed: the answer and its explanation come with your grade"


def judge_answer(qid: str, spec: dict, value) -> Verdict:
    """Check `value` against one question's key `spec`: right (with the explanation), wrong (with a hint when a
    listed wrong answer or a generic pattern explains it), or unreadable. The grader calls it too. A sealed
    question's key holds no answer: the value is only checked to be well-formed and recorded."""
    if value is None:
        return Verdict(None, f"{qid}: not answered yet")
    try:
        canon = canonical(spec, value)
    except QuizError as exc:
        return Verdict(False, f"✗ {qid} not yet: {exc}")
    if spec.get("sealed"):
        return Verdict(None, f"✓ {qid} recorded: {value!r} ({SEALED_NOTE})")
    _ident, pad, wrapped, wrong = _lookup(spec, canon)
    if wrapped is None:
        hint = _listed_hint(spec, pad, wrong) if wrong is not None else _pattern_hint(spec, value, canon)
        if hint:
            return Verdict(False, f"✗ {qid} not yet: {hint}", hint=hint)
        why = {"number": "not within the tolerance", "choice": "not this option",
               "expression": "this expression does not agree with the answer"}.get(spec["kind"], "not right")
        return Verdict(False, f"✗ {qid} not yet: {why}. Reread the section and try again.")
    key = bytes(a ^ b for a, b in zip(unb64(wrapped), pad))
    text = keystream_xor(key, unb64(spec["explanation"])).decode("utf-8", "replace")
    return Verdict(True, f"✓ {qid} correct.", text)


def verdict(qid: str, value) -> Verdict:
    """Check `value` against question `qid`'s keys: right (with the explanation), wrong (with a hint when the keys
    know the mistake), or unreadable."""
    try:
        spec = load_keys(lecture_of(qid))["questions"].get(qid)
    except QuizError as exc:
        return Verdict(None, f"{qid}: {exc}")
    if spec is None:
        return Verdict(None, f"{qid}: no such question in this lecture")
    return judge_answer(qid, spec, value)


def answer(qid: str, value) -> None:
    """Check your answer to a concept check and print the verdict (and, when right, the explanation).

    Write the value as a literal in the call, e.g. answer("07.1", 73856), answer("07.2", "b"),
    answer("07.3", "C_in*k*k*C_out + C_out"): the grader reads what is written there."""
    v = verdict(qid, value)
    print(v.message)
    if v.correct and v.explanation:
        print(v.explanation)


# -- reading answers from a notebook's source (the grader's side; no code is run) ---------------------------------

NOT_LITERAL = "not a literal"
NONE = "none"
LITERAL = "literal"


def literal_value(node: ast.AST):
    """The value written in a call: a number, a string, None, or arithmetic on numbers (9/11); else raises
    QuizError (a name, a call, a list...)."""
    try:
        v = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        v = ast  # sentinel: not a plain literal
    if v is None or (type(v) in (int, float, str)):
        return v
    if v is ast:
        try:
            tree = parse_expression(ast.unparse(node)[:MAX_EXPRESSION_CHARS + 1], ())
        except (QuizError, RecursionError, ValueError):
            raise QuizError(NOT_LITERAL) from None
        r = evaluate(tree)
        if r is None:
            raise QuizError(NOT_LITERAL)
        try:
            return float(r)
        except OverflowError:  # larger than a float: kept exact
            return r
    raise QuizError(NOT_LITERAL)


def _is_answer_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "answer") or (isinstance(f, ast.Attribute) and f.attr == "answer")


_MAGIC = re.compile(r"^\s*[%!]")


def read_answers(sources: list[str], problems: list[str] | None = None) -> dict[str, tuple[str, object]]:
    """qid -> (LITERAL, value) | (NONE, None) | (NOT_LITERAL, None), from every `answer("NN.k", value)` call in
    the given code-cell sources, in order: the last call for an id wins. Cells that do not parse are skipped
    (and named in `problems`)."""
    found: dict[str, tuple[str, object]] = {}
    for k, src in enumerate(sources):
        if "answer" not in src:
            continue
        clean = "\n".join("" if _MAGIC.match(line) else line for line in src.split("\n"))
        try:
            tree = ast.parse(clean)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            if problems is not None:
                where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
                problems.append(f"code cell {k + 1} does not parse{where}; answers in it were not read")
            continue
        calls = sorted((n for n in ast.walk(tree) if _is_answer_call(n)), key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            args = list(call.args)
            kw = {k.arg: k.value for k in call.keywords if k.arg}
            qnode = args[0] if args else kw.get("qid")
            vnode = args[1] if len(args) > 1 else kw.get("value")
            if not (isinstance(qnode, ast.Constant) and isinstance(qnode.value, str)):
                continue
            if vnode is None:
                found[qnode.value] = (NONE, None)
                continue
            try:
                v = literal_value(vnode)
            except QuizError:
                found[qnode.value] = (NOT_LITERAL, None)
                continue
            found[qnode.value] = (NONE, None) if v is None else (LITERAL, v)
    return found
