"""`course grade` as a straight pipeline: collect -> grade (workers, one sandbox each) -> record -> export.

    subs = collect(source)                           # autograder.collect
    results = grade_class(hw, subs.todo, ...)        # yields each SubmissionResult as it is produced
    record(book, results, isolation)                 # commits each one to the gradebook as it comes
    table = write_all(hw, book.load(hw.name), ...)   # autograder.exports: files, and the summary table

`run_grade` wires the four together for the CLI.
"""

from __future__ import annotations

import hashlib
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

from autograder.collect import Submission, collect_with_report
from autograder.gradebook import Gradebook, db_path
from autograder.grader import DEFAULT_SEED, ExpectedCache, SubmissionResult, grade_extracted
from autograder.sandbox.isolation import NAMESPACES, describe, detect
from autograder.sandbox.runner import SandboxRunner
from autograder.scoring import ExerciseResult
from course_lib.grading.model import Homework
from course_lib.grading.notebook import NotebookError, extract_file


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
    regraded: dict[str, int] | None = None  # reason -> how many were graded again ("resubmitted", ...)
    removed: list[str] | None = None  # marked "no longer submitted" in this run
    warnings: list[str] | None = None  # one line each, for stderr (default seed, wrong homework, ...)
    untouched: int = 0  # left out by --only

    def summary(self) -> str:
        regraded = sum((self.regraded or {}).values())
        line = (f"{self.found} submission(s) found; graded {self.graded} new, skipped {self.skipped} already "
                f"graded")
        if regraded:
            why = ", ".join(f"{n} {k}" for k, n in sorted((self.regraded or {}).items()))
            line += f"; regraded {regraded} because they changed or were asked for ({why})"
        if self.untouched:
            line += f"; {self.untouched} left untouched (--only)"
        if self.removed:
            line += f"; {len(self.removed)} no longer submitted (kept, marked, not counted)"
        line += f"; {self.failed} failed to grade (scored 0 with a note); in {self.seconds:.1f} s"
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
        if getattr(hw, "is_quiz", False):  # concept checks: literals read from the notebook, nothing runs
            res = hw.grade_file(sub.path, sub.student)
        else:
            res = grade_extracted(hw, extract_file(sub.path), runner, expected, sub.student)
    except NotebookError as exc:
        return zero_result(hw, sub.student, str(exc))
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
    if getattr(hw, "is_quiz", False):  # a quiz reads each notebook as data: no sandbox, no worker
        bar = _bar(len(submissions), progress)
        for s in submissions:
            res = grade_one(hw, s, None, expected)
            bar.update(1)
            yield res
        bar.close()
        return
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


def resolve_seed(explicit: str | None) -> tuple[str, str]:
    """(seed, warning). An empty seed (--hidden-seed "" or $COURSE_HIDDEN_SEED set but empty, e.g. an unset
    "$VAR") is an error; no seed at all is the public default, with a warning."""
    if explicit is not None:
        if not explicit.strip():
            raise GradingError("--hidden-seed is empty (an unset variable?); give the course's secret seed")
        return explicit, ""
    env = os.environ.get("COURSE_HIDDEN_SEED")
    if env is not None:
        if not env.strip():
            raise GradingError("$COURSE_HIDDEN_SEED is set but empty; give the course's secret seed")
        return env, ""
    return DEFAULT_SEED, ("no --hidden-seed or $COURSE_HIDDEN_SEED: using the public default seed, so students "
                          "can precompute the hidden cases")


def seed_fingerprint(seed: str, include_hidden: bool = True) -> str:
    """sha256 of the seed (never the seed itself); public-only runs have their own fingerprint."""
    return hashlib.sha256(seed.encode()).hexdigest() if include_hidden else "public-only"


def notebook_sha256(sub: Submission) -> str:
    """sha256 of the graded notebook file's bytes (for a folder, of the notebook graded)."""
    if sub.path is None:
        return hashlib.sha256(("missing:" + sub.problem).encode()).hexdigest()
    h = hashlib.sha256()
    try:
        fd = os.open(sub.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        return hashlib.sha256(f"unreadable:{exc}".encode()).hexdigest()
    return h.hexdigest()


def _zip_times(zpath: Path, root: Path, tz) -> dict[str, float]:
    """Extracted file path (relative to the extraction folder) -> the zip entry's date_time, read in `tz`."""
    import zipfile
    from datetime import datetime

    out = {}
    try:
        with zipfile.ZipFile(zpath) as zf:
            for info in zf.infolist():
                parts = [p for p in info.filename.split("/") if p not in ("", ".")]
                try:
                    out["/".join(parts)] = datetime(*info.date_time, tzinfo=tz).timestamp()
                except ValueError:
                    continue
    except (OSError, zipfile.BadZipFile):
        return {}
    return out


def submission_time(sub: Submission, times: dict[str, float], zip_times: dict[str, float],
                    zip_root: Path | None) -> float | None:
    """--times (by student id, or by the original name), else the zip entry's date, else the file's mtime."""
    if sub.student in times:
        return times[sub.student]
    if sub.source in times:
        return times[sub.source]
    if sub.path is None:
        return None
    if zip_root is not None:
        try:
            rel = sub.path.relative_to(zip_root).as_posix()
        except ValueError:
            rel = ""
        if rel in zip_times:
            return zip_times[rel]
    try:
        return os.lstat(sub.path).st_mtime
    except OSError:
        return None


def homework_guess(hw: Homework, subs: list[Submission]) -> str:
    """A warning when no submission defines any graded function of `hw`, naming the homework they look like."""
    from course_lib.grading.homework import all_homeworks

    per_sub = []
    for s in subs:
        if s.path is None:
            continue
        try:
            per_sub.append(set(extract_file(s.path).names))
        except (NotebookError, OSError):
            continue
    mine = {e.name for e in hw.exercises}
    if not per_sub or any(mine & names for names in per_sub):
        return ""
    scores = {}
    for other in all_homeworks():
        names = {e.name for e in other.exercises}
        scores[other.name] = sum(bool(names & n) for n in per_sub)
    best = max(scores, key=lambda k: scores[k])
    line = f"no submission defines a graded function of {hw.name} ({', '.join(e.name for e in hw.exercises[:3])}, …)"
    if scores[best]:
        line += f"; {scores[best]} of {len(per_sub)} look like {best}: is this the right homework?"
    return line


@dataclass
class _Plan:
    sub: Submission
    reason: str  # "" for a new submission
    sha: str
    submitted_at: float | None


def run_grade(hw: Homework, submissions: str | Path, out: str | Path, workers: int = 2, db: str | None = None,
              regrade: bool = False, seed: str | None = None, allow_weak: bool = False,
              include_hidden: bool = True, progress: bool | None = None, only: list[str] | None = None,
              exercise: str | None = None, due: str | None = None, late_penalty: str | None = None,
              extensions: str | None = None, times: str | None = None, tz: str | None = None,
              roster: str | None = None) -> BatchReport:
    """collect -> grade -> record -> export, for `course grade`.

    Re-running grades new submissions and regrades exactly those whose notebook (sha256 of its bytes) or hidden
    seed changed; `only` limits the run to those students (regraded, nobody else touched) and `exercise` to one
    exercise (the rest of each row is kept). Late options set the homework's policy (kept in the gradebook for
    later runs)."""
    from autograder import late as late_mod
    from autograder.gradebook import GRADED, REMOVED
    from autograder.roster import apply_lms_ids, read_roster

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    level = detect()
    quiz = getattr(hw, "is_quiz", False)  # concept checks: no student code runs, no hidden cases, no seed
    if level != NAMESPACES and include_hidden and not allow_weak and not quiz:
        raise GradingError("only weak isolation is available here (no Linux namespaces), so hidden cases could be "
                           "read by student code; pass --allow-weak-isolation to grade anyway")
    seed, seed_warning = resolve_seed(seed)
    warnings = [seed_warning] if seed_warning and include_hidden and not quiz else []
    if exercise is not None and exercise not in {e.name for e in hw.exercises}:
        raise GradingError(f"--exercise {exercise!r} is not an exercise of {hw.name} "
                           f"(known: {', '.join(e.name for e in hw.exercises)})")
    try:
        zone = late_mod.parse_tz(tz)
        due_at = late_mod.parse_time(due, zone) if due else None
        rule = late_mod.parse_rule(late_penalty) if late_penalty else None
        students = read_roster(roster) if roster else None
    except ValueError as exc:
        raise GradingError(str(exc)) from exc
    try:
        collection = collect_with_report(submissions)
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise GradingError(str(exc)) from exc
    subs, tmp = collection.submissions, collection.tmp
    subs, lms_notes = apply_lms_ids(subs)
    report_lines = collection.report_lines() + lms_notes
    if report_lines:
        (out / "collect.txt").write_text("\n".join(report_lines) + "\n", encoding="utf-8")
    if not subs:
        if tmp is not None:
            tmp.cleanup()
        raise GradingError(f"no submissions found in {submissions}")
    book = Gradebook(db_path(db, out))
    try:
        meta = book.meta(hw.name)
        policy = late_mod.LatePolicy.from_json(meta.get("late"))
        if due_at is not None:
            policy.due = due_at
        if rule is not None:
            policy.rule = rule
        try:
            if extensions:
                policy.extensions = late_mod.read_extensions(extensions, policy.due, zone)
            given_times = late_mod.read_times(times, zone) if times else {}
        except ValueError as exc:
            raise GradingError(str(exc)) from exc
        if (policy.rule.rate or policy.extensions) and policy.due is None:
            raise GradingError("--late-penalty and --extensions need a due date: pass --due")
        book.set_meta(hw.name, late=policy.to_json(), submissions=str(Path(submissions).resolve()),
                      out=str(out.resolve()))
        if students is not None:
            book.set_roster(students)
        zip_root = Path(tmp.name) if tmp is not None else None
        zip_times = _zip_times(Path(submissions), zip_root, zone) if zip_root is not None else {}
        fps = book.fingerprints(hw.name)
        fp = hw.fingerprint if quiz else seed_fingerprint(seed, include_hidden)
        only_set = set(only or [])
        unknown_only = sorted(only_set - {s.student for s in subs})
        if unknown_only:
            raise GradingError(f"--only: no submission for {', '.join(unknown_only)}")
        plans: list[_Plan] = []
        restored: list[str] = []
        skipped = 0
        for s in subs:
            if only_set and s.student not in only_set:
                continue
            sha = notebook_sha256(s)
            old = fps.get(s.student)
            if old is None:
                reason = ""
            elif only_set:
                reason = "--only"
            elif regrade:
                reason = "--regrade"
            elif exercise is not None:
                reason = f"--exercise {exercise}"
            elif old["sha256"] != sha:
                reason = "resubmitted" if old["sha256"] else "resubmitted (no fingerprint stored)"
            elif old["seed_fp"] != fp:
                reason = "answer key changed" if quiz else "seed changed"
            else:
                skipped += 1
                if old["status"] == REMOVED:
                    restored.append(s.student)
                continue
            when = submission_time(s, given_times, zip_times, zip_root)
            if old is not None and (reason in ("seed changed", "answer key changed", "--regrade", "--only")
                                    or reason.startswith("--ex")):
                if old["sha256"] == sha and old["submitted_at"] is not None and s.student not in given_times:
                    when = old["submitted_at"]  # the same notebook: still submitted when it was first seen
            plans.append(_Plan(s, reason, sha, when))
        considered = [s for s in subs if not only_set or s.student in only_set]
        guess = hw.guess(considered) if quiz else homework_guess(hw, considered)
        if guess:
            warnings.append(guess)
        t0 = time.perf_counter()
        grade_hw = hw if exercise is None else replace(hw, exercises=[e for e in hw.exercises if e.name == exercise])
        expected = None if quiz else ExpectedCache(grade_hw, seed, include_hidden)
        for ex in grade_hw.exercises if plans and not quiz else []:  # reference outputs first, in this process
            expected.get(ex)
        isolation = "not needed (answers read from the notebook as data)" if quiz else describe(level)
        old_rows = {r.student: r for r in book.rows(hw.name)} if exercise is not None else {}
        for p in plans:
            lt = policy.assess(p.sub.student, p.submitted_at)
            keep_fp = exercise is not None and p.sub.student in old_rows
            book.stage(hw.name, p.sub.student, sha256=fps[p.sub.student]["sha256"] if keep_fp else p.sha,
                       seed_fp=fps[p.sub.student]["seed_fp"] if keep_fp else fp, source=p.sub.source,
                       submitted_at=p.submitted_at, due_at=lt.due_at, late_days=lt.days, penalty=lt.penalty,
                       reason=p.reason or "graded")
        results: list[SubmissionResult] = []

        def keep(stream):
            for res in stream:
                results.append(res)
                if exercise is not None and res.student in old_rows:
                    res = merge_exercise(old_rows[res.student].result, res)
                yield res

        todo = [p.sub for p in plans]
        if todo:
            record(book, keep(grade_class(grade_hw, todo, expected, workers, level, progress)), isolation)
        # the late policy for every row of this run (a new --due or --extensions may change unchanged rows)
        for r in book.rows(hw.name):
            if only_set and r.student not in only_set:
                continue
            when = given_times.get(r.student, r.submitted_at)
            lt = policy.assess(r.student, when)
            book.set_late(hw.name, r.student, when, lt.due_at, lt.days, lt.penalty)
        present = {s.student for s in subs}
        removed = []
        if not only_set:
            for student, old in fps.items():
                if student not in present and old["status"] == GRADED:
                    book.set_status(hw.name, student, REMOVED, "no longer submitted")
                    removed.append(student)
            for student in restored:
                book.set_status(hw.name, student, GRADED, "submitted again")
        rows = book.rows(hw.name)
        table = export_from_book(book, hw, out, isolation)
    finally:
        book.close()
        if tmp is not None:
            tmp.cleanup()
    have = {r.student for r in rows}
    reasons: dict[str, int] = {}
    for p in plans:
        if p.reason:
            key = p.reason.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
    n_new = sum(1 for p in plans if not p.reason and p.sub.student in have)
    return BatchReport(hw, out, n_new, skipped, time.perf_counter() - t0, isolation, book.path,
                       table, found=len(subs), failed=sum(bool(r.grading_error) for r in results),
                       missing=[s.student for s in considered if s.student not in have], collect_report=report_lines,
                       regraded=reasons, removed=removed, warnings=warnings, untouched=len(subs) - len(considered))


def export_from_book(book: Gradebook, hw: Homework, out: Path | None = None, isolation: str | None = None) -> str:
    """Rewrite every export of `hw` from the gradebook (into `out`, default the folder it was last graded into);
    returns the summary table."""
    from collections import Counter

    from autograder.exports import write_all
    from autograder.late import LatePolicy
    from autograder.manual import manual_items

    meta = book.meta(hw.name)
    out = Path(out or meta.get("out") or ".")
    rows = book.rows(hw.name)
    if isolation is None:
        isolation = Counter(r.isolation for r in rows).most_common(1)[0][0] if rows else "?"
    return write_all(hw, [], out, isolation, rows=rows, items=manual_items(hw), roster=book.roster() or None,
                     late=LatePolicy.from_json(meta.get("late")).active)


def merge_exercise(old: SubmissionResult, new: SubmissionResult) -> SubmissionResult:
    """`old` with the exercises graded again in `new` replaced (for --exercise)."""
    fresh = {e.name: e for e in new.exercises}
    merged = SubmissionResult(old.student, old.homework, [fresh.get(e.name, e) for e in old.exercises],
                              list(old.warnings), old.error, old.seconds + new.seconds,
                              new.grading_error or old.grading_error)
    return merged


class PlainProgress:
    """Progress for a log file or a pipe: one plain line on stderr every ~10% of the class or every 10 s."""

    def __init__(self, total: int, every_s: float = 10.0):
        self.total, self.n, self.every_s = total, 0, every_s
        self.t0 = self.last_t = time.monotonic()
        self.last_pct = 0
        self.postfix = ""

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        pct = int(100 * self.n / max(self.total, 1))
        if pct // 10 > self.last_pct // 10 or now - self.last_t >= self.every_s or self.n == self.total:
            self.last_pct, self.last_t = pct, now
            print(f"grading: {self.n}/{self.total} ({pct}%) in {now - self.t0:.0f} s", file=sys.stderr, flush=True)

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        self.postfix = text

    def close(self) -> None:
        pass


class _NoProgress(PlainProgress):
    def update(self, k: int = 1) -> None:
        self.n += k


def _bar(total: int, enabled: bool | None):
    """A tqdm bar on a terminal; plain lines when stderr is not a terminal; nothing when disabled."""
    if enabled is False:
        return _NoProgress(total)
    if enabled is None and not sys.stderr.isatty():
        return PlainProgress(total) if total else _NoProgress(total)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="grading", unit="sub", file=sys.stderr)
