"""The class summary: per exercise (and manual item) the mean, how many got full points and the most common
failure, as a table for the terminal and summary.md."""

from __future__ import annotations

from collections import Counter

from autograder.model import SubmissionResult
from course_lib.grading.model import Homework


def summarize(hw: Homework, results: list[SubmissionResult], rows: list | None = None,
              items: list | None = None) -> list[dict]:
    """The homework's point table: per exercise (then per manual item) its mean, how many got full points, and
    the most common failure."""
    out = []
    for ex in hw.exercises:
        es = [e for r in results for e in r.exercises if e.name == ex.name]
        failures = Counter()
        for e in es:
            for c in e.cases:
                if not c.ok:
                    failures[KIND_LABELS.get(c.kind, "wrong values")] += 1
            if e.status != "ok":
                failures[e.status] += 1
        n = max(len(es), 1)
        out.append({"exercise": ex.name, "max_points": float(ex.points),
                    "mean": round(sum(e.points for e in es) / n, 3),
                    "passed": sum(e.passed for e in es), "submissions": len(es),
                    "common_failure": failures.most_common(1)[0][0] if failures else ""})
    for it in items or []:
        scored = [r.manual[it.name][0] for r in rows or [] if it.name in r.manual]
        pending = len(rows or []) - len(scored)
        out.append({"exercise": f"{it.name} (manual)", "max_points": float(it.points),
                    "mean": round(sum(scored) / max(len(scored), 1), 3),
                    "passed": sum(s >= it.points - 1e-9 for s in scored), "submissions": len(scored),
                    "common_failure": f"{pending} not graded yet" if pending else "", "manual": True})
    return out


# Summary labels for the judge's verdict kinds (course_lib.grading.compare.KINDS) and exercise statuses.
KIND_LABELS = {"missing": "missing definition", "exception": "exception", "timeout": "timeout", "crash": "crash",
               "shape": "wrong shape", "nan": "NaN", "values": "wrong values", "property": "wrong properties",
               "slow": "over its time budget", "memory": "memory limit",
               # concept checks (autograder.quizzes): one case per question
               "answer": "wrong answer", "unanswered": "not answered", "not literal": "not a literal"}


def summary_table(rows: list[dict], isolation: str, total_mean: float, n: int) -> str:
    lines = [f"{'exercise':<28} {'mean':>8} {'max':>5} {'passed':>9}  common failure"]
    for r in rows:
        lines.append(f"{r['exercise']:<28} {r['mean']:>8.3g} {r['max_points']:>5g} "
                     f"{r['passed']:>4}/{r['submissions']:<4}  {r['common_failure']}")
    lines.append(f"{n} submissions, mean total {total_mean:.3g}; isolation: {isolation}")
    return "\n".join(lines)
