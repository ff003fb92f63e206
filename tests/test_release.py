"""`course release`: assignments/ and public cases are fresh; stripping; the student bundle leaks nothing."""

from __future__ import annotations

import json

import pytest

from autograder.paths import solution_notebook
from autograder.release import plan as release
from autograder.release.bundle import bundle
from autograder.release.notebooks import student_notebook
from autograder.release.solution import BEGIN, END, strip_solution
from course_lib.cli import main
from course_lib.grading.homework import all_homeworks


def test_release_check_passes_on_the_committed_tree(capsys):
    assert main(["release", "--check"]) == 0, capsys.readouterr().out


def test_strip_solution_names_the_function_and_keeps_the_signature():
    src = "import numpy as np\n\ndef f(x):\n    \"\"\"doc\"\"\"\n    ### BEGIN SOLUTION\n    return x + 1\n" \
          "    ### END SOLUTION\n\nclass V:\n    def g(self):\n        ### BEGIN SOLUTION\n        return 2\n" \
          "        ### END SOLUTION\n"
    out, where = strip_solution(src, "hw99")
    assert 'raise NotImplementedError("hw99.f: your code here")' in out
    assert '        raise NotImplementedError("hw99.V.g: your code here")' in out
    assert "return x + 1" not in out and "return 2" not in out and "def f(x):" in out
    assert where == ["f", "V.g"]


def test_unterminated_block_is_a_clear_error():
    with pytest.raises(release.ReleaseError, match="without"):
        strip_solution("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "hw99")


def test_assignments_hold_self_checks_and_no_solution_lines():
    for hw in all_homeworks():
        if not solution_notebook(hw.name).exists():
            continue
        text = student_notebook(hw)
        nb = json.loads(text)
        checks = [c for c in nb["cells"] if "self-check" in c.get("metadata", {}).get("tags", [])]
        assert {ex.name for ex in hw.exercises} <= {"".join(c["source"]).split('check("')[1].split('"')[0]
                                                     for c in checks if 'check("' in "".join(c["source"])}
        assert "check_all()" in "".join(nb["cells"][-1]["source"]), f"{hw.name}: no check_all() cell at the end"
        assert "BEGIN SOLUTION" not in text
        for line in _solution_lines(hw):
            assert line not in text, f"{hw.name}: solution line leaked into the assignment: {line!r}"


def _solution_lines(hw) -> list[str]:
    """Distinctive lines inside BEGIN/END SOLUTION blocks of the solution notebook."""
    nb = json.loads(solution_notebook(hw.name).read_text())
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]).split("\n")
        inside = False
        for line in src:
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                inside = False
            elif inside and len(line.strip()) > 25 and not line.strip().startswith("#"):
                out.append(line.strip())
    return out


def test_student_bundle_has_no_solutions_or_hidden_cases(tmp_path):
    dest = bundle(tmp_path / "bundle")
    files = [p for p in dest.rglob("*") if p.is_file()]
    tops = {p.relative_to(dest).parts[0] for p in files}
    assert tops <= {"course_lib", "notebooks", "assignments", "pyproject.toml", "README.md", "install.sh",
                    "install_torch.sh", "wheel"}
    assert [p.name for p in (dest / "wheel").iterdir()] == ["deep_learning_basics-0.1.0-py3-none-any.whl"]
    assert not any(part in ("solutions", "autograder", "specs") for p in files for part in p.parts)
    for nb in (dest / "assignments").glob("*.ipynb"):
        text = nb.read_text()
        assert "BEGIN SOLUTION" not in text
        hw = next(h for h in all_homeworks() if h.name == nb.stem)
        for line in _solution_lines(hw):
            assert line not in text, f"solution line in the bundle's {nb.name}: {line!r}"
    for f in (dest / "course_lib" / "public_cases").glob("*.json"):
        hw = next(h for h in all_homeworks() if h.name == f.stem)
        data = json.loads(f.read_text())
        assert list(data["exercises"]) == [e.name for e in hw.exercises]
        for spec in hw.exercises:
            entry = data["exercises"][spec.name]
            assert set(entry) == {"inputs", "expected"}
            if spec.check is not None:
                assert entry["expected"] is None, f"{f.name}:{spec.name} stores draws its property check never reads"
            else:
                assert len(entry["expected"]) == len(spec.public), f"{f.name}:{spec.name} holds more than public"


def test_release_to_a_non_empty_folder_is_refused(tmp_path, capsys):
    (tmp_path / "x").write_text("keep me")
    assert main(["release", "--to", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
