"""Build the static course site: every lecture rendered to HTML with nbconvert, with its outputs, the homework
(student copies), the instructions (README) and the authoring guide, and an index linking them all.

    python tools/site.py [--out build/site] [--lectures 01_gradient_descent,02_momentum_and_adaptive] [--jobs 1]
                         [--full-mode build/full-mode] [--quick]

The lectures show full mode, as students run them: a lecture executed by `make full` (tools/full_mode.py keeps the
executed notebooks in build/full-mode/) is rendered from there, when its code is still the current notebook's and
every claim held. Lectures without such a run are run in full mode first (tools/full_mode.py --only ...); if one
still fails, nothing is built. `--quick` renders quick-mode runs instead: a preview, whose small-size results may
contradict the text (the index says so), never for publishing.
The homework published is the student copy `course release` generates: the site refuses to build while
assignments/ is stale or any graded answer is in what it would publish (the leak check of `course release`).
Pages read without Jupyter. Interactive demos cannot move on a static page: each demo is replaced by a snapshot
of its plot (from the run) and a line listing its controls, with links to open the notebook in Colab.
Links between notebooks point at the rendered pages (links to solutions/ point at the homework page, since the
site publishes the student copies). Maths is typeset by MathJax, loaded from its CDN by nbconvert's template.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

sys.path.insert(0, str(ROOT))
from autograder.project import colab_url, repository_url  # noqa: E402 - the one place the address is written

COLAB = colab_url("")
GITHUB = repository_url() + "/blob/main/"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CELL_TIMEOUT_S = 60  # quick mode runs a whole lecture in under 60 s; a stalled reply costs at most this

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1f2328; }
h1 { margin-bottom: .2rem; } .sub { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #d1d9e0; vertical-align: top; }
a { color: #0969da; } code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; border-radius: 6px; }
.small { font-size: .9rem; color: #59636e; }
"""
DEMO_NOTE = ('<div class="course-demo-note" style="border-left:4px solid #0969da;background:#f1f6ff;'
             'padding:.4rem .8rem;margin:.3rem 0;font-size:.9rem">'
             '<b>Interactive demo</b> (static snapshot from a {mode}-mode run). {controls}'
             'Open this notebook in <a href="{colab}">Colab</a> or JupyterLab to move the controls.</div>')


# --------------------------------------------------------------------------------------------------- execution
def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def full_mode_notebook(path: Path, folder: Path | None):
    """The current notebook with the outputs `make full` gave it, if that run exists, finished without error and
    ran the current code (a stale or failed run is not shown); else None. Markdown edited since then shows as it is."""
    import nbformat
    from run_notebook import error_outputs

    if folder is None or not (folder / path.name).exists():
        return None
    try:
        executed = nbformat.read(str(folder / path.name), as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable file counts as no run
        return None
    current = nbformat.read(str(path), as_version=4)
    ran_all = all(c.get("execution_count") is not None for c in executed.cells
                  if c.cell_type == "code" and c.source.strip())
    if _code(executed) != _code(current) or not ran_all or error_outputs(executed) or failed_claims(executed):
        return None
    ran = [c for c in executed.cells if c.cell_type == "code"]
    for cell, done in zip([c for c in current.cells if c.cell_type == "code"], ran):
        cell.outputs, cell.execution_count = done.outputs, done.execution_count
    if "widgets" in executed.metadata:
        current.metadata["widgets"] = executed.metadata["widgets"]
    return current


def failed_claims(nb) -> list[str]:
    """The claim lines of an executed notebook that say a claim did not hold (course_lib.claims prints them)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = o.get("text", "") if o.get("output_type") == "stream" else ""
            out += [line for line in str(text).splitlines() if "did not hold on this run" in line]
    return out


def homework_problems() -> list[str]:
    """Why the homework cannot be published now: a stale or hand-edited assignments/ (what `course release
    --check` reports) or a graded answer in student material (its leak check); empty when it can."""
    from autograder.release import plan as release
    from autograder.release.leaks import leaks

    problems = [f"graded answer in student material: {f}" for f in leaks(ROOT)]
    stale = [p for p in release.stale(release.plan()) if p.parent.name == "assignments"]
    problems += [f"{p.relative_to(ROOT)} is not what `course release` generates: run it" for p in stale]
    return problems


def run_full_mode(lectures: list[Path], folder: Path) -> int:
    """Run `lectures` in full mode (tools/full_mode.py), keeping the executed notebooks in `folder`."""
    import subprocess

    report = folder.parent / f"{folder.name}-for-site.md"  # full_mode.py keeps notebooks in <report dir>/full-mode/
    if folder.name != "full-mode":
        raise SystemExit(f"--full-mode must be a folder named full-mode (got {folder})")
    only = ",".join(p.stem for p in lectures)
    print(f"site: running {len(lectures)} lecture(s) in full mode first (no current full-mode run): {only}")
    return subprocess.call([sys.executable, str(ROOT / "tools" / "full_mode.py"), "--only", only, "--out",
                            str(report)], cwd=ROOT)


def _execute(path: str) -> tuple[str, object, float, str]:
    """Run one notebook in quick, offline mode (a worker process). Returns (path, nb, seconds, error)."""
    import nbformat
    from run_notebook import error_outputs, execute

    for attempt in (1, 2):
        try:
            seconds, nb = execute(path, quick=True, timeout=CELL_TIMEOUT_S)
            break
        except Exception as exc:  # noqa: BLE001 - a failed cell: render what ran, report it
            # nbclient now and then waits forever for the reply to a widget cell: one retry after a timeout
            if attempt == 1 and "Timeout" in type(exc).__name__:
                print(f"  {Path(path).name}: a cell timed out after {CELL_TIMEOUT_S} s; retrying once", flush=True)
                continue
            nb = getattr(exc, "nb", None) or nbformat.read(path, as_version=4)
            return path, nb, 0.0, f"{type(exc).__name__}: {str(exc)[-600:]}"
    bad = error_outputs(nb)
    return path, nb, seconds, "; ".join(bad)


def _widget_text(models: list[dict]) -> str:
    """The visible text of a widget without an Output (labels, HTML, progress): 'training: 100% 10/10 [...]'."""
    parts = []
    for m in models:
        st = m.get("state", {})
        name = m.get("model_name", "")
        if name in ("HTMLModel", "LabelModel", "HTMLMathModel") and isinstance(st.get("value"), str):
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", st["value"])).strip())
        elif name in ("FloatProgressModel", "IntProgressModel") and st.get("description"):
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", str(st["description"]))).strip())
    return " ".join(p for p in parts if p)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def snapshot_widgets(nb) -> int:
    """Replace every widget view in the outputs by a note listing its controls and the Output widgets' contents
    (the plots drawn during execution); drop the widget state. Returns the number of demos replaced."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    ref = re.compile(r"^IPY_MODEL_([0-9a-f]+)$")

    def walk(model_id, seen):
        if model_id in seen or model_id not in state:
            return
        seen.append(model_id)
        for v in state[model_id].get("state", {}).values():
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, str) and ref.match(item):
                    walk(ref.match(item).group(1), seen)

    colab = COLAB + nb.metadata.get("_site_path", "")
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new = []
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            if WIDGET_VIEW not in data:
                new.append(out)
                continue
            seen: list[str] = []
            walk(data[WIDGET_VIEW].get("model_id"), seen)
            models = [state[mid] for mid in seen]
            if not any(m.get("model_name") == "OutputModel" for m in models):
                # not a demo (a tqdm progress bar, say): its text, as the page would have shown it
                text = _widget_text(models) or out.get("data", {}).get("text/plain", "")
                if text:
                    new.append({"output_type": "stream", "name": "stdout", "text": text + "\n"})
                continue
            controls, shown = [], []
            for m in models:
                st = m.get("state", {})
                if m.get("model_name") == "OutputModel":
                    shown.extend(st.get("outputs", []))
                elif (("value" in st or "index" in st) and st.get("description")
                      and m.get("model_name") not in ("LabelModel", "HTMLModel")):
                    value = st.get("value")
                    labels = st.get("_options_labels") or []
                    idx = st.get("index")
                    if labels and isinstance(idx, int) and 0 <= idx < len(labels):
                        value = labels[idx]
                    controls.append(f"{html.escape(str(st['description']))} = {html.escape(_short(value))}")
            text = f"Controls: {'; '.join(controls)}. " if controls else ""
            mode = nb.metadata.get("_site_mode", "quick")
            new.append({"output_type": "display_data", "metadata": {},
                        "data": {"text/html": DEMO_NOTE.format(controls=text, colab=colab, mode=mode)}})
            for o in shown:
                if o.get("output_type") in ("display_data", "execute_result", "stream"):
                    new.append({k: v for k, v in o.items() if k != "execution_count"}
                               | ({"output_type": "display_data"} if o.get("output_type") == "execute_result" else {}))
            replaced += 1
        cell.outputs = [_node(o) for o in new]
    nb.metadata.pop("widgets", None)
    return replaced


def _node(o):
    import nbformat

    return nbformat.from_dict(o)


# --------------------------------------------------------------------------------------------------- rendering
def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`]", "", m.group(1)).strip()
    return fallback


def _md_title(path: Path) -> str:
    m = re.search(r"^#\s+(.+)$", path.read_text(encoding="utf-8"), flags=re.M)
    return m.group(1).strip() if m else path.stem.replace("_", " ")


def _rewrite_links(page: str, src_rel: str, rendered: set[str]) -> str:
    """Relative links to notebooks/markdown: to the rendered page if there is one (solutions -> the homework page),
    else to the file on GitHub."""
    src_dir = Path(src_rel).parent

    def fix(m):
        attr, target, frag = m.group(1), m.group(2), m.group(3) or ""
        if re.match(r"^[a-z]+:", target) or target.startswith(("#", "/")):
            return m.group(0)
        repo_rel = os.path.normpath(src_dir / target).replace(os.sep, "/")
        if repo_rel.startswith("solutions/"):
            alt = "assignments/" + repo_rel.split("/", 1)[1]
            repo_rel = alt if alt in rendered else repo_rel
        if repo_rel in rendered:
            new = os.path.relpath(_page(repo_rel), src_dir.as_posix() or ".").replace(os.sep, "/")
        elif repo_rel.endswith(".md") and repo_rel == "README.md":
            new = os.path.relpath("instructions.html", src_dir.as_posix() or ".")
        else:
            new = GITHUB + repo_rel
        return f'{attr}="{new}{frag}"'

    return re.sub(r'(href)="([^"#]+?\.(?:ipynb|md))(#[^"]*)?"', fix, page)


def _page(repo_rel: str) -> str:
    if repo_rel == "README.md":
        return "instructions.html"
    return re.sub(r"\.(ipynb|md)$", ".html", repo_rel)


def render_notebook(nb, repo_rel: str, out: Path, rendered: set[str]) -> Path:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb)
    bar = (f'<div style="font:14px system-ui,sans-serif;padding:.5rem 1rem;background:#f6f8fa;'
           f'border-bottom:1px solid #d1d9e0"><a href="{os.path.relpath("index.html", Path(repo_rel).parent)}">'
           f'Course home</a> · <a href="{COLAB + repo_rel}">Open in Colab</a> · '
           f'<a href="{Path(repo_rel).name}" download>Download the notebook</a></div>')
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)
    body = _rewrite_links(body, repo_rel, rendered)
    dest = out / _page(repo_rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(body, encoding="utf-8")
    return dest


def render_markdown(src: Path, repo_rel: str, out: Path, rendered: set[str], title: str) -> Path:
    """A guide (README, docs/*.md) as a page, by the course's one Markdown renderer (raw HTML escaped; the HTML
    comments that mark generated parts are dropped first)."""
    from autograder.exports.markdown import to_html

    body = to_html(re.sub(r"<!--.*?-->\n?", "", src.read_text(encoding="utf-8"), flags=re.S))
    dest = out / _page(repo_rel)
    home = os.path.relpath("index.html", Path(_page(repo_rel)).parent.as_posix() or ".")
    page = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style><p class=small><a href='{home}'>Course home</a></p>{body}</html>")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(_rewrite_links(page, repo_rel, rendered), encoding="utf-8")
    return dest


def build(out: Path, lectures: list[Path], jobs: int = 1, homework: bool = True,
          full_mode_dir: Path | None = None) -> dict:
    import nbformat

    t0 = time.perf_counter()
    full_runs = {p: full_mode_notebook(p, full_mode_dir) for p in lectures}
    to_execute = [p for p in lectures if full_runs[p] is None]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if homework:
        problems = homework_problems()
        if problems:
            raise SystemExit("site: not built, the homework cannot be published:\n  " + "\n  ".join(problems))
    assignments = sorted((ROOT / "assignments").glob("*.ipynb")) if homework else []
    rendered = {p.relative_to(ROOT).as_posix() for p in lectures + assignments} | {"README.md"}
    docs = sorted((ROOT / "docs").glob("*.md"))
    rendered |= {d.relative_to(ROOT).as_posix() for d in docs}

    # quick and offline mode, and inline plots in the kernel whatever the caller set (pytest sets Agg: no images)
    site_env = {"COURSE_QUICK": "1", "COURSE_OFFLINE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env_before = {k: os.environ.get(k) for k in site_env}
    os.environ.update(site_env)
    try:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            executed = {Path(r[0]): r for r in pool.map(_execute, [str(p) for p in to_execute])}
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    report = {"lectures": [], "homework": [], "errors": {}}
    for path in lectures:
        if full_runs[path] is not None:
            nb, seconds, error, mode = full_runs[path], 0.0, "", "full"
        else:
            _, nb, seconds, error = executed[path]
            mode = "quick"
        rel = path.relative_to(ROOT).as_posix()
        nb.metadata["_site_path"] = rel
        nb.metadata["_site_mode"] = mode
        demos = snapshot_widgets(nb)
        nb.metadata.pop("_site_path", None)
        nb.metadata.pop("_site_mode", None)
        render_notebook(nb, rel, out, rendered)
        shutil.copy(path, out / rel)  # the clean (unexecuted) notebook, for download
        report["lectures"].append({"path": rel, "title": _title(nb, path.stem), "seconds": round(seconds, 1),
                                   "demos": demos, "mode": mode})
        if error:
            report["errors"][rel] = error
    for path in assignments:
        rel = path.relative_to(ROOT).as_posix()
        nb = nbformat.read(str(path), as_version=4)
        render_notebook(nb, rel, out, rendered)
        shutil.copy(path, out / rel)
        report["homework"].append({"path": rel, "title": _title(nb, path.stem)})
    render_markdown(ROOT / "README.md", "README.md", out, rendered, "Deep Learning Basics: instructions")
    for d in docs:
        render_markdown(d, d.relative_to(ROOT).as_posix(), out, rendered, _md_title(d))
    write_index(out, report, docs)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def write_index(out: Path, report: dict, docs: list[Path]):
    def row(item, kind):
        rel = item["path"]
        cells = [f'<a href="{_page(rel)}">{html.escape(item["title"])}</a>',
                 f'<a href="{COLAB + rel}">Open in Colab</a>', f'<a href="{rel}" download>.ipynb</a>']
        if kind == "lecture":
            cells.append(f'{item["demos"]} interactive demo(s)' if item["demos"] else "")
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    lectures = "\n".join(row(i, "lecture") for i in report["lectures"])
    modes = {i.get("mode", "quick") for i in report["lectures"]}
    if modes == {"full"}:
        ran = "a full-mode run (<code>make full</code>: full-size experiments, every claim checked)"
    elif modes == {"quick"}:
        ran = "a quick-mode run (small sizes; <code>make full</code> first to show full mode)"
    else:
        quick = ", ".join(Path(i["path"]).stem for i in report["lectures"] if i.get("mode") != "full")
        ran = f"a full-mode run (<code>make full</code>), except {html.escape(quick)} (quick mode)"
    homework = "\n".join(row(i, "hw") for i in report["homework"])
    guides = "".join(f'<li><a href="{_page(d.relative_to(ROOT).as_posix())}">{html.escape(_md_title(d))}</a></li>'
                     for d in docs)
    page = f"""<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>Deep Learning Basics</title><style>{CSS}</style>
<h1>Deep Learning Basics</h1>
<p class=sub>Lectures with their outputs, homework with instant self-checks, and how to run it all.</p>
<h2 id=instructions>Instructions</h2>
<ul><li><a href="instructions.html">How to run the course</a> (JupyterLab, Colab, self-check, grading)</li>{guides}</ul>
<h2 id=lectures>Lectures</h2>
<table><tr><th>Lecture</th><th>Run it</th><th>Notebook</th><th></th></tr>
{lectures}
</table>
<h2 id=homework>Homework</h2>
<p class=small>Fill in each function and run the self-check cell under it; the autograder adds hidden cases.</p>
<table><tr><th>Homework</th><th>Run it</th><th>Notebook</th></tr>
{homework}
</table>
<p class=small>Built with nbconvert from the course notebooks; the outputs come from {ran}.</p>
</html>"""
    (out / "index.html").write_text(page, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "build" / "site"))
    ap.add_argument("--lectures", default="", help="comma-separated notebook stems (default: all lectures)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("COURSE_SITE_JOBS", "1")),
                    help="notebooks executed at once (kernels started together have been seen to stall)")
    ap.add_argument("--no-homework", action="store_true")
    ap.add_argument("--full-mode", default=str(ROOT / "build" / "full-mode"),
                    help="folder of notebooks executed by `make full` (tools/full_mode.py); used when current")
    ap.add_argument("--quick", action="store_true", help="ignore full-mode runs: execute every lecture in quick mode")
    args = ap.parse_args(argv)
    lectures = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.lectures:
        wanted = {s.strip().removesuffix(".ipynb") for s in args.lectures.split(",") if s.strip()}
        lectures = [p for p in lectures if p.stem in wanted]
        missing = wanted - {p.stem for p in lectures}
        if missing:
            print(f"unknown lectures: {', '.join(sorted(missing))}")
            return 2
    full_dir = None if args.quick else Path(args.full_mode).resolve()
    if full_dir is not None:
        missing = [p for p in lectures if full_mode_notebook(p, full_dir) is None]
        if missing and run_full_mode(missing, full_dir) != 0:
            print("site: not built: full mode failed (a claim did not hold or a lecture raised); see the report above")
            return 1
        missing = [p for p in lectures if full_mode_notebook(p, full_dir) is None]
        if missing:
            print(f"site: not built: no current full-mode run of {', '.join(p.stem for p in missing)}")
            return 1
    else:
        print("site: --quick: a PREVIEW from quick-mode runs (small sizes may contradict the text); do not publish")
    report = build(Path(args.out).resolve(), lectures, jobs=args.jobs, homework=not args.no_homework,
                   full_mode_dir=full_dir)
    for item in report["lectures"]:
        how = "full mode (make full)" if item["mode"] == "full" else f"quick mode, {item['seconds']:6.1f} s"
        print(f"  {item['path']:<44} {how}  {item['demos']} demo snapshot(s)")
    print(f"site: {Path(args.out) / 'index.html'} ({len(report['lectures'])} lectures, {len(report['homework'])} "
          f"homework) in {report['seconds']:.0f} s")
    if report["errors"]:
        for rel, err in report["errors"].items():
            print(f"FAILED {rel}: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
