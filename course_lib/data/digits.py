"""scikit-learn's bundled 8×8 digits (no download), optionally resized to 28×28 like MNIST."""

from __future__ import annotations

import numpy as np


def load_digits(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """X (1797, 8, 8) float32 in [0, 1] (or 0..16 raw), y (1797,) int64."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    X = d.images.astype(np.float32)
    if normalize:
        X /= 16.0
    return X, d.target.astype(np.int64)


def resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of a stack (n, h, w) to (n, size, size) with NumPy only."""
    n, h, w = images.shape
    ys = np.linspace(0, h - 1, size)
    xs = np.linspace(0, w - 1, size)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    wy = (ys - y0)[None, :, None]
    wx = (xs - x0)[None, None, :]
    a = images[:, y0][:, :, x0]
    b = images[:, y0][:, :, x1]
    c = images[:, y1][:, :, x0]
    d = images[:, y1][:, :, x1]
    top = a * (1 - wx) + b * wx
    bottom = c * (1 - wx) + d * wx
    return (top * (1 - wy) + bottom * wy).astype(images.dtype)


def load_digits_28(seed: int = 0, test_fraction: float = 0.25):
    """Digits resized to 28×28 (uint8, like MNIST) and split: (X_train, y_train, X_test, y_test)."""
    X, y = load_digits(normalize=True)
    big = np.clip(resize_bilinear(X, 28) * 255.0, 0, 255).astype(np.uint8)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return big[train], y[train], big[test], y[test]
