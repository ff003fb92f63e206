"""No graded answer in what students receive (autograder/leaks.py, run by `course release`)."""

from __future__ import annotations

import ast
import json
import re

from autograder.paths import course_root
from autograder.release.leaks import leaks
from autograder.release.solution import parse
from course_lib.cli import main
from course_lib.grading.homework import load_homework


def _solution_function(hw_name: str, name: str) -> str:
    """The source of a graded function as its solution notebook defines it."""
    for sc in parse(load_homework(hw_name)).cells.values():
        tree = ast.parse(sc.source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return ast.get_source_segment(sc.source, node)
    raise AssertionError(f"{name} not in {hw_name}'s solution")


def _disguised(src: str) -> str:
    """The same function as a student would paste it: renamed, reformatted, a comment and a docstring added."""
    tree = ast.parse(src)
    fn = tree.body[0]
    names = {a.arg for a in fn.args.args} | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                                            and isinstance(n.ctx, ast.Store)}
    for k, name in enumerate(sorted(names)):
        src = re.sub(rf"\b{name}\b", f"renamed_{k}", src)
    src = src.replace(f"def {fn.name}(", "def helper_from_the_lecture(", 1)
    body = ast.unparse(ast.parse(src))  # formatting normalised away, comments dropped
    return body.replace("):\n", '):\n    """Pasted from the solution."""  # a comment\n', 1)


def test_the_committed_tree_ships_no_graded_body():
    found = leaks(course_root())
    assert not found, "\n".join(str(f) for f in found)


def test_a_pasted_body_fails_in_course_lib_and_in_a_lecture(tmp_path):
    pasted = _disguised(_solution_function("hw01", "ols_closed_form"))
    (tmp_path / "course_lib").mkdir()
    (tmp_path / "course_lib" / "helpers.py").write_text("import numpy as np\n\n\n" + pasted + "\n")
    assert [str(f) for f in leaks(tmp_path, [load_homework("hw01")])] == [
        "hw01.ols_closed_form: its reference body is in course_lib/helpers.py:4 helper_from_the_lecture"]

    (tmp_path / "course_lib" / "helpers.py").unlink()
    (tmp_path / "notebooks").mkdir()
    nb = {"cells": [{"cell_type": "markdown", "source": "# A lecture"},
                    {"cell_type": "code", "source": "%matplotlib inline\nimport numpy as np\n" + pasted}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "01_lecture.ipynb").write_text(json.dumps(nb))
    found = leaks(tmp_path, [load_homework("hw01")])
    assert [f.exercise for f in found] == ["hw01.ols_closed_form"]
    assert "notebooks/01_lecture.ipynb cell 1" in found[0].where


def test_a_graded_body_inside_a_longer_function_fails(tmp_path):
    src = _solution_function("hw01", "gradient_descent")
    tree = ast.parse(src)
    fn = tree.body[0]
    fn.body.insert(1, ast.parse("print('training')").body[0])  # after the docstring
    fn.body.append(ast.parse("print('done')").body[0])
    (tmp_path / "course_lib").mkdir()
    (tmp_path / "course_lib" / "train_more.py").write_text("import numpy as np\n\n" + ast.unparse(tree) + "\n")
    assert [f.exercise for f in leaks(tmp_path, [load_homework("hw01")])] == ["hw01.gradient_descent"]


def test_release_refuses_to_run_with_a_leak(tmp_path, monkeypatch, capsys):
    import shutil

    root = tmp_path / "course"
    for folder in ("solutions", "course_lib"):
        shutil.copytree(course_root() / folder, root / folder)
    (root / "course_lib" / "answers.py").write_text(_solution_function("hw01", "mse_loss_grad") + "\n")
    monkeypatch.setenv("COURSE_ROOT", str(root))
    assert main(["release", "--check", "hw01"]) == 1
    assert "hw01.mse_loss_grad: its reference body is in course_lib/answers.py" in capsys.readouterr().out


# -- near-copies (issue 24.7) ------------------------------------------------------------------------------------

def _graded_functions():
    """(exercise, reference source) of every graded top-level function of every solution."""
    from course_lib.grading.homework import all_homeworks

    out = []
    for hw in all_homeworks():
        for sc in parse(hw).cells.values():
            tree = ast.parse(sc.source)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name in {e.name for e in hw.exercises}:
                    out.append((f"{hw.short}.{node.name}", ast.get_source_segment(sc.source, node)))
    return out


def _near_copy(src: str) -> str:
    """What the issue found pasted: the body renamed, an extra parameter, every returned value cast with float()
    (np.asarray for tuples/arrays is a cast too), one print added."""
    tree = ast.parse(_disguised(src))
    fn = tree.body[0]
    fn.args.args.append(ast.arg(arg="verbose"))
    fn.args.defaults.append(ast.Constant(False))
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            node.value = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "asarray", ast.Load()), [node.value], [])
    fn.body.insert(1, ast.parse("if verbose:\n    print('pasted')").body[0])
    return ast.unparse(ast.fix_missing_locations(tree))


def test_near_copies_are_found_and_the_threshold_has_a_margin():
    """The measurement behind NEAR: every reference body with enough distinctive weight, pasted with small changes,
    scores at least NEAR against itself; the best score of any function of the committed student material against
    any reference is below NEAR. Both extremes are printed (pytest -s)."""
    from collections import Counter

    from autograder.release.leaks import (
        NEAR,
        boilerplate,
        canonical_items,
        distinctive,
        near_copy_score,
        student_material,
    )

    material = student_material(course_root())
    common = boilerplate(material)
    sets = [set(f.items) for f in material]
    pasted_scores, clean_best = {}, Counter()
    for exercise, src in _graded_functions():
        ref = ast.parse(src).body[0]
        evidence = distinctive(canonical_items(ref.body), common)
        if near_copy_score(evidence, set()) is None:
            continue  # too little distinctive code: compared exactly only
        copy = ast.parse(_near_copy(src)).body[0]
        pasted_scores[exercise] = near_copy_score(evidence, {t for t, _ in canonical_items(copy.body)})
        clean_best[exercise] = max((near_copy_score(evidence, s) or 0.0) for s in sets)
    print(f"near-copies: lowest {min(pasted_scores.values()):.2f}; committed material: highest "
          f"{max(clean_best.values()):.2f} ({clean_best.most_common(1)[0][0]}); NEAR = {NEAR}")
    assert len(pasted_scores) >= 20, "most graded functions are compared for near-copies"
    missed = {e: round(s, 2) for e, s in pasted_scores.items() if s < NEAR}
    assert not missed, f"pasted with small changes but scored under NEAR: {missed}"
    close = {e: round(s, 2) for e, s in clean_best.items() if s >= NEAR}
    assert not close, f"the committed material holds near-copies: {close}"


def test_a_near_copy_in_course_lib_is_a_leak(tmp_path):
    src = _solution_function("hw01", "gradient_descent")
    (tmp_path / "course_lib").mkdir()
    (tmp_path / "course_lib" / "optimizers.py").write_text("import numpy as np\n\n\n" + _near_copy(src) + "\n")
    found = leaks(tmp_path, [load_homework("hw01")])
    assert [f.exercise for f in found] == ["hw01.gradient_descent"]
    assert "near-copy" in str(found[0]) and found[0].score is not None
