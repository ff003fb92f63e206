"""The student's self-check: exact, kind messages, fast, no autograder or solutions needed."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from course_lib.check import check, check_all


def ols_closed_form(X, y):
    return np.linalg.solve(X.T @ X, X.T @ y)


def test_passing_function(capsys):
    assert check("ols_closed_form", ols_closed_form)
    assert "all 2 public cases pass" in capsys.readouterr().out


def test_failing_function_names_input_expected_and_got(capsys):
    def wrong(w, X, y):
        r = X @ w - y
        return float(r @ r) / 2, X.T @ r

    assert not check("mse_loss_grad", wrong)
    out = capsys.readouterr().out
    assert "✗ mse_loss_grad: 0/2" in out and "expected" in out and "got" in out and "case 1" in out


def test_exception_is_reported_in_one_line(capsys):
    def boom(X):
        raise NotImplementedError("hw01.smoothness_constant: your code here")

    assert not check("smoothness_constant", boom)
    assert "raised NotImplementedError: hw01.smoothness_constant: your code here" in capsys.readouterr().out


def test_finds_functions_in_the_caller_namespace(capsys):
    results = check_all("hw01")
    assert results["ols_closed_form"] is True and results["mse_loss_grad"] is False


def test_unknown_exercise(capsys):
    assert not check("no_such_exercise", lambda: 0)
    assert "no public cases" in capsys.readouterr().out


@pytest.mark.serial  # asserts on wall-clock time
def test_self_check_of_a_whole_homework_is_under_a_second():
    import importlib

    import course_lib.check as c

    importlib.reload(c)
    from gradeutil import reference_namespace

    ns = reference_namespace("hw01")
    t0 = time.perf_counter()
    assert all(c.check_all("hw01", namespace=ns).values())
    assert time.perf_counter() - t0 < 1.0


def test_self_check_does_not_import_the_autograder():
    code = ("import sys, course_lib.check as c, numpy as np\n"
            "c.check('smoothness_constant', lambda X: float(np.linalg.eigvalsh(X.T @ X / len(X))[-1]))\n"
            "print(sorted(m for m in sys.modules if m.startswith('autograder')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_course_check_cli(tmp_path):
    from course_lib.cli import main

    assert main(["check", "solutions/hw01_gradient_descent.ipynb"]) == 0
    assert main(["check", "assignments/hw01_gradient_descent.ipynb"]) == 1


def _solution_variant(tmp_path, name: str, edit) -> str:
    """The hw04 solution notebook with `edit` applied to each code cell's source, saved as tmp_path/name."""
    import json

    nb = json.loads(open("solutions/hw04_backprop.ipynb", encoding="utf-8").read())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = edit("".join(cell["source"]))
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return str(path)


def test_course_check_reports_every_exercise_with_the_reason_and_a_summary(tmp_path, capsys):
    """A syntax error in the GELU cell or a renamed function: both GELU exercises are ✗ with the reason, the last
    line counts, the exit status is 1 (it used to leave them out and exit 0)."""
    from course_lib.cli import main

    syntax = _solution_variant(tmp_path, "hw04_syntax.ipynb",
                               lambda s: s.replace("def gelu_forward(x):", "def gelu_forward(x) oops:"))
    assert main(["check", syntax]) == 1
    out = capsys.readouterr().out
    assert "✗ gelu_forward: not defined: cell" in out and "has a syntax error on line" in out
    assert "✗ gelu_backward: not defined: cell" in out
    assert out.strip().splitlines()[-1].startswith("✗ 6/8 exercises of hw04 pass")

    renamed = _solution_variant(tmp_path, "mine.ipynb", lambda s: s.replace("def gelu_forward(", "def gelu_fwd("))
    assert main(["check", renamed]) == 1
    out = capsys.readouterr().out
    assert "✗ gelu_forward: not defined; did you mean `gelu_fwd`?" in out
    assert out.strip().splitlines()[-1].startswith("✗ 6/8 exercises of hw04 pass")

    assert main(["check", "solutions/hw04_backprop.ipynb"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("✓ 8/8 exercises of hw04 pass")


@pytest.mark.serial  # asserts on wall-clock time
def test_an_endless_loop_stops_at_the_exercise_time_limit(monkeypatch, capsys):
    from course_lib.grading.selfcheck import find_exercise

    _hw, ex = find_exercise("smoothness_constant")
    monkeypatch.setattr(ex, "time_limit", 0.5)

    def forever(X):
        while True:
            try:
                pass
            except BaseException:  # noqa: B036 - a student's bare except must not keep it running
                pass

    t0 = time.perf_counter()
    assert not check("smoothness_constant", forever)
    assert time.perf_counter() - t0 < 5
    out = capsys.readouterr().out
    assert "stopped after 0.5 s, this exercise's time limit: is there an endless loop?" in out
    assert out.count("stopped after") == 1  # the first stopped case says why; the rest are timed out


def test_check_all_names_a_syntax_error_from_the_notebook_history(capsys):
    """In a notebook, IPython's `In` holds every cell run: a defining cell that does not compile is named."""
    ns = {"In": ["", "import numpy as np", "def ols_closed_form(X, y)\n    return X"]}
    check_all("hw01", namespace=ns)
    out = capsys.readouterr().out
    assert "✗ ols_closed_form: not defined: the cell run as In [2] has a syntax error on line 1" in out
    assert out.strip().splitlines()[-1].startswith("✗ 0/5 exercises of hw01 pass")
