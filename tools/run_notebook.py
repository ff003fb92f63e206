"""Execute a notebook top to bottom with nbclient (quick mode) and report errors and time.

    python tools/run_notebook.py notebooks/01_gradient_descent.ipynb [--full] [--timeout 600]

Exits non-zero on the first cell error, printing the cell number and the error in one paragraph.

Why a client of our own (`client_for`): nbclient imitates a front end for ipywidgets' `Output` widget. Each output a
demo draws into its Output makes nbclient send a `comm_msg` back to the kernel on the *shell* socket, from the task
that reads IOPub, while another task is polling that same socket for the cell's `execute_reply`. Now and then the
reply then sits unread until that poll times out: the kernel stamped its reply at once, nbclient read it only at its
deadline (our reading: the send on a pyzmq asyncio socket consumes the edge-triggered "readable" event the poll was
waiting for). The cell then seems to take the whole cell timeout (reported: 90 s after `momentum_demo()` on a 16-core
GPU machine; reproduced there: 240 s, the timeout used; here, on 2 cores, 3 of 12 runs of a notebook holding lecture
02's two demos), or the wait ends in a timeout whose clean-up lets nbclient's kernel-alive task fail on a bare
`assert self.kc is not None`: an AssertionError with an empty message (also reproduced on the 16-core machine). Thread
settings are not the cause: with OMP/MKL/OpenBLAS at 1 thread it stalled too. No course code reads `Output.outputs`
in the kernel, so our client keeps recording each Output's contents (the site shows them) and sends nothing back; with
it, 25 runs in a row of the same notebook showed no stall.

Why kernels talk over Unix sockets (`ipc_kernel_manager`, `ipc_kernel_args`, `use_ipc_kernels`): over TCP,
jupyter_client picks a kernel's five ports by binding port 0 and closing the socket, and the kernel binds them a
moment later. Another kernel started at the same time by another process (a second notebook, nbgrader, otter,
another test run on the machine) can be given the same port in between; then one kernel dies with "Address already
in use" and its client reports "Kernel died before replying to kernel_info" or waits out "Kernel didn't respond in
60 seconds" (measured: 2 of 800 kernels, four processes starting kernels at once). Unix sockets under a path no
other process uses cannot collide. The tests start nbgrader and otter the same way (tests/test_interop_support.py).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path


def kernel_socket_prefix() -> str:
    """A path prefix for one kernel's (or one process's kernels') Unix sockets that no other process uses."""
    import tempfile
    import uuid

    return os.path.join(tempfile.gettempdir(), f"kernel-{uuid.uuid4().hex[:16]}")


@functools.lru_cache(maxsize=1)
def ipc_kernel_manager():
    """An AsyncKernelManager class whose kernels listen on Unix sockets of their own (see the module docstring)."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_ipc(self):
            return "ipc"

        @default("ip")
        def _ip_unique(self):
            return kernel_socket_prefix()

    return IPCKernelManager


def ipc_kernel_args() -> list[str]:
    """Options for a Jupyter application (nbgrader) that starts kernels: Unix sockets under a prefix of its own."""
    return ["--KernelManager.transport=ipc", f"--KernelManager.ip={kernel_socket_prefix()}"]


def use_ipc_kernels() -> None:
    """Make nbconvert's ExecutePreprocessor, as a tool in this process creates it (otter run), start its kernels on
    Unix sockets of their own."""
    import nbconvert.preprocessors as pre
    from traitlets import default

    base = pre.ExecutePreprocessor
    if getattr(base, "_ipc_kernels", False):
        return

    class IPCExecutePreprocessor(base):
        _ipc_kernels = True

        @default("kernel_manager_class")
        def _ipc_manager(self):
            return ipc_kernel_manager()

    pre.ExecutePreprocessor = IPCExecutePreprocessor


def client_for(nb, **kwargs):
    """An nbclient NotebookClient that records ipywidgets Output contents without echoing them to the kernel, and
    whose kernel listens on Unix sockets of its own (see the module docstring)."""
    from nbclient import NotebookClient
    from nbclient.output_widget import OutputWidget

    class RecordingOutput(OutputWidget):
        def sync_state(self) -> None:  # nbclient sends a comm_msg on the shell socket here (see the module docstring)
            pass

    kwargs.setdefault("kernel_manager_class", ipc_kernel_manager())
    client = NotebookClient(nb, **kwargs)
    client.widget_registry["@jupyter-widgets/output"] = {"OutputModel": RecordingOutput}
    return client


def execute(path: str | Path, quick: bool = True, timeout: int = 600, env: dict | None = None):
    """Run the notebook in its own folder; return (seconds, executed notebook). Raises on error."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")
    for k, v in (env or {}).items():
        os.environ[k] = v
    client = client_for(nb, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except Exception as exc:  # keep what ran: callers render or report the partly executed notebook
        exc.nb = nb
        raise
    return time.perf_counter() - t0, nb


def execute_once(path: str | Path, store: str | Path, run_id: str, quick: bool = True, timeout: int = 600) -> dict:
    """Execute the notebook once per `run_id` and keep the executed copy in `store`; later callers with the same run
    id (another test, another pytest-xdist worker, the next pytest pass of the same `make test`) get that copy.

    Returns {"seconds", "error", "notebook": the executed notebook path, "fresh": executed by this call}. `error` is
    "" or the exception that stopped the run (the partly executed notebook is kept); error outputs that did not stop
    it are in the notebook (error_outputs). A lock file makes concurrent callers wait for the one that executes. The
    record (STEM.json) holds the run id and the notebook's SHA-256: a changed notebook or another run executes again.
    """
    import fcntl
    import hashlib
    import json

    import nbformat

    path, store = Path(path), Path(store)
    store.mkdir(parents=True, exist_ok=True)
    executed, record = store / path.name, store / f"{path.stem}.json"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with open(store / f"{path.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            old = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
        except ValueError:
            old = {}
        if old.get("run") == run_id and old.get("sha256") == digest and executed.exists():
            return {**old, "notebook": str(executed), "fresh": False}
        record.unlink(missing_ok=True)
        error = ""
        t0 = time.perf_counter()
        try:
            seconds, nb = execute(path, quick=quick, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - kept for the callers to report
            seconds, nb = time.perf_counter() - t0, getattr(exc, "nb", None) or nbformat.read(str(path), as_version=4)
            error = f"{type(exc).__name__}: {str(exc)[-2000:]}"
        nbformat.write(nb, str(executed))
        out = {"run": run_id, "sha256": digest, "seconds": round(seconds, 2), "error": error,
               "mode": "quick" if quick else "full"}
        record.write_text(json.dumps(out), encoding="utf-8")
        return {**out, "notebook": str(executed), "fresh": True}


def error_outputs(nb) -> list[str]:
    """Cells whose outputs contain an error (also errors that did not stop execution)."""
    bad = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                bad.append(f"cell {i + 1}: {out.get('ename')}: {out.get('evalue')}")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--full", action="store_true", help="full mode (default: quick mode)")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args(argv)
    try:
        seconds, nb = execute(args.notebook, quick=not args.full, timeout=args.timeout)
    except Exception as exc:  # noqa: BLE001
        print(f"FAILED {args.notebook}: {str(exc)[-2000:]}")
        return 1
    bad = error_outputs(nb)
    if bad:
        print(f"FAILED {args.notebook}: " + "; ".join(bad))
        return 1
    print(f"ok {args.notebook}: {seconds:.1f} s ({'full' if args.full else 'quick'} mode)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
