"""Dependencies, derived from pyproject.toml (the one place version ranges are written).

Each consumer names the packages it needs; the ranges come from `[project] dependencies`:
the student bundle's pyproject, Gradescope's requirements.txt and setup.sh, otter's requirements.txt.
environment.yml installs the project itself (`-e ".[dev]"`), so it carries no versions of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache

STUDENT = ("numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn", "tqdm", "jupyterlab")
GRADESCOPE = ("numpy", "matplotlib", "tqdm", "nbformat")
OTTER = ("numpy", "matplotlib")


def _name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[@]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


@lru_cache(maxsize=1)
def project_dependencies() -> dict[str, str]:
    """Package name -> its requirement string, from pyproject.toml at the course root."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    from autograder.paths import course_root

    path = course_root() / "pyproject.toml"
    if not path.exists():
        raise FileNotFoundError(f"no pyproject.toml at {path}: run from the course checkout or set COURSE_ROOT")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {_name(s): s for s in data["project"]["dependencies"]}


def requirements(names: tuple[str, ...]) -> list[str]:
    """The pyproject requirement strings for `names`, in that order."""
    deps = project_dependencies()
    missing = [n for n in names if n not in deps]
    if missing:
        raise KeyError(f"not in pyproject.toml's dependencies: {missing}")
    return [deps[n] for n in names]
