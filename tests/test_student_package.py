"""What students install holds nothing secret: the wheel `pip install git+<repo>` builds (the notebooks' setup cell)
and the bundle `course release --to DIR` writes contain course_lib only: no autograder/, no hidden-case
generators, no default seed, no sample (solution) notebooks. The instructor's editable install still reaches
autograder and the `course` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import release

ROOT = Path(__file__).resolve().parent.parent
SECRET_MARKERS = ("DEFAULT_SEED", "def hidden_cases", "COURSE_HIDDEN_SEED")


def _source_copy(dest: Path) -> Path:
    """The files a `git clone` of this checkout would hold (tracked + new, not ignored): what pip builds from."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, timeout=60)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    for rel in filter(None, out.stdout.decode().split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    return dest


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory):
    return _source_copy(tmp_path_factory.mktemp("clone") / "course")


def _assert_no_secrets(names: list[str], read) -> None:
    assert not [n for n in names if n.split("/")[0] == "autograder" or "/autograder/" in n]
    assert not [n for n in names if "/hidden/" in n or "/samples/" in n or n.startswith(("samples/", "solutions/"))]
    assert not [n for n in names if n.endswith(("gradescope.json", "correct.ipynb"))]
    for n in names:
        if n.endswith((".py", ".json", ".txt", ".toml", ".cfg")):
            text = read(n)
            for marker in SECRET_MARKERS:
                assert marker not in text, f"{n} mentions {marker}"


@pytest.mark.slow
def test_the_wheel_pip_installs_holds_course_lib_only(source_tree, tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          str(source_tree), "-w", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names}
        assert tops == {"course_lib", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
        _assert_no_secrets(names, lambda n: zf.read(n).decode("utf-8", "replace"))
        # what the student needs is there: the grading kernel, public cases, data files
        for must in ("course_lib/grading/judge.py", "course_lib/grading/homework/hw01_gradient_descent.py",
                     "course_lib/public_cases/hw01_gradient_descent.json", "course_lib/check.py"):
            assert must in names, must


@pytest.mark.slow
def test_the_editable_install_reaches_the_instructor_tools(source_tree, tmp_path):
    """`pip install -e .` (make lab / make test) puts the checkout on sys.path: autograder and `course` work."""
    code = ("import sys, zipfile\nfrom setuptools import build_meta as b\n"
            "dest = sys.argv[1]\nname = b.build_editable(dest)\n"
            "z = zipfile.ZipFile(dest + '/' + name)\n"
            "print('PTH=' + repr([z.read(n).decode() for n in z.namelist() if n.endswith('.pth')]))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=source_tree, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    pth = next(line for line in out.stdout.splitlines() if line.startswith("PTH="))
    assert str(source_tree) in pth, pth  # a plain .pth with the checkout's root: autograder importable from it
    assert (source_tree / "autograder" / "cli.py").is_file()
    course = Path(sys.executable).parent / "course"
    if course.exists():  # this environment's own `course`, started away from the checkout
        res = subprocess.run([str(course), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0 and "grade" in res.stdout, res.stderr[-2000:]


def test_the_student_bundle_holds_no_instructor_material(tmp_path):
    dest = release.bundle(tmp_path / "bundle")
    names = [p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()]
    _assert_no_secrets(names, lambda n: (dest / n).read_text(encoding="utf-8", errors="replace"))
    assert "include = [\"course_lib*\"]" in (dest / "pyproject.toml").read_text()
