"""`course release [hwNN|quizNN ...] [--check] [--to DIR]`: regenerate what is generated from the sources (after
the leak check), check it is current, or also write a student bundle."""

from __future__ import annotations

from pathlib import Path

from autograder.paths import course_root
from autograder.quizzes import is_quiz_name, quiz
from autograder.release import plan as release
from autograder.release.bundle import bundle
from autograder.release.leaks import leaks
from course_lib.grading.homework import load_homework


def cmd_release(args) -> int:
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
        dest = bundle(Path(args.to))
        print(f"student bundle written to {dest}")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("release", help="regenerate assignments/ and public cases from solutions/")
    s.add_argument("homeworks", nargs="*", help="only these (hw01 ..., quiz07 ...); default: all homework and "
                                                 "the concept-check keys of every lecture")
    s.add_argument("--check", action="store_true", help="fail if assignments/ or public cases are stale")
    s.add_argument("--to", metavar="DIR", help="also write a student bundle (no solutions, no hidden cases)")
    s.set_defaults(func=cmd_release)
