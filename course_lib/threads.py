"""cpu_threads: a context manager that limits torch's CPU threads for small models (lectures 07 and 08)."""

from __future__ import annotations

import os


class cpu_threads:
    """Use `n` torch threads while on the CPU, restored afterwards; a no-op on CUDA/MPS.

    n=None means one thread on machines with at most 2 cores (else unchanged). Small CNNs and RNNs do many
    small ops; on a 2-core box that also runs the notebook kernel, extra threads mostly wait for each other,
    and on a busy machine they can make training ten times slower.
    """

    def __init__(self, device=None, n: int | None = None):
        self.device, self.n, self.saved = device, n, None

    def __enter__(self):
        import torch

        kind = torch.device(self.device).type if self.device is not None else "cpu"
        n = self.n if self.n is not None else (1 if (os.cpu_count() or 1) <= 2 else None)
        if kind == "cpu" and n is not None:
            self.saved = torch.get_num_threads()
            torch.set_num_threads(n)
        return self

    def __exit__(self, *exc):
        import torch

        if self.saved is not None:
            torch.set_num_threads(self.saved)
        return False
