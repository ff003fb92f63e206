"""Concept checks, the instructor side: questions with their plain answers, the keys shipped to students, and
the quiz as a Homework-like object that `course grade quizNN` grades.

    Number("07.1", 73856, rtol=0.0, atol=0.0)                 # a number, accepted within its tolerance
    Choice("07.2", "b", options=("a", "b", "c", "d"))          # one option label
    Expression("07.3", "C_in*k*k*C_out + C_out", variables=("C_in", "k", "C_out"))

The canonical forms, the safe evaluator and the key format live in `course_lib.grading.quiz` (the student side needs
them too); this module adds what must not be shipped: the answers, and the constant the salts and explanation
keys are derived from (so `course release` writes identical files every time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Iterator

from autograder.model import CaseResult, ExerciseResult, Submission, SubmissionResult, zero_result
from course_lib.grading.model import Exercise, Homework
from course_lib.grading.quiz import (
    ID_PATTERN,
    LITERAL,
    NOT_LITERAL,
    QuizError,
    b64,
    canonical,
    entry,
    evaluate,
    expression_canonical,
    keystream_xor,
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


@dataclass
class Number(_Question):
    """A number; accepted within max(atol, rtol·|value|) (rounded as the keys are: see course_lib.grading.quiz)."""

    id: str
    value: float
    rtol: float = 0.01
    atol: float = 0.0
    points: float = 1
    explanation: str = ""
    kind: ClassVar[str] = "number"

    def _tol(self) -> Decimal:
        v = to_decimal(self.value)
        return max(to_decimal(float(self.atol)), to_decimal(float(self.rtol)) * abs(v))

    def spec(self) -> dict:
        if self.rtol == 0 and self.atol == 0:
            return {"kind": self.kind, "mode": "x"}
        if self.rtol * abs(self.value) >= self.atol:
            # p significant digits: 5 to 500 roundings per side of the value
            return {"kind": self.kind, "mode": "r", "digits": int(math.ceil(math.log10(5 / self.rtol))) + 1}
        return {"kind": self.kind, "mode": "a", "exp": int(math.floor(math.log10(self.atol))) - 1}

    def accepted(self) -> list[str]:
        spec = self.spec()
        v = to_decimal(self.value)
        if spec["mode"] == "x":
            return [f"x{int(v)}"] if v == v.to_integral_value() else []
        tol = self._tol()
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


def keys_json(lecture: str, questions: list) -> str:
    """The shipped key file of one lecture: no plain answer, deterministic (salts and keys derived from ids)."""
    out = {}
    for q in questions:
        salt, key = salt_of(q.id), explanation_key(q.id)
        entries = {}
        for canon in q.accepted():
            ident, pad = entry(salt, canon)
            entries[b64(ident)] = b64(bytes(a ^ b for a, b in zip(key, pad)))
        spec = q.spec()
        spec.update(salt=b64(salt), points_max=q.points, entries=dict(sorted(entries.items())),
                    explanation=b64(keystream_xor(key, q.explanation.encode("utf-8"))))
        out[q.id] = spec
    doc = {"lecture": lecture, "format": 1,
           "about": "Concept-check keys (course release): salted hashes only, see course_lib/grading/quiz.py.",
           "questions": out}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- the quiz as a homework ---------------------------------------------------------------------------------------

QUIZ_KINDS = ("answer", "unanswered", "not literal")  # CaseResult.kind of a concept check


@dataclass
class Quiz(Homework):
    """A lecture's concept checks as an Assignment (autograder.model): one exercise per question (its id), graded
    from the literals written in the notebook's `answer(...)` calls, read as data (nothing runs). `exercises` may
    be a subset of the questions (--exercise)."""

    lecture: str = ""
    questions: list = field(default_factory=list)
    isolated: ClassVar[bool] = False  # no student code runs: no sandbox, no hidden cases, no seed

    def question(self, qid: str):
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def fingerprint(self) -> str:
        """sha256 of the plain answers and tolerances: a changed key regrades every submission."""
        data = [(type(q).__name__, q.id, repr(sorted((k, repr(v)) for k, v in vars(q).items()
                                                     if k != "explanation"))) for q in self.questions]
        return "quiz:" + hashlib.sha256(repr(data).encode()).hexdigest()

    def key_fingerprint(self, settings) -> str:
        return self.fingerprint

    def describe_isolation(self, settings) -> str:
        return "not needed (answers read from the notebook as data)"

    def only(self, exercise: str) -> Quiz:
        return replace(self, exercises=[e for e in self.exercises if e.name == exercise])

    def grade_sources(self, sources: list[str], student: str = "student") -> SubmissionResult:
        """A SubmissionResult from the code cells' sources: right, wrong, not answered or not a literal."""
        from course_lib.grading.quiz import read_answers

        problems: list[str] = []
        found = read_answers(sources, problems)
        res = SubmissionResult(student, self.name, warnings=problems[:10], seen=sorted(found))
        for ex in self.exercises:
            q = self.question(ex.name)
            how, value = found.get(q.id, ("none", None))
            pts = float(ex.points)
            if how == LITERAL:
                ok, why = q.check(value)
                msg = "" if ok else ("wrong answer" + (f" ({why})" if why else ""))
                case = CaseResult(0, False, ok, msg, None, "answer")
            elif how == NOT_LITERAL:
                msg = f"not a literal: write the answer as a literal in the call, e.g. answer(\"{q.id}\", 0.5)"
                case = CaseResult(0, False, False, msg, None, "not literal")
            else:
                msg = f"not answered (no answer(\"{q.id}\", …) with a value)"
                case = CaseResult(0, False, False, msg, None, "unanswered")
            res.exercises.append(ExerciseResult(q.id, pts if case.ok else 0.0, pts, [case]))
        return res

    def grade_file(self, path, student: str = "student") -> SubmissionResult:
        """Grade one notebook file (read as data, bounded; a NotebookError when it cannot be read)."""
        from course_lib.grading.notebook import code_cells, read_notebook

        return self.grade_sources([src for _, src in code_cells(read_notebook(path))], student)

    def grade_all(self, submissions: list[Submission], settings) -> Iterator[SubmissionResult]:
        """Each notebook read as data, one after the other (no worker, no sandbox)."""
        from autograder.grade.progress import progress_bar
        from course_lib.grading.notebook import NotebookError

        bar = progress_bar(len(submissions), settings.progress)
        for sub in submissions:
            try:
                if sub.path is None:
                    res = zero_result(self, sub.student, sub.problem)
                else:
                    res = self.grade_file(sub.path, sub.student)
                    if sub.problem:
                        res.warnings.insert(0, sub.problem)
            except NotebookError as exc:
                res = zero_result(self, sub.student, str(exc))
            except Exception as exc:  # noqa: BLE001 - one submission never stops the class
                res = zero_result(self, sub.student, f"could not be graded ({type(exc).__name__}: "
                                                     f"{str(exc)[:160]}); tell the instructor")
                res.grading_error = res.error
            bar.update(1)
            yield res
        bar.close()

    def guess(self, results: list[SubmissionResult]) -> str:
        """A warning when no graded notebook calls answer() for any question of this quiz."""
        ids = {q.id for q in self.questions}
        read = [r for r in results if not r.error]
        if not read or any(ids & set(r.seen) for r in read):
            return ""
        return (f"no submission calls answer() for a question of {self.name} (ids {self.lecture}.1, …): "
                f"are these lecture {self.lecture} notebooks?")


def make_quiz(name: str, lecture: str, questions: list) -> Quiz:
    exercises = [Exercise(q.id, float(q.points), []) for q in questions]
    return Quiz(name, exercises, lecture=lecture, questions=list(questions))
