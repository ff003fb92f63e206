"""Device choice (CUDA, then MPS, then CPU), seeding, and a one-look report of the machine."""

from __future__ import annotations

import os
import platform
import random
import sys


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def pick_device(prefer: str | None = None):
    """Return a torch.device: `prefer`, else $COURSE_DEVICE, else cuda, mps, cpu in that order.

    Never fails because a GPU is missing: it falls back to the CPU (with a one-line note
    when a requested accelerator is not there).
    """
    import torch

    wanted = (prefer or os.environ.get("COURSE_DEVICE") or "").strip().lower()
    if wanted:
        kind = wanted.split(":")[0]
        ok = (
            kind == "cpu"
            or (kind == "cuda" and torch.cuda.is_available())
            or (kind == "mps" and _mps_available())
        )
        if ok:
            return torch.device(wanted)
        print(f"course_lib: device {wanted!r} is not available here; using the CPU.")
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def set_seed(seed: int = 0) -> None:
    """Seed Python's random, NumPy's global RNG and torch (CPU and every CUDA device)."""
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # torch is optional for the NumPy-only lectures
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def describe(device=None) -> dict:
    """Report the device: kind, name, memory (GB), dense peak TFLOP/s if known; print and return it."""
    import torch

    from course_lib.compute_peaks import lookup_peak

    device = torch.device(device) if device is not None else pick_device()
    info: dict = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(device),
        "kind": device.type,
        "colab": in_colab(),
        "cpu_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info["name"] = props.name
        info["memory_gb"] = round(props.total_memory / 1e9, 1)
    elif device.type == "mps":
        info["name"] = "Apple GPU (MPS)"
        info["memory_gb"] = None
    else:
        info["name"] = platform.processor() or platform.machine()
        info["memory_gb"] = _system_memory_gb()
    peak = lookup_peak(info["name"])
    info["peak_tflops"] = peak
    for key, value in info.items():
        print(f"{key:>12}: {value}")
    return info


def _system_memory_gb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
        return round(pages * size / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        return None
