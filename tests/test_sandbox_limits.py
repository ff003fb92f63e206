"""Limits that hold and budgets that measure the algorithm (issue 24, items 3 and 5).

Memory: a job's limit counts what it holds in shared memory too: memfds (held open or only mapped), shared
anonymous maps written by a child, files in its /tmp (a tmpfs of the job's own, no larger than its memory), open
but deleted; SysV shared memory is capped per job. Each hog below is stopped with status "memory" (verdict kind
"memory"); an honest submission graded right after is unaffected.

Budgets (hw07 conv2d_forward_fast): the timed case's shape is drawn with each draw, so a loop with a fast path for
one published shape is as slow as a loop; each student run is retried on a fresh draw while it is near the budget,
so one hiccup does not cost the reference's own code anything.
"""

from __future__ import annotations

import numpy as np
import pytest
from attackutil import FULL, attack_homework, grade, notebook, only_zero
from test_budget import LOOP, NAME, _assert_slow, _fast, _grade, _hw

from autograder.grade.pool import preload_for
from autograder.grade.reference import ExpectedCache
from autograder.grade.submission import grade_extracted
from autograder.sandbox.isolation import NAMESPACES, detect
from autograder.sandbox.runner import SandboxRunner
from course_lib.grading.notebook import extract_file

pytestmark = pytest.mark.skipif(detect() != NAMESPACES, reason="needs Linux namespaces (unshare)")

MB16 = 16 * 2**20
HOLD = "        except OSError:\n            break\n    time.sleep(30)\n    return 1.0\n"

HOGS = {
    # 256 memfds of 16 MB, held open (the old accounting counted none of it)
    "memfd held open": "    fds, block = [], b'x' * (1 << 24)\n    while True:\n        try:\n"
                       "            fd = os.memfd_create('hog')\n            os.write(fd, block)\n"
                       "            fds.append(fd)\n" + HOLD,
    # memfds written, mapped and closed: only the mappings keep them (three processes, each under its own
    # address-space limit)
    "memfd only mapped": "    import mmap\n    for _ in range(2):\n        if os.fork() == 0:\n            break\n"
                         "    maps, block = [], b'x' * (1 << 24)\n    while True:\n        try:\n"
                         "            fd = os.memfd_create('hog')\n            os.write(fd, block)\n"
                         "            maps.append(mmap.mmap(fd, 1 << 24))\n            os.close(fd)\n" + HOLD,
    # shared anonymous maps (two processes, 400 MB each), written by a child that then exits; their holders never
    # touch them
    "shared map written by a child": "    import mmap\n    os.fork()\n"
                                     "    m = mmap.mmap(-1, 400 << 20, flags=mmap.MAP_SHARED)\n"
                                     "    if os.fork() == 0:\n        m[::4096] = b'x' * len(m[::4096])\n"
                                     "        os._exit(0)\n    os.wait()\n    time.sleep(30)\n    return 1.0\n",
    # files in /tmp, open and deleted: 256 files of 16 MB would be 4 GB
    "deleted files in /tmp": "    fds, block = [], b'x' * (1 << 24)\n    while True:\n        try:\n"
                             "            fd = os.open(f'/tmp/hog{len(fds)}', os.O_CREAT | os.O_RDWR)\n"
                             "            os.unlink(f'/tmp/hog{len(fds)}')\n            fds.append(fd)\n"
                             "            os.write(fd, block)\n" + HOLD,
}


@pytest.fixture(scope="module")
def hw():
    return attack_homework(6.0, 512)


@pytest.fixture(scope="module")
def expected(hw):
    return ExpectedCache(hw, "limits-seed", include_hidden=True)


@pytest.fixture(scope="module")
def runner():
    with SandboxRunner(preload=("numpy", "matplotlib", "matplotlib.pyplot")) as r:
        yield r


def probe(runner, hw, body: str):
    src = "import numpy as np, os, ctypes, time\ndef smoothness_constant(X):\n" + body
    return runner.run([("cell 1", src)], hw, hw.exercise("smoothness_constant"), [([np.eye(2)], {})], 6.0, 512)


@pytest.mark.parametrize("hog", sorted(HOGS))
def test_shared_memory_hogs_are_stopped_at_the_memory_limit(hw, expected, runner, tmp_path, hog):
    out = probe(runner, hw, HOGS[hog])
    assert (out.status, out.results) == ("memory", [None]), (out.status, out.note, out.results)
    assert out.note.startswith("memory limit of 512 MB reached")
    src = "import numpy as np, os, ctypes, time\ndef smoothness_constant(X):\n" + HOGS[hog]
    res = grade_extracted(hw, extract_file(notebook(tmp_path, {"smoothness_constant": src}, name="hog")), runner,
                          expected)
    assert {e.name: e.points for e in res.exercises} == only_zero("smoothness_constant")
    ex = next(e for e in res.exercises if e.name == "smoothness_constant")
    assert {c.kind for c in ex.cases} == {"memory"} and ex.status == "memory"
    assert grade(hw, expected, runner, notebook(tmp_path, name="honest")) == FULL, "the next submission is unharmed"


def test_tmp_is_no_larger_than_the_job_memory(hw, runner):
    """Whatever the accounting sees, /tmp itself cannot grow past the job's memory limit (the sandbox's own /tmp
    used to be one 1 GB tmpfs for every job)."""
    out = probe(runner, hw, "    return float(os.statvfs('/tmp').f_blocks * os.statvfs('/tmp').f_frsize)\n")
    assert out.results == [{"value": float(512 * 2**20)}]


def test_sysv_shared_memory_is_capped_per_job(hw, runner):
    """Segments nobody maps are not resident in any process: the job's own IPC namespace caps them at 16 MB."""
    body = "    libc = ctypes.CDLL(None, use_errno=True)\n    n = 0\n    for k in range(64):\n" \
           "        if libc.shmget(0, 1 << 20, 0o1600) < 0:\n            break\n        n += 1\n    return float(n)\n"
    got = probe(runner, hw, body).results[0]["value"]
    assert 1 <= got <= 16, got


# ------------------------------------------------------------------------------------------ time budgets

# A loop over output positions, with a fast path for the one shape the budget case used to have.
SPECIAL_CASED = LOOP.replace("def conv2d_forward_fast(", "def _loop(") + '''

def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    if x.shape == (1, 1, 257, 257) and w.shape == (1, 1, 2, 2) and stride == 1 and pad == 0:
        x, w = x[0, 0], w[0, 0]
        out = w[0, 0] * x[:-1, :-1] + w[0, 1] * x[:-1, 1:] + w[1, 0] * x[1:, :-1] + w[1, 1] * x[1:, 1:]
        return (out + b[0])[None, None]
    return _loop(x, w, b, stride, pad)
'''

# The reference's own method, with one 0.1 s hiccup on its first larger call (a busy core, a page-fault storm).
HICCUP = '''
import time


def conv2d_forward_fast(x, w, b, stride=1, pad=0):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.shape[2] >= 100 and not getattr(conv2d_forward_fast, "hiccuped", False):
        conv2d_forward_fast.hiccuped = True
        time.sleep(0.1)
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("ncijuv,fcuv->nfij", win, w, optimize=True) + b[None, :, None, None]
'''


@pytest.fixture(scope="module")
def sandbox():
    with SandboxRunner(preload=preload_for(_hw())) as r:
        yield r


def test_a_fast_path_for_one_shape_does_not_pass_the_budget(sandbox):
    _assert_slow(_grade(sandbox, SPECIAL_CASED))


def test_one_hiccup_does_not_cost_the_reference_its_points(sandbox):
    e = _fast(_grade(sandbox, HICCUP))
    assert e.points == e.max_points, [c.message for c in e.cases if not c.ok]
    assert e.name == NAME
