"""`course grade ASSIGNMENT SUBMISSIONS --out OUT`: the pipeline, one phase after the other.

    collect  (grade/collect.py)   the submissions folder or zip -> one Submission per student id
    plan     (records/plan.py)    per student: grade it and why, or only update its stored row
    grade    (Assignment)         results as they are produced (sandboxed workers for code homework)
    record   (records/gradebook)  one write per student, as each result comes (an interrupted run resumes)
    export   (exports/)           grades.csv, feedback, Gradescope results, summary and statistics

Errors that stop the whole run are one line (GradingError); one submission never stops the class.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.exports import write_all
from autograder.grade.collect import Collection, collect_with_report, shown
from autograder.grade.pool import GradingError
from autograder.grade.submission import merge_exercise
from autograder.hidden.seed import SeedError, resolve_seed
from autograder.model import Assignment, GradeSettings, Row, Status, SubmissionResult, zero_result
from autograder.quizzes import load_assignment
from autograder.records import late as late_mod
from autograder.records.gradebook import Gradebook, db_path
from autograder.records.plan import Plan, PlanInputs, make_plan, zip_times
from autograder.records.roster import read_roster
from autograder.release.manual import manual_items
from autograder.sandbox.isolation import NAMESPACES, detect


@dataclass
class GradeOptions:
    """`course grade`'s options (the CLI's flags; tests and benchmarks build it directly)."""

    submissions: str | Path
    out: str | Path
    workers: int = 2
    db: str | None = None
    regrade: bool = False
    seed: str | None = None
    reseed: bool = False  # regrade rows graded with another hidden seed (else such a gradebook is refused)
    allow_weak: bool = False
    include_hidden: bool = True
    progress: bool | None = None
    only: list[str] | None = None
    exercise: str | None = None
    due: str | None = None
    late_penalty: str | None = None
    extensions: str | None = None
    times: str | None = None
    tz: str | None = None
    roster: str | None = None
    allow_id_collisions: bool = False  # grade each input of a contested id under an id of its own


@dataclass
class GradeReport:
    """What a run did, for the terminal."""

    assignment: Assignment
    out: Path
    plan: Plan
    found: int
    seconds: float
    isolation: str
    db: Path
    table: str = ""  # the class summary table
    graded: int = 0  # new submissions graded
    failed: int = 0  # graded as 0 because the trusted side failed on them (each has a note)
    missing: list[str] = field(default_factory=list)  # submissions with no recorded result: the run is incomplete
    collect_report: list[str] = field(default_factory=list)  # skipped entries and id collisions (instructor only)
    regraded: dict[str, int] = field(default_factory=dict)  # reason -> how many were graded again
    removed: list[str] = field(default_factory=list)  # marked "no longer submitted" in this run
    warnings: list[str] = field(default_factory=list)  # one line each, for stderr
    choices: int = 0  # students who handed in several notebooks (one was chosen; see collect.txt)

    @property
    def skipped(self) -> int:
        return self.plan.skipped

    @property
    def untouched(self) -> int:
        return self.plan.untouched

    def summary(self) -> str:
        regraded = sum(self.regraded.values())
        line = (f"{self.found} submission(s) found; graded {self.graded} new, skipped {self.plan.skipped} already "
                f"graded")
        if regraded:
            why = ", ".join(f"{n} {k}" for k, n in sorted(self.regraded.items()))
            line += f"; regraded {regraded} because they changed or were asked for ({why})"
        if self.plan.untouched:
            line += f"; {self.plan.untouched} left untouched (--only)"
        if self.removed:
            line += f"; {len(self.removed)} no longer submitted (kept, marked, not counted)"
        if self.choices:
            line += f"; {self.choices} handed in several notebooks (one graded each, see collect.txt)"
        line += f"; {self.failed} failed to grade (scored 0 with a note); in {self.seconds:.1f} s"
        if self.missing:
            line += f"; NO RESULT for {len(self.missing)}: {', '.join(self.missing[:10])}"
        return line


@dataclass
class Run:
    """A run's settings, checked before anything is read: grading settings, the late policy and the plan's inputs."""

    settings: GradeSettings
    policy: late_mod.LatePolicy
    inputs: PlanInputs
    roster: list | None
    warnings: list[str]
    zone: object  # the timezone of times given without one


def prepare(assignment: Assignment, options: GradeOptions, stored_late: dict | None) -> Run:
    """Check the options and resolve the seed, the isolation level, the late policy and the roster (one-line
    GradingError for anything wrong)."""
    level = detect()
    if level != NAMESPACES and options.include_hidden and not options.allow_weak and assignment.isolated:
        raise GradingError("only weak isolation is available here (no Linux namespaces), so hidden cases could be "
                           "read by student code; pass --allow-weak-isolation to grade anyway")
    try:
        seed, seed_warning = resolve_seed(options.seed)
        zone = late_mod.parse_tz(options.tz)
        policy = late_mod.LatePolicy.from_json(stored_late)
        if options.due:
            policy.due = late_mod.parse_time(options.due, zone)
        if options.late_penalty:
            policy.rule = late_mod.parse_rule(options.late_penalty)
        if options.extensions:
            policy.extensions = late_mod.read_extensions(options.extensions, policy.due, zone)
        times = late_mod.read_times(options.times, zone) if options.times else {}
        roster = read_roster(options.roster) if options.roster else None
    except (SeedError, ValueError) as exc:
        raise GradingError(str(exc)) from exc
    if (policy.rule.rate or policy.extensions) and policy.due is None:
        raise GradingError("--late-penalty and --extensions need a due date: pass --due")
    if options.exercise is not None and options.exercise not in {e.name for e in assignment.exercises}:
        raise GradingError(f"--exercise {options.exercise!r} is not an exercise of {assignment.name} "
                           f"(known: {', '.join(e.name for e in assignment.exercises)})")
    settings = GradeSettings(seed, options.include_hidden, level, options.workers, options.progress)
    warnings = [seed_warning] if seed_warning and options.include_hidden and assignment.isolated else []
    inputs = PlanInputs(assignment.key_fingerprint(settings), policy, times, only=set(options.only or []),
                        exercise=options.exercise, regrade=options.regrade)
    return Run(settings, policy, inputs, roster, warnings, zone)


def collect(options: GradeOptions, out: Path, assignment: Assignment) -> Collection:
    """The submissions, with collect.txt listing every entry left out, every contested id and every choice among
    several notebooks (for the instructor). A contested id stops the run unless --allow-id-collisions."""
    try:
        collection = collect_with_report(options.submissions, assignment.name,
                                         [e.name for e in assignment.exercises])
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise GradingError(str(exc)) from exc
    if collection.report_lines():
        (out / "collect.txt").write_text("\n".join(collection.report_lines()) + "\n", encoding="utf-8")
    if not collection.submissions:
        collection.cleanup()
        raise GradingError(f"no submissions found in {options.submissions}")
    if collection.collisions and not options.allow_id_collisions:
        collection.cleanup()
        named = "; ".join(f"'{c.student}': " + ", ".join(f"'{shown(s)}'" for s in c.sources)
                          for c in collection.collisions[:3])
        raise GradingError(f"{len(collection.collisions)} student id(s) claimed by more than one input ({named}"
                           f"{'; …' if len(collection.collisions) > 3 else ''}); nothing was graded: remove what "
                           "is not a student's own submission, or pass --allow-id-collisions to grade each under "
                           f"an id of its own (all listed in {out / 'collect.txt'})")
    return collection


def refuse_other_seed(assignment: Assignment, stored: list[Row], key_fp: str, reseed: bool) -> None:
    """A gradebook graded with another hidden seed is not regraded with this one by accident (a forgotten
    --hidden-seed would silently regrade the whole class with the public default): that takes --reseed."""
    other = [r.student for r in stored if r.seed_fp and r.seed_fp != key_fp]
    if assignment.isolated and other and not reseed:
        raise GradingError(f"{len(other)} of {len(stored)} rows of {assignment.name} in this gradebook were graded "
                           "with another hidden seed (or with --public-only): give the same --hidden-seed as before, "
                           "or pass --reseed to regrade them with this one")


def file_times_warning(plan: Plan, policy, out: Path) -> str:
    """The warning (also appended to collect.txt) when lateness is judged by file times."""
    if policy.due is None or not plan.file_timed:
        return ""
    line = (f"{len(plan.file_timed)} submission time(s) come from file times (zip entry dates or modification "
            "times), which anyone who handles the files can set, and this homework has a due date: give the "
            "LMS's submission times with --times CSV")
    with open(out / "collect.txt", "a", encoding="utf-8") as f:
        f.write(line + "\n")
    return line


def record(book: Gradebook, assignment: Assignment, plan: Plan, results, isolation: str,
           merge_into: dict[str, Row] | None = None) -> list[SubmissionResult]:
    """Write each student once: each graded result as it comes (a result that cannot be stored is replaced by a
    zero with a note, so the student still gets a row), then the plan's updates. With `merge_into` (--exercise:
    the stored rows), a result replaces only the exercises it graded. Returns the results as graded."""
    entries = {e.student: e for e in plan.to_grade}
    done = []
    for res in results:
        done.append(res)
        entry = entries[res.student]
        if merge_into is not None and res.student in merge_into:
            res = merge_exercise(merge_into[res.student].result, res)
        try:
            book.write(assignment.name, entry, res, isolation)
        except Exception as exc:  # noqa: BLE001
            why = f"the result could not be recorded ({type(exc).__name__}); tell the instructor"
            zero = zero_result(assignment, res.student, why)
            zero.grading_error = why
            try:
                book.write(assignment.name, entry, zero, isolation)
            except Exception:  # noqa: BLE001 - no row at all: the run reports it as missing and exits 1
                continue
    for entry in plan.updates:
        book.write(assignment.name, entry)
    return done


def run_grade(assignment: Assignment, options: GradeOptions) -> GradeReport:
    """collect -> plan -> grade -> record -> export, for `course grade`."""
    try:
        resolve_seed(options.seed)  # an empty seed stops the run before anything is written (one rule, hidden/seed)
    except SeedError as exc:
        raise GradingError(str(exc)) from exc
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(db_path(options.db, out)) as book:
        run = prepare(assignment, options, book.meta(assignment.name).get("late"))
        with collect(options, out, assignment) as collection:
            subs = collection.submissions
            unknown = sorted(run.inputs.only - {s.student for s in subs})
            if unknown:
                raise GradingError(f"--only: no submission for {', '.join(unknown)}")
            if collection.tmp is not None:
                run.inputs.zip_root = Path(collection.tmp.name)
                run.inputs.zip_times = zip_times(Path(options.submissions), run.zone)
            stored = book.rows(assignment.name)
            refuse_other_seed(assignment, stored, run.inputs.key_fp, options.reseed)
            plan = make_plan(subs, stored, run.inputs,
                             "seed changed" if assignment.isolated else "answer key changed")
            run.warnings += [w for w in (file_times_warning(plan, run.policy, out),) if w]
            if collection.collisions:
                run.warnings.append(f"{len(collection.collisions)} contested student id(s) graded under ids of "
                                    "their own (--allow-id-collisions; see collect.txt)")
            book.begin(assignment.name, run.roster, late=run.policy.to_json(),
                       submissions=str(Path(options.submissions).resolve()), out=str(out.resolve()))
            t0 = time.perf_counter()
            graded = assignment if options.exercise is None else assignment.only(options.exercise)
            isolation = assignment.describe_isolation(run.settings)
            todo = [e.submission for e in plan.to_grade]
            stream = graded.grade_all(todo, run.settings) if todo else iter(())
            merge = {r.student: r for r in stored} if options.exercise is not None else None
            results = record(book, assignment, plan, stream, isolation, merge)
            rows = book.rows(assignment.name)
            table = write_all(assignment, rows, out, isolation, manual_items(assignment), book.roster() or None,
                              run.policy.active)
    guess = assignment.guess(results)
    have = {r.student for r in rows}
    considered = [s for s in subs if not run.inputs.only or s.student in run.inputs.only]
    reasons: dict[str, int] = {}
    for e in plan.to_grade:
        if e.reason:
            key = e.reason.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
    return GradeReport(assignment, out, plan, len(subs), time.perf_counter() - t0, isolation, book.path, table,
                       graded=sum(1 for e in plan.to_grade if not e.reason and e.student in have),
                       failed=sum(bool(r.grading_error) for r in results),
                       missing=[s.student for s in considered if s.student not in have],
                       collect_report=collection.report_lines(), regraded=reasons,
                       removed=[e.student for e in plan.updates if e.status == Status.REMOVED],
                       warnings=run.warnings + ([guess] if guess else []), choices=len(collection.choices))


def options_from(args) -> GradeOptions:
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only is not None else None
    if only is not None and not only:
        raise ValueError("--only is empty; give student ids separated by commas")
    return GradeOptions(args.submissions, args.out, args.workers, args.db, args.regrade, args.hidden_seed,
                        args.reseed, args.allow_weak_isolation, not args.public_only, None, only, args.exercise,
                        args.due, args.late_penalty, args.extensions, args.times, args.tz, args.roster,
                        args.allow_id_collisions)


def cmd_grade(args) -> int:
    rep = run_grade(load_assignment(args.assignment), options_from(args))  # hwNN, or quizNN: concept checks
    for w in rep.warnings:
        print(f"course grade: warning: {w}", file=sys.stderr)
    print(rep.table)
    if rep.collect_report:
        print(f"collecting: {len(rep.collect_report)} note(s) (also in {Path(args.out) / 'collect.txt'}):",
              file=sys.stderr)
        for line in rep.collect_report[:50]:
            print(f"  {line}", file=sys.stderr)
    print(rep.summary())
    print(f"wrote {Path(args.out) / 'grades.csv'}")
    if rep.missing:
        print(f"course grade: {len(rep.missing)} submission(s) have no recorded result; run again to resume",
              file=sys.stderr)
        return 1
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("grade", help="grade a class of submissions")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent; quiz07: lecture 07's concept checks")
    s.add_argument("submissions", help="folder (or zip) of <student>.ipynb files or <student>/ folders")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--regrade", action="store_true", help="grade again submissions already in the gradebook")
    s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")
    s.add_argument("--reseed", action="store_true", help="regrade rows graded with another hidden seed (a rerun "
                                                         "with a different seed is refused without it)")
    s.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade hidden cases even without Linux namespaces")
    s.add_argument("--public-only", action="store_true", help="grade public cases only")
    s.add_argument("--only", metavar="IDS", help="regrade only these students (alice,bob); nobody else is touched")
    s.add_argument("--exercise", metavar="NAME", help="regrade only this exercise (keeping the rest of each row)")
    s.add_argument("--due", metavar="TIME", help="due date, ISO 8601 (2026-12-01T23:59; timezone: --tz, default UTC)")
    s.add_argument("--tz", metavar="ZONE", help="timezone of times without one (UTC, +01:00, Europe/Berlin)")
    s.add_argument("--late-penalty", metavar="RULE", help="e.g. '10%%/day,cap=50%%,grace=15min' (needs --due)")
    s.add_argument("--extensions", metavar="CSV", help="per-student due dates: columns student,due or student,days")
    s.add_argument("--times", metavar="CSV", help="the LMS's submission times: columns student,submitted_at "
                                                   "(without: the zip entry's date or the file's mtime, with a "
                                                   "warning when there is a due date)")
    s.add_argument("--allow-id-collisions", action="store_true",
                   help="grade a student id claimed by several inputs (Alice.ipynb and alice.ipynb, one Canvas user "
                        "id with two submissions) as one id per input, named <id>~<digest> (default: refuse)")
    s.add_argument("--roster", metavar="CSV", help="class list: columns student_id,name,email[,section,sis_id]")
    s.set_defaults(func=cmd_grade)
