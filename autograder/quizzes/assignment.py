"""A lecture's concept checks as an Assignment (autograder.model): `course grade quizNN` reads the literal each
`answer("NN.k", ...)` call holds (nothing runs) and checks it against the plain answers of quizzes/model.py."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import ClassVar, Iterator

from autograder.model import CaseResult, ExerciseResult, Submission, SubmissionResult, zero_result
from course_lib.grading.model import Exercise, Homework
from course_lib.grading.quiz import LITERAL, NOT_LITERAL

QUIZ_KINDS = ("answer", "unanswered", "not literal")  # CaseResult.kind of a concept check


@dataclass
class Quiz(Homework):
    """A lecture's concept checks as an Assignment (autograder.model): one exercise per question (its id), graded
    from the literals written in the notebook's `answer(...)` calls, read as data (nothing runs). `exercises` may
    be a subset of the questions (--exercise)."""

    lecture: str = ""
    questions: list = field(default_factory=list)
    sealed: bool = False  # graded checks ship no key: the answer and explanation come with the grade
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
            try:  # each question on its own: an answer that cannot be read costs that question only
                case = self._case(q, *found.get(q.id, ("none", None)))
            except Exception as exc:  # noqa: BLE001
                case = CaseResult(0, False, False, f"the answer could not be read ({type(exc).__name__})", None,
                                  "not literal")
            note = f"answer: {q.plain()[0]}. {q.explanation}".strip() if self.sealed else ""
            res.exercises.append(ExerciseResult(q.id, float(ex.points) if case.ok else 0.0, float(ex.points),
                                                [case], note=note))
        return res

    def _case(self, q, how: str, value) -> CaseResult:
        if how == LITERAL:
            ok, why = q.check(value)
            hint = "" if ok or why or self.sealed else q.hint(value)
            msg = "" if ok else ("wrong answer" + (f" ({why})" if why else "") + (f"; hint: {hint}" if hint else ""))
            return CaseResult(0, False, ok, msg, None, "answer")
        if how == NOT_LITERAL:
            msg = f"not a literal: write the answer as a literal in the call, e.g. answer(\"{q.id}\", 0.5)"
            return CaseResult(0, False, False, msg, None, "not literal")
        msg = f"not answered (no answer(\"{q.id}\", …) with a value)"
        return CaseResult(0, False, False, msg, None, "unanswered")

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


def make_quiz(name: str, lecture: str, questions: list, sealed: bool = False) -> Quiz:
    """The quiz of a lecture: one exercise per graded question (in a sealed lecture, practice checks are not
    graded: they keep their instant feedback)."""
    exercises = [Exercise(q.id, float(q.points), []) for q in questions if not (sealed and q.practice)]
    return Quiz(name, exercises, lecture=lecture, questions=list(questions), sealed=sealed)
