"""Author's helper: turn a percent-format script (`# %%` code cells, `# %% [markdown]`) into an .ipynb.

    python tools/py2nb.py draft.py notebooks/01_gradient_descent.ipynb

Markdown cells are written as comment lines (`# text`); the leading `# ` is removed. Outputs are empty.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

_MARK = re.compile(r"^# %%(.*)$")


def convert(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    kind, lines = None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", ln) for ln in body.split("\n"))
            nb.cells.append(nbformat.v4.new_markdown_cell(body))
        elif body.strip():
            nb.cells.append(nbformat.v4.new_code_cell(body))

    for line in text.split("\n"):
        m = _MARK.match(line)
        if m:
            flush()
            kind, lines = ("markdown" if "[markdown]" in m.group(1) else "code"), []
        else:
            lines.append(line)
    flush()
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def main(argv: list[str]) -> int:
    src, dst = Path(argv[1]), Path(argv[2])
    nb = convert(src.read_text(encoding="utf-8"))
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dst))
    print(f"wrote {dst} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
