"""Public cases on the student's side: inputs are rebuilt by the homework module's own builders; only the
reference's expected outputs are shipped, in `course_lib/public_cases/hwNN_<topic>.json`, written by
`course release`. Property-checked exercises store no expected values at all.

File format: {"homework": name, "exercises": {exercise: {"inputs": digest, "expected": [value, ...] | null}}}
where `inputs` fingerprints the inputs the expected values were computed from, so a changed builder (or a
NumPy that draws differently) is reported instead of silently judged against stale values. The inputs are exact
(integer-seeded draws and exact arithmetic; course_lib/grading/exact.py), so the fingerprint is the same on every
machine; the expected outputs are judged with each exercise's tolerance, never by their bits.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

from course_lib.grading.model import Case, Exercise, Homework
from course_lib.grading.wire import dumps, loads


def inputs_digest(cases: list[Case]) -> str:
    """A short fingerprint of the public inputs (wire encoding: exact bytes of every array)."""
    text = dumps([[list(c.args), dict(c.kwargs)] for c in cases])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cases_json(hw: Homework, expected: dict[str, list | None]) -> str:
    """The public-case file for `hw`; `expected` maps exercise name -> plain values (None: property-checked)."""
    data = {
        "homework": hw.name,
        "exercises": {
            ex.name: {
                "inputs": inputs_digest(ex.public),
                "expected": None if expected[ex.name] is None else json.loads(dumps(list(expected[ex.name]))),
            }
            for ex in hw.exercises
        },
    }
    return json.dumps(data, indent=1) + "\n"


@lru_cache(maxsize=None)
def _file(hw_name: str) -> dict:
    text = resources.files("course_lib").joinpath("public_cases", f"{hw_name}.json").read_text(encoding="utf-8")
    return json.loads(text)


class StaleCases(RuntimeError):
    """The shipped expected outputs were computed from other inputs than the builders make now."""


def expected_outputs(hw: Homework, ex: Exercise) -> list[dict]:
    """Per public case {"value": expected} ({"value": None} for property-checked exercises)."""
    try:
        entry = _file(hw.name)["exercises"][ex.name]
    except (FileNotFoundError, KeyError) as exc:
        raise StaleCases(f"no released public cases for {ex.name}; run `course release`") from exc
    if entry["inputs"] != inputs_digest(ex.public):
        raise StaleCases(
            f"the expected outputs shipped for {ex.name} belong to other inputs than this course_lib builds (a "
            "changed or partly updated course package): reinstall the course package, or tell the instructor "
            "(instructors: run `course release`)"
        )
    if entry["expected"] is None:
        return [{"value": None} for _ in ex.public]
    return [{"value": v} for v in loads(json.dumps(entry["expected"]))]
