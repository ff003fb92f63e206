"""A minimal torch training loop: fit(model, loaders, optimizer, epochs) with a progress bar and history.

On a GPU the loop never waits for the device inside an epoch: the loss sum and the correct count stay on the
device and are read once per epoch. `DeviceLoader` batches tensors that already live on the device (one
`randperm` per epoch, one `index_select` per batch), so the data never takes the slow per-sample path of a
`DataLoader` over a `TensorDataset`.
"""

from __future__ import annotations

import time
from typing import Callable


class DeviceLoader:
    """Mini-batches (X[idx], y[idx]) of tensors held on one device (CUDA, MPS or CPU).

    Per epoch: one random permutation made on the device (if `shuffle`), then one `index_select` per batch;
    without shuffling, plain slices (views). Every example appears exactly once per epoch; the last batch is
    kept even if it is smaller (unless `drop_last`). `len()` is the number of batches, like a DataLoader.

    `seed` makes the order reproducible (a generator on the device); without it the global torch RNG is used,
    so `torch.manual_seed` controls it.
    """

    def __init__(self, X, y, batch_size: int = 128, shuffle: bool = True, device=None, seed: int | None = None,
                 drop_last: bool = False):
        import torch

        X = torch.as_tensor(X)
        y = torch.as_tensor(y)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if device is not None:
            X, y = X.to(device), y.to(device)
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.device = X.device
        self.generator = None
        if seed is not None:
            try:
                self.generator = torch.Generator(device=self.device).manual_seed(seed)
            except RuntimeError:  # a device without its own generator: permute on the CPU, move once per epoch
                self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n, b = len(self.y), self.batch_size
        return n // b if self.drop_last else (n + b - 1) // b

    def _order(self):
        import torch

        n = len(self.y)
        gen = self.generator
        if gen is None or gen.device == self.device:
            return torch.randperm(n, device=self.device, generator=gen)
        return torch.randperm(n, generator=gen).to(self.device)

    def __iter__(self):
        n, b = len(self.y), self.batch_size
        stop = (n // b) * b if self.drop_last else n
        if self.shuffle:
            order = self._order()
            for i in range(0, stop, b):
                idx = order[i:i + b]
                yield self.X.index_select(0, idx), self.y.index_select(0, idx)
        else:
            for i in range(0, stop, b):
                yield self.X[i:i + b], self.y[i:i + b]


def _accumulator_dtype(device):
    import torch

    return torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64


def evaluate(model, loader, loss_fn=None, device=None) -> dict:
    """Mean loss and accuracy of `model` over `loader` (no gradients; one read of the device at the end)."""
    import torch

    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    total = 0
    loss_sum = torch.zeros((), device=device, dtype=_accumulator_dtype(device))
    correct = torch.zeros((), device=device, dtype=torch.int64)
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            out = model(xb)
            loss_sum += loss_fn(out, yb, reduction="sum").detach().to(loss_sum.dtype)
            if out.ndim == 2 and yb.ndim == 1:
                correct += (out.argmax(1) == yb).sum()
            total += len(yb)
    loss_value, correct_value = _read(loss_sum, correct)
    return {"loss": loss_value / max(total, 1), "accuracy": correct_value / max(total, 1)}


def _read(loss_sum, correct) -> tuple[float, int]:
    """The two accumulators as Python numbers: the only point where the host waits for the device."""
    return float(loss_sum), int(correct)


def fit(model, loaders, optimizer, epochs: int = 1, loss_fn: Callable | None = None, device=None,
        progress: bool = True, scheduler=None) -> dict:
    """Train `model`; `loaders` is a train loader or a (train, val) pair (DeviceLoader, DataLoader, any iterable
    of (inputs, targets) with a len()).

    Returns history: per epoch train_loss, train_acc, val_loss, val_acc, seconds, examples_per_s. Inside an epoch
    nothing is read back from the device (the bar counts steps; it shows the loss at the end of each epoch).
    """
    import torch

    from course_lib.device import pick_device

    if isinstance(loaders, (tuple, list)):
        train_loader, val_loader = loaders[0], (loaders[1] if len(loaders) > 1 else None)
    else:
        train_loader, val_loader = loaders, None
    device = torch.device(device) if device is not None else pick_device()
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    model.to(device)
    hist: dict[str, list] = {k: [] for k in
                             ("train_loss", "train_acc", "val_loss", "val_acc", "seconds", "examples_per_s")}
    acc_dtype = _accumulator_dtype(device)
    bar = _progress(epochs * len(train_loader), progress)
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        seen = 0
        loss_sum = torch.zeros((), device=device, dtype=acc_dtype)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        for xb, yb in train_loader:
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            n = len(yb)
            seen += n
            loss_sum += loss.detach().to(acc_dtype) * n
            if out.ndim == 2 and yb.ndim == 1:
                correct += (out.argmax(1) == yb).sum()
            bar.update(1)
        loss_value, correct_value = _read(loss_sum, correct)  # waits for the epoch's last step
        dt = time.perf_counter() - t0
        if scheduler is not None:
            scheduler.step()
        train_loss = loss_value / max(seen, 1)
        bar.set_postfix(epoch=epoch + 1, loss=f"{train_loss:.4f}")
        hist["train_loss"].append(train_loss)
        hist["train_acc"].append(correct_value / max(seen, 1))
        hist["seconds"].append(dt)
        hist["examples_per_s"].append(seen / dt if dt > 0 else float("nan"))
        if val_loader is not None:
            ev = evaluate(model, val_loader, loss_fn, device)
            hist["val_loss"].append(ev["loss"])
            hist["val_acc"].append(ev["accuracy"])
    bar.close()
    return hist


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, leave=False, desc="training")


def tensor_loaders(X_train, y_train, X_val=None, y_val=None, batch_size: int = 128, shuffle: bool = True,
                   device=None, seed: int | None = None):
    """Loaders from arrays (float features, int labels).

    With `device`: DeviceLoaders holding the tensors on that device (fast; the way to train on a GPU).
    Without: torch DataLoaders over TensorDatasets, as before.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    def tensors(X, y):
        return torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)

    if device is not None:
        train = DeviceLoader(*tensors(X_train, y_train), batch_size=batch_size, shuffle=shuffle, device=device,
                             seed=seed)
        if X_val is None:
            return train
        return train, DeviceLoader(*tensors(X_val, y_val), batch_size=1024, shuffle=False, device=device)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    train = DataLoader(TensorDataset(*tensors(X_train, y_train)), batch_size=batch_size, shuffle=shuffle,
                       generator=generator)
    if X_val is None:
        return train
    return train, DataLoader(TensorDataset(*tensors(X_val, y_val)), batch_size=1024, shuffle=False)
