"""Hostile submissions against hw01, each with the exact score it must get. The batch always completes.

Every attack is graded by the real sandbox (one zygote for the module). The student's code never judges
itself: results cross the boundary as plain data and are compared in this (trusted) process.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from attackutil import FULL, SOLUTION, attack_homework, grade, notebook, only_zero

from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.sandbox.isolation import NAMESPACES, detect
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.notebook import extract_file

pytestmark = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces (unshare)")


@pytest.fixture(scope="module")
def hw():
    return attack_homework(3.0, 512)


@pytest.fixture(scope="module")
def expected(hw):
    return ExpectedCache(hw, "attack-suite-seed", include_hidden=True)


@pytest.fixture(scope="module")
def runner():
    with SandboxRunner(preload=("numpy", "matplotlib", "matplotlib.pyplot")) as r:
        yield r


def test_patching_numpy_and_testing_does_not_help(hw, expected, runner, tmp_path):
    src = '''import numpy as np
def ols_closed_form(X, y):
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    np.isclose = lambda *a, **k: True
    return np.zeros(X.shape[1])
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"ols_closed_form": src})) == only_zero("ols_closed_form")


def test_patching_the_harness_does_not_help(hw, expected, runner, tmp_path):
    src = '''import numpy as np
def mse_loss_grad(w, X, y):
    import course_lib.grading.compare as c
    from course_lib.grading.compare import Verdict
    c.compare = lambda *a, **k: Verdict(True)
    import course_lib.grading.judge as j
    j.judge = lambda *a, **k: Verdict(True)
    import course_lib.grading.run as e
    e.describe_error = lambda exc: "ok"
    return 0.0, np.zeros_like(w)
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"mse_loss_grad": src})) == only_zero("mse_loss_grad")


def test_input_transformers_and_ipython_hooks_do_nothing(hw, expected, runner, tmp_path):
    extra = ['get_ipython().input_transformers_post.append(lambda lines: ["ols_closed_form = None"])',
             'class Hook:\n    get_ipython().events.register("post_run_cell", lambda *a: None)']
    assert grade(hw, expected, runner, notebook(tmp_path, extra=extra)) == FULL


def test_always_equal_object_is_refused(hw, expected, runner, tmp_path):
    src = '''import numpy as np
class Liar(np.ndarray):
    def __eq__(self, other): return True
    def __array_finalize__(self, obj): pass
class Always:
    def __eq__(self, other): return True
    __hash__ = None
def smoothness_constant(X):
    return Always()
def ols_closed_form(X, y):
    return np.zeros(X.shape[1]).view(Liar)
'''
    got = grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src}))
    assert got["smoothness_constant"] == 0
    assert got["ols_closed_form"] == 0, "an ndarray subclass with a rigged __eq__ must be compared by value"


def test_printing_or_writing_fake_results_does_nothing(hw, expected, runner, tmp_path):
    src = '''import numpy as np, json, os
def smoothness_constant(X):
    print(json.dumps({"i": 0, "value": 1.0, "ok": True, "score": 1}))
    for p in ("results.json", "/tmp/results.json", "/autograder/results/results.json"):
        try:
            open(p, "w").write('{"score": 100}')
        except OSError:
            pass
    return -1.0
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


def test_reading_solutions_from_disk_fails(hw, expected, runner, tmp_path):
    src = f'''import numpy as np, json, glob
def ols_closed_form(X, y):
    paths = [{str(SOLUTION)!r}] + glob.glob("/**/hw01_gradient_descent.ipynb", recursive=True)
    for p in paths:
        try:
            nb = json.load(open(p))
        except OSError:
            continue
        ns = {{}}
        for c in nb["cells"]:
            if "def ols_closed_form" in "".join(c["source"]):
                exec("import numpy as np\\n" + "".join(c["source"]), ns)
                return ns["ols_closed_form"](X, y)
    return np.full(X.shape[1], -1.0)
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"ols_closed_form": src})) == only_zero("ols_closed_form")


def test_hidden_cases_and_reference_are_not_importable(hw, expected, runner, tmp_path):
    src = '''import numpy as np
def ols_closed_form(X, y):
    import gc
    for obj in gc.get_objects():  # a reference function left in memory would be found here
        if callable(obj) and getattr(obj, "__name__", "") == "ols_closed_form" and obj.__globals__ is not globals():
            return obj(X, y)
    from course_lib.grading.homework import load_homework  # the specs (hidden generators) must not be reachable
    from autograder.grade.reference import expected_for
    ex = load_homework("hw01").exercises[0]
    return expected_for(load_homework("hw01"), ex, [])[0]["value"]
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"ols_closed_form": src})) == only_zero("ols_closed_form")


def test_network_to_localhost_is_unreachable(hw, expected, runner, tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    hits = []

    def accept():
        for _ in range(30):
            try:
                conn, _ = server.accept()
                hits.append(1)
                conn.close()
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    src = f'''import numpy as np, socket
def ols_closed_form(X, y):
    s = socket.create_connection(("127.0.0.1", {port}), timeout=1)
    s.sendall(b"leak")
    return np.linalg.solve(X.T @ X, X.T @ y)
'''
    got = grade(hw, expected, runner, notebook(tmp_path, {"ols_closed_form": src}))
    t.join()
    server.close()
    assert got == only_zero("ols_closed_form") and hits == []


def test_infinite_loop_in_demo_cell_costs_nothing_and_in_function_costs_that_exercise(hw, expected, runner,
                                                                                       tmp_path):
    assert grade(hw, expected, runner, notebook(tmp_path, extra=["while True:\n    pass"])) == FULL
    src = "def gradient_descent(grad_fn, x0, lr, num_steps):\n    while True:\n        pass\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"gradient_descent": src})) == only_zero("gradient_descent")


def test_memory_bomb_costs_that_exercise_only(hw, expected, runner, tmp_path):
    src = "def smoothness_constant(X):\n    hog = []\n    while True:\n        hog.append(bytearray(50 * 2**20))\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


@pytest.mark.parametrize("how", ["import os; os._exit(0)", "import sys; sys.exit(0)", "raise KeyboardInterrupt",
                                 "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
                                 "import os, signal; os.kill(1, signal.SIGKILL); os.kill(os.getppid(), 9)"])
def test_exits_and_kills_cost_that_exercise_only(hw, expected, runner, tmp_path, how):
    src = f"def mse_loss_grad(w, X, y):\n    {how}\n"
    got = grade(hw, expected, runner, notebook(tmp_path, {"mse_loss_grad": src}))
    assert got == only_zero("mse_loss_grad")


def test_background_process_is_killed(hw, expected, runner, tmp_path):
    marker = f"stray-{os.getpid()}-marker"
    src = f'''import numpy as np, os, subprocess, time
def smoothness_constant(X):
    subprocess.Popen(["sh", "-c", "exec -a {marker} sleep 300"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        time.sleep(300)
        os._exit(0)
    return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])
'''
    got = grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src}))
    assert got == FULL, "the answer is right, so the exercise keeps its points"
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            leftovers.append(pid)
    assert leftovers == [], f"stray processes survived: {leftovers}"


def test_fork_bomb_costs_that_exercise_only(hw, expected, runner, tmp_path):
    src = "import os\ndef smoothness_constant(X):\n    while True:\n        try:\n            os.fork()\n" \
          "        except OSError:\n            pass\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")
    assert grade(hw, expected, runner, notebook(tmp_path, name="after")) == FULL, "the next submission is unharmed"


def test_huge_output_is_refused(hw, expected, runner, tmp_path):
    src = "import numpy as np\ndef smoothness_constant(X):\n    return np.ones(60_000_000)\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


def test_malformed_frames_on_the_result_socket(hw, expected, runner, tmp_path):
    src = '''import os, numpy as np
def smoothness_constant(X):
    for fd in range(3, 64):
        try:
            os.write(fd, b"\\x00\\x00\\x00\\x08{{{{{{{{" + b"\\xff" * 64)
        except OSError:
            pass
    return 1.0
'''
    got = grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src}))
    assert got == only_zero("smoothness_constant")


def test_huge_file_write_is_limited(hw, expected, runner, tmp_path):
    src = "import numpy as np\ndef smoothness_constant(X):\n    open('big', 'wb').write(b'x' * 200_000_000)\n" \
          "    return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


def test_one_submission_cannot_read_another(hw, expected, runner, tmp_path):
    writer = '''import numpy as np
def smoothness_constant(X):
    open("/tmp/leak.txt", "w").write("secret answer")
    return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])
'''
    reader = '''import numpy as np, os, glob
def smoothness_constant(X):
    found = glob.glob("/tmp/**/leak.txt", recursive=True) + glob.glob("/tmp/leak.txt")
    if found:
        return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])
    return -1.0
'''
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": writer}, name="a")) == FULL
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": reader}, name="b")) == \
        only_zero("smoothness_constant")


def test_changed_cell_types_and_reordered_duplicated_cells(hw, expected, runner, tmp_path):
    nb = nbformat.read(str(SOLUTION), as_version=4)
    cells = nb.cells
    for c in cells:
        if c.cell_type == "markdown":
            c.cell_type = "code"  # prose as code: a syntax error, skipped
            c.outputs, c.execution_count = [], None
    demo = [c for c in cells if c.cell_type == "code" and "plt." in c.source]
    for c in demo:
        c.cell_type = "raw"
        c.pop("outputs", None)
        c.pop("execution_count", None)
    wrong = nbformat.v4.new_code_cell("def smoothness_constant(X):\n    return -1.0")
    nb.cells = list(reversed(cells[1:])) + [cells[0]]
    nb.cells.insert(0, wrong)  # a wrong earlier definition is overridden by the later right one
    nb.cells = nb.cells + [c for c in cells if "def ols_closed_form" in c.source]  # a duplicate
    path = tmp_path / "shuffled.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert grade(hw, expected, runner, path) == FULL
    nb.cells.append(nbformat.v4.new_code_cell("def smoothness_constant(X):\n    return -1.0"))
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert grade(hw, expected, runner, path) == only_zero("smoothness_constant"), "the last definition wins"


def test_notebook_with_no_graded_function(hw, expected, runner, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("I did not do it"), nbformat.v4.new_code_cell("x = compute()")]
    path = tmp_path / "empty.ipynb"
    nbformat.write(nb, str(path))
    res = grade_extracted(hw, extract_file(path), runner, expected)
    assert res.total == 0
    assert all("not defined" in c.message for e in res.exercises for c in e.cases if not c.hidden)


def test_hidden_feedback_never_contains_hidden_inputs(hw, expected, runner, tmp_path):
    ols = '''import numpy as np
def ols_closed_form(X, y):
    raise ValueError("LEAK " + np.array2string(X, precision=17) + repr(X.tolist()))
'''
    smooth = "import numpy as np\ndef smoothness_constant(X):\n    return np.zeros((int(abs(X[0, 0]) * 1000) + 1,))\n"
    res = grade_extracted(hw, extract_file(notebook(tmp_path, {"ols_closed_form": ols,
                                                                "smoothness_constant": smooth})), runner, expected)
    public, hidden, _ = expected.get(hw.exercise("ols_closed_form"))
    text = json.dumps([c.message for e in res.exercises for c in e.cases if c.hidden])
    assert "LEAK" not in text
    for case in hidden:
        for arr in case.args:
            values = arr.ravel().tolist() if hasattr(arr, "ravel") else [arr]
            for v in values[:5]:
                assert f"{float(v):.6f}"[:8] not in text
    assert any("LEAK" in c.message for e in res.exercises for c in e.cases if not c.hidden), \
        "public cases do show the student's own error message"


def test_importing_the_course_library_answer_scores_zero(hw, expected, runner, tmp_path, monkeypatch):
    """A graded name bound to a course_lib module marked __answers_for__ must not pass."""
    import course_lib.compute as compute

    assert compute.__answers_for__
    src = "from course_lib.compute import training_days as smoothness_constant\n" \
          "from course_lib import compute\n" \
          "def ols_closed_form(X, y):\n    return compute.linear_flops(1, 1, 1)\n"
    res = grade_extracted(hw, extract_file(notebook(tmp_path, {"ols_closed_form": src, "smoothness_constant": "pass"})),
                          runner, expected)
    got = {e.name: e.points for e in res.exercises}
    assert got["smoothness_constant"] == 0 and got["ols_closed_form"] == 0
    # the sandbox refuses the import itself (and under namespaces the file is not even mounted)
    assert any("course_lib.compute is not available while grading" in w for w in res.warnings), res.warnings


def test_imported_answer_stand_in_is_the_second_line(tmp_path):
    """Where the module is importable (weak isolation, trusted runs), the bound name becomes a stand-in."""
    from course_lib.grading.run import ImportedAnswer, define

    ns, errors = define([("cell 1", "from course_lib.compute import training_days as f\n"
                                    "from course_lib import compute\n")])
    assert not errors and isinstance(ns["f"], ImportedAnswer) and isinstance(ns["compute"], ImportedAnswer)
    with pytest.raises(RuntimeError, match="must be written in your notebook"):
        ns["f"](1, 2, 3, 4)
