"""What pyproject.toml says, for everything that is generated from it (the one place it is written).

- Dependencies: each consumer names the packages it needs; the version ranges come from `[project] dependencies`
  and `[project.optional-dependencies]`: the student bundle's pyproject, Gradescope's requirements.txt and
  setup.sh, otter's requirements.txt. environment.yml installs the project itself, so it carries no versions.
- The repository's address, `[project.urls] Repository`: `course release` writes it into every setup cell
  (Colab installs the course from it) and the README's Colab table; the site and the otter export read it here.
"""

from __future__ import annotations

import re
from functools import lru_cache

GRADESCOPE = ("numpy", "matplotlib", "tqdm", "nbformat")
OTTER = ("numpy", "matplotlib")


def _name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[@]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


@lru_cache(maxsize=1)
def pyproject() -> dict:
    """pyproject.toml at the course root, parsed."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    from autograder.paths import course_root

    path = course_root() / "pyproject.toml"
    if not path.exists():
        raise FileNotFoundError(f"no pyproject.toml at {path}: run from the course checkout or set COURSE_ROOT")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def project_dependencies() -> dict[str, str]:
    """Package name -> its requirement string, from the dependencies and every extra."""
    project = pyproject()["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return {_name(s): s for s in specs}


def core_dependencies() -> list[str]:
    """The student package's own requirements (`[project] dependencies`)."""
    return list(pyproject()["project"]["dependencies"])


def extra(name: str) -> list[str]:
    """The requirement strings of one extra (lab, instructor, dev)."""
    return list(pyproject()["project"]["optional-dependencies"][name])


def requirements(names: tuple[str, ...]) -> list[str]:
    """The pyproject requirement strings for `names`, in that order."""
    deps = project_dependencies()
    missing = [n for n in names if n not in deps]
    if missing:
        raise KeyError(f"not in pyproject.toml's dependencies: {missing}")
    return [deps[n] for n in names]


def repository_url() -> str:
    """The course repository (https://github.com/<owner>/<name>), from `[project.urls] Repository`."""
    url = pyproject()["project"].get("urls", {}).get("Repository", "").rstrip("/")
    if not re.fullmatch(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", url):
        raise ValueError(f"pyproject.toml: [project.urls] Repository must be https://github.com/<owner>/<name>, "
                         f"got {url!r}")
    return url


def colab_url(path: str) -> str:
    """The Colab link that opens `path` (a notebook in the repository, on its main branch)."""
    return "https://colab.research.google.com/github/" + repository_url().removeprefix("https://github.com/") + \
        f"/blob/main/{path}"
