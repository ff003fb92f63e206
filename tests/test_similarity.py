"""`course similarity`: planted copies (renamed variables, reordered helpers, added comments, changed literals)
rank above every pair of independently written correct solutions; the reference and the stub are no source."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

from autograder.review import similarity
from course_lib.grading.homework import load_homework

HW = "hw02"

ADAM = {
    "ind1": '''
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    w = np.asarray(w, float)
    g = np.asarray(g, float)
    m = beta1 * np.asarray(m, float) + (1 - beta1) * g
    v = beta2 * np.asarray(v, float) + (1 - beta2) * g ** 2
    mhat = m / (1 - beta1 ** t)
    vhat = v / (1 - beta2 ** t)
    return w - lr * mhat / (np.sqrt(vhat) + eps), m, v
''',
    "ind2": '''
def _ema(avg, x, decay):
    return decay * avg + (1.0 - decay) * x


def _debias(avg, decay, step):
    return avg / (1.0 - decay ** step)


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    grad = np.array(g, dtype=float)
    first = _ema(np.array(m, dtype=float), grad, beta1)
    second = _ema(np.array(v, dtype=float), grad * grad, beta2)
    update = _debias(first, beta1, t) / (np.sqrt(_debias(second, beta2, t)) + eps)
    return np.array(w, dtype=float) - lr * update, first, second
''',
    "ind3": '''
import math


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    w_out, m_out, v_out = [], [], []
    for wi, gi, mi, vi in zip(np.ravel(w), np.ravel(g), np.ravel(m), np.ravel(v)):
        mi = beta1 * mi + (1 - beta1) * gi
        vi = beta2 * vi + (1 - beta2) * gi * gi
        step = lr * (mi / (1 - beta1 ** t)) / (math.sqrt(vi / (1 - beta2 ** t)) + eps)
        w_out.append(wi - step)
        m_out.append(mi)
        v_out.append(vi)
    shape = np.shape(w)
    return np.reshape(w_out, shape), np.reshape(m_out, shape), np.reshape(v_out, shape)
''',
    "ind4": '''
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    g = np.asarray(g, dtype=float)
    m_new = m * beta1 + g * (1 - beta1)
    v_new = v * beta2 + np.square(g) * (1 - beta2)
    c1, c2 = 1 - np.power(beta1, t), 1 - np.power(beta2, t)
    denom = np.sqrt(v_new / c2) + eps
    w_new = np.asarray(w, dtype=float) - lr * (m_new / c1) / denom
    return w_new, m_new, v_new
''',
}

SEARCH = {
    "ind1": '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x = np.asarray(x, dtype=float)
    d = np.asarray(d, dtype=float)
    f0 = f(x)
    slope = grad(x) @ d
    a = alpha0
    for _ in range(max_steps):
        if f(x + a * d) <= f0 + c * a * slope:
            return a
        a = a * rho
    return a
''',
    "ind2": '''
def _armijo_ok(f, x, d, step, fx, slope, c):
    return f(x + step * d) <= fx + c * step * slope


def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x, d = np.array(x, float), np.array(d, float)
    fx, slope = float(f(x)), float(np.sum(grad(x) * d))
    step, k = alpha0, 0
    while k < max_steps and not _armijo_ok(f, x, d, step, fx, slope, c):
        step *= rho
        k += 1
    return step
''',
    "ind3": '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x = np.asarray(x, dtype=float)
    d = np.asarray(d, dtype=float)
    target = lambda a: f(x) + c * a * np.dot(grad(x), d)

    def search(a, left):
        if left == 0 or f(x + a * d) <= target(a):
            return a
        return search(a * rho, left - 1)

    return float(search(alpha0, max_steps))
''',
    "ind4": '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x = np.asarray(x, dtype=float)
    d = np.asarray(d, dtype=float)
    base, dd = f(x), float(np.vdot(grad(x), d))
    candidates = alpha0 * rho ** np.arange(max_steps + 1)
    for alpha in candidates[:-1]:
        if f(x + alpha * d) <= base + c * alpha * dd:
            return float(alpha)
    return float(candidates[-1])
''',
}

# planted copies: source student -> (adam, line search)
COPIES = {
    "copy_of_ind1": ("ind1", '''
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    # convert everything to float arrays first
    weights = np.asarray(w, float)
    gradient = np.asarray(g, float)

    # moment estimates
    m = beta1 * np.asarray(m, float) + (1 - beta1) * gradient
    v = beta2 * np.asarray(v, float) + (1 - beta2) * gradient ** 2
    m_corrected = m / (1 - beta1 ** t)   # bias correction
    v_corrected = v / (1 - beta2 ** t)
    return weights - lr * m_corrected / (np.sqrt(v_corrected) + eps), m, v
''', '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    point = np.asarray(x, dtype=float)   # where we are
    direction = np.asarray(d, dtype=float)
    start_value = f(point)
    directional = grad(point) @ direction
    step_size = alpha0
    for _ in range(max_steps):
        # Armijo condition
        if f(point + step_size * direction) <= start_value + c * step_size * directional:
            return step_size
        step_size = step_size * rho
    return step_size
'''),
    "copy_of_ind2": ("ind2", '''
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    grad = np.array(g, dtype="float64")
    first = _ema(np.array(m, dtype="float64"), grad, beta1)
    second = _ema(np.array(v, dtype="float64"), grad * grad, beta2)
    update = _debias(first, beta1, t) / (np.sqrt(_debias(second, beta2, t)) + eps)
    return np.array(w, dtype="float64") - lr * update, first, second


def _debias(avg, decay, step):
    return avg / (1 - decay ** step)


def _ema(avg, x, decay):
    return decay * avg + (1 - decay) * x
''', '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x, d = np.array(x, float), np.array(d, float)
    fx, slope = float(f(x)), float(np.sum(grad(x) * d))
    step, k = alpha0, 0
    while k < max_steps and not _armijo_ok(f, x, d, step, fx, slope, c):
        step *= rho
        k += 1
    return step


def _armijo_ok(f, x, d, step, fx, slope, c):
    return f(x + step * d) <= fx + c * step * slope
'''),
    "copy_of_ind3": ("ind3", '''
import math


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    new_w, new_m, new_v = [], [], []
    for a, b, c, e in zip(np.ravel(w), np.ravel(g), np.ravel(m), np.ravel(v)):  # one coordinate at a time
        c = beta1 * c + (1 - beta1) * b
        e = beta2 * e + (1 - beta2) * b * b
        delta = lr * (c / (1 - beta1 ** t)) / (math.sqrt(e / (1 - beta2 ** t)) + eps)
        new_w.append(a - delta)
        new_m.append(c)
        new_v.append(e)
    s = np.shape(w)
    return np.reshape(new_w, s), np.reshape(new_m, s), np.reshape(new_v, s)
''', '''
def backtracking_line_search(f, grad, x, d, alpha0=2.0, rho=0.25, c=1e-3, max_steps=20):
    x = np.asarray(x, dtype=float)
    d = np.asarray(d, dtype=float)
    goal = lambda s: f(x) + c * s * np.dot(grad(x), d)

    def go(s, remaining):
        if remaining == 0 or f(x + s * d) <= goal(s):
            return s
        return go(s * rho, remaining - 1)

    return float(go(alpha0, max_steps))
'''),
}


def _nb(*sources: str) -> dict:
    cells = [{"cell_type": "code", "metadata": {}, "source": "import numpy as np", "outputs": [],
              "execution_count": None}]
    cells += [{"cell_type": "code", "metadata": {}, "source": s.strip() + "\n", "outputs": [], "execution_count": None}
              for s in sources]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def the_class() -> dict[str, dict]:
    out = {s: _nb(ADAM[s], SEARCH[s]) for s in ADAM}
    out.update({s: _nb(a, b) for s, (_, a, b) in COPIES.items()})
    out["reference_copy"] = json.loads((ROOT / "solutions" / "hw02_optimizers.ipynb").read_text())
    return out


def test_independent_solutions_are_correct():
    """The independent implementations really are correct (else the test would prove little)."""
    import numpy as np

    from course_lib.grading.selfcheck import check

    for s in ADAM:
        ns: dict = {"np": np}
        exec(ADAM[s] + SEARCH[s], ns)  # noqa: S102 - our own test code
        assert check("adam_step", namespace=ns, quiet=True), s
        assert check("backtracking_line_search", namespace=ns, quiet=True), s


def test_planted_copies_rank_above_every_independent_pair(tmp_path):
    hw = load_homework(HW)
    pairs, prints = similarity.compare(hw, the_class(), similarity.reference_notebooks(hw))
    planted = {(min(c, src), max(c, src)) for c, (src, _, _) in COPIES.items()}
    copied = [p for p in pairs if (p.a, p.b) in planted and p.function in ("adam_step", "backtracking_line_search")]
    others = [p for p in pairs if (p.a, p.b) not in planted]
    assert len(copied) == 6, [(p.a, p.b, p.function) for p in copied]
    assert others, "no independent pair was compared"
    lowest_copy = min(p.score for p in copied)
    highest_other = max(p.score for p in others)
    assert lowest_copy > highest_other, (
        sorted((round(p.score, 2), p.a, p.b, p.function) for p in copied)[:3],
        sorted((round(p.score, 2), p.a, p.b, p.function) for p in others)[-3:])
    top = pairs[:len(copied)]
    assert {(p.a, p.b, p.function) for p in top} == {(p.a, p.b, p.function) for p in copied}
    # the reference solution is not a source: a verbatim copy of it shares nothing that counts
    assert not [p for p in pairs if "reference_copy" in (p.a, p.b) and p.function == "adam_step"]


def test_normalising_ignores_names_literals_comments_and_layout():
    a = similarity.normalise("def f(x, y):\n    # add\n    return x + 2 * y\n")
    b = similarity.normalise("def g(alpha,beta):  \n    return (alpha\n + 7 * beta)  # done\n")
    assert [t for t, _, _ in a if t not in "()"] == [t for t, _, _ in b if t not in "()"]
    assert [t for t, _, _ in a][:6] == ["def", "V", "(", "V", ",", "V"]


def test_cli_writes_the_html_report(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for s, nb in the_class().items():
        (subs / f"{s}.ipynb").write_text(json.dumps(nb))
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", "similarity", HW, str(subs), "--out",
                          str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "copy_of_ind1" in page and "class=\"shared\"" in page and "<pre>" in page
    first = (tmp_path / "out" / "similarity.csv").read_text().splitlines()[1]
    assert "copy_of_" in first


# -- similarity that survives rewrites (issue 24 item 8, issue 25 item 7) ---------------------------------------

def _with_endings(nb: dict, ending: str) -> dict:
    out = json.loads(json.dumps(nb))
    for cell in out["cells"]:
        cell["source"] = cell["source"].replace("\n", ending)
    return out


def test_a_copy_saved_with_other_line_endings_is_still_a_pair():
    """Before: a copy saved with \\r line endings appeared in no pair (its definitions were read as empty)."""
    hw = load_homework(HW)
    nbs = the_class()
    nbs["copy_cr"] = _with_endings(nbs["copy_of_ind1"], "\r")
    nbs["copy_crlf"] = _with_endings(nbs["copy_of_ind1"], "\r\n")
    pairs, _ = similarity.compare(hw, nbs, similarity.reference_notebooks(hw))
    score = {(p.a, p.b, p.function): p.score for p in pairs}
    for f in ("adam_step", "backtracking_line_search"):
        assert score[("copy_cr", "ind1", f)] == score[("copy_crlf", "ind1", f)] == score[("copy_of_ind1", "ind1", f)]
        assert score[("copy_cr", "copy_crlf", f)] == 1.0


EXEC_COPY = '''
SRC = """
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    g = np.asarray(g, dtype=float)
    m_new = m * beta1 + g * (1 - beta1)
    v_new = v * beta2 + np.square(g) * (1 - beta2)
    c1, c2 = 1 - np.power(beta1, t), 1 - np.power(beta2, t)
    denom = np.sqrt(v_new / c2) + eps
    w_new = np.asarray(w, dtype=float) - lr * (m_new / c1) / denom
    return w_new, m_new, v_new
"""


class _Loader:
    exec(SRC, globals())
'''


def test_code_run_from_a_string_is_flagged_and_compared():
    """Before: source kept in a string and run with exec scored 0.00 against everyone, unflagged."""
    hw = load_homework(HW)
    nbs = the_class()
    nbs["exec_copy"] = _nb(EXEC_COPY, SEARCH["ind3"])
    flags: dict = {}
    pairs, _ = similarity.compare(hw, nbs, similarity.reference_notebooks(hw), flags=flags)
    assert flags == {"exec_copy": ["cell 2: exec"]}
    best = max((p for p in pairs if "exec_copy" in (p.a, p.b) and p.function == "adam_step"), key=lambda p: p.score)
    assert (best.a, best.b, best.score) == ("exec_copy", "ind4", 1.0)


def test_running_strings_is_a_note_in_the_feedback_never_points():
    from gradeutil import expected

    from autograder.exports.feedback import feedback_markdown
    from autograder.grade.submission import grade_extracted
    from autograder.runners import InProcessRunner
    from course_lib.grading.notebook import extract, read_notebook

    nb = read_notebook(ROOT / "autograder" / "samples" / "hw01" / "correct.ipynb")
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "def smoothness_constant(" in src:
            cell["source"] = f"_SRC = {src!r}\n\n\nclass _Load:\n    exec(_SRC, globals())\n"
    ex = extract(nb)
    assert len(ex.runs_strings) == 1 and ex.runs_strings[0].endswith(": exec")
    hw = load_homework("hw01")
    res = grade_extracted(hw, ex, InProcessRunner(), expected("hw01"))
    assert res.total == 10  # a note, never points
    md = feedback_markdown(hw, res, "in-process")
    assert f"your definitions run code held in strings ({ex.runs_strings[0]}); the instructor is told (no points " \
           "are taken for it)" in md


def test_what_counts_as_running_strings():
    import ast

    from course_lib.grading.notebook import runs_strings

    def found(src: str) -> list[str]:
        return sorted({w for node in ast.parse(src).body for w in runs_strings(node)})

    assert found("def f(s):\n    return eval(s)") == ["eval"]
    assert found("def f(s):\n    return compile(s, 'x', 'exec')") == ["compile"]
    assert found("def f():\n    return __import__('os')") == ["__import__"]
    assert found("import importlib\ndef f(n):\n    return importlib.import_module('num' + n)") == \
        ["import_module of a computed name"]
    assert found("import builtins\ndef f(s):\n    return getattr(builtins, 'ex' + 'ec')(s)") == \
        ["import builtins"]
    assert found("run = exec") == ["exec"]
    assert found("def f(x=exec('y=1')):\n    pass") == ["exec"]
    # not running strings: a literal module name, model.eval(), re.compile
    assert found("import importlib, re\ndef f(model):\n    importlib.import_module('numpy')\n    model.eval()\n"
                 "    return re.compile('a+')") == []


def test_a_students_own_submissions_are_never_paired(tmp_path):
    """Two Canvas submissions of user 12345 (same code): before, the student's own pair topped the report."""
    hw = load_homework(HW)
    nbs = {s: _nb(ADAM[s], SEARCH[s]) for s in ("ind2", "ind3", "ind4")}
    nbs["12345~aaaaaaaaaaaa"] = nbs["12345~bbbbbbbbbbbb"] = _nb(ADAM["ind1"], SEARCH["ind1"])
    pairs, _ = similarity.compare(hw, nbs, similarity.reference_notebooks(hw))
    assert pairs and not [p for p in pairs if p.a.startswith("12345") and p.b.startswith("12345")]
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ada_12345_100_hw02.ipynb").write_text(json.dumps(nbs["12345~aaaaaaaaaaaa"]))
    (subs / "ada_LATE_12345_200_hw02.ipynb").write_text(json.dumps(nbs["12345~aaaaaaaaaaaa"]))
    (subs / "copy_of_ind1.ipynb").write_text(json.dumps(_nb(*COPIES["copy_of_ind1"][1:])))
    res = similarity.run(hw, subs, tmp_path / "out")
    assert [(p.a.split("~")[0], p.b.split("~")[0]) for p in res.ranked] == [("12345", "copy_of_ind1")] * 2
    assert any(n.startswith("student id '12345' is claimed by 2 inputs") for n in res.notes)


def test_pairs_are_ranked_once_each_with_their_functions(tmp_path):
    """Before: (pair, function) rows, so one copied pair took one place per function in the top 20."""
    hw = load_homework(HW)
    pairs, _ = similarity.compare(hw, the_class(), similarity.reference_notebooks(hw))
    ranked = similarity.rank_pairs(pairs)
    assert len({(r.a, r.b) for r in ranked}) == len(ranked) == len({(p.a, p.b) for p in pairs})
    planted = {(min(c, src), max(c, src)) for c, (src, _, _) in COPIES.items()}
    assert {(r.a, r.b) for r in ranked[:3]} == planted
    for r in ranked[:3]:
        assert [p.function for p in r.rows][:2] in (["adam_step", "backtracking_line_search"],
                                                    ["backtracking_line_search", "adam_step"])
        assert r.rows == sorted(r.rows, key=lambda p: -p.score)
    subs = tmp_path / "subs"
    subs.mkdir()
    for s, nb in the_class().items():
        (subs / f"{s}.ipynb").write_text(json.dumps(nb))
    similarity.run(hw, subs, tmp_path / "out")
    import csv

    with open(tmp_path / "out" / "similarity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    first = [r for r in rows if r["rank"] == "1"]
    assert len(first) >= 2 and len({(r["student_a"], r["student_b"]) for r in first}) == 1
    assert {(r["student_a"], r["student_b"]) for r in rows if r["rank"] in ("1", "2", "3")} == planted
