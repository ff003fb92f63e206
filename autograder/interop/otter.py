"""`course export otter DIR`: Otter Assign master notebooks (raw-cell format) generated from solutions/.

Writes DIR/hwNN/hwNN_<topic>.ipynb and DIR/hwNN/requirements.txt. Each graded exercise becomes a question:

    raw  # BEGIN QUESTION / name: <exercise> / points: <exercise points>
    md   the exercise's statement
    raw  # BEGIN SOLUTION      code: the reference (### markers turned into Otter's # BEGIN/END SOLUTION)
    raw  # END SOLUTION
    raw  # BEGIN TESTS         code: one test per case, public first, then hidden (TEST CONFIG hidden: true)
    raw  # END TESTS
    raw  # END QUESTION

Each question lists its tests' points (`points: [..]`), each case worth what `course grade` gives it (a time
budget's larger case carries its share). A manually graded item (hw09's own estimate) is a manual question
(`manual: true`, its points), so Otter's total is `course grade`'s maximum. What Otter cannot grade as `course
grade` does is listed in DIR/hwNN/README.md and printed by `course export` (common.differences).

Tests print nothing when they pass (Otter's doctest expects no output) and call course_lib's comparison with the
expected outputs embedded as plain data. Then: `otter assign DIR/hw01/hw01_gradient_descent.ipynb dist/`
and `otter run -a dist/autograder/<zip> submission.ipynb`, or upload the zip to Gradescope.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from autograder.interop.common import (
    clean_cell,
    code_cell,
    graded_cases,
    load,
    manual_blocks,
    new_notebook,
    raw_cell,
    readme_text,
    test_code,
    write_notebook,
)
from autograder.project import OTTER, repository_url, requirements
from autograder.release.solution import replace_markers
from course_lib.grading.homework import all_homeworks, load_homework
from course_lib.grading.model import Homework


def course_package() -> str:
    """The course package as a requirement line: installed from the repository named in pyproject.toml."""
    return f"deep-learning-basics @ git+{repository_url()}"


def otter_solution(src: str) -> str:
    """Our `### BEGIN/END SOLUTION` lines in Otter's spelling (`# BEGIN/END SOLUTION`)."""
    return replace_markers(src, "# BEGIN SOLUTION", "# END SOLUTION")


def assignment_config(hw: Homework) -> str:
    config = {
        "name": hw.name,
        "requirements": "requirements.txt",
        "init_cell": True,
        "check_all_cell": False,
        "export_cell": False,
        "run_tests": False,
        "tests": {"files": False, "ok_format": True},
        "generate": {"pdf": False, "show_stdout": False, "show_hidden": False},
    }
    return "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False).strip()


def _test_cell(source: str, hidden: bool, cell_id: str, points: float | None = None) -> dict:
    conf = [f"hidden: {'true' if hidden else 'false'}"]
    if points is not None:
        conf.append(f"points: {points!r}")
    head = '""" # BEGIN TEST CONFIG\n' + "\n".join(conf) + '\n""" # END TEST CONFIG\n'
    return code_cell(head + source, cell_id)


def manual_question(nb_cells: list[dict], block) -> list[dict]:
    """A manually graded item as an Otter manual question: its marked cell as the prompt, the answer's cells as the
    solution (Otter replaces a markdown answer with its placeholder), no tests."""
    name = block.name
    header = yaml.safe_dump({"name": name, "points": block.points, "manual": True}, sort_keys=False).strip()
    answer = [clean_cell(nb_cells[k], f"ma-{name}-{k}"[:64]) for k in range(block.first + 1, block.last + 1)]
    return [raw_cell("# BEGIN QUESTION\n" + header, f"bq-{name}"[:64]),
            clean_cell(nb_cells[block.first], f"mp-{name}"[:64]), raw_cell("# BEGIN SOLUTION", f"bs-{name}"[:64]),
            *answer, raw_cell("# END SOLUTION", f"es-{name}"[:64]), raw_cell("# END QUESTION", f"eq-{name}"[:64])]


def master_notebook(hw: Homework, seed: str | None = None) -> dict:
    """The Otter Assign master notebook for one homework."""
    hw, parsed = load(hw)
    nb, sol = parsed.notebook, parsed.cells
    cases = graded_cases(hw, seed)
    blocks = manual_blocks(hw, nb["cells"])
    inside = {k for b in blocks.values() for k in range(b.first + 1, b.last + 1)}
    cells: list[dict] = [raw_cell(assignment_config(hw), "assignment-config")]
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") not in ("code", "markdown", "raw") or i in inside:
            continue
        if i in blocks:
            cells += manual_question(nb["cells"], blocks[i])
            continue
        if i not in sol:
            cells.append(clean_cell(cell, f"c{i:03d}"))
            continue
        sc = sol[i]
        if not sc.exercises:  # a solution block outside any graded exercise: solution only, no question
            out = clean_cell(cell, f"c{i:03d}")
            out["source"] = otter_solution(out["source"])
            cells += [raw_cell("# BEGIN SOLUTION", f"bs{i:03d}"), out, raw_cell("# END SOLUTION", f"es{i:03d}")]
            continue
        prompt = cells.pop() if cells and cells[-1]["cell_type"] == "markdown" else None
        qname = "_".join(sc.exercises)
        tests = [gc for name in sc.exercises for gc in cases[name]]
        points = [gc.points for gc in tests]  # each test worth its case's points, as in `course grade`
        header = yaml.safe_dump({"name": qname, "points": points}, sort_keys=False).strip()
        cells.append(raw_cell("# BEGIN QUESTION\n" + header, f"bq-{qname}"[:64]))
        if prompt is not None:
            cells.append(prompt)
        out = clean_cell(cell, f"sol-{qname}"[:64])
        out["source"] = otter_solution(out["source"])
        cells += [raw_cell("# BEGIN SOLUTION", f"bs-{qname}"[:64]), out, raw_cell("# END SOLUTION", f"es-{qname}"[:64])]
        cells.append(raw_cell("# BEGIN TESTS", f"bt-{qname}"[:64]))
        for gc in tests:
            cells.append(_test_cell(test_code(gc), gc.hidden, f"t-{gc.label}"[:64]))
        cells += [raw_cell("# END TESTS", f"et-{qname}"[:64]), raw_cell("# END QUESTION", f"eq-{qname}"[:64])]
    meta = dict(nb.get("metadata", {}))
    meta.pop("widgets", None)
    meta.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    return new_notebook(cells, meta)


def export(hw: str | Homework | list | None, dest: str | Path, seed: str | None = None) -> list[Path]:
    """Write Otter master notebooks under `dest` for one homework, a list, or all (None), each with a README.md of
    what differs from `course grade`; returns the notebooks' paths."""
    dest = Path(dest)
    if hw is None:
        hws = all_homeworks()
    elif isinstance(hw, (list, tuple)):
        hws = [h if isinstance(h, Homework) else load_homework(h) for h in hw]
    else:
        hws = [hw if isinstance(hw, Homework) else load_homework(hw)]
    paths = []
    for h in hws:
        folder = dest / h.short
        folder.mkdir(parents=True, exist_ok=True)
        from autograder.grade.pool import preload_for

        reqs = requirements(OTTER + (("torch",) if "torch" in preload_for(h) else ())) + [course_package()]
        (folder / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
        paths.append(write_notebook(master_notebook(h, seed), folder / f"{h.name}.ipynb"))
        (folder / "README.md").write_text(readme_text([h], "otter"), encoding="utf-8")
    return paths
