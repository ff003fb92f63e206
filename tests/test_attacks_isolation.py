"""Hostile submissions against the grader's isolation: each failure class with the exact grade it must get.

Classes: silent drops (trusted-side exceptions, huge integers, hostile
frames, forged results for property checks), one student zeroing the class (predictable job folders),
hidden inputs reaching feedback (stack walking, out-of-order frames, /tmp, SysV IPC and keyring carry-over),
answers reachable by import, per-process limits, complex results. Collecting and exports: test_collect_exact.py
and test_exports_inert.py. A class-level test grades an attacker first on one worker, then honest students,
and requires their grades to equal their grades alone.
"""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from attackutil import FULL, ROOT, attack_homework, grade, notebook, only_zero

from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.sandbox.isolation import NAMESPACES, detect
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.homework import load_homework
from course_lib.grading.notebook import extract_file

SMOOTH = "    return float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])\n"

pytestmark = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces (unshare)")


@pytest.fixture(scope="module")
def hw():
    return attack_homework(4.0, 512)


@pytest.fixture(scope="module")
def expected(hw):
    return ExpectedCache(hw, "attack-suite-seed", include_hidden=True)


@pytest.fixture(scope="module")
def runner():
    with SandboxRunner(preload=("numpy", "matplotlib", "matplotlib.pyplot")) as r:
        yield r


def probe(runner, hw, body: str) -> object:
    """Run `def smoothness_constant(X): <body>` once in the sandbox and return its raw value (or error)."""
    src = "import numpy as np, os, ctypes, tempfile\ndef smoothness_constant(X):\n" + body
    out = runner.run([("cell 1", src)], hw, hw.exercise("smoothness_constant"), [([np.eye(2)], {})], 4.0, 512)
    return out.results[0]


# ---------------------------------------------------------------------------------------- silent drops

def test_huge_integer_result_costs_that_exercise_only(hw, expected, runner, tmp_path):
    src = "def smoothness_constant(X):\n    return 10 ** 400\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


def test_complex_result_is_refused_not_truncated(hw, expected, runner, tmp_path):
    src = "import numpy as np\ndef ols_closed_form(X, y):\n    return np.linalg.lstsq(X, y, rcond=None)[0] + 1j\n"
    assert grade(hw, expected, runner, notebook(tmp_path, {"ols_closed_form": src})) == only_zero("ols_closed_form")


@pytest.mark.parametrize("frame", [
    b"[" * 200_000 + b"]" * 200_000,  # nested 200k deep
    b'{"i": 0, "value": {"__nd__": "<f8", "shape": [1e309], "data": ""}}',  # an impossible shape
    b'{"i": 0, "value": {"__nd__": "<c16", "shape": [1], "data": "AAAAAAAA8D8AAAAAAADwPw=="}}',  # complex
    b'{"i": 0, "value": {"__nd__": "|O", "shape": [1], "data": "AAAAAAAAAAA="}}',  # object dtype
    b'{"define_errors": ["forged at any time"]}',  # a frame outside the protocol's order
    b'{"i": 5, "value": 1.0}',  # a result out of order
])
def test_hostile_frames_on_the_result_channel(hw, expected, runner, tmp_path, frame):
    src = f'''import os, struct, numpy as np
def smoothness_constant(X):
    frame = {frame!r}
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack(">I", len(frame)) + frame)
        except OSError:
            pass
''' + SMOOTH
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")


def test_a_check_that_raises_on_a_forged_result_scores_that_exercise_zero(tmp_path):
    """hw06 dropout is graded by a trusted property check; a forged result makes the check fail, not crash."""
    from gradeutil import grade_solution

    forged = '''import numpy as np
def dropout_forward(x, p, train, rng):
    return ((("deep",),) * 3, {"not": "a mask"})
'''
    res = grade_solution("hw06", forged)
    got = {e.name: e.points for e in res.exercises}
    hw06 = load_homework("hw06")
    assert got == {e.name: (0 if e.name == "dropout_forward" else e.points) for e in hw06.exercises}
    assert not res.grading_error


def test_trusted_side_failures_give_a_row_and_a_note(tmp_path, monkeypatch):
    """Any exception on the trusted side scores that submission (or exercise) 0 with a note; grading goes on,
    the summary counts it, and a submission without a recorded result makes the run exit non-zero."""
    import autograder.grade.submission as submission
    from autograder.cli.grade import GradeOptions, run_grade
    from autograder.grade.homework import coded
    from autograder.records.gradebook import Gradebook
    from course_lib.cli import main

    subs = tmp_path / "subs"
    for name in ("alice", "mallory", "zoe"):
        notebook(subs, name=name)
    real_extracted, real_score = submission.grade_extracted, submission.score

    def flaky_extracted(hw, extracted, runner, expected, student="student"):
        if student == "mallory":
            raise OverflowError("int too large to convert to float")
        return real_extracted(hw, extracted, runner, expected, student)

    def flaky_score(ex, *a, **k):
        if ex.name == "mse_loss_grad":
            raise RecursionError("maximum recursion depth exceeded")
        return real_score(ex, *a, **k)

    monkeypatch.setattr(submission, "grade_extracted", flaky_extracted)
    monkeypatch.setattr(submission, "score", flaky_score)
    rep = run_grade(coded("hw01"), GradeOptions(subs, tmp_path / "out", workers=1, seed="s"))
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert set(rows) == {"alice", "mallory", "zoe"} and not rep.missing
    assert float(rows["mallory"]["total"]) == 0 and rep.failed == 3
    assert float(rows["alice"]["total"]) == float(rows["zoe"]["total"]) == 10 - 2  # mse_loss_grad lost only
    assert "failed to grade" in rep.summary()
    feedback = (tmp_path / "out" / "feedback" / "mallory.md").read_text()
    assert "could not be graded (OverflowError" in feedback

    # a result that cannot even be recorded: no row, so the CLI says so and exits 1
    monkeypatch.setattr(submission, "grade_extracted", real_extracted)
    monkeypatch.setattr(submission, "score", real_score)
    real_write = Gradebook.write

    def refuse(self, homework, entry, result=None, isolation=""):
        if entry.student == "zoe":
            raise OSError("disk full")
        return real_write(self, homework, entry, result, isolation)

    monkeypatch.setattr(Gradebook, "write", refuse)
    code = main(["grade", "hw01", str(subs), "--out", str(tmp_path / "out2"), "--workers", "1"])
    assert code == 1


# ------------------------------------------------------------------------------ nothing survives a job

def test_mode_000_folders_do_not_survive_and_do_not_break_the_next_job(hw, expected, runner, tmp_path):
    src = '''import os, tempfile, numpy as np
def smoothness_constant(X):
    t = tempfile.gettempdir()
    for k in range(1, 301):
        p = os.path.join(t, f"job{k}")
        if os.path.exists(p):
            continue
        os.makedirs(os.path.join(p, "inner"), exist_ok=True)
        os.chmod(os.path.join(p, "inner"), 0)
        os.chmod(p, 0)
''' + SMOOTH
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == FULL
    assert probe(runner, hw, "    return float(len([e for e in os.listdir(tempfile.gettempdir())"
                             " if e.startswith('job')]))\n") == {"value": 0.0}
    assert grade(hw, expected, runner, notebook(tmp_path, name="honest")) == FULL


def test_a_stash_folder_does_not_carry_data_to_the_next_job(hw, runner):
    probe(runner, hw, "    os.makedirs('/tmp/.stash/deep', exist_ok=True)\n"
                      "    open('/tmp/.stash/deep/answers', 'w').write('42')\n"
                      "    os.chmod('/tmp/.stash/deep', 0); os.chmod('/tmp/.stash', 0)\n    return 1.0\n")
    assert probe(runner, hw, "    return float(os.path.exists('/tmp/.stash'))\n") == {"value": 0.0}


_LIBC = "    libc = ctypes.CDLL(None, use_errno=True)\n"


def test_sysv_shared_memory_does_not_carry_data_to_the_next_job(hw, runner):
    made = probe(runner, hw, _LIBC + "    libc.shmat.restype = ctypes.c_void_p\n"
                 "    i = libc.shmget(0x5EC12E7, 4096, 0o1666)\n"
                 "    ctypes.memmove(libc.shmat(i, None, 0), b'hidden-input', 12)\n    return float(i >= 0)\n")
    assert made == {"value": 1.0}, "the attack itself must work inside a job"
    assert probe(runner, hw, _LIBC + "    return float(libc.shmget(0x5EC12E7, 0, 0) >= 0)\n") == {"value": 0.0}


def test_kernel_keyring_does_not_carry_data_to_the_next_job_or_outlive_the_run(hw):
    add = _LIBC + ("    k = libc.syscall(248, b'user', b'leak', b'hidden', 6, ctypes.c_long(-4))\n"
                   "    return float(k > 0)\n")
    find = _LIBC + "    return float(libc.syscall(250, 10, ctypes.c_long(-4), b'user', b'leak', 0) > 0)\n"
    with SandboxRunner(preload=("numpy",)) as r:
        assert probe(r, hw, add) == {"value": 1.0}, "the attack itself must work inside a job"
        assert probe(r, hw, find) == {"value": 0.0}
        assert probe(r, hw, add) == {"value": 1.0}
    with SandboxRunner(preload=("numpy",)) as r:  # a later run, as the same uid
        assert probe(r, hw, find) == {"value": 0.0}


# ------------------------------------------------------------------------------------- limits per job

def test_memory_is_limited_per_job_not_per_process(hw, expected, runner, tmp_path):
    src = '''import os, time, numpy as np
def smoothness_constant(X):
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            hog = bytearray(400 * 2**20)
            hog[::4096] = b"x" * len(hog[::4096])
            time.sleep(3)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
''' + SMOOTH
    assert grade(hw, expected, runner, notebook(tmp_path, {"smoothness_constant": src})) == \
        only_zero("smoothness_constant")
    assert grade(hw, expected, runner, notebook(tmp_path, name="honest")) == FULL


def test_limits_cannot_be_raised_back(hw, runner):
    got = probe(runner, hw, "    import resource\n    try:\n"
                            "        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))\n"
                            "    except (ValueError, OSError):\n        pass\n"
                            "    return float(sum(resource.getrlimit(resource.RLIMIT_NOFILE)))\n")
    assert got == {"value": 512.0}  # soft = hard = 256


# ------------------------------------------------------------------------------ hidden inputs stay hidden

def test_stack_walking_in_a_public_case_never_sees_hidden_inputs(hw, expected, runner, tmp_path):
    src = '''import sys
def ols_closed_form(X, y):
    seen, f = [], sys._getframe()
    while f is not None:
        seen.append(repr(f.f_locals)[:20000])
        f = f.f_back
    raise ValueError(" ".join(seen))
'''
    res = grade_extracted(hw, extract_file(notebook(tmp_path, {"ols_closed_form": src})), runner, expected)
    assert {e.name: e.points for e in res.exercises} == only_zero("ols_closed_form")
    text = json.dumps([c.message for e in res.exercises for c in e.cases])
    _public, hidden, _ = expected.get(hw.exercise("ols_closed_form"))
    for case in hidden:
        for arr in case.args:
            for v in np.ravel(arr)[:8]:
                assert f"{float(v):.6f}"[:8] not in text, "a hidden input reached the feedback"


def test_hidden_jobs_send_back_no_student_text(hw, expected, runner, tmp_path):
    src = "def ols_closed_form(X, y):\n    raise ValueError('LEAK ' + repr(X.tolist()))\n"
    res = grade_extracted(hw, extract_file(notebook(tmp_path, {"ols_closed_form": src})), runner, expected)
    hidden = [c.message for e in res.exercises for c in e.cases if c.hidden and not c.ok]
    assert hidden and all("LEAK" not in m and m.endswith("your code raised ValueError") for m in hidden)


# ---------------------------------------------------------------------------------- answers out of reach

@pytest.mark.parametrize("form", [
    "import course_lib.compute as C\n", "from course_lib import compute as C\n",
    "def _load():\n    import importlib\n    return importlib.import_module('course_lib.compute')\n",
])
def test_course_answers_are_not_importable_in_any_form(hw09_sandbox, form):
    from course_lib.grading.notebook import Extracted, extract_source

    hw09, expected09, runner09 = hw09_sandbox
    lookup = "C" if form.startswith(("import", "from")) else "_load()"
    body = "".join(f"def {e.name}(*a, **k):\n    return {lookup}.{e.name}(*a, **k)\n" for e in hw09.exercises)
    body += HW09_FROM_THE_TOOLKIT.replace("C.", f"{lookup}.")  # answers composed from the lecture's functions
    chunks, warnings, _ = extract_source(form + body, "cell 1")
    res = grade_extracted(hw09, Extracted(chunks, warnings), runner09, expected09)
    assert res.total == 0, {e.name: e.points for e in res.exercises}


# hw09's graded names are not in course_lib.compute, but two answers follow from the lecture's toolkit in a line.
HW09_FROM_THE_TOOLKIT = """
def largest_model_for_days(days, n_gpus, peak, mfu, tokens_per_param=20.0):
    return C.chinchilla_optimal(days * C.SECONDS_PER_DAY * n_gpus * peak * mfu, tokens_per_param)
def depthwise_separable_conv_flops(b, c_in, c_out, kernel, h, w, multiplier=1):
    return (C.conv2d_flops(b, c_in, c_in * multiplier, kernel, h, w, groups=c_in)
            + C.conv2d_flops(b, c_in * multiplier, c_out, 1, h, w))
"""


def test_hw09_toolkit_composition_would_score_where_importable():
    """The composed answers above are right: only the import refusal keeps them at 0 in the sandbox."""
    from gradeutil import reference_namespace

    import course_lib.compute as C

    ref, ns = reference_namespace("hw09"), {"C": C}
    exec(HW09_FROM_THE_TOOLKIT, ns)  # noqa: S102 - our own test code
    for name in ("largest_model_for_days", "depthwise_separable_conv_flops"):
        for c in load_homework("hw09").exercise(name).public:
            assert np.allclose(ns[name](*c.args, **c.kwargs), ref[name](*c.args, **c.kwargs), rtol=1e-12), name


@pytest.fixture(scope="module")
def hw09_sandbox():
    hw09 = load_homework("hw09")
    with SandboxRunner(preload=("numpy", "torch")) as r:
        yield hw09, ExpectedCache(hw09, "attack-suite-seed", include_hidden=True), r


# ------------------------------------------------------------------------------------------ class level

ATTACKER = {"smoothness_constant": '''import os, ctypes, tempfile, numpy as np
def smoothness_constant(X):
    t = tempfile.gettempdir()
    for k in range(1, 500):
        os.makedirs(os.path.join(t, f"job{k}"), exist_ok=True)
        os.chmod(os.path.join(t, f"job{k}"), 0)
    libc = ctypes.CDLL(None)
    libc.syscall(248, b"user", b"leak", b"hidden", 6, ctypes.c_long(-4))
    libc.shmget(0x5EC12E8, 4096, 0o1666)
    if os.fork() == 0:
        os.setsid()
        import time
        time.sleep(60)
    return 10 ** 400
''', "mse_loss_grad": "import sys\ndef mse_loss_grad(w, X, y):\n    raise type('Evil\\n**Score: 9**\\n| a | b |',"
                      " (Exception,), {})(repr(sys._getframe().f_back.f_locals)[:3000])\n"}


def test_an_attacker_graded_first_changes_no_honest_grade(tmp_path):
    """Attacker first on one worker, then honest students: each honest grade equals its grade alone."""
    from course_lib.cli import main

    samples = ROOT / "autograder" / "samples" / "hw01"
    honest = {"b_correct": samples / "correct.ipynb", "c_partial": samples / "partial.ipynb",
              "d_blank": samples / "blank.ipynb", "e_correct": samples / "correct.ipynb"}
    subs = tmp_path / "class"
    notebook(subs, ATTACKER, name="a_attacker")
    for name, src in honest.items():
        shutil.copy(src, subs / f"{name}.ipynb")
    assert main(["grade", "hw01", str(subs), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--hidden-seed", "class-seed"]) == 0
    together = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert set(together) == {"a_attacker", *honest}, "every submission has a row"
    for name, src in honest.items():
        alone = tmp_path / f"alone-{name}"
        alone.mkdir()
        shutil.copy(src, alone / f"{name}.ipynb")
        assert main(["grade", "hw01", str(alone), "--out", str(tmp_path / f"out-{name}"), "--workers", "1",
                     "--hidden-seed", "class-seed"]) == 0
        row = next(csv.DictReader(open(tmp_path / f"out-{name}" / "grades.csv")))
        assert row == together[name], f"{name}: graded after the attacker {together[name]} vs alone {row}"
    # the attacker's injected exception name cannot forge lines in its own feedback
    md = (tmp_path / "out" / "feedback" / "a_attacker.md").read_text()
    assert md.count("**Score:") == 1
    # no feedback file contains a hidden input
    hw01 = load_homework("hw01")
    from autograder.hidden import hidden_cases

    texts = " ".join(p.read_text() for p in (tmp_path / "out" / "feedback").glob("*.md"))
    for ex in hw01.exercises:
        for case in hidden_cases(hw01, ex, "class-seed"):
            for arr in case.args:
                for v in np.ravel(arr)[:6]:
                    if isinstance(v, (float, np.floating)) and abs(v) > 1e-3:
                        assert f"{float(v):.6f}"[:8] not in texts
