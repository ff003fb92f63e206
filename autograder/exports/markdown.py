"""The course's one Markdown renderer (mistune, the renderer nbconvert uses), with raw HTML escaped: student text in
feedback, and the README and guides on the static site, render the same way and can never inject markup."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _renderer():
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table"])


def to_html(markdown_text: str) -> str:
    """HTML for `markdown_text`: headings, lists, tables, emphasis and code; any raw HTML shows as text."""
    return _renderer()(markdown_text)
