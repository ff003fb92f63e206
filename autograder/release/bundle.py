"""The student bundle (`course release --to DIR`): lectures, assignments and course_lib with the public cases,
a pyproject of the student package (from the course's), an install script that picks the CPU build of torch where
there is no NVIDIA GPU, and a wheel of course_lib for Colab. No solutions, no hidden cases."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from autograder.paths import course_root
from autograder.release.solution import SolutionError


def bundle_pyproject() -> str:
    """The student bundle's pyproject.toml: the course's own, less the instructor and dev extras (the same package
    name, student dependencies, the `lab` extra and the `course` command), taken from the course's pyproject.toml."""
    from autograder.project import core_dependencies, extra, pyproject, repository_url

    project = pyproject()["project"]

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{project['name']}"
version = "{project['version']}"
description = "{project['description']} (student bundle)"
requires-python = "{project['requires-python']}"
dependencies = {toml_list(core_dependencies())}

[project.optional-dependencies]
lab = {toml_list(extra('lab'))}

[project.scripts]
course = "course_lib.cli:main"

[project.urls]
Repository = "{repository_url()}"

[tool.setuptools]
package-dir = {{ "" = "." }}

[tool.setuptools.packages.find]
where = ["."]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["data_files/*", "public_cases/*", "quiz_keys/*"]
"""


BUNDLE_README = """# Deep Learning Basics: student bundle

The course's lectures (`notebooks/`), your homework (`assignments/`) and the `course_lib` package they use.

## Install (once)

```bash
bash install.sh            # makes .venv: torch (the small CPU build where there is no NVIDIA GPU), then the course
.venv/bin/course lab       # JupyterLab on the course; `--quick` runs every lecture at small sizes
```

`install.sh` installs PyTorch's CPU build when the machine has no NVIDIA GPU (a few hundred MB instead of several
GB), then `pip install -e ".[lab]"`: course_lib with numpy, torch, matplotlib and ipywidgets, and JupyterLab.
Without JupyterLab (`pip install -e .`), the self-check still works from a terminal.

## Homework

Open `assignments/hwNN_*.ipynb`, fill in each function, and run the self-check cell under it (the last cell checks
every exercise). From a terminal:

```bash
.venv/bin/course check assignments/hw01_gradient_descent.ipynb   # one line per exercise, then "k/n pass"
```

## Google Colab

Upload a notebook, then upload `wheel/deep_learning_basics-*.whl` beside it (Files panel): the notebook's first
cell installs the course from that wheel when it cannot reach the course repository.
"""

BUNDLE_INSTALL = """#!/usr/bin/env bash
# Install the course for a student: bash install.sh [VENV]   (default .venv, made if missing)
set -euo pipefail
cd "$(dirname "$0")"
VENV="${1:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip>=23" >/dev/null 2>&1 || true
bash install_torch.sh "$VENV/bin/python"
"$VENV/bin/python" -m pip install -q -e ".[lab]"
echo "ready: $VENV/bin/course lab   (self-check from a terminal: $VENV/bin/course check assignments/NOTEBOOK)"
"""


def bundle(dest: Path, wheel: bool = True) -> Path:
    """A student bundle: lectures, assignments, course_lib with public cases, an install script and (with `wheel`) a
    wheel of course_lib for Colab; no solutions, no hidden cases."""
    root = course_root()
    if dest.exists() and any(dest.iterdir()):
        raise SolutionError(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(root / "course_lib", dest / "course_lib", ignore=ignore)
    for folder in ("notebooks", "assignments"):
        if (root / folder).exists():
            shutil.copytree(root / folder, dest / folder, ignore=ignore)
    (dest / "pyproject.toml").write_text(bundle_pyproject(), encoding="utf-8")
    (dest / "README.md").write_text(BUNDLE_README, encoding="utf-8")
    (dest / "install.sh").write_text(BUNDLE_INSTALL, encoding="utf-8")
    shutil.copy(root / "tools" / "install_torch.sh", dest / "install_torch.sh")
    if wheel:
        out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                              str(dest), "-w", str(dest / "wheel")], capture_output=True, text=True, timeout=600)
        for junk in ("build", "deep_learning_basics.egg-info"):
            shutil.rmtree(dest / junk, ignore_errors=True)
        if out.returncode != 0:
            raise SolutionError(f"the bundle's wheel did not build: {out.stderr.strip().splitlines()[-1:]}")
    return dest
