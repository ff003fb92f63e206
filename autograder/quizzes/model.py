"""Concept checks, the instructor side: questions with their plain answers and the keys shipped to students (the
quiz that `course grade quizNN` grades is quizzes/assignment.py).

    Number("07.1", 73856, rtol=0.0, atol=0.0)                 # a number, accepted within its tolerance
    Choice("07.2", "b", options=("a", "b", "c", "d"))          # one option label
    Expression("07.3", "C_in*k*k*C_out + C_out", variables=("C_in", "k", "C_out"))

Each may list common wrong answers with a targeted hint, `wrong={73728: "one bias per filter?"}` (a number is
recognised within the question's tolerance, an expression by its values, a choice by its label); any other wrong
number or expression gets the generic patterns of course_lib.grading.quiz (sign, powers of ten, 2, the reciprocal).

The canonical forms, the safe evaluator and the key format live in `course_lib.grading.quiz` (the student side needs
them too); this module adds what must not be shipped: the answers, and the constant the salts and explanation
keys are derived from (so `course release` writes identical files every time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from course_lib.grading.quiz import (
    ID_PATTERN,
    QuizError,
    b64,
    canonical,
    entry,
    evaluate,
    expression_canonical,
    keystream_xor,
    number_canonical,
    parse_expression,
    significant,
    to_decimal,
)

# Salts and explanation keys are HMACs of the question id under this constant: deterministic keys, and nothing
# a student can derive from the shipped files alone.
COURSE_SECRET = b"deep-learning-basics/concept-checks/v1"
N_POINTS = 5  # sample points of an expression
MAX_ENTRIES = 2000  # accepted roundings of one number


def _mac(label: str, qid: str) -> bytes:
    return hmac.new(COURSE_SECRET, f"{label}|{qid}".encode(), hashlib.sha256).digest()


def salt_of(qid: str) -> bytes:
    return _mac("salt", qid)[:16]


def explanation_key(qid: str) -> bytes:
    return _mac("explanation", qid)[:16]


def hint_key(qid: str, i: int) -> bytes:
    """The key of the i-th listed wrong answer's hint of a question (15 bytes: with its index, one pad)."""
    return _mac(f"hint{i}", qid)[:15]


class _Question:
    """What every kind shares: id, points, explanation; `spec()` (public), `accepted()` (canonical strings)."""

    kind: ClassVar[str] = ""
    id: str
    points: float
    explanation: str

    def spec(self) -> dict:
        return {"kind": self.kind}

    def accepted(self) -> list[str]:
        raise NotImplementedError

    def check(self, value) -> tuple[bool, str]:
        """(right, note) for a value read from a notebook; note says why an unreadable value is wrong."""
        try:
            return canonical(self.spec(), value) in set(self.accepted()), ""
        except QuizError as exc:
            return False, str(exc)

    def wrong_accepted(self) -> list[tuple[str, str]]:
        """(canonical form, hint) of every listed wrong answer (`wrong`); where the tolerance bands of a wrong and the
        right answer touch, the right answer wins."""
        right = set(self.accepted())
        return [(c, hint) for value, hint in getattr(self, "wrong", {}).items() for c in self._canonicals(value)
                if c not in right]

    def _canonicals(self, value) -> list[str]:
        return [canonical(self.spec(), value)]

    def hint(self, value) -> str:
        """What the student sees for a wrong `value`: the targeted or generic hint the shipped keys give ("" when
        none applies), computed from the same keys (course_lib.grading.quiz.judge_answer)."""
        from course_lib.grading.quiz import judge_answer

        spec = json.loads(keys_json(self.id[:2], [self]))["questions"][self.id]
        return judge_answer(self.id, spec, value).hint

    def plain(self) -> list:
        """The plain answer's forms (for the test that none of them is shipped)."""
        raise NotImplementedError

    def validate(self) -> None:
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise ValueError(f"{self.id!r}: question ids look like \"07.2\"")
        if not (isinstance(self.points, (int, float)) and self.points > 0):
            raise ValueError(f"{self.id}: points must be a positive number")
        if not self.accepted():
            raise ValueError(f"{self.id}: no answer is accepted")
        right = set(self.accepted())
        for value, hint in getattr(self, "wrong", {}).items():
            if not isinstance(hint, str) or not hint.strip():
                raise ValueError(f"{self.id}: the wrong answer {value!r} needs a hint")
            if canonical(self.spec(), value) in right:
                raise ValueError(f"{self.id}: the wrong answer {value!r} is accepted as right")
            if any(str(p) in hint for p in self.plain() if len(str(p)) > 1):
                raise ValueError(f"{self.id}: the hint for {value!r} gives the answer away")


@dataclass
class Number(_Question):
    """A number; accepted within max(atol, rtol·|value|) (rounded as the keys are: see course_lib.grading.quiz)."""

    id: str
    value: float
    rtol: float = 0.01
    atol: float = 0.0
    points: float = 1
    explanation: str = ""
    wrong: dict = field(default_factory=dict)  # a common wrong number -> its hint (same tolerance as the answer)
    practice: bool = False  # a practice check: instant feedback, never graded (see keys_json's `sealed`)
    kind: ClassVar[str] = "number"

    def spec(self) -> dict:
        if self.rtol == 0 and self.atol == 0:
            return {"kind": self.kind, "mode": "x"}
        if self.rtol * abs(self.value) >= self.atol:
            # p significant digits: 5 to 500 roundings per side of the value
            return {"kind": self.kind, "mode": "r", "digits": int(math.ceil(math.log10(5 / self.rtol))) + 1}
        return {"kind": self.kind, "mode": "a", "exp": int(math.floor(math.log10(self.atol))) - 1}

    def accepted(self) -> list[str]:
        return self._roundings(self.value)

    def _canonicals(self, value) -> list[str]:
        return self._roundings(value)

    def _roundings(self, value) -> list[str]:
        """Every canonical form (under this question's spec) of a number within the tolerance of `value`: the
        answer's tolerance for the answer, the same relative (or absolute) tolerance for a listed wrong one."""
        spec = self.spec()
        v = to_decimal(value)
        if spec["mode"] == "x":
            return [f"x{int(v)}"] if v == v.to_integral_value() else []
        tol = max(to_decimal(float(self.atol)), to_decimal(float(self.rtol)) * abs(v))
        if tol == 0:
            return [number_canonical(value, spec)]
        lo, hi = v - tol, v + tol
        out: list[str] = []
        if spec["mode"] == "a":
            k = spec["exp"]
            step = Decimal(1).scaleb(k)
            n0 = int((lo / step).to_integral_value(rounding="ROUND_CEILING"))
            n1 = int((hi / step).to_integral_value(rounding="ROUND_FLOOR"))
            if n1 - n0 + 1 > MAX_ENTRIES:
                raise ValueError(f"{self.id}: the tolerance accepts too many roundings")
            return [f"a{n}e{k}" for n in range(n0, n1 + 1)]
        p = spec["digits"]
        if lo <= 0 <= hi:
            raise ValueError(f"{self.id}: a relative tolerance of 100% or more; give atol instead")
        sign = 1 if v > 0 else -1
        a, b = (lo, hi) if sign > 0 else (-hi, -lo)
        m, e = significant(a, p)
        if Decimal(m).scaleb(e) < a:
            m += 1
        while True:
            if m >= 10 ** p:
                m, e = 10 ** (p - 1), e + 1
            if Decimal(m).scaleb(e) > b:
                break
            out.append(f"r{sign * m}e{e}")
            m += 1
            if len(out) > MAX_ENTRIES:
                raise ValueError(f"{self.id}: the tolerance accepts too many roundings")
        return out

    def plain(self) -> list:
        return [self.value]

    def validate(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise ValueError(f"{self.id}: the value must be a finite number")
        for w in self.wrong:
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
                raise ValueError(f"{self.id}: the wrong answer {w!r} must be a finite number")
        if self.rtol < 0 or self.atol < 0 or self.rtol >= 1:
            raise ValueError(f"{self.id}: need 0 <= rtol < 1 and atol >= 0")
        if self.rtol == 0 and self.atol == 0 and not float(self.value).is_integer():
            raise ValueError(f"{self.id}: an exact answer must be an integer; give a tolerance")
        super().validate()


@dataclass
class Choice(_Question):
    """One option label ("b"); the options' texts are in the lecture's markdown as "(a) … (b) …"."""

    id: str
    answer: str
    options: tuple = ("a", "b", "c", "d")
    points: float = 1
    explanation: str = ""
    wrong: dict = field(default_factory=dict)  # an option label -> the hint for choosing it
    practice: bool = False  # a practice check: instant feedback, never graded (see keys_json's `sealed`)
    kind: ClassVar[str] = "choice"

    def spec(self) -> dict:
        return {"kind": self.kind, "options": [str(o).lower() for o in self.options]}

    def accepted(self) -> list[str]:
        return [canonical(self.spec(), self.answer)]

    def plain(self) -> list:
        return [self.answer]

    def validate(self) -> None:
        if str(self.answer).lower() not in [str(o).lower() for o in self.options]:
            raise ValueError(f"{self.id}: the answer {self.answer!r} is not one of the options")
        super().validate()


def sample_points(qid: str, variables: tuple) -> list[dict]:
    """N_POINTS fixed points, each variable n/13 with 14 <= n <= 90 and n not a multiple of 13 (never an
    integer, so factors like (mu - 1) or (k - 2) do not vanish), derived from the id."""
    out = []
    for j in range(N_POINTS):
        point = {}
        for var in variables:
            raw = _mac(f"point|{j}|{var}", qid)
            n = 14 + int.from_bytes(raw[:4], "big") % 77
            if n % 13 == 0:
                n += 1
            point[var] = f"{n}/13"
        out.append(point)
    return out


@dataclass
class Expression(_Question):
    """A short arithmetic expression in the named variables; accepted when it agrees with the answer at fixed
    sample points (values rounded to 9 significant digits)."""

    id: str
    answer: str
    variables: tuple = ()
    points: float = 1
    explanation: str = ""
    wrong: dict = field(default_factory=dict)  # a common wrong expression -> its hint (recognised by its values)
    practice: bool = False  # a practice check: instant feedback, never graded (see keys_json's `sealed`)
    kind: ClassVar[str] = "expression"

    def spec(self) -> dict:
        return {"kind": self.kind, "variables": list(self.variables),
                "sample": sample_points(self.id, tuple(self.variables))}

    def accepted(self) -> list[str]:
        return [expression_canonical(self.answer, self.variables, self.spec()["sample"])]

    def plain(self) -> list:
        return [self.answer]

    def validate(self) -> None:
        tree = parse_expression(self.answer, tuple(self.variables))
        for p in self.spec()["sample"]:
            if evaluate(tree, {k: Fraction(v) for k, v in p.items()}) is None:
                raise ValueError(f"{self.id}: the answer has no value at the sample point {p}")
        super().validate()


Question = Number | Choice | Expression


def keys_json(lecture: str, questions: list, sealed: bool = False) -> str:
    """The shipped key file of one lecture: no plain answer, deterministic (salts and keys derived from ids). In a
    sealed lecture a graded question ships its public spec only (what makes an answer well-formed): no salted
    answers, hints or explanation, so nothing in the notebook can tell a right answer; practice checks ship keys."""
    out = {}
    for q in questions:
        if sealed and not q.practice:
            out[q.id] = {**q.spec(), "points_max": q.points, "sealed": True}
            continue
        salt, key = salt_of(q.id), explanation_key(q.id)
        entries = {}
        for canon in q.accepted():
            ident, pad = entry(salt, canon)
            entries[b64(ident)] = b64(bytes(a ^ b for a, b in zip(key, pad)))
        wrong, hints = {}, []
        for canon, hint in q.wrong_accepted():  # a hint opens only with its own wrong answer
            if hint not in hints:
                hints.append(hint)
            i = hints.index(hint)
            ident, pad = entry(salt, canon)
            wrong[b64(ident)] = b64(bytes(a ^ b for a, b in zip(bytes([i]) + hint_key(q.id, i), pad)))
        spec = q.spec()
        spec.update(salt=b64(salt), points_max=q.points, entries=dict(sorted(entries.items())),
                    explanation=b64(keystream_xor(key, q.explanation.encode("utf-8"))))
        if wrong:
            spec["wrong"] = dict(sorted(wrong.items()))
            spec["hints"] = [b64(keystream_xor(hint_key(q.id, i), h.encode("utf-8"))) for i, h in enumerate(hints)]
        out[q.id] = spec
    doc = {"lecture": lecture, "format": 2,
           "about": "Concept-check keys (course release): salted hashes only, see course_lib/grading/quiz.py.",
           "questions": out}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
