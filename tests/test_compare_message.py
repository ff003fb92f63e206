"""The value-mismatch message of course_lib.grading.compare prints enough digits to show the difference."""

from __future__ import annotations

import numpy as np

from course_lib.grading.compare import compare, distinct_strings


def test_a_difference_in_the_seventh_digit_is_visible():
    # hw08's clip_grad_norm at the boundary: torch's rule scales 4 by 5 / (5 + 1e-6)
    got = 4.0 * 5.0 / (5.0 + 1e-6)
    v = compare(4.0, got, rtol=1e-9, atol=1e-12)
    assert not v.ok and v.kind == "values"
    want, have = distinct_strings(4.0, got)
    assert want != have and f"expected {want}, got {have}" in v.message
    assert "expected 4, got 4 " not in v.message


def test_arrays_show_the_largest_error_with_distinct_digits():
    e = np.array([1.0, 3.0, 4.0])
    g = e * (1 - 2e-7)
    v = compare(e, g, rtol=1e-9, atol=1e-12)
    assert not v.ok and "at index (2,)" in v.message
    assert "(expected 4, got 3.999999" in v.message


def test_ordinary_mismatches_keep_six_digits():
    v = compare(2.0, 2.5)
    assert "expected 2, got 2.5 " in v.message
    assert distinct_strings(1 / 3, 2 / 3) == ("0.333333", "0.666667")
    assert distinct_strings(1.0, np.nextafter(1.0, 2.0))[0] != distinct_strings(1.0, np.nextafter(1.0, 2.0))[1]
