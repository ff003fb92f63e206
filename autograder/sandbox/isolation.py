"""Detect the strongest isolation this machine allows and build the command that starts a zygote in it.

Levels:
- "namespaces": Linux mount/net/pid/ipc/uts namespaces via util-linux `unshare`, a private root
  (tmpfs, read-only) holding only the Python install, the venv, course_lib's student side (STUDENT_SIDE) and the
  sandbox runtime, read-only; no network. Each job then gets fresh pid, mount, IPC and UTS namespaces of its own,
  a tmpfs /tmp limited to its memory, and no privileges: as root a uid of its worker's own (with a process limit),
  in a user namespace no capabilities (autograder/sandbox/zygote.py).
- "weak": a plain child process with resource limits, a clean environment and an empty working
  directory. Other files on the machine stay readable: hidden cases are refused unless allowed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path

NAMESPACES = "namespaces"
WEAK = "weak"


def _unshare_flags() -> list[str]:
    flags = ["--mount", "--net", "--pid", "--ipc", "--uts", "--fork"]
    if os.geteuid() != 0:
        flags = ["--user", "--map-root-user"] + flags
    return flags


@lru_cache(maxsize=1)
def detect() -> str:
    """NAMESPACES when `unshare` can create a private mount+net+pid sandbox here, else WEAK."""
    if os.environ.get("COURSE_SANDBOX") == WEAK or not sys.platform.startswith("linux"):
        return WEAK
    exe = shutil.which("unshare")
    if not exe:
        return WEAK
    probe = "mount -t tmpfs tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /tmp; echo ok"
    try:
        out = subprocess.run([exe, *_unshare_flags(), "sh", "-c", probe], capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return WEAK
    return NAMESPACES if out.returncode == 0 and "ok" in out.stdout else WEAK


def describe(level: str | None = None) -> str:
    level = level or detect()
    if level == NAMESPACES:
        who = "a uid per worker" if os.geteuid() == 0 else "user namespace, no capabilities"
        return f"namespaces (private read-only root, no network, fresh pid/IPC/mount namespaces and /tmp per job, " \
               f"{who})"
    return "weak (resource limits and clean environment only; files on this machine stay readable)"


def _package_dir(name: str) -> Path:
    import importlib

    return Path(importlib.import_module(name).__file__).resolve().parent


# The part of course_lib the sandbox mounts: the grading kernel and the small utilities
# a homework's setup and demo cells import. Lecture modules (and with them every course implementation of a graded
# function) are left out, so a submission cannot import them in any form.
STUDENT_SIDE = ("__init__.py", "grading", "check.py", "compare.py", "runtime.py", "session.py", "device.py",
                "compute_peaks.py", "plots.py", "threads.py", "data", "data_files")


def is_student_side(module: str) -> bool:
    """True for `course_lib` and its STUDENT_SIDE modules; False for the lecture modules."""
    parts = module.split(".")
    if parts[0] != "course_lib" or len(parts) == 1:
        return True
    return any(parts[1] == name.removesuffix(".py") for name in STUDENT_SIDE)


class _AnswerModuleBlocker:
    """A meta-path finder that refuses every course_lib module outside STUDENT_SIDE, whatever the import form
    (import, from-import, importlib inside a function). Under namespaces those files are not even mounted; this
    keeps weak isolation in line."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if not is_student_side(name):
            raise ImportError(f"{name} is not available while grading: graded code must be written in your "
                              "notebook, not imported from the course library")
        return None


def block_answer_modules() -> None:
    """Install the blocker and forget any lecture module already imported (called once in the zygote)."""
    import sys

    if not any(isinstance(f, _AnswerModuleBlocker) for f in sys.meta_path):
        sys.meta_path.insert(0, _AnswerModuleBlocker())
    for name in [m for m in sys.modules if not is_student_side(m)]:
        del sys.modules[name]


def readonly_paths() -> list[str]:
    """What the sandbox may see: system libraries, the Python install and venv, course_lib's student side, the
    sandbox runtime."""
    paths = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"]
    for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sysconfig.get_paths()["purelib"],
              sysconfig.get_paths()["platlib"]}:
        paths.append(str(Path(p).resolve()))
    paths.append(str(Path(sys.executable).resolve().parent))
    course_lib = _package_dir("course_lib")
    autograder = _package_dir("autograder")
    paths += [str(course_lib / name) for name in STUDENT_SIDE]
    paths += [str(autograder / "__init__.py"), str(autograder / "sandbox")]
    out = []
    for p in paths:
        if os.path.exists(p) and p not in out:
            out.append(p)
    return out


def namespace_command(root: str, python_args: list[str]) -> list[str]:
    """`unshare … sh -c <script>`: build the private root in `root`, chroot into it, exec Python."""
    lines = ["set -e", f"R={shlex.quote(root)}", 'mount -t tmpfs -o mode=755,size=1g tmpfs "$R"',
             # the zygote's own /tmp (jobs get theirs), first: read-only paths below /tmp are bound inside it
             'mkdir -p "$R/tmp"', 'mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev tmpfs "$R/tmp"']
    for p in readonly_paths():
        q = shlex.quote(p)
        source = q
        make = f'mkdir -p "$R"{q}' if os.path.isdir(p) else f'mkdir -p "$(dirname "$R"{q})"; touch "$R"{q}'
        lines += [make, f'mount --rbind {source} "$R"{q}',
                  f'mount -o remount,bind,ro "$R"{q} 2>/dev/null || true']
    lines += ['mkdir -p "$R/proc" "$R/dev"', 'mount -t proc proc "$R/proc"']
    for dev in ("null", "zero", "urandom", "random"):
        lines.append(f'touch "$R/dev/{dev}"; mount --bind /dev/{dev} "$R/dev/{dev}"')
    lines.append('mount -o remount,ro "$R"')  # nothing outside a job's own /tmp is writable, even to its root
    lines.append('cd "$R"')
    lines.append("exec chroot \"$R\" " + " ".join(shlex.quote(a) for a in python_args))
    return [shutil.which("unshare") or "unshare", *_unshare_flags(), "sh", "-c", "\n".join(lines)]


def clean_env(level: str, preload: str) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": "/tmp",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "COURSE_QUICK": "1", "COURSE_OFFLINE": "1",
           "CUDA_VISIBLE_DEVICES": "", "SANDBOX_PRELOAD": preload}
    if level == NAMESPACES:
        env["SANDBOX_KILL_ALL"] = "1"
        # each job gets a tmpfs of its own on /tmp: what the sandbox shows below /tmp is bound again inside it
        env["SANDBOX_TMP_KEEP"] = json.dumps([p for p in readonly_paths() if p.startswith("/tmp/")])
        if os.geteuid() == 0:
            env["SANDBOX_DROP_UID"] = "1"
            env["SANDBOX_NPROC"] = "256"
    else:
        env["SANDBOX_TMP"] = ""  # set per zygote by the runner
    return env
