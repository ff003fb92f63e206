"""Shared helpers for the real-browser tests: find (or install) the system Chromium, launch it with Playwright,
and run JupyterLab on 127.0.0.1 with a token, autosave off and a throw-away settings/workspace folder.

Playwright only drives the browser: it never downloads one. Chromium comes from Debian's package `chromium`,
installed by `bash tools/setup_env.sh .venv --browser-only` (which `make test` runs once, behind a stamp).
The tests skip, saying why, only where Chromium cannot be installed (no apt-get, no root/sudo: macOS, say).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

VENV_BIN = Path(sys.executable).parent

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def find_chromium() -> str | None:
    for cand in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                 shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def _can_install() -> str | None:
    """None when apt-get can install chromium here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"no Chromium and {sys.platform} has no Debian package for it (set COURSE_CHROMIUM to a Chromium binary)"
    if not shutil.which("apt-get"):
        return "no Chromium and no apt-get to install it (set COURSE_CHROMIUM to a Chromium binary)"
    if os.geteuid() != 0:
        ok = shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        if not ok:
            return "no Chromium, and installing it needs root or password-less sudo"
    return None


def require_chromium() -> str:
    """The Chromium binary; installs it through the project's set-up when missing and installable, else skips."""
    path = find_chromium()
    if path:
        return path
    reason = _can_install()
    if reason:
        pytest.skip(reason)
    out = subprocess.run(["bash", str(ROOT / "tools" / "setup_env.sh"), str(VENV_BIN.parent), "--browser-only"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    path = find_chromium()
    assert path, f"chromium should be installable here but set-up failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}"
    return path


def require_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the dev extra installs it; fail loudly on Linux CI rather than skipping
        pytest.fail("playwright is missing from the venv: run `make setup` (it is in the `dev` extra)")
    return sync_playwright


def launch(pw, user_data_dir: Path):
    """A persistent context on a fresh, empty profile folder (headless system Chromium)."""
    return pw.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000}, device_scale_factor=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Lab settings for tests: never save on its own, every cell in the DOM, no news/update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


class Lab:
    """JupyterLab (`course lab`) on 127.0.0.1 with a token, quick and offline mode, in a fresh settings folder."""

    def __init__(self, workdir: Path, log_path: Path):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        settings = workdir / "lab-settings"
        for rel, value in LAB_SETTINGS.items():
            f = settings / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(value))
        env = dict(os.environ, COURSE_QUICK="1", COURSE_OFFLINE="1", JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(workdir / "lab-workspaces"), PYTHONUNBUFFERED="1")
        env.pop("MPLBACKEND", None)  # the kernel picks the inline backend itself
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "course"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True",
             "--ServerApp.port_retries=0"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=5):
                    break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer within 120 s:\n{self.log()[-3000:]}") from None
                time.sleep(0.5)

    def url(self, path: str, workspace: str | None = None) -> str:
        ws = f"workspaces/{workspace}/" if workspace else ""
        return f"{self.base}/lab/{ws}tree/{path}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


# -- what a lecture's browser test runs -------------------------------------------------------------------------------

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_cells(executed_nb) -> list[int]:
    """Indexes (among the code cells) of the cells whose quick-mode run displayed a widget (a demo, a progress bar)."""
    code = [c for c in executed_nb.cells if c.cell_type == "code"]
    return [i for i, c in enumerate(code) if any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))]


def _names(source: str) -> tuple[set[str], set[str], set[str], bool]:
    """(names the cell binds at module level, names it reads from earlier cells, names its functions read when they
    are called, parsed) for one code cell's source; IPython magics and shell lines are left out. Statements are taken
    in order: a name bound by an earlier statement of the cell is not read from an earlier cell; loop targets and
    names bound inside a compound statement, a function, a lambda or a comprehension are that statement's own. Errs
    towards reading more (more cells run)."""
    import ast

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set(), set(), False
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp)

    def nested_binds(node) -> set[str]:  # parameters and assignments inside functions, lambdas, comprehensions
        out = set()
        for scope in ast.walk(node):
            if isinstance(scope, scopes):
                out |= {n.id for n in ast.walk(scope) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
                if not isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                    a = scope.args
                    out |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
        return out

    def module_binds(node) -> set[str]:  # what the statement binds in the notebook's namespace
        out, todo = set(), [node]
        while todo:
            n = todo.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
                continue
            if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                out |= {a.asname or a.name.split(".")[0] for a in n.names}
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                out.add(n.id)
            todo.extend(ast.iter_child_nodes(n))
        return out

    defined, read, late = set(), set(), set()
    for stmt in tree.body:
        if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(stmt)):
            return set(), set(), set(), False
        loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        loads |= {n.target.id for n in ast.walk(stmt)
                  if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
        own = nested_binds(stmt)
        simple = isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return, ast.Delete))
        if not simple and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own |= module_binds(stmt)  # a loop's target, names set inside an if/with/try block
        read |= loads - own - defined
        for fn in ast.walk(stmt):  # a function reads the globals its body uses when it is called, not when defined
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                late |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                late -= nested_binds(fn)
        defined |= module_binds(stmt)
    return defined, read, late, True


def needed_cells(sources: list[str], targets: list[int]) -> list[int]:
    """The code cells (indexes into `sources`) to run, in order, so that the `targets` run as in the whole notebook:
    the first cell (the setup cell), the targets, and every earlier cell that defines a name a cell to run reads
    (transitively; the globals a function reads count as read where the last target runs). A cell that cannot be
    analysed (a star import, a syntax error) is always run."""
    if not targets:
        return []
    info = [_names(s) for s in sources]
    run, late = {0, *targets}, set()
    while True:
        before = (set(run), set(late))
        wanted = set(late)
        for i in range(max(targets), -1, -1):
            defined, read, fn_reads, parsed = info[i]
            if i in run or not parsed or defined & wanted:
                run.add(i)
                wanted = (wanted - defined) | read
                late |= fn_reads
        if (run, late) == before:
            return sorted(run)
