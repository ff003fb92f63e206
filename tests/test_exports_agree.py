"""A realistic class graded four ways: `course grade`, the Gradescope zip, nbgrader and Otter give the same totals.

For each of hw02, hw05 and hw08, a class of 13 built from the solution notebook (so it follows the prompts and
code as they change; functions are found by name): correct; blank (the released assignment); three notebooks of
classic mistakes (independently written wrong functions; one also writes a RuntimeWarning to stderr from a correct
function); a renamed function (did you mean); a graded function's body in a helper in its own cell; the code cells
in reverse order; a statement that raises above a definition; a 150 s training demo at top level; a syntax error in
one cell; an endless loop inside a graded function (costs that exercise, via its time limit); a graded function
imported from the course library. The class is graded with `course grade`, then one student resubmits (one
mistake fixed) and the class is graded again into the same gradebook: that student alone is regraded. The final
class then gets identical totals through the Gradescope zip (our engine), nbgrader and `otter run` (each
notebook converted as `fill_from_submission` / `submission_from` convert it).

Every run is queued at once on two workers (`Jobs`): the tests wait for their own results.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest
from conftest import ROOT
from test_interop_support import (
    Jobs,
    gradescope_run,
    nbgrader_grade,
    otter_assign,
    otter_run,
    selected_params,
    tool_env,
)

from autograder.interop import gradescope
from autograder.interop.common import fill_from_submission
from autograder.records.gradebook import Gradebook
from course_lib.grading.homework import load_homework

pytestmark = pytest.mark.slow

HOMEWORKS = ("hw02", "hw05", "hw08")
RESUBMITTER = "mistakes_c"
DEMO_SECONDS = 150


@dataclass
class Spec:
    """Which exercise each variant touches. Mistakes: student -> ({exercise: wrong definition}, exercises that
    lose points: the wrong ones and those whose reference code calls them)."""

    renamed: tuple[str, str]
    syntax: str
    loop: str
    imported: tuple[str, str]
    raises: str
    helper: str
    warn: tuple[str, str]  # (student, a correct function that writes a RuntimeWarning)
    mistakes: dict = field(default_factory=dict)
    fixed: str = ""  # the resubmitter's exercise, right in the resubmission


SPECS = {
    "hw02": Spec(
        renamed=("adam_step", "adam_stpe"), syntax="optimal_step_pair", loop="backtracking_line_search",
        imported=("polar_factor", "from course_lib.optim import newton_schulz as polar_factor"), raises="adagrad_step",
        helper="rmsprop_step", warn=("mistakes_a", "momentum_step"), fixed="momentum_for_step",
        mistakes={
            "mistakes_a": ({
                "adam_step": '''
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    g = np.asarray(g, dtype=float)
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * g
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * g ** 2
    return np.asarray(w, dtype=float) - lr * m / (np.sqrt(v) + eps), m, v  # no bias correction
''',
                "rmsprop_step": '''
def rmsprop_step(w, g, s, lr, rho, eps):
    g = np.asarray(g, dtype=float)
    s = np.asarray(s, dtype=float) + g * g  # accumulates like AdaGrad: rho is never used
    return np.asarray(w, dtype=float) - lr * g / (np.sqrt(s) + eps), s
'''}, {"adam_step", "rmsprop_step"}),
            "mistakes_b": ({
                "optimal_step_pair": '''
def optimal_step_pair(lam_min, lam_max):
    a = 2.0 / (lam_min + lam_max)  # lecture 1's best fixed step, twice: no better than one step
    return a, a, (lam_max - lam_min) / (lam_max + lam_min)
''',
                "backtracking_line_search": '''
def backtracking_line_search(f, grad, x, d, alpha0=1.0, rho=0.5, c=1e-4, max_steps=50):
    x, d = np.asarray(x, dtype=float), np.asarray(d, dtype=float)
    alpha = alpha0
    for _ in range(max_steps):
        alpha = alpha * rho  # shrinks before testing: alpha0 itself is never tried
        if f(x + alpha * d) <= f(x) + c * alpha * np.dot(grad(x), d):
            return alpha
    return alpha
'''}, {"optimal_step_pair", "backtracking_line_search"}),
            "mistakes_c": ({
                "momentum_for_step": '''
def momentum_for_step(alpha, lam_min, lam_max):
    r = 1 - np.sqrt(alpha * lam_min)  # only the small end: alpha*lam_max can stay outside the complex region
    return r * r, r
''',
                "polar_factor": '''
def polar_factor(G, tol=1e-10, max_steps=50):
    X = np.array(G, dtype=float)  # not scaled to norm 1 first: the iteration blows up
    steps = 0
    while steps < max_steps and np.linalg.norm(X @ X.T - np.eye(X.shape[0])) > tol:
        X = 1.5 * X - 0.5 * X @ X.T @ X
        steps += 1
    return X, steps
'''}, {"momentum_for_step", "polar_factor"}),
        }),
    "hw05": Spec(
        renamed=("xavier_uniform_conv", "xavier_unifrom_conv"), syntax="forward_activation_stats", loop="he_normal",
        imported=("layernorm_forward", "from course_lib.initstats import numpy_layernorm as layernorm_forward"),
        raises="he_normal", helper="batchnorm_forward", warn=("mistakes_b", "residual_block_forward"),
        fixed="residual_block_backward",
        mistakes={
            "mistakes_a": ({
                "xavier_uniform_conv": '''
def xavier_uniform_conv(c_out, c_in, kh, kw, rng):
    a = np.sqrt(2.0 / ((c_in + c_out) * kh * kw))  # the Xavier standard deviation used as the bound
    return rng.uniform(-a, a, size=(c_out, c_in, kh, kw))
''',
                "layernorm_forward": '''
def layernorm_forward(x, gamma, beta, eps):
    x = np.asarray(x, dtype=float)
    mu, var = x.mean(axis=0), x.var(axis=0)  # over the batch, as BatchNorm does
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
'''}, {"xavier_uniform_conv", "layernorm_forward"}),
            "mistakes_b": ({
                "he_normal": '''
def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))  # 2/fan_in is the variance, not the std
''',
                "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    xhat, inv_std, gamma = cache
    dout = np.asarray(dout, dtype=float)
    # as if the batch mean and variance were constants
    return dout * gamma * inv_std, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
'''}, {"he_normal", "batchnorm_backward"}),
            "mistakes_c": ({
                "forward_activation_stats": '''
def forward_activation_stats(x, weights, activation):
    g = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "linear": lambda z: z}[activation]
    h, means, stds = np.asarray(x, dtype=float), [], []
    for W in weights:
        z = h @ np.asarray(W, dtype=float)
        means.append(z.mean())  # statistics of the pre-activation
        stds.append(z.std())
        h = g(z)
    return np.array(means), np.array(stds)
''',
                "residual_block_backward": '''
def residual_block_backward(dout, cache):
    x, W1, W2, z, h = cache
    dz = (dout @ W2.T) * (z > 0)
    return dz @ W1.T, x.T @ dz, dz.sum(axis=0), h.T @ dout, dout.sum(axis=0)  # dx forgets the skip path
'''}, {"forward_activation_stats", "residual_block_backward"}),
        }),
    "hw08": Spec(
        renamed=("clip_grad_norm", "clip_grad_nrom"), syntax="lstm_step_backward", loop="lstm_forward",
        imported=("gradient_norms_through_time",
                  "from course_lib.sequence import jacobian_norms_through_time as gradient_norms_through_time"),
        raises="lstm_step_forward", helper="rnn_step_forward", warn=("mistakes_b", "rnn_step_forward"),
        fixed="rnn_backward",
        mistakes={
            "mistakes_a": ({
                "lstm_step_forward": '''
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    a = np.asarray(x, dtype=float) @ Wx + np.asarray(h_prev, dtype=float) @ Wh + b
    H = a.shape[1] // 4
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])  # Keras order
    c = f * c_prev + i * g
    return o * np.tanh(c), c
''',
                "clip_grad_norm": '''
def clip_grad_norm(grads, max_norm):
    grads = [np.asarray(g, dtype=float) for g in grads]
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], total  # each tensor alone
'''}, {"lstm_step_forward", "lstm_forward", "clip_grad_norm"}),
            "mistakes_b": ({
                "rnn_step_backward": '''
def rnn_step_backward(dh, x, h_prev, Wx, Wh, b):
    x, h_prev = np.asarray(x, dtype=float), np.asarray(h_prev, dtype=float)
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    da = np.asarray(dh, dtype=float) * (1.0 - h)  # tanh' written as 1 - h
    return da @ np.asarray(Wx, dtype=float).T, da @ np.asarray(Wh, dtype=float).T, x.T @ da, h_prev.T @ da, \\
        da.sum(axis=0)
'''}, {"rnn_step_backward"}),  # rnn_backward is graded with torch's step functions in place of theirs
            "mistakes_c": ({
                "rnn_forward": '''
def rnn_forward(xs, h0, Wx, Wh, b):
    hs = [np.asarray(h0, dtype=float)]  # keeps h0 as the first state: T + 1 states
    for x in np.asarray(xs, dtype=float):
        hs.append(np.tanh(x @ Wx + hs[-1] @ Wh + b))
    return np.stack(hs)
''',
                "rnn_backward": '''
def rnn_backward(dhs, xs, h0, Wx, Wh, b, truncate=None):
    xs, h0 = np.asarray(xs, dtype=float), np.asarray(h0, dtype=float)
    hs, h = [], h0
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
        hs.append(h)
    dxs, dh0 = np.zeros_like(xs), np.zeros_like(h0)
    dWx, dWh, db = np.zeros(np.shape(Wx)), np.zeros(np.shape(Wh)), np.zeros(np.shape(b))
    for t in reversed(range(len(xs))):
        h_prev = hs[t - 1] if t > 0 else h0
        da = np.asarray(dhs[t], dtype=float) * (1 - hs[t] ** 2)  # the gradient from step t + 1 is dropped
        dxs[t] = da @ np.asarray(Wx, dtype=float).T
        dWx, dWh, db = dWx + xs[t].T @ da, dWh + h_prev.T @ da, db + da.sum(axis=0)
        if t == 0:
            dh0 = da @ np.asarray(Wh, dtype=float).T
    return dxs, dh0, dWx, dWh, db
'''}, {"rnn_forward", "rnn_backward"}),
        }),
}

STUDENTS = ("correct", "blank", "mistakes_a", "mistakes_b", "mistakes_c", "renamed", "helpers", "reordered",
            "raises_above", "slow_demo", "syntax_error", "endless_loop", "imported")


# -- building the class ---------------------------------------------------------------------------------------------

def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _code(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


def _def_node(src: str, name: str):
    for node in ast.parse(src).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _cell_of(nb: dict, name: str) -> dict:
    """The code cell whose top level defines `name` (the notebook may contain IPython magics elsewhere)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and f"def {name}(" in _src(cell):
            try:
                if _def_node(_src(cell), name) is not None:
                    return cell
            except SyntaxError:
                continue
    raise AssertionError(f"no code cell defines {name}()")


def _edit(nb: dict, name: str, fn) -> dict:
    cell = _cell_of(nb, name)
    cell["source"] = fn(_src(cell))
    return nb


def _replace_def(src: str, name: str, new: str) -> str:
    """`src` with its top-level function `name` (decorators included) replaced by the text `new`."""
    node = _def_node(src, name)
    lines = src.splitlines(keepends=True)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return "".join(lines[:start]) + new.strip("\n") + "\n" + "".join(lines[node.end_lineno:])


def _insert_in_body(src: str, name: str, stmt: str) -> str:
    """`stmt` (lines, unindented) as the first statement of function `name`, after its docstring."""
    node = _def_node(src, name)
    body = node.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str) else body[0]
    lines = src.splitlines(keepends=True)
    indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)
    at = first.lineno - 1
    while at > 0 and lines[at - 1].strip().startswith("#"):  # keep `### BEGIN SOLUTION` above the insert
        at -= 1
    at = first.lineno - 1 if at < body[0].end_lineno else at
    text = "".join(indent + line + "\n" for line in stmt.strip("\n").splitlines())
    return "".join(lines[:at]) + text + "".join(lines[at:])


def _move_body_to_helper(nb: dict, name: str) -> None:
    """name's body becomes `_name_impl` in a helper cell of its own (at the end of the notebook, with a module
    constant); `name` keeps its signature and calls the helper."""
    cell = _cell_of(nb, name)
    src = _src(cell)
    node = _def_node(src, name)
    fn_src = ast.get_source_segment(src, node)
    helper = re.sub(rf"^def {name}\(", f"def _{name}_impl(", fn_src, count=1)
    header = "".join(src.splitlines(keepends=True)[node.lineno - 1:node.body[0].lineno - 1])
    wrapper = header + f"    return _{name}_impl(**locals())\n"
    cell["source"] = _replace_def(src, name, wrapper)
    nb["cells"].append(_code(f"# helpers\nimport numpy as np\n\nTOLERANCE = 1e-12\n\n\n{helper}\n"))


def _read(path) -> dict:
    nb = json.loads(path.read_text())
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    return nb


def build_class(short: str) -> tuple[dict[str, dict], dict]:
    """The 13 notebooks (first submissions) and the resubmission of RESUBMITTER."""
    hw = load_homework(short)
    spec = SPECS[short]
    sol = _read(ROOT / "solutions" / f"{hw.name}.ipynb")
    out = {"correct": copy.deepcopy(sol), "blank": _read(ROOT / "assignments" / f"{hw.name}.ipynb")}

    for student, (wrong, _) in spec.mistakes.items():
        nb = copy.deepcopy(sol)
        for name, text in wrong.items():
            _edit(nb, name, lambda s, name=name, text=text: _replace_def(s, name, text))
        if student == spec.warn[0]:  # a RuntimeWarning on stderr from a correct function costs nothing
            _edit(nb, spec.warn[1], lambda s: _insert_in_body(s, spec.warn[1], "np.log(np.zeros(1))"))
        out[student] = nb
    resubmission = copy.deepcopy(out[RESUBMITTER])
    right = _src(_cell_of(sol, spec.fixed))
    _cell_of(resubmission, spec.fixed)["source"] = right

    old, new = spec.renamed
    out["renamed"] = _edit(copy.deepcopy(sol), old, lambda s: s.replace(f"def {old}(", f"def {new}(", 1))

    nb = copy.deepcopy(sol)
    _move_body_to_helper(nb, spec.helper)
    out["helpers"] = nb

    nb = copy.deepcopy(sol)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    nb["cells"] = [c for c in nb["cells"] if c["cell_type"] != "code"] + code[::-1]
    out["reordered"] = nb

    out["raises_above"] = _edit(copy.deepcopy(sol), spec.raises, lambda s: "history = losses[-1]  # NameError\n\n" + s)

    nb = copy.deepcopy(sol)
    nb["cells"].append(_code(f"import time\n\nfor epoch in range({DEMO_SECONDS}):  # the training demo: 1 s per epoch\n"
                             "    time.sleep(1.0)\n    print(f'epoch {epoch}: loss {1 / (epoch + 1):.3f}')\n"))
    out["slow_demo"] = nb

    out["syntax_error"] = _edit(copy.deepcopy(sol), spec.syntax, lambda s: s + "\n\nprint('done'\n")

    out["endless_loop"] = _edit(copy.deepcopy(sol), spec.loop, lambda s: _insert_in_body(
        s, spec.loop, "change, tol = 1.0, 1e-8\nwhile change > tol:  # 'until it converges': change never shrinks\n"
                      "    step = 0.5 * change"))

    name, line = spec.imported
    out["imported"] = _edit(copy.deepcopy(sol), name, lambda s: _replace_def(s, name, line))
    assert sorted(out) == sorted(STUDENTS)
    return out, resubmission


# -- grading (all queued at once) -------------------------------------------------------------------------------------

def _book(db, name: str) -> dict[str, dict[str, float]]:
    """The gradebook's rows (full precision; grades.csv shows 2 decimals): student -> total and exercise points."""
    book = Gradebook(db)
    try:
        return {r.student: {"total": r.total, **{e.name: e.points for e in r.result.exercises}}
                for r in book.rows(name)}
    finally:
        book.close()


def _course_grade(short: str, subs, out, db, resubmission: dict) -> dict:
    """`course grade` on the class, then RESUBMITTER's notebook replaced and the same command again."""
    name = load_homework(short).name
    cmd = [sys.executable, "-m", "course_lib.cli", "grade", short, str(subs), "--out", str(out), "--db",
           f"sqlite:///{db}", "--workers", "2", "--allow-weak-isolation"]
    runs = []
    for k in range(2):
        if k == 1:
            (subs / f"{RESUBMITTER}.ipynb").write_text(json.dumps(resubmission))
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - t0
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append({"grades": _book(db, name), "stdout": proc.stdout, "seconds": seconds})
    book = Gradebook(db)
    try:
        history = book.history(name)
    finally:
        book.close()
    feedback = {s: (out / "feedback" / f"{s}.md").read_text() for s in STUDENTS}
    return {"first": runs[0], "second": runs[1], "history": history, "feedback": feedback}


def _queue(jobs: Jobs, short: str, root) -> None:
    hw = load_homework(short)
    notebooks, resubmission = build_class(short)
    base = root / short
    subs, final = base / "subs", base / "final"
    subs.mkdir(parents=True)
    final.mkdir()
    for s, nb in notebooks.items():
        (subs / f"{s}.ipynb").write_text(json.dumps(nb))
        (final / f"{s}.ipynb").write_text(json.dumps(resubmission if s == RESUBMITTER else nb))
    paths = {s: final / f"{s}.ipynb" for s in STUDENTS}

    def otter_half(k):
        zip_path, template = jobs.result((short, "otter-assign"))
        return otter_run(zip_path, template, hw, {s: paths[s] for s in STUDENTS[k::2]}, base / f"otter{k}")

    def gradescope_one(s):
        return gradescope_run(jobs.result((short, "gradescope-zip")), paths[s], base / "gradescope" / s)

    jobs.add((short, "otter-assign"), otter_assign, hw, base / "otter")
    jobs.add((short, "gradescope-zip"), gradescope.export, hw, base / "gradescope.zip")
    jobs.later += [((short, "otter", 0), otter_half, 0), ((short, "otter", 1), otter_half, 1),
                   ((short, "nbgrader"), nbgrader_grade, hw, paths, base / "nbgrader"),
                   ((short, "course grade"), _course_grade, short, subs, base / "ours", base / "course.sqlite",
                    resubmission)]
    jobs.last += [((short, "gradescope", s), gradescope_one, s) for s in STUDENTS]


@pytest.fixture(scope="module")
def jobs(request, tmp_path_factory):
    """Every run for the homework whose tests were selected, queued longest first on two workers."""
    root = tmp_path_factory.mktemp("agree")
    chosen = set().union(*selected_params(request.session, "test_exports_agree.py", "short").values() or [set()])
    pool = Jobs()
    pool.later, pool.last = [], []
    for short in [h for h in HOMEWORKS if h in chosen]:
        _queue(pool, short, root)
    first = {"nbgrader": 0, "otter": 1, "course grade": 2}  # the longest single runs first
    for job in sorted(pool.later, key=lambda job: first[job[0][1]]) + pool.last:
        pool.add(*job)
    yield pool
    pool.close()


def _ours(jobs, short) -> dict:
    return jobs.result((short, "course grade"))


def _final_totals(jobs, short) -> dict[str, float]:
    return {s: _ours(jobs, short)["second"]["grades"][s]["total"] for s in STUDENTS}


# -- the tests --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("short", HOMEWORKS)
def test_the_class_is_realistic(jobs, short):
    """Each variant loses what it should in `course grade`: exactly the touched exercise, or nothing."""
    hw, spec = load_homework(short), SPECS[short]
    points = {e.name: float(e.points) for e in hw.exercises}
    got = _ours(jobs, short)["first"]["grades"]
    print(short, {s: got[s]["total"] for s in STUDENTS})
    for s in ("correct", "helpers", "reordered", "raises_above", "slow_demo"):
        assert got[s]["total"] == pytest.approx(hw.max_points), (s, got[s])
    assert got["blank"]["total"] == 0
    for s, name in (("renamed", spec.renamed[0]), ("syntax_error", spec.syntax), ("endless_loop", spec.loop),
                    ("imported", spec.imported[0])):
        assert got[s]["total"] == pytest.approx(hw.max_points - points[name]), (s, name, got[s])
        assert got[s][name] == 0, (s, name)
    for s, (_, lost) in spec.mistakes.items():
        for name, pts in points.items():
            if name in lost:
                assert got[s][name] < pts, f"{s}: the classic mistake in {name} was not caught"
            else:
                assert got[s][name] == pytest.approx(pts), f"{s}: {name} lost points it should not"
    fb = _ours(jobs, short)["feedback"]["renamed"].replace("\\", "")  # markdown escapes
    assert f"but `{spec.renamed[1]}` is: did you mean `{spec.renamed[0]}`?" in fb
    assert len({got[s]["total"] for s in STUDENTS}) >= 6  # agreement below is not agreement on a few numbers


@pytest.mark.parametrize("short", HOMEWORKS)
def test_resubmission_is_regraded_and_nobody_else(jobs, short):
    ours = _ours(jobs, short)
    spec, hw = SPECS[short], load_homework(short)
    first, second = ours["first"]["grades"], ours["second"]["grades"]
    assert second[RESUBMITTER][spec.fixed] == pytest.approx(float(hw.exercise(spec.fixed).points))
    assert second[RESUBMITTER]["total"] > first[RESUBMITTER]["total"]
    for s in STUDENTS:
        if s != RESUBMITTER:
            assert second[s] == first[s], s
    assert "regraded 1 because they changed or were asked for (1 resubmitted)" in ours["second"]["stdout"]
    assert "graded 0 new, skipped 12 already graded" in ours["second"]["stdout"]
    reasons = [(h["student"], h["reason"]) for h in ours["history"] if h["reason"] != "graded"]
    assert reasons == [(RESUBMITTER, "resubmitted")]


@pytest.mark.parametrize("short", HOMEWORKS)
def test_the_training_demo_costs_nothing(jobs, short):
    """A 150 s demo at top level: `course grade` runs definitions only, so the whole class takes far less."""
    ours = _ours(jobs, short)
    for run in ("first", "second"):
        assert ours[run]["seconds"] < DEMO_SECONDS, (run, ours[run]["seconds"])
    assert jobs.result((short, "gradescope", "slow_demo"))["execution_time"] < DEMO_SECONDS / 3
    for k in (0, 1):
        for s, r in jobs.result((short, "otter", k)).items():
            assert r["seconds"] < DEMO_SECONDS / 2, (s, r["seconds"])
    print(short, "course grade:", {run: round(ours[run]["seconds"], 1) for run in ("first", "second")})


# Each path is compared at the precision it reports: nbgrader's score is a float sum, the Gradescope results.json
# keeps 6 decimals like `course grade`; Otter rounds each question's score to 5 decimals itself.

@pytest.mark.parametrize("short", HOMEWORKS)
def test_gradescope_agrees(jobs, short):
    got = {s: jobs.result((short, "gradescope", s))["score"] for s in STUDENTS}
    print(short, "gradescope", got)
    assert got == pytest.approx(_final_totals(jobs, short), abs=1e-6)


@pytest.mark.parametrize("short", HOMEWORKS)
def test_nbgrader_agrees(jobs, short):
    pytest.importorskip("nbgrader")
    got = jobs.result((short, "nbgrader"))
    print(short, "nbgrader", got)
    assert got == pytest.approx(_final_totals(jobs, short), abs=1e-6)


@pytest.mark.parametrize("short", HOMEWORKS)
def test_otter_agrees(jobs, short):
    pytest.importorskip("otter")
    got = {**jobs.result((short, "otter", 0)), **jobs.result((short, "otter", 1))}
    final = _ours(jobs, short)["second"]["grades"]
    print(short, "otter", {s: got[s]["total"] for s in STUDENTS})
    n = len(load_homework(short).exercises)
    assert {s: got[s]["total"] for s in STUDENTS} == pytest.approx(_final_totals(jobs, short), abs=n * 5e-6 + 1e-6)
    for s in STUDENTS:  # questions named after one exercise (the others are forward/backward pairs)
        for q, score in got[s]["exercises"].items():
            if q in final[s] and q != "total":
                assert score == pytest.approx(final[s][q], abs=5e-6 + 1e-9), (s, q)


@pytest.mark.parametrize("short", HOMEWORKS)
def test_converted_submission_runs_definitions_only(short):
    """fill_from_submission: every cell's definitions (helpers too), nothing else, stubs emptied."""
    hw, spec = load_homework(short), SPECS[short]
    notebooks, _ = build_class(short)
    template = _read(ROOT / "assignments" / f"{hw.name}.ipynb")

    def text(student):
        filled = fill_from_submission(template, notebooks[student], hw)
        return "\n".join(_src(c) for c in filled["cells"] if c["cell_type"] == "code")

    helpers = text("helpers")
    assert f"def _{spec.helper}_impl(" in helpers and "TOLERANCE = 1e-12" in helpers
    assert "raise NotImplementedError" not in helpers and "check(" not in helpers
    assert "time.sleep" not in text("slow_demo") and "losses[-1]" not in text("raises_above")
    assert f"def {spec.raises}(" in text("raises_above")


def test_in_kernel_time_limit_is_shared_by_an_exercises_cases():
    """The nbgrader/Otter test cells (run_and_judge_limited): an endless loop is stopped at the exercise's limit,
    even one that catches exceptions, later cases of that exercise fail at once, other exercises are untouched."""
    from course_lib.grading.judge import run_and_judge_limited
    from course_lib.grading.model import Exercise

    def spin(x):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - a student's catch-all must not keep the loop alive
                pass

    def spin_bare(x):
        while True:
            try:
                x = x + 1
            except:  # noqa: E722 - not even a bare except
                pass

    ns = {"spin": spin, "spin_bare": spin_bare, "double": lambda x: 2 * x}
    for name in ("spin", "spin_bare"):
        ex = Exercise(name, 1, [], time_limit=0.3)
        t0 = time.perf_counter()
        first = run_and_judge_limited(ns, ex, "hw-test", [1], {}, {"value": 2})
        second = run_and_judge_limited(ns, ex, "hw-test", [1], {}, {"value": 2})
        assert not first.ok and first.kind == "timeout" and second.kind == "timeout", (first, second)
        assert time.perf_counter() - t0 < 3, name
    ok = run_and_judge_limited(ns, Exercise("double", 1, [], time_limit=0.3), "hw-test", [1], {}, {"value": 2})
    assert ok.ok, ok


if __name__ == "__main__":  # pragma: no cover - print the classes' totals per path
    shutil.rmtree(ROOT / "build" / "agree", ignore_errors=True)
    sys.exit(pytest.main([__file__, "-q", "-s"]))
