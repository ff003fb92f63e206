"""Progress while grading: a tqdm bar on a terminal, one plain line on stderr every ~10% (or 10 s) in a log or a
pipe, nothing when switched off."""

from __future__ import annotations

import sys
import time


class PlainProgress:
    """Progress for a log file or a pipe: one plain line on stderr every ~10% of the class or every 10 s."""

    def __init__(self, total: int, every_s: float = 10.0):
        self.total, self.n, self.every_s = total, 0, every_s
        self.t0 = self.last_t = time.monotonic()
        self.last_pct = 0
        self.postfix = ""

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        pct = int(100 * self.n / max(self.total, 1))
        if pct // 10 > self.last_pct // 10 or now - self.last_t >= self.every_s or self.n == self.total:
            self.last_pct, self.last_t = pct, now
            print(f"grading: {self.n}/{self.total} ({pct}%) in {now - self.t0:.0f} s", file=sys.stderr, flush=True)

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        self.postfix = text

    def close(self) -> None:
        pass


class NoProgress(PlainProgress):
    def update(self, k: int = 1) -> None:
        self.n += k


def progress_bar(total: int, enabled: bool | None):
    """A tqdm bar on a terminal; plain lines when stderr is not a terminal; nothing when disabled."""
    if enabled is False:
        return NoProgress(total)
    if enabled is None and not sys.stderr.isatty():
        return PlainProgress(total) if total else NoProgress(total)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="grading", unit="sub", file=sys.stderr)
