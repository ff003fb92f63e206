"""What students install is a student's: the wheel `pip install git+<repo>` builds (the notebooks' setup cell) and
the bundle `course release --to DIR` writes contain course_lib only (no autograder/, no hidden-case generators, no
default seed, no sample solutions), require numpy, torch, matplotlib and ipywidgets only (JupyterLab is the `lab`
extra; nbgrader and otter are the instructor's), and their `course check` works in a fresh environment away from
the checkout. The instructor's editable install still reaches autograder and every `course` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.release.bundle import bundle

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
                     "course_lib/public_cases/hw01_gradient_descent.json", "course_lib/check.py",
                     "course_lib/cli.py"):
            assert must in names, must
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    required = sorted(r.split()[1].split(">")[0].split("<")[0] for r in meta.splitlines()
                      if r.startswith("Requires-Dist:") and "extra ==" not in r)
    assert required == ["ipywidgets", "matplotlib", "numpy", "torch"], required
    for tool in ("nbgrader", "otter-grader", "jupyterlab"):
        assert not [r for r in meta.splitlines() if r.startswith(f"Requires-Dist: {tool}") and "extra ==" not in r]
    assert "course = course_lib.cli:main" in entry


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
    assert (source_tree / "autograder" / "cli" / "grade.py").is_file()
    course = Path(sys.executable).parent / "course"
    if course.exists():  # this environment's own `course`, started away from the checkout
        res = subprocess.run([str(course), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0 and "grade" in res.stdout, res.stderr[-2000:]


def test_the_student_bundle_holds_no_instructor_material(tmp_path):
    dest = bundle(tmp_path / "bundle", wheel=False)
    names = [p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()]
    _assert_no_secrets(names, lambda n: (dest / n).read_text(encoding="utf-8", errors="replace"))
    import tomllib

    project = tomllib.loads((dest / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["numpy", "torch", "matplotlib", "ipywidgets"]
    assert set(project["optional-dependencies"]) == {"lab"}
    assert project["scripts"]["course"] == "course_lib.cli:main"
    assert (dest / "install.sh").exists() and (dest / "install_torch.sh").exists()
    assert "include = [\"course_lib*\"]" in (dest / "pyproject.toml").read_text()


@pytest.mark.slow
def test_a_fresh_student_install_runs_course_check_outside_the_checkout(source_tree, tmp_path):
    """`pip install` of the wheel into a new venv (torch: the CPU build, as `make setup` installs it), then
    `course check` on a homework notebook in a folder far from the checkout: one line per exercise and a summary;
    instructor commands say they need the repository."""
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          str(source_tree), "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    torch = subprocess.run(["bash", str(ROOT / "tools" / "install_torch.sh"), str(py)], capture_output=True,
                           text=True, timeout=1200)
    assert torch.returncode == 0, torch.stdout[-1000:] + torch.stderr[-2000:]
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                         timeout=1200)
    assert pip.returncode == 0, pip.stderr[-2000:]
    installed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                               timeout=120).stdout.lower()
    for tool in ("nbgrader", "otter-grader", "jupyterlab", "nbformat"):
        assert f"{tool}==" not in installed, f"the student install pulled in {tool}"

    work = tmp_path / "student"
    work.mkdir()
    (work / "hw01.ipynb").write_bytes((ROOT / "assignments" / "hw01_gradient_descent.ipynb").read_bytes())
    (work / "done.ipynb").write_bytes((ROOT / "solutions" / "hw01_gradient_descent.ipynb").read_bytes())
    course = str(venv / "bin" / "course")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYTHONPATH", "COURSE_ROOT")}
    blank = subprocess.run([course, "check", "hw01.ipynb"], cwd=work, capture_output=True, text=True, timeout=300,
                           env=env)
    assert blank.returncode == 1, blank.stderr[-2000:]
    lines = blank.stdout.strip().splitlines()
    assert lines[-1].startswith("✗ 0/5 exercises of hw01 pass"), blank.stdout[-2000:]
    assert sum(line.startswith("✗ ") for line in lines) == 6  # five exercises and the summary
    done = subprocess.run([course, "check", "done.ipynb"], cwd=work, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0 and "✓ 5/5 exercises of hw01 pass" in done.stdout, done.stdout + done.stderr
    grade = subprocess.run([course, "grade", "hw01", "."], cwd=work, capture_output=True, text=True, timeout=300,
                           env=env)
    assert grade.returncode == 2 and "needs the course repository" in grade.stderr, grade.stderr
    doctor = subprocess.run([course, "doctor"], cwd=work, capture_output=True, text=True, timeout=300, env=env)
    assert doctor.returncode == 0 and "not installed (student package)" in doctor.stdout, doctor.stdout
