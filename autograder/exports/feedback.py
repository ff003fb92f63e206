"""The student's feedback: feedback/<student>.md, and its HTML rendering (exports/markdown.py). Student-controlled
text is kept on one line and its Markdown escaped, so it can neither restyle the page nor start a new row."""

from __future__ import annotations

import re

from autograder.exports.grades import fmt
from autograder.exports.markdown import to_html
from autograder.exports.summary import KIND_LABELS
from autograder.model import ExerciseResult, Outcome, SubmissionResult
from autograder.records.late import describe
from course_lib.grading.model import Homework

_MD_SPECIAL = re.compile(r"([\\`*|<\[\]])")


def one_line(text: object) -> str:
    """Student-controlled text on one line: every control, separator or other unprintable character (CR, LF,
    U+2028, …) becomes a space, so it can never start a new line, table row or heading."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def md_text(text: object) -> str:
    """One line, with the Markdown that could restyle it escaped (backslash, backtick, *, |, <, [ and ])."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def feedback_markdown(hw: Homework, r: SubmissionResult, isolation: str, row=None) -> str:
    """The student's feedback; with a gradebook `row`, the score is the final total (manual points and the
    late penalty included) and the manual items get rows of their own."""
    total, max_total = (row.total, row.max_total) if row is not None else (r.total, r.max_total)
    lines = [f"# {hw.name}: feedback for {md_text(r.student)}", "",
             f"**Score: {fmt(total)} / {fmt(max_total)}**", ""]
    overridden = row is not None and row.override_total is not None
    if overridden:  # the autograder's total (raw, late) no longer counts: say so, and label its table
        lines += [f"Total set by the instructor: {fmt(row.override_total)} / {fmt(row.max_total)}. It replaces "
                  "the autograder's total: the table below is what the autograder found, kept for reference "
                  "(superseded).", ""]
    elif row is not None and row.late_days:
        lines += [md_text(describe(row.raw_total, row.max_total, row.late_days, row.penalty,
                                   round(row.raw_total * (1 - row.penalty), 6))), ""]
    if r.error:
        lines += [f"Your notebook could not be graded: {md_text(r.error)}", ""]
    lines += ["| exercise | points (superseded) | result |" if overridden else "| exercise | points | result |",
              "|---|---|---|"]
    for e in r.exercises:
        lines.append(f"| `{e.name}` | {fmt(e.points)} / {fmt(e.max_points)} | {md_text(_summary(e))} |")
    for name, mx in (getattr(row, "manual_items", None) or []):
        score, _, comment = row.manual.get(name, (None, mx, ""))
        got = "not graded yet" if score is None else fmt(score)
        lines.append(f"| `{name}` (graded by hand) | {got} / {fmt(mx)} | {md_text(comment) or ' '} |")
    lines.append("")
    for e in r.exercises:
        bad = [c for c in e.cases if not c.ok]
        if not bad and e.status == Outcome.OK and not e.note:
            continue
        lines.append(f"## `{e.name}`")
        if e.note:
            status = f"{md_text(e.status)}: " if e.status != Outcome.OK else ""
            lines.append(f"- {status}{md_text(e.note)}")
        for c in bad[:6]:
            lines.append(f"- {md_text(c.message)}")
        if len(bad) > 6:
            lines.append(f"- … and {len(bad) - 6} more failing cases.")
        lines.append("")
    if r.warnings:
        lines += ["## Notes on your notebook", *[f"- {md_text(w)}" for w in r.warnings[:10]], ""]
    lines += ["---", f"Graded by `course grade` ({md_text(isolation)}). Hidden cases show what went wrong, never "
              "their inputs."]
    return "\n".join(lines) + "\n"


def _summary(e: ExerciseResult) -> str:
    if len(e.cases) == 1 and e.cases[0].kind in ("answer", "unanswered", "not literal"):  # a concept check
        return "right" if e.cases[0].ok else KIND_LABELS[e.cases[0].kind]
    n_ok = sum(c.ok for c in e.cases)
    if e.status in (Outcome.TIMEOUT, Outcome.CRASHED, Outcome.MISSING) and n_ok < len(e.cases):
        return f"{e.status}; {n_ok}/{len(e.cases)} cases pass"
    return f"{n_ok}/{len(e.cases)} cases pass"


def feedback_html(markdown_text: str, title: str) -> str:
    """The feedback page: the Markdown rendered by the course's one renderer (raw HTML escaped)."""
    import html

    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(one_line(title))}</title>\n"
            "<style>body{font:15px system-ui,sans-serif;max-width:820px;margin:2em auto}td,th{border:1px solid #ccc;"
            "padding:3px 8px}table{border-collapse:collapse}code{background:#f3f3f3}</style>\n"
            + to_html("\n".join(one_line(line) for line in markdown_text.split("\n"))))
