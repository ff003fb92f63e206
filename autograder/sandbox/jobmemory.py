"""What a job holds in memory, all its processes together: anonymous resident memory, shared-memory objects (each
once), and its /tmp. Measured by the zygote from /proc while the job runs."""

from __future__ import annotations

import os
import stat

from autograder.sandbox.linux import Context


def job_pids(job: int, ctx: Context, spare: int | None) -> list[int]:
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
