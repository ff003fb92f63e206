"""Plots the lectures share: loss curves, contours with iterate paths, decision boundaries, image grids."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np


def _axes(ax=None, figsize=(5, 3.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def loss_curves(curves: Mapping[str, Sequence[float]], ax=None, logy: bool = False,
                xlabel: str = "step", ylabel: str = "loss", title: str | None = None):
    """One line per named curve; `logy` for convergence plots."""
    ax = _axes(ax)
    for name, values in curves.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend(fontsize=8)
    return ax


def contour_with_paths(f: Callable[[np.ndarray], np.ndarray], paths: Mapping[str, np.ndarray] | None = None,
                       xlim=(-2, 2), ylim=(-2, 2), levels: int = 30, ax=None, resolution: int = 120,
                       log_levels: bool = False):
    """Contours of f over a 2-D box (f takes an array (..., 2)) with optimizer paths (k, 2) on top."""
    ax = _axes(ax, figsize=(4.5, 4))
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    XX, YY = np.meshgrid(xs, ys)
    Z = np.asarray(f(np.stack([XX, YY], axis=-1)), dtype=float)
    if log_levels:
        zmin = max(np.nanmin(Z), 1e-12)
        lv = np.geomspace(zmin + 1e-12, np.nanmax(Z) + 1e-12, levels)
        ax.contour(XX, YY, Z, levels=lv, cmap="viridis", linewidths=0.7)
    else:
        ax.contour(XX, YY, Z, levels=levels, cmap="viridis", linewidths=0.7)
    for name, path in (paths or {}).items():
        path = np.asarray(path, dtype=float)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=name)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    if paths and len(paths) > 1:
        ax.legend(fontsize=7, loc="upper right")
    return ax


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                      ax=None, resolution: int = 200, margin: float = 0.3):
    """Colour the plane by predict(points) -> class ids, and scatter the data on top."""
    ax = _axes(ax, figsize=(4, 4))
    x0, x1 = X[:, 0].min() - margin, X[:, 0].max() + margin
    y0, y1 = X[:, 1].min() - margin, X[:, 1].max() + margin
    XX, YY = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = np.asarray(predict(np.c_[XX.ravel(), YY.ravel()])).reshape(XX.shape)
    ax.contourf(XX, YY, Z, alpha=0.3, cmap="brg", levels=np.arange(Z.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="brg", edgecolors="none")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return ax


def image_grid(images: np.ndarray, labels: Sequence | None = None, ncols: int = 8, cmap: str = "gray",
               size: float = 1.2, suptitle: str | None = None):
    """Show a stack of images (n, h, w) or (n, h, w, c) in a grid; returns the figure."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
