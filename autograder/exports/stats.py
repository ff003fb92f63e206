"""Class statistics for one homework: a grade histogram, per-exercise pass rates and the most common failure
kinds, as PNG figures (matplotlib, Agg) under OUT/stats/ and an HTML page OUT/summary.html.

Only rows that count are used (status "graded": not removed submissions, not roster students without one).
Failure kinds are the judge's verdict kinds (`CaseResult.kind`: missing, exception, timeout, crash, shape, nan,
values, property), counted over failing cases of every submission.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from course_lib.grading.model import Homework

N_BINS = 10


def histogram(totals: list[float], max_total: float, bins: int = N_BINS) -> list[dict]:
    """Counts of final totals in `bins` equal bins over [0, max_total] (the last one closed)."""
    width = max_total / bins if max_total > 0 else 1.0
    counts = [0] * bins
    for t in totals:
        k = min(bins - 1, max(0, int(t / width + 1e-9))) if max_total > 0 else 0
        counts[k] += 1
    return [{"from": round(i * width, 6), "to": round((i + 1) * width, 6), "count": c} for i, c in enumerate(counts)]


def pass_rates(hw: Homework, rows: list) -> dict[str, float]:
    """Per exercise: the fraction of counted submissions with full points."""
    n = max(len(rows), 1)
    return {ex.name: round(sum(e.passed for r in rows for e in r.result.exercises if e.name == ex.name) / n, 4)
            for ex in hw.exercises}


def failure_kinds(rows: list) -> dict[str, int]:
    """Failing cases per verdict kind over the class, most common first."""
    c: Counter = Counter()
    for r in rows:
        for e in r.result.exercises:
            for case in e.cases:
                if not case.ok:
                    c[case.kind or "values"] += 1
            if not e.cases and e.status != "ok":
                c[e.status] += 1
    return dict(c.most_common())


def _figures(hist: list[dict], rates: dict[str, float], kinds: dict[str, int], folder: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:  # figures are optional; the numbers are in summary.json and summary.html
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        fig.savefig(folder / name, dpi=90, bbox_inches="tight")
        written.append(f"{folder.name}/{name}")

    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    ax.bar([(h["from"] + h["to"]) / 2 for h in hist], [h["count"] for h in hist],
           width=[(h["to"] - h["from"]) * 0.9 for h in hist])
    ax.set_xlabel("total")
    ax.set_ylabel("students")
    ax.set_title("grade histogram")
    save(fig, "histogram.png")
    fig = Figure(figsize=(6, 0.5 + 0.35 * max(len(rates), 1)))
    ax = fig.add_subplot()
    ax.barh(list(rates)[::-1], [v * 100 for v in list(rates.values())[::-1]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% with full points")
    ax.set_title("pass rate per exercise")
    save(fig, "pass_rates.png")
    fig = Figure(figsize=(6, 0.5 + 0.35 * max(len(kinds), 1)))
    ax = fig.add_subplot()
    ax.barh(list(kinds)[::-1] or ["none"], list(kinds.values())[::-1] or [0])
    ax.set_xlabel("failing cases")
    ax.set_title("most common failure kinds")
    save(fig, "failures.png")
    return written


def write_stats(hw: Homework, rows: list, table_rows: list[dict], out: Path) -> dict:
    """Figures under OUT/stats/ and OUT/summary.html; returns the numbers for summary.json."""
    max_total = rows[0].max_total if rows else float(sum(e.points for e in hw.exercises))
    totals = [r.total for r in rows]
    hist = histogram(totals, max_total)
    rates = pass_rates(hw, rows)
    kinds = failure_kinds(rows)
    figures = _figures(hist, rates, kinds, out / "stats") if rows else []
    e = html.escape
    mean = sum(totals) / max(len(totals), 1)
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(hw.name)}: class summary</title>",
             "<style>body{font:15px system-ui,sans-serif;max-width:900px;margin:2em auto}td,th{border:1px solid #ccc;"
             "padding:3px 8px}table{border-collapse:collapse}</style>",
             f"<h1>{e(hw.name)}: class summary</h1>",
             f"<p>{len(rows)} submissions counted, mean total {mean:.3g} / {max_total:g}.</p>",
             "<h2>Points per exercise</h2><table><tr><th>exercise</th><th>max</th><th>mean</th><th>full points</th>"
             "<th>pass rate</th><th>common failure</th></tr>"]
    for r in table_rows:
        rate = r["passed"] / r["submissions"] if r["submissions"] else 0.0
        parts.append(f"<tr><td>{e(r['exercise'])}</td><td>{r['max_points']:g}</td><td>{r['mean']:.3g}</td>"
                     f"<td>{r['passed']}/{r['submissions']}</td><td>{rate * 100:.0f}%</td>"
                     f"<td>{e(r['common_failure'])}</td></tr>")
    parts.append("</table><h2>Grade histogram</h2><table><tr><th>total</th><th>students</th></tr>")
    for h in hist:
        parts.append(f"<tr><td>{h['from']:.3g}–{h['to']:.3g}</td><td>{h['count']}</td></tr>")
    parts.append("</table><h2>Most common failure kinds</h2><table><tr><th>kind</th><th>failing cases</th></tr>")
    for k, n in kinds.items():
        parts.append(f"<tr><td>{e(k)}</td><td>{n}</td></tr>")
    parts.append("</table>")
    for f in figures:
        parts.append(f"<p><img src='{e(f)}' alt='{e(f)}'></p>")
    (out / "summary.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return {"histogram": hist, "pass_rates": rates, "failure_kinds": kinds, "figures": figures}
