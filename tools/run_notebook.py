"""Execute a notebook top to bottom with nbclient (quick mode) and report errors and time.

    python tools/run_notebook.py notebooks/01_gradient_descent.ipynb [--full] [--timeout 600]

Exits non-zero on the first cell error, printing the cell number and the error in one paragraph.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def execute(path: str | Path, quick: bool = True, timeout: int = 600, env: dict | None = None):
    """Run the notebook in its own folder; return (seconds, executed notebook). Raises on error."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")
    for k, v in (env or {}).items():
        os.environ[k] = v
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
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
