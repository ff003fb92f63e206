"""`course gradebook --out OUT`: the course table (every homework in OUT's gradebook) as CSV, Canvas or Moodle
import files, one student's full record, or an instructor's override of a total."""

from __future__ import annotations

import sys

from autograder.exports import export_from_book
from autograder.exports.course import course_table, student_record, write_course
from autograder.quizzes import load_assignment
from autograder.records.gradebook import open_existing
from autograder.records.roster import read_roster


def cmd_gradebook(args) -> int:
    book = open_existing(args.db, args.out)
    with book:
        if args.roster:
            book.set_roster(read_roster(args.roster))
        if args.override:
            override(book, *args.override, note=args.note or "")
        if args.student:
            print(student_record(book, args.student))
            return 0
        if not args.to:
            if args.override:
                return 0
            raise ValueError("give --to FILE (the course table) or --student ID (one record)")
        table = course_table(book)
        ids = dict(kv.split("=", 1) for kv in (args.canvas_ids or "").split(",") if "=" in kv)
        notes = write_course(table, args.to, args.format, ids)
    print(f"wrote {args.to}: {len(table.students)} students x {len(table.homeworks)} homework "
          f"({', '.join(h.split('_')[0] for h in table.homeworks)}), format {args.format}")
    for note in notes:
        print(f"course gradebook: {note}", file=sys.stderr)
    if table.unknown:
        print(f"course gradebook: warning: not on the roster: {', '.join(table.unknown[:20])}", file=sys.stderr)
    return 0


def override(book, homework: str, student: str, value: str, note: str = "") -> None:
    """Set (or, with none/clear/-, clear) a student's final total, then rewrite that homework's exports."""
    assignment = load_assignment(homework)
    total = None if value.lower() in ("none", "clear", "-") else float(value)
    book.set_override(assignment.name, student, total, note)
    print(f"{assignment.name}: {student}'s total {'cleared' if total is None else f'set to {total:g}'}")
    if book.meta(assignment.name).get("out"):
        export_from_book(book, assignment)
        print(f"exports rewritten in {book.meta(assignment.name)['out']}")


def add_parser(sub) -> None:
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
