"""Runners execute a submission's definitions and one exercise's cases, returning plain results.

InProcessRunner is for trusted code (the reference solutions) and for tests; the sandboxed
runner for student code is in autograder/sandbox/.

Timed runs (an exercise's time budget, course_lib.grading.model.Budget): after the ordinary cases a job may run
timed calls, one at a time, each on a fresh draw of the budget's larger case, `ex.budget.case(default_rng(seed))`
(whose shape may be drawn too). A call is timed from the moment its seed is handed over to the moment its result (in
the sandbox: the digest of its value) is back, with a clock captured when this module was imported (code run later
cannot replace it). The seeds are drawn when the submission is graded and are not part of the job until their clock
starts, so nothing can be computed ahead of it. The student's code gets up to `repeats` draws in the same job and
its best run counts, so one hiccup (a page fault storm, a busy core) does not cost an honest answer its points.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from course_lib.grading.model import Exercise, Homework

clock = time.perf_counter  # captured at import: a submission's `time.perf_counter = ...` does not reach it

# After a run over the budget, another draw is tried only while the best run is within this factor of the budget
# (timer noise on a loaded machine can explain that much, not more).
RETRY_WITHIN = 3.0
# The reference times each draw this many times and keeps its fastest (a draw's time sets that draw's budget).
REFERENCE_REPEATS = 3


@dataclass
class Timed:
    """The timed calls of a job, one per seed: the reference runs every one (budget_s None); the student's code runs
    them until one is within its budget (see more_runs): budget_s seconds, or budget_s[j] for draw j (draws of
    different shapes have budgets of their own)."""

    seeds: list[int]
    budget_s: float | list[float] | None = None

    def budget(self, j: int) -> float:
        return float(self.budget_s[j] if isinstance(self.budget_s, (list, tuple)) else self.budget_s)

    @property
    def reps(self) -> int:
        """Timings per draw, the fastest counting: REFERENCE_REPEATS for the reference, one for a student's run."""
        return REFERENCE_REPEATS if self.budget_s is None else 1


@dataclass
class RunOutcome:
    """Per case {"value"}/{"error"} (None when never reached), and how the run ended."""

    results: list[dict | None]
    status: str = "ok"  # ok | timeout | crashed | memory
    note: str = ""
    seconds: float = 0.0
    define_errors: list[str] = field(default_factory=list)
    # per timed call made: {"value"}/{"error", "etype"} and "seconds", or None when its value never came back
    timed: list[dict | None] = field(default_factory=list)


def more_runs(done: list[dict], timed: Timed) -> bool:
    """Whether to time the next call: the reference times all of them; the student's code stops at a failed run,
    at the first run within its budget, and when its best run is more than RETRY_WITHIN × over its budget.
    A run that answered (a value, or in the sandbox the digest of one, checked later) counts as answered."""
    if len(done) >= len(timed.seeds):
        return False
    if timed.budget_s is None or not done:
        return True
    if not any(k in done[-1] for k in ("value", "digest")) or "error" in done[-1]:
        return False
    best = min(r["seconds"] / timed.budget(j) for j, r in enumerate(done))
    return 1.0 < best <= RETRY_WITHIN


class InProcessRunner:
    """Runs trusted code in this process (no limits): the reference, and unit tests of specs."""

    isolation = "none (trusted code)"

    def run(self, chunks, hw: Homework, ex: Exercise, cases: list[tuple[list, dict]],
            time_limit: float = 10.0, memory_mb: int = 1024, hidden: bool = False,
            timed: Timed | None = None) -> RunOutcome:
        import numpy as np

        from course_lib.grading.run import define, run_cases

        t0 = time.perf_counter()
        ns, errors = define(chunks)
        results: list[dict | None] = [None] * len(cases)

        def emit(i, r):
            results[i] = r

        run_cases(ns, ex, cases, emit)
        done: list[dict] = []
        while timed is not None and more_runs(done, timed):
            runs = []
            for _ in range(timed.reps):
                got: dict = {}
                start = clock()
                c = ex.budget.case(np.random.default_rng(timed.seeds[len(done)]))
                run_cases(ns, ex, [(list(c.args), dict(c.kwargs))], lambda _i, r, g=got: g.update(r))
                seconds = clock() - start
                runs.append({**{k: v for k, v in got.items() if k in ("value", "error", "etype")}, "seconds": seconds})
                if "value" not in got:
                    break
            done.append(runs[-1] if "value" not in runs[-1] else min(runs, key=lambda r: r["seconds"]))
        return RunOutcome(results, "ok", "", time.perf_counter() - t0, errors, done)
