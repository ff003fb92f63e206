"""The one seed rule: which course seed draws the hidden cases, how it is fingerprinted, and the generator of
each (homework, exercise). Every command that draws hidden cases (`course grade`, `course export`, the
Gradescope autograder) resolves its seed here.

    seed, warning = resolve_seed(args.hidden_seed)       # --hidden-seed, else $COURSE_HIDDEN_SEED, else the default
    rng = case_rng(seed, "hw01_gradient_descent", "ols_closed_form")

Hidden cases are drawn in two steps: the course seed gives each homework its own seed (`homework_seed`), and that
gives each exercise its generator. An autograder that grades one homework elsewhere (the Gradescope zip) carries
only that homework's seed: it draws the same hidden cases as `course grade` with the course seed, and the course
seed never leaves the instructor's machine. `case_rng` accepts either.
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


HOMEWORK_SEED = "homework-seed"  # the prefix of a per-homework seed: homework-seed:<homework>:<sha256 hex>


def homework_seed(seed: str, homework: str) -> str:
    """The seed of one homework's hidden cases, derived from the course seed (sha256; the course seed cannot be
    recovered from it, nor another homework's seed). A homework seed given again is returned as it is; one
    derived for another homework is an error."""
    head = f"{HOMEWORK_SEED}:"
    if seed.startswith(head):
        name = seed[len(head):].rsplit(":", 1)[0]
        if name != homework:
            raise SeedError(f"this seed was derived for {name}, not for {homework}")
        return seed
    return f"{head}{homework}:{hashlib.sha256(f'{seed}/{homework}'.encode()).hexdigest()}"


def case_rng(seed: str, homework: str, exercise: str, tag: str = "") -> np.random.Generator:
    """The generator of one exercise's hidden cases (tag "budget": its timed case), from the course seed or the
    homework's seed (homework_seed): both give the same draws."""
    text = f"{homework_seed(seed, homework)}/{exercise}" + (f"/{tag}" if tag else "")
    digest = hashlib.sha256(text.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
