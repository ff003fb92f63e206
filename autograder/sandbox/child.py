"""A job's process (inside the sandbox): build its namespaces, wait for its job, then limits, define the student's
code, run the cases and stream the results. A hidden job sends back values and exception type names only."""

from __future__ import annotations

import array
import json
import math
import os
import secrets
import socket

from autograder.sandbox.linux import (
    CLONE_NEWIPC,
    CLONE_NEWNS,
    CLONE_NEWUTS,
    KEYCTL_JOIN_SESSION_KEYRING,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_REC,
    PAGE,
    Context,
    clear_keyrings,
    drop_privileges,
    job_tmp,
    keyctl,
    mount,
    set_limit,
    unshare,
    vm_size_bytes,
)

# Per job: SysV shared memory in all (pages are not counted while no process maps them).
SYSV_SHM_BYTES = 16 * 1024 * 1024
FILE_BYTES = 16 * 1024 * 1024  # RLIMIT_FSIZE: also bounds each memfd and each file in /tmp


def run_spare(sock: socket.socket, ctx: Context) -> None:
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
        unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
        mount("none", "/", None, MS_REC | MS_PRIVATE)
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        for path, value in (("/proc/sys/kernel/shmmax", SYSV_SHM_BYTES), ("/proc/sys/kernel/shmall",
                                                                         SYSV_SHM_BYTES // PAGE)):
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
        job_tmp(memory_mb)
    _child(socket.socket(fileno=fds[0]), float(header["time_limit"]), memory_mb,
           os.path.join(ctx.tmp, secrets.token_hex(16)), bool(header.get("hidden")), ctx)


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
    set_limit("RLIMIT_CPU", int(math.ceil(time_limit)) + 1)
    set_limit("RLIMIT_FSIZE", FILE_BYTES)
    set_limit("RLIMIT_CORE", 0)
    set_limit("RLIMIT_NOFILE", 256)
    set_limit("RLIMIT_MSGQUEUE", 819200)
    if ctx.nproc:
        set_limit("RLIMIT_NPROC", ctx.nproc)
    set_limit("RLIMIT_AS", vm_size_bytes() + memory_mb * 1024 * 1024)
    drop_privileges(ctx)
    clear_keyrings()  # this worker's uid: nothing of an earlier job, whatever happened to the zygote's own clearing
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)  # a fresh, anonymous session keyring for this job
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
