"""The Linux calls the zygote makes for its jobs: namespaces, mounts, resource limits, privileges, keyrings.

Everything here runs inside the sandbox (see autograder/sandbox/zygote.py); nothing reads a submission.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import stat

NOBODY = 65534
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x04000000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24
TMP_INODES = 16384  # per job: the inodes of its /tmp


def set_limit(name: str, value: int) -> None:
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


def vm_size_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


_LIBC = None


def load_libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
        _LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _LIBC


def check_rc(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    check_rc(load_libc().unshare(flags), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    check_rc(load_libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                         data.encode() if data else None), f"mount {target}")


def keyctl(op: int, arg: int = 0) -> None:
    if _SYS_KEYCTL is not None:
        try:
            load_libc().syscall(_SYS_KEYCTL, ctypes.c_long(op), ctypes.c_long(arg))
        except (OSError, AttributeError):
            pass


def clear_keyrings() -> None:
    """Empty the user and user-session keyrings of this uid (they outlive processes)."""
    keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING)
    keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING)


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


def job_tmp(memory_mb: int) -> None:
    """A tmpfs of the job's own on /tmp, at most `memory_mb`; the read-only paths the sandbox mounted below /tmp
    (a course unpacked in a temporary folder) are bound again inside it."""
    try:
        keep = [p for p in json.loads(os.environ.get("SANDBOX_TMP_KEEP", "[]")) if isinstance(p, str)]
    except ValueError:
        keep = []
    held = [(p, os.open(p, os.O_PATH)) for p in keep if os.path.exists(p)]
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={memory_mb}m,nr_inodes={TMP_INODES},mode=1777")
    for path, fd in held:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.makedirs(path, 0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o444))
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)


def drop_privileges(ctx: Context) -> None:
    """No way back to any privilege: no_new_privs, an empty capability bounding set, and either this worker's own
    uid (as root) or no capabilities at all (root of a user namespace)."""
    libc = load_libc()
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
        check_rc(libc.syscall(_SYS_CAPSET, header, data), "capset")


def huge_pages() -> None:
    """Back the preloaded libraries' memory with huge pages where the kernel can (MADV_COLLAPSE, Linux >= 6.1; a
    no-op elsewhere): forking a job and ending it then copy and drop a few hundred page-table entries instead of tens
    of thousands (torch alone holds about 170 MB)."""
    libc = load_libc()
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
