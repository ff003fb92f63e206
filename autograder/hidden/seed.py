"""The one seed rule: which course seed draws the hidden cases, how it is fingerprinted, and the generator of
each (homework, exercise). Every command that draws hidden cases (`course grade`, `course export`, the
Gradescope autograder) resolves its seed here.

    seed, warning = resolve_seed(args.hidden_seed)       # --hidden-seed, else $COURSE_HIDDEN_SEED, else the default
    rng = case_rng(seed, "hw01_gradient_descent", "ols_closed_form")
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

DEFAULT_SEED = "deep-learning-basics"
PUBLIC_ONLY = "public-only"  # the fingerprint of a run that grades public cases only


class SeedError(ValueError):
    """An empty seed was given (an unset shell variable, most likely)."""


def resolve_seed(explicit: str | None) -> tuple[str, str]:
    """(seed, warning): --hidden-seed, else $COURSE_HIDDEN_SEED, else the public default with a warning. An empty
    seed (--hidden-seed "" or a set but empty variable, e.g. an unset "$VAR") is an error, never the default."""
    if explicit is not None:
        if not explicit.strip():
            raise SeedError("--hidden-seed is empty (an unset variable?); give the course's secret seed")
        return explicit, ""
    env = os.environ.get("COURSE_HIDDEN_SEED")
    if env is not None:
        if not env.strip():
            raise SeedError("$COURSE_HIDDEN_SEED is set but empty; give the course's secret seed")
        return env, ""
    return DEFAULT_SEED, ("no --hidden-seed or $COURSE_HIDDEN_SEED: using the public default seed, so students "
                          "can precompute the hidden cases")


def fingerprint(seed: str, include_hidden: bool = True) -> str:
    """sha256 of the seed (never the seed itself); public-only runs have their own fingerprint."""
    return hashlib.sha256(seed.encode()).hexdigest() if include_hidden else PUBLIC_ONLY


def case_rng(seed: str, homework: str, exercise: str, tag: str = "") -> np.random.Generator:
    """The generator of one exercise's hidden cases (tag "budget": its timed case), from the course seed."""
    text = f"{seed}/{homework}/{exercise}" + (f"/{tag}" if tag else "")
    digest = hashlib.sha256(text.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
