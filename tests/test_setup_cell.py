"""The setup cell (autograder/colab.py, written into every notebook by `course release`): on a Python without the
course (Colab) it installs the course from the repository named in pyproject.toml, or from a course wheel uploaded
beside the notebook; when that fails the student sees one message saying what to do, not pip's error and a chain
of tracebacks, and "Run all" stops there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.project import repository_url
from autograder.release.colab import setup_source

NOTEBOOKS = [p for d in ("notebooks", "solutions", "assignments") for p in sorted((ROOT / d).glob("*.ipynb"))]

RUN_CELL = """
import sys
sys.modules["course_lib"] = None  # a Python without the course: `import course_lib` raises ImportError
from IPython.core.interactiveshell import InteractiveShell
result = InteractiveShell.instance().run_cell(sys.stdin.read())
print("CELL", "ran" if result.success else "failed")
"""


def _run_setup_cell(cwd: Path) -> str:
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "GIT_TERMINAL_PROMPT": "0", "PIP_NO_INDEX": "1"}  # no network: the install fails, and fast
    out = subprocess.run([sys.executable, "-c", RUN_CELL], input=setup_source(), cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    return out.stdout + out.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_starts_with_the_generated_setup_cell(path):
    first = next(c for c in json.loads(path.read_text("utf-8"))["cells"] if c["cell_type"] == "code")
    assert "".join(first["source"]) == setup_source(), f"{path.name}: run `course release`"
    assert f"git+{repository_url()}" in setup_source()


def test_a_failed_install_shows_one_message_and_stops(tmp_path):
    text = _run_setup_cell(tmp_path)
    assert "CELL failed" in text
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("CELL")]
    assert len(lines) == 1, text
    assert lines[0].startswith(f"Could not install the course package from git+{repository_url()}")
    assert "check your network" in lines[0] and ".whl" in lines[0]
    assert "Traceback" not in text and "ModuleNotFoundError" not in text and "pip" not in lines[0].split(".")[0]


def test_an_uploaded_wheel_is_used_and_a_bad_one_is_named(tmp_path):
    (tmp_path / "deep_learning_basics-0.1.0-py3-none-any.whl").write_bytes(b"not a wheel")
    text = _run_setup_cell(tmp_path)
    assert "Could not install the course package from deep_learning_basics-0.1.0-py3-none-any.whl" in text
    assert "is the uploaded file the course's .whl?" in text and "Traceback" not in text


def test_the_setup_cell_installs_the_course_only_without_dependencies():
    """Its pip command: --no-deps, no upgrade, and the course (the repository or an uploaded course wheel) as the
    only target, so Colab's torch, numpy and ipywidgets 7.7.1 stay as they are."""
    import ast

    tree = ast.parse(setup_source())
    lists = [[e.value for e in n.elts if isinstance(e, ast.Constant)]
             for n in ast.walk(tree) if isinstance(n, ast.List)]
    commands = [words for words in lists if "install" in words]
    assert len(commands) == 1
    words = commands[0]
    assert "--no-deps" in words and not {"-U", "--upgrade", "--force-reinstall", "-r"} & set(words)
    assert not [w for w in words if not w.startswith("-") and w not in ("pip", "install")]  # the target is a name
    assert "git+" + repository_url() in setup_source() and 'glob.glob("deep_learning_basics*.whl")' in setup_source()
