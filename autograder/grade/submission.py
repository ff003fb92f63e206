"""Grade one code submission: for each exercise, the public cases in one sandbox job and the hidden cases in
another (the process that runs, and may show the student, public cases never holds a hidden input), the budget's
larger case timed against the reference in the same worker, and every case scored on the trusted side."""

from __future__ import annotations

import time

from autograder.grade.reference import ExpectedCache, as_calls, fresh_seeds, released_statements, time_reference
from autograder.grade.scoring import TimedRun, score
from autograder.model import ExerciseResult, Outcome, Submission, SubmissionResult, zero_result
from autograder.runners import Timed
from course_lib.grading.model import Exercise, Homework
from course_lib.grading.notebook import Extracted, NotebookError, extract_file


def grade_one(hw: Homework, sub: Submission, runner, expected: ExpectedCache) -> SubmissionResult:
    """Grade one submission, always returning a result: an unreadable notebook scores 0 with a one-line reason,
    and so does any failure on the trusted side (noted as a grading error)."""
    try:
        if sub.path is None:
            return zero_result(hw, sub.student, sub.problem)
        try:
            extracted = extract_file(sub.path)
        except NotebookError as exc:
            return zero_result(hw, sub.student, str(exc))
        res = grade_extracted(hw, extracted, runner, expected, sub.student)
        if sub.problem:
            res.warnings.insert(0, sub.problem)
        return res
    except Exception as exc:  # noqa: BLE001 - one submission never stops the class
        res = zero_result(hw, sub.student, f"could not be graded ({type(exc).__name__}: {str(exc)[:160]}); "
                                           "tell the instructor")
        res.grading_error = res.error
        return res


AS_RELEASED = " (as released)"


def mark_template(hw: Homework, extracted: Extracted) -> Extracted:
    """The same statements, those identical to the released student copy's labelled AS_RELEASED: a failure of
    one of them (a demo cell's `from course_lib.autodiff import ...`, blocked while grading) is the template's,
    not the student's, and is not reported to the student."""
    template = released_statements(hw.name)
    chunks = [(label + AS_RELEASED, src, first) if src in template else (label, src, first)
              for label, src, first in extracted.chunks]
    return Extracted(chunks, list(extracted.warnings), list(extracted.names), dict(extracted.broken))


def grade_extracted(hw: Homework, extracted: Extracted, runner, expected: ExpectedCache,
                    student: str = "student") -> SubmissionResult:
    """Run every exercise of `hw` on the student's definitions with `runner` and score it."""
    t0 = time.perf_counter()
    extracted = mark_template(hw, extracted)
    res = SubmissionResult(student, hw.name, warnings=list(extracted.warnings), seen=list(extracted.names))
    define_errors: set[str] = set()
    # Every public job before any hidden one: no job whose output the student sees runs after a hidden job, so
    # nothing a hidden job does (its duration included) can be measured by code that reports to the student.
    public = {}
    for ex in hw.exercises:
        try:
            public[ex.name] = public_job(hw, ex, extracted, runner, expected, define_errors)
        except Exception as exc:  # noqa: BLE001 - raised again below, where it scores this exercise 0
            public[ex.name] = exc
    res.public_seconds = time.perf_counter() - t0
    for ex in hw.exercises:
        try:
            if isinstance(public[ex.name], Exception):
                raise public[ex.name]
            res.exercises.append(grade_exercise(hw, ex, extracted, runner, expected, public[ex.name]))
        except Exception as exc:  # noqa: BLE001 - the trusted side failed: this exercise scores 0, grading goes on
            why = f"could not be graded ({type(exc).__name__}: {str(exc)[:120]}); tell the instructor"
            res.exercises.append(ExerciseResult(ex.name, 0.0, float(ex.points), status=Outcome.ERROR, note=why))
            res.grading_error = res.grading_error or f"{ex.name}: {why}"
    res.warnings.extend(sorted(e for e in define_errors if not e.split(": ", 1)[0].endswith(AS_RELEASED)))
    res.seconds = time.perf_counter() - t0
    return res


def public_job(hw: Homework, ex: Exercise, extracted: Extracted, runner, expected: ExpectedCache,
               define_errors: set[str]):
    """The exercise's public cases, in a job of their own (its definition errors are the student's notes)."""
    public, _hidden, _exp = expected.get(ex)
    out = runner.run(extracted.chunks, hw, ex, as_calls(public), ex.time_limit, ex.memory_mb)
    define_errors.update(out.define_errors)
    return out


def grade_exercise(hw: Homework, ex: Exercise, extracted: Extracted, runner, expected: ExpectedCache,
                   out) -> ExerciseResult:
    """Public cases in one job (`out`, already run), hidden cases in another: the process that runs (and may show
    the student) public cases never holds a hidden input, and the hidden job sends back no student text."""
    public, hidden, exp = expected.get(ex)
    budgeted = ex.budget is not None and bool(hidden)  # then the last hidden case is the budget's larger case
    plain = hidden[:-1] if budgeted else hidden
    timed = TimedRun() if budgeted else None
    results, status, note, seconds = list(out.results), out.status, out.note, out.seconds
    if hidden:
        if status == Outcome.OK:
            left = max(0.5, ex.time_limit - seconds)
            job = None
            if budgeted:
                seeds = fresh_seeds(ex)
                timed.cases, timed.expected, timed.t_ref = time_reference(hw, ex, runner, seeds)
                job = Timed(seeds, [ex.budget.seconds(e["seconds"]) for e in timed.expected])  # per draw
            out = runner.run(extracted.chunks, hw, ex, as_calls(plain), left, ex.memory_mb, hidden=True, timed=job)
            results += out.results + ([None] if budgeted else [])
            status, note, seconds = out.status, out.note, seconds + out.seconds
            if budgeted:
                timed.got = out.timed
        else:
            results += [None] * len(hidden)
    return score(ex, public, hidden, exp, results, status, note, seconds, timed)


def merge_exercise(old: SubmissionResult, new: SubmissionResult) -> SubmissionResult:
    """`old` with the exercises graded again in `new` replaced (for --exercise)."""
    fresh = {e.name: e for e in new.exercises}
    return SubmissionResult(old.student, old.homework, [fresh.get(e.name, e) for e in old.exercises],
                            list(old.warnings), old.error, old.seconds + new.seconds,
                            new.grading_error or old.grading_error, list(new.seen))
