"""Hidden cases stay hidden (issue 24, item 1): one test per channel a hidden input could leave by.

Each test plays the attack: a hidden job (its inputs are the hidden cases) encodes a hidden input (X[0, 1]), and
either the hidden feedback itself or a later public job, whose error text the student sees, tries to decode it.
Channels: the size of an error, the exit status or signal, a POSIX message queue, the pid counter, the /tmp inode
counter, the wall clock between public jobs, the per-uid kernel keyring between two workers running at once, and
the measured slowness of a budget case. Hidden feedback is one of a fixed few messages (judge.HIDDEN_MESSAGES).
"""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest
from attackutil import attack_homework, notebook

from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.sandbox.isolation import NAMESPACES, detect
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.judge import HIDDEN_MESSAGES, hidden_message, judge_budget
from course_lib.grading.model import Budget, Exercise, case
from course_lib.grading.notebook import extract_file

pytestmark = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces (unshare)")

# A public case's X is published; anything else is a hidden input. The attacks below branch on that.
IS_PUBLIC = '''
def _public(X):
    from course_lib.grading.homework import load_homework
    for ex in load_homework("hw01").exercises:
        for c in ex.public:
            for a in c.args:
                if isinstance(a, np.ndarray) and a.shape == np.shape(X) and np.array_equal(a, X):
                    return True
    return False
'''
OLS = "    return np.linalg.lstsq(X, y, rcond=None)[0]\n"


@pytest.fixture(scope="module")
def hw():
    return attack_homework(4.0, 512)


@pytest.fixture(scope="module")
def expected(hw):
    return ExpectedCache(hw, "hidden-channel-seed", include_hidden=True)


@pytest.fixture(scope="module")
def runner():
    with SandboxRunner(preload=("numpy", "matplotlib", "matplotlib.pyplot")) as r:
        yield r


def grade(hw, expected, runner, folder, replace, name="sub"):
    return grade_extracted(hw, extract_file(notebook(folder, replace, name=name)), runner, expected)


def hidden_secret(expected, hw, name="ols_closed_form") -> float:
    """X[0, 1] of the exercise's first hidden case: what the attacks try to learn."""
    _public, hidden, _ = expected.get(hw.exercise(name))
    return float(hidden[0].args[0][0, 1])


def in_vocabulary(message: str) -> bool:
    """A hidden case's feedback: 'hidden case k: ' and one of the fixed messages or a builtin exception's name."""
    m = re.fullmatch(r"hidden case \d+: (.*)", message)
    if not m:
        return False
    text = m.group(1)
    return text in HIDDEN_MESSAGES.values() or re.fullmatch(r"your code raised [A-Za-z]+(Error|Exception|Warning|"
                                                            r"Exit|Interrupt|Iteration)", text) is not None


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def probe(runner, hw, body: str, hidden: bool = False, args=None):
    """One job of `def smoothness_constant(X): <body>` on one input; returns its outcome."""
    src = "import numpy as np, os, ctypes, time\ndef smoothness_constant(X):\n" + body
    X = np.eye(2) if args is None else args
    return runner.run([("cell 1", src)], hw, hw.exercise("smoothness_constant"), [([X], {})], 4.0, 512,
                      hidden=hidden)


def public_value(out):
    """What a public job reported: its value, or the number in its error message (the student sees both)."""
    r = out.results[0]
    if r is None:
        return None
    if "value" in r:
        return r["value"]
    found = re.findall(r"LEAK\[([^\]]*)\]", r.get("error", ""))
    return found[0] if found else r.get("error")


# ----------------------------------------------------------------------------------------- hidden feedback

def test_error_magnitude_does_not_reach_hidden_feedback(hw, expected, runner, tmp_path):
    """Attack: on hidden inputs, answer the right value plus |X[0,1]|; the feedback's 'largest error about 8e-01'
    would give the hidden input to one digit."""
    src = "import numpy as np\n" + IS_PUBLIC + "def ols_closed_form(X, y):\n" \
          "    w = np.linalg.lstsq(X, y, rcond=None)[0]\n    return w if _public(X) else w + abs(X[0, 1])\n"
    res = grade(hw, expected, runner, tmp_path, {"ols_closed_form": src})
    ex = next(e for e in res.exercises if e.name == "ols_closed_form")
    hidden = [c for c in ex.cases if c.hidden]
    assert hidden and not any(c.ok for c in hidden), "the attack itself must reach the hidden cases"
    secret = abs(hidden_secret(expected, hw))
    decoded = [x for c in hidden for x in numbers(c.message.split(": ", 1)[1])]
    assert not any(abs(x - secret) <= 0.6 * secret for x in decoded), f"decoded {decoded} ≈ {secret}"
    assert all(in_vocabulary(c.message) for c in hidden), [c.message for c in hidden]
    assert {c.kind for c in hidden} == {"values"}


@pytest.mark.parametrize("how", ["exit", "signal"])
def test_exit_status_and_signal_do_not_reach_hidden_feedback(hw, expected, runner, tmp_path, how):
    """Attack: on a hidden input, end the process with an exit status (or a signal) computed from X[0,1]; the note
    'the process exited with status 80' (or 'killed by SIGxxx') would carry it to the feedback."""
    end = {"exit": "os._exit(1 + int(abs(X[0, 1]) * 100) % 250)",
           "signal": "import signal\n        os.kill(os.getpid(), [signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM,"
                     " signal.SIGALRM][int(abs(X[0, 1]) * 10) % 4])\n        os._exit(3)"}[how]
    src = "import numpy as np, os\n" + IS_PUBLIC + "def ols_closed_form(X, y):\n    if not _public(X):\n" \
          f"        {end}\n" + OLS
    res = grade(hw, expected, runner, tmp_path, {"ols_closed_form": src})
    ex = next(e for e in res.exercises if e.name == "ols_closed_form")
    assert [c.ok for c in ex.cases if not c.hidden] == [True, True], "public cases pass: only hidden inputs leak"
    hidden = [c for c in ex.cases if c.hidden]
    assert hidden and not any(c.ok for c in hidden)
    text = ex.note + " " + " ".join(c.message for c in hidden)
    assert "status" not in text and "SIG" not in text and not numbers(ex.note), text
    assert ex.note == "the process stopped", ex.note
    assert all(in_vocabulary(c.message) for c in hidden), [c.message for c in hidden]


def test_budget_verdict_does_not_carry_a_measured_time():
    """Attack: sleep on the larger case for a time computed from a hidden input; 'correct, but 27× slower' would
    give it back. Two slow runs of different lengths must read the same."""
    ex = Exercise("f", 1, [case(1.0)], budget=Budget(lambda rng: case(1.0), factor=10.0, floor_s=0.001))
    messages = set()
    for seconds in (0.27, 0.81, 3.5):
        v = judge_budget(ex, [case(1.0)], [{"value": 1.0}], [{"value": 1.0, "seconds": seconds}], 0.01)
        assert v.kind == "slow"
        messages.add(hidden_message(v, None))
    assert messages == {"correct, but slower than the reference on a larger case (budget 10×)"}


# ------------------------------------------------------------------------- from one job to the next

def test_posix_message_queue_does_not_carry_a_hidden_input_to_the_next_job(hw, expected, runner, tmp_path):
    """Attack: a hidden job leaves X[0,1] in a POSIX message queue; the next submission's public job reads it and
    raises it, so its feedback shows it (only SysV IPC used to be cleaned between jobs)."""
    mq = '''
def _mq():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mq_open.restype = ctypes.c_int
    libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    return libc
'''
    writer = "import numpy as np, os, ctypes\n" + IS_PUBLIC + mq + '''
def ols_closed_form(X, y):
    if not _public(X):
        libc = _mq()
        q = libc.mq_open(b"/leak", os.O_CREAT | os.O_WRONLY, 0o666, None)
        msg = repr(float(X[0, 1])).encode()
        assert q >= 0 and libc.mq_send(q, msg, len(msg), 0) == 0
''' + OLS
    reader = "import numpy as np, os, ctypes\n" + mq + '''
def ols_closed_form(X, y):
    libc = _mq()
    q = libc.mq_open(b"/leak", os.O_RDONLY | os.O_NONBLOCK, 0, None)
    buf = ctypes.create_string_buffer(8192)
    n = libc.mq_receive(q, buf, 8192, None) if q >= 0 else -1
    raise ValueError("LEAK[" + (buf.raw[:n].decode() if n > 0 else "nothing") + "]")
'''
    grade(hw, expected, runner, tmp_path, {"ols_closed_form": writer}, "attacker")
    res = grade(hw, expected, runner, tmp_path, {"ols_closed_form": reader}, "accomplice")
    shown = " ".join(c.message for e in res.exercises for c in e.cases if not c.hidden)
    assert "LEAK[nothing]" in shown, "the reader's own feedback is shown to it"
    assert repr(hidden_secret(expected, hw)) not in shown


def test_pid_counter_does_not_carry_bits_to_the_next_job(hw, runner):
    """Attack: a hidden job forks N processes (N from a hidden input); the next public job reads its own pid and
    its first child's: with one pid namespace for every job, their difference from a baseline gives N."""
    report = "    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n" \
             "    return float(os.getpid() * 100000 + pid)\n"
    seen = []
    for n in (0, 37):
        forks = f"    for _ in range({n}):\n        p = os.fork()\n        if p == 0:\n            os._exit(0)\n" \
                "        os.waitpid(p, 0)\n    return 1.0\n"
        assert probe(runner, hw, forks, hidden=True).status == "ok"
        seen.append(public_value(probe(runner, hw, report)))
    assert seen[0] == seen[1], f"the next job's pids depend on the hidden job: {seen}"


def test_tmp_inode_counter_does_not_carry_bits_to_the_next_job(hw, runner):
    """Attack: a hidden job creates and deletes N files in /tmp; the next public job creates a file and reads its
    inode number, which a /tmp shared by every job (wiped, not renewed) advances by N."""
    report = "    fd = os.open('/tmp/probe', os.O_CREAT | os.O_WRONLY)\n    return float(os.fstat(fd).st_ino)\n"
    seen = []
    for n in (0, 50):
        touch = f"    for k in range({n}):\n        open(f'/tmp/f{{k}}', 'w').close()\n" \
                "        os.unlink(f'/tmp/f{k}')\n    return 1.0\n"
        assert probe(runner, hw, touch, hidden=True).status == "ok"
        seen.append(public_value(probe(runner, hw, report)))
    assert seen[0] == seen[1], f"the next job's inode numbers depend on the hidden job: {seen}"


def test_public_jobs_do_not_run_after_hidden_ones(hw, expected, runner, tmp_path):
    """Attack: public jobs raise the wall-clock time (shown to the student); a hidden job in between sleeps for a
    time computed from a hidden input, so the difference between two public jobs' times would decode it."""
    calls = []
    real_run = runner.run

    def recording_run(*args, **kwargs):
        calls.append(bool(kwargs.get("hidden")))
        return real_run(*args, **kwargs)

    clock = "    if _public(X):\n        raise ValueError(f'LEAK[{time.time()!r}]')\n"
    ols = "import numpy as np, time\n" + IS_PUBLIC + "def ols_closed_form(X, y):\n" + clock + \
          "    time.sleep(1.5 + min(abs(float(X[0, 1])), 1.0))\n" + OLS
    mse = "import numpy as np, time\ndef mse_loss_grad(w, X, y):\n" + clock + \
          "    return 0.0, np.zeros_like(w)\n"
    runner.run = recording_run
    try:
        res = grade(hw, expected, runner, tmp_path, {"ols_closed_form": ols, "mse_loss_grad": IS_PUBLIC + mse})
    finally:
        del runner.run
    times = {e.name: float(re.findall(r"LEAK\[([^\]]*)\]", c.message)[0])
             for e in res.exercises for c in e.cases if not c.hidden and "LEAK[" in c.message}
    assert set(times) == {"ols_closed_form", "mse_loss_grad"}
    gap = times["mse_loss_grad"] - times["ols_closed_form"]
    assert gap < 1.5, f"a hidden job ran between two public jobs ({gap:.2f} s apart)"
    assert calls == sorted(calls), "every public job runs before the first hidden one"


def test_keyring_is_not_shared_with_a_job_running_on_another_worker(hw):
    """Attack: a hidden job on one worker puts X[0,1] in its uid's user keyring and waits; a public job running at
    the same time on another worker looks it up. Workers sharing one uid (nobody) shared that keyring."""
    add = "    libc = ctypes.CDLL(None, use_errno=True)\n" \
          "    k = libc.syscall(248, b'user', b'leak', b'-0.796', 6, ctypes.c_long(-4))\n" \
          "    time.sleep(2.5)\n    return float(k > 0)\n"
    find = "    libc = ctypes.CDLL(None, use_errno=True)\n" \
           "    return float(libc.syscall(250, 10, ctypes.c_long(-4), b'user', b'leak', 0) > 0)\n"
    with SandboxRunner(preload=("numpy",)) as one, SandboxRunner(preload=("numpy",)) as other:
        got = {}
        t = threading.Thread(target=lambda: got.setdefault("add", probe(one, hw, add, hidden=True)))
        t.start()
        time.sleep(0.3)
        found = []
        while t.is_alive() and len(found) < 20:  # looked up again and again while the other job holds the key
            found.append(probe(other, hw, find).results[0])
            time.sleep(0.1)
        t.join()
    assert got["add"].results[0] == {"value": 1.0}, "the attack itself must work inside a job"
    assert found and all(f == {"value": 0.0} for f in found), found
