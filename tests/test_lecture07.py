"""Lecture 07: the convolution explorer redraws once per preset."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from course_lib.cnn import KERNELS  # noqa: E402

# ---------------------------------------------------------------- the convolution explorer redraws once


def test_conv_explorer_preset_redraws_once_and_typing_redraws_once():
    from course_lib.widgets.conv_explorer import CUSTOM, conv_explorer_demo

    demo = conv_explorer_demo()
    demo.update()
    assert demo.renders == 1
    for name in ("sobel x", "laplacian", "box blur"):  # each preset changes all nine cells of the grid
        before = demo.renders
        demo.controls["kernel"].value = name
        assert demo.renders == before + 1, name
        np.testing.assert_array_equal([demo.controls[f"k{i}"].value for i in range(9)], KERNELS[name].ravel())
        np.testing.assert_array_equal(demo.result["kernel"], KERNELS[name])
    before = demo.renders
    demo.controls["k4"].value = 7.0  # typing into the grid: one redraw, now with the custom kernel
    assert demo.renders == before + 1 and demo.controls["kernel"].value == CUSTOM
    assert demo.result["kernel"][1, 1] == 7.0
    before = demo.renders
    demo.controls["k0"].value = 2.0  # further typing: one redraw per number
    assert demo.renders == before + 1 and demo.result["kernel"][0, 0] == 2.0
    before = demo.renders
    demo.controls["stride"].value = 2
    assert demo.renders == before + 1
