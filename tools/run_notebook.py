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
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def client_for(nb, **kwargs):
    """An nbclient NotebookClient that records ipywidgets Output contents without echoing them to the kernel."""
    from nbclient import NotebookClient
    from nbclient.output_widget import OutputWidget

    class RecordingOutput(OutputWidget):
        def sync_state(self) -> None:  # nbclient sends a comm_msg on the shell socket here (see the module docstring)
            pass

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
