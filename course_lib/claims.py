"""A lecture's claims are code: `claim(...)` checks what the prose says the experiment shows.

    from course_lib.claims import claim
    claim("LeNet beats the same-size MLP", lenet_acc - mlp_acc, ">", 0.0, unit="accuracy points")
    claim("the LSTM beats the bigram", [gap_seed0, gap_seed1, gap_seed2], ">=", 0.5, unit="bits/char")

Each call prints one line ("✓ claim: …" or "✗ claim did not hold on this run: … (value, expected)"), never a
traceback, and records the claim (text, value, spread, threshold, mode, device); it returns nothing, so a claim that
ends a cell prints no stray `True`. A check of arithmetic on given numbers (not evidence from an experiment) is
made with `arithmetic=True` and labelled "arithmetic check" instead of "claim". A list of values (one per seed)
is judged on its mean and reported with its spread. In quick mode, a claim made with `quick=False` is not
meant to hold at that size: it prints its value and says so instead of failing.

When $COURSE_CLAIMS_FILE is set (`make full` sets it), every claim is appended to that file as one JSON line.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field

OPS = {
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
}


@dataclass
class Claim:
    """One checked statement: value (mean over seeds), its spread, the rule it must meet and where it ran."""

    text: str
    value: float
    op: str
    threshold: float
    held: bool | None  # None: not judged (quick mode, claim meant for full scale)
    mode: str
    device: str
    spread: float | None = None
    n: int = 1
    unit: str = ""
    arithmetic: bool = False  # a check of arithmetic on given numbers, not evidence from an experiment
    lecture: str = field(default_factory=lambda: os.environ.get("COURSE_LECTURE", ""))

    def line(self) -> str:
        """The one line a student sees."""
        val = _fmt(self.value) + (f" ± {_fmt(self.spread)} over {self.n} runs" if self.spread is not None else "")
        unit = f" {self.unit}" if self.unit else ""
        rule = f"{self.op} {_fmt(self.threshold)}{unit}"
        what = "arithmetic check" if self.arithmetic else "claim"
        if self.held is None:
            return f"· {what} (holds at full scale; quick mode is too small to judge): {self.text} " \
                   f"(this run: {val}{unit}; full mode expects {rule})"
        if self.held:
            return f"✓ {what}: {self.text} ({val}{unit} {rule})"
        return f"✗ {what} did not hold on this run: {self.text} (value {val}{unit}, expected {rule})"


RECORDED: list[Claim] = []


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    return f"{x:.4g}"


def device_name() -> str:
    """Where this run computes: "cuda (<GPU name>)", "mps" or "cpu"."""
    try:
        import torch

        if torch.cuda.is_available():
            return f"cuda ({torch.cuda.get_device_name(0)})"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
    except Exception:  # noqa: BLE001 - no torch, or a broken CUDA install: the claim still runs
        pass
    return "cpu"


def claim(text: str, value, op: str, threshold: float, *, unit: str = "", quick: bool = True,
          arithmetic: bool = False) -> None:
    """Check `value op threshold`, print one line and record it (claims.RECORDED[-1].held says whether it held).

    `value` is a number or a list of numbers (one per seed: judged on the mean, reported with the spread).
    `quick=False`: at quick-mode sizes the claim is reported, not judged. `arithmetic=True`: the line says
    "arithmetic check" (a computation on given numbers, not evidence from an experiment).
    """
    from course_lib.runtime import is_quick

    if op not in OPS:
        raise ValueError(f"claim: op must be one of {sorted(OPS)}, got {op!r}")
    values = [float(v) for v in value] if isinstance(value, (list, tuple)) else [float(value)]
    if not values:
        raise ValueError("claim: no values")
    mean = sum(values) / len(values)
    spread = None
    if len(values) > 1:
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    quick_mode = is_quick()
    if quick_mode and not quick:
        held = None
    else:
        held = bool(math.isfinite(mean) and OPS[op](mean, float(threshold)))
    c = Claim(text, mean, op, float(threshold), held, "quick" if quick_mode else "full", device_name(), spread,
              len(values), unit, arithmetic)
    RECORDED.append(c)
    print(c.line())
    path = os.environ.get("COURSE_CLAIMS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(c)) + "\n")
