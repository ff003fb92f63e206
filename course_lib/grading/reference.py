"""Reference pieces a driver swaps in while grading a composition, so a bug in one exercise costs only that one.

`swapped_globals` puts reference pieces in place of the student's while a composition is graded (hw08's
sequence drivers use it with torch's cells). Reference pieces live with the grading code, not in the lecture
modules.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable


@contextmanager
def swapped_globals(fn: Callable, pieces: dict[str, Callable]):
    """While grading a composition, the names in `pieces` are these reference pieces in fn's globals (the
    student's own definitions come back afterwards), so a bug in one exercise costs only that exercise."""
    g = getattr(fn, "__globals__", None)
    if not isinstance(g, dict):
        yield
        return
    saved = {k: g[k] for k in pieces if k in g}
    g.update(pieces)
    try:
        yield
    finally:
        for k in pieces:
            g.pop(k, None)
        g.update(saved)
