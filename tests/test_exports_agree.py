"""A realistic class graded four ways: `course grade`, nbgrader, Otter and the Gradescope zip give the same totals.

The class (hw02, built from the solution notebook): correct, blank, classic mistakes (Adam without bias
correction, RMSProp accumulating like AdaGrad) plus a RuntimeWarning on stderr in a correct function, a renamed
function next to a syntax error, helpers in their own cell with the cells in reverse order, a statement that
raises above a definition followed by a `while True` training loop at top level, and a graded function imported
from the course library. nbgrader and Otter get each notebook as `fill_from_submission` converts it.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_interop_support import ROOT, tool, tool_env

from autograder.interop import gradescope
from autograder.interop import nbgrader as nbg
from autograder.interop import otter as ot
from autograder.interop.common import fill_from_submission
from autograder.notebook import read_notebook
from course_lib.grading.homework import load_homework

pytestmark = pytest.mark.slow

HW, NAME = "hw02", "hw02_optimizers"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
ASSIGNMENT = ROOT / "assignments" / f"{NAME}.ipynb"


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _code(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


def _edit(nb: dict, name: str, fn) -> dict:
    """Apply fn to the source of the code cell that defines `name`."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and f"def {name}(" in _src(cell):
            cell["source"] = fn(_src(cell))
            return nb
    raise AssertionError(f"no cell defines {name}")


def build_class() -> dict[str, dict]:
    sol = json.loads(SOLUTION.read_text())
    for c in sol["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    out = {"correct": copy.deepcopy(sol), "blank": json.loads(ASSIGNMENT.read_text())}

    nb = copy.deepcopy(sol)  # classic mistakes, and a warning on stderr in a correct function
    _edit(nb, "adam_step", lambda s: s.replace("m_hat = m_new / (1.0 - beta1 ** t)", "m_hat = m_new")
          .replace("v_hat = v_new / (1.0 - beta2 ** t)", "v_hat = v_new"))
    _edit(nb, "rmsprop_step", lambda s: s.replace("rho * np.asarray(s, dtype=float) + (1.0 - rho) * g * g",
                                                  "np.asarray(s, dtype=float) + g * g"))
    _edit(nb, "momentum_step", lambda s: s.replace('    ### BEGIN SOLUTION\n',
                                                   '    ### BEGIN SOLUTION\n    np.log(np.zeros(1))\n'))
    out["mistakes"] = nb

    nb = copy.deepcopy(sol)  # a renamed function and a cell with a syntax error
    _edit(nb, "adam_step", lambda s: s.replace("def adam_step(", "def adam_stpe("))
    _edit(nb, "optimal_gd_step", lambda s: s + "\n\nprint('done'")
    out["renamed_syntax"] = nb

    nb = copy.deepcopy(sol)  # helpers in their own cell, all code cells in reverse order
    _edit(nb, "momentum_step", lambda s: s.replace("np.asarray(v, dtype=float)", "_as_float(v)")
          .replace("np.asarray(g, dtype=float)", "_as_float(g)").replace("np.asarray(w, dtype=float)", "_as_float(w)"))
    nb["cells"].append(_code("def _as_float(a):\n    return np.asarray(a, dtype=float)\n\nSCALE = 1.0"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    md = [c for c in nb["cells"] if c["cell_type"] != "code"]
    nb["cells"] = md + code[::-1]
    out["helpers_reordered"] = nb

    nb = copy.deepcopy(sol)  # a statement that raises above a definition; a training loop that never ends
    _edit(nb, "adagrad_step", lambda s: "history = losses[-1]\n\n" + s)
    nb["cells"].append(_code("w = np.ones(3)\nwhile True:  # 'train until it converges'\n"
                             "    w, _ = momentum_step(w, w, 0 * w, 0.1, 0.9)\n"))
    out["raises_and_loops"] = nb

    nb = copy.deepcopy(sol)  # the course library's own implementation, imported
    _edit(nb, "newton_schulz", lambda s: "from course_lib.optim import newton_schulz\n")
    out["imported"] = nb

    nb = json.loads(ASSIGNMENT.read_text())  # only the first two exercises done
    for name in ("momentum_step", "adagrad_step"):
        body = next(_src(c) for c in sol["cells"] if c["cell_type"] == "code" and f"def {name}(" in _src(c))
        _edit(nb, name, lambda s, body=body: body)
    out["partial"] = nb
    return out


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("agree")
    subs = root / "subs"
    subs.mkdir()
    notebooks = build_class()
    for s, nb in notebooks.items():
        (subs / f"{s}.ipynb").write_text(json.dumps(nb))
    return root, subs, list(notebooks)


@pytest.fixture(scope="module")
def ours(klass):
    import subprocess

    root, subs, students = klass
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", HW, str(subs), "--out", str(root / "ours"),
                          "--workers", "2", "--allow-weak-isolation"],
                         cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    with open(root / "ours" / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    totals = {s: float(rows[s]["total"]) for s in students}
    print("course grade", totals)
    return totals


def test_the_class_is_realistic(ours):
    """The variants score differently and each loses what `course grade` says it should."""
    max_total = load_homework(HW).max_points
    assert ours["correct"] == ours["helpers_reordered"] == ours["raises_and_loops"] == max_total
    assert ours["blank"] == 0
    assert 0 < ours["partial"] < ours["mistakes"] < max_total
    assert ours["imported"] == max_total - 2  # newton_schulz: 2 points
    assert ours["renamed_syntax"] == max_total - 2 - 1  # adam_step (2) and optimal_gd_step (1)


def test_gradescope_agrees(klass, ours, tmp_path):
    root, subs, students = klass
    zip_path = gradescope.export(HW, tmp_path / "ag.zip")

    def one(s):
        return gradescope.run_local(zip_path, subs / f"{s}.ipynb", python=sys.executable, root=tmp_path / s)

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        got = dict(zip(students, pool.map(one, students)))
    totals = {s: got[s]["score"] for s in students}
    print("gradescope", totals)
    assert totals == pytest.approx(ours, abs=1e-6)


def test_nbgrader_agrees(klass, ours):
    pytest.importorskip("nbgrader")
    root, subs, students = klass
    course = root / "nbgrader"
    nbg.export(HW, course)
    tool("nbgrader", "generate_assignment", HW, "--create", "--force", cwd=course)
    released = course / "release" / HW / f"{NAME}.ipynb"
    for s in students:
        dest = course / "submitted" / s / HW / f"{NAME}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nbg.submission_from(released, subs / f"{s}.ipynb", HW)))
    tool("nbgrader", "autograde", HW, "--force", cwd=course, timeout=900)
    tool("nbgrader", "export", cwd=course)
    with open(course / "grades.csv") as f:
        theirs = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    totals = {s: theirs[s] for s in students}
    print("nbgrader", totals)
    assert totals == pytest.approx(ours, abs=1e-6)


def test_otter_agrees(klass, ours):
    pytest.importorskip("otter")
    root, subs, students = klass
    master_dir = root / "otter"
    (master,) = ot.export(HW, master_dir / "master")
    tool("otter", "assign", str(master), str(master_dir / "dist"), cwd=master_dir)
    (zip_path,) = sorted((master_dir / "dist" / "autograder").glob("*.zip"))
    student_nb = read_notebook(master_dir / "dist" / "student" / f"{NAME}.ipynb")
    hw = load_homework(HW)
    args = [str(zip_path)]
    for s in students:
        folder = master_dir / "subs" / s
        folder.mkdir(parents=True)
        filled = fill_from_submission(student_nb, read_notebook(subs / f"{s}.ipynb"), hw)
        (folder / f"{NAME}.ipynb").write_text(json.dumps(filled))
        args += [str(folder / f"{NAME}.ipynb"), str(folder)]
    script = ("import sys\nfrom otter.run import main\n"
              "for sub, out in zip(sys.argv[2::2], sys.argv[3::2]):\n"
              "    main(sub, autograder=sys.argv[1], output_dir=out, no_logo=True)\n")
    tool("python", "-c", script, *args, cwd=master_dir, timeout=900)
    theirs = {}
    for s in students:
        r = json.loads((master_dir / "subs" / s / "results.json").read_text())
        theirs[s] = sum(t["score"] for t in r["tests"] if t.get("max_score") is not None)
    print("otter", theirs)
    assert theirs == pytest.approx(ours, abs=1e-6)


def test_converted_submission_runs_definitions_only():
    """fill_from_submission: every cell's definitions (helpers too), nothing else, stubs emptied."""
    hw = load_homework(HW)
    nb = build_class()
    template = json.loads(ASSIGNMENT.read_text())
    filled = fill_from_submission(template, nb["helpers_reordered"], hw)
    text = "\n".join(_src(c) for c in filled["cells"] if c["cell_type"] == "code")
    assert "def _as_float(a)" in text and "SCALE = 1.0" in text
    assert "raise NotImplementedError" not in text and "check(" not in text
    filled = fill_from_submission(template, nb["raises_and_loops"], hw)
    text = "\n".join(_src(c) for c in filled["cells"] if c["cell_type"] == "code")
    assert "while True" not in text and "losses[-1]" not in text and "def adagrad_step(" in text


if __name__ == "__main__":  # pragma: no cover - print the class's totals per path
    sys.exit(pytest.main([__file__, "-q", "-s"]))
