"""The zygote: runs inside the sandbox, imports numpy/torch once, forks one child per exercise job.

It never sees submissions: each job's socket is passed to it as a file descriptor and only the
forked child reads the job from it. After each child it kills every other process in the sandbox, wipes
/tmp (fixing modes first), removes every SysV IPC object and clears the keyrings of the sandbox's uid, so
nothing of one job survives into the next; if the wipe fails it says so and the grader restarts it.
Each job works in a fresh, unpredictable folder. Memory is limited per job, not per process: the private
memory of all the job's processes together is watched while it runs.

Protocol on the control socket (fd in argv[1]): the grader sends a frame {"time_limit", "memory_mb"}
with one fd attached; the zygote answers {"status": ok|timeout|crashed, "note": ..., "clean": bool} when
the child is done. On the job socket: the job, then the child's definitions report and one result per case; a
job marked "timed" then answers each timed call {"t", "seed"} the grader sends with {"t", "digest"} (or an error),
and once the grader has closed its side sends the timed values {"v", "value"} in order.
"""

from __future__ import annotations

import array
import ctypes
import json
import math
import os
import resource
import secrets
import select
import shutil
import signal
import socket
import stat
import sys
import time

NOBODY = 65534
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
IPC_RMID = 0


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
    """Soft and hard limit both set to `value` (never above the current hard limit), so it cannot be raised."""
    res = getattr(resource, name, None)
    if res is None:
        return
    try:
        _soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, value))
    except (ValueError, OSError):
        pass


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _keyctl(op: int, arg: int = 0) -> None:
    if _SYS_KEYCTL is not None:
        try:
            _libc().syscall(_SYS_KEYCTL, ctypes.c_long(op), ctypes.c_long(arg))
        except (OSError, AttributeError):
            pass


def clear_keyrings() -> None:
    """Empty the user and user-session keyrings of this uid (they outlive processes)."""
    _keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING)
    _keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING)


def remove_sysv_ipc() -> int:
    """Remove every SysV shared-memory segment, message queue and semaphore set this process can see (the
    sandbox has its own IPC namespace); returns how many were left that could not be removed."""
    libc, left = _libc(), 0
    for kind, call in (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl")):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 2 or not fields[1].isdigit():
                continue
            ident = int(fields[1])
            fn = getattr(libc, call)
            rc = fn(ident, 0, IPC_RMID, None) if kind == "sem" else fn(ident, IPC_RMID, None)
            left += rc != 0
    return left


def _child(job_sock: socket.socket, time_limit: float, memory_mb: int, workdir: str, hidden: bool) -> None:
    """In the forked child: limits, then read the job, define, run cases, stream results.

    A hidden job sends back values and exception type names only: no student text ever leaves it.
    """
    os.setsid()
    _keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)  # a fresh, anonymous session keyring for this job
    os.mkdir(workdir, 0o700)
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
    frames.send(job_sock, {"define_errors": [] if hidden else errors})

    def emit(i, result, key="i"):
        if hidden and "error" in result:
            result = {"error": "", "etype": result.get("etype", "")}
        try:
            text = dumps({key: i, **result})
        except (TypeError, ValueError) as exc:
            text = dumps({key: i, "error": f"result could not be encoded: {exc}", "etype": "TypeError"})
        except MemoryError:
            text = dumps({key: i, "error": "result too large for the memory limit", "etype": "MemoryError"})
        frames.send_text(job_sock, text)

    ex = load_homework(job["homework"]).exercise(job["exercise"])
    run_cases(ns, ex, job["cases"], emit)
    if job.get("timed"):
        _timed_calls(job_sock, ns, ex, emit)
    job_sock.close()


def _timed_calls(job_sock: socket.socket, ns, ex, emit) -> None:
    """The budget's timed calls: for each seed the grader sends (its clock starting as it sends), build that draw of
    the larger case, run it and answer the value's digest (or the error), which stops the clock; when the grader
    closes its side, send the values, which it checks against the digests."""
    import numpy as np

    from autograder.sandbox import frames
    from course_lib.grading.run import run_cases
    from course_lib.grading.wire import loads

    kept = []
    while True:
        raw = frames.recv_raw(job_sock)
        if raw is None:
            break
        call = loads(raw)
        j, got = call["t"], {}
        c = ex.budget.case(np.random.default_rng(call["seed"]))
        run_cases(ns, ex, [(list(c.args), dict(c.kwargs))], lambda _i, r, g=got: g.update(r))
        if "value" in got:
            kept.append((j, got["value"]))
            frames.send(job_sock, {"t": j, "digest": frames.digest(got["value"])})
        else:
            emit(j, got, "t")
    for j, value in kept:
        emit(j, {"value": value}, "v")


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


def _fix_modes(path: str) -> None:
    """Give the owner rwx on every folder below `path` (a job may leave mode-000 folders behind)."""
    for root, dirs, _files in os.walk(path, topdown=True, onerror=lambda e: None):
        for d in dirs:
            full = os.path.join(root, d)
            try:
                if not os.path.islink(full):
                    os.chmod(full, stat.S_IRWXU)
            except OSError:
                pass


def _wipe(path: str, keep: frozenset[str] = frozenset()) -> bool:
    """Remove everything in `path` but the entries in `keep` (made before any job ran, e.g. by the preloaded
    libraries, and not writable by jobs); returns False when something survived: the zygote must be restarted."""
    if not os.path.isdir(path):
        return True
    for _attempt in range(2):
        for entry in set(os.listdir(path)) - keep:
            full = os.path.join(path, entry)
            try:
                if os.path.isdir(full) and not os.path.islink(full):
                    os.chmod(full, stat.S_IRWXU)
                    _fix_modes(full)
                    shutil.rmtree(full, ignore_errors=True)
                else:
                    os.unlink(full)
            except OSError:
                pass
        if not set(os.listdir(path)) - keep:
            return True
    return False


def _private_bytes(pids: list[int]) -> int:
    """Resident memory not shared with other processes (the preloaded libraries are shared), summed."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                fields = f.read().split()
            total += (int(fields[1]) - int(fields[2])) * _PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total


def _job_pids(child: int) -> list[int]:
    """The job's processes: every process but this one inside the sandbox, else the child's session."""
    me, out = os.getpid(), []
    kill_all = os.environ.get("SANDBOX_KILL_ALL") == "1"
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or int(entry) == me:
            continue
        if kill_all:
            out.append(int(entry))
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[3]) == child:  # session id
                out.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return out


def _wait(pid: int, time_limit: float, memory_mb: int) -> tuple[str, str]:
    deadline = time.monotonic() + time_limit
    budget = memory_mb * 1024 * 1024
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
            select.select([pidfd], [], [], min(left, 0.05))
        else:
            time.sleep(0.005)
        done, code = os.waitpid(pid, os.WNOHANG)
        if not done and _private_bytes(_job_pids(pid)) > budget:
            for victim in _job_pids(pid):
                try:
                    os.kill(victim, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            os.waitpid(pid, 0)
            status = ("crashed", f"memory limit of {memory_mb} MB reached (all the job's processes together)")
            break
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
    from autograder.sandbox.isolation import block_answer_modules

    block_answer_modules()

    _drop_privileges()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    tmp = os.environ.get("SANDBOX_TMP", "/tmp")
    baseline = frozenset(os.listdir(tmp)) if os.path.isdir(tmp) else frozenset()
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
        workdir = os.path.join(tmp, secrets.token_hex(16))
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ctl.close()
                _child(socket.socket(fileno=fds[0]), float(header["time_limit"]), int(header["memory_mb"]),
                       workdir, bool(header.get("hidden")))
            except BaseException:  # noqa: BLE001 - anything here is the student's doing
                code = 3
            os._exit(code)
        os.close(fds[0])
        status, note = _wait(pid, float(header["time_limit"]), int(header["memory_mb"]))
        if os.environ.get("SANDBOX_KILL_ALL") == "1":
            _kill_strays()
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _reap()
        clean = _wipe(tmp, baseline)
        if os.environ.get("SANDBOX_KILL_ALL") == "1":  # our own namespaces: everything in them is the job's
            clear_keyrings()
            clean = remove_sysv_ipc() == 0 and clean
        ctl.send(json.dumps({"status": status, "note": note, "job": header.get("job"), "clean": clean}).encode())


if __name__ == "__main__":
    main()
