"""`course`, the instructor's commands, one module per verb: release, grade, gradebook, review, export,
similarity. course_lib.cli is the entry point: it has the student's commands (check, doctor, lab) and adds these
when the course repository is here. Errors are one readable line, exit 2."""

from __future__ import annotations

from autograder.cli import export, grade, gradebook, release, review, similarity

VERBS = (release, grade, gradebook, review, export, similarity)


def add_instructor_commands(sub) -> None:
    """Add every instructor verb to the `course` parser's subcommands."""
    for verb in VERBS:
        verb.add_parser(sub)
