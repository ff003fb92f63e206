"""`course export {nbgrader,otter,gradescope}`: the homework for another grader (interop/)."""

from __future__ import annotations

import sys

from autograder.hidden.seed import resolve_seed
from autograder.interop import gradescope, nbgrader, otter
from autograder.interop.common import differences
from course_lib.grading.homework import all_homeworks, load_homework

FOLDER_EXPORTS = {
    "nbgrader": (nbgrader.export, "write an nbgrader course directory (source/hwNN/*.ipynb, config)",
                 "cd {dir} && nbgrader generate_assignment <hwNN> --create --force"),
    "otter": (otter.export, "write Otter Assign master notebooks (DIR/hwNN/<name>.ipynb)",
              "otter assign {dir}/<hwNN>/<name>.ipynb dist/<hwNN>"),
}


def seed(args) -> str:
    """The one seed rule (hidden/seed.py), before anything is written: an empty seed stops the command, the public
    default is used with a warning."""
    value, warning = resolve_seed(args.hidden_seed)
    if warning:
        print(f"course export: warning: {warning}", file=sys.stderr)
    return value


def cmd_folder_export(args) -> int:
    export_fn, _, next_hint = FOLDER_EXPORTS[args.target]
    args.hidden_seed = seed(args)
    for path in export_fn(args.homeworks or None, args.dir, args.hidden_seed):
        print(f"wrote {path}")
    hws = [load_homework(h) for h in args.homeworks] if args.homeworks else all_homeworks()
    print_differences(hws, args.target)
    print("next: " + next_hint.format(dir=args.dir))
    return 0


def print_differences(hws: list, target: str) -> None:
    """What the export grades differently from `course grade` (also in its README), per homework."""
    for h in hws:
        for line in differences(h, target):
            print(f"differs from course grade: {h.short}: {line}")


def cmd_gradescope(args) -> int:
    args.hidden_seed = seed(args)
    path = gradescope.export(args.assignment, args.zip, args.hidden_seed, args.hidden_visibility,
                             args.require_namespaces)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB): upload it as the Gradescope autograder")
    print_differences([load_homework(args.assignment)], "gradescope")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export homework to nbgrader, otter-grader or Gradescope")
    targets = p.add_subparsers(dest="target", required=True)
    for name, (_, help_text, _) in FOLDER_EXPORTS.items():
        s = targets.add_parser(name, help=help_text)
        s.add_argument("dir", help="the folder to write (created if missing)")
        s.add_argument("homeworks", nargs="*", help="only these (hw01 ...); default: all")
        s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")
        s.set_defaults(func=cmd_folder_export)
    s = targets.add_parser("gradescope", help="write a Gradescope autograder zip that grades with our engine")
    s.add_argument("assignment", help="hw01 or hw01_gradient_descent")
    s.add_argument("zip", help="the zip file to write")
    s.add_argument("--hidden-seed", help="per-course seed for hidden cases (or $COURSE_HIDDEN_SEED)")
    s.add_argument("--hidden-visibility", default="after_due_date",
                   choices=["hidden", "after_due_date", "after_published", "visible"],
                   help="Gradescope visibility of the hidden-case tests (default after_due_date)")
    s.add_argument("--require-namespaces", action="store_true",
                   help="score 0 with a message instead of grading when the container has no Linux namespaces")
    s.set_defaults(func=cmd_gradescope)
