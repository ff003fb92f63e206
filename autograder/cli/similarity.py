"""`course similarity hwNN SUBMISSIONS [--out DIR]`: pairs of submissions ranked by shared code per graded
function (review/similarity.py), as an HTML report and a CSV."""

from __future__ import annotations

from autograder.review.similarity import run
from course_lib.grading.homework import load_homework


def cmd_similarity(args) -> int:
    pairs, path = run(load_homework(args.assignment), args.submissions, args.out, args.top)
    for p in pairs[:10]:
        print(f"{p.score:5.2f}  {p.a} / {p.b}  {p.function} ({p.shared} shared)")
    print(f"wrote {path} ({len(pairs)} pairs)")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("similarity", help="rank pairs of submissions by shared code per graded function (HTML)")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent")
    s.add_argument("submissions", help="folder (or zip) of <student>.ipynb files or <student>/ folders")
    s.add_argument("--out", default="similarity", help="output folder (default ./similarity)")
    s.add_argument("--top", type=int, default=20, help="pairs shown side by side (default 20)")
    s.set_defaults(func=cmd_similarity)
