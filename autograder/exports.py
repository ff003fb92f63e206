"""What instructors use: grades.csv, feedback/<student>.md (+ .html), Gradescope results.json, a class summary."""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from pathlib import Path

from autograder.grader import SubmissionResult
from autograder.scoring import ExerciseResult
from course_lib.grading.model import Homework


def _fmt(x: float) -> str:
    return f"{x:.4g}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ tab or CR gets a leading apostrophe
    (OWASP CSV injection). Numbers we format ourselves are written as they are."""
    value = str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(hw: Homework, results: list[SubmissionResult], path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_text(h) for h in ["student", "total", "max_total"] + [e.name for e in hw.exercises]])
        for r in results:
            pts = {e.name: e.points for e in r.exercises}
            w.writerow([csv_text(r.student), _fmt(r.total), _fmt(r.max_total)] + [_fmt(pts.get(e.name, 0.0))
                                                                                   for e in hw.exercises])


_MD_SPECIAL = re.compile(r"([\\`*|<\[\]])")


def one_line(text: object) -> str:
    """Student-controlled text on one line: every control, separator or other unprintable character (CR, LF,
    U+2028, …) becomes a space, so it can never start a new line, table row or heading."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def md_text(text: object) -> str:
    """One line, with the Markdown that could restyle it escaped (backslash, backtick, *, |, <, [ and ])."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def feedback_markdown(hw: Homework, r: SubmissionResult, isolation: str) -> str:
    lines = [f"# {hw.name}: feedback for {md_text(r.student)}", "",
             f"**Score: {_fmt(r.total)} / {_fmt(r.max_total)}**", ""]
    if r.error:
        lines += [f"Your notebook could not be graded: {md_text(r.error)}", ""]
    lines += ["| exercise | points | result |", "|---|---|---|"]
    for e in r.exercises:
        lines.append(f"| `{e.name}` | {_fmt(e.points)} / {_fmt(e.max_points)} | {md_text(_summary(e))} |")
    lines.append("")
    for e in r.exercises:
        bad = [c for c in e.cases if not c.ok]
        if not bad and e.status == "ok":
            continue
        lines.append(f"## `{e.name}`")
        if e.status != "ok" and e.note:
            lines.append(f"- {md_text(e.status)}: {md_text(e.note)}")
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
    n_ok = sum(c.ok for c in e.cases)
    if e.status in ("timeout", "crashed", "missing") and n_ok < len(e.cases):
        return f"{e.status}; {n_ok}/{len(e.cases)} cases pass"
    return f"{n_ok}/{len(e.cases)} cases pass"


def feedback_html(markdown_text: str, title: str) -> str:
    """A small, dependency-free HTML rendering of the feedback (tables, headings, bullets)."""
    out = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(one_line(title))}</title>",
           "<style>body{font:15px system-ui,sans-serif;max-width:820px;margin:2em auto}td,th{border:1px solid #ccc;"
           "padding:3px 8px}table{border-collapse:collapse}code{background:#f3f3f3}</style>"]
    in_table = in_list = False
    for line in markdown_text.split("\n"):
        line = one_line(line)
        if line.startswith("|"):
            if set(line.replace("|", "").strip()) <= {"-"}:
                continue
            cells = [_inline(c.strip()) for c in _CELL_SPLIT.split(line.strip().strip("|"))]
            tag = "th" if not in_table else "td"
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        esc = _inline(line)
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.strip() == "---":
            out.append("<hr>")
        elif line.strip():
            out.append(f"<p>{esc}</p>")
    if in_table:
        out.append("</table>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out) + "\n"


_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ESCAPED = re.compile(r"\\([\\`*|<\[\]_#>-])")


def _inline(text: str) -> str:
    """Markdown inline -> HTML: backslash escapes become literal characters, then **bold** and `code`;
    everything is HTML-escaped."""
    literals: list[str] = []

    def keep(m: re.Match) -> str:
        literals.append(m.group(1))
        return f"\x00{len(literals) - 1}\x00"

    text = _ESCAPED.sub(keep, text.replace("\x00", " "))
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: html.escape(literals[int(m.group(1))]), text)


def gradescope_results(hw: Homework, r: SubmissionResult, isolation: str) -> dict:
    """Gradescope's results.json: per exercise a visible test (public cases) and one after the due date (hidden)."""
    tests = []
    for e in r.exercises:
        per_case = e.max_points / max(len(e.cases), 1)
        for hidden in (False, True):
            group = [c for c in e.cases if c.hidden == hidden]
            if not group and not (e.status == "missing" and not hidden):
                continue
            max_score = per_case * len(group) if group else e.max_points
            score = per_case * sum(c.ok for c in group) if group else e.points
            msgs = [c.message for c in group if not c.ok][:5]
            if e.status != "ok" and e.note:
                msgs.insert(0, f"{e.status}: {e.note}")
            tests.append({
                "name": f"{e.name} ({'hidden' if hidden else 'public'} cases)",
                "score": round(score, 4), "max_score": round(max_score, 4),
                "output": "\n".join(msgs) or "all cases pass",
                "visibility": "after_due_date" if hidden else "visible",
            })
    return {"score": round(r.total, 4), "execution_time": round(r.seconds, 3),
            "output": (r.error or f"Graded by course grade ({isolation})."),
            "tests": tests, "visibility": "visible", "stdout_visibility": "hidden"}


def summarize(hw: Homework, results: list[SubmissionResult]) -> list[dict]:
    rows = []
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
        rows.append({"exercise": ex.name, "max_points": float(ex.points),
                     "mean": round(sum(e.points for e in es) / n, 3),
                     "passed": sum(e.passed for e in es), "submissions": len(es),
                     "common_failure": failures.most_common(1)[0][0] if failures else ""})
    return rows


# Summary labels for the judge's verdict kinds (course_lib.grading.compare.KINDS) and exercise statuses.
KIND_LABELS = {"missing": "missing definition", "exception": "exception", "timeout": "timeout", "crash": "crash",
               "shape": "wrong shape", "nan": "NaN", "values": "wrong values", "property": "wrong properties"}


def summary_table(rows: list[dict], isolation: str, total_mean: float, n: int) -> str:
    lines = [f"{'exercise':<28} {'mean':>8} {'max':>5} {'passed':>9}  common failure"]
    for r in rows:
        lines.append(f"{r['exercise']:<28} {r['mean']:>8.3g} {r['max_points']:>5g} "
                     f"{r['passed']:>4}/{r['submissions']:<4}  {r['common_failure']}")
    lines.append(f"{n} submissions, mean total {total_mean:.3g}; isolation: {isolation}")
    return "\n".join(lines)


def file_name(student: str) -> str:
    """The student id as a file name inside out/ (ids from autograder.collect are already safe and unchanged)."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", student)
    return name if name.strip(".") else f"_{name}"


def write_all(hw: Homework, loaded: list[tuple[SubmissionResult, str]], out: Path, isolation: str) -> str:
    results = [r for r, _ in loaded]
    write_csv(hw, results, out / "grades.csv")
    (out / "feedback").mkdir(exist_ok=True)
    for r, iso in loaded:
        md = feedback_markdown(hw, r, iso)
        name = file_name(r.student)
        (out / "feedback" / f"{name}.md").write_text(md, encoding="utf-8")
        (out / "feedback" / f"{name}.html").write_text(feedback_html(md, f"{hw.name}: {r.student}"),
                                                       encoding="utf-8")
        gs = out / "gradescope" / name
        gs.mkdir(parents=True, exist_ok=True)
        (gs / "results.json").write_text(json.dumps(gradescope_results(hw, r, iso), indent=1), encoding="utf-8")
    rows = summarize(hw, results)
    mean_total = sum(r.total for r in results) / max(len(results), 1)
    table = summary_table(rows, isolation, mean_total, len(results))
    (out / "summary.json").write_text(json.dumps({"homework": hw.name, "isolation": isolation,
                                                  "submissions": len(results), "mean_total": mean_total,
                                                  "exercises": rows}, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(f"# {hw.name}: class summary\n\n```\n{table}\n```\n", encoding="utf-8")
    return table
