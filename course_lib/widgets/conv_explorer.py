"""Convolution explorer: pick an image and a kernel (or type one into the 3×3 grid), a stride and a padding;
see the feature map and its shape ⌊(n + 2p − k)/s⌋ + 1.

    from course_lib.widgets.conv_explorer import conv_explorer_demo
    conv_explorer_demo()
"""

from __future__ import annotations

import numpy as np

from course_lib.cnn import KERNELS, correlate2d, output_size, sample_images

CUSTOM = "custom (edit the grid)"


def conv_explore(image: str = "scene", kernel: str = "vertical edge", stride: int = 1, pad: int = 0,
                 custom=None, images: dict | None = None) -> dict:
    """Pure compute: the feature map of `image` cross-correlated with `kernel` (a name, or CUSTOM with a
    3×3 `custom` array). Returns input, padded input, kernel, feature map, its shape and value range."""
    images = images if images is not None else sample_images()
    x = np.asarray(images[image], dtype=float)
    k = np.asarray(custom, dtype=float).reshape(3, 3) if kernel == CUSTOM else KERNELS[kernel]
    fmap = correlate2d(x, k, stride=stride, pad=pad)
    shape = (output_size(x.shape[0], k.shape[0], stride, pad), output_size(x.shape[1], k.shape[1], stride, pad))
    assert fmap.shape == shape
    return {"image": x, "padded": np.pad(x, pad) if pad else x, "kernel": k, "feature_map": fmap,
            "shape": shape, "input_shape": x.shape, "stride": stride, "pad": pad,
            "range": (float(fmap.min()), float(fmap.max()))}


def draw_conv(result: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.3), gridspec_kw={"width_ratios": [3, 1.3, 3]})
    axes[0].imshow(result["padded"], cmap="gray")
    p = result["pad"]
    h, w = result["input_shape"]
    axes[0].set_title(f"input {h}×{w}" + (f", zero-padded by {p}" if p else ""), fontsize=9)
    if p:
        axes[0].add_patch(plt.Rectangle((p - 0.5, p - 0.5), w, h, fill=False, ec="tab:orange", lw=1))
    k = result["kernel"]
    lim = max(1e-9, np.abs(k).max())
    axes[1].imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(k):
        axes[1].text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8)
    axes[1].set_title("kernel", fontsize=9)
    fm = result["feature_map"]
    lim = max(1e-9, np.abs(fm).max())
    im = axes[2].imshow(fm, cmap="RdBu_r" if fm.min() < 0 else "gray", vmin=-lim if fm.min() < 0 else None,
                        vmax=lim if fm.min() < 0 else None)
    Ho, Wo = result["shape"]
    axes[2].set_title(f"feature map {Ho}×{Wo}  (stride {result['stride']})", fontsize=9)
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout()
    return fig


def _shown(values: dict) -> tuple:
    """What the picture depends on: the grid's numbers only matter when the kernel is CUSTOM."""
    grid = tuple(values[f"k{i}"] for i in range(9)) if values["kernel"] == CUSTOM else None
    return values["image"], values["kernel"], values["stride"], values["pad"], grid


def _conv_demo_class():
    from course_lib.widgets.base import Demo

    class _ConvDemo(Demo):
        """Redraws only when what is shown changes. Choosing a preset changes the kernel and then fills the nine
        grid cells (ten value changes); only the first changes the picture, so the preset costs one redraw."""

        _last = None

        def update(self):
            key = _shown(self.values())
            if self.result is not None and key == self._last:
                return self.result
            self._last = key
            return super().update()

    return _ConvDemo


def conv_explorer_demo(images: dict | None = None):
    """Build the widget (a Demo; display it as the last line of a cell)."""
    import ipywidgets as w

    _ConvDemo = _conv_demo_class()
    images = images if images is not None else sample_images()
    controls = {
        "image": w.Dropdown(options=list(images), value="scene" if "scene" in images else list(images)[0],
                            description="image"),
        "kernel": w.Dropdown(options=list(KERNELS) + [CUSTOM], value="vertical edge", description="kernel"),
        "stride": w.IntSlider(value=1, min=1, max=4, description="stride", continuous_update=False),
        "pad": w.IntSlider(value=0, min=0, max=3, description="padding", continuous_update=False),
    }
    cells = [w.FloatText(value=float(v), layout=w.Layout(width="64px")) for v in KERNELS["vertical edge"].ravel()]
    for i, c in enumerate(cells):
        controls[f"k{i}"] = c
    state = {"syncing": False}

    def compute(image, kernel, stride, pad, **ks):
        custom = np.array([ks[f"k{i}"] for i in range(9)], dtype=float)
        return conv_explore(image, kernel, stride, pad, custom=custom, images=images)

    demo = _ConvDemo(compute=compute, draw=draw_conv, controls=controls, height="340px")

    def on_kernel(change):  # a preset fills the grid so students can start editing from it (no redraw: see _ConvDemo)
        if change["new"] != CUSTOM:
            state["syncing"] = True
            try:
                for c, v in zip(cells, KERNELS[change["new"]].ravel()):
                    c.value = float(v)
            finally:
                state["syncing"] = False

    def on_cell(_change):  # typing into the grid switches to the custom kernel
        if not state["syncing"] and controls["kernel"].value != CUSTOM:
            controls["kernel"].value = CUSTOM

    controls["kernel"].observe(on_kernel, names="value")
    for c in cells:
        c.observe(on_cell, names="value")
    grid = w.VBox([w.HBox(cells[r * 3:(r + 1) * 3]) for r in range(3)])
    demo.widget = w.VBox([w.HBox([controls["image"], controls["kernel"]]),
                          w.HBox([controls["stride"], controls["pad"]]),
                          w.HBox([w.Label("kernel grid:"), grid]), demo.output])
    return demo
