"""The one call every notebook makes after its setup cell: start() -> device."""

from __future__ import annotations


def start(seed: int = 0, verbose: bool = True):
    """Seed everything, make inline figures crisp, report quick mode and the device; return the device."""
    from course_lib.device import in_colab, pick_device, set_seed
    from course_lib.runtime import is_quick

    set_seed(seed)
    try:
        import matplotlib

        matplotlib.rcParams.update({"figure.dpi": 90, "figure.figsize": (5.5, 3.5), "axes.grid": True,
                                    "grid.alpha": 0.3})
    except ImportError:
        pass
    try:
        device = pick_device()
    except ImportError:  # torch-free session
        device = "cpu"
    if verbose:
        where = "Colab" if in_colab() else "local"
        mode = "QUICK mode (small data, few epochs)" if is_quick() else "full mode"
        print(f"course_lib ready: {where}, device={device}, {mode}, seed={seed}")
    return device
