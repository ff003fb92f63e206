"""The course as a student sees it: every lecture in JupyterLab, driven in headless Chromium by Playwright.

For each lecture (notebooks/*.ipynb): open it and run, in JupyterLab, the cells whose quick-mode run displayed a
widget (the demos) and the cells they need (browserutil.needed_cells: the setup cell and every earlier cell that
defines a name they read); a lecture without widgets runs whole (Run > Run All Cells). Which cells displayed a
widget comes from the lecture's one quick-mode run of this test run (the `quick_run` fixture, shared with
tests/test_notebooks.py, which checks every cell of it for errors): the browser drives what needs a browser, it does
not execute every lecture again. Then assert no cell shows an error, move a control of every interactive demo (a
slider with the keyboard; then the demo's Run button where it has one) and assert its plot changed, and save a
screenshot. Then open a copy of homework 1, fill in `ols_closed_form`, run its self-check cell and look for the pass
mark.

Screenshots and a timing summary go to $COURSE_BROWSER_OUT (default build/browser-screenshots). Nothing is saved
in the repository: autosave is off, we never save, and the test checks the lecture files still have no outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from browserutil import ROOT, Lab, launch, needed_cells, require_chromium, require_playwright, widget_cells

pytestmark = pytest.mark.slow

OUT = Path(os.environ.get("COURSE_BROWSER_OUT", ROOT / "build" / "browser-screenshots"))
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_TIMEOUT_S = 240  # per notebook, its cells run to idle (quick mode budget is 60 s under nbclient)
TIMES: dict[str, float] = {}

# window.__nb(path): the open NotebookPanel for a path (JupyterLab runs with expose_app_in_browser).
INIT_JS = """
window.__nb = (path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) { if (w.context && w.context.path === path) return w; }
  return null;
};
window.__kernelIdle = (path) => {
  const w = window.__nb(path);
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
};
"""
READY_JS = "(path) => { const w = window.__nb(path); return !!w && w.context.isReady && window.__kernelIdle(path); }"
# Done: kernel idle, no cell queued or running ([*]), and at least one code cell has run.
DONE_JS = """(path) => {
  const w = window.__nb(path);
  if (!w || !window.__kernelIdle(path)) return false;
  if (Array.from(w.node.querySelectorAll('.jp-InputPrompt')).some(e => e.textContent.includes('*'))) return false;
  const m = w.content.model;
  for (let i = 0; i < m.cells.length; i++) {
    const c = m.cells.get(i);
    if (c.type === 'code' && c.executionCount) return true;
  }
  return false;
}"""
# Error outputs (output_type 'error', i.e. a traceback; stderr warnings are fine) and code cells that never ran.
PROBLEMS_JS = """([path, expected]) => {
  const w = window.__nb(path), m = w.content.model, errors = [], notRun = [];
  for (let i = 0; i < m.cells.length; i++) {
    const c = m.cells.get(i);
    if (c.type !== 'code') continue;
    const src = c.sharedModel.getSource();
    for (const o of c.outputs.toJSON()) {
      if (o.output_type !== 'error') continue;
      errors.push(`cell ${i + 1} (${src.split('\\n')[0].slice(0, 70)}): ${o.ename}: ${o.evalue}`);
    }
    if (!c.executionCount && src.trim() && (expected === null || expected.includes(i))) notRun.push(i + 1);
  }
  const text = w.node.innerText;
  if (text.includes('Error displaying widget')) errors.push('a widget failed to render: "Error displaying widget"');
  return {errors, notRun};
}"""
# Run these cells (notebook cell indexes), in order: each is made the only selected cell and run with JupyterLab's
# own "Run Selected Cell" command (what Shift+Enter does, without moving on); the kernel queues them.
RUN_CELLS_JS = """([path, cells]) => {
  const w = window.__nb(path), app = window.jupyterapp;
  for (const i of cells) {
    w.content.activeCellIndex = i;
    w.content.deselectAll();
    app.commands.execute('notebook:run-cell');
  }
}"""
CELL_SOURCES_JS = """(p) => { const m = window.__nb(p).content.model, r = [];
  for (let i = 0; i < m.cells.length; i++) r.push([m.cells.get(i).type, m.cells.get(i).sharedModel.getSource()]);
  return r; }"""
IMG_SRCS_JS = "els => els.map(e => e.getAttribute('src') || '')"
WIDGET_ROOTS = ".jp-Cell-outputArea .jp-OutputArea-output:has(.widget-output img)"


@pytest.fixture(scope="module")
def out_dir():
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT


@pytest.fixture(scope="module")
def lab(out_dir):
    require_chromium()
    require_playwright()
    work = Path(tempfile.mkdtemp(prefix="course-browser-"))
    server = Lab(work, out_dir / "jupyterlab.log")
    yield server
    server.stop()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(lab, out_dir):
    sync_playwright = require_playwright()
    profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
    with sync_playwright() as pw:
        context = launch(pw, profile)
        context.add_init_script(INIT_JS)
        context.set_default_timeout(60_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)
    (out_dir / "times.json").write_text(json.dumps(TIMES, indent=1))


def _open(browser, lab, rel_path: str, workspace: str):
    """A fresh tab with the notebook open and its kernel idle."""
    page = browser.new_page()
    page.goto(lab.url(rel_path, workspace))
    page.wait_for_function(READY_JS, arg=rel_path, timeout=120_000, polling=250)
    page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
    return page


def _close(page, rel_path: str):
    """Shut the kernel down and drop the tab without saving."""
    try:
        page.evaluate("async (p) => { const w = window.__nb(p); if (w) await w.sessionContext.shutdown(); }", rel_path)
    finally:
        page.close()


def _menu(page, menu: str, item: str):
    page.locator(f".lm-MenuBar-itemLabel:text-is('{menu}')").click()
    page.locator(f".lm-Menu-itemLabel:text-is('{item}')").click()


def _wait_done(page, rel_path: str, timeout_s: float):
    """Wait until the run has finished: the done condition must hold twice, a second apart."""
    deadline = time.time() + timeout_s
    page.wait_for_timeout(1000)
    while True:
        page.wait_for_function(DONE_JS, arg=rel_path, timeout=max(1, deadline - time.time()) * 1000, polling=500)
        page.wait_for_timeout(1000)
        if page.evaluate(DONE_JS, rel_path):
            return


def _srcs(root) -> list[str]:
    return root.locator(".widget-output img").evaluate_all(IMG_SRCS_JS)


def _wait_changed(page, root, before: list[str], rel_path: str, timeout_s: float, idle_grace_s: float) -> bool:
    """Poll until the demo's images differ from `before`; give up `idle_grace_s` after the kernel went idle."""
    start = time.time()
    idle_since = None
    while time.time() - start < timeout_s:
        if _srcs(root) != before:
            return True
        if page.evaluate("(p) => window.__kernelIdle(p)", rel_path):
            idle_since = idle_since or time.time()
            if time.time() - idle_since > idle_grace_s:
                return False
        else:
            idle_since = None
        page.wait_for_timeout(300)
    return False


def _move_a_control(page, root, rel_path: str) -> str:
    """Move the demo's first slider (arrow key); if the plot did not change, press its Run button. Returns what
    changed the plot, or '' when nothing did."""
    before = _srcs(root)
    handles = root.locator(".widget-slider .noUi-handle")
    buttons = root.locator("button.mod-primary")
    if handles.count():
        h = handles.first
        h.scroll_into_view_if_needed()
        h.focus()
        now, top = h.get_attribute("aria-valuenow"), h.get_attribute("aria-valuemax")
        key = "ArrowLeft" if now is not None and top is not None and float(now) >= float(top) else "ArrowRight"
        page.keyboard.press(key)
        label = root.locator(".widget-slider").first.locator(".widget-label").inner_text().strip()
        if _wait_changed(page, root, before, rel_path, timeout_s=60 if not buttons.count() else 15,
                         idle_grace_s=4 if buttons.count() else 8):
            return f"slider {label!r} ({key})"
    if buttons.count():
        b = buttons.first
        text = b.inner_text().strip()
        b.scroll_into_view_if_needed()
        b.click()
        if _wait_changed(page, root, before, rel_path, timeout_s=180, idle_grace_s=8):
            return f"button {text!r}"
    return ""


def _uses_widgets(path: Path) -> bool:
    nb = json.loads(path.read_text())
    return any("course_lib.widgets" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_in_jupyterlab(path, lab, browser, out_dir, quick_run):
    run = quick_run(path)  # this test run's quick-mode execution of the lecture (tests/conftest.py)
    assert not run.error, f"{path.name}: its quick-mode run stopped: {run.error}"
    demos = widget_cells(run.nb)
    sources = [c.source for c in run.nb.cells if c.cell_type == "code"]
    to_run = needed_cells(sources, demos) if demos else list(range(len(sources)))
    rel = f"notebooks/{path.name}"
    t0 = time.perf_counter()
    page = _open(browser, lab, rel, workspace=path.stem.replace("_", "-"))
    js_errors: list[str] = []
    page.on("pageerror", lambda e: js_errors.append(str(e)))
    try:
        cells = page.evaluate(CELL_SOURCES_JS, rel)
        code_at = [i for i, (kind, _) in enumerate(cells) if kind == "code"]
        assert [cells[i][1] for i in code_at] == sources, f"{path.name}: JupyterLab shows other code than was run"
        if demos:
            expected = [code_at[k] for k in to_run]
            page.evaluate(RUN_CELLS_JS, [rel, expected])
        else:
            expected = None
            _menu(page, "Run", "Run All Cells")
        _wait_done(page, rel, RUN_TIMEOUT_S)
        t_run = time.perf_counter() - t0
        problems = page.evaluate(PROBLEMS_JS, [rel, expected])
        if problems["errors"] or problems["notRun"]:
            page.screenshot(path=str(out_dir / f"{path.stem}.png"))
        assert not problems["errors"], f"{path.name}: error output in the browser: {problems['errors']}"
        assert not problems["notRun"], f"{path.name}: the run stopped; cells never ran: {problems['notRun']}"

        roots = page.locator(WIDGET_ROOTS)
        moved = []
        if _uses_widgets(path):
            assert roots.count(), f"{path.name}: uses course_lib.widgets but no demo with a plot rendered"
            for i in range(roots.count()):
                root = roots.nth(i)
                how = _move_a_control(page, root, rel)
                assert how, f"{path.name}: demo #{i + 1}: moving a slider / pressing Run did not change its plot"
                text = root.locator(".widget-output").first.inner_text()
                assert "Traceback" not in text, f"{path.name}: demo #{i + 1} shows an error:\n{text[-1500:]}"
                moved.append(how)
                if i:  # later demos get their own screenshot: NAME-demo2.png, ...
                    root.evaluate("e => e.closest('.jp-Cell').scrollIntoView({block: 'start'})")
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(out_dir / f"{path.stem}-demo{i + 1}.png"))
            # NAME.png shows the first demo (with the code cell that made it), after its control moved
            roots.first.evaluate("e => e.closest('.jp-Cell').scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out_dir / f"{path.stem}.png"))
        TIMES[path.name] = round(time.perf_counter() - t0, 1)
        TIMES[f"{path.name} (cells run)"] = round(t_run, 1)
        print(f"{path.name}: ran {len(to_run)} of {len(sources)} code cells (widgets in cells {demos}) in "
              f"{t_run:.1f} s, total {TIMES[path.name]:.1f} s; moved: {moved}; page errors: {js_errors[:3]}")
    finally:
        _close(page, rel)


HW = ROOT / "assignments" / "hw01_gradient_descent.ipynb"
OLS = '''def ols_closed_form(X, y):
    """w = argmin ||Xw − y||², from the normal equations XᵀX w = Xᵀy."""
    import numpy as np

    return np.linalg.solve(X.T @ X, X.T @ y)
'''


def test_homework_self_check_in_jupyterlab(lab, browser, out_dir):
    """Open a copy of homework 1, fill in ols_closed_form, run its self-check: it reports a pass."""
    work = Path(tempfile.mkdtemp(prefix="browser-work-", dir=ROOT / "build"))
    copy = work / HW.name
    shutil.copy(HW, copy)
    rel = copy.relative_to(ROOT).as_posix()
    t0 = time.perf_counter()
    page = _open(browser, lab, rel, workspace="hw01")
    try:
        cells = page.evaluate("""(p) => { const m = window.__nb(p).content.model, r = [];
            for (let i = 0; i < m.cells.length; i++) r.push(m.cells.get(i).sharedModel.getSource());
            return r; }""", rel)
        ex = next(i for i, s in enumerate(cells) if s.lstrip().startswith("def ols_closed_form"))
        chk = next(i for i, s in enumerate(cells) if 'check("ols_closed_form")' in s)
        assert "NotImplementedError" in cells[ex]
        cell = page.locator(".jp-Notebook .jp-Cell").nth(ex)
        cell.locator(".cm-content").click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(OLS)
        typed = page.evaluate("([p, i]) => window.__nb(p).content.model.cells.get(i).sharedModel.getSource()",
                              [rel, ex])
        assert "np.linalg.solve" in typed and "NotImplementedError" not in typed, typed

        check_cell = page.locator(".jp-Notebook .jp-Cell").nth(chk)
        check_cell.locator(".jp-InputPrompt").click()  # select the self-check cell (command mode)
        _menu(page, "Run", "Run All Above Selected Cell")
        _wait_done(page, rel, 120)
        check_cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Shift+Enter")  # run the self-check cell itself
        page.wait_for_function("([p, i]) => window.__nb(p).content.model.cells.get(i).executionCount",
                               arg=[rel, chk], timeout=60_000)
        _wait_done(page, rel, 60)
        out = check_cell.locator(".jp-OutputArea").inner_text()
        check_cell.scroll_into_view_if_needed()
        page.screenshot(path=str(out_dir / "hw01_self_check.png"))
        assert "✓ ols_closed_form" in out, out
        problems = page.evaluate(PROBLEMS_JS, [rel, None])
        assert not problems["errors"], problems["errors"]
        TIMES["hw01 self-check"] = round(time.perf_counter() - t0, 1)
    finally:
        _close(page, rel)
        shutil.rmtree(work, ignore_errors=True)


def test_lecture_files_were_not_saved(lab, browser):
    """Runs last in this module: the repository's lectures still have no outputs (nothing saved them)."""
    for path in LECTURES:
        nb = json.loads(path.read_text())
        dirty = [i + 1 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c.get("outputs")]
        assert not dirty, f"{path.name} was saved with outputs (cells {dirty})"
