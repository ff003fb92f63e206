"""What a student and an instructor see on this machine, as JSON (tests/test_machines.py runs it under each BLAS
kernel and torch thread count the CPU allows, and compares the runs):

    OPENBLAS_CORETYPE=Zen python tests/machinecheck.py --threads 1

- release: the generated files `course release --check` finds stale (must be none: the shipped public cases match
  what this machine builds);
- selfcheck: per solution notebook, the exercises whose public cases fail in the student's self-check;
- grades: per solution, total and maximum when graded with public and hidden cases (in this process);
- inputs: a digest of every public and hidden input (the same bits on every machine).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)

    from autograder.grade.reference import ExpectedCache
    from autograder.grade.submission import grade_extracted
    from autograder.hidden import hidden_cases
    from autograder.hidden.seed import DEFAULT_SEED
    from autograder.paths import solution_notebook
    from autograder.release import plan as release
    from autograder.runners import InProcessRunner
    from course_lib.grading.homework import all_homeworks
    from course_lib.grading.notebook import extract_file
    from course_lib.grading.public import inputs_digest
    from course_lib.grading.run import define
    from course_lib.grading.selfcheck import check_all

    out: dict = {"release": [str(p.relative_to(ROOT)) for p in release.stale(release.plan())],
                 "selfcheck": {}, "grades": {}, "inputs": {}}
    for hw in all_homeworks():
        extracted = extract_file(solution_notebook(hw.name))
        ns, _ = define(extracted.chunks)
        with contextlib.redirect_stdout(io.StringIO()):
            results = check_all(hw.name, namespace=dict(ns))
        out["selfcheck"][hw.name] = sorted(n for n, ok in results.items() if not ok)
        res = grade_extracted(hw, extracted, InProcessRunner(), ExpectedCache(hw, DEFAULT_SEED, True))
        out["grades"][hw.name] = [res.total, res.max_total]
        for ex in hw.exercises:
            out["inputs"][f"{hw.short}.{ex.name}"] = [inputs_digest(ex.public),
                                                      inputs_digest(hidden_cases(hw, ex, DEFAULT_SEED))]
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
