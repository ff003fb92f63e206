"""Gradescope's results.json for one student: per exercise a visible test (public cases) and one shown after the
due date (hidden cases), one per manual item, and the final score."""

from __future__ import annotations

from autograder.exports.grades import fmt
from autograder.model import Outcome, SubmissionResult
from autograder.records.late import describe
from course_lib.grading.model import Homework


def gradescope_results(hw: Homework, r: SubmissionResult, isolation: str, row=None) -> dict:
    """Gradescope's results.json: per exercise a visible test (public cases) and one after the due date (hidden).
    With a gradebook `row`: one visible test per manual item, and the score is the final (penalised) total."""
    tests = []
    for e in r.exercises:
        per_case = e.max_points / max(len(e.cases), 1)
        for hidden in (False, True):
            group = [c for c in e.cases if c.hidden == hidden]
            if not group and not (e.status == Outcome.MISSING and not hidden):
                continue
            worth = [per_case if c.points is None else c.points for c in group]
            max_score = sum(worth) if group else e.max_points
            score = sum(w * c.credit for w, c in zip(worth, group)) if group else e.points
            msgs = [c.message for c in group if not c.ok][:5]
            if e.status != "ok" and e.note:
                msgs.insert(0, f"{e.status}: {e.note}")
            tests.append({
                "name": f"{e.name} ({'hidden' if hidden else 'public'} cases)",
                "score": round(score, 6), "max_score": round(max_score, 6),
                "output": "\n".join(msgs) or "all cases pass",
                "visibility": "after_due_date" if hidden else "visible",
            })
    output = r.error or f"Graded by course grade ({isolation})."
    score = r.total
    if row is not None:
        for name, mx in (getattr(row, "manual_items", None) or []):
            got, _, comment = row.manual.get(name, (None, mx, ""))
            tests.append({"name": f"{name} (graded by hand)", "score": round(got or 0.0, 6), "max_score": round(mx, 6),
                          "output": comment or ("not graded yet" if got is None else ""), "visibility": "visible"})
        score = row.total
        if row.late_days:
            output += "\n" + describe(row.raw_total, row.max_total, row.late_days, row.penalty,
                                      round(row.raw_total * (1 - row.penalty), 6))
            output += " (the score is after the late penalty; the tests show raw points)"
        if row.override_total is not None:
            output += f"\nTotal set by the instructor: {fmt(row.override_total)}"
    # the public jobs' time only: the hidden jobs' duration is the student code's to choose, so it is not shown
    return {"score": round(score, 6), "execution_time": round(r.public_seconds, 3), "output": output,
            "tests": tests, "visibility": "visible", "stdout_visibility": "hidden"}
