"""The course on Colab's versions: a second venv (tools/colab_env.sh: ipywidgets 7.7.1, numpy 2.0.2,
matplotlib 3.10.0, torch 2.13.0 CPU, the course with --no-deps) in which every lecture runs in quick mode and every
widget's headless test passes, and where the notebooks' setup cell upgrades nothing.

The environment is built once (about 3-4 min) and reused while tools/colab_env.sh and pyproject.toml are unchanged
(a stamp inside it). $COURSE_COLAB_VENV moves it (default .venv-colab); $COURSE_COLAB_JOBS sets how many notebooks
run at once (default 1: two kernels started at the same moment have been seen to stall for the full cell timeout).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, code_notebook

pytestmark = pytest.mark.slow

VENV = Path(os.environ.get("COURSE_COLAB_VENV", ROOT / ".venv-colab"))
PY = VENV / "bin" / "python"
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL_NOTEBOOKS = LECTURES + sorted((ROOT / "assignments").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
PINNED = {"ipywidgets": "7.7.1", "numpy": "2.0.2", "matplotlib": "3.10.0", "torch": "2.13.0"}
JOBS = int(os.environ.get("COURSE_COLAB_JOBS", "1"))
BUDGET_S = 60.0  # quick-mode budget per notebook, as in tests/test_notebooks.py


def _env() -> dict:
    env = dict(os.environ, COURSE_QUICK="1", COURSE_OFFLINE="1", PYTHONNOUSERSITE="1",
               # kernels come from the colab venv only (never a user-level python3 kernelspec)
               JUPYTER_DATA_DIR=str(VENV / "jupyter-data"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    for k in ("JUPYTER_PATH", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(k, None)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _versions() -> dict:
    code = ("import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in "
            f"{sorted(PINNED)!r}}}))")
    out = subprocess.run([str(PY), "-c", code], capture_output=True, text=True, env=_env(), check=True)
    return {k: v.split("+")[0] for k, v in json.loads(out.stdout).items()}


@pytest.fixture(scope="module")
def colab_env():
    t0 = time.perf_counter()
    out = subprocess.run(["bash", str(ROOT / "tools" / "colab_env.sh"), str(VENV)], cwd=ROOT, capture_output=True,
                         text=True, timeout=1200)
    assert out.returncode == 0, f"building the colab-like env failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    print(f"colab env: {out.stdout.strip().splitlines()[-1]} ({time.perf_counter() - t0:.0f} s)")
    before = _versions()
    assert before == PINNED, before
    yield before
    assert _versions() == before, "running the notebooks changed the pinned packages (an upgrade happened)"


def _run(path: Path) -> tuple[str, int, str, float]:
    """Run a lecture once in the colab venv (tools/run_notebook.py in a process of its own). No retry: the stall that
    a retry used to hide (nbclient waiting for a reply after a widget cell) is fixed in tools/run_notebook.py, and a
    lecture that is slow or broken in this environment must fail here."""
    t0 = time.perf_counter()
    cmd = [str(PY), str(ROOT / "tools" / "run_notebook.py"), str(path), "--timeout", str(int(BUDGET_S * 1.5))]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=BUDGET_S * 5)
        rc, log = p.returncode, (p.stdout + p.stderr)[-3000:]
    except subprocess.TimeoutExpired:
        rc, log = 124, f"killed after {BUDGET_S * 5:.0f} s"
    return path.name, rc, log, time.perf_counter() - t0


@pytest.fixture(scope="module")
def lecture_runs(colab_env):
    with ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        results = list(pool.map(_run, LECTURES))
    return {name: (rc, log, secs) for name, rc, log, secs in results}


def test_kernel_runs_in_the_colab_env(colab_env, tmp_path):
    """The notebooks' kernel is the colab venv's Python, with ipywidgets 7.7.1 (not the main venv's 8.x)."""
    probe = code_notebook(tmp_path / "probe.ipynb", "import sys, ipywidgets, numpy, matplotlib; print(sys.prefix, "
                          "ipywidgets.__version__, numpy.__version__, matplotlib.__version__)")
    code = ("import sys, json, nbformat; sys.path.insert(0, 'tools'); from run_notebook import execute; "
            f"s, nb = execute({str(probe)!r}); print(json.dumps(nb.cells[0].outputs[0]['text']))")
    out = subprocess.run([str(PY), "-c", code], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    text = json.loads(out.stdout.strip().splitlines()[-1])
    prefix, widgets, numpy, mpl = text.split()
    assert Path(prefix).resolve() == VENV.resolve()
    assert (widgets, numpy, mpl) == (PINNED["ipywidgets"], PINNED["numpy"], PINNED["matplotlib"])


@pytest.mark.parametrize("name", [p.name for p in LECTURES])
def test_lecture_runs_on_colab_versions(name, lecture_runs):
    rc, log, secs = lecture_runs[name]
    print(f"{name}: {secs:.1f} s (colab env)")
    assert rc == 0, f"{name} failed in the colab-like env:\n{log}"
    m = re.search(r"ok .*: ([\d.]+) s", log)
    assert m and float(m.group(1)) < BUDGET_S, f"{name}: over the {BUDGET_S:.0f} s quick-mode budget:\n{log[-500:]}"


def test_widget_tests_pass_on_colab_versions(colab_env):
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_widgets_*.py"))
    assert tests, "no widget tests found"
    out = subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
                          "-o", "addopts=", *tests], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=900)
    assert out.returncode == 0, f"widget tests fail on ipywidgets 7.7.1:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}"
    print(out.stdout.strip().splitlines()[-1])


def _pip_flags(source: str) -> list[str]:
    """The options of the setup cell's `pip install` (the string constants starting with "-" in the list it runs)."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if "install" in words:
                return [w for w in words if w.startswith("-") and w not in ("-m",)]
    return []


def test_setup_cell_install_touches_nothing_else(colab_env):
    """What the setup cell's pip command would do on Colab, with the course's git URL (or wheel) swapped for this
    checkout: pip's own dry-run report lists only the course (no ipywidgets, torch, numpy, matplotlib)."""
    from autograder.release.colab import setup_source

    flags = [w for w in _pip_flags(setup_source()) if w not in ("-q", "--quiet")]
    assert flags == ["--no-deps"], flags  # what every notebook's first cell runs (tests/test_setup_cell.py)
    report = ROOT / "build" / "colab-setup-cell-report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([str(PY), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--report", str(report),
                          *flags, str(ROOT)], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    names = sorted(i["metadata"]["name"] for i in json.loads(report.read_text())["install"])
    assert names == ["deep-learning-basics"], names
