"""Compare a student's output with the expected one in float64, with a short, exact explanation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("missing", "exception", "timeout", "crash", "memory", "shape", "nan", "values", "property", "slow")
# The share of a case's points a failed verdict still earns: "slow" is correct but over the exercise's time budget.
PARTIAL_CREDIT = {"slow": 0.5}


@dataclass
class Verdict:
    """Outcome of one case: ok, a one-paragraph message, the largest absolute error if numeric, and the kind
    of failure (one of KINDS; "" when ok), set where the fact is known."""

    ok: bool
    message: str = ""
    max_error: float | None = None
    kind: str = ""
    pattern: str = ""  # the pattern that explains the difference (a key of course_lib.grading.hints.PATTERNS)
    hint: str = ""  # its line for public feedback, "hint: …" (also the message's last line)
    credit: float = 0.0  # a failing case's share of its points still earned (Exercise.per_output: outputs right)

    def __post_init__(self):
        if self.kind and self.kind not in KINDS:
            raise ValueError(f"unknown verdict kind {self.kind!r}")


def rel_error(x, y) -> float:
    """cs231n's relative error: max |x−y| / max(1e-8, |x|+|y|)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array of shape {v.shape}"
    if isinstance(v, (tuple, list)):
        return f"{type(v).__name__} of length {len(v)}"
    return type(v).__name__


def distinct_strings(expected: float, got: float, digits: int = 6) -> tuple[str, str]:
    """The two numbers printed with the fewest significant digits (at least `digits`) at which they differ, so
    that a mismatch never reads "expected 4, got 4" (17 digits tell any two different doubles apart)."""
    for p in range(digits, 18):
        a, b = f"{expected:.{p}g}", f"{got:.{p}g}"
        if a != b:
            return a, b
    return repr(float(expected)), repr(float(got))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.ndarray, np.number, bool)) and not isinstance(v, str)


def _nonfinite_message(path: str, e: np.ndarray, g: np.ndarray, wrong: np.ndarray) -> str:
    """"output: got nan where 0.693147 was expected (at index (2,); 1 of 4 entries)", or the reverse."""
    idx = tuple(int(i) for i in np.argwhere(wrong)[0]) if e.ndim else ()
    want, have = float(e[idx]), float(g[idx])
    text = f"{path}: got {_show(have)} where {_show(want)} was expected"
    if e.ndim:
        where = "(" + ", ".join(map(str, idx)) + (",)" if len(idx) == 1 else ")")
        n = int(np.count_nonzero(wrong))
        text += f" (at index {where}; {n} of {e.size} entries)" if e.size > 1 else ""
    return text


def _show(x: float) -> str:
    return f"{x:.6g}" if np.isfinite(x) else {True: "inf", False: "-inf"}[bool(x > 0)] if np.isinf(x) else "nan"


def compare(expected: Any, got: Any, rtol: float = 1e-6, atol: float = 1e-8, path: str = "output") -> Verdict:
    """Recursively compare nested tuples/lists/dicts of numbers and arrays (shapes must match exactly)."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Verdict(False, f"{path}: expected a {_describe(expected)}, got {_describe(got)}", kind="shape")
        if len(got) != len(expected):
            return Verdict(False, f"{path}: expected {len(expected)} values, got {len(got)}", kind="shape")
        worst = 0.0
        for i, (e, g) in enumerate(zip(expected, got)):
            v = compare(e, g, rtol, atol, f"{path}[{i}]")
            if not v.ok:
                return v
            worst = max(worst, v.max_error or 0.0)
        return Verdict(True, "", worst)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Verdict(False, f"{path}: expected a dict, got {_describe(got)}", kind="shape")
        missing = sorted(set(expected) - set(got))
        if missing:
            return Verdict(False, f"{path}: missing keys {missing}", kind="shape")
        worst = 0.0
        for k in expected:
            v = compare(expected[k], got[k], rtol, atol, f"{path}[{k!r}]")
            if not v.ok:
                return v
            worst = max(worst, v.max_error or 0.0)
        return Verdict(True, "", worst)
    if isinstance(expected, str) or expected is None:
        ok = got == expected and type(got) is type(expected)
        return Verdict(ok, "" if ok else f"{path}: expected {expected!r}, got {got!r}", kind="" if ok else "values")
    if not _is_number(got) or isinstance(got, str):
        return Verdict(False, f"{path}: expected a number or array, got {_describe(got)}", kind="shape")
    e = np.asarray(expected, dtype=float)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"{path}: expected numbers, got {_describe(got)}", kind="shape")
    if e.shape != g.shape:
        return Verdict(False, f"{path}: expected shape {e.shape}, got shape {g.shape}", kind="shape")
    if e.size == 0:
        return Verdict(True, "", 0.0)
    nan_mismatch = np.isnan(e) != np.isnan(g)
    if nan_mismatch.any():
        return Verdict(False, _nonfinite_message(path, e, g, nan_mismatch), kind="nan")
    both = ~np.isnan(e)
    with np.errstate(invalid="ignore"):  # inf − inf: judged just below
        diff = np.abs(e[both] - g[both]) if both.any() else np.zeros(1)
    inf_bad = np.isinf(e[both]) | np.isinf(g[both])
    if inf_bad.any() and not np.array_equal(e[both][inf_bad], g[both][inf_bad]):
        wrong = both & (np.isinf(e) | np.isinf(g)) & ~((e == g) | np.isnan(e))
        return Verdict(False, _nonfinite_message(path, e, g, wrong), kind="nan")
    diff = np.where(inf_bad, 0.0, diff)
    max_err = float(diff.max()) if diff.size else 0.0
    ok = bool(np.all(diff <= atol + rtol * np.abs(np.where(inf_bad, 0.0, e[both]))))
    if ok:
        return Verdict(True, "", max_err)
    if e.ndim == 0:
        want, have = distinct_strings(float(e), float(g))
        msg = f"{path}: expected {want}, got {have} (error {max_err:.2e})"
    else:
        idx = np.unravel_index(int(np.argmax(np.where(np.isnan(e), 0, np.abs(e - g)))), e.shape)
        want, have = distinct_strings(float(e[idx]), float(g[idx]))
        msg = (
            f"{path}: values differ; largest error {max_err:.2e} at index {tuple(int(i) for i in idx)} "
            f"(expected {want}, got {have}); tolerance rtol={rtol:g}, atol={atol:g}"
        )
    return Verdict(False, msg, max_err, "values")
