"""Code homework as an Assignment: the student's graded functions run in the sandbox (a pool of workers) on the
public cases and on hidden cases drawn from the course seed, against the reference's outputs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

from autograder.grade.pool import grade_class
from autograder.grade.reference import ExpectedCache
from autograder.hidden.seed import fingerprint
from autograder.model import GradeSettings, Submission, SubmissionResult
from autograder.sandbox.isolation import describe
from course_lib.grading.homework import all_homeworks, load_homework
from course_lib.grading.model import Homework


@dataclass
class CodedHomework:
    """A course_lib Homework, graded by running code (implements autograder.model.Assignment)."""

    homework: Homework
    isolated = True

    def __post_init__(self):
        self.name, self.exercises = self.homework.name, self.homework.exercises
        self.short, self.max_points = self.homework.short, self.homework.max_points

    def key_fingerprint(self, settings: GradeSettings) -> str:
        return fingerprint(settings.seed, settings.include_hidden)

    def describe_isolation(self, settings: GradeSettings) -> str:
        return describe(settings.level)

    def grade_all(self, submissions: list[Submission], settings: GradeSettings) -> Iterator[SubmissionResult]:
        expected = ExpectedCache(self.homework, settings.seed, settings.include_hidden)
        for ex in self.homework.exercises:  # the reference's outputs first, in this process
            expected.get(ex)
        yield from grade_class(self.homework, submissions, expected, settings.workers, settings.level,
                               settings.progress)

    def guess(self, results: list[SubmissionResult]) -> str:
        """A warning when no graded notebook defines any graded function, naming the homework they look like."""
        defined = [set(r.seen) for r in results if not r.error]  # every notebook that could be read
        mine = {e.name for e in self.exercises}
        if not defined or any(mine & names for names in defined):
            return ""
        scores = {other.name: sum(bool({e.name for e in other.exercises} & names) for names in defined)
                  for other in all_homeworks()}
        best = max(scores, key=lambda k: scores[k])
        line = (f"no submission defines a graded function of {self.name} "
                f"({', '.join(e.name for e in self.exercises[:3])}, …)")
        if scores[best]:
            line += f"; {scores[best]} of {len(defined)} look like {best}: is this the right homework?"
        return line

    def only(self, exercise: str) -> CodedHomework:
        return CodedHomework(replace(self.homework, exercises=[e for e in self.exercises if e.name == exercise]))


def coded(name: str) -> CodedHomework:
    """The code homework named `name` (hw01 or hw01_gradient_descent) as an Assignment."""
    return CodedHomework(load_homework(name))
