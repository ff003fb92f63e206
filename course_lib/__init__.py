"""course_lib: helpers for the Deep Learning Basics notebooks.

Importing the package is cheap (no torch, no matplotlib); submodules load what they need
when you use them:

    from course_lib import device, data, plots, train, widgets, check
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["check", "claims", "compare", "compute", "data", "device", "grading", "plots", "runtime", "session",
           "train", "widgets"]


def __getattr__(name: str):
    """Import submodules lazily so `import course_lib` stays fast."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
