"""The same course on every machine: under every BLAS kernel this CPU can run (OpenBLAS picks one per CPU at run
time; students' laptops, Colab and Apple Silicon run others) and with torch at 1 and 2 threads, the shipped public
cases are current (`course release --check`), every solution passes its self-check, every solution grades full
marks, and every public and hidden input has the same bits. tests/machinecheck.py does the work in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

# OpenBLAS kernel -> the CPU flags it needs (/proc/cpuinfo; "pni" is SSE3); a kernel the CPU cannot run is skipped.
KERNELS = {"Prescott": {"pni"}, "Sandybridge": {"avx"}, "Haswell": {"avx2", "fma"}, "Zen": {"avx2", "fma"},
           "SkylakeX": {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}}
THREADS = (1, 2)


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith(("flags", "Features"))), "")
    return set(line.split(":", 1)[-1].split())


def _uses_openblas() -> bool:
    import numpy as np

    try:
        return "openblas" in np.__config__.CONFIG["Build Dependencies"]["blas"]["name"].lower()
    except (AttributeError, KeyError, TypeError):
        return False


RUNS = [(k, t) for k in KERNELS for t in THREADS]
_RESULTS: dict[tuple[str, int], dict] = {}


def _run(kernel: str, threads: int) -> dict:
    if (kernel, threads) not in _RESULTS:
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "OPENBLAS_NUM_THREADS": str(threads),
               "OMP_NUM_THREADS": str(threads)}
        out = subprocess.run([sys.executable, str(ROOT / "tests" / "machinecheck.py"), "--threads", str(threads)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        _RESULTS[(kernel, threads)] = json.loads(out.stdout)
    return _RESULTS[(kernel, threads)]


@pytest.mark.parametrize("kernel, threads", RUNS, ids=[f"{k}-{t}thread" for k, t in RUNS])
def test_the_course_is_the_same_under_this_kernel(kernel, threads):
    if sys.platform != "linux" or not _uses_openblas():
        pytest.skip("OPENBLAS_CORETYPE chooses kernels of NumPy's OpenBLAS on Linux only")
    missing = KERNELS[kernel] - _cpu_flags()
    if missing:
        pytest.skip(f"this CPU cannot run the {kernel} kernel (no {', '.join(sorted(missing))})")
    got = _run(kernel, threads)
    assert got["release"] == [], f"under {kernel}: stale generated files {got['release']}"
    failing = {hw: names for hw, names in got["selfcheck"].items() if names}
    assert not failing, f"under {kernel}, {threads} thread(s): a correct solution fails its self-check: {failing}"
    short = {hw: g for hw, g in got["grades"].items() if abs(g[0] - g[1]) > 1e-9}
    assert not short, f"under {kernel}, {threads} thread(s): a solution loses points: {short}"
    reference = _run("Prescott" if not KERNELS["Prescott"] - _cpu_flags() else kernel, 1)["inputs"]
    differ = [k for k, v in got["inputs"].items() if reference.get(k) != v]
    assert not differ, f"inputs built with other bits under {kernel}, {threads} thread(s): {differ}"


def test_a_builder_that_uses_blas_would_be_caught(monkeypatch):
    """The check can fail: an input built with a matrix product (no grid) differs between two kernels."""
    import numpy as np

    from course_lib.grading.model import case
    from course_lib.grading.public import inputs_digest

    if sys.platform != "linux" or not _uses_openblas() or KERNELS["SkylakeX"] - _cpu_flags():
        pytest.skip("needs two OpenBLAS kernels with different last bits (Prescott and SkylakeX)")
    code = ("import numpy as np, sys\nsys.path.insert(0, %r)\n"
            "from course_lib.grading.public import inputs_digest\nfrom course_lib.grading.model import case\n"
            "from course_lib.grading.exact import on_grid\n"
            "r = np.random.default_rng(5); X = r.normal(size=(40, 30)); W = r.normal(size=(30, 20))\n"
            "print(inputs_digest([case(X @ W)]), inputs_digest([case(on_grid(X @ W))]))" % str(ROOT))
    digests = [subprocess.run([sys.executable, "-c", code], env={**os.environ, "OPENBLAS_CORETYPE": k},
                              capture_output=True, text=True, check=True).stdout.split()
               for k in ("Prescott", "SkylakeX")]
    assert digests[0][0] != digests[1][0], "the raw product happened to agree: pick other sizes"
    assert digests[0][1] == digests[1][1], "on_grid did not make the product the same everywhere"
    assert inputs_digest([case(np.ones(2))])  # the helpers import where the test runs too
