"""The course's notebooks as committed: outputs stripped, the course's kernel metadata, no UI state.

JupyterLab rewrites a notebook's kernel metadata when it opens it (the kernel's display name, the Python version),
and saves outputs and UI state (a scrolled output, a collapsed heading). Two users of this module keep that out of
git: `course lab` installs `pre_save` as Jupyter's pre-save hook (opening and saving a lecture leaves its file as
committed, unless its text or outputs changed), and git's clean filter (tools/nb_filter.py, set up by `make setup`)
gives git each notebook without outputs, so diffs and commits show only real edits.
"""

from __future__ import annotations

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
UI_STATE = ("collapsed", "scrolled", "execution", "trusted", "jp-MarkdownHeadingCollapsed")


def canonical_metadata(nb: dict) -> dict:
    """`nb` (a notebook dict, changed in place and returned) with the course's kernel metadata and no widget state."""
    meta = nb.setdefault("metadata", {})
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = dict(LANGUAGE_INFO)
    meta.pop("widgets", None)
    return nb


def strip(nb: dict) -> dict:
    """`nb` as committed (changed in place and returned): canonical metadata, no outputs, counts or UI state."""
    canonical_metadata(nb)
    for cell in nb.get("cells", []):
        for key in UI_STATE:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def pre_save(model: dict, **kwargs) -> None:
    """Jupyter's pre-save hook (FileContentsManager.pre_save_hook): a notebook is saved with the course's kernel
    metadata, so opening a lecture (which rewrites it) does not change its file."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        canonical_metadata(model["content"])
