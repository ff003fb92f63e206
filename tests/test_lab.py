"""`make lab` starts JupyterLab on the course: the server answers on localhost, without nbgrader's instructor menus
(which `course lab --instructor` keeps), and a notebook opened and saved there (JupyterLab rewrites its kernel
metadata) is written back exactly as committed; then we stop it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from conftest import ROOT

LECTURE = "01_gradient_descent.ipynb"


def _request(url: str, data: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, method="PUT" if data is not None else "GET",
                                 data=None if data is None else json.dumps(data).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_make_lab_serves_the_course_for_students(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "course-test-token"
    base = f"http://127.0.0.1:{port}"
    flags = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_FLAGS={flags}"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env={**os.environ,
                                                                                   "COURSE_ROOT": str(course)})
    try:
        deadline = time.time() + 90
        body = None
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"{base}/api/contents/notebooks?token={token}", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.5)
        assert body is not None, "JupyterLab did not answer within 90 s"
        assert LECTURE in body
        # the student's lab: nbgrader's formgrader is not served and its lab extension is switched off
        assert _request(f"{base}/formgrader?token={token}")[0] == 404, "nbgrader's formgrader is served"
        status, page = _request(f"{base}/lab?token={token}")
        assert status == 200
        disabled = json.loads(re.search(r'"disabledExtensions": (\[[^]]*\])', page).group(1))
        assert "@jupyter/nbgrader" in disabled
        # open and save as JupyterLab 4 does after starting a kernel: the file is written back as committed
        committed = (course / "notebooks" / LECTURE).read_text("utf-8")
        status, text = _request(f"{base}/api/contents/notebooks/{LECTURE}?token={token}")
        model = json.loads(text)["content"]
        model["metadata"]["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                           "name": "python3"}
        model["metadata"]["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3},
                                              "file_extension": ".py", "mimetype": "text/x-python",
                                              "name": "python", "nbconvert_exporter": "python",
                                              "pygments_lexer": "ipython3", "version": "3.11.7"}
        status, _ = _request(f"{base}/api/contents/notebooks/{LECTURE}?token={token}",
                             {"type": "notebook", "format": "json", "content": model})
        assert status == 200
        assert (course / "notebooks" / LECTURE).read_text("utf-8") == committed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_the_instructor_lab_keeps_nbgrader_and_quick_mode_is_one_flag(tmp_path):
    """`course lab --instructor` hides nothing; `--quick` (make lab QUICK=1) sets COURSE_QUICK=1 for the lab."""
    from argparse import Namespace

    from course_lib.cli import lab_command, lab_config_dir

    config = lab_config_dir(tmp_path / "instructor", instructor=True)
    cmd, env = lab_command(Namespace(jupyter_args=["--no-browser"], quick=True, instructor=True), config)
    assert env["COURSE_QUICK"] == "1" and "--no-browser" in cmd
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(config)
    server = json.loads((config / "jupyter_server_config.json").read_text())
    assert "ServerApp" not in server and not (config / "labconfig").exists()
    assert server["FileContentsManager"]["pre_save_hook"] == "course_lib.nbclean.pre_save"
    student = json.loads((lab_config_dir(tmp_path / "student") / "jupyter_server_config.json").read_text())
    assert student["ServerApp"]["jpserver_extensions"] and not any(student["ServerApp"]["jpserver_extensions"].values())
