"""A minimal torch training loop: fit(model, loaders, optimizer, epochs) with a progress bar and history."""

from __future__ import annotations

import time
from typing import Callable


def evaluate(model, loader, loss_fn=None, device=None) -> dict:
    """Mean loss and accuracy of `model` over `loader` (no gradients)."""
    import torch

    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    device = device or next(model.parameters()).device
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            loss_sum += float(loss_fn(out, yb, reduction="sum"))
            if out.ndim == 2 and yb.ndim == 1:
                correct += int((out.argmax(1) == yb).sum())
            total += len(yb)
    return {"loss": loss_sum / max(total, 1), "accuracy": correct / max(total, 1)}


def fit(model, loaders, optimizer, epochs: int = 1, loss_fn: Callable | None = None, device=None,
        progress: bool = True, scheduler=None) -> dict:
    """Train `model`; `loaders` is a train loader or a (train, val) pair.

    Returns history: per epoch train_loss, train_acc, val_loss, val_acc, seconds, examples_per_s.
    """
    import torch

    from course_lib.device import pick_device

    if isinstance(loaders, (tuple, list)):
        train_loader, val_loader = loaders[0], (loaders[1] if len(loaders) > 1 else None)
    else:
        train_loader, val_loader = loaders, None
    device = device or pick_device()
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    model.to(device)
    hist: dict[str, list] = {k: [] for k in
                             ("train_loss", "train_acc", "val_loss", "val_acc", "seconds", "examples_per_s")}
    bar = _progress(epochs * len(train_loader), progress)
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        seen, correct, loss_sum = 0, 0, 0.0
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
            loss_sum += float(loss.detach()) * n
            if out.ndim == 2 and yb.ndim == 1:
                correct += int((out.argmax(1) == yb).sum())
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss_sum / seen:.4f}")
        if device.type == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if scheduler is not None:
            scheduler.step()
        hist["train_loss"].append(loss_sum / max(seen, 1))
        hist["train_acc"].append(correct / max(seen, 1))
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


def tensor_loaders(X_train, y_train, X_val=None, y_val=None, batch_size: int = 128, shuffle: bool = True):
    """DataLoaders from arrays (float features, int labels)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    def ds(X, y):
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(y)
        return TensorDataset(X, y)

    train = DataLoader(ds(X_train, y_train), batch_size=batch_size, shuffle=shuffle)
    if X_val is None:
        return train
    return train, DataLoader(ds(X_val, y_val), batch_size=1024, shuffle=False)
