"""Inputs that are the same on every machine: case builders use integer-seeded generators and exact arithmetic.

A float computed with BLAS (`@`, `np.linalg`), a reduction or a transcendental function (`np.exp`, `np.cos`) may
differ in its last bits from one CPU kernel to another (OpenBLAS picks Haswell, Zen, SkylakeX… at run time; NumPy
picks its SIMD loops). A builder that needs such a value puts it on a dyadic grid:

    y = on_grid(X @ w + noise)            # the inexact result, rounded to multiples of 2**-20

Dividing by a power of two, rounding to an integer and multiplying back are exact, so the result depends only on the
value up to its last bits: two machines agree unless the value falls within ~1e-16 of a grid midpoint (odds about
1e-10 per value). Factors on a coarse grid (`on_grid(A, 2**-8)`, entries below 2**8) make products and short sums
of them exact on every machine, which keeps structure exact too (a rank-2 product stays rank 2).
tests/test_machines.py builds every public and hidden input under every BLAS kernel the CPU runs and compares bits.
"""

from __future__ import annotations

import numpy as np

FINE = 2.0**-20  # about 1e-6: far below any tolerance a case is judged with, far above last-bit noise


def on_grid(x, step: float = FINE):
    """x rounded to the nearest multiple of `step` (a power of two): round(x / step) · step, exactly."""
    mantissa, _ = np.frexp(step)
    if mantissa != 0.5:
        raise ValueError(f"on_grid: step must be a power of two, got {step!r}")
    out = np.rint(np.asarray(x, dtype=float) / step) * step
    return float(out) if np.ndim(out) == 0 and not isinstance(x, np.ndarray) else out
