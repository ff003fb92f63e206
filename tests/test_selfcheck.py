"""The student's self-check: exact, kind messages, fast, no autograder or solutions needed."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

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
    from autograder.cli import main

    assert main(["check", "solutions/hw01_gradient_descent.ipynb"]) == 0
    assert main(["check", "assignments/hw01_gradient_descent.ipynb"]) == 1
