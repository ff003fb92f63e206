"""`course grade` as a straight pipeline: collect -> grade (workers, one sandbox each) -> record -> export.

    subs = collect(source)                           # autograder.collect
    results = grade_class(hw, subs.todo, ...)        # yields each SubmissionResult as it is produced
    record(book, results, isolation)                 # commits each one to the gradebook as it comes
    table = write_all(hw, book.load(hw.name), ...)   # autograder.exports: files, and the summary table

`run_grade` wires the four together for the CLI.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from autograder.collect import Submission, collect_with_report
from autograder.gradebook import Gradebook, db_path
from autograder.grader import ExpectedCache, SubmissionResult, grade_extracted, hidden_seed
from autograder.notebook import NotebookError, extract_file
from autograder.sandbox.isolation import NAMESPACES, describe, detect
from autograder.sandbox.runner import SandboxRunner
from autograder.scoring import ExerciseResult
from course_lib.grading.model import Homework


class GradingError(RuntimeError):
    """Grading could not run at all (one-line reason for the CLI)."""


@dataclass
class BatchReport:
    homework: Homework
    out: Path
    graded: int
    skipped: int
    seconds: float
    isolation: str
    db: Path
    table: str = ""  # the class summary table, as printed by the CLI
    found: int = 0  # submissions found in the folder
    failed: int = 0  # graded as 0 because the trusted side failed on them (each has a note)
    missing: list[str] | None = None  # submissions with no recorded result: the run is incomplete
    collect_report: list[str] | None = None  # skipped entries and id collisions (instructor only)

    def summary(self) -> str:
        line = (f"{self.found} submission(s) found; graded {self.graded} new, skipped {self.skipped} already "
                f"graded; {self.failed} failed to grade (scored 0 with a note); in {self.seconds:.1f} s")
        if self.missing:
            line += f"; NO RESULT for {len(self.missing)}: {', '.join(self.missing[:10])}"
        return line


def preload_for(hw: Homework) -> tuple[str, ...]:
    """Modules each zygote imports once, so no submission pays for them: numpy, pyplot, the homework's public
    module, and torch if installed.

    Students import torch in demo cells of any homework, and a kept `import torch` would otherwise cost
    seconds per exercise.
    """
    import importlib.util

    mods = ["numpy", "matplotlib", "matplotlib.pyplot", "course_lib.session", "course_lib.check",
            "course_lib.data", "course_lib.plots", "course_lib.runtime", f"course_lib.grading.homework.{hw.name}"]
    if importlib.util.find_spec("torch") is not None:
        mods.append("torch")
    return tuple(mods)


def grade_one(hw: Homework, sub: Submission, runner, expected: ExpectedCache) -> SubmissionResult:
    """Grade one submission, always returning a result: an unreadable notebook scores 0 with a one-line reason,
    and so does any failure on the trusted side (noted as a grading error)."""
    try:
        return _grade_one(hw, sub, runner, expected)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the class
        res = zero_result(hw, sub.student, f"could not be graded ({type(exc).__name__}: {str(exc)[:160]}); "
                                           "tell the instructor")
        res.grading_error = res.error
        return res


def _grade_one(hw: Homework, sub: Submission, runner, expected: ExpectedCache) -> SubmissionResult:
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


def zero_result(hw: Homework, student: str, why: str) -> SubmissionResult:
    """A result with every exercise at 0 and `why` as the reason (unreadable or missing notebook)."""
    res = SubmissionResult(student, hw.name, error=why)
    res.exercises = [ExerciseResult(e.name, 0.0, float(e.points), status="missing", note=why)
                     for e in hw.exercises]
    return res


def grade_class(hw: Homework, submissions: list[Submission], expected: ExpectedCache, workers: int = 2,
                level: str | None = None, progress: bool | None = None) -> Iterator[SubmissionResult]:
    """Grade `submissions` on `workers` sandboxes; yield each result as soon as it is produced."""
    level = level or detect()
    jobs: queue.Queue = queue.Queue()
    for s in submissions:
        jobs.put(s)
    done: queue.Queue = queue.Queue()
    errors: list[BaseException] = []
    bar = _bar(len(submissions), progress)

    def work():
        try:
            runner = SandboxRunner(preload=preload_for(hw), level=level)
            runner.start()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            return
        try:
            while True:
                try:
                    sub = jobs.get_nowait()
                except queue.Empty:
                    return
                res = grade_one(hw, sub, runner, expected)
                if res.grading_error:
                    try:  # the sandbox may be in any state after a trusted-side failure
                        runner.restart()
                    except Exception as exc:  # noqa: BLE001
                        errors.append(exc)
                        done.put(res)
                        return
                done.put(res)
        finally:
            runner.close()

    threads = [threading.Thread(target=work, daemon=True)
               for _ in range(max(1, min(workers, len(submissions) or 1)))]
    for t in threads:
        t.start()
    produced = 0
    while produced < len(submissions):
        try:
            res = done.get(timeout=0.2)
        except queue.Empty:
            if not any(t.is_alive() for t in threads) and done.empty():
                break
            continue
        produced += 1
        bar.update(1)
        bar.set_postfix_str(f"{res.student}: {res.total:g}/{res.max_total:g}", refresh=False)
        yield res
    for t in threads:
        t.join()
    bar.close()
    if errors and not jobs.empty():
        raise GradingError(f"the sandbox could not start: {errors[0]}")


def record(book: Gradebook, results: Iterable[SubmissionResult], isolation: str) -> int:
    """Commit each result to the gradebook as it comes (an interrupted run resumes); returns how many.
    A result that cannot be stored is replaced by a zero with a note, so the student still gets a row."""
    n = 0
    for res in results:
        try:
            book.record(res, isolation)
        except Exception as exc:  # noqa: BLE001
            hw_exercises = [ExerciseResult(e.name, 0.0, e.max_points, status="error", note="not recorded")
                            for e in res.exercises]
            why = f"the result could not be recorded ({type(exc).__name__}); tell the instructor"
            try:
                book.record(SubmissionResult(res.student, res.homework, hw_exercises, error=why,
                                             grading_error=why), isolation)
            except Exception:  # noqa: BLE001 - no row at all: the run reports it as missing and exits 1
                continue
        n += 1
    return n


def run_grade(hw: Homework, submissions: str | Path, out: str | Path, workers: int = 2, db: str | None = None,
              regrade: bool = False, seed: str | None = None, allow_weak: bool = False,
              include_hidden: bool = True, progress: bool | None = None) -> BatchReport:
    """collect -> grade -> record -> export, for `course grade`."""
    from autograder.exports import write_all

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    level = detect()
    if level != NAMESPACES and include_hidden and not allow_weak:
        raise GradingError("only weak isolation is available here (no Linux namespaces), so hidden cases could be "
                           "read by student code; pass --allow-weak-isolation to grade anyway")
    try:
        collection = collect_with_report(submissions)
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise GradingError(str(exc)) from exc
    subs, tmp = collection.submissions, collection.tmp
    report_lines = collection.report_lines()
    if report_lines:
        (out / "collect.txt").write_text("\n".join(report_lines) + "\n", encoding="utf-8")
    book = Gradebook(db_path(db, out))
    try:
        done = set() if regrade else book.graded(hw.name)
        todo = [s for s in subs if s.student not in done]
        t0 = time.perf_counter()
        expected = ExpectedCache(hw, hidden_seed(seed), include_hidden)
        for ex in hw.exercises:  # reference outputs first, in this trusted process
            expected.get(ex)
        isolation = describe(level)
        results: list[SubmissionResult] = []

        def keep(stream):
            for res in stream:
                results.append(res)
                yield res

        graded = record(book, keep(grade_class(hw, todo, expected, workers, level, progress)), isolation)
        loaded = book.load(hw.name)
        table = write_all(hw, loaded, out, isolation)
    finally:
        book.close()
        if tmp is not None:
            tmp.cleanup()
    have = {r.student for r, _ in loaded}
    return BatchReport(hw, out, graded, len(subs) - len(todo), time.perf_counter() - t0, isolation, book.path,
                       table, found=len(subs), failed=sum(bool(r.grading_error) for r in results),
                       missing=[s.student for s in subs if s.student not in have], collect_report=report_lines)


def _bar(total: int, enabled: bool | None):
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if enabled is None else (not enabled)
    return tqdm(total=total, desc="grading", unit="sub", disable=disable, file=sys.stderr)
