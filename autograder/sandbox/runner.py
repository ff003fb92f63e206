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

from autograder.runners import RunOutcome, Timed, clock, more_runs
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
        self._job = 0
        self._owed: int | None = None  # a finished job whose zygote reply is still to be read

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
            self.ctl.close()  # the zygote stops its last job, clears its uid's keyrings and exits
            self.ctl = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
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
        self._owed = None
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
            time_limit: float = 10.0, memory_mb: int = 1024, hidden: bool = False,
            timed: Timed | None = None) -> RunOutcome:
        """Run one job: define the chunks, run `cases` in order, read back plain results; then, with `timed`,
        time each timed call on this side's clock (see autograder.runners): its inputs are sent only when its
        clock starts, and the clock stops when its result frame has arrived.

        Frames must come in the protocol's order: one define_errors frame, then result i = 0, 1, ... once
        each, then timed result t = 0, 1, ... each after its call was sent, then {"end": true}; anything else ends
        the job as crashed ("output rejected"). Once "end" is read the job is complete: the zygote is told to stop
        it (status ok). A hidden job's results keep values and builtin-looking exception type names only, and its
        note is one of a fixed few (hidden_note): no exit status, signal or text chosen by the submission.
        """
        from course_lib.grading.wire import dumps, loads

        if self.ctl is None:
            self.start()
        self._settle()
        if self.ctl is None:
            self.start()
        t0 = time.perf_counter()
        results: list[dict | None] = [None] * len(cases)
        done: list[dict] = []
        define_errors: list[str] = []
        job_ours, job_theirs = socket.socketpair()
        self._job += 1
        header = json.dumps({"time_limit": time_limit, "memory_mb": memory_mb, "job": self._job,
                             "hidden": hidden}).encode()
        try:
            socket.send_fds(self.ctl, [header], [job_theirs.fileno()])
        except OSError:
            job_theirs.close()
            job_ours.close()
            self.restart()
            return RunOutcome(results, "crashed", "the sandbox had stopped; it was restarted", 0.0)
        job_theirs.close()
        payload = dumps({"chunks": [list(c) for c in chunks], "homework": hw.name, "exercise": ex.name,
                         "cases": [[list(a), dict(k)] for a, k in cases], "timed": timed is not None})
        deadline = time.monotonic() + time_limit + 5
        note, received, ended = "", 0, False

        def read():
            nonlocal received
            job_ours.settimeout(max(0.05, deadline - time.monotonic()))
            raw = frames.recv_raw(job_ours, limit=MAX_RESULT_BYTES - received)
            if raw is None:
                return None
            received += len(raw)
            msg = loads(raw)
            if not isinstance(msg, dict):
                raise ValueError("a frame that is not an object")
            return msg

        try:
            ended = self._exchange(job_ours, payload, read, results, define_errors, done, hidden, timed, deadline)
        except (socket.timeout, TimeoutError, OSError):
            pass
        except frames.FrameError as exc:
            note = f"output rejected: {exc}"
        except ValueError as exc:
            note = f"output rejected: {str(exc)[:200]}"
        finally:
            job_ours.close()
        done = [r if "value" in r or "error" in r else None for r in done]  # a digest whose value never came: no result
        status, znote = self._status(time_limit, finish=ended or note.startswith("output rejected"))
        note = note or znote
        if note.startswith("output rejected") and status == "ok":
            status = "crashed"
        if hidden:  # a fixed vocabulary: nothing the submission chose (exit status, signal, text) reaches feedback
            note = "output rejected" if note.startswith("output rejected") else hidden_note(status, memory_mb)
        return RunOutcome(results, status, note, time.perf_counter() - t0, define_errors, done)

    def _exchange(self, job_ours: socket.socket, payload: str, read, results: list, define_errors: list[str],
                  done: list[dict], hidden: bool, timed: Timed | None, deadline: float) -> bool:
        """Send the job and read its frames in the protocol's order into `define_errors`, `results` and `done` (the
        timed calls). Returns whether the "end" frame came; a frame out of order raises ValueError."""
        job_ours.settimeout(max(0.1, deadline - time.monotonic()))
        frames.send_text(job_ours, payload)
        msg = read()
        if msg is None:
            return False
        if set(msg) != {"define_errors"} or not isinstance(msg["define_errors"], list):
            raise ValueError("the first frame must be the definitions report")
        if not hidden:
            define_errors[:] = [one_line(e, 300) for e in msg["define_errors"][:20]]
        for expect in range(len(results)):
            msg = read()
            if msg is None:
                return False
            if msg.get("i") != expect or type(msg.get("i")) is not int or "t" in msg:
                raise ValueError(f"frame out of order (expected result {expect})")
            results[expect] = _entry(msg, hidden)
        msg = self._timed(job_ours, timed, done, read, hidden, deadline) if timed is not None else read()
        if msg is not None and msg != {"end": True}:
            raise ValueError("a frame after the last result")
        return msg is not None

    @staticmethod
    def _timed(sock: socket.socket, timed: Timed, done: list[dict], read, hidden: bool, deadline: float):
        """The timed calls, one at a time, on this process's clock: send a draw's seed (the clock starts), receive
        the digest of its value (the clock stops); each draw `timed.reps` times (the reference's), its fastest
        counting. Then shut our side of the job socket and receive the values, each of which must match its
        digest. Returns whatever frame follows (the "end" frame; None at an early end)."""
        from course_lib.grading.wire import dumps

        calls: list[tuple[int, dict]] = []  # (draw, run) for every call made
        while more_runs(done, timed):
            j, runs = len(done), []
            for _rep in range(timed.reps):
                c = len(calls)
                blob = frames.pack_text(dumps({"t": c, "seed": int(timed.seeds[j])}))
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                start = clock()
                sock.sendall(blob)
                msg = read()
                seconds = clock() - start
                if msg is None:
                    return None
                if msg.get("t") != c or type(msg.get("t")) is not int or "i" in msg or "v" in msg:
                    raise ValueError(f"frame out of order (expected timed result {c})")
                if "digest" in msg and "error" not in msg:
                    if not isinstance(msg["digest"], str) or len(msg["digest"]) != 64:
                        raise ValueError("a malformed digest")
                    run = {"digest": msg["digest"], "seconds": seconds}
                else:
                    run = {**_entry(msg, hidden), "seconds": seconds}
                calls.append((j, run))
                runs.append(run)
                if "digest" not in run:
                    break
            if "digest" in runs[-1] and len({r["digest"] for r in runs}) > 1:
                raise ValueError(f"the timed runs of draw {j} differ")
            done.append(dict(runs[-1] if "digest" not in runs[-1] else min(runs, key=lambda r: r["seconds"])))
        sock.shutdown(socket.SHUT_WR)
        for c, (j, run) in enumerate(calls):
            if "digest" not in run:
                continue
            msg = read()
            if msg is None:
                return None
            if msg.get("v") != c or type(msg.get("v")) is not int or "value" not in msg or "error" in msg:
                raise ValueError(f"frame out of order (expected the value of timed result {c})")
            if frames.digest(msg["value"]) != run["digest"]:
                raise ValueError(f"timed result {c} does not match the digest sent while it was timed")
            done[j].pop("digest", None)
            done[j]["value"] = msg["value"]
        return read()  # the "end" frame, checked by the caller

    def _status(self, time_limit: float, finish: bool = False) -> tuple[str, str]:
        """The zygote's word on the job: (status, note). With `finish` (every frame was read in order, its "end"
        included: the job is complete, whatever its processes do next), the zygote is told to stop the job now, and
        its reply is read before the next job starts (so it costs no time here)."""
        assert self.ctl is not None
        if finish:
            try:
                self.ctl.send(json.dumps({"finish": self._job}).encode())
                self._owed = self._job
                return "ok", ""
            except OSError:
                pass
        return self._reply(self._job, time_limit + 30)

    def _settle(self) -> None:
        """Read the reply still owed for a finished job; restart when it is missing or says something survived."""
        if self._owed is not None and self.ctl is not None:
            job, self._owed = self._owed, None
            self._reply(job, 30.0)

    def _reply(self, job: int, wait_s: float) -> tuple[str, str]:
        assert self.ctl is not None
        deadline = time.monotonic() + wait_s
        try:
            while True:
                self.ctl.settimeout(max(0.1, deadline - time.monotonic()))
                msg = self.ctl.recv(65536)
                if not msg:
                    break
                d = json.loads(msg)
                if isinstance(d, dict) and d.get("job") == job:  # replies to abandoned jobs are skipped
                    if d.get("clean") is False:  # something of a job survived its clean-up: start afresh
                        self.restart()
                    status = d.get("status")
                    return (status if status in STATUSES else "crashed"), one_line(d.get("note", ""), 300)
        except (socket.timeout, OSError, ValueError):
            pass
        self.restart()
        return "crashed", "the sandbox stopped (the submission killed it); it was restarted"


STATUSES = ("ok", "timeout", "crashed", "memory")


def hidden_note(status: str, memory_mb: int) -> str:
    """How a hidden job ended, from trusted facts only: its status and the limit the grader set."""
    return {"ok": "", "timeout": "time limit reached", "memory": f"memory limit of {memory_mb} MB reached"}.get(
        status, "the process stopped")


def one_line(text, limit: int = 500) -> str:
    """Student text as one line: control characters (newlines too) become spaces; at most `limit` chars."""
    s = str(text)[: limit * 2]
    return "".join(ch if ch.isprintable() else " " for ch in s)[:limit]


_ETYPE_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _entry(msg: dict, hidden: bool) -> dict:
    """One result frame as the trusted side keeps it: a value, or an error line and an exception type name."""
    etype = msg.get("etype")
    etype = etype if isinstance(etype, str) and len(etype) <= 64 and set(etype) <= _ETYPE_OK else ""
    if "value" in msg and "error" not in msg:
        return {"value": msg["value"]}
    if "error" in msg:
        return {"error": "" if hidden else one_line(msg["error"]), "etype": etype}
    return {"error": "malformed result", "etype": ""}


def available_level() -> str:
    return detect()


__all__ = ["SandboxRunner", "SandboxError", "available_level", "NAMESPACES", "WEAK"]
