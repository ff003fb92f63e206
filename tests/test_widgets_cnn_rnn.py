"""Headless tests of the convolution explorer (lecture 07) and the temperature text sampler (lecture 08)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.cnn import KERNELS, SLIDE_INPUT, SLIDE_KERNEL, convolve2d, correlate2d  # noqa: E402
from course_lib.sequence import BigramModel, Vocab, softmax_with_temperature  # noqa: E402
from course_lib.widgets.conv_explorer import CUSTOM, conv_explore, conv_explorer_demo  # noqa: E402
from course_lib.widgets.text_sampler import sample_with_temperature, text_sampler_demo  # noqa: E402


def test_slide_example_by_correlation_not_convolution():
    out = correlate2d(SLIDE_INPUT, SLIDE_KERNEL)
    assert out.shape == (3, 3) and out[0, 0] == 6.0
    assert convolve2d(SLIDE_INPUT, SLIDE_KERNEL)[0, 0] == -6.0  # the flipped kernel gives the opposite sign


def test_correlate_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(11, 9)), rng.normal(size=(3, 3))
    for stride, pad in [(1, 0), (2, 1), (3, 2)]:
        want = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                                          stride=stride, padding=pad)[0, 0].numpy()
        np.testing.assert_allclose(correlate2d(x, k, stride, pad), want, atol=1e-12)


def test_conv_explorer_controls_change_the_feature_map():
    demo = conv_explorer_demo()
    demo.update()
    r = demo.result
    assert r["shape"] == (r["input_shape"][0] - 2, r["input_shape"][1] - 2)
    demo.controls["pad"].value = 1
    assert demo.result["shape"] == demo.result["input_shape"]  # "same" padding for a 3×3 kernel
    demo.controls["stride"].value = 2
    h, w = demo.result["input_shape"]
    assert demo.result["shape"] == ((h + 2 - 3) // 2 + 1, (w + 2 - 3) // 2 + 1)
    demo.controls["image"].value = "slide 5x5"
    demo.controls["stride"].value = 1
    demo.controls["pad"].value = 0
    np.testing.assert_allclose(demo.result["feature_map"] * SLIDE_INPUT.max(), correlate2d(SLIDE_INPUT, SLIDE_KERNEL))


def test_conv_explorer_presets_fill_the_grid_and_editing_switches_to_custom():
    demo = conv_explorer_demo()
    demo.controls["kernel"].value = "sobel x"
    np.testing.assert_array_equal([demo.controls[f"k{i}"].value for i in range(9)], KERNELS["sobel x"].ravel())
    np.testing.assert_array_equal(demo.result["kernel"], KERNELS["sobel x"])
    demo.controls["image"].value = "scene"
    for i in range(9):
        demo.controls[f"k{i}"].value = 1.0 if i == 4 else 0.0  # the identity, typed by hand
    assert demo.controls["kernel"].value == CUSTOM
    np.testing.assert_allclose(demo.result["feature_map"], demo.result["image"][1:-1, 1:-1])


def test_conv_explore_pure_function_blur_preserves_constant_regions():
    img = {"flat": np.full((10, 10), 0.7)}
    r = conv_explore("flat", "box blur", images=img)
    np.testing.assert_allclose(r["feature_map"], 0.7)
    r = conv_explore("flat", "laplacian", images=img)
    np.testing.assert_allclose(r["feature_map"], 0.0, atol=1e-12)


def test_temperature_softmax_limits():
    z = np.array([2.0, 1.0, 0.0, -1.0])
    np.testing.assert_allclose(softmax_with_temperature(z, 0.0), [1, 0, 0, 0])
    np.testing.assert_allclose(softmax_with_temperature(z, 1e6), 0.25, atol=1e-5)
    p1 = softmax_with_temperature(z, 1.0)
    np.testing.assert_allclose(p1, np.exp(z) / np.exp(z).sum())


def test_text_sampler_widget_temperature_controls_entropy():
    demo = text_sampler_demo()
    demo.controls["length"].value = 60
    demo.controls["temperature"].value = 0.0
    greedy = demo.result
    assert greedy["entropy_bits"] == 0.0
    assert greedy["text"].startswith("Alice ") and len(greedy["text"]) == len("Alice ") + 60
    demo.controls["seed"].value = 3  # greedy decoding ignores the seed
    assert demo.result["text"] == greedy["text"]
    demo.controls["temperature"].value = 1.0
    mid = demo.result["entropy_bits"]
    demo.controls["temperature"].value = 2.0
    hot = demo.result["entropy_bits"]
    assert 0.0 < mid < hot <= demo.result["max_entropy_bits"] + 1e-12
    demo.controls["prime"].value = "the Rabbit"
    assert demo.result["text"].startswith("the Rabbit")


def test_bigram_sampler_follows_the_counts():
    text = "abababababab"
    model = BigramModel(text)
    r = sample_with_temperature(model, model.vocab, temperature=0.0, prime="a", length=5)
    assert r["text"] == "ababab"
    assert r["top_chars"][0] == "b"
    assert Vocab.from_text(text).decode(Vocab.from_text(text).encode("abba")) == "abba"
