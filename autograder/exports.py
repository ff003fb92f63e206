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


def write_grades(hw: Homework, rows: list, path: Path, items: list | None = None, late: bool = False) -> None:
    """grades.csv from gradebook rows: the columns of `write_csv` (total = the final total), then one column per
    manual item (when the homework has any), raw_total, late_days, penalty (when a late policy is set or a row
    is late), and status (when a row is not simply graded: "no longer submitted", "no submission", or a
    note such as "not on the roster")."""
    items = list(items or [])
    late = late or any(r.late_days for r in rows)
    show_status = any(status_text(r) != "graded" for r in rows)
    header = ["student", "total", "max_total"] + [e.name for e in hw.exercises] + [it.name for it in items]
    header += ["raw_total", "late_days", "penalty"] if late else []
    header += ["status"] if show_status else []
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_text(h) for h in header])
        for r in rows:
            pts = {e.name: e.points for e in r.result.exercises}
            line = [csv_text(r.student), _fmt(r.total), _fmt(r.max_total)]
            line += [_fmt(pts.get(e.name, 0.0)) for e in hw.exercises]
            line += [_fmt(r.manual[it.name][0]) if it.name in r.manual else "" for it in items]
            if late:
                line += [_fmt(r.raw_total), str(r.late_days), f"{r.penalty * 100:.4g}%"]
            if show_status:
                line.append(csv_text(status_text(r)))
            w.writerow(line)


def status_text(row) -> str:
    note = getattr(row, "note", "")
    return row.status + (f" ({note})" if note else "")


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
             f"**Score: {_fmt(total)} / {_fmt(max_total)}**", ""]
    if row is not None:
        from autograder.late import describe

        if row.late_days:
            lines += [md_text(describe(row.raw_total, row.max_total, row.late_days, row.penalty,
                                       round(row.raw_total * (1 - row.penalty), 6))), ""]
        if row.override_total is not None:
            lines += [f"Total set by the instructor: {_fmt(row.override_total)} / {_fmt(row.max_total)}", ""]
    if r.error:
        lines += [f"Your notebook could not be graded: {md_text(r.error)}", ""]
    lines += ["| exercise | points | result |", "|---|---|---|"]
    for e in r.exercises:
        lines.append(f"| `{e.name}` | {_fmt(e.points)} / {_fmt(e.max_points)} | {md_text(_summary(e))} |")
    for name, mx in (getattr(row, "manual_items", None) or []):
        score, _, comment = row.manual.get(name, (None, mx, ""))
        got = "not graded yet" if score is None else _fmt(score)
        lines.append(f"| `{name}` (graded by hand) | {got} / {_fmt(mx)} | {md_text(comment) or ' '} |")
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
    if len(e.cases) == 1 and e.cases[0].kind in ("answer", "unanswered", "not literal"):  # a concept check
        return "right" if e.cases[0].ok else KIND_LABELS[e.cases[0].kind]
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


def gradescope_results(hw: Homework, r: SubmissionResult, isolation: str, row=None) -> dict:
    """Gradescope's results.json: per exercise a visible test (public cases) and one after the due date (hidden).
    With a gradebook `row`: one visible test per manual item, and the score is the final (penalised) total."""
    tests = []
    for e in r.exercises:
        per_case = e.max_points / max(len(e.cases), 1)
        for hidden in (False, True):
            group = [c for c in e.cases if c.hidden == hidden]
            if not group and not (e.status == "missing" and not hidden):
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
            from autograder.late import describe

            output += "\n" + describe(row.raw_total, row.max_total, row.late_days, row.penalty,
                                      round(row.raw_total * (1 - row.penalty), 6))
            output += " (the score is after the late penalty; the tests show raw points)"
        if row.override_total is not None:
            output += f"\nTotal set by the instructor: {_fmt(row.override_total)}"
    return {"score": round(score, 6), "execution_time": round(r.seconds, 3), "output": output,
            "tests": tests, "visibility": "visible", "stdout_visibility": "hidden"}


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
               "slow": "over its time budget",
               # concept checks (autograder.quizzes): one case per question
               "answer": "wrong answer", "unanswered": "not answered", "not literal": "not a literal"}


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


def placeholder(hw: Homework, student: str, status: str):
    """A row for a roster student with no submission: every exercise 0, not counted in statistics."""
    from autograder.gradebook import Row

    res = SubmissionResult(student, hw.name, [ExerciseResult(e.name, 0.0, float(e.points), status="missing",
                                                             note=status) for e in hw.exercises])
    return Row(res, status=status)


def with_roster(hw: Homework, rows: list, roster: list | None) -> tuple[list, list[str]]:
    """Rows plus a 0 row ("no submission") per roster student without one; returns (rows, unknown students)."""
    if not roster:
        return rows, []
    from autograder.gradebook import NO_SUBMISSION

    ids = {s.student_id for s in roster}
    have = {r.student for r in rows}
    unknown = sorted(r.student for r in rows if r.student not in ids and r.counted)
    for r in rows:
        if r.student not in ids:
            r.note = "not on the roster"
    extra = [placeholder(hw, s.student_id, NO_SUBMISSION) for s in roster if s.student_id not in have]
    manual_max = rows[0].manual_max if rows else 0.0
    for r in extra:
        r.manual_max = manual_max
        r.manual_items = rows[0].manual_items if rows else []
    return sorted(rows + extra, key=lambda r: r.student), unknown


def write_all(hw: Homework, loaded: list, out: Path, isolation: str, rows: list | None = None,
              items: list | None = None, roster: list | None = None, late: bool = False) -> str:
    """Every export of one homework from the gradebook: grades.csv, feedback/, gradescope/, summary.{json,md,html}
    and the statistics' figures. `rows` (gradebook rows) carry manual scores, late penalties and statuses;
    without them `loaded` ((result, isolation) pairs) is used as is."""
    from autograder.gradebook import Row

    if rows is None:
        rows = [Row(r, iso) for r, iso in loaded]
    items = list(items or [])
    for r in rows:
        r.manual_items = [(it.name, it.points) for it in items]
        r.manual_max = sum(it.points for it in items)
    rows, unknown = with_roster(hw, rows, roster)
    write_grades(hw, rows, out / "grades.csv", items, late)
    (out / "feedback").mkdir(exist_ok=True)
    for row in rows:
        if row.status not in ("graded", "no longer submitted"):
            continue  # nothing was submitted: no feedback to hand back
        r, iso = row.result, row.isolation
        md = feedback_markdown(hw, r, iso, row)
        name = file_name(r.student)
        (out / "feedback" / f"{name}.md").write_text(md, encoding="utf-8")
        (out / "feedback" / f"{name}.html").write_text(feedback_html(md, f"{hw.name}: {r.student}"),
                                                       encoding="utf-8")
        gs = out / "gradescope" / name
        gs.mkdir(parents=True, exist_ok=True)
        (gs / "results.json").write_text(json.dumps(gradescope_results(hw, r, iso, row), indent=1),
                                         encoding="utf-8")
    counted = [r for r in rows if r.counted]
    results = [r.result for r in counted]
    table_rows = summarize(hw, results, counted, items)
    mean_total = sum(r.total for r in counted) / max(len(counted), 1)
    table = summary_table(table_rows, isolation, mean_total, len(counted))
    notes = []
    late_rows = [r for r in counted if r.late_days]
    if late_rows:
        notes.append(f"late: {len(late_rows)} submission(s) penalised ({', '.join(r.student for r in late_rows[:10])}"
                     f"{', …' if len(late_rows) > 10 else ''})")
    for status in ("no longer submitted", "no submission"):
        who = [r.student for r in rows if r.status == status]
        if who:
            notes.append(f"{status}: {len(who)} ({', '.join(who[:10])}{', …' if len(who) > 10 else ''}); "
                         "not counted")
    if unknown:
        more = ", …" if len(unknown) > 10 else ""
        notes.append(f"NOT ON THE ROSTER: {len(unknown)} ({', '.join(unknown[:10])}{more})")
    if notes:
        table += "\n" + "\n".join(notes)
    from autograder import stats

    figures = stats.write_stats(hw, counted, table_rows, out)
    summary = {"homework": hw.name, "isolation": isolation, "submissions": len(counted), "mean_total": mean_total,
               "max_total": counted[0].max_total if counted else float(sum(e.points for e in hw.exercises)),
               "exercises": table_rows, "notes": notes, "not_on_roster": unknown, **figures}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(f"# {hw.name}: class summary\n\n```\n{table}\n```\n", encoding="utf-8")
    return table
