"""Float64 comparison helpers for notebooks, under their short name (they live in grading.compare)."""

from course_lib.grading.compare import Verdict, compare, rel_error

__all__ = ["Verdict", "compare", "rel_error"]
