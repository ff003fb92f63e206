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
import ctypes
import json
import math
import os
import random
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
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x04000000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24
STATUSES = ("ok", "timeout", "crashed", "memory")
# Per job: SysV shared memory in all (pages are not counted while no process maps them), and the job's /tmp inodes.
SYSV_SHM_BYTES = 16 * 1024 * 1024
TMP_INODES = 16384
FILE_BYTES = 16 * 1024 * 1024  # RLIMIT_FSIZE: also bounds each memfd and each file in /tmp
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
        _LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _LIBC


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc().unshare(flags), "unshare")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                         data.encode() if data else None), f"mount {target}")


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


def clear_keyrings_of(uid: int | None) -> None:
    """Empty `uid`'s keyrings (this process's own when uid is None or ours): as root, briefly take that uid as real
    and effective uid (the saved uid stays 0, so we can come back)."""
    if uid is None or uid == os.getuid():
        clear_keyrings()
        return
    try:
        os.setresgid(uid, uid, 0)
        os.setresuid(uid, uid, 0)
        clear_keyrings()
    finally:
        os.setresuid(0, 0, 0)
        os.setresgid(0, 0, 0)


class Context:
    """What every job of this zygote shares: the isolation mode, the uid jobs run as, the shared-memory device."""

    def __init__(self) -> None:
        self.ns = os.environ.get("SANDBOX_KILL_ALL") == "1"  # our own namespaces: per-job ones on top
        self.tmp = os.environ.get("SANDBOX_TMP", "/tmp") or "/tmp"
        # As root (the sandbox's root): jobs take a uid of their own for this worker (see _worker_uid); without one
        # (a user namespace mapping root alone) they stay root with no capabilities at all.
        self.job_uid = _worker_uid() if os.environ.get("SANDBOX_DROP_UID") == "1" and os.geteuid() == 0 else None
        self.nproc = int(os.environ["SANDBOX_NPROC"]) if os.environ.get("SANDBOX_NPROC") else None
        self.own_pidns = os.open("/proc/self/ns/pid", os.O_RDONLY) if self.ns else -1
        self.shm_dev, self.shm_tag = _shm_device()
        self.baseline: frozenset[str] = frozenset()  # without namespaces: what /tmp held before any job
        if self.job_uid is not None and not _can_become(self.job_uid):
            raise SystemExit(f"the sandbox cannot run jobs as uid {self.job_uid}")


def _can_become(uid: int) -> bool:
    """Whether a child can take `uid` (checked once at start: a job that could not would crash, silently)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - reported through the exit status
            os._exit(1)
    _, code = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(code) == 0


def _worker_uid() -> int | None:
    """A uid for this worker's jobs, drawn at random from the uids this user namespace maps: above 3,000,000,000 in
    the initial namespace (no account uses those), else from the top of the largest mapped range (a container's),
    avoiding root and the ids below 1000. None when root is the only id mapped."""
    ranges = []
    try:
        with open("/proc/self/uid_map") as f:
            for line in f:
                inside, _outside, count = (int(x) for x in line.split())
                ranges.append((inside, inside + count))
    except (OSError, ValueError):
        ranges = [(0, 1 << 32)]
    pick = random.SystemRandom()
    for lo, hi in ranges:
        if hi - 1 > 3_000_000_000:
            return pick.randrange(max(lo, 3_000_000_000), min(hi - 1, 4_000_000_000))
    candidates = [(max(lo, 1000), hi) for lo, hi in ranges if hi - max(lo, 1000) > 1]
    if not candidates:
        return None
    lo, hi = max(candidates, key=lambda r: r[1] - r[0])
    drawn = [pick.randrange(max(lo, hi - 30000), hi) for _ in range(8)]
    return next((u for u in drawn if u not in (65534, 65535)), None)  # not nobody, whom other programs use


def _shm_device() -> tuple[int, str]:
    """The device of the kernel's internal shared-memory mount (memfd, shared anonymous maps, SysV segments), as a
    number and as /proc/<pid>/maps writes it ("00:01")."""
    try:
        fd = os.memfd_create("probe")
    except (AttributeError, OSError):
        return -1, "\0"
    try:
        dev = os.fstat(fd).st_dev
    finally:
        os.close(fd)
    return dev, f"{os.major(dev):02x}:{os.minor(dev):02x}"


# -- the job's process ------------------------------------------------------------------------------------------

def _spare(sock: socket.socket, ctx: Context) -> None:
    """A job's process before its job: build its namespaces, then wait for the job socket and run the job. Under
    namespaces this process is pid 1 of a pid namespace of its own."""
    keep = {sock.fileno()}
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        if fd.isdigit() and int(fd) > 2 and int(fd) not in keep:
            try:
                os.close(int(fd))
            except OSError:
                pass
    if ctx.ns:
        _unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
        _mount("none", "/", None, MS_REC | MS_PRIVATE)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        for path, value in (("/proc/sys/kernel/shmmax", SYSV_SHM_BYTES), ("/proc/sys/kernel/shmall",
                                                                         SYSV_SHM_BYTES // _PAGE)):
            try:
                with open(path, "w") as f:
                    f.write(str(value))
            except OSError:
                pass
    sock.send(b"ready")
    fds = array.array("i")
    msg, anc, _flags, _addr = sock.recvmsg(65536, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    sock.close()
    if not msg or not fds:
        os._exit(0)
    header = json.loads(msg.decode())
    memory_mb = int(header["memory_mb"])
    if ctx.ns:
        _job_tmp(memory_mb)
    _child(socket.socket(fileno=fds[0]), float(header["time_limit"]), memory_mb,
           os.path.join(ctx.tmp, secrets.token_hex(16)), bool(header.get("hidden")), ctx)


def _job_tmp(memory_mb: int) -> None:
    """A tmpfs of the job's own on /tmp, at most `memory_mb`; the read-only paths the sandbox mounted below /tmp
    (a course unpacked in a temporary folder) are bound again inside it."""
    try:
        keep = [p for p in json.loads(os.environ.get("SANDBOX_TMP_KEEP", "[]")) if isinstance(p, str)]
    except ValueError:
        keep = []
    held = [(p, os.open(p, os.O_PATH)) for p in keep if os.path.exists(p)]
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={memory_mb}m,nr_inodes={TMP_INODES},mode=1777")
    for path, fd in held:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.makedirs(path, 0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o444))
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)


def _drop_privileges(ctx: Context) -> None:
    """No way back to any privilege: no_new_privs, an empty capability bounding set, and either this worker's own
    uid (as root) or no capabilities at all (root of a user namespace)."""
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if os.geteuid() != 0:
        return
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: no such cap
            break
    if ctx.job_uid is not None:
        os.setgroups([])
        os.setresgid(ctx.job_uid, ctx.job_uid, ctx.job_uid)
        os.setresuid(ctx.job_uid, ctx.job_uid, ctx.job_uid)
    elif _SYS_CAPSET is not None:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
        _check(libc.syscall(_SYS_CAPSET, header, data), "capset")


def _child(job_sock: socket.socket, time_limit: float, memory_mb: int, workdir: str, hidden: bool,
           ctx: Context) -> None:
    """Limits, then read the job, define, run cases, stream results, say "end".

    A hidden job sends back values and exception type names only: no student text ever leaves it.
    """
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    _limit("RLIMIT_CPU", int(math.ceil(time_limit)) + 1)
    _limit("RLIMIT_FSIZE", FILE_BYTES)
    _limit("RLIMIT_CORE", 0)
    _limit("RLIMIT_NOFILE", 256)
    _limit("RLIMIT_MSGQUEUE", 819200)
    if ctx.nproc:
        _limit("RLIMIT_NPROC", ctx.nproc)
    _limit("RLIMIT_AS", _vm_size_bytes() + memory_mb * 1024 * 1024)
    _drop_privileges(ctx)
    clear_keyrings()  # this worker's uid: nothing of an earlier job, whatever happened to the zygote's own clearing
    _keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)  # a fresh, anonymous session keyring for this job
    os.mkdir(workdir, 0o700)
    os.chdir(workdir)

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
    frames.send(job_sock, {"end": True})
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


# -- the zygote's side of a job ----------------------------------------------------------------------------------

class Spare:
    """A forked job process waiting for its job, and the socket the job socket is handed over on."""

    def __init__(self, ctx: Context, ctl: socket.socket):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if ctx.ns:
            _unshare(CLONE_NEWPID)  # our next child is pid 1 of a new pid namespace
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                ctl.close()
                _spare(theirs, ctx)
            except BaseException:  # noqa: BLE001 - anything here is the student's doing
                code = 3
            os._exit(code)
        if ctx.ns:
            _check(_libc().setns(ctx.own_pidns, CLONE_NEWPID), "setns")  # back: the namespace after it is new too
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


def _job_pids(job: int, ctx: Context, spare: int | None) -> list[int]:
    """The job's processes: under namespaces every process in the sandbox but this one and the spare (the job's pid
    namespace holds the rest), else the job's session."""
    me, out = os.getpid(), []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or int(entry) in (me, spare):
            continue
        if ctx.ns:
            out.append(int(entry))
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[3]) == job:  # session id
                out.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return out


def _rss_anon(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _shared_objects(pid: int, ctx: Context, extents: dict, sizes: dict) -> None:
    """The shared-memory objects `pid` maps (their mapped ranges, by object) or holds open (their size, by object)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            text = f.read()
    except OSError:
        text = ""
    tag = f" {ctx.shm_tag} "
    if tag in text:
        for line in text.splitlines():
            fields = line.split(None, 5)
            if len(fields) < 5 or fields[3] != ctx.shm_tag:
                continue
            try:
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                offset = int(fields[2], 16)
            except ValueError:
                continue
            name = fields[5] if len(fields) > 5 else ""
            key = ("sysv", fields[4]) if name.startswith("/SYSV") else fields[4]
            extents.setdefault(key, []).append((offset, offset + hi - lo))
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return
    for fd in fds:
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if st.st_dev == ctx.shm_dev and stat.S_ISREG(st.st_mode):
            key = str(st.st_ino)
            sizes[key] = max(sizes.get(key, 0), st.st_blocks * 512, 0)


def _union(ranges: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for lo, hi in sorted(ranges):
        if hi <= end:
            continue
        total += hi - max(lo, end)
        end = hi
    return total


def job_memory(pids: list[int], ctx: Context, root_pid: int | None) -> int:
    """Bytes the job holds: anonymous resident memory of each process (the preloaded libraries' shared pages are
    not counted; their copy-on-write pages are), each shared-memory object once (its size when a process holds it
    open, else the extent mapped), and the job's /tmp."""
    total, extents, sizes = 0, {}, {}
    for pid in pids:
        total += _rss_anon(pid)
        _shared_objects(pid, ctx, extents, sizes)
    for key in set(extents) | set(sizes):
        total += max(sizes.get(key, 0), _union(extents.get(key, [])))
    if ctx.ns and root_pid is not None:
        try:
            st = os.statvfs(f"/proc/{root_pid}/root/tmp")
            total += (st.f_blocks - st.f_bfree) * st.f_frsize
        except OSError:
            pass
    return total


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
            if job_memory(_job_pids(job, ctx, spare), ctx, pid) > budget:
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
    victims = [pid] if ctx.ns else [pid] + _job_pids(job, ctx, spare)
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


def _huge_pages() -> None:
    """Back the preloaded libraries' memory with huge pages where the kernel can (MADV_COLLAPSE, Linux >= 6.1; a
    no-op elsewhere): forking a job and ending it then copy and drop a few hundred page-table entries instead of tens
    of thousands (torch alone holds about 170 MB)."""
    libc = _libc()
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge = 1 << 21
    try:
        with open("/proc/self/maps") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[5].startswith("[") and fields[5] != "[heap]":  # stack, vdso, vvar...
            continue
        try:
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
        except (ValueError, IndexError):
            continue
        lo, hi = (lo + huge - 1) & ~(huge - 1), hi & ~(huge - 1)
        if hi > lo:
            libc.madvise(lo, hi - lo, 14)  # MADV_HUGEPAGE
            libc.madvise(lo, hi - lo, 25)  # MADV_COLLAPSE


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
    _huge_pages()
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
