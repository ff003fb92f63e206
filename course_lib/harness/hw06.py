"""hw06 drivers and property checks: dropout is random, so it is graded by properties, never by one draw.

The driver builds `np.random.default_rng(seed)` from the plain-data seed and calls the student's
dropout_forward twice with generators of the same seed (the two results must agree: the student used
`rng`). The trusted check then verifies: shapes; a 0/1 mask; every kept unit scaled by exactly
1/(1 − p) and every dropped unit zero; a keep fraction within 6 standard errors of 1 − p; a mask that
varies across examples; and the identity in evaluation mode.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.compare import Verdict

SIGMAS = 6.0


def dropout_draw(ns, x, p, train, seed):
    """(out, mask, out_again) where out_again comes from a fresh generator with the same seed."""
    fn = ns["dropout_forward"]
    x = np.array(x, dtype=float)
    out, mask = fn(x.copy(), p, train, np.random.default_rng(int(seed)))
    out2, _ = fn(x.copy(), p, train, np.random.default_rng(int(seed)))
    mask = None if mask is None else np.asarray(mask)
    if mask is not None and mask.dtype == bool:
        mask = mask.astype(float)
    return np.asarray(out, dtype=float), mask, np.asarray(out2, dtype=float)


def dropout_props(args, kwargs, expected, got, rtol, atol) -> Verdict:
    x, p, train, _seed = np.asarray(args[0], dtype=float), float(args[1]), bool(args[2]), args[3]
    where = f"dropout_forward(x of shape {x.shape}, p={p:g}, train={train})"
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return Verdict(False, f"{where}: expected (out, mask) (internal format error)")
    out, mask, out2 = got
    out, out2 = np.asarray(out, dtype=float), np.asarray(out2, dtype=float)
    if out.shape != x.shape:
        return Verdict(False, f"{where}: out should have the shape of x, {x.shape}; got {out.shape}")
    if not train:
        if not np.array_equal(out, x):
            return Verdict(False, f"{where}: in evaluation mode dropout must be the identity (out == x); "
                                  f"largest difference {np.max(np.abs(out - x)):.3g}")
        if mask is not None and not (np.shape(mask) == x.shape and np.all(np.asarray(mask) == 1)):
            return Verdict(False, f"{where}: in evaluation mode return mask None (or all ones)")
        return Verdict(True, "", 0.0)
    if mask is None:
        return Verdict(False, f"{where}: in training mode return the 0/1 mask of kept units, got None")
    mask = np.asarray(mask, dtype=float)
    if mask.shape != x.shape:
        return Verdict(False, f"{where}: the mask should have the shape of x, {x.shape}; got {mask.shape} "
                              "(one independent coin per entry)")
    if not np.all((mask == 0) | (mask == 1)):
        return Verdict(False, f"{where}: the mask should hold 0 (dropped) and 1 (kept) only; got values such as "
                              f"{float(mask[(mask != 0) & (mask != 1)][0]):.4g}")
    if not np.array_equal(out2, out):
        return Verdict(False, f"{where}: two calls with generators built from the same seed gave different "
                              "outputs; draw the mask from the `rng` argument, not from np.random")
    want = x * mask / (1.0 - p)
    err = float(np.max(np.abs(out - want))) if out.size else 0.0
    if not np.allclose(out, want, rtol=1e-12, atol=1e-15):
        kept = mask == 1
        ratio = float(np.median(out[kept & (x != 0)] / x[kept & (x != 0)])) if np.any(kept & (x != 0)) else 0.0
        return Verdict(False, f"{where}: out must be x·mask/(1−p): kept units scaled by 1/(1−p) = {1 / (1 - p):.6g} "
                              f"and dropped units 0; kept units came out scaled by {ratio:.6g}", err)
    N = mask.size
    keep = float(mask.mean())
    se = math.sqrt(p * (1 - p) / N) if 0 < p < 1 else 0.0
    if abs(keep - (1 - p)) > SIGMAS * se + 1e-12:
        return Verdict(False, f"{where}: kept a fraction {keep:.4f} of the units; expected 1 − p = {1 - p:.4f} "
                              f"± {SIGMAS * se:.2g} (p is the probability to DROP a unit)")
    if 0 < p < 1 and x.ndim == 2 and x.shape[0] > 1 and x.shape[1] >= 20 and np.all(mask == mask[:1]):
        return Verdict(False, f"{where}: every example got the same mask; draw an independent mask per entry")
    return Verdict(True, "", err)
