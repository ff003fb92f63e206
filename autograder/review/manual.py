"""Manual grading: a review sheet of every student's answers to the manually graded items (review.html and
review.csv: each answer's cells, and under each code cell its saved output, e.g. the estimate's printed numbers),
and merging the filled sheet back.

    course review hw09 --out out/hw09                   # out/hw09/review.html + review.csv
    course review hw09 --out out/hw09 --merge review.csv  # the filled sheet -> gradebook and every export
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from pathlib import Path

from autograder.exports.grades import csv_text
from autograder.release.manual import MAX_ANSWER_CHARS, Answer, ManualItem
from course_lib.grading.model import Homework

REVIEW_COLUMNS = ["student", "item", "points_max", "score", "comment"]


def write_review(hw: Homework, items: list[ManualItem], answers: dict[str, dict[str, Answer]],
                 existing: dict[tuple[str, str], tuple[float, str]], out: Path) -> tuple[Path, Path]:
    """OUT/review.csv (to fill) and OUT/review.html (to read); `existing` pre-fills scores already merged."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "review.csv", out / "review.html"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(REVIEW_COLUMNS)
        for student in sorted(answers):
            for it in items:
                score, comment = existing.get((student, it.name), (None, ""))
                w.writerow([csv_text(student), it.name, f"{it.points:g}", "" if score is None else f"{score:g}",
                            csv_text(comment)])
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(hw.name)}: manual review</title>",
             "<style>body{font:15px system-ui,sans-serif;max-width:960px;margin:2em auto}pre{background:#f5f5f5;"
             "padding:6px;white-space:pre-wrap;max-height:28em;overflow:auto}.md{background:#fbfbf3}"
             ".out{background:#eef6ee;border-left:3px solid #7a7;margin-top:-0.6em}"
             "section{border-top:2px solid #888;margin-top:1.5em}input.score{width:5em}input.comment{width:30em}"
             "</style>",
             f"<h1>{html.escape(hw.name)}: manual review</h1>",
             "<p>Fill in <code>review.csv</code> (score and comment per student and item), or type here and "
             "press <b>Download review.csv</b>; then run <code>course review "
             f"{html.escape(hw.short)} --out OUT --merge review.csv</code>.</p>",
             "<button onclick='dl()'>Download review.csv</button>"]
    for it in items:
        parts.append(f"<h2>{html.escape(it.name)} ({it.points:g} points): {html.escape(it.title)}</h2>")
    for student in sorted(answers):
        parts.append(f"<section><h2>{html.escape(student)}</h2>")
        for it in items:
            a = answers[student].get(it.name) or Answer(it.name, "", [])
            parts.append(f"<h3>{html.escape(it.name)} <small>(max {it.points:g}"
                         f"{'; found by ' + a.found if a.found else '; NOT FOUND in the notebook'})</small></h3>")
            outputs = a.outputs or [""] * len(a.cells)
            for (kind, src), shown in zip(a.cells, outputs):
                parts.append(f"<pre class='{'md' if kind == 'markdown' else 'code'}'>{html.escape(_cut(src))}</pre>")
                if kind == "code":
                    parts.append(f"<pre class='out'>{html.escape(_cut(shown))}</pre>" if shown else
                                 "<p class='out'><i>no output saved: the cell was not run before the notebook was "
                                 "submitted</i></p>")
            score, comment = existing.get((student, it.name), (None, ""))
            parts.append(f"<p>score <input class='score' type='number' min='0' max='{it.points:g}' step='any' "
                         f"data-student='{html.escape(student, quote=True)}' data-item='{html.escape(it.name)}' "
                         f"data-max='{it.points:g}' value='{'' if score is None else f'{score:g}'}'> / "
                         f"{it.points:g} &nbsp; comment <input class='comment' "
                         f"value='{html.escape(comment, quote=True)}'></p>")
        parts.append("</section>")
    parts.append("""<script>
function q(v){v=String(v);if(/^[=+\\-@\\t\\r]/.test(v))v="'"+v;return '"'+v.replace(/"/g,'""')+'"';}
function dl(){var rows=["student,item,points_max,score,comment"];
document.querySelectorAll("input.score").forEach(function(s){var c=s.parentNode.querySelector("input.comment");
rows.push([q(s.dataset.student),q(s.dataset.item),s.dataset.max,s.value,q(c.value)].join(","));});
var a=document.createElement("a");a.href=URL.createObjectURL(new Blob([rows.join("\\n")+"\\n"],{type:"text/csv"}));
a.download="review.csv";a.click();}
</script>""")
    html_path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return html_path, csv_path


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ANSWER_CHARS else text[:MAX_ANSWER_CHARS] + "\n… (cut)"


@dataclass
class ManualScore:
    student: str
    item: str
    score: float
    comment: str


def read_review(path: str | Path, items: list[ManualItem], students: set[str]) -> list[ManualScore]:
    """The filled review.csv: rows with an empty score are left out; anything else wrong is a one-line error."""
    by_name = {it.name: it for it in items}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ValueError(f"review sheet cannot be read: {path} ({exc.strerror or exc})") from exc
    out = []
    for i, r in enumerate(rows, start=2):
        r = {(k or "").strip().lower(): (v or "").strip() for k, v in r.items()}
        student = _unquote(r.get("student", ""))
        item, raw = r.get("item", ""), r.get("score", "")
        if not raw:
            continue
        if item not in by_name:
            raise ValueError(f"{path}: line {i}: unknown item {item!r} (known: {', '.join(by_name) or 'none'})")
        if student not in students:
            raise ValueError(f"{path}: line {i}: unknown student {student!r}")
        try:
            score = float(raw)
        except ValueError:
            raise ValueError(f"{path}: line {i}: score {raw!r} is not a number") from None
        if not 0 <= score <= by_name[item].points:
            raise ValueError(f"{path}: line {i}: score {score:g} outside 0..{by_name[item].points:g} for {item}")
        comment = r.get("comment", "")
        out.append(ManualScore(student, item, score, _unquote(comment)))
    return out


def _unquote(text: str) -> str:
    """Undo `csv_text`'s apostrophe before a formula character."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text
