"""`course review hwNN --out OUT`: manual grading. Writes a review sheet (review.html + review.csv) of every
student's answers to the manually graded items, or merges a filled sheet back (--merge) into the gradebook and
every export."""

from __future__ import annotations

from pathlib import Path

from autograder.exports import export_from_book
from autograder.grade.collect import collect_with_report
from autograder.quizzes import load_assignment
from autograder.records.gradebook import open_existing
from autograder.release.manual import answers_for, manual_items
from autograder.review.manual import read_review, write_review


def cmd_review(args) -> int:
    hw = load_assignment(args.assignment)
    items = manual_items(hw)
    if not items:
        raise ValueError(f"{hw.name} has no manually graded cells (see docs/authoring.md, 'Manually graded cells')")
    out = Path(args.out)
    with open_existing(args.db, out) as book:
        rows = book.rows(hw.name)
        if args.merge:
            scores = read_review(args.merge, items, {r.student for r in rows})
            changed = book.set_manual(hw.name, scores, {it.name: it.points for it in items})
            print(export_from_book(book, hw, out))
            print(f"merged {len(scores)} score(s) from {args.merge} ({changed} changed); exports rewritten in {out}")
            return 0
        source = args.submissions or book.meta(hw.name).get("submissions")
        if not source:
            raise ValueError("give --submissions DIR (no submissions folder is recorded for this homework)")
        graded = {r.student for r in rows}
        with collect_with_report(source, hw.name, [e.name for e in hw.exercises]) as collection:
            answers = {s.student: answers_for(s.path, items) for s in collection.submissions
                       if not graded or s.student in graded}
        existing = {(r.student, item): (v[0], v[2]) for r in rows for item, v in r.manual.items()}
        html_path, csv_path = write_review(hw, items, answers, existing, out)
    missing = sum(1 for a in answers.values() for x in a.values() if not x.found)
    print(f"wrote {html_path} and {csv_path}: {len(answers)} student(s) x {len(items)} item(s)"
          + (f"; {missing} answer(s) not found" if missing else ""))
    print(f"fill in the score column, then: course review {hw.short} --out {args.out} --merge {csv_path}")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("review", help="manual grading: review sheet for marked cells, or --merge a filled one")
    s.add_argument("assignment", help="hw09 or hw09_compute")
    s.add_argument("--out", required=True, help="the output folder of `course grade` for this homework")
    s.add_argument("--db", help="gradebook: sqlite:///path (default OUT/gradebook.sqlite)")
    s.add_argument("--submissions", metavar="DIR", help="default: the folder last graded for this homework")
    s.add_argument("--merge", metavar="CSV", help="merge a filled review.csv into the gradebook and exports")
    s.set_defaults(func=cmd_review)
