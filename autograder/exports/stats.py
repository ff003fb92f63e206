"""Class statistics for one homework: a grade histogram, per-exercise pass rates and the most common failure
kinds, as PNG figures (matplotlib, Agg) under OUT/stats/ and an HTML page OUT/summary.html.

Only rows that count are used (status "graded": not removed submissions, not roster students without one).
Failure kinds are the judge's verdict kinds (`CaseResult.kind`: missing, exception, timeout, crash, shape, nan,
values, property), counted over failing cases of every submission; exercises left as released (the stub's
NotImplementedError, "your code here") are counted apart as "not attempted". The histogram's bins sit on point
boundaries, with full marks a bin of its own; the figure names the homework and marks the mean.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from course_lib.grading.model import Homework

MAX_BINS = 25
STUB = ("NotImplementedError", "your code here")  # what a released stub raises: blank work, not a mistake


def bin_width(max_total: float) -> float:
    """Bins on point boundaries: 1 point (0.5 for a homework of 5 points or fewer), wider steps of 2, 5, 10, …
    when there would be more than MAX_BINS."""
    if max_total <= 5:
        return 0.5
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if max_total / step <= MAX_BINS:
            return float(step)
    return max_total / MAX_BINS


def histogram(totals: list[float], max_total: float) -> list[dict]:
    """Counts of final totals in bins [k·w, (k+1)·w) on point boundaries (bin_width), full marks a bin of its own
    (`from` = `to` = max_total), so 10 and 11 of 11 never share a bar."""
    if max_total <= 0:
        return [{"from": 0.0, "to": 0.0, "count": len(totals)}]
    width = bin_width(max_total)
    edges = []
    while len(edges) * width < max_total - 1e-9:
        edges.append(len(edges) * width)
    bins = [{"from": round(a, 6), "to": round(min(a + width, max_total), 6), "count": 0} for a in edges]
    bins.append({"from": round(max_total, 6), "to": round(max_total, 6), "count": 0})
    for t in totals:
        k = len(bins) - 1 if t >= max_total - 1e-9 else min(len(bins) - 2, max(0, int(t / width + 1e-9)))
        bins[k]["count"] += 1
    return bins


def pass_rates(hw: Homework, rows: list) -> dict[str, float]:
    """Per exercise: the fraction of counted submissions with full points."""
    n = max(len(rows), 1)
    return {ex.name: round(sum(e.passed for r in rows for e in r.result.exercises if e.name == ex.name) / n, 4)
            for ex in hw.exercises}


def not_attempted(e) -> bool:
    """An exercise left as released: its stub raises NotImplementedError ("your code here")."""
    return any(not c.ok and any(m in c.message for m in STUB) for c in e.cases)


def failure_kinds(rows: list) -> dict[str, int]:
    """Failing cases per verdict kind over the class, most common first; the cases of exercises left as released
    (not_attempted) are counted apart, under "not attempted", last."""
    c: Counter = Counter()
    blank = 0
    for r in rows:
        for e in r.result.exercises:
            if not_attempted(e):
                blank += sum(not case.ok for case in e.cases)
                continue
            for case in e.cases:
                if not case.ok:
                    c[case.kind or "values"] += 1
            if not e.cases and e.status != "ok":
                c[e.status] += 1
    out = dict(c.most_common())
    if blank:
        out["not attempted"] = blank
    return out


def _figures(hw: Homework, hist: list[dict], rates: dict[str, float], kinds: dict[str, int], folder: Path,
             mean: float) -> list[str]:
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

    fig = Figure(figsize=(6.5, 3))
    ax = fig.add_subplot()
    full = hist[-1]["to"]
    for h in hist:
        last = h["from"] == h["to"]
        ax.bar(h["from"] + (0 if last else (h["to"] - h["from"]) / 2), h["count"],
               width=(hist[0]["to"] - hist[0]["from"]) * (0.45 if last else 0.9), color="C2" if last else "C0")
    ax.axvline(mean, color="C3", linestyle="--", label=f"mean {mean:.3g}")
    ax.set_xlabel(f"total (of {full:g}; the green bar: full marks)")
    ax.set_ylabel("students")
    ax.set_title(f"{hw.name}: grade histogram (n={sum(h['count'] for h in hist)}, mean {mean:.3g} / {full:g})")
    ax.legend(loc="upper left")
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
    names = list(kinds)[::-1] or ["none"]
    ax.barh(names, list(kinds.values())[::-1] or [0], color=["0.7" if k == "not attempted" else "C0" for k in names])
    ax.set_xlabel("failing cases")
    ax.set_title(f"{hw.name}: most common failure kinds" + (" (not attempted: stubs left as released)"
                                                           if "not attempted" in kinds else ""))
    save(fig, "failures.png")
    return written


def write_stats(hw: Homework, rows: list, table_rows: list[dict], out: Path) -> dict:
    """Figures under OUT/stats/ and OUT/summary.html; returns the numbers for summary.json."""
    max_total = rows[0].max_total if rows else float(sum(e.points for e in hw.exercises))
    totals = [r.total for r in rows]
    hist = histogram(totals, max_total)
    rates = pass_rates(hw, rows)
    kinds = failure_kinds(rows)
    mean = sum(totals) / max(len(totals), 1)
    figures = _figures(hw, hist, rates, kinds, out / "stats", mean) if rows else []
    e = html.escape
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
        span = f"{h['from']:g}" if h["from"] == h["to"] else f"{h['from']:g} to under {h['to']:g}"
        parts.append(f"<tr><td>{span}</td><td>{h['count']}</td></tr>")
    parts.append("</table><h2>Most common failure kinds</h2><table><tr><th>kind</th><th>failing cases</th></tr>")
    for k, n in kinds.items():
        parts.append(f"<tr><td>{e(k)}</td><td>{n}</td></tr>")
    parts.append("</table>")
    for f in figures:
        parts.append(f"<p><img src='{e(f)}' alt='{e(f)}'></p>")
    (out / "summary.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return {"histogram": hist, "pass_rates": rates, "failure_kinds": kinds, "figures": figures}
