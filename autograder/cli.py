"""`course`, the instructor's commands: release, grade, gradebook, review, export, similarity; with the student's
(check, doctor, lab) from course_lib.cli, which is the entry point. Errors are one readable line, exit 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_lib.cli import add_student_commands, run


def cmd_release(args) -> int:
    from autograder import release
    from autograder.leaks import leaks
    from autograder.paths import course_root
    from autograder.quizzes import is_quiz_name, quiz
    from course_lib.grading.homework import load_homework

    names = [h for h in args.homeworks if not is_quiz_name(h)]
    quizzes = [quiz(h) for h in args.homeworks if is_quiz_name(h)] or None  # course release quiz07
    homeworks = [load_homework(h) for h in names] or None
    if quizzes and not names:  # only quiz keys: no homework is released, nothing to check for leaks
        homeworks = []
    found = leaks(course_root(), homeworks) if homeworks != [] else []
    if found:  # a graded answer in what students receive: nothing is released
        print(f"{len(found)} graded reference bodies are in student material (notebooks/, assignments/, "
              "course_lib/):\n  " + "\n  ".join(str(f) for f in found))
        return 1
    planned = release.plan(homeworks, quizzes)
    if args.check:
        bad = release.stale(planned)
        if bad:
            print("stale (run `course release`): " + ", ".join(str(p) for p in bad))
            return 1
        print(f"up to date: {len(planned)} generated files")
        return 0
    written = release.write(planned)
    print(f"released {len({p.path.stem for p in planned if p.kind == 'cases'})} homework(s); "
          f"{len(written)} of {len(planned)} generated file(s) changed")
    if args.to:
        dest = release.bundle(Path(args.to))
        print(f"student bundle written to {dest}")
    return 0


def cmd_grade(args) -> int:
    from autograder.batch import run_grade
    from autograder.quizzes import load_assignment

    hw = load_assignment(args.assignment)  # hwNN, or quizNN: a lecture's concept checks
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only is not None else None
    if only is not None and not only:
        raise ValueError("--only is empty; give student ids separated by commas")
    rep = run_grade(hw, args.submissions, args.out, workers=args.workers, db=args.db, regrade=args.regrade,
                    seed=args.hidden_seed, allow_weak=args.allow_weak_isolation,
                    include_hidden=not args.public_only, only=only, exercise=args.exercise, due=args.due,
                    late_penalty=args.late_penalty, extensions=args.extensions, times=args.times, tz=args.tz,
                    roster=args.roster)
    for w in rep.warnings or []:
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


def _open_book(args):
    from autograder.gradebook import Gradebook, db_path

    path = db_path(args.db, Path(args.out))
    if not path.exists():
        raise FileNotFoundError(f"no gradebook at {path} (run `course grade ... --out {args.out}` first)")
    return Gradebook(path)


def cmd_gradebook(args) -> int:
    """The course gradebook: every homework in OUT's gradebook, one table; or one student's record."""
    from autograder.roster import course_table, read_roster, student_record, write_course

    book = _open_book(args)
    try:
        if args.roster:
            book.set_roster(read_roster(args.roster))
        if args.override:
            from autograder.quizzes import resolve_assignment as resolve

            hw, student, value = args.override
            total = None if value.lower() in ("none", "clear", "-") else float(value)
            from autograder.batch import export_from_book
            from autograder.quizzes import load_assignment as load_homework

            book.set_override(resolve(hw), student, total, args.note or "")
            print(f"{resolve(hw)}: {student}'s total {'cleared' if total is None else f'set to {total:g}'}")
            if book.meta(resolve(hw)).get("out"):
                export_from_book(book, load_homework(hw))
                print(f"exports rewritten in {book.meta(resolve(hw))['out']}")
        if args.student:
            print(student_record(book, args.student))
            return 0
        if not args.to:
            if args.override:
                return 0
            raise ValueError("give --to FILE (the course table) or --student ID (one record)")
        table = course_table(book)
        ids = dict(kv.split("=", 1) for kv in (args.canvas_ids or "").split(",") if "=" in kv)
        write_course(table, args.to, args.format, ids)
    finally:
        book.close()
    print(f"wrote {args.to}: {len(table.students)} students x {len(table.homeworks)} homework "
          f"({', '.join(h.split('_')[0] for h in table.homeworks)}), format {args.format}")
    if table.unknown:
        print(f"course gradebook: warning: not on the roster: {', '.join(table.unknown[:20])}", file=sys.stderr)
    return 0


def cmd_review(args) -> int:
    """Manual grading: write a review sheet (review.html + review.csv), or merge a filled one back."""
    from autograder.batch import export_from_book
    from autograder.collect import collect_with_report
    from autograder.manual import answers_for, manual_items, read_review, write_review
    from autograder.quizzes import load_assignment
    from autograder.roster import apply_lms_ids

    hw = load_assignment(args.assignment)
    items = manual_items(hw)
    if not items:
        raise ValueError(f"{hw.name} has no manually graded cells (see docs/authoring.md, 'Manually graded cells')")
    out = Path(args.out)
    book = _open_book(args)
    try:
        meta = book.meta(hw.name)
        rows = book.rows(hw.name)
        if args.merge:
            students = {r.student for r in rows}
            scores = read_review(args.merge, items, students)
            changed = book.set_manual(hw.name, scores, {it.name: it.points for it in items})
            print(export_from_book(book, hw, out))
            print(f"merged {len(scores)} score(s) from {args.merge} ({changed} changed); exports rewritten in {out}")
            return 0
        source = args.submissions or meta.get("submissions")
        if not source:
            raise ValueError("give --submissions DIR (no submissions folder is recorded for this homework)")
        collection = collect_with_report(source)
        try:
            subs, _ = apply_lms_ids(collection.submissions)
            graded = {r.student for r in rows}
            answers = {s.student: answers_for(s.path, items) for s in subs if not graded or s.student in graded}
        finally:
            if collection.tmp is not None:
                collection.tmp.cleanup()
        existing = {(r.student, item): (v[0], v[2]) for r in rows for item, v in r.manual.items()}
        html_path, csv_path = write_review(hw, items, answers, existing, out)
    finally:
        book.close()
    missing = sum(1 for a in answers.values() for x in a.values() if not x.found)
    print(f"wrote {html_path} and {csv_path}: {len(answers)} student(s) x {len(items)} item(s)"
          + (f"; {missing} answer(s) not found" if missing else ""))
    print(f"fill in the score column, then: course review {hw.short} --out {args.out} --merge {csv_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course", description="Deep Learning Basics: course and autograder tools")
    sub = p.add_subparsers(dest="command", required=True)
    add_student_commands(sub)  # check, doctor, lab: course_lib.cli (they work without this package)
    s = sub.add_parser("release", help="regenerate assignments/ and public cases from solutions/")
    s.add_argument("homeworks", nargs="*", help="only these (hw01 ..., quiz07 ...); default: all homework and "
                                                 "the concept-check keys of every lecture")
    s.add_argument("--check", action="store_true", help="fail if assignments/ or public cases are stale")
    s.add_argument("--to", metavar="DIR", help="also write a student bundle (no solutions, no hidden cases)")
    s.set_defaults(func=cmd_release)
    s = sub.add_parser("grade", help="grade a class of submissions")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent; quiz07: lecture 07's concept checks")
    s.add_argument("submissions", help="folder (or zip) of <student>.ipynb files or <student>/ folders")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--regrade", action="store_true", help="grade again submissions already in the gradebook")
    s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")
    s.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade hidden cases even without Linux namespaces")
    s.add_argument("--public-only", action="store_true", help="grade public cases only")
    s.add_argument("--only", metavar="IDS", help="regrade only these students (alice,bob); nobody else is touched")
    s.add_argument("--exercise", metavar="NAME", help="regrade only this exercise (keeping the rest of each row)")
    s.add_argument("--due", metavar="TIME", help="due date, ISO 8601 (2026-12-01T23:59; timezone: --tz, default UTC)")
    s.add_argument("--tz", metavar="ZONE", help="timezone of times without one (UTC, +01:00, Europe/Berlin)")
    s.add_argument("--late-penalty", metavar="RULE", help="e.g. '10%%/day,cap=50%%,grace=15min' (needs --due)")
    s.add_argument("--extensions", metavar="CSV", help="per-student due dates: columns student,due or student,days")
    s.add_argument("--times", metavar="CSV", help="submission times: columns student,submitted_at (default: file "
                                                   "mtime, or the zip entry's date)")
    s.add_argument("--roster", metavar="CSV", help="class list: columns student_id,name,email[,section,sis_id]")
    s.set_defaults(func=cmd_grade)
    s = sub.add_parser("gradebook", help="the course gradebook (all homework) as CSV/Canvas/Moodle, or one student")
    s.add_argument("--out", required=True, help="the output folder of `course grade` (holds gradebook.sqlite)")
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--roster", metavar="CSV", help="class list (stored in the gradebook for later runs)")
    s.add_argument("--to", metavar="FILE", help="write the course table here")
    s.add_argument("--format", choices=["csv", "canvas", "moodle"], default="csv")
    s.add_argument("--canvas-ids", metavar="MAP", help="Canvas assignment ids: hw01=1234,hw02=1235")
    s.add_argument("--student", metavar="ID", help="print one student's full record")
    s.add_argument("--override", nargs=3, metavar=("HW", "STUDENT", "TOTAL"),
                   help="set a student's final total for a homework ('none' clears it); recorded in the history")
    s.add_argument("--note", help="reason for --override")
    s.set_defaults(func=cmd_gradebook)
    s = sub.add_parser("review", help="manual grading: review sheet for marked cells, or --merge a filled one")
    s.add_argument("assignment", help="hw09 or hw09_compute")
    s.add_argument("--out", required=True, help="the output folder of `course grade` for this homework")
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--submissions", metavar="DIR", help="default: the folder last graded for this homework")
    s.add_argument("--merge", metavar="CSV", help="merge a filled review.csv into the gradebook and exports")
    s.set_defaults(func=cmd_review)
    try:
        from autograder.interop import add_export_parser

        add_export_parser(sub)
    except ImportError:
        pass
    from autograder import similarity

    similarity.add_parser(sub)  # course similarity hwNN SUBS [--out DIR]
    return p


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
