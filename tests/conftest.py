"""Shared test set-up: quick mode, offline data, the tests folder on sys.path (for gradeutil)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's execution time at the end of the run."""
    mod = sys.modules.get("test_notebooks")
    times = getattr(mod, "TIMES", {}) if mod else {}
    if times:
        terminalreporter.write_sep("-", "notebook times (quick mode)")
        for name, secs in sorted(times.items()):
            terminalreporter.write_line(f"{name:<44} {secs:6.1f} s")
