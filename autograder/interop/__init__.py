"""Instructor interop: nbgrader and otter-grader exports, and a Gradescope autograder running our engine.

    course export nbgrader DIR [hwNN ...]     an nbgrader course directory (source/, nbgrader_config.py)
    course export otter DIR [hwNN ...]        Otter Assign master notebooks (DIR/hwNN/<name>.ipynb)
    course export gradescope hwNN ZIP         a Gradescope autograder zip that grades with `course grade`'s engine

Python: autograder.interop.nbgrader.export(hw, dir), autograder.interop.otter.export(hw, dir) and
autograder.interop.gradescope.export(hw, zip) return the paths they wrote.
"""

from __future__ import annotations

import argparse


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `course export {nbgrader,otter,gradescope}` to the `course` CLI."""
    from autograder.interop import gradescope, nbgrader, otter

    p = subparsers.add_parser("export", help="export homework to nbgrader, otter-grader or Gradescope")
    sub = p.add_subparsers(dest="target", required=True)
    nbgrader.add_parser(sub)
    otter.add_parser(sub)
    gradescope.add_parser(sub)
