"""Runners execute a submission's definitions and one exercise's cases, returning plain results.

InProcessRunner is for trusted code (the reference solutions) and for tests; the sandboxed
runner for student code is in autograder/sandbox/.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from course_lib.grading.model import Exercise, Homework


@dataclass
class RunOutcome:
    """Per case {"value"}/{"error"} (None when never reached), and how the run ended."""

    results: list[dict | None]
    status: str = "ok"  # ok | timeout | crashed
    note: str = ""
    seconds: float = 0.0
    define_errors: list[str] = field(default_factory=list)


class InProcessRunner:
    """Runs trusted code in this process (no limits): the reference, and unit tests of specs."""

    isolation = "none (trusted code)"

    def run(self, chunks, hw: Homework, ex: Exercise, cases: list[tuple[list, dict]],
            time_limit: float = 10.0, memory_mb: int = 1024, hidden: bool = False) -> RunOutcome:
        from course_lib.grading.run import define, run_cases

        t0 = time.perf_counter()
        ns, errors = define(chunks)
        results: list[dict | None] = [None] * len(cases)

        def emit(i, r):
            results[i] = r

        run_cases(ns, ex, cases, emit)
        return RunOutcome(results, "ok", "", time.perf_counter() - t0, errors)
