"""The zygote: runs inside the sandbox, imports numpy/torch once, forks one child per exercise job.

It never sees submissions: each job's socket is passed to it as a file descriptor and only the forked child reads
the job from it.

Under namespaces every job gets fresh ones of its own: a pid namespace (the job is its pid 1: no pid counter, no
process of one job is visible to or survives into another; when the job's first process ends the kernel kills the
rest), a mount namespace with its own /proc and its own tmpfs /tmp (size-limited to the job's memory, gone with the
job: nothing to wipe), an IPC namespace (SysV objects and POSIX message queues die with it; SysV shared memory is
capped) and a UTS namespace. The job then drops every privilege: as root it takes a uid of this worker's own
(never nobody, so per-uid limits, keyrings and counters are not shared with other workers), otherwise it drops all
capabilities; no_new_privs either way. The worker's uid has its keyrings cleared after each job.

Memory is limited per job, not per process: the zygote adds up, for all the job's processes together, their
anonymous resident memory, the shared-memory objects they hold or map (memfd, shared anonymous maps, SysV segments;
each object once, by its size or mapped extent) and what the job's /tmp holds; over the limit the job is stopped
(status "memory").

To keep forking off the critical path the zygote forks each job's process ahead of time (a "spare": it builds its
namespaces, then waits for a job); it never holds a job before one is handed to it, and jobs run one at a time.

Protocol on the control socket (fd in argv[1]): the grader sends a frame {"time_limit", "memory_mb", "job",
"hidden"} with one fd attached (the job socket); it may then send {"finish": job} once it has read the job's "end"
frame, and the zygote stops the job at once. The zygote answers {"status": ok|timeout|crashed|memory, "note", "job",
"clean"} when the job is over. On the job socket: the job, then the child's definitions report and one result per
case; a job marked "timed" then answers each timed call {"t", "seed"} the grader sends with {"t", "digest"} (or an
error), and once the grader has closed its side sends the timed values {"v", "value"} in order; last, {"end": true}.
"""

from __future__ import annotations

import array
import json
import os
import select
import shutil
import signal
import socket
import stat
import sys
import time

from autograder.sandbox.child import run_spare
from autograder.sandbox.jobmemory import job_memory, job_pids
from autograder.sandbox.linux import (
    CLONE_NEWPID,
    NOBODY,
    Context,
    check_rc,
    clear_keyrings_of,
    huge_pages,
    load_libc,
    unshare,
)

STATUSES = ("ok", "timeout", "crashed", "memory")
POLL_S = 0.05  # how often a running job's memory is measured


def _preload(modules: list[str]) -> None:
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            pass
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(1)


class Spare:
    """A forked job process waiting for its job, and the socket the job socket is handed over on."""

    def __init__(self, ctx: Context, ctl: socket.socket):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if ctx.ns:
            unshare(CLONE_NEWPID)  # our next child is pid 1 of a new pid namespace
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                ctl.close()
                run_spare(theirs, ctx)
            except BaseException:  # noqa: BLE001 - anything here is the student's doing
                code = 3
            os._exit(code)
        if ctx.ns:
            check_rc(load_libc().setns(ctx.own_pidns, CLONE_NEWPID), "setns")  # back: the namespace after it is new too
        theirs.close()
        self.pid, self.sock, self._ready = pid, ours, None

    def ready(self, timeout: float = 30.0) -> bool:
        """Whether it has built its namespaces and waits for a job (it says so once)."""
        if self._ready is None:
            try:
                self.sock.settimeout(timeout)
                self._ready = self.sock.recv(16) == b"ready"
            except OSError:
                self._ready = False
        return self._ready

    def hand_over(self, header: bytes, fd: int) -> bool:
        try:
            if not self.ready():
                return False
            socket.send_fds(self.sock, [header], [fd])
            return True
        except OSError:
            return False
        finally:
            self.sock.close()

    def discard(self) -> None:
        self.sock.close()  # it exits on its own when its socket closes
        _kill_and_reap(self.pid)


def _kill_and_reap(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


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
    libraries, and not writable by jobs); returns False when something survived: the zygote must be restarted.
    Only without namespaces: there each job's /tmp is a tmpfs of its own that ends with the job."""
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


def _wait(pid: int, job: int, time_limit: float, memory_mb: int, ctx: Context, ctl: socket.socket,
          spare: int | None) -> tuple[str, str, bool]:
    """Watch the job until it ends, runs out of time or memory, or the grader says it has read everything ("finish").
    Returns (status, note, reaped)."""
    deadline = time.monotonic() + time_limit
    budget = memory_mb * 1024 * 1024
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    waitables = [ctl] + ([pidfd] if pidfd is not None else [])
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill_job(pid, job, ctx, spare)
                return "timeout", f"time limit of {time_limit:g} s reached", False
            ready, _, _ = select.select(waitables, [], [], min(left, POLL_S if pidfd is not None else 0.005))
            if ctl in ready:
                msg = ctl.recv(65536)
                finish = False
                try:
                    finish = not msg or json.loads(msg).get("finish") == job
                except (ValueError, AttributeError):
                    pass
                if finish:  # everything was read (or the grader has gone): the job is over
                    done, code = os.waitpid(pid, os.WNOHANG)
                    if done:
                        return (*_exit_status(code), True)
                    _kill_job(pid, job, ctx, spare)
                    return "ok", "", False
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                return (*_exit_status(code), True)
            if job_memory(job_pids(job, ctx, spare), ctx, pid) > budget:
                _kill_job(pid, job, ctx, spare)
                return "memory", f"memory limit of {memory_mb} MB reached (all the job's processes together)", False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _exit_status(code: int) -> tuple[str, str]:
    if os.WIFSIGNALED(code):
        sig = os.WTERMSIG(code)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return "timeout", "CPU time limit"
        return "crashed", f"killed by {name}"
    if os.WEXITSTATUS(code) != 0:
        return "crashed", f"the process exited with status {os.WEXITSTATUS(code)}"
    return "ok", ""


def _kill_job(pid: int, job: int, ctx: Context, spare: int | None) -> None:
    """SIGKILL the job's processes (under namespaces its pid 1: the kernel kills the rest of its namespace)."""
    victims = [pid] if ctx.ns else [pid] + job_pids(job, ctx, spare)
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if not ctx.ns:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _finish(pid: int, reaped: bool, ctx: Context) -> bool:
    """Wait until the job is gone (under namespaces: its whole pid namespace) and clean what outlives processes.
    Returns False when something survived (the grader then restarts the zygote)."""
    if not reaped:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    clean = True
    if not ctx.ns:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _reap()
        clean = _wipe(ctx.tmp, ctx.baseline)
    else:
        _reap()
        try:
            clear_keyrings_of(ctx.job_uid)
        except OSError:
            clean = False
    return clean


def main() -> None:
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(sys.argv[1]))
    _preload([m for m in os.environ.get("SANDBOX_PRELOAD", "numpy").split(",") if m])
    import course_lib.grading.homework  # noqa: F401 - loaded once, shared by every child (no child compiles them)
    import course_lib.grading.notebook  # noqa: F401 - compile_chunk, imported by define
    import course_lib.grading.run  # noqa: F401
    import course_lib.grading.wire  # noqa: F401
    from autograder.sandbox import frames  # noqa: F401
    from autograder.sandbox.isolation import block_answer_modules

    block_answer_modules()
    ctx = Context()
    if not ctx.ns and os.environ.get("SANDBOX_DROP_UID") == "1" and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if not ctx.ns and os.path.isdir(ctx.tmp):
        ctx.baseline = frozenset(os.listdir(ctx.tmp))
    import gc

    gc.collect()
    gc.freeze()  # the children leave the preloaded objects alone: fewer pages copied on write
    huge_pages()
    spare = Spare(ctx, ctl)
    if not spare.ready():  # say so now rather than fail every job
        print("the sandbox cannot set up a job (namespaces, mounts)", file=sys.stderr)
        sys.exit(2)
    ctl.send(json.dumps({"ready": True, "pid": os.getpid(), "uid": os.getuid()}).encode())
    last: tuple[int, bool] | None = None  # the previous job: (pid, reaped), cleaned before the next one starts
    clean = True
    try:
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
            if "time_limit" not in header:  # a late "finish" for a job that had already ended
                for fd in fds:
                    os.close(fd)
                continue
            if last is not None:
                clean = _finish(*last, ctx) and clean
                last = None
            if not fds:
                ctl.send(json.dumps({"status": "crashed", "note": "no job socket", "job": header.get("job"),
                                     "clean": clean}).encode())
                continue
            job = spare
            if not job.hand_over(msg, fds[0]):  # the spare died before its job: one more try with a new one
                job.discard()
                job = Spare(ctx, ctl)
                if not job.hand_over(msg, fds[0]):
                    clean = False  # the grader restarts us
            for fd in fds:
                os.close(fd)
            spare = Spare(ctx, ctl)  # the next job's process, forked while this one runs
            status, note, reaped = _wait(job.pid, job.pid, float(header["time_limit"]), int(header["memory_mb"]),
                                         ctx, ctl, spare.pid)
            last = (job.pid, reaped)
            if not ctx.ns:  # the folder is shared between jobs: clean it before saying the job is over
                clean = _finish(*last, ctx) and clean
                last = None
            ctl.send(json.dumps({"status": status, "note": note, "job": header.get("job"), "clean": clean}).encode())
    finally:
        if last is not None:
            _finish(*last, ctx)
        spare.discard()


if __name__ == "__main__":
    main()
