"""The zygote: runs inside the sandbox, imports numpy/torch once, forks one child per exercise job.

It never sees submissions: each job's socket is passed to it as a file descriptor and only the
forked child reads the job from it. After each child it kills every other process in the sandbox
and wipes /tmp, so nothing of one submission survives into the next.

Protocol on the control socket (fd in argv[1]): the grader sends a frame {"time_limit", "memory_mb"}
with one fd attached; the zygote answers {"status": ok|timeout|crashed, "note": ...} when the child is done.
"""

from __future__ import annotations

import array
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time

NOBODY = 65534


def _preload(modules: list[str]) -> None:
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            pass
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(1)


def _drop_privileges() -> None:
    if os.geteuid() == 0 and os.environ.get("SANDBOX_DROP_UID") == "1":
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit(name: str, value: int) -> None:
    res = getattr(resource, name, None)
    if res is None:
        return
    try:
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, value if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass


def _child(job_sock: socket.socket, time_limit: float, memory_mb: int, workdir: str) -> None:
    """In the forked child: limits, then read the job, define, run cases, stream results."""
    os.setsid()
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _limit("RLIMIT_CPU", int(math.ceil(time_limit)) + 1)
    _limit("RLIMIT_FSIZE", 16 * 1024 * 1024)
    _limit("RLIMIT_CORE", 0)
    _limit("RLIMIT_NOFILE", 256)
    if os.environ.get("SANDBOX_NPROC"):
        _limit("RLIMIT_NPROC", int(os.environ["SANDBOX_NPROC"]))
    _limit("RLIMIT_AS", _vm_size_bytes() + memory_mb * 1024 * 1024)

    from autograder.sandbox import frames
    from course_lib.grading.homework import load_homework
    from course_lib.grading.run import define, run_cases
    from course_lib.grading.wire import dumps, loads

    job = loads(frames.recv_raw(job_sock))
    ns, errors = define([tuple(c) for c in job["chunks"]])
    frames.send(job_sock, {"define_errors": errors})

    def emit(i, result):
        try:
            text = dumps({"i": i, **result})
        except (TypeError, ValueError) as exc:
            text = dumps({"i": i, "error": f"result could not be encoded: {exc}", "etype": "TypeError"})
        except MemoryError:
            text = dumps({"i": i, "error": "result too large for the memory limit", "etype": "MemoryError"})
        frames.send_text(job_sock, text)

    run_cases(ns, load_homework(job["homework"]).exercise(job["exercise"]), job["cases"], emit)
    job_sock.close()


def _kill_strays() -> None:
    """Kill every process of the sandbox except this one (we are its pid 1 when namespaces are on)."""
    me = os.getpid()
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if entry.isdigit() and int(entry) != me:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                    found = True
                except (ProcessLookupError, PermissionError):
                    pass
        _reap()
        if not found:
            break
        time.sleep(0.01)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wipe(path: str) -> None:
    for entry in os.listdir(path) if os.path.isdir(path) else []:
        full = os.path.join(path, entry)
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.unlink(full)
        except OSError:
            pass


def _wait(pid: int, time_limit: float) -> tuple[str, str]:
    deadline = time.monotonic() + time_limit
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            status = ("timeout", f"time limit of {time_limit:g} s reached")
            break
        if pidfd is not None:
            select.select([pidfd], [], [], min(left, 1.0))
        else:
            time.sleep(0.005)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(code):
                sig = os.WTERMSIG(code)
                name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
                why = "CPU time limit" if sig == signal.SIGXCPU else f"killed by {name}"
                status = ("timeout" if sig == signal.SIGXCPU else "crashed", why)
            elif os.WEXITSTATUS(code) != 0:
                status = ("crashed", f"the process exited with status {os.WEXITSTATUS(code)}")
            else:
                status = ("ok", "")
            break
    if pidfd is not None:
        os.close(pidfd)
    return status


def main() -> None:
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(sys.argv[1]))
    _preload([m for m in os.environ.get("SANDBOX_PRELOAD", "numpy").split(",") if m])
    import course_lib.grading.run  # noqa: F401 - loaded once, shared by every child
    import course_lib.grading.wire  # noqa: F401

    _drop_privileges()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    tmp = os.environ.get("SANDBOX_TMP", "/tmp")
    ctl.send(json.dumps({"ready": True, "pid": os.getpid(), "uid": os.getuid()}).encode())
    job_no = 0
    while True:
        fds = array.array("i")
        try:
            msg, ancdata, _flags, _addr = ctl.recvmsg(65536, socket.CMSG_LEN(4 * fds.itemsize))
        except (ConnectionResetError, OSError):
            return
        if not msg:
            return
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        header = json.loads(msg.decode())
        if not fds:
            ctl.send(json.dumps({"status": "crashed", "note": "no job socket"}).encode())
            continue
        job_no += 1
        workdir = os.path.join(tmp, f"job{job_no}")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ctl.close()
                _child(socket.socket(fileno=fds[0]), float(header["time_limit"]), int(header["memory_mb"]),
                       workdir)
            except BaseException:  # noqa: BLE001 - anything here is the student's doing
                code = 3
            os._exit(code)
        os.close(fds[0])
        status, note = _wait(pid, float(header["time_limit"]))
        if os.environ.get("SANDBOX_KILL_ALL") == "1":
            _kill_strays()
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _reap()
        _wipe(tmp)
        ctl.send(json.dumps({"status": status, "note": note, "job": header.get("job")}).encode())


if __name__ == "__main__":
    main()
