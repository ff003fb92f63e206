"""Concept checks in the lectures: `answer("07.2", value)` checks your answer at once (see course_lib.grading.quiz)."""

from course_lib.grading.quiz import QuizError, answer, parse_expression, read_answers, verdict

__all__ = ["QuizError", "answer", "parse_expression", "read_answers", "verdict"]
