"""Student self-check: run a homework's public cases against your function, in your notebook.

    check("ols_closed_form")        # looks the function up in your notebook
    check("ols_closed_form", fn)    # or pass it
    check_all("hw01")               # every exercise of a homework

Public cases (inputs and expected outputs) ship with course_lib in public_cases/; nothing here
needs the autograder or the solutions. The real grade also uses hidden cases of the same kind.
"""

from __future__ import annotations

import json
import sys
import time
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from course_lib.compare import Verdict, compare


@lru_cache(maxsize=None)
def _index() -> dict[str, str]:
    """exercise name -> homework file stem, from every public case file."""
    out = {}
    for hw in _homeworks():
        for ex in _load(hw)["exercises"]:
            out[ex["name"]] = hw
    return out


def _homeworks() -> list[str]:
    folder = resources.files("course_lib").joinpath("public_cases")
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    except FileNotFoundError:
        return []


@lru_cache(maxsize=None)
def _load(hw: str) -> dict:
    from course_lib.wire import loads

    text = resources.files("course_lib").joinpath("public_cases", f"{hw}.json").read_text(encoding="utf-8")
    data = loads(text)
    data["exercises"] = list(data["exercises"])
    return data


def _resolve_hw(hw: str) -> str:
    for name in _homeworks():
        if hw in (name, name.split("_")[0]):
            return name
    raise KeyError(f"unknown homework {hw!r}; known: {', '.join(_homeworks())}")


def _caller_namespace(depth: int = 2) -> dict:
    return sys._getframe(depth).f_globals


def run_public_cases(name: str, namespace: dict) -> list[tuple[int, Verdict, str]]:
    """Run the public cases of exercise `name` with the definitions in `namespace`."""
    from course_lib.harness import Namespace, get_check, run_case
    from course_lib.wire import NotPlainData, to_plain

    hw = _index().get(name)
    if hw is None:
        raise KeyError(f"no public cases for {name!r}; is the name spelled as in the homework?")
    ex = next(e for e in _load(hw)["exercises"] if e["name"] == name)
    ns = Namespace(namespace)
    out = []
    for i, c in enumerate(ex["cases"]):
        args, kwargs = list(c["args"]), dict(c["kwargs"])
        shown = _show_args(args, kwargs)
        try:
            got = to_plain(run_case(ns, name, ex.get("driver"), _copy(args), _copy(kwargs)))
        except NotPlainData as exc:
            out.append((i, Verdict(False, f"returned something that is not numbers/arrays ({exc})"), shown))
            continue
        except Exception as exc:  # noqa: BLE001 - the student's error, reported kindly
            out.append((i, Verdict(False, f"raised {type(exc).__name__}: {exc}"), shown))
            continue
        if ex.get("check"):
            v = get_check(ex["check"])(args, kwargs, c["expected"], got, ex["rtol"], ex["atol"])
        else:
            v = compare(c["expected"], got, ex["rtol"], ex["atol"])
        out.append((i, v, shown))
    return out


def _copy(x: Any) -> Any:
    import copy

    return copy.deepcopy(x)


def _show_args(args, kwargs, limit: int = 160) -> str:
    import numpy as np

    def one(v):
        if isinstance(v, np.ndarray):
            return np.array2string(v, precision=4, separator=", ", threshold=8).replace("\n", "")
        return repr(v)

    text = ", ".join([one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])
    return text if len(text) <= limit else text[:limit] + "…"


def check(name: str, fn: Callable | None = None, namespace: dict | None = None, quiet: bool = False) -> bool:
    """Run the public cases of one exercise and print a short verdict; returns True when all pass."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if fn is not None:
        ns[name] = fn
    t0 = time.perf_counter()
    try:
        results = run_public_cases(name, ns)
    except Exception as exc:  # noqa: BLE001
        print(f"✗ {name}: {exc}")
        return False
    failed = [(i, v, shown) for i, v, shown in results if not v.ok]
    dt = time.perf_counter() - t0
    if not failed:
        if not quiet:
            print(f"✓ {name}: all {len(results)} public cases pass ({dt * 1000:.0f} ms). "
                  f"The grader also runs hidden cases.")
        return True
    print(f"✗ {name}: {len(results) - len(failed)}/{len(results)} public cases pass.")
    for i, v, shown in failed[:3]:
        print(f"  case {i + 1}: {name}({shown})\n    {v.message}")
    if len(failed) > 3:
        print(f"  … and {len(failed) - 3} more.")
    return False


def check_all(hw: str | None = None, namespace: dict | None = None) -> dict[str, bool]:
    """Self-check every exercise of a homework (default: the one whose exercises this notebook defines)."""
    ns = dict(namespace if namespace is not None else _caller_namespace())
    if hw is None:
        counts: dict[str, int] = {}
        for name, stem in _index().items():
            if callable(ns.get(name)):
                counts[stem] = counts.get(stem, 0) + 1
        if not counts:
            print("No homework exercise is defined in this notebook yet.")
            return {}
        hw = max(counts, key=counts.get)
    stem = _resolve_hw(hw)
    return {ex["name"]: check(ex["name"], namespace=ns) for ex in _load(stem)["exercises"]}


def public_cases_json(homework: str, exercises: list[dict]) -> str:
    """Serialise public cases (used by `course release`)."""
    from course_lib.wire import dumps

    return json.dumps(json.loads(dumps({"homework": homework, "exercises": exercises})), indent=1) + "\n"
