"""Sequence tasks for the RNN lecture and a small bundled public-domain text."""

from __future__ import annotations

from importlib import resources

import numpy as np


def copy_memory_task(n: int, length: int, num_symbols: int = 4, seed: int = 0):
    """Remember the first symbol of a sequence of `length` noise symbols: X (n, length) ints, y (n,) ints.

    A vanilla RNN must carry one symbol across `length` steps; chance accuracy is 1/num_symbols.
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(0, num_symbols, size=(n, length))
    y = X[:, 0].copy()
    return X, y


def adding_problem(n: int, length: int, seed: int = 0):
    """Hochreiter & Schmidhuber's adding problem: X (n, length, 2), y (n,) = sum of the two marked values."""
    rng = np.random.default_rng(seed)
    values = rng.random((n, length))
    marks = np.zeros((n, length))
    half = max(1, length // 2)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    marks[np.arange(n), first] = 1.0
    marks[np.arange(n), second] = 1.0
    X = np.stack([values, marks], axis=-1)
    y = (values * marks).sum(axis=1)
    return X, y


def load_text(name: str = "alice") -> str:
    """Return a bundled public-domain text (course_lib/data_files/<name>.txt)."""
    return resources.files("course_lib").joinpath("data_files", f"{name}.txt").read_text(encoding="utf-8")
