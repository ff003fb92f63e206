"""Shared test set-up: quick mode, offline data, the tests folder on sys.path, the test tiers, and the fixtures and
helpers several test files use.

Tiers (`pytest --tier fast|integration`; no option runs both):

- **fast** (`make check`): every test the rule below does not put in the integration tier. Each fast test must
  finish (setup and call) within FAST_TEST_LIMIT_S on an idle machine: a slower one fails the run, named, with what
  to do about it, so a slow test cannot slip into the fast tier unnoticed. On a busy machine the limit grows with
  the load (1-minute load average per core, when above 1): other people's work must not fail our tests.
  pytest-timeout stops a hung test after TIER_TIMEOUT_S (per tier).
- **integration** (`make test` runs it after `make check`): the files in INTEGRATION_FILES (real tools, browsers,
  other environments, whole classes, executed notebooks) and any test marked `integration`, `slow` or `notebook`.

Tests that assert on wall-clock time are marked `serial`: the Makefile runs them in a pass of their own without
pytest-xdist (`-m serial`), the rest with it (`-m "not serial"`). The summary at the end reports each tier's test
count and total test time, and the quick-mode time of every notebook this run executed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
SAMPLES = ROOT / "autograder" / "samples" / "hw01"  # the bundled sample class: correct, partial, blank, ...
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
QUICK_STORE = ROOT / "build" / "quick-mode"  # each notebook's quick-mode run, executed once per test run

# -- tiers -------------------------------------------------------------------------------------------------------

INTEGRATION_FILES = {
    "test_exports_agree.py": "three realistic classes graded by course grade, Gradescope, nbgrader and Otter",
    "test_interop_all_homeworks.py": "every homework through Gradescope, nbgrader and Otter",
    "test_interop_nbgrader.py": "the real nbgrader",
    "test_interop_otter.py": "the real otter-grader",
    "test_interop_gradescope.py": "the Gradescope zip's run_autograder",
    "test_browser.py": "JupyterLab driven in Chromium",
    "test_site.py": "the static site built and read in Chromium",
    "test_lab.py": "`make lab` serving JupyterLab",
    "test_colab_env.py": "a second venv with Colab's versions",
    "test_machines.py": "every BLAS kernel and thread count",
    "test_student_package.py": "the wheel and the student's install in a fresh venv",
    "test_notebooks.py": "every lecture and solution executed in quick mode",
    "test_heldout_classes.py": "three held-out classes through course grade, Gradescope, nbgrader and Otter",
}
INTEGRATION_MARKERS = ("integration", "slow", "notebook")
FAST_TEST_LIMIT_S = float(os.environ.get("COURSE_FAST_TEST_LIMIT_S", "30"))
TIER_TIMEOUT_S = {"fast": 300, "integration": 2400}  # pytest-timeout, per test (setup, call and teardown)


def tier_of(item) -> str:
    """The rule: a file listed in INTEGRATION_FILES or a test marked integration/slow/notebook is integration;
    everything else is fast."""
    if Path(str(item.fspath)).name in INTEGRATION_FILES:
        return "integration"
    if any(item.get_closest_marker(m) for m in INTEGRATION_MARKERS):
        return "integration"
    return "fast"


_CONFIG: dict = {}


def pytest_addoption(parser):
    group = parser.getgroup("course", "Deep Learning Basics test tiers")
    group.addoption("--tier", choices=("fast", "integration", "all"), default="all",
                    help="run one tier: fast (`make check`) or integration (the rest of `make test`)")


def pytest_configure(config):
    # One id for the whole test run, shared by pytest-xdist's workers (they inherit the environment) and by the
    # Makefile's passes (`make test` sets it once): each notebook is executed once per run (see `quick_run`).
    os.environ.setdefault("COURSE_TEST_RUN", uuid.uuid4().hex)
    config._course_tiers = {"fast": [0, 0.0], "integration": [0, 0.0]}
    config._course_t0 = time.time()
    _CONFIG["config"] = config


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("--tier")
    keep, drop = [], []
    has_timeout = config.pluginmanager.hasplugin("timeout")  # pytest-timeout (the dev extra)
    for item in items:
        tier = tier_of(item)
        item.user_properties.append(("tier", tier))
        item.add_marker(getattr(pytest.mark, f"tier_{tier}"))
        if has_timeout and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(TIER_TIMEOUT_S[tier]))
        (keep if wanted in ("all", tier) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def fast_limit_s() -> tuple[float, float]:
    """(the fast tier's per-test limit now, the load factor): FAST_TEST_LIMIT_S times the 1-minute load average
    per core when that is above 1."""
    try:
        factor = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:
        factor = 1.0
    return FAST_TEST_LIMIT_S * factor, factor


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._course_cpu0 = _cpu_s()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "setup":
        item._course_setup_s = rep.duration
    elif rep.when == "call" and rep.passed and tier_of(item) == "fast":
        took = getattr(item, "_course_setup_s", 0.0) + rep.duration
        limit, factor = fast_limit_s()
        if took > limit:
            cpu = _cpu_s() - getattr(item, "_course_cpu0", _cpu_s())
            rep.outcome = "failed"
            rep.longrepr = (
                f"{item.nodeid} took {took:.1f} s (set-up and call; {cpu:.1f} s of CPU here and in finished "
                f"subprocesses): over the fast tier's limit of {FAST_TEST_LIMIT_S:.0f} s per test"
                + (f" (x{factor:.1f} for the machine's load: {limit:.0f} s)" if factor > 1 else "")
                + ". Make it faster, or move it to the integration tier: mark it @pytest.mark.integration or list "
                "its file in INTEGRATION_FILES (tests/conftest.py).")


def pytest_runtest_logreport(report):
    tier = dict(report.user_properties).get("tier")
    config = _CONFIG.get("config")
    if tier and config is not None:
        counts = config._course_tiers[tier]
        counts[1] += report.duration
        if report.when == "call" or (report.when == "setup" and report.skipped):
            counts[0] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Each tier's test count and total test time; each notebook's quick-mode time in this test run."""
    tiers = getattr(config, "_course_tiers", {})
    if any(n for n, _ in tiers.values()):
        terminalreporter.write_sep("-", "test tiers")
        wall = time.time() - config._course_t0
        for name, (n, secs) in tiers.items():
            if n:
                terminalreporter.write_line(f"{name:<12} {n:5d} tests, {secs:7.1f} s of test time"
                                            + (f" (limit {FAST_TEST_LIMIT_S:.0f} s per test on an idle machine)"
                                               if name == "fast" else ""))
        try:
            load = "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
        except OSError:
            load = ""
        terminalreporter.write_line(f"{'wall':<12} {wall:7.1f} s for this pass; {load}")
    times = quick_run_times()
    if times:
        terminalreporter.write_sep("-", "notebook times (quick mode, executed once in this test run)")
        for name, secs in sorted(times.items()):
            terminalreporter.write_line(f"{name:<44} {secs:6.1f} s")


# -- each notebook executed once per test run ---------------------------------------------------------------------

def quick_run_times() -> dict[str, float]:
    """Seconds of each notebook executed in quick mode in this test run (from QUICK_STORE's records)."""
    out = {}
    for rec in sorted(QUICK_STORE.glob("*.json")) if QUICK_STORE.exists() else []:
        try:
            data = json.loads(rec.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if data.get("run") == os.environ.get("COURSE_TEST_RUN"):
            out[f"{rec.stem}.ipynb"] = data["seconds"]
    return out


class QuickRun:
    """One notebook executed in quick mode (tools/run_notebook.py's execute): `seconds`, `error` (what stopped the
    run, or ""), `nb` (the executed notebook, also kept in build/quick-mode/) and `errors` (error outputs)."""

    def __init__(self, path: Path, record: dict):
        import nbformat
        from run_notebook import error_outputs

        self.path, self.seconds, self.error = path, record["seconds"], record["error"]
        self.fresh = record["fresh"]
        self.nb = nbformat.read(record["notebook"], as_version=4)
        self.errors = error_outputs(self.nb)


QUICK_CELL_TIMEOUT_S = 180


@pytest.fixture(scope="session")
def quick_run():
    """quick_run(path) -> QuickRun: the notebook executed once in this test run, whichever test (or pytest-xdist
    worker, or pass of `make test`) asks first; the others get the stored result."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    from run_notebook import execute_once

    def run(path: Path) -> QuickRun:
        record = execute_once(path, QUICK_STORE, os.environ["COURSE_TEST_RUN"], quick=True,
                              timeout=QUICK_CELL_TIMEOUT_S)
        return QuickRun(Path(path), record)

    return run


# -- helpers shared by several test files --------------------------------------------------------------------------

def course(*args, check=True, timeout=600):
    """`course ARGS` (python -m course_lib.cli) in the checkout; with check, a non-zero exit fails the test."""
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=timeout)
    if check:
        assert out.returncode == 0, out.stderr + out.stdout
    return out


def grades_by_student(path: Path) -> dict[str, dict[str, str]]:
    """A grades.csv (`course grade`, the course gradebook) as {student: row}, values as written."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def sample_class(dest: Path, students=None) -> Path:
    """A class folder of copies of the bundled hw01 samples: every sample, or {student: sample name} / a list."""
    dest.mkdir(parents=True, exist_ok=True)
    if students is None:
        students = [p.stem for p in sorted(SAMPLES.glob("*.ipynb"))]
    pairs = students.items() if isinstance(students, dict) else ((s, s) for s in students)
    for student, sample in pairs:
        shutil.copy(SAMPLES / f"{sample}.ipynb", dest / f"{student}.ipynb")
    return dest


def code_notebook(path: Path, *sources: str) -> Path:
    """A notebook of code cells with the python3 kernelspec, written to `path`."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path
