"""git's clean filter for notebooks (`make setup` configures it; .gitattributes applies it to *.ipynb).

Gives git each notebook as the course commits it (course_lib.nbclean.strip: outputs stripped, the course's kernel
metadata, no UI state), so diffs and commits show only real edits after a notebook was opened or run in JupyterLab.
Reads the notebook on stdin, writes it on stdout; anything that is not a notebook passes through unchanged.

    python tools/nb_filter.py < notebooks/01_gradient_descent.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path


def clean(text: str) -> str:
    """The notebook `text` as the course commits it (or `text` itself when it is not a notebook)."""
    import nbformat

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from course_lib.nbclean import strip

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:  # noqa: BLE001 - not a notebook (or a deliberately broken sample): leave it alone
        return text
    return nbformat.writes(strip(nb)) + "\n"


def main() -> int:
    text = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    sys.stdout.buffer.write(clean(text).encode("utf-8", errors="surrogateescape"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
