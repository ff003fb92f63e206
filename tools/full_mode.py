"""Run every lecture in full mode and check what it claims: the course as students run it.

    python tools/full_mode.py                          # all of notebooks/*.ipynb -> build/full-mode.md (+ .json)
    python tools/full_mode.py --only 01,02 --out build/full-mode.md

Each lecture runs top to bottom under nbclient (tools/run_notebook.py's execute()) with COURSE_QUICK unset,
COURSE_OFFLINE=1, COURSE_LECTURE set to the notebook's name and COURSE_CLAIMS_FILE pointing at a JSON-lines file
that every `course_lib.claims.claim(...)` appends to. The report lists, per lecture, its time and device and every
claim with its value (± spread over seeds), the rule it must meet and whether it held. The executed notebooks are kept
in a folder `full-mode/` beside the report (tools/site.py renders them). Exit status 1 when a claim failed or a
notebook raised; 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

CELL_TIMEOUT_S = 900


def select(notebooks: list[Path], only: str) -> list[Path]:
    """Keep the notebooks whose number ('01') or stem ('01_gradient_descent') is listed in `only`."""
    if not only:
        return notebooks
    wanted = {w.strip().removesuffix(".ipynb") for w in only.split(",") if w.strip()}
    picked = [p for p in notebooks if p.stem in wanted or p.stem.split("_")[0] in wanted]
    missing = {w for w in wanted if not any(p.stem == w or p.stem.split("_")[0] == w for p in picked)}
    if missing:
        raise SystemExit(f"--only: no lecture notebook for {', '.join(sorted(missing))}")
    return picked


def read_claims(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_lecture(path: Path, nb_dir: Path, timeout: int = CELL_TIMEOUT_S) -> dict:
    """Execute one notebook in full mode; return its record (seconds, device, error, claims) and save the result."""
    import nbformat
    from run_notebook import error_outputs, execute

    from course_lib.claims import device_name

    with tempfile.TemporaryDirectory(prefix="course-claims-") as tmp:
        claims_file = Path(tmp) / "claims.jsonl"
        env = {"COURSE_QUICK": "0", "COURSE_OFFLINE": "1", "COURSE_LECTURE": path.stem,
               "COURSE_CLAIMS_FILE": str(claims_file), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        saved = {k: os.environ.get(k) for k in env}
        t0 = time.perf_counter()
        error, nb = "", None
        try:
            seconds, nb = execute(path, quick=False, timeout=timeout, env=env)
            bad = error_outputs(nb)
            error = "; ".join(bad)
        except Exception as exc:  # noqa: BLE001 - a cell raised or timed out: report it, keep the claims made so far
            seconds = time.perf_counter() - t0
            nb = getattr(exc, "nb", None)
            error = f"{type(exc).__name__}: {_last_lines(str(exc))}"
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        claims = read_claims(claims_file)
    if nb is not None:
        nb_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(nb_dir / path.name))
    device = claims[0]["device"] if claims else device_name()
    return {"lecture": path.stem, "path": path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path),
            "seconds": round(seconds, 1), "device": device, "error": error, "claims": claims}


def _last_lines(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])[-1500:]


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, (int, float)) and not math.isfinite(x):
        return str(x)
    return f"{x:.4g}"


def _status(c: dict) -> str:
    return {True: "held", False: "**FAILED**", None: "not judged (quick mode)"}[c.get("held")]


def summarize(records: list[dict]) -> dict:
    claims = [c for r in records for c in r["claims"]]
    return {"lectures": len(records), "seconds": round(sum(r["seconds"] for r in records), 1),
            "claims": len(claims), "held": sum(c.get("held") is True for c in claims),
            "failed": sum(c.get("held") is False for c in claims),
            "not_judged": sum(c.get("held") is None for c in claims),
            "errors": sum(bool(r["error"]) for r in records)}


def render_markdown(records: list[dict]) -> str:
    s = summarize(records)
    ok = s["failed"] == 0 and s["errors"] == 0
    out = ["# Full mode: every lecture run at full scale, every claim checked", "",
           f"{s['lectures']} lecture(s) in {s['seconds']:.0f} s; {s['claims']} claims: {s['held']} held, "
           f"{s['failed']} failed" + (f", {s['not_judged']} not judged" if s["not_judged"] else "")
           + f"; {s['errors']} notebook error(s). **{'PASS' if ok else 'FAIL'}**", "",
           "| lecture | seconds | device | claims held | failed | notebook |", "|---|---:|---|---:|---:|---|"]
    for r in records:
        held = sum(c.get("held") is True for c in r["claims"])
        failed = sum(c.get("held") is False for c in r["claims"])
        status = "ran" if not r["error"] else "**ERROR**"
        out.append(f"| {r['lecture']} | {r['seconds']:.1f} | {r['device']} | {held}/{len(r['claims'])} | {failed} | "
                   f"{status} |")
    for r in records:
        out += ["", f"## {r['lecture']} ({r['seconds']:.1f} s, {r['device']})", ""]
        if r["error"]:
            out += [f"**Notebook error:** `{r['error'].replace('`', chr(39))}`", ""]
        if not r["claims"]:
            out.append("No claims recorded.")
            continue
        out += ["| claim | value | rule | result |", "|---|---|---|---|"]
        for c in r["claims"]:
            unit = f" {c['unit']}" if c.get("unit") else ""
            value = _fmt(c["value"]) + (f" ± {_fmt(c['spread'])} (n = {c['n']})" if c.get("spread") is not None else "")
            text = c["text"].replace("|", "\\|")
            out.append(f"| {text} | {value}{unit} | {c['op']} {_fmt(c['threshold'])}{unit} | {_status(c)} |")
    return "\n".join(out) + "\n"


def write_report(records: list[dict], md_path: Path) -> int:
    """Write the markdown and JSON reports; return the exit status (1 if a claim failed or a notebook errored)."""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(render_markdown(records), encoding="utf-8")
    summary = summarize(records)
    md_path.with_suffix(".json").write_text(json.dumps({"summary": summary, "lectures": records}, indent=1),
                                            encoding="utf-8")
    return 1 if summary["failed"] or summary["errors"] else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated lecture numbers or names, e.g. 01,02 (default: all)")
    ap.add_argument("--out", default=str(ROOT / "build" / "full-mode.md"),
                    help="the markdown report (.md; the JSON goes beside it); a folder gets full-mode.md inside")
    ap.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="folder of lecture notebooks")
    ap.add_argument("--timeout", type=int, default=CELL_TIMEOUT_S, help="per-cell timeout in seconds")
    args = ap.parse_args(argv)
    md_path = Path(args.out)
    if md_path.suffix != ".md":
        md_path = md_path / "full-mode.md"
    md_path = md_path.resolve()
    nb_dir = md_path.parent / "full-mode"
    lectures = select(sorted(Path(args.notebooks).resolve().glob("*.ipynb")), args.only)
    records = []
    for path in lectures:
        print(f"[full mode] {path.stem} ...", flush=True)
        r = run_lecture(path, nb_dir, args.timeout)
        held = sum(c.get("held") is True for c in r["claims"])
        failed = [c["text"] for c in r["claims"] if c.get("held") is False]
        line = f"[full mode] {path.stem}: {r['seconds']:.1f} s on {r['device']}, {held}/{len(r['claims'])} claims held"
        line += (f"; FAILED: {' | '.join(failed)}" if failed else "") + (f"; ERROR: {r['error']}" if r["error"] else "")
        print(line, flush=True)
        records.append(r)
        write_report(records, md_path)  # a report so far, in case the run is cut short
    status = write_report(records, md_path)
    s = summarize(records)
    print(f"[full mode] {s['lectures']} lecture(s), {s['seconds']:.0f} s, {s['held']}/{s['claims']} claims held, "
          f"{s['errors']} error(s): {md_path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
