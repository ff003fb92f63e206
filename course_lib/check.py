"""The student's self-check, under its short name: `from course_lib.check import check` (see grading.selfcheck)."""

from course_lib.grading.selfcheck import check, check_all

__all__ = ["check", "check_all"]
