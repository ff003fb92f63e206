"""SandboxRunner: the trusted side of the sandbox. Starts a zygote, sends jobs, reads plain results."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.runners import RunOutcome
from autograder.sandbox import frames
from autograder.sandbox.isolation import (
    NAMESPACES,
    WEAK,
    clean_env,
    describe,
    detect,
    namespace_command,
)
from course_lib.grading.model import Exercise, Homework

MAX_RESULT_BYTES = 64 * 1024 * 1024
ZYGOTE = Path(__file__).with_name("zygote.py")


class SandboxError(RuntimeError):
    """The sandbox could not be started."""


class SandboxRunner:
    """One zygote (one worker). Not thread-safe: use one runner per thread."""

    def __init__(self, preload: tuple[str, ...] = ("numpy",), level: str | None = None):
        self.level = level or detect()
        self.isolation = describe(self.level)
        self.preload = ",".join(preload)
        self.proc: subprocess.Popen | None = None
        self.ctl: socket.socket | None = None
        self.restarts = 0
        self._dirs: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        env = clean_env(self.level, self.preload)
        py = [str(Path(sys.executable)), "-s", "-B", str(ZYGOTE), str(fd)]
        import autograder
        import course_lib

        # The packages' parent folders: needed when they are not installed (e.g. unpacked from a Gradescope zip).
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(str(Path(m.__file__).resolve().parent.parent)
                                                          for m in (autograder, course_lib)))
        if self.level == NAMESPACES:
            root = tempfile.mkdtemp(prefix="course-sandbox-")
            self._dirs.append(root)
            cmd, cwd = namespace_command(root, py), "/"
        else:
            work = tempfile.mkdtemp(prefix="course-weak-")
            self._dirs.append(work)
            env["SANDBOX_TMP"] = work
            cmd, cwd = py, work
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, pass_fds=[fd], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True)
        theirs.close()
        self.ctl = ours
        self.ctl.settimeout(120)
        try:
            msg = self.ctl.recv(65536)
        except (socket.timeout, OSError) as exc:
            raise SandboxError(f"the sandbox did not start: {exc}; {self._stderr_tail()}") from exc
        if not msg:
            raise SandboxError(f"the sandbox did not start: {self._stderr_tail()}")
        self.info = json.loads(msg)

    def _stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read()[-600:].decode("utf-8", "replace").strip().replace("\n", " | ")
        except (OSError, AttributeError):
            return ""

    def close(self) -> None:
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            self.proc = None
        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)
        self._dirs.clear()

    def restart(self) -> None:
        self.close()
        self.restarts += 1
        self.start()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- jobs ------------------------------------------------------------------------------------
    def run(self, chunks, hw: Homework, ex: Exercise, cases: list[tuple[list, dict]],
            time_limit: float = 10.0, memory_mb: int = 1024) -> RunOutcome:
        from course_lib.grading.wire import dumps, loads

        if self.ctl is None:
            self.start()
        t0 = time.perf_counter()
        results: list[dict | None] = [None] * len(cases)
        define_errors: list[str] = []
        job_ours, job_theirs = socket.socketpair()
        self._job = getattr(self, "_job", 0) + 1
        header = json.dumps({"time_limit": time_limit, "memory_mb": memory_mb, "job": self._job}).encode()
        try:
            socket.send_fds(self.ctl, [header], [job_theirs.fileno()])
        except OSError:
            job_theirs.close()
            job_ours.close()
            self.restart()
            return RunOutcome(results, "crashed", "the sandbox had stopped; it was restarted", 0.0)
        job_theirs.close()
        payload = dumps({"chunks": [list(c) for c in chunks], "homework": hw.name, "exercise": ex.name,
                         "cases": [[list(a), dict(k)] for a, k in cases]})
        deadline = time.monotonic() + time_limit + 5
        note, received = "", 0
        try:
            job_ours.settimeout(max(0.1, deadline - time.monotonic()))
            frames.send_text(job_ours, payload)
            while True:
                job_ours.settimeout(max(0.05, deadline - time.monotonic()))
                raw = frames.recv_raw(job_ours, limit=MAX_RESULT_BYTES - received)
                if raw is None:
                    break
                received += len(raw)
                msg = loads(raw)
                if isinstance(msg, dict) and isinstance(msg.get("define_errors"), list):
                    define_errors = [str(e)[:300] for e in msg["define_errors"][:20]]
                    continue
                i = msg.get("i") if isinstance(msg, dict) else None
                if isinstance(i, int) and 0 <= i < len(results) and results[i] is None:
                    entry = {k: msg[k] for k in ("value", "error", "etype") if k in msg}
                    if "error" in entry:
                        entry["error"] = str(entry["error"])[:500]
                    results[i] = entry if ("value" in entry or "error" in entry) else {"error": "malformed result"}
        except (socket.timeout, TimeoutError):
            pass
        except frames.FrameError as exc:
            note = f"output rejected: {exc}"
        except ValueError as exc:
            note = f"output rejected: {str(exc)[:200]}"
        except OSError:
            pass
        finally:
            job_ours.close()
        status, znote = self._status(time_limit)
        note = note or znote
        if note.startswith("output rejected") and status == "ok":
            status = "crashed"
        return RunOutcome(results, status, note, time.perf_counter() - t0, define_errors)

    def _status(self, time_limit: float) -> tuple[str, str]:
        assert self.ctl is not None
        deadline = time.monotonic() + time_limit + 30
        try:
            while True:
                self.ctl.settimeout(max(0.1, deadline - time.monotonic()))
                msg = self.ctl.recv(65536)
                if not msg:
                    break
                d = json.loads(msg)
                if d.get("job") == self._job:  # replies to earlier, abandoned jobs are skipped
                    return str(d.get("status", "crashed")), str(d.get("note", ""))
        except (socket.timeout, OSError, ValueError):
            pass
        self.restart()
        return "crashed", "the sandbox stopped (the submission killed it); it was restarted"


def available_level() -> str:
    return detect()


__all__ = ["SandboxRunner", "SandboxError", "available_level", "NAMESPACES", "WEAK"]
