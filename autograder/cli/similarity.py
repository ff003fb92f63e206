"""`course similarity hwNN SUBMISSIONS [--out DIR]`: pairs of submissions ranked by shared code, each with its
graded functions (review/similarity.py), as an HTML report and a CSV; code that runs strings is listed."""

from __future__ import annotations

import sys

from autograder.grade.ids import shown
from autograder.review.similarity import run
from course_lib.grading.homework import load_homework


def cmd_similarity(args) -> int:
    res = run(load_homework(args.assignment), args.submissions, args.out, args.top)
    for line in res.notes[:50]:
        print(f"  {shown(line)}", file=sys.stderr)
    for p in res.ranked[:10]:
        funcs = ", ".join(f"{r.function} {r.score:.2f}" for r in p.rows[:4]) + (", …" if len(p.rows) > 4 else "")
        print(f"{p.score:5.2f}  {p.a} / {p.b}  ({funcs})")
    for student, where in sorted(res.flags.items()):
        print(f"runs strings: {student}: {'; '.join(where)}")
    print(f"wrote {res.path} ({len(res.ranked)} pairs)")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("similarity", help="rank pairs of submissions by shared code per graded function (HTML)")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent")
    s.add_argument("submissions", help="folder (or zip) of <student>.ipynb files or <student>/ folders")
    s.add_argument("--out", default="similarity", help="output folder (default ./similarity)")
    s.add_argument("--top", type=int, default=20, help="pairs shown side by side (default 20)")
    s.set_defaults(func=cmd_similarity)
