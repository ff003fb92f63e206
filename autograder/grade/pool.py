"""The worker pool: each worker is a thread that owns one sandbox (a zygote that imported numpy, matplotlib and
torch once and forks a child per job) and grades submissions from a shared queue; results come back as they are
produced, in the caller's thread."""

from __future__ import annotations

import importlib.util
import queue
import threading
from typing import Iterator

from autograder.grade.progress import progress_bar
from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_one
from autograder.model import Submission, SubmissionResult
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.model import Homework


class GradingError(RuntimeError):
    """Grading could not run at all (one-line reason for the CLI)."""


def preload_for(hw: Homework) -> tuple[str, ...]:
    """Modules each zygote imports once, so no submission pays for them: numpy, pyplot, the homework's public
    module, and torch if installed.

    Students import torch in demo cells of any homework, and a kept `import torch` would otherwise cost
    seconds per exercise.
    """
    mods = ["numpy", "matplotlib", "matplotlib.pyplot", "course_lib.session", "course_lib.check",
            "course_lib.data", "course_lib.plots", "course_lib.runtime", f"course_lib.grading.homework.{hw.name}"]
    if importlib.util.find_spec("torch") is not None:
        mods.append("torch")
    return tuple(mods)


def grade_class(hw: Homework, submissions: list[Submission], expected: ExpectedCache, workers: int = 2,
                level: str | None = None, progress: bool | None = None) -> Iterator[SubmissionResult]:
    """Grade `submissions` on `workers` sandboxes; yield each result as soon as it is produced."""
    jobs: queue.Queue = queue.Queue()
    for s in submissions:
        jobs.put(s)
    done: queue.Queue = queue.Queue()
    errors: list[BaseException] = []
    bar = progress_bar(len(submissions), progress)

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
